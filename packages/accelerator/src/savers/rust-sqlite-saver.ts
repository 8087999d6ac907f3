import type { RunnableConfig } from "@langchain/core/runnables";
import type { ChannelVersions, Checkpoint, CheckpointMetadata, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { SqliteCheckpointStore } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { DecodedLists } from "../checkpoint/decoded-lists";
import { ChannelMemory } from "../checkpoint/channel-memory";
import { checkpointConfig, checkpointTarget } from "../checkpoint/config";
import {
  NativeCheckpointSaver,
  type CheckpointStoreCalls,
  type SaverCacheOptions,
  type SaverCacheStats,
  byteBound,
} from "./native-checkpoint-saver";
import { type PruneOptions, type PruneReport, type RetentionOptions, scheduleRetention, toNativePruneOptions } from "./retention";
import { OfficialCheckpointSerializer } from "../checkpoint/official-checkpoint";
import { serializeValue } from "../checkpoint/serialize";
import { type KeyCodec, keyCodec, keyedCalls } from "./key-boundary";
import { inlineCalls, offThreadCalls, type StoreCalls } from "./store-calls";
import { SQLITE_VALUE_BYTES, checkPutBytes, checkWritesBytes } from "./value-limit";

export interface RustSqliteSaverOptions extends SaverCacheOptions {
  /** Serializer for checkpoints, metadata, channel values and writes (default: LangGraph's JsonPlusSerializer). */
  serde?: SerializerProtocol;
  /**
   * @internal What error messages call this saver (default "RustSqliteSaver"): the stores behind a
   * patched MemorySaver or SqliteSaver say "MemorySaver"/"SqliteSaver", the class the application called.
   */
  errorLabel?: string;
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
   * returns exactly the checkpoint `put` was given, and its pending-writes rule (each write to a special
   * channel replaces the stored one). Default false (values are stored when they change; pending writes
   * follow SqliteSaver: a batch replaces stored writes only when all its writes go to special channels).
   */
  keepEveryValue?: boolean;
  /** Prune in the background on a schedule (off the JavaScript thread for files). */
  retention?: RetentionOptions;
  /**
   * Most bytes of channel values getTuple keeps assembled in the native store: per thread, namespace
   * and channel, the last value read of a list stored as increments, so that the next read of the
   * grown list reads only the rows stored since (a 1,000-message thread is a chain of about a
   * thousand rows: 2.55 ms per native read, 0.38 ms with this, `benchmarks/decoded-lists.bench.mjs`). Entries are
   * dropped by deleteThread, prune, vacuum, a put storing a checkpoint again, and any commit by another
   * connection to the file. LRU; default 32 MiB; 0 keeps none. `cacheStats().assembledValues`.
   */
  assembledValueBytes?: number;
}

function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "" || /^file::memory:|[?&]mode=memory\b/.test(path);
}

/**
 * A LangGraph checkpointer on embedded SQLite (rusqlite), drop-in for `SqliteSaver`. Channel values are
 * stored once per change, growing lists by their new part, and all SQLite work runs off the JS thread.
 * Threads written by `@langchain/langgraph-checkpoint-sqlite` in the same file are read and continued.
 */
export class RustSqliteSaver extends NativeCheckpointSaver {
  readonly path: string;
  protected readonly label: string;
  protected readonly calls: CheckpointStoreCalls;
  private readonly native: SqliteCheckpointStore;
  private readonly store: StoreCalls;
  private readonly official: OfficialCheckpointSerializer | undefined;
  private readonly keys: KeyCodec;
  private readonly stopRetention: () => void = () => {};

  constructor(path = ":memory:", options: RustSqliteSaverOptions = {}) {
    super(options.serde);
    this.label = options.errorLabel ?? "RustSqliteSaver";
    if (options.layout !== undefined && options.layout !== "compact" && options.layout !== "official") {
      throw new Error(`RustSqliteSaver: layout must be "compact" or "official", got ${JSON.stringify(options.layout)}`);
    }
    this.path = path;
    this.native = new (requireNative("RustSqliteSaver").SqliteCheckpointStore)(path, {
      synchronous: options.synchronous,
      busyTimeoutMs: options.busyTimeoutMs,
      officialLayout: options.layout === "official",
      // The official layout stores every value inline: nothing to assemble.
      assembledValueBytes: options.layout === "official" ? 0 : byteBound(this.label, "assembledValueBytes", options.assembledValueBytes),
    });
    const valueCacheBytes = byteBound(this.label, "valueCacheBytes", options.valueCacheBytes);
    const channelMemoryBytes = byteBound(this.label, "channelMemoryBytes", options.channelMemoryBytes);
    this.official = options.layout === "official" ? new OfficialCheckpointSerializer(() => this.serde, valueCacheBytes) : undefined;
    this.readRules = {
      writesOrder: this.official ? "official" : "writesSortKey",
      pendingSends: "always",
      callerConfig: true,
      plainBytes: true,
    };
    this.keepEveryValue = options.keepEveryValue === true;
    // MemorySaver's semantics include its rule for a replayed batch (each special write replaces);
    // otherwise SqliteSaver's (a batch replaces only when all its writes are special).
    this.writesConflict = this.keepEveryValue ? "eachSpecial" : "allSpecial";
    const offThread = options.offThread ?? !isInMemory(path);
    this.store = offThread ? offThreadCalls(this.native) : inlineCalls(this.native);
    const official = this.official !== undefined;
    // Our layout encodes keys losslessly; the official one is shared with SqliteSaver, which would merge
    // keys that differ only in lone surrogates, so such keys are refused there.
    this.keys = keyCodec(official ? { store: "SQLite", allowNul: true } : "encode", this.label);
    const keyed = keyedCalls({ ...this.store, putWrites: (req) => this.store.putWrites(req, official) }, this.keys);
    // Checked before the keys are encoded, so the message names the thread as given.
    this.calls = {
      ...keyed,
      put: (req) => {
        checkPutBytes(this.label, req, SQLITE_VALUE_BYTES);
        return keyed.put(req);
      },
      putWrites: (req) => {
        checkWritesBytes(this.label, req, SQLITE_VALUE_BYTES);
        return keyed.putWrites(req);
      },
    };
    this.decodedLists = new DecodedLists(byteBound(this.label, "decodedListBytes", options.decodedListBytes));
    this.memory = new ChannelMemory(channelMemoryBytes);
    this.storeIncrements = options.storeIncrements !== false;
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

  cacheStats(): SaverCacheStats {
    return {
      ...super.cacheStats(),
      valueBytes: this.official?.stats(),
      assembledValues: this.official ? undefined : this.native.assembledValues,
    };
  }

  /**
   * Calls queued to or running on the writer thread. An in-memory database runs its calls inline (0 here)
   * except while a `vacuum()` is queued or running: calls made then are queued behind it.
   */
  get queuedCalls(): number {
    return this.native.queuedCalls;
  }

  get closed(): boolean {
    return this.native.closed;
  }

  /**
   * Bytes an in-memory database (":memory:", and every patched MemorySaver's store) holds: its pages,
   * allocated in 64 KiB chunks; SQLite's page cache above them is bounded by `PRAGMA cache_size`.
   * Falls when a prune or `vacuum()` shortens the database. `null` for a file (see its size on disk).
   */
  get memoryBytes(): number | null {
    return this.native.memoryBytes;
  }

  /** @internal The napi store, for the bridges that move other savers' data in and out. */
  get nativeStore(): SqliteCheckpointStore {
    return this.native;
  }

  // Not async: our layout's put is the shared one, handed on without another promise and await.
  put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (!this.official) return super.put(config, checkpoint, metadata, newVersions);
    return this.putOfficialFrom(config, checkpoint, metadata, this.official);
  }

  private async putOfficialFrom(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    serializer: OfficialCheckpointSerializer,
  ): Promise<RunnableConfig> {
    const { threadId, checkpointNs, checkpointId: parentId } = checkpointTarget(config, "put");
    return this.putOfficial(threadId, checkpointNs, parentId, checkpoint, metadata, serializer);
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
      serializer.serialize(threadId, checkpointNs, checkpoint),
      metadata,
    );
    await this.store.putOfficial({
      threadId: this.keys.key(threadId, "thread_id"),
      checkpointNs: this.keys.key(checkpointNs, "checkpoint_ns"),
      checkpointId: this.keys.key(checkpoint.id, "checkpoint_id"),
      parentCheckpointId: this.keys.optionalKey(parentId, "parent checkpoint_id"),
      kind,
      checkpoint: checkpointBytes,
      metadata: metadataBytes,
    });
    return checkpointConfig(threadId, checkpointNs, checkpoint.id);
  }

  async deleteThread(threadId: string): Promise<void> {
    this.official?.forgetThread(String(threadId));
    await super.deleteThread(threadId);
  }

  /**
   * Removes old checkpoints, their writes and the values nothing references any more, thread by
   * thread. Never removes a namespace's newest checkpoint or anything a thread needs to resume.
   */
  async prune(options: PruneOptions = {}): Promise<PruneReport> {
    const threadIds = options.threadIds?.map((id) => this.keys.key(String(id), "thread_id"));
    const nativeOptions = toNativePruneOptions({ ...options, threadIds });
    const report = await this.store.prune(nativeOptions);
    if (options.strategy === "delete") {
      for (const id of options.threadIds ?? []) this.memory?.forgetThread(id);
    }
    return report;
  }

  /**
   * Rewrites the database without free pages, on the store's writer thread; returns its size in bytes
   * before and after: the file + WAL, or `memoryBytes` for an in-memory database. Calls made meanwhile
   * on an in-memory database are queued behind it instead of running on (and blocking) the JS thread.
   */
  async vacuum(): Promise<{ bytesBefore: number; bytesAfter: number }> {
    return this.store.vacuum();
  }
}
