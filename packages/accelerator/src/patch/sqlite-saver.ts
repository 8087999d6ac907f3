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
const open = new Set<RustSqliteSaver>();

function rustStoreOf(saver: SqliteSaverInstance): RustSqliteSaver | null {
  let store = stores.get(saver);
  // Once the application closes the saver's better-sqlite3 database, its own code runs (and refuses,
  // "The database connection is not open") and the Rust connection to the file goes too.
  if (saver.db?.open === false) {
    if (store) {
      open.delete(store);
      store.close();
      stores.set(saver, null);
    }
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
    if (store) open.add(store);
    stores.set(saver, store);
  }
  return store;
}

/** The methods installed on SqliteSaver.prototype while patched; `originals` serve unshareable savers. */
export function acceleratedSqliteSaverMethods(originals: Record<DelegatedMethod, Method>) {
  return delegatingSaverMethods<SqliteSaverInstance>(rustStoreOf, originals);
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
