import { native } from "../native";
import { atLeastZero, wholeNumber } from "./options";
import { WaitQueue } from "./wait-queue";

export interface RustRateLimiterOptions {
  /** Requests allowed in any one-second window (exact over every sliding window). */
  requestsPerSecond?: number;
  /** Requests allowed in any 60-second window; give this or `requestsPerSecond`. */
  requestsPerMinute?: number;
  /** Model tokens allowed per minute (a token bucket of this capacity); off by default. */
  tokensPerMinute?: number;
  /** Requests that may start back to back; smaller values spread requests out. Default: the per-window
   * count (a full window's worth at once). */
  maxBurst?: number;
  /** Callers that may be waiting at once (default 10,000); one more gets a `RateLimitQueueFullError`. */
  maxQueue?: number;
  /** Added to the window between a start and the one N starts later (ms, default 25): a caller runs a little
   * after its slot when the event loop is busy, and a late start must not share a window with an on-time one
   * a window later. A caller that wakes later than the margin waits again if starting would exceed the window
   * over real starts (`stats().lateRewaits`), so the limit holds whatever the lag; the margin spares those waits. */
  windowMarginMs?: number;
  /** Every limiter opened with this name in any worker thread of the process is the same limiter. Opening
   * a name again with other options throws. */
  name?: string;
}

export interface AcquireOptions {
  /** Estimated model tokens of the call (counted against `tokensPerMinute`): a finite number >= 0. */
  tokens?: number;
  /** Refuse (with `RateLimitWaitTooLongError`, nothing reserved) rather than wait longer than this (ms, >= 0;
   * Infinity or absent: wait). */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

export interface RateLimiterStats {
  /** Requests admitted (now or after a wait). */
  requests: number;
  /** Of those, how many had to wait. */
  delayed: number;
  /** Refused: queue full or wait too long. */
  rejected: number;
  /** Callers waiting now. */
  queued: number;
  /** Wait of the last 1,024 requests, ms. */
  waitP50Ms: number;
  waitP99Ms: number;
  maxWaitMs: number;
  tokensReserved: number;
  /** Tokens reported spent by `settle` (from `usage_metadata`). */
  tokensSpent: number;
  /** Callers that woke after their start time and waited again, so that no window of real starts exceeds
   * the limit (their event loop ran later than `windowMarginMs`). */
  lateRewaits: number;
}

/** A reservation: call `settle(spent)` once the real token usage is known. */
export interface RateLimitLease {
  waitedMs: number;
  settle(spentTokens: number): void;
}

export class RateLimitQueueFullError extends Error {
  readonly code = "RATE_LIMIT_QUEUE_FULL";
}

export class RateLimitWaitTooLongError extends Error {
  readonly code = "RATE_LIMIT_WAIT_TOO_LONG";
}

const queues = new Map<string, WaitQueue>();
function namedQueue(name: string): WaitQueue {
  let q = queues.get(name);
  if (!q) {
    q = new WaitQueue();
    queues.set(name, q);
  }
  return q;
}

/**
 * A rate limiter whose state is in Rust: FIFO (callers start in the order they called `acquire`, across
 * threads), exact over every sliding window, shared by name across worker threads. Rust decides the
 * start time at once; the caller waits for it with a timer (no polling, no thread parked).
 * A wait cancelled by its signal keeps its slot (the slot is not given to a later caller).
 */
export class RustRateLimiter {
  readonly name?: string;
  private readonly inner: InstanceType<typeof native.NativeRateLimiter>;
  /** One queue per limiter in this thread: instances opened with one name share it, so they wake in FIFO order too. */
  private readonly waiting: WaitQueue;

  constructor(options: RustRateLimiterOptions) {
    const { requestsPerSecond: rps, requestsPerMinute: rpm } = options;
    if ((rps === undefined) === (rpm === undefined)) {
      throw new TypeError("RustRateLimiter needs exactly one of requestsPerSecond and requestsPerMinute");
    }
    const where = "RustRateLimiter";
    wholeNumber(where, "requestsPerSecond", rps, 1, 1e6);
    wholeNumber(where, "requestsPerMinute", rpm, 1, 1e6);
    wholeNumber(where, "maxBurst", options.maxBurst, 1, (rps ?? rpm) as number);
    wholeNumber(where, "tokensPerMinute", options.tokensPerMinute, 1, 1e15);
    wholeNumber(where, "maxQueue", options.maxQueue);
    atLeastZero(where, "windowMarginMs", options.windowMarginMs);
    this.name = options.name;
    this.waiting = options.name === undefined ? new WaitQueue() : namedQueue(options.name);
    this.inner = new native.NativeRateLimiter({
      name: options.name,
      requestsPerWindow: (rps ?? rpm) as number,
      windowMs: rps !== undefined ? 1000 : 60_000,
      windowMarginMs: options.windowMarginMs ?? 25,
      maxBurst: options.maxBurst,
      tokensPerMinute: options.tokensPerMinute,
      maxQueue: options.maxQueue,
    });
  }

  /** Waits for this caller's turn. Rejects with `RateLimitQueueFullError` or `RateLimitWaitTooLongError`
   * (nothing reserved), or with the signal's reason when aborted. */
  async acquire(options: AcquireOptions = {}): Promise<RateLimitLease> {
    atLeastZero("RustRateLimiter.acquire", "tokens", options.tokens);
    atLeastZero("RustRateLimiter.acquire", "maxWaitMs", options.maxWaitMs, true);
    options.signal?.throwIfAborted();
    const tokens = Math.max(0, Math.ceil(options.tokens ?? 0));
    const wait = this.inner.acquire(tokens, options.maxWaitMs);
    if (wait === -1) throw new RateLimitQueueFullError(`rate limiter ${this.label()} has too many callers waiting`);
    if (wait === -2) throw new RateLimitWaitTooLongError(`rate limiter ${this.label()}: the wait would exceed ${options.maxWaitMs} ms`);
    if (wait > 0) {
      // A late wake-up (a busy event loop) may find the window over real starts full: wait again.
      for (let more = wait; more > 0; more = this.inner.begin()) await this.waiting.wait(more, options.signal);
    }
    return { waitedMs: wait, settle: (spent) => this.inner.settle(tokens, spent) };
  }

  stats(): RateLimiterStats {
    return this.inner.stats();
  }

  private label(): string {
    return this.name === undefined ? "(unnamed)" : JSON.stringify(this.name);
  }
}

/** The process-wide clock (ms, fractional, monotonic) the limiters use: the same in every worker thread. */
export function resilienceNow(): number {
  return native.resilienceNowMs();
}
