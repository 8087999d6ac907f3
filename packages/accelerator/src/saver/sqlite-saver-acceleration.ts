import type { RunnableConfig } from "@langchain/core/runnables";
import type {
  BaseCheckpointSaver,
  ChannelVersions,
  Checkpoint,
  CheckpointListOptions,
  CheckpointMetadata,
  PendingWrite,
} from "@langchain/langgraph-checkpoint";

import { RustSqliteSaver } from "./rust-sqlite-saver";

/** What a `@langchain/langgraph-checkpoint-sqlite` SqliteSaver exposes that we rely on. */
type SqliteSaverInstance = BaseCheckpointSaver & { db?: { name?: string; memory?: boolean; open?: boolean } };

type Method = (...args: never[]) => unknown;
type SaverMethods = Record<"getTuple" | "list" | "put" | "putWrites" | "deleteThread" | "getDeltaChannelHistory", Method>;

/**
 * LangGraph's SqliteSaver on the Rust SQLite engine, writing the official layout into the same file,
 * so the official saver (patched or not, in this process or another) reads everything. A saver whose
 * better-sqlite3 database is in memory cannot be shared with a second connection and keeps its own code.
 */
let stores = new WeakMap<object, RustSqliteSaver | null>();
const open = new Set<RustSqliteSaver>();

function rustStoreOf(saver: SqliteSaverInstance): RustSqliteSaver | null {
  let store = stores.get(saver);
  if (store === undefined) {
    const db = saver.db;
    const shareable = db?.name && !db.memory && db.name !== ":memory:" && db.name !== "";
    store = shareable ? new RustSqliteSaver(db.name as string, { layout: "official", serde: saver.serde }) : null;
    if (store) open.add(store);
    stores.set(saver, store);
  }
  return store;
}

/** The methods installed on SqliteSaver.prototype while patched; `originals` serve unshareable savers. */
export function acceleratedSqliteSaverMethods(originals: SaverMethods) {
  const via =
    <A extends unknown[], R>(name: keyof SaverMethods, run: (store: RustSqliteSaver, ...args: A) => R) =>
    function (this: SqliteSaverInstance, ...args: A): R {
      const store = rustStoreOf(this);
      return store ? run(store, ...args) : ((originals[name] as unknown as (...a: A) => R).apply(this, args));
    };
  return {
    getTuple: via("getTuple", (s, config: RunnableConfig) => s.getTuple(config)),
    list: via("list", (s, config: RunnableConfig, options?: CheckpointListOptions) => s.list(config, options)),
    put: via("put", (s, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions) =>
      s.put(config, checkpoint, metadata, newVersions),
    ),
    putWrites: via("putWrites", (s, config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string) =>
      s.putWrites(config, writes, taskId, taskPath),
    ),
    deleteThread: via("deleteThread", (s, threadId: string) => s.deleteThread(threadId)),
    getDeltaChannelHistory: via("getDeltaChannelHistory", (s, options: { config: RunnableConfig; channels: string[] }) =>
      s.getDeltaChannelHistory(options),
    ),
  };
}

/** Closes the Rust connections; the files hold nothing the official saver cannot read. */
export function restoreSqliteSavers(): number {
  const count = open.size;
  for (const store of open) store.close();
  open.clear();
  stores = new WeakMap();
  return count;
}

export function isAcceleratedSqliteSaver(saver: object): boolean {
  return Boolean(stores.get(saver));
}
