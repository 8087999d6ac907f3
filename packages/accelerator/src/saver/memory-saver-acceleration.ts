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

import { type MemorySaverData, exportMemorySaverData, importMemorySaverData } from "./memory-saver-data";
import { RustSqliteSaver } from "./rust-sqlite-saver";

type MemorySaverInstance = BaseCheckpointSaver & MemorySaverData;

/**
 * LangGraph's MemorySaver, kept in an in-memory SQLite database owned by Rust instead of JS objects on
 * the V8 heap. Each instance gets its store on first use; threads it already held are moved into the
 * store byte for byte, so nothing exists twice and nothing is lost. Its `storage` and `writes` fields
 * become read-only views that export the store in MemorySaver's own format when read (for code that
 * inspects them), and are plain fields again after `restoreMemorySavers()`.
 */
const stores = new WeakMap<object, RustSqliteSaver>();
const accelerated = new Set<WeakRef<MemorySaverInstance>>();
const closeWhenCollected = new FinalizationRegistry<RustSqliteSaver>((store) => store.close());

export function rustStoreOf(saver: MemorySaverInstance): RustSqliteSaver {
  let store = stores.get(saver);
  if (store === undefined) {
    store = new RustSqliteSaver(":memory:", { serde: saver.serde });
    importMemorySaverData(store.nativeStore, saver);
    const native = store.nativeStore;
    for (const field of ["storage", "writes"] as const) {
      Object.defineProperty(saver, field, { configurable: true, enumerable: true, get: () => exportMemorySaverData(native)[field] });
    }
    stores.set(saver, store);
    accelerated.add(new WeakRef(saver));
    closeWhenCollected.register(saver, store, saver);
  }
  return store;
}

/** MemorySaver's `list` semantics: a checkpoint_id in the config selects that checkpoint, and a filter
 * matches metadata values with `===`. */
async function* listLikeMemorySaver(
  store: RustSqliteSaver,
  config: RunnableConfig,
  options: CheckpointListOptions = {},
): AsyncGenerator<CheckpointTuple> {
  const { checkpoint_id: onlyId, ...configurable } = config.configurable ?? {};
  let remaining = options.limit ?? Infinity;
  if (remaining <= 0) return;
  for await (const tuple of store.list({ ...config, configurable }, { before: options.before })) {
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
    return listLikeMemorySaver(rustStoreOf(this), config, options);
  },
  put(this: MemorySaverInstance, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) {
    return rustStoreOf(this).put(config, checkpoint, metadata, newVersions);
  },
  putWrites(this: MemorySaverInstance, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) {
    return rustStoreOf(this).putWrites(config, writes, taskId, taskPath);
  },
  deleteThread(this: MemorySaverInstance, threadId: string) {
    return rustStoreOf(this).deleteThread(threadId);
  },
  getDeltaChannelHistory(this: MemorySaverInstance, options: { config: RunnableConfig; channels: string[] }) {
    return rustStoreOf(this).getDeltaChannelHistory(options);
  },
};

/**
 * Moves every accelerated instance's threads back into its own maps (the format MemorySaver reads) and
 * closes the Rust stores. Returns how many instances were restored.
 */
export function restoreMemorySavers(): number {
  let restored = 0;
  for (const ref of accelerated) {
    const saver = ref.deref();
    const store = saver && stores.get(saver);
    if (!saver || !store) continue;
    const data = exportMemorySaverData(store.nativeStore);
    for (const field of ["storage", "writes"] as const) {
      Object.defineProperty(saver, field, { configurable: true, enumerable: true, writable: true, value: data[field] });
    }
    stores.delete(saver);
    closeWhenCollected.unregister(saver);
    store.close();
    restored += 1;
  }
  accelerated.clear();
  return restored;
}
