import type { CircuitBreakerStats } from "./circuit-breaker";
import type { ConcurrencyStats } from "./concurrency";
import type { RateLimiterStats } from "./rate-limiter";
import type { ErrorClass } from "./retry";

export interface ResilienceStats {
  /** Calls made through the wrapper (each counts once however many attempts it took). */
  calls: number;
  /** Attempts that reached the model or function. */
  attempts: number;
  successes: number;
  /** Failed attempts by class. */
  failures: Record<ErrorClass, number>;
  retries: number;
  /** Calls refused by the open (or probing) circuit breaker, without calling. */
  breakerRejections: number;
  /** Calls refused by the rate limiter (queue full or wait too long). */
  rateLimitRejections: number;
  /** Streams that failed after emitting chunks: never retried, so no chunk is sent twice. */
  midStreamFailures: number;
  /** Streams left unread for `idleStreamReleaseMs` that gave their permits back before they ended. */
  idleStreamReleases: number;
  /** Model tokens of successful calls (from usage_metadata, else the estimate). */
  tokensSpent: number;
  rateLimiter?: RateLimiterStats;
  circuitBreaker?: CircuitBreakerStats;
  concurrency?: ConcurrencyStats;
}

export function emptyCounts(): Omit<ResilienceStats, "rateLimiter" | "circuitBreaker" | "concurrency"> {
  return {
    calls: 0,
    attempts: 0,
    successes: 0,
    failures: { rate_limit: 0, overloaded: 0, server: 0, timeout: 0, network: 0, client: 0, aborted: 0, unknown: 0 },
    retries: 0,
    breakerRejections: 0,
    rateLimitRejections: 0,
    midStreamFailures: 0,
    idleStreamReleases: 0,
    tokensSpent: 0,
  };
}
