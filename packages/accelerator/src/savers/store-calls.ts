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
  prune: Store["prune"];
  vacuum: Store["vacuum"];
}

/**
 * Calls started at once whose promises settle in call order: each waits for the one before it, so
 * resolution order is call order even if the per-call promises reach the event loop out of turn.
 * With `counting`, `unsettled()` counts the calls whose promise has not settled yet (one more promise
 * reaction per call, so only where it is read).
 */
function callQueue(counting: boolean) {
  let last: Promise<unknown> = Promise.resolve();
  let unsettled = 0;
  const done = () => {
    unsettled -= 1;
  };
  const enqueue = <R>(call: () => Promise<R>): Promise<R> => {
    let started: Promise<R>;
    try {
      started = call();
    } catch (error) {
      started = Promise.reject(error);
    }
    // Handled here: it may reject before the calls ahead of it settle (e.g. the store is closed).
    started.catch(() => {});
    const ordered = last.then(
      () => started,
      () => started,
    );
    if (counting) {
      unsettled += 1;
      ordered.then(done, done);
    }
    last = ordered.catch(() => {});
    return ordered;
  };
  return { enqueue, unsettled: () => unsettled };
}

/**
 * Each call queued, in call order, to the store's writer thread (one per store, FIFO): no libuv pool
 * thread waits for SQLite, and calls complete and their promises settle in the order they were made.
 */
export function offThreadCalls(store: Store): StoreCalls {
  const { enqueue } = callQueue(false);
  const inOrder =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      enqueue(() => fn(...args));
  return {
    put: inOrder((req) => store.put(req)),
    putOfficial: inOrder((req) => store.putOfficial(req)),
    putWrites: inOrder((req, official) => store.putWrites(req, official)),
    getTuple: inOrder((...args) => store.getTuple(...args)),
    list: inOrder((req) => store.list(req)),
    deleteThread: inOrder((threadId) => store.deleteThread(threadId)),
    deltaChannelHistory: inOrder((...args) => store.deltaChannelHistory(...args)),
    pendingWrites: inOrder((...args) => store.pendingWrites(...args)),
    prune: inOrder((options) => store.prune(options)),
    vacuum: inOrder(() => store.vacuum()),
  };
}

/**
 * Each call on the calling thread, for in-memory databases, where there is no I/O to wait for and a
 * thread hop would cost more than the work; except while the store's writer thread has work queued
 * or running (a `vacuum()` always runs there; all of it is queued through these calls): then a call
 * is queued behind it, so the JavaScript thread never waits for its lock. Calls run and their
 * promises settle in call order.
 */
export function inlineCalls(store: Store): StoreCalls {
  const queue = callQueue(true);
  const queued = queue.enqueue;
  const either =
    <A extends unknown[], R>(now: (...args: A) => R, later: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      // Every async call of this store goes through `queued`: none unsettled means none queued or running
      // (a job ends before its promise settles). A counter, not the `queuedCalls` getter: no napi call.
      if (queue.unsettled() !== 0) return queued(() => later(...args));
      try {
        return Promise.resolve(now(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  return {
    put: either(
      (req) => store.putSync(req),
      (req) => store.put(req),
    ),
    putOfficial: either(
      (req) => store.putOfficialSync(req),
      (req) => store.putOfficial(req),
    ),
    putWrites: either(
      (req, official) => store.putWritesSync(req, official),
      (req, official) => store.putWrites(req, official),
    ),
    getTuple: either(
      (...args) => store.getTupleSync(...args),
      (...args) => store.getTuple(...args),
    ),
    list: either(
      (req) => store.listSync(req),
      (req) => store.list(req),
    ),
    deleteThread: either(
      (threadId) => store.deleteThreadSync(threadId),
      (threadId) => store.deleteThread(threadId),
    ),
    deltaChannelHistory: either(
      (...args) => store.deltaChannelHistorySync(...args),
      (...args) => store.deltaChannelHistory(...args),
    ),
    pendingWrites: either(
      (...args) => store.pendingWritesSync(...args),
      (...args) => store.pendingWrites(...args),
    ),
    prune: either(
      (options) => store.pruneSync(options),
      (options) => store.prune(options),
    ),
    vacuum: () => queued(() => store.vacuum()),
  };
}
