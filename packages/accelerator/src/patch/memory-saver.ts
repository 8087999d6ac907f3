import type { RunnableConfig } from "@langchain/core/runnables";
import type {
  BaseCheckpointSaver,
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  CheckpointTuple,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";

import { callsOf } from "./memory-saver-calls";
import { type MemorySaverData, exportMemorySaverData, importMemorySaverData } from "./memory-saver-data";
import { listLimit } from "../savers/list-limit";
import { RustSqliteSaver } from "../savers/rust-sqlite-saver";

type MemorySaverInstance = BaseCheckpointSaver & MemorySaverData;

/**
 * LangGraph's MemorySaver, kept in an in-memory SQLite database owned by Rust instead of JS objects on
 * the V8 heap. Each instance gets its store on first use; threads it already held are moved into the
 * store byte for byte, so nothing exists twice and nothing is lost. Its `storage` and `writes` fields
 * become accessors: touched between calls they move the threads back into plain fields (see
 * `pinToOwnFields`); while a call runs a read exports the store in MemorySaver's own format. They are
 * plain fields again after `restoreMemorySavers()`. Which calls reach this store: memory-saver-methods.ts.
 */
const stores = new WeakMap<object, RustSqliteSaver>();
/** Per instance: the order in which threads, and namespaces within them, were first written. */
const writeOrder = new WeakMap<object, WriteOrder>();

/**
 * Ranks of threads and of (thread, namespace) pairs, from a counter that only grows. Kept as nested
 * maps: `note` runs on every put, and a thread already noted costs two lookups (no key strings built).
 */
class WriteOrder {
  private readonly threads = new Map<string, { rank: number; namespaces: Map<string, number> }>();
  private next = 0;

  note(thread: string, ns: string): void {
    let entry = this.threads.get(thread);
    if (entry === undefined) {
      entry = { rank: this.next++, namespaces: new Map() };
      this.threads.set(thread, entry);
    }
    if (!entry.namespaces.has(ns)) entry.namespaces.set(ns, this.next++);
  }

  forget(thread: string): void {
    this.threads.delete(thread);
  }

  /**
   * The order MemorySaver's own maps (plain objects) iterate in: integer-like keys ("7", "10") first in
   * ascending numeric order, then the others in the order they were first written.
   */
  rank = (thread: string, ns: string): [number, number] => {
    const entry = this.threads.get(thread);
    return [arrayIndex(thread) ?? entry?.rank ?? Infinity, arrayIndex(ns) ?? entry?.namespaces.get(ns) ?? Infinity];
  };
}

/** For a key JavaScript orders as an array index, a rank below every insertion rank. */
function arrayIndex(key: string): number | undefined {
  if (!/^(0|[1-9]\d{0,9})$/.test(key)) return undefined;
  const n = Number(key);
  return n < 4294967295 ? n - 4294967295 : undefined;
}
const accelerated = new Set<WeakRef<MemorySaverInstance>>();
// A collected saver's store is closed and its entry leaves `accelerated`, so a service that makes a
// MemorySaver per request keeps nothing per saver once the saver is gone.
const closeWhenCollected = new FinalizationRegistry<{ store: RustSqliteSaver; ref: WeakRef<MemorySaverInstance> }>(({ store, ref }) => {
  accelerated.delete(ref);
  store.close();
});

const refs = new WeakMap<object, WeakRef<MemorySaverInstance>>();

/** @internal Whether the saver's threads are in a Rust store. */
export function hasRustStore(saver: object): boolean {
  return stores.has(saver);
}

/**
 * User code touched `storage` or `writes` of a saver in a Rust store: when none of its calls is
 * running, its threads go back into its own fields (plain objects again, so reading, deleting and
 * assigning do what they do unpatched) and it stays on MemorySaver's own methods. Returns false, and
 * changes nothing, while a call is running.
 */
function pinToOwnFields(saver: MemorySaverInstance): boolean {
  const calls = callsOf(saver);
  if (calls.running > 0) return false;
  calls.pinned = true;
  restoreOne(saver);
  return true;
}

export function rustStoreOf(saver: MemorySaverInstance): RustSqliteSaver {
  let store = stores.get(saver);
  if (store === undefined) {
    store = new RustSqliteSaver(":memory:", { serde: saver.serde, keepEveryValue: true, errorLabel: "MemorySaver" });
    importMemorySaverData(store.nativeStore, saver);
    const order = new WriteOrder();
    for (const [thread, namespaces] of Object.entries(saver.storage)) {
      for (const ns of Object.keys(namespaces)) order.note(thread, ns);
    }
    writeOrder.set(saver, order);
    const native = store.nativeStore;
    for (const field of ["storage", "writes"] as const) {
      Object.defineProperty(saver, field, {
        configurable: true,
        enumerable: true,
        get: () => (pinToOwnFields(saver) ? saver[field] : exportMemorySaverData(native, order.rank)[field]),
        set: (value) => {
          if (!pinToOwnFields(saver)) {
            throw new TypeError(
              `MemorySaver.${field} cannot be replaced while a call of this MemorySaver is running (its threads are in a Rust store); assign it between calls`,
            );
          }
          saver[field] = value;
        },
      });
    }
    stores.set(saver, store);
    const ref = new WeakRef(saver);
    refs.set(saver, ref);
    accelerated.add(ref);
    closeWhenCollected.register(saver, { store, ref }, saver);
  }
  return store;
}

/**
 * MemorySaver's `list` semantics: threads in the order they were first written, then namespaces in the
 * same way, then checkpoints newest first; a checkpoint_id in the config selects that checkpoint; a
 * filter matches metadata values with `===`.
 */
async function* listLikeMemorySaver(
  store: RustSqliteSaver,
  order: WriteOrder,
  config: RunnableConfig,
  options: CheckpointListOptions = {},
): AsyncGenerator<CheckpointTuple> {
  const { checkpoint_id: onlyId, ...configurable } = config.configurable ?? {};
  let remaining = listLimit("memorySaver", options.limit, "MemorySaver");
  if (remaining <= 0) return;
  // MemorySaver ignores a `before` whose checkpoint_id is falsy ("" included).
  const before = options.before?.configurable?.checkpoint_id ? options.before : undefined;
  const tuples: CheckpointTuple[] = [];
  for await (const tuple of store.list({ ...config, configurable }, { before })) tuples.push(tuple);
  const rank = (t: CheckpointTuple) => order.rank(t.config.configurable?.thread_id, t.config.configurable?.checkpoint_ns);
  // Stable sort: within a namespace the store's newest-first order stays.
  tuples.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1];
  });
  for (const tuple of tuples) {
    if (onlyId && tuple.config.configurable?.checkpoint_id !== onlyId) continue;
    const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
    if (options.filter && !Object.entries(options.filter).every(([k, v]) => metadata[k] === v)) continue;
    yield tuple;
    if (--remaining <= 0) return;
  }
}

/** The methods installed on MemorySaver.prototype while patched. */
export const acceleratedMemorySaverMethods = {
  getTuple(this: MemorySaverInstance, config: RunnableConfig) {
    return rustStoreOf(this).getTuple(config);
  },
  list(this: MemorySaverInstance, config: RunnableConfig, options?: CheckpointListOptions) {
    const store = rustStoreOf(this);
    return listLikeMemorySaver(store, writeOrder.get(this) as WriteOrder, config, options);
  },
  put(
    this: MemorySaverInstance,
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ) {
    const store = rustStoreOf(this);
    writeOrder.get(this)?.note(String(config.configurable?.thread_id), String(config.configurable?.checkpoint_ns ?? ""));
    return store.put(config, checkpoint, metadata, newVersions);
  },
  putWrites(this: MemorySaverInstance, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
    return rustStoreOf(this).putWrites(config, writes, taskId, taskPath);
  },
  deleteThread(this: MemorySaverInstance, threadId: string) {
    const store = rustStoreOf(this);
    writeOrder.get(this)?.forget(threadId);
    return store.deleteThread(threadId);
  },
  getDeltaChannelHistory(this: MemorySaverInstance, options: { config: RunnableConfig; channels: string[] }) {
    return rustStoreOf(this).getDeltaChannelHistory(options);
  },
};

/** What the accelerated MemorySavers of the process hold (see `PatchStatus.memorySavers`). */
export interface MemorySaverStatus {
  /** Live MemorySaver instances whose threads are in a Rust store. */
  instances: number;
  /** Bytes their in-memory databases hold, summed (`RustSqliteSaver.memoryBytes` of each store). */
  memoryBytes: number;
}

export function memorySaverStatus(): MemorySaverStatus {
  let instances = 0;
  let memoryBytes = 0;
  for (const ref of accelerated) {
    const saver = ref.deref();
    const store = saver && stores.get(saver);
    if (!store) continue;
    instances += 1;
    memoryBytes += store.memoryBytes ?? 0;
  }
  return { instances, memoryBytes };
}

/**
 * Moves every accelerated instance's threads back into its own maps (the format MemorySaver reads) and
 * closes the Rust stores. Returns how many instances were restored.
 */
export function restoreMemorySavers(): number {
  let restored = 0;
  for (const ref of accelerated) {
    const saver = ref.deref();
    if (saver && restoreOne(saver)) restored += 1;
  }
  accelerated.clear();
  return restored;
}

/** Moves one saver's threads back into its own fields and closes its store; false if it has none. */
export function restoreMemorySaver(saver: object): boolean {
  return restoreOne(saver as MemorySaverInstance);
}

function restoreOne(saver: MemorySaverInstance): boolean {
  const store = stores.get(saver);
  if (!store) return false;
  const data = exportMemorySaverData(store.nativeStore, writeOrder.get(saver)?.rank);
  for (const field of ["storage", "writes"] as const) {
    Object.defineProperty(saver, field, { configurable: true, enumerable: true, writable: true, value: data[field] });
  }
  stores.delete(saver);
  const ref = refs.get(saver);
  if (ref) accelerated.delete(ref);
  refs.delete(saver);
  closeWhenCollected.unregister(saver);
  store.close();
  return true;
}
