import type { SqliteCheckpointStore } from "@fast-langgraph/native";

type Store = SqliteCheckpointStore;

/** The store's operations as promises, whichever thread runs them. */
export interface StoreCalls {
  put: Store["put"];
  putOfficial: Store["putOfficial"];
  putWrites: Store["putWrites"];
  getTuple: Store["getTuple"];
  list: Store["list"];
  deleteThread: Store["deleteThread"];
  deltaChannelHistory: Store["deltaChannelHistory"];
  pendingWrites: Store["pendingWrites"];
}

/** Each call an AsyncTask on the libuv pool: for files, so the event loop never waits on disk. */
export function offThreadCalls(store: Store): StoreCalls {
  return {
    put: (req) => store.put(req),
    putOfficial: (req) => store.putOfficial(req),
    putWrites: (req, official) => store.putWrites(req, official),
    getTuple: (...args) => store.getTuple(...args),
    list: (req) => store.list(req),
    deleteThread: (threadId) => store.deleteThread(threadId),
    deltaChannelHistory: (...args) => store.deltaChannelHistory(...args),
    pendingWrites: (...args) => store.pendingWrites(...args),
  };
}

function settled<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args) => {
    try {
      return Promise.resolve(fn(...args));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * Each call on the calling thread: for in-memory databases, where there is no I/O to wait for and a
 * thread hop would cost more than the work.
 */
export function inlineCalls(store: Store): StoreCalls {
  return {
    put: settled((req) => store.putSync(req)),
    putOfficial: settled((req) => store.putOfficialSync(req)),
    putWrites: settled((req, official) => store.putWritesSync(req, official)),
    getTuple: settled((...args) => store.getTupleSync(...args)),
    list: settled((req) => store.listSync(req)),
    deleteThread: settled((threadId) => store.deleteThreadSync(threadId)),
    deltaChannelHistory: settled((...args) => store.deltaChannelHistorySync(...args)),
    pendingWrites: settled((...args) => store.pendingWritesSync(...args)),
  };
}
