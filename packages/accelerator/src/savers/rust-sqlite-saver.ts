import type { RunnableConfig } from "@langchain/core/runnables";
import type { ChannelVersions, Checkpoint, CheckpointMetadata, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { SqliteCheckpointStore } from "@fast-langgraph/native";

import { requireNative } from "../native";
import { IncrementTracker } from "../checkpoint/increment-tracker";
import { checkpointConfig, checkpointTarget } from "./config";
import { NativeCheckpointSaver, type CheckpointStoreCalls } from "./native-checkpoint-saver";
import { type PruneOptions, type PruneReport, type RetentionOptions, scheduleRetention, toNativePruneOptions } from "./retention";
import { OfficialCheckpointSerializer } from "../checkpoint/official-checkpoint";
import { serializeValue } from "../checkpoint/serialize";
import { inlineCalls, offThreadCalls, type StoreCalls } from "./store-calls";

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
  protected readonly label = "RustSqliteSaver";
  protected readonly calls: CheckpointStoreCalls;
  private readonly native: SqliteCheckpointStore;
  private readonly store: StoreCalls;
  private readonly official: OfficialCheckpointSerializer | undefined;
  private readonly stopRetention: () => void = () => {};

  constructor(path = ":memory:", options: RustSqliteSaverOptions = {}) {
    super(options.serde);
    if (options.layout !== undefined && options.layout !== "compact" && options.layout !== "official") {
      throw new Error(`RustSqliteSaver: layout must be "compact" or "official", got ${JSON.stringify(options.layout)}`);
    }
    this.path = path;
    this.native = new (requireNative("RustSqliteSaver").SqliteCheckpointStore)(path, {
      synchronous: options.synchronous,
      busyTimeoutMs: options.busyTimeoutMs,
      officialLayout: options.layout === "official",
    });
    this.official = options.layout === "official" ? new OfficialCheckpointSerializer(this.serde) : undefined;
    this.readRules = { writesOrder: this.official ? "official" : "writesSortKey", pendingSends: "always" };
    this.keepEveryValue = options.keepEveryValue === true;
    const offThread = options.offThread ?? !isInMemory(path);
    this.store = offThread ? offThreadCalls(this.native) : inlineCalls(this.native);
    const official = this.official !== undefined;
    this.calls = { ...this.store, putWrites: (req) => this.store.putWrites(req, official) };
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

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (!this.official) return super.put(config, checkpoint, metadata, newVersions);
    const { threadId, checkpointNs, checkpointId: parentId } = checkpointTarget(config, "put");
    return this.putOfficial(threadId, checkpointNs, parentId, checkpoint, metadata, this.official);
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
      serializer
        .serialize(threadId, checkpointNs, checkpoint)
        .then((done) => done ?? serializeValue(this.serde, checkpoint, `checkpoint of thread "${threadId}"`)),
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

  async deleteThread(threadId: string): Promise<void> {
    this.official?.forgetThread(String(threadId));
    await super.deleteThread(threadId);
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
}
