import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

import { type DelegatedMethod, delegatingSaverMethods } from "./delegating-methods";
import { RustSqliteSaver } from "../savers/rust-sqlite-saver";

/** What a `@langchain/langgraph-checkpoint-sqlite` SqliteSaver exposes that we rely on. */
type SqliteSaverInstance = BaseCheckpointSaver & {
  db?: { name?: string; memory?: boolean; open?: boolean; readonly?: boolean };
};

type Method = (...args: never[]) => unknown;

/**
 * LangGraph's SqliteSaver on the Rust SQLite engine, writing the official layout into the same file,
 * so the official saver (patched or not, in this process or another) reads everything. Calls run on
 * the JavaScript thread, as the unpatched saver's better-sqlite3 calls do. A saver whose
 * better-sqlite3 database is in memory cannot be shared with a second connection and keeps its own code,
 * as does one opened read-only or closed by the application.
 */
let stores = new WeakMap<object, RustSqliteSaver | null>();
/** Each open Rust connection and the saver it serves (held weakly: an app may make a saver per request). */
const open = new Map<RustSqliteSaver, WeakRef<SqliteSaverInstance>>();
/** A saver collected without `db.close()`: its Rust connection closes with it, as better-sqlite3's does. */
const closeWhenCollected = new FinalizationRegistry<RustSqliteSaver>((store) => {
  if (open.delete(store)) store.close();
});
/** `open.size` after the last sweep; the next sweep runs when it has doubled (amortized O(1) per saver). */
let sweptAt = 0;

function closeStore(saver: SqliteSaverInstance, store: RustSqliteSaver): void {
  open.delete(store);
  closeWhenCollected.unregister(saver);
  store.close();
  stores.set(saver, null);
}

/** Closes the Rust connections of savers whose database the application closed, and that were not called since. */
function sweepClosed(): void {
  for (const [store, ref] of open) {
    const saver = ref.deref();
    if (saver?.db?.open === false) closeStore(saver, store);
  }
  sweptAt = open.size;
}

function rustStoreOf(saver: SqliteSaverInstance): RustSqliteSaver | null {
  let store = stores.get(saver);
  // Once the application closes the saver's better-sqlite3 database, its own code runs (and refuses,
  // "The database connection is not open") and the Rust connection to the file goes too.
  if (saver.db?.open === false) {
    if (store) closeStore(saver, store);
    return null;
  }
  if (store === undefined) {
    const db = saver.db;
    const shareable = db?.name && !db.memory && !db.readonly && db.name !== ":memory:" && db.name !== "";
    store = shareable
      ? // On the calling thread, as better-sqlite3 runs: a put settles before the next node runs, so
        // LangGraph (which calls put only once the previous one settled) hands it the checkpoint before
        // node code can edit state in place, exactly as the unpatched saver sees it.
        new RustSqliteSaver(db.name as string, { layout: "official", serde: saver.serde, errorLabel: "SqliteSaver", offThread: false })
      : null;
    if (store) {
      if (open.size >= Math.max(16, 2 * sweptAt)) sweepClosed();
      open.set(store, new WeakRef(saver));
      closeWhenCollected.register(saver, store, saver);
    }
    stores.set(saver, store);
  }
  // The saver's serde as it is now (an application may replace it after the first call), as upstream reads it.
  if (store && store.serde !== saver.serde) store.serde = saver.serde;
  return store;
}

/** The methods installed on SqliteSaver.prototype while patched; `originals` serve unshareable savers. */
export function acceleratedSqliteSaverMethods(originals: Record<DelegatedMethod, Method>) {
  return delegatingSaverMethods<SqliteSaverInstance>(rustStoreOf, originals);
}

/** Closes the Rust connections; the files hold nothing the official saver cannot read. */
export function restoreSqliteSavers(): number {
  const count = open.size;
  for (const [store, ref] of open) {
    const saver = ref.deref();
    if (saver) closeWhenCollected.unregister(saver);
    store.close();
  }
  open.clear();
  sweptAt = 0;
  stores = new WeakMap();
  return count;
}

export function isAcceleratedSqliteSaver(saver: object): boolean {
  return Boolean(stores.get(saver));
}
