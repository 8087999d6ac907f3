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

/**
 * Each call queued, in call order, to the store's writer thread (one per store, FIFO): no libuv pool
 * thread waits for SQLite, and calls complete in the order they were made. Promises also settle in
 * that order: each one waits for the one before it, so resolution order is call order even if the
 * per-call promises are delivered to the event loop out of turn.
 */
export function offThreadCalls(store: Store): StoreCalls {
  let last: Promise<unknown> = Promise.resolve();
  const inOrder =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      let call: Promise<R>;
      try {
        call = fn(...args);
      } catch (error) {
        call = Promise.reject(error);
      }
      const ordered = last.then(
        () => call,
        () => call,
      );
      last = ordered.catch(() => {});
      return ordered;
    };
  return {
    put: inOrder((req) => store.put(req)),
    putOfficial: inOrder((req) => store.putOfficial(req)),
    putWrites: inOrder((req, official) => store.putWrites(req, official)),
    getTuple: inOrder((...args) => store.getTuple(...args)),
    list: inOrder((req) => store.list(req)),
    deleteThread: inOrder((threadId) => store.deleteThread(threadId)),
    deltaChannelHistory: inOrder((...args) => store.deltaChannelHistory(...args)),
    pendingWrites: inOrder((...args) => store.pendingWrites(...args)),
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
