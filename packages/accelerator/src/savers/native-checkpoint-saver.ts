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
} from "@langchain/langgraph-checkpoint";
import type { BlobInput, ChannelHistoryRow, ListRequest, PutRequest, PutResult, PutWritesRequest, TupleRow } from "@fast-langgraph/native";

import { checkpointConfig, checkpointTarget } from "../checkpoint/config";
import type { IncrementTracker } from "../checkpoint/increment-tracker";
import { serializeCheckpointHead, serializeValue } from "../checkpoint/serialize";
import { type PendingWritesSource, type ReadRules, loadWrites, rowToTuple } from "../checkpoint/tuple";
import type { ValueBytesCache } from "../checkpoint/value-bytes-cache";
import { type ListRule, listLimit } from "./list-limit";

/** A native store's operations as promises, in the shape the savers share. */
export interface CheckpointStoreCalls extends PendingWritesSource {
  put(req: PutRequest): Promise<PutResult>;
  putWrites(req: PutWritesRequest): Promise<void>;
  getTuple(threadId: string, checkpointNs: string, checkpointId: string | null): Promise<TupleRow | null>;
  list(req: ListRequest): Promise<TupleRow[]>;
  deleteThread(threadId: string): Promise<void>;
  deltaChannelHistory(threadId: string, checkpointNs: string, checkpointId: string, channels: string[]): Promise<ChannelHistoryRow[]>;
}

const LIST_PAGE = 32;

type DeltaChannelHistory = Awaited<ReturnType<BaseCheckpointSaver["getDeltaChannelHistory"]>>;

/**
 * What RustSqliteSaver and RustPostgresSaver share: a checkpoint is stored as its head (no values) plus
 * the values of the channels that changed, growing lists as increments of the value stored before; the
 * native store carries unchanged channels over from the parent, and asks for values it cannot carry.
 */
export abstract class NativeCheckpointSaver extends BaseCheckpointSaver {
  /** The saver's name, for messages. */
  protected abstract readonly label: string;
  protected abstract readonly calls: CheckpointStoreCalls;
  protected tracker: IncrementTracker | undefined;
  /** For layouts that store changed values whole: grown lists spliced from their previous bytes. */
  protected valueBytes: ValueBytesCache | undefined;
  /** The order pending writes come back in, and how pre-v4 checkpoints get their pending sends. */
  protected readRules: ReadRules = { writesOrder: "writesSortKey", pendingSends: "always" };
  /** Store every value a checkpoint holds, not only changed ones (MemorySaver's semantics). */
  protected keepEveryValue = false;
  /**
   * What a pending write does when its (task, idx) is stored: "allSpecial" (SqliteSaver's and
   * PostgresSaver's rule) or "eachSpecial" (MemorySaver's); see `PutWritesRequest.conflict`.
   */
  protected writesConflict: "allSpecial" | "eachSpecial" = "allSpecial";
  /** Which official saver's reading of odd `list` limits (NaN, negative, fractional, strings) to follow. */
  protected listRule: ListRule = "sqliteSaver";
  /** Channels newVersions names without a value are stored as "empty" (the official PostgresSaver's rows). */
  protected storeEmptyValues = false;
  /** With keepEveryValue: per thread and namespace, the version of each value the last put stored. */
  private readonly storedVersions = new Map<string, Map<string, string>>();

  /** The checkpoint as stored without its values. */
  protected checkpointHead(checkpoint: Checkpoint): object {
    return { ...checkpoint, channel_values: {} };
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined || threadId === null) return undefined;
    const row = await this.calls.getTuple(
      String(threadId),
      String(config.configurable?.checkpoint_ns ?? ""),
      config.configurable?.checkpoint_id ?? null,
    );
    if (!row) return undefined;
    // A run resumes from this tuple: remembering its lists lets the run's next put store only what it appends.
    const remember = this.tracker
      ? (r: TupleRow, channel: string, ownerId: string, value: unknown) =>
          this.tracker?.remember(r.threadId, r.checkpointNs, channel, ownerId, value)
      : undefined;
    const tuple = await rowToTuple(this.calls, this.serde, row, this.readRules, remember);
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
    let remaining = listLimit(this.listRule, limit, this.label);
    // Within one thread and namespace checkpoint ids are unique, so pages can follow each other by id
    // and a long history is never materialized at once; across threads one query answers it all.
    const pageSize = request.threadId !== undefined && request.checkpointNs !== undefined ? LIST_PAGE : undefined;
    while (remaining > 0) {
      const want = pageSize === undefined ? remaining : Math.min(pageSize, remaining);
      const rows = await this.calls.list({ ...request, limit: Number.isFinite(want) ? want : undefined });
      for (const row of rows) yield await rowToTuple(this.calls, this.serde, row, this.readRules);
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
    const { threadId, checkpointNs, checkpointId: parentId } = checkpointTarget(config, "put", this.label);
    const changed = Object.keys(newVersions);
    if (this.keepEveryValue) changed.push(...this.valuesTheParentLacks(threadId, checkpointNs, checkpoint, newVersions));
    // Everything is serialized before the first await: LangGraph goes on running (its reducer assigns
    // message ids in place) while a put is pending, and a checkpoint must be stored as it was given.
    const blobs = this.serializeChannels(threadId, checkpointNs, checkpoint, changed, newVersions, true);
    blobs.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const [kind, checkpointBytes, metadataBytes] = await this.withMetadata(
      threadId,
      serializeCheckpointHead(this.serde, this.checkpointHead(checkpoint), `checkpoint of thread "${threadId}"`),
      metadata,
    );
    // With a JSON checkpoint the engine derives the carried channels from its channel_versions.
    const carried =
      kind === "json" ? [] : Object.keys(checkpoint.channel_versions).filter((c) => !(c in newVersions) && c in checkpoint.channel_values);
    const request: PutRequest = {
      threadId,
      checkpointNs,
      checkpointId: checkpoint.id,
      parentCheckpointId: parentId,
      kind,
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
      blobs: await blobs.catch((error: Error) => {
        throw new Error(`${this.label}.put: ${error.message}`);
      }),
      carriedChannels: carried,
      carriedVersions: carried.map((c) => String(checkpoint.channel_versions[c])),
      changedChannels: kind === "json" ? changed : undefined,
      valuedChannels: Object.keys(checkpoint.channel_values),
      keepEveryValue: this.keepEveryValue,
    };

    let result = await this.calls.put(request);
    if (result.status === "need_values") {
      // Channels the parent cannot supply: stored with their values, or as cleared if they have none.
      const missing = new Set(result.channels);
      request.blobs.push(
        ...(await this.serializeChannels(threadId, checkpointNs, checkpoint, result.channels, checkpoint.channel_versions, false)),
      );
      request.changedChannels = request.changedChannels && [...request.changedChannels, ...result.channels];
      const keep = request.carriedChannels.map((c, i) => [c, request.carriedVersions[i]]).filter(([c]) => !missing.has(c));
      request.carriedChannels = keep.map(([c]) => c);
      request.carriedVersions = keep.map(([, v]) => v);
      result = await this.calls.put(request);
    }
    if (result.status === "delta_base_missing") {
      this.tracker?.forgetThread(threadId);
      request.blobs = await this.serializeChannels(threadId, checkpointNs, checkpoint, changed, newVersions, false);
      result = await this.calls.put(request);
    }
    if (result.status !== "stored") {
      throw new Error(`${this.label}.put: thread "${threadId}" could not be stored (${result.status}: ${result.channels.join(", ")})`);
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

  /** The checkpoint's bytes with the metadata's, which must be serialized as the same kind. */
  protected async withMetadata(
    threadId: string,
    checkpointBytes: Promise<[string, Buffer]>,
    metadata: CheckpointMetadata,
  ): Promise<[string, Buffer, Buffer]> {
    const [[kind, checkpoint], [metadataKind, metadataBytes]] = await Promise.all([
      checkpointBytes,
      serializeCheckpointHead(this.serde, metadata, `metadata of thread "${threadId}"`),
    ]).catch((error: Error) => {
      throw new Error(`${this.label}.put: ${error.message}`);
    });
    if (kind !== metadataKind) {
      throw new Error(`${this.label}.put: checkpoint serialized as "${kind}" but metadata as "${metadataKind}"`);
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
    const has = (c: string) => Object.hasOwn(checkpoint.channel_values, c);
    const empty: BlobInput[] = this.storeEmptyValues
      ? channels
          .filter((c) => !has(c))
          .map((channel) => ({ channel, version: String(versions[channel]), kind: "empty", data: Buffer.alloc(0) }))
      : [];
    const values = await Promise.all(
      channels.filter(has).map(async (channel): Promise<BlobInput> => {
        const value = checkpoint.channel_values[channel];
        const version = String(versions[channel]);
        const plan = allowIncrements ? this.tracker?.plan(threadId, checkpointNs, channel, value) : undefined;
        const what = `channel "${channel}" of thread "${threadId}"`;
        if (plan) {
          const [kind, data] = await serializeValue(this.serde, plan.elements, what);
          if (kind === "json") return { channel, version, kind, data, baseOwnerId: plan.baseOwnerId, increment: plan.increment };
        }
        const spliced = await this.valueBytes?.bytes(threadId, checkpointNs, channel, version, value);
        if (spliced) return { channel, version, kind: "json", data: spliced };
        const [kind, data] = await serializeValue(this.serde, value, what);
        return { channel, version, kind, data };
      }),
    );
    return [...values, ...empty];
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const { threadId, checkpointNs, checkpointId } = checkpointTarget(config, "putWrites", this.label);
    if (checkpointId === undefined) {
      throw new Error(`${this.label}.putWrites: config.configurable.checkpoint_id is missing for thread "${threadId}"`);
    }
    const serialized = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const what = `the write to channel "${channel}" of task "${taskId}" in thread "${threadId}"`;
        const [kind, data] = await serializeValue(this.serde, value, what);
        const idx = (WRITES_IDX_MAP as Record<string, number>)[channel] ?? i;
        return { channel, idx, kind, value: data };
      }),
    ).catch((error: Error) => {
      throw new Error(`${this.label}.putWrites: ${error.message}`);
    });
    await this.calls.putWrites({
      threadId,
      checkpointNs,
      checkpointId,
      taskId,
      taskPath,
      writes: serialized,
      conflict: this.writesConflict,
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    this.tracker?.forgetThread(String(threadId));
    this.valueBytes?.forgetThread(String(threadId));
    await this.calls.deleteThread(String(threadId));
  }

  async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<DeltaChannelHistory> {
    const { config, channels } = options;
    if (channels.length === 0) return {};
    const { threadId, checkpointNs } = checkpointTarget(config, "getDeltaChannelHistory", this.label);
    let checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (checkpointId === undefined) {
      checkpointId = (await this.calls.getTuple(threadId, checkpointNs, null))?.checkpointId;
    }
    const result: Record<string, { seed?: unknown; writes: unknown[] }> = {};
    if (checkpointId === undefined) {
      for (const ch of channels) result[ch] = { writes: [] };
      return result as DeltaChannelHistory;
    }
    const rows = await this.calls.deltaChannelHistory(threadId, checkpointNs, checkpointId, channels);
    for (const row of rows) {
      const entry: { seed?: unknown; writes: unknown[] } = { writes: await loadWrites(this.serde, row.writes) };
      if (row.seed) entry.seed = await this.serde.loadsTyped(row.seed.kind, row.seed.data);
      result[row.channel] = entry;
    }
    return result as DeltaChannelHistory;
  }
}
