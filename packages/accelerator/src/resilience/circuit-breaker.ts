import { native } from "../native";
import { positiveMs, wholeNumber } from "./options";

export interface CircuitBreakerOptions {
  /** Failures within `failureWindowMs` that open the breaker (default 5). */
  failureThreshold?: number;
  /** The window failures are counted in, ms (default 60,000). */
  failureWindowMs?: number;
  /** How long the breaker stays open before letting probes through, ms (default 30,000). */
  recoveryTimeoutMs?: number;
  /** Probes in flight at once while half-open (default 1). */
  halfOpenMaxCalls?: number;
  /** Probe successes that close the breaker (default 3); one probe failure opens it again. */
  successThreshold?: number;
  /** Every breaker opened with this name in any worker thread of the process is the same breaker. */
  name?: string;
}

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerStats {
  state: BreakerState;
  admitted: number;
  /** Calls refused because the breaker was open or its probe slots were taken. */
  rejected: number;
  successes: number;
  failures: number;
  /** Outcomes of calls admitted before the last transition: counted, never applied. */
  staleOutcomes: number;
  transitions: number;
  /** The last 32 transitions, `atMs` on the clock of `resilienceNow()`. */
  recentTransitions: Array<{ from: string; to: string; atMs: number }>;
  failuresInWindow: number;
  probesInFlight: number;
  /** When open: ms until the first probe. */
  probeInMs?: number;
}

/** Thrown, without calling, while the breaker is open (or half-open with every probe slot taken). */
export class CircuitOpenError extends Error {
  readonly code = "CIRCUIT_OPEN";
  constructor(
    readonly breaker: string,
    /** ms until a probe is let through; undefined while the probes already let through are running. */
    readonly retryInMs: number | undefined,
  ) {
    super(
      retryInMs === undefined
        ? `circuit breaker ${breaker} is half-open and its probe calls are in flight`
        : `circuit breaker ${breaker} is open; it lets a probe call through in ${Math.ceil(retryInMs)} ms`,
    );
    this.name = "CircuitOpenError";
  }
}

export type CallOutcome = "success" | "failure" | "ignored";
const OUTCOMES: Record<CallOutcome, number> = { success: 0, failure: 1, ignored: 2 };

/**
 * A circuit breaker in Rust: closed → open after `failureThreshold` failures within `failureWindowMs` →
 * half-open after `recoveryTimeoutMs` (at most `halfOpenMaxCalls` probes in flight) → closed after
 * `successThreshold` probe successes. Each admit and record is one atomic step; outcomes of calls admitted
 * before a transition cannot move the new state. Shared by `name` across worker threads.
 */
export class CircuitBreaker {
  readonly name?: string;
  private readonly inner: InstanceType<typeof native.NativeCircuitBreaker>;

  constructor(options: CircuitBreakerOptions = {}) {
    for (const option of ["failureThreshold", "halfOpenMaxCalls", "successThreshold"] as const) {
      wholeNumber("CircuitBreaker", option, options[option]);
    }
    positiveMs("CircuitBreaker", "failureWindowMs", options.failureWindowMs);
    positiveMs("CircuitBreaker", "recoveryTimeoutMs", options.recoveryTimeoutMs);
    this.name = options.name;
    this.inner = new native.NativeCircuitBreaker({
      name: options.name,
      failureThreshold: options.failureThreshold ?? 5,
      failureWindowMs: options.failureWindowMs ?? 60_000,
      recoveryTimeoutMs: options.recoveryTimeoutMs ?? 30_000,
      halfOpenMaxCalls: options.halfOpenMaxCalls ?? 1,
      successThreshold: options.successThreshold ?? 3,
    });
  }

  /** Admits a call (returns its permit, to pass to `record`) or throws `CircuitOpenError`. */
  admit(): number {
    const permit = this.inner.admit();
    if (permit >= 0) return permit;
    throw new CircuitOpenError(this.label(), permit === Number.NEGATIVE_INFINITY ? undefined : -1 - permit);
  }

  record(permit: number, outcome: CallOutcome): void {
    this.inner.record(permit, OUTCOMES[outcome]);
  }

  /** Runs `fn` through the breaker: a failure is any rejection unless `isFailure` says otherwise. */
  async run<T>(fn: () => Promise<T>, isFailure: (error: unknown) => boolean = () => true): Promise<T> {
    const permit = this.admit();
    try {
      const value = await fn();
      this.record(permit, "success");
      return value;
    } catch (error) {
      this.record(permit, isFailure(error) ? "failure" : "ignored");
      throw error;
    }
  }

  get state(): BreakerState {
    return this.stats().state;
  }

  stats(): CircuitBreakerStats {
    const s = this.inner.stats();
    return { ...s, state: s.state as BreakerState, probeInMs: s.probeInMs ?? undefined };
  }

  private label(): string {
    return this.name === undefined ? "(unnamed)" : JSON.stringify(this.name);
  }
}
