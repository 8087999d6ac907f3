import type { RunnableConfig } from "@langchain/core/runnables";
import type {
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  CheckpointTuple,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";

import { type SaverCalls, callsOf, counted, whenIdle } from "./memory-saver-calls";
import { checkDeltaHistoryKeys, checkGetTupleKeys, checkListKeys, checkPutKeys, checkPutWritesKeys, checkKey } from "./memory-saver-keys";
import { acceleratedMemorySaverMethods as rust, hasRustStore, restoreMemorySaver } from "./memory-saver";
import type { MemorySaverData } from "./memory-saver-data";

/**
 * A MemorySaver moves into a Rust store once it has taken both this many puts and this many bytes of
 * checkpoints and metadata (as MemorySaver serialized them) on its own methods. A store costs a
 * connection, its tables and page cache, which a saver of a few small turns never earns back: the store
 * wins by serializing only what changed, which pays once checkpoints are large
 * (benchmarks/many-memory-savers.bench.mjs: with a store from the first call, 1.6x the CPU per saver of
 * 1 turn and 1.3x at 3 turns; moved at the 16th put, a saver of 10 turns of ~300 B messages was still
 * 5-7% slower). 16 puts is about 5 turns of a one-node chat graph; 256 KiB is what the same bench's
 * savers store by their 13th turn (10 turns: 160 KiB; 30 turns: 1,351 KiB). Reasoned, not tuned. FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER (puts) and
 * FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES (bytes), read by patchLangGraph, set others; with only
 * the first set, the bytes threshold is 0, so MOVE_AFTER=0 moves at the first call.
 */
export const DEFAULT_MOVE_AFTER_PUTS = 16;
export const DEFAULT_MOVE_AFTER_BYTES = 256 * 1024;

function wholeNumber(name: string, unit: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${name} must be a whole number of ${unit} >= 0 (got ${JSON.stringify(text)})`);
  }
  return n;
}

/** The thresholds of the environment: `{ puts, bytes }`; throws naming the variable it cannot read. */
export function moveThresholds(): { puts: number; bytes: number } {
  const puts = wholeNumber("FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER", "puts");
  const bytes = wholeNumber("FAST_LANGGRAPH_MEMORY_SAVER_MOVE_AFTER_BYTES", "bytes");
  return {
    puts: puts ?? DEFAULT_MOVE_AFTER_PUTS,
    bytes: bytes ?? (puts === undefined ? DEFAULT_MOVE_AFTER_BYTES : 0),
  };
}

/** Bytes MemorySaver stored for one checkpoint: its serialized checkpoint and metadata; 0 if absent. */
function storedBytes(saver: object, thread: unknown, ns: unknown, id: unknown): number {
  if (typeof thread !== "string" || typeof ns !== "string" || typeof id !== "string") return 0;
  const row = (saver as MemorySaverData).storage?.[thread]?.[ns]?.[id] as unknown;
  if (!Array.isArray(row)) return 0;
  return lengthOf(row[0]) + lengthOf(row[1]);
}

const lengthOf = (part: unknown): number => (part instanceof Uint8Array || typeof part === "string" ? part.length : 0);

/** MemorySaver reads the latest checkpoint for a falsy checkpoint_id ("" included). */
function latestIfNoId(config: RunnableConfig): RunnableConfig {
  const c = config.configurable;
  if (c === undefined || !("checkpoint_id" in c) || c.checkpoint_id) return config;
  const { checkpoint_id: _none, ...rest } = c;
  return { ...config, configurable: rest };
}

/** Per moved saver: the checkpoint ids it held when it moved, by thread and namespace. */
const imported = new WeakMap<object, Map<unknown, Map<unknown, Set<unknown>>>>();

function checkpointIds(storage: MemorySaverData["storage"]): Map<unknown, Map<unknown, Set<unknown>>> {
  const ids = new Map<unknown, Map<unknown, Set<unknown>>>();
  for (const [thread, namespaces] of Object.entries(storage)) {
    const byNs = new Map<unknown, Set<unknown>>();
    for (const [ns, checkpoints] of Object.entries(namespaces)) byNs.set(ns, new Set(Object.keys(checkpoints)));
    ids.set(thread, byNs);
  }
  return ids;
}

/** As targets.ts `Methods` (not imported from there: targets.ts imports this module). */
type Methods = Record<string, (...args: never[]) => unknown>;
type AnyAsync = (...args: never[]) => Promise<unknown>;

function run<T>(entry: SaverCalls, call: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = call();
  } catch (error) {
    return Promise.reject(error);
  }
  return counted(entry, promise);
}

/**
 * Counts the list in `running` while it reads (each `next()`), not while the caller holds it suspended:
 * the Rust store's list reads every tuple at its first step, so a caller that never finishes a list
 * does not keep a held write waiting for the saver to be idle.
 */
async function* countedList(entry: SaverCalls, tuples: AsyncGenerator<CheckpointTuple>): AsyncGenerator<CheckpointTuple> {
  try {
    for (;;) {
      const step = await counted(entry, tuples.next());
      if (step.done) return;
      yield step.value;
    }
  } finally {
    await tuples.return(undefined);
  }
}

/**
 * The methods installed on one copy's MemorySaver.prototype, given that copy's originals. A saver
 * runs the originals (it is the unpatched code, on its own fields) until a put finds it has taken
 * the puts and bytes of `moveThresholds()` with none of its calls running; then its threads move into a Rust store
 * (byte for byte) and it stays there, with MemorySaver's key guard applied before each call.
 */
export function memorySaverMethods(originals: Methods): Methods {
  const after = moveThresholds();
  const own = originals as unknown as Record<string, AnyAsync>;
  // A saver moves only at a put of a checkpoint it does not hold: the writes that follow go to the
  // new checkpoint, not to one it moved.
  const moves = (saver: object, entry: SaverCalls, thread: unknown, ns: unknown, id: unknown): boolean => {
    if (entry.pinned || entry.puts < after.puts || entry.bytes < after.bytes || entry.running > 0) return false;
    const storage = (saver as MemorySaverData).storage;
    if (typeof thread === "string" && typeof ns === "string" && typeof id === "string" && storage[thread]?.[ns]?.[id]) return false;
    imported.set(saver, checkpointIds(storage));
    return true;
  };
  /**
   * A write to a checkpoint the saver held when it moved would sit beside the moved row instead of
   * replacing it or being checked against it: such a write waits until none of the saver's calls is
   * running, then the saver moves back to its own fields and runs it there, and stays on them. Moving
   * again would repeat the round trip (a saver serving concurrent runs holds, at any move, checkpoints
   * that runs still write to), each copying every thread: 16 concurrent runs on one saver took 10x
   * unpatched's time when it could move again (benchmarks/soak.bench.mjs --only MemorySaver --invokes
   * 4000 --threads 400: 227.6 s against 22.9 s).
   */
  const heldBeforeMove = (saver: object, thread: unknown, ns: unknown, id: unknown): boolean =>
    imported.get(saver)?.get(thread)?.get(ns)?.has(id) === true;
  const onOwnFields = <T>(saver: object, entry: SaverCalls, call: () => Promise<T>): Promise<T> => {
    if (entry.running > 0) {
      // Calls made after this one wait for it (see the end of memorySaverMethods and `list`), so they
      // run in call order, as unpatched.
      const moved = whenIdle(entry).then(() => onOwnFields(saver, entry, call));
      const settled = moved.then(
        () => {},
        () => {},
      );
      entry.movingBack = settled;
      settled.then(() => {
        if (entry.movingBack === settled) entry.movingBack = undefined;
      });
      return moved;
    }
    if (restoreMemorySaver(saver)) {
      imported.delete(saver);
      entry.pinned = true;
    }
    return run(entry, call);
  };

  const methods = {
    getTuple(this: object, config: RunnableConfig): Promise<unknown> {
      const entry = callsOf(this);
      if (!hasRustStore(this)) return run(entry, () => own.getTuple.call(this, config as never));
      return run(entry, () => {
        checkGetTupleKeys(config);
        return rust.getTuple.call(this as never, latestIfNoId(config));
      });
    },
    list(this: object, config: RunnableConfig, options?: CheckpointListOptions) {
      const ownList = own.list as unknown as (...a: unknown[]) => AsyncGenerator<CheckpointTuple>;
      if (!hasRustStore(this)) return ownList.call(this, config, options);
      const saver = this;
      // Which path reads is decided at the first next(), after a held write made before it: by then the
      // saver may be back on its own fields.
      return (async function* () {
        const entry = callsOf(saver);
        if (entry.movingBack) await entry.movingBack;
        if (!hasRustStore(saver)) return yield* ownList.call(saver, config, options);
        checkListKeys(config, options);
        yield* countedList(entry, rust.list.call(saver as never, config, options));
      })();
    },
    put(this: object, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
      const entry = callsOf(this);
      const c = config?.configurable;
      const [thread, ns, id] = [c?.thread_id, c?.checkpoint_ns ?? "", checkpoint?.id];
      const original = () => {
        entry.puts += 1;
        const put = own.put.call(this, config as never, checkpoint as never, metadata as never, newVersions as never);
        if (entry.bytes >= after.bytes) return put;
        return put.then((result) => {
          entry.bytes += storedBytes(this, thread, ns, id);
          return result;
        });
      };
      if (hasRustStore(this) && heldBeforeMove(this, thread, ns, id)) return onOwnFields(this, entry, original);
      if (!hasRustStore(this) && !moves(this, entry, thread, ns, id)) return run(entry, original);
      return run(entry, () => {
        checkPutKeys(config, checkpoint);
        return rust.put.call(this as never, config, checkpoint, metadata, newVersions);
      });
    },
    putWrites(this: object, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
      const entry = callsOf(this);
      const c = config?.configurable;
      const original = () => own.putWrites.call(this, config as never, writes as never, taskId as never, taskPath as never);
      if (!hasRustStore(this)) return run(entry, original);
      if (heldBeforeMove(this, c?.thread_id, c?.checkpoint_ns, c?.checkpoint_id)) return onOwnFields(this, entry, original);
      return run(entry, () => {
        checkPutWritesKeys(config, taskId);
        return rust.putWrites.call(this as never, config, writes, taskId, taskPath);
      });
    },
    deleteThread(this: object, threadId: string) {
      const entry = callsOf(this);
      if (!hasRustStore(this)) return run(entry, () => own.deleteThread.call(this, threadId as never));
      return run(entry, () => {
        checkKey("thread_id", threadId);
        return rust.deleteThread.call(this as never, threadId);
      });
    },
    getDeltaChannelHistory(this: object, options: { config: RunnableConfig; channels: string[] }) {
      const entry = callsOf(this);
      if (!hasRustStore(this)) return run(entry, () => own.getDeltaChannelHistory.call(this, options as never));
      return run(entry, () => {
        checkDeltaHistoryKeys(options.config, options.channels);
        // MemorySaver finds no thread under an undefined thread_id: every channel has no history.
        if (options.config.configurable?.thread_id === undefined && options.channels.length > 0) {
          return Promise.resolve(Object.fromEntries(options.channels.map((ch) => [ch, { writes: [] }])));
        }
        return rust.getDeltaChannelHistory.call(this as never, options);
      });
    },
  };
  // While a held write waits to move the saver back, later calls queue behind it, in call order.
  for (const name of ["getTuple", "put", "putWrites", "deleteThread", "getDeltaChannelHistory"] as const) {
    const method = methods[name] as (this: object, ...args: unknown[]) => Promise<unknown>;
    (methods as Record<string, unknown>)[name] = function (this: object, ...args: unknown[]) {
      const waiting = callsOf(this).movingBack;
      if (waiting) return waiting.then(() => method.apply(this, args));
      return method.apply(this, args);
    };
  }
  return methods as unknown as Methods;
}
