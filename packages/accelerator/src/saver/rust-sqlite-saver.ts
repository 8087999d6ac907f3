import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { BlobInput, PutRequest, SqliteCheckpointStore } from "@fast-langgraph/native";

import { native } from "../native";
import { IncrementTracker } from "./increment-tracker";
import { checkpointConfig, checkpointTarget } from "./config";
import { type PruneOptions, type PruneReport, type RetentionOptions, scheduleRetention, toNativePruneOptions } from "./retention";
import { OfficialCheckpointSerializer } from "./official-checkpoint";
import { serializeCheckpointHead, serializeValue } from "./serialize";
import { inlineCalls, offThreadCalls, type StoreCalls } from "./store-calls";
import { type WritesOrder, loadWrites, rowToTuple } from "./tuple";

export interface RustSqliteSaverOptions {
  /** Serializer for checkpoints, metadata, channel values and writes (default: LangGraph's JsonPlusSerializer). */
  serde?: SerializerProtocol;
  /**
   * Store a list channel that only grew since this process last stored or loaded it (every chat
   * agent's `messages`) as its new elements, and a messages list changed by replacements or removals
   * as that reducer update. Assumes stored elements are not mutated in place, as LangGraph's
   * DeltaChannel does. `false` stores every changed channel in full. Default `true`.
   */
  storeIncrements?: boolean;
  /** "normal" (default): a resolved put survives the process being killed. "full": also a power loss. */
  synchronous?: "normal" | "full";
  /** How long a write waits for another process holding the database lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Run SQLite on the libuv thread pool (true) or on the calling thread (false). Default: true for a
   * file, false for ":memory:", where there is no I/O to wait for and the thread hop costs more than the work.
   */
  offThread?: boolean;
  /**
   * "compact" (default): our tables, values stored once per change, lists by their increments.
   * "official": the official SqliteSaver's tables and row format (every value inline), so that saver
   * reads everything written; still serializes only what changed and writes off the JavaScript thread.
   */
  layout?: "compact" | "official";
  /**
   * Store every channel value a checkpoint holds, also those `newVersions` does not name and the parent
   * does not hold (unversioned defaults, values of forks): MemorySaver's semantics, where `getTuple`
   * returns exactly the checkpoint `put` was given. Default false (values are stored when they change).
   */
  keepEveryValue?: boolean;
  /** Prune in the background on a schedule (off the JavaScript thread for files). */
  retention?: RetentionOptions;
}

const LIST_PAGE = 32;

function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "" || /^file::memory:|[?&]mode=memory\b/.test(path);
}

type DeltaChannelHistory = Awaited<ReturnType<BaseCheckpointSaver["getDeltaChannelHistory"]>>;

/**
 * A LangGraph checkpointer on embedded SQLite (rusqlite), drop-in for `SqliteSaver`. Channel values are
 * stored once per change, growing lists by their new part, and all SQLite work runs off the JS thread.
 * Threads written by `@langchain/langgraph-checkpoint-sqlite` in the same file are read and continued.
 */
export class RustSqliteSaver extends BaseCheckpointSaver {
  readonly path: string;
  private readonly native: SqliteCheckpointStore;
  private readonly store: StoreCalls;
  private readonly tracker: IncrementTracker | undefined;
  private readonly official: OfficialCheckpointSerializer | undefined;
  private readonly writesOrder: WritesOrder;
  private readonly keepEveryValue: boolean;
  /** With keepEveryValue: per thread and namespace, the version of each value the last put stored. */
  private readonly storedVersions = new Map<string, Map<string, string>>();
  private readonly stopRetention: () => void = () => {};

  constructor(path = ":memory:", options: RustSqliteSaverOptions = {}) {
    super(options.serde);
    if (options.layout !== undefined && options.layout !== "compact" && options.layout !== "official") {
      throw new Error(`RustSqliteSaver: layout must be "compact" or "official", got ${JSON.stringify(options.layout)}`);
    }
    this.path = path;
    this.native = new native.SqliteCheckpointStore(path, {
      synchronous: options.synchronous,
      busyTimeoutMs: options.busyTimeoutMs,
      officialLayout: options.layout === "official",
    });
    this.official = options.layout === "official" ? new OfficialCheckpointSerializer(this.serde) : undefined;
    this.writesOrder = this.official ? "official" : "writesSortKey";
    this.keepEveryValue = options.keepEveryValue === true;
    const offThread = options.offThread ?? !isInMemory(path);
    this.store = offThread ? offThreadCalls(this.native) : inlineCalls(this.native);
    this.tracker = options.storeIncrements === false ? undefined : new IncrementTracker();
    if (options.retention) this.stopRetention = scheduleRetention((o) => this.prune(o), options.retention);
  }

  static fromConnString(connString: string, options?: RustSqliteSaverOptions): RustSqliteSaver {
    return new RustSqliteSaver(connString, options);
  }

  /** Closes the database; later calls fail with an error naming the file. */
  close(): void {
    this.stopRetention();
    this.native.close();
  }

  get closed(): boolean {
    return this.native.closed;
  }

  /** @internal The napi store, for the bridges that move other savers' data in and out. */
  get nativeStore(): SqliteCheckpointStore {
    return this.native;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined || threadId === null) return undefined;
    const row = await this.store.getTuple(
      String(threadId),
      String(config.configurable?.checkpoint_ns ?? ""),
      config.configurable?.checkpoint_id ?? null,
    );
    if (!row) return undefined;
    // A run resumes from this tuple: remembering its lists lets the run's next put store only what it appends.
    const remember = this.tracker
      ? (r: typeof row, channel: string, ownerId: string, value: unknown) =>
          this.tracker?.remember(r.threadId, r.checkpointNs, channel, ownerId, value)
      : undefined;
    const tuple = await rowToTuple(this.store, this.serde, row, remember, this.writesOrder);
    if (this.keepEveryValue) this.noteStoredVersions(row.threadId, row.checkpointNs, tuple.checkpoint);
    return tuple;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    const definedFilter = Object.fromEntries(Object.entries(filter ?? {}).filter(([, v]) => v !== undefined));
    const threadId = config.configurable?.thread_id;
    const ns = config.configurable?.checkpoint_ns;
    const request = {
      threadId: threadId === undefined || threadId === null ? undefined : String(threadId),
      checkpointNs: ns === undefined || ns === null ? undefined : String(ns),
      before: before?.configurable?.checkpoint_id as string | undefined,
      filter: Object.keys(definedFilter).length > 0 ? JSON.stringify(definedFilter) : undefined,
    };
    let remaining = limit === undefined || limit === null ? Infinity : Math.max(0, Math.floor(limit));
    // Within one thread and namespace checkpoint ids are unique, so pages can follow each other by id
    // and a long history is never materialized at once; across threads one query answers it all.
    const pageSize = request.threadId !== undefined && request.checkpointNs !== undefined ? LIST_PAGE : undefined;
    while (remaining > 0) {
      const want = pageSize === undefined ? remaining : Math.min(pageSize, remaining);
      const rows = await this.store.list({ ...request, limit: Number.isFinite(want) ? want : undefined });
      for (const row of rows) yield await rowToTuple(this.store, this.serde, row, undefined, this.writesOrder);
      if (pageSize === undefined || rows.length < want) return;
      remaining -= rows.length;
      request.before = rows[rows.length - 1].checkpointId;
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const { threadId, checkpointNs, checkpointId: parentId } = checkpointTarget(config, "put");
    if (this.official) return this.putOfficial(threadId, checkpointNs, parentId, checkpoint, metadata, this.official);
    const changed = Object.keys(newVersions);
    if (this.keepEveryValue) changed.push(...this.valuesTheParentLacks(threadId, checkpointNs, checkpoint, newVersions));
    // Everything is serialized before the first await: LangGraph goes on running (its reducer assigns
    // message ids in place) while a put is pending, and a checkpoint must be stored as it was given.
    const blobs = this.serializeChannels(threadId, checkpointNs, checkpoint, changed, newVersions, true);
    blobs.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const [kind, checkpointBytes, metadataBytes] = await this.withMetadata(
      threadId,
      serializeCheckpointHead(this.serde, { ...checkpoint, channel_values: {} }, `checkpoint of thread "${threadId}"`),
      metadata,
    );
    // With a JSON checkpoint the engine derives the carried channels from its channel_versions.
    const carried = kind === "json" ? [] : Object.keys(checkpoint.channel_versions).filter((c) => !(c in newVersions) && c in checkpoint.channel_values);
    const request: PutRequest = {
      threadId,
      checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId: parentId,
      kind,
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
      blobs: await blobs.catch((error: Error) => {
        throw new Error(`RustSqliteSaver.put: ${error.message}`);
      }),
      carriedChannels: carried,
      carriedVersions: carried.map((c) => String(checkpoint.channel_versions[c])),
      changedChannels: kind === "json" ? changed : undefined,
      valuedChannels: Object.keys(checkpoint.channel_values),
      keepEveryValue: this.keepEveryValue,
    };

    let result = await this.store.put(request);
    if (result.status === "need_values") {
      // Channels the parent cannot supply: stored with their values, or as cleared if they have none.
      const missing = new Set(result.channels);
      request.blobs.push(...(await this.serializeChannels(threadId, checkpointNs, checkpoint, result.channels, checkpoint.channel_versions, false)));
      request.changedChannels = request.changedChannels && [...request.changedChannels, ...result.channels];
      const keep = request.carriedChannels.map((c, i) => [c, request.carriedVersions[i]]).filter(([c]) => !missing.has(c));
      request.carriedChannels = keep.map(([c]) => c);
      request.carriedVersions = keep.map(([, v]) => v);
      result = await this.store.put(request);
    }
    if (result.status === "delta_base_missing") {
      this.tracker?.forgetThread(threadId);
      request.blobs = await this.serializeChannels(threadId, checkpointNs, checkpoint, changed, newVersions, false);
      result = await this.store.put(request);
    }
    if (result.status !== "stored") {
      throw new Error(`RustSqliteSaver.put: thread "${threadId}" could not be stored (${result.status}: ${result.channels.join(", ")})`);
    }
    for (const blob of request.blobs) {
      if (blob.kind === "json") {
        this.tracker?.remember(threadId, checkpointNs, blob.channel, checkpoint.id, checkpoint.channel_values[blob.channel]);
      }
    }
    if (this.keepEveryValue) this.noteStoredVersions(threadId, checkpointNs, checkpoint);
    return checkpointConfig(threadId, checkpointNs, checkpoint.id);
  }

  /**
   * Values the checkpoint holds that `newVersions` does not name and that the last stored checkpoint of
   * this thread did not hold at the same version (unversioned defaults, values LangGraph carried from
   * further back). They are serialized with the changed ones, as they are now: LangGraph mutates
   * messages in place (ids) while a put is pending.
   */
  private valuesTheParentLacks(threadId: string, ns: string, checkpoint: Checkpoint, newVersions: ChannelVersions): string[] {
    const stored = this.storedVersions.get(`${threadId}\u0000${ns}`);
    return Object.keys(checkpoint.channel_values).filter(
      (c) => !(c in newVersions) && (!(c in checkpoint.channel_versions) || stored?.get(c) !== String(checkpoint.channel_versions[c])),
    );
  }

  private noteStoredVersions(threadId: string, ns: string, checkpoint: Checkpoint): void {
    const key = `${threadId}\u0000${ns}`;
    this.storedVersions.delete(key);
    const versions = new Map(Object.keys(checkpoint.channel_values).map((c) => [c, String(checkpoint.channel_versions[c])]));
    this.storedVersions.set(key, versions);
    if (this.storedVersions.size > 4096) this.storedVersions.delete(this.storedVersions.keys().next().value as string);
  }

  private async putOfficial(
    threadId: string,
    checkpointNs: string,
    parentId: string | undefined,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    serializer: OfficialCheckpointSerializer,
  ): Promise<RunnableConfig> {
    const [kind, checkpointBytes, metadataBytes] = await this.withMetadata(
      threadId,
      serializer.serialize(threadId, checkpointNs, checkpoint).then(
        (done) => done ?? serializeValue(this.serde, checkpoint, `checkpoint of thread "${threadId}"`),
      ),
      metadata,
    );
    await this.store.putOfficial({
      threadId,
      checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId: parentId,
      kind,
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
    });
    return checkpointConfig(threadId, checkpointNs, checkpoint.id);
  }

  /** The checkpoint's bytes with the metadata's, which must be serialized as the same kind. */
  private async withMetadata(
    threadId: string,
    checkpointBytes: Promise<[string, Buffer]>,
    metadata: CheckpointMetadata,
  ): Promise<[string, Buffer, Buffer]> {
    const [[kind, checkpoint], [metadataKind, metadataBytes]] = await Promise.all([
      checkpointBytes,
      serializeCheckpointHead(this.serde, metadata, `metadata of thread "${threadId}"`),
    ]).catch((error: Error) => {
      throw new Error(`RustSqliteSaver.put: ${error.message}`);
    });
    if (kind !== metadataKind) {
      throw new Error(`RustSqliteSaver.put: checkpoint serialized as "${kind}" but metadata as "${metadataKind}"`);
    }
    return [kind, checkpoint, metadataBytes];
  }

  private async serializeChannels(
    threadId: string,
    checkpointNs: string,
    checkpoint: Checkpoint,
    channels: string[],
    versions: ChannelVersions,
    allowIncrements: boolean,
  ): Promise<BlobInput[]> {
    const present = channels.filter((c) => Object.prototype.hasOwnProperty.call(checkpoint.channel_values, c));
    return Promise.all(
      present.map(async (channel): Promise<BlobInput> => {
        const value = checkpoint.channel_values[channel];
        const version = String(versions[channel]);
        const plan = allowIncrements ? this.tracker?.plan(threadId, checkpointNs, channel, value) : undefined;
        const what = `channel "${channel}" of thread "${threadId}"`;
        if (plan) {
          const [kind, data] = await serializeValue(this.serde, plan.elements, what);
          if (kind === "json") return { channel, version, kind, data, baseOwnerId: plan.baseOwnerId, increment: plan.increment };
        }
        const [kind, data] = await serializeValue(this.serde, value, what);
        return { channel, version, kind, data };
      }),
    );
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const { threadId, checkpointNs, checkpointId } = checkpointTarget(config, "putWrites");
    if (checkpointId === undefined) {
      throw new Error(`RustSqliteSaver.putWrites: config.configurable.checkpoint_id is missing for thread "${threadId}"`);
    }
    const serialized = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const what = `the write to channel "${channel}" of task "${taskId}" in thread "${threadId}"`;
        const [kind, data] = await serializeValue(this.serde, value, what);
        const idx = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
        return { channel, idx, kind, value: data };
      }),
    ).catch((error: Error) => {
      throw new Error(`RustSqliteSaver.putWrites: ${error.message}`);
    });
    await this.store.putWrites({ threadId, checkpointNs, checkpointId, taskId, taskPath, writes: serialized }, this.official !== undefined);
  }

  async deleteThread(threadId: string): Promise<void> {
    this.tracker?.forgetThread(String(threadId));
    this.official?.forgetThread(String(threadId));
    await this.store.deleteThread(String(threadId));
  }

  /**
   * Removes old checkpoints, their writes and the values nothing references any more, thread by
   * thread. Never removes a namespace's newest checkpoint or anything a thread needs to resume.
   */
  async prune(options: PruneOptions = {}): Promise<PruneReport> {
    const report = await this.native.prune(toNativePruneOptions(options));
    if (options.strategy === "delete") {
      for (const id of options.threadIds ?? []) this.tracker?.forgetThread(id);
    }
    return report;
  }

  /** Rewrites the database file without free pages; returns its size (file + WAL) before and after. */
  async vacuum(): Promise<{ bytesBefore: number; bytesAfter: number }> {
    return this.native.vacuum();
  }

  async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<DeltaChannelHistory> {
    const { config, channels } = options;
    if (channels.length === 0) return {};
    const { threadId, checkpointNs } = checkpointTarget(config, "getDeltaChannelHistory");
    let checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (checkpointId === undefined) {
      checkpointId = (await this.store.getTuple(threadId, checkpointNs, null))?.checkpointId;
    }
    const result: Record<string, { seed?: unknown; writes: unknown[] }> = {};
    if (checkpointId === undefined) {
      for (const ch of channels) result[ch] = { writes: [] };
      return result as DeltaChannelHistory;
    }
    const rows = await this.store.deltaChannelHistory(threadId, checkpointNs, checkpointId, channels);
    for (const row of rows) {
      const entry: { seed?: unknown; writes: unknown[] } = { writes: await loadWrites(this.serde, row.writes) };
      if (row.seed) entry.seed = await this.serde.loadsTyped(row.seed.kind, row.seed.data);
      result[row.channel] = entry;
    }
    return result as DeltaChannelHistory;
  }
}
