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
import type {
  AssembledValueStats,
  BlobInput,
  ChannelHistoryRow,
  ListRequest,
  PutRequest,
  PutResult,
  PutWritesRequest,
  TupleRow,
  VerifiedRow,
} from "@fast-langgraph/native";

import { checkpointConfig, checkpointTarget } from "../checkpoint/config";
import type { CarryProof, ChannelMemory, ChannelMemoryStats, PendingSnapshot } from "../checkpoint/channel-memory";
import { serializeCheckpointHead, serializeValue } from "../checkpoint/serialize";
import { loadTyped } from "../checkpoint/json-plus-copies";
import { UNPROVEN } from "../checkpoint/value-snapshot";
import { keyOrder } from "../checkpoint/channel-order";
import { type OnValueLoaded, type PendingWritesSource, type ReadRules, loadWrites, rowToTuple } from "../checkpoint/tuple";
import type { ValueBytesCache, ValueBytesCacheStats } from "../checkpoint/value-bytes-cache";
import type { DecodedListStats, DecodedLists } from "../checkpoint/decoded-lists";
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

/** The caches a saver keeps in the process, each against its byte bound (see `cacheStats()`). */
export interface SaverCacheStats {
  /** What the saver last stored or loaded per channel, to carry unchanged values and store increments. */
  channelMemory?: ChannelMemoryStats;
  /** Serialized values of a layout that stores every changed value whole (the official layouts). */
  valueBytes?: ValueBytesCacheStats;
  /** The list values getTuple decoded last per thread and channel, whose appended elements alone are decoded next. */
  decodedLists?: DecodedListStats;
  /** RustSqliteSaver: the values the native store last assembled per channel (option `assembledValueBytes`). */
  assembledValues?: AssembledValueStats;
}

/** The byte bounds of a saver's in-process caches (options shared by RustSqliteSaver and RustPostgresSaver). */
export interface SaverCacheOptions {
  /**
   * Most bytes of channel values this saver remembers (what it last stored or loaded per thread and
   * channel, to carry unchanged values and store a grown list as its new part). Least recently used
   * entries go first; a thread that was evicted is stored in full at its next put and remembered again.
   * Default 32 MiB (`DEFAULT_CHANNEL_MEMORY_BYTES`); 0 remembers nothing. `cacheStats().channelMemory`.
   * The official layouts remember what they stored in the value-bytes cache instead (`valueCacheBytes`).
   */
  channelMemoryBytes?: number;
  /**
   * Most bytes of serialized values kept by the official layouts, which store every changed value whole
   * (a list is its previous bytes' leading elements that still match plus the rest serialized now), with
   * their snapshots and element offsets. LRU; default 32 MiB; 0 keeps none. Used only with
   * JsonPlusSerializer's own encoding. `cacheStats().valueBytes`.
   */
  valueCacheBytes?: number;
  /**
   * Most bytes of list values getTuple keeps parsed (default 0: off; opt-in, e.g. 64 MiB): the bytes read,
   * a private copy of each element's JSON parse and the elements' shadows, counted as V8 keeps them.
   * The next read of the same or a grown list UTF-8 decodes and parses only its new elements; every
   * element is then revived from a fresh copy of its parse by the same code as a fresh decode
   * (constructors, getters and aliases run on every read). LRU. Used with LangGraph's
   * JsonPlusSerializer only. `cacheStats().decodedLists`.
   */
  decodedListBytes?: number;
}

/** A byte bound from an option: a finite number >= 0, else an error naming the option. */
export function byteBound(saver: string, option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${saver}: ${option} must be a finite number of bytes >= 0, got ${String(value)}`);
  }
  return value;
}

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
  /** What this process last stored or loaded per channel: increments and carrying, proven exact. */
  protected memory: ChannelMemory | undefined;
  /** Whether lists are stored as increments of the remembered ones (option storeIncrements). */
  protected storeIncrements = true;
  /** For layouts that store changed values whole: grown lists spliced from their previous bytes. */
  protected valueBytes: ValueBytesCache | undefined;
  /** What getTuple decoded last per list channel (rows read per channel; not the official SQLite layout): new elements decoded, the rest copied. */
  protected decodedLists: DecodedLists | undefined;
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
  /** A value clashing with one stored under the same (channel, version) leaves it and the put stores (PostgresSaver's rows). */
  protected keepStoredOnClash = false;
  /** Channels newVersions names without a value are stored as "empty" (the official PostgresSaver's rows). */
  protected storeEmptyValues = false;
  /**
   * "proven": a channel newVersions does not name is carried only when proven unchanged, else stored
   * (our layouts: a checkpoint reads back as it was given). "official": what newVersions names is
   * stored, the rest is the official PostgresSaver's rows' business (its layout, its semantics).
   */
  protected carryRule: "proven" | "official" = "proven";
  /** Store values the checkpoint holds for channels without a version (defaults, untracked values). */
  protected storeUnversionedValues = true;

  /** The checkpoint as stored without its values: `channel_values` keeps only its keys, in order (tuple.ts). */
  protected checkpointHead(checkpoint: Checkpoint): object {
    return { ...checkpoint, channel_values: keyOrder(checkpoint.channel_values) };
  }

  /** The caches this saver keeps in the process: entries and bytes held, against their bounds. */
  cacheStats(): SaverCacheStats {
    return { channelMemory: this.memory?.stats(), valueBytes: this.valueBytes?.stats(), decodedLists: this.decodedLists?.stats() };
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id;
    if (threadId === undefined || threadId === null) return undefined;
    const row = await this.calls.getTuple(
      String(threadId),
      String(config.configurable?.checkpoint_ns ?? ""),
      config.configurable?.checkpoint_id ?? null,
    );
    this.memory?.inStep(row?.dataVersion);
    if (!row) return undefined;
    // A run resumes from this tuple: remembering its values (as snapshots, before anyone holds them) lets
    // the run's next put carry what it did not change and store only what it appends. Only while the
    // memory is still in step with the version the row was read at (a serde may await while decoding,
    // and another call answer at a newer one meanwhile).
    const memory = this.memory;
    const readAt = row.dataVersion ?? undefined;
    const remember: OnValueLoaded | undefined = memory
      ? (r, channel, ownerId, value, version, data, parts, rowToken) => {
          if (readAt !== undefined && memory.dataVersion !== readAt) return;
          memory.remember(r.threadId, r.checkpointNs, channel, version, ownerId, value, data, parts, rowToken);
        }
      : undefined;
    const tuple = await rowToTuple(this.calls, this.serde, row, this.readRules, remember, this.decodedLists);
    if (this.readRules.callerConfig && config.configurable?.checkpoint_id) tuple.config = config;
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
    newVersions?: ChannelVersions,
  ): Promise<RunnableConfig> {
    const { threadId, checkpointNs, checkpointId: parentId } = checkpointTarget(config, "put", this.label);
    // MemorySaver's own put takes three arguments (subclasses call super.put that way): no new versions.
    const named = newVersions ?? {};
    const memoryDataVersion = this.memory?.dataVersion;
    const { changed, verified: proofs, unknown } = this.classifyChannels(threadId, checkpointNs, checkpoint, named);
    const verified = [...proofs.keys()];
    // What each vouched value was proven against now: the engine may still ask for it (its row changed).
    const proven = new Map<string, PendingSnapshot>([...proofs].map(([channel, proof]) => [channel, proof.snapshot]));
    // Everything is serialized (and snapshotted) before the first await: LangGraph and node code go on
    // running while a put is pending (the reducer assigns message ids in place, nodes push into state),
    // and a checkpoint must be stored as it was given.
    const pending = new Map<string, PendingSnapshot>();
    const blobs = this.serializeChannels(threadId, checkpointNs, checkpoint, named, changed, pending, true);
    const eager = new Map<string, Promise<BlobInput[]>>();
    for (const channel of unknown) {
      const blob = this.serializeChannels(threadId, checkpointNs, checkpoint, named, [channel], pending, false);
      blob.catch(() => {});
      eager.set(channel, blob);
    }
    blobs.catch(() => {}); // awaited below; this only keeps an early failure from being reported as unhandled
    const [kind, checkpointBytes, metadataBytes] = await this.withMetadata(
      threadId,
      serializeCheckpointHead(this.serde, this.checkpointHead(checkpoint), `checkpoint of thread "${threadId}"`),
      metadata,
    );
    const changedSet = new Set(changed);
    // With a JSON checkpoint the engine derives the carried channels from its channel_versions.
    const carried =
      kind === "json" ? [] : Object.keys(checkpoint.channel_versions).filter((c) => !changedSet.has(c) && c in checkpoint.channel_values);
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
      verifiedChannels: this.memory && this.carryRule === "proven" ? verified : undefined,
      verifiedRows: this.memory && this.carryRule === "proven" ? NativeCheckpointSaver.verifiedRows(proofs) : undefined,
      keepEveryValue: this.keepEveryValue,
      keepStoredOnClash: this.keepStoredOnClash || undefined,
      memoryDataVersion,
    };

    // At most one answer of each kind per cause: carried values asked for (the parent lacks them, or the
    // memory they were vouched from is out of step), then increments refused; a bound, not a loop.
    let result = await this.calls.put(request);
    this.memory?.inStep(result.dataVersion);
    for (let attempt = 0; result.status !== "stored" && attempt < 4; attempt++) {
      if (result.status === "need_values") {
        // Channels the engine cannot carry over: stored with their values as they were at put time, or
        // as cleared if they have none.
        const missing = new Set(result.channels);
        request.blobs.push(...(await this.lateBlobs(threadId, checkpointNs, checkpoint, named, result.channels, eager, pending, proven)));
        request.changedChannels = request.changedChannels && [...request.changedChannels, ...result.channels];
        request.verifiedChannels = request.verifiedChannels?.filter((c) => !missing.has(c));
        request.verifiedRows = request.verifiedRows?.filter((r) => !missing.has(r.channel));
        const keep = request.carriedChannels.map((c, i) => [c, request.carriedVersions[i]]).filter(([c]) => !missing.has(c));
        request.carriedChannels = keep.map(([c]) => c);
        request.carriedVersions = keep.map(([, v]) => v);
      } else if (result.status === "delta_base_missing") {
        // The increments' base is gone (deleted, written elsewhere, or not provably the one remembered):
        // store those values whole, as they were when put was called (their snapshots tell it, or the
        // put fails with nothing written).
        const increments = request.blobs.filter((b) => b.baseOwnerId !== undefined && b.baseOwnerId !== null);
        const asWas: Record<string, unknown> = {};
        for (const blob of increments) {
          const value = pending.get(blob.channel)?.asWas(checkpoint.channel_values[blob.channel]) ?? UNPROVEN;
          if (value === UNPROVEN) {
            throw new Error(
              `${this.label}.put: channel "${blob.channel}" of thread "${threadId}" changed while its put was pending, ` +
                "and the value its increment extends was removed meanwhile; nothing was written",
            );
          }
          asWas[blob.channel] = value;
        }
        this.memory?.forgetThread(threadId);
        this.decodedLists?.forgetThread(threadId);
        const whole = await this.serializeChannels(
          threadId,
          checkpointNs,
          { ...checkpoint, channel_values: { ...checkpoint.channel_values, ...asWas } },
          named,
          increments.map((b) => b.channel),
          pending,
          false,
        );
        request.blobs = [...request.blobs.filter((b) => b.baseOwnerId === undefined || b.baseOwnerId === null), ...whole];
      } else break;
      result = await this.calls.put(request);
      this.memory?.inStep(result.dataVersion);
    }
    if (result.status !== "stored") {
      throw new Error(`${this.label}.put: thread "${threadId}" could not be stored (${result.status}: ${result.channels.join(", ")})`);
    }
    for (const blob of request.blobs) {
      const snapshot = pending.get(blob.channel);
      if (blob.kind === "json" && snapshot)
        this.memory?.commit(threadId, checkpointNs, blob.channel, blob.version, checkpoint.id, snapshot, result.rowTokens?.[blob.channel]);
      else this.memory?.forget(threadId, checkpointNs, blob.channel);
    }
    return checkpointConfig(threadId, checkpointNs, checkpoint.id);
  }

  /**
   * The rows the memory's verified values came from: the store vouches for a channel only where the
   * parent references that very row (and, with row tokens, the row still has its token). A channel the
   * memory has no row for is left out, so not verified.
   */
  private static verifiedRows(proofs: Map<string, CarryProof>): VerifiedRow[] {
    const rows: VerifiedRow[] = [];
    for (const [channel, { row }] of proofs) if (row) rows.push({ channel, ...row });
    return rows;
  }

  /**
   * Which values a put must store and which it may carry over by reference. Stored: every channel
   * `newVersions` names; values of channels without a version (when the layout keeps them); values
   * that provably changed since this process stored or loaded them at the same version (node code
   * mutated them in place); and, for savers that keep every value (MemorySaver's semantics), every value
   * not proven unchanged. Verified: channels proven unchanged, which the engine carries, with what they
   * were proven against. The rest are unknown to this process: the engine carries them only from what
   * it can prove, else asks for them.
   */
  private classifyChannels(
    threadId: string,
    ns: string,
    checkpoint: Checkpoint,
    newVersions: ChannelVersions,
  ): { changed: string[]; verified: Map<string, CarryProof>; unknown: string[] } {
    const changed = Object.keys(newVersions);
    const verified = new Map<string, CarryProof>();
    const unknown: string[] = [];
    if (this.memory === undefined || this.carryRule === "official") {
      // Layouts that follow the official PostgresSaver's rows store what newVersions names, as it does.
      return { changed, verified, unknown };
    }
    for (const channel of Object.keys(checkpoint.channel_values)) {
      if (Object.hasOwn(newVersions, channel)) continue;
      if (!Object.hasOwn(checkpoint.channel_versions, channel)) {
        if (!this.storeUnversionedValues && !this.keepEveryValue) continue;
        // Carried (under the version "undefined") only when proven unchanged; else stored.
        const proof = this.memory?.prove(threadId, ns, channel, "undefined", checkpoint.channel_values[channel]);
        if (proof) verified.set(channel, proof);
        else changed.push(channel);
        continue;
      }
      const version = String(checkpoint.channel_versions[channel]);
      const proof = this.memory?.prove(threadId, ns, channel, version, checkpoint.channel_values[channel]);
      if (proof) verified.set(channel, proof);
      else if (proof === false || this.keepEveryValue) changed.push(channel);
      else unknown.push(channel);
    }
    return { changed, verified, unknown };
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

  /** The version a value is stored under: the new one, else the checkpoint's (or "undefined"). */
  private static versionOf(checkpoint: Checkpoint, newVersions: ChannelVersions, channel: string): string {
    return String(Object.hasOwn(newVersions, channel) ? newVersions[channel] : checkpoint.channel_versions[channel]);
  }

  /**
   * Serializes the given channels' values as they are now, recording in `pending` the snapshot of each
   * (what the memory learns once the put is stored). With `allowIncrements`, a list the memory holds a
   * proven prefix of is serialized as its increment.
   */
  private serializeChannels(
    threadId: string,
    checkpointNs: string,
    checkpoint: Checkpoint,
    newVersions: ChannelVersions,
    channels: string[],
    pending: Map<string, PendingSnapshot>,
    allowIncrements: boolean,
  ): Promise<BlobInput[]> {
    const has = (c: string) => Object.hasOwn(checkpoint.channel_values, c);
    const version = (c: string) => NativeCheckpointSaver.versionOf(checkpoint, newVersions, c);
    const empty: BlobInput[] = this.storeEmptyValues
      ? channels.filter((c) => !has(c)).map((channel) => ({ channel, version: version(channel), kind: "empty", data: Buffer.alloc(0) }))
      : [];
    const values = Promise.all(
      channels.filter(has).map(async (channel): Promise<BlobInput> => {
        const value = checkpoint.channel_values[channel];
        const what = `channel "${channel}" of thread "${threadId}"`;
        const plan = allowIncrements && this.storeIncrements ? this.memory?.plan(threadId, checkpointNs, channel, value) : undefined;
        if (plan) {
          pending.set(channel, plan.snapshot);
          const [kind, data] = await serializeValue(this.serde, plan.elements, what);
          if (kind === "json") {
            return {
              channel,
              version: version(channel),
              kind,
              data,
              baseOwnerId: plan.baseOwnerId,
              increment: plan.increment,
              baseRowToken: plan.baseRowToken,
            };
          }
          // A serde that does not write JSON cannot store increments: the whole value, as it was.
          if (!plan.snapshot.matches(value)) throw new Error(`cannot serialize ${what}: it changed while its put was pending`);
        }
        // A layout that stores values whole serializes through its cache, whose snapshots stand in for the memory's.
        const cache = this.valueBytes?.active ? this.valueBytes : undefined;
        if (this.memory && !cache) pending.set(channel, this.memory.capture(value));
        const [kind, data] = await (cache
          ? cache.serialize(threadId, checkpointNs, channel, version(channel), value)
          : serializeValue(this.serde, value, what));
        return { channel, version: version(channel), kind, data };
      }),
    );
    return values.then((v) => [...v, ...empty]);
  }

  /**
   * The blobs of channels the engine could not carry, as they were when put was called: values this
   * process could not vouch for were serialized then (`eager`); a value it had verified unchanged is
   * serialized now if it still matches its snapshot. One changed in place since cannot be stored as it
   * was given, and fails the put with nothing written.
   */
  private async lateBlobs(
    threadId: string,
    checkpointNs: string,
    checkpoint: Checkpoint,
    newVersions: ChannelVersions,
    channels: string[],
    eager: Map<string, Promise<BlobInput[]>>,
    pending: Map<string, PendingSnapshot>,
    proven: Map<string, PendingSnapshot>,
  ): Promise<BlobInput[]> {
    const out: BlobInput[] = [];
    const now: string[] = [];
    const asWas: Record<string, unknown> = {};
    for (const channel of channels) {
      const early = eager.get(channel);
      if (early) out.push(...(await early));
      else now.push(channel);
    }
    for (const channel of now) {
      if (!Object.hasOwn(checkpoint.channel_values, channel)) continue;
      const version = NativeCheckpointSaver.versionOf(checkpoint, newVersions, channel);
      const value = checkpoint.channel_values[channel];
      const vouched = proven.get(channel);
      if (vouched) {
        // Proven unchanged when put was called: what it was then, or nothing written.
        const was = vouched.asWas(value);
        if (was === UNPROVEN) {
          throw new Error(
            `${this.label}.put: channel "${channel}" of thread "${threadId}" changed while its put was pending, and its stored value ` +
              "could not be carried over (rewritten or removed meanwhile); nothing was written",
          );
        }
        asWas[channel] = was;
        continue;
      }
      // Unknown (the layout stores only what newVersions names, or the memory let it go): as it is now.
      const same =
        this.memory?.isUnchanged(threadId, checkpointNs, channel, version, value) ??
        this.valueBytes?.isUnchanged(threadId, checkpointNs, channel, version, value);
      if (same === false) {
        throw new Error(
          `${this.label}.put: channel "${channel}" of thread "${threadId}" changed while its put was pending, and its stored value ` +
            "could not be carried over (removed meanwhile); nothing was written",
        );
      }
    }
    const asItWas = { ...checkpoint, channel_values: { ...checkpoint.channel_values, ...asWas } };
    out.push(...(await this.serializeChannels(threadId, checkpointNs, asItWas, newVersions, now, pending, false)));
    return out;
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
    this.memory?.forgetThread(String(threadId));
    this.decodedLists?.forgetThread(String(threadId));
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
      if (row.seed) entry.seed = await loadTyped(this.serde, row.seed.kind, row.seed.data);
      result[row.channel] = entry;
    }
    return result as DeltaChannelHistory;
  }
}
