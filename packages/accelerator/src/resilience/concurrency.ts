import { native } from "../native";
import { wholeNumber } from "./options";
import { abortReason, onAbort } from "./sleep";

export interface ConcurrencyLimitOptions {
  /** Calls running at once. */
  maxConcurrency: number;
  /** Callers that may wait at once (default 10,000); one more gets a `ConcurrencyQueueFullError`. */
  maxQueue?: number;
  /** Every limit opened with this name, in any graph and any worker thread of the process, is the same
   * limit: e.g. one name per node type. */
  name?: string;
}

export interface ConcurrencyStats {
  inFlight: number;
  peakInFlight: number;
  queued: number;
  acquired: number;
  /** Of those, how many had to wait. */
  waited: number;
  rejected: number;
  /** Wait of the last 1,024 callers, ms. */
  waitP50Ms: number;
  waitP99Ms: number;
}

export class ConcurrencyQueueFullError extends Error {
  readonly code = "CONCURRENCY_QUEUE_FULL";
}

/**
 * A concurrency limit (a FIFO semaphore) in Rust. A free permit is taken synchronously; otherwise the
 * caller queues in Rust and its promise is resolved, through a napi threadsafe function, by whichever
 * thread releases the permit (no polling). A waiter whose worker thread has exited is skipped.
 */
export class ConcurrencyLimit {
  readonly name?: string;
  readonly maxConcurrency: number;
  private readonly inner: InstanceType<typeof native.NativeConcurrencyLimit>;

  constructor(options: ConcurrencyLimitOptions) {
    if (options?.maxConcurrency === undefined) throw new TypeError("ConcurrencyLimit: maxConcurrency is required");
    wholeNumber("ConcurrencyLimit", "maxConcurrency", options.maxConcurrency);
    wholeNumber("ConcurrencyLimit", "maxQueue", options.maxQueue);
    this.name = options.name;
    this.maxConcurrency = options.maxConcurrency;
    this.inner = new native.NativeConcurrencyLimit({
      name: options.name,
      maxConcurrency: options.maxConcurrency,
      maxQueue: options.maxQueue,
    });
  }

  /** Waits for a permit; returns the function that gives it back (calling it again does nothing). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.inner.tryAcquire()) return Promise.resolve(this.releaser());
    return new Promise((resolve, reject) => {
      let aborted = false;
      let unwatch: (() => void) | undefined;
      const ticket = this.inner.enqueue(() => {
        unwatch?.();
        const release = this.releaser();
        if (aborted) release();
        else resolve(release);
      });
      if (ticket === 0) return resolve(this.releaser());
      if (ticket === -1) {
        return reject(new ConcurrencyQueueFullError(`concurrency limit ${this.label()} has too many callers waiting`));
      }
      if (signal) {
        unwatch = onAbort(signal, () => {
          aborted = true;
          // Not in the queue any more means the permit is already ours: the callback gives it back.
          this.inner.cancel(ticket);
          reject(abortReason(signal));
        });
      }
    });
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  stats(): ConcurrencyStats {
    return this.inner.stats();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inner.release();
    };
  }

  private label(): string {
    return this.name === undefined ? "(unnamed)" : JSON.stringify(this.name);
  }
}
