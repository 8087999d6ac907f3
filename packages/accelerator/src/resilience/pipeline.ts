import { CircuitBreaker, type CircuitBreakerOptions } from "./circuit-breaker";
import { ConcurrencyLimit, type ConcurrencyLimitOptions } from "./concurrency";
import { RustRateLimiter, type RustRateLimiterOptions } from "./rate-limiter";
import { atLeastZero, positiveMs } from "./options";
import { type RetryOptions, type RetryPolicy, retryDelayMs, retryPolicy } from "./retry";
import { sleep } from "./sleep";
import { emptyCounts, type ResilienceStats } from "./stats";
import { closedWhenDropped } from "./stream-release";

export interface ResilienceOptions {
  /** A limiter (share one between models to share its budget) or the options of a new one. */
  rateLimiter?: RustRateLimiter | RustRateLimiterOptions;
  /** Refuse rather than wait longer than this for the rate limiter (ms; default: wait). */
  maxRateLimitWaitMs?: number;
  circuitBreaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Retry options, or false for a single attempt. Default: 6 attempts, full jitter from 500 ms. */
  retry?: RetryOptions | false;
  /** Calls at once: a number (this wrapper only) or a limit (by name: shared across models, graphs, threads). */
  maxConcurrency?: number | ConcurrencyLimit | ConcurrencyLimitOptions;
  /** Abort an attempt that takes longer (ms; it fails as a retryable timeout). Not applied to streams. */
  attemptTimeoutMs?: number;
  /** A stream left unread this long after a chunk (ms, default 60,000; Infinity: never) gives back its
   * concurrency permit and breaker probe, its outcome unrecorded; read later, it goes on as before. */
  idleStreamReleaseMs?: number;
}

export interface CallOptions<T> {
  signal?: AbortSignal;
  /** Estimated model tokens, reserved from the limiter's token budget. */
  tokens?: number;
  /** Model tokens really spent, read from the result. */
  usage?: (value: T) => number | undefined;
  /** Told how long each admitted attempt waited for the rate limiter (ms; 0 when it did not wait). */
  onRateLimitWait?: (ms: number) => void;
  /** Told each retry's backoff (ms) before it is slept. */
  onRetry?: (delayMs: number) => void;
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`the attempt timed out after ${ms} ms`), { name: "TimeoutError" });
}

/** Limiter → breaker → concurrency → call, retried per the policy. One per wrapper; its parts may be shared. */
export class ResiliencePipeline {
  readonly rateLimiter?: RustRateLimiter;
  readonly circuitBreaker?: CircuitBreaker;
  readonly concurrency?: ConcurrencyLimit;
  readonly retry: RetryPolicy;
  private readonly counts = emptyCounts();

  constructor(private readonly options: ResilienceOptions = {}) {
    atLeastZero("resilience", "maxRateLimitWaitMs", options.maxRateLimitWaitMs, true);
    positiveMs("resilience", "attemptTimeoutMs", options.attemptTimeoutMs, true);
    if (options.idleStreamReleaseMs !== Infinity) positiveMs("resilience", "idleStreamReleaseMs", options.idleStreamReleaseMs, true);
    const { rateLimiter: rl, circuitBreaker: cb, maxConcurrency: mc } = options;
    this.rateLimiter = rl === undefined || rl instanceof RustRateLimiter ? rl : new RustRateLimiter(rl);
    this.circuitBreaker = cb === undefined || cb instanceof CircuitBreaker ? cb : new CircuitBreaker(cb);
    this.concurrency =
      mc === undefined || mc instanceof ConcurrencyLimit ? mc : new ConcurrencyLimit(typeof mc === "number" ? { maxConcurrency: mc } : mc);
    this.retry = retryPolicy(options.retry);
  }

  /** Admits an attempt: breaker first (a refused call spends no rate budget), then rate, then concurrency. */
  private async enter(opts: CallOptions<never>) {
    let permit: number | undefined;
    if (this.circuitBreaker) {
      try {
        permit = this.circuitBreaker.admit();
      } catch (error) {
        this.counts.breakerRejections++;
        throw error;
      }
    }
    let lease: Awaited<ReturnType<RustRateLimiter["acquire"]>> | undefined;
    let release: (() => void) | undefined;
    try {
      if (this.rateLimiter) {
        lease = await this.rateLimiter
          .acquire({ tokens: opts.tokens, signal: opts.signal, maxWaitMs: this.options.maxRateLimitWaitMs })
          .catch((error) => {
            if (typeof error?.code === "string" && error.code.startsWith("RATE_LIMIT_")) this.counts.rateLimitRejections++;
            throw error;
          });
      }
      if (lease) opts.onRateLimitWait?.(lease.waitedMs);
      release = await this.concurrency?.acquire(opts.signal);
    } catch (error) {
      if (permit !== undefined) this.circuitBreaker?.record(permit, "ignored");
      throw error;
    }
    this.counts.attempts++;
    const attempt = {
      done: false,
      /** Records the outcome once and gives the concurrency permit back. */
      finish: (outcome: "success" | "failure" | "ignored", spent?: number) => {
        if (attempt.done) return;
        attempt.done = true;
        release?.();
        if (permit !== undefined) this.circuitBreaker?.record(permit, outcome);
        if (outcome === "success") {
          this.counts.successes++;
          const tokens = spent ?? opts.tokens ?? 0;
          this.counts.tokensSpent += tokens;
          lease?.settle(tokens);
        }
      },
    };
    return attempt;
  }

  /** After a failed attempt: the wait before the next one, or undefined to give up. */
  private nextDelay(error: unknown, attempt: number, started: number, signal?: AbortSignal): number | undefined {
    if (signal?.aborted) return undefined;
    const c = this.retry.classify(error);
    if (!c.retryable || attempt >= this.retry.maxAttempts) return undefined;
    const delay = retryDelayMs(this.retry, attempt, c);
    if (Date.now() - started + delay > this.retry.maxElapsedMs) return undefined;
    this.counts.retries++;
    return delay;
  }

  /** The breaker outcome of a failed attempt. A failure while the caller's signal is aborted is the caller's
   * cancellation, whatever it rejected with (`signal.reason`, a TimeoutError from `AbortSignal.timeout`, …):
   * never a provider failure, never retried. */
  private fail(error: unknown, signal?: AbortSignal) {
    if (signal?.aborted) {
      this.counts.failures.aborted++;
      return "ignored";
    }
    const c = this.retry.classify(error);
    this.counts.failures[c.class]++;
    return c.breakerFailure ? "failure" : "ignored";
  }

  async run<T>(fn: (signal?: AbortSignal) => Promise<T>, opts: CallOptions<T> = {}): Promise<T> {
    atLeastZero("resilience", "tokens", opts.tokens);
    this.counts.calls++;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const entered = await this.enter(opts as CallOptions<never>);
      let value: T;
      try {
        value = await this.attempt(fn, opts.signal);
      } catch (error) {
        entered.finish(this.fail(error, opts.signal));
        const delay = this.nextDelay(error, attempt, started, opts.signal);
        if (delay === undefined) throw error;
        opts.onRetry?.(delay);
        await sleep(delay, opts.signal);
        continue;
      }
      entered.finish("success", opts.usage?.(value));
      return value;
    }
  }

  private async attempt<T>(fn: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const ms = this.options.attemptTimeoutMs;
    if (ms === undefined) return fn(signal);
    const controller = new AbortController();
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = timeoutError(ms);
        controller.abort(error);
        reject(error);
      }, ms);
    });
    try {
      return await Promise.race([fn(combined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A stream, retried only while it has emitted nothing: a failure after the first chunk is thrown, so a
   * retry never replays chunks already emitted. A consumer that stops early counts as a success; one that
   * drops the stream without `return()` is closed (and gives its permits back) once the stream is
   * garbage-collected, and a stream left unread gives its permits back after `idleStreamReleaseMs`. */
  stream<C>(open: (signal?: AbortSignal) => AsyncIterable<C>, opts: CallOptions<C[]> = {}): AsyncGenerator<C> {
    return closedWhenDropped(this.attempts(open, opts));
  }

  private async *attempts<C>(open: (signal?: AbortSignal) => AsyncIterable<C>, opts: CallOptions<C[]>): AsyncGenerator<C> {
    atLeastZero("resilience", "tokens", opts.tokens);
    this.counts.calls++;
    const started = Date.now();
    const idleMs = this.options.idleStreamReleaseMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      const entered = await this.enter(opts as CallOptions<never>);
      const chunks: C[] = [];
      let idle: NodeJS.Timeout | undefined;
      try {
        for await (const chunk of open(opts.signal)) {
          chunks.push(chunk);
          // Suspended at `yield` until the consumer asks again: a plain generator holds nothing meanwhile,
          // so this timer does not keep the process alive either.
          if (idleMs !== Infinity && !entered.done) {
            idle = setTimeout(() => {
              if (entered.done) return;
              this.counts.idleStreamReleases++;
              entered.finish("ignored");
            }, idleMs).unref();
          }
          yield chunk;
          clearTimeout(idle);
        }
      } catch (error) {
        entered.finish(this.fail(error, opts.signal));
        if (opts.signal?.aborted) throw error;
        if (chunks.length > 0) {
          this.counts.midStreamFailures++;
          throw error;
        }
        const delay = this.nextDelay(error, attempt, started, opts.signal);
        if (delay === undefined) throw error;
        opts.onRetry?.(delay);
        await sleep(delay, opts.signal);
        continue;
      } finally {
        clearTimeout(idle);
        // Stopped early (return()): a success, unless the caller's signal stopped it.
        if (opts.signal?.aborted) entered.finish("ignored");
        else entered.finish("success", opts.usage?.(chunks));
      }
      return;
    }
  }

  stats(): ResilienceStats {
    return {
      ...this.counts,
      failures: { ...this.counts.failures },
      rateLimiter: this.rateLimiter?.stats(),
      circuitBreaker: this.circuitBreaker?.stats(),
      concurrency: this.concurrency?.stats(),
    };
  }
}
