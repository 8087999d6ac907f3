/**
 * Per MemorySaver instance: how far it is on its way into a Rust store. `puts` counts the puts it took
 * on MemorySaver's own methods and `bytes` the checkpoint and metadata bytes they stored; `running` its calls not yet settled (either path; `list` generators
 * are counted while they run on the Rust store); `pinned` marks a saver whose `storage` or `writes`
 * user code touched after its move, or that took a write to a checkpoint it held before its move: it
 * went back to its own fields and stays on them.
 */
export interface SaverCalls {
  puts: number;
  bytes: number;
  running: number;
  pinned: boolean;
  /** Set while a write to a checkpoint held before the move waits to move the saver back; settles after it. */
  movingBack?: Promise<void>;
  /** Resolved when `running` next falls to 0. */
  idle?: { promise: Promise<void>; resolve: () => void };
}

const calls = new WeakMap<object, SaverCalls>();

export function callsOf(saver: object): SaverCalls {
  let entry = calls.get(saver);
  if (entry === undefined) {
    entry = { puts: 0, bytes: 0, running: 0, pinned: false };
    calls.set(saver, entry);
  }
  return entry;
}

/** Counts `promise` in `running` until it settles; returns what `promise` settles to. */
export function counted<T>(entry: SaverCalls, promise: Promise<T>): Promise<T> {
  entry.running += 1;
  return promise.finally(() => {
    entry.running -= 1;
    if (entry.running === 0 && entry.idle) {
      entry.idle.resolve();
      entry.idle = undefined;
    }
  });
}

/** Settles once none of the saver's counted calls is running. */
export function whenIdle(entry: SaverCalls): Promise<void> {
  if (entry.running === 0) return Promise.resolve();
  if (!entry.idle) {
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    entry.idle = { promise, resolve };
  }
  return entry.idle.promise;
}
