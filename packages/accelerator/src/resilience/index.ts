export {
  CircuitBreaker,
  CircuitOpenError,
  type BreakerState,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
} from "./circuit-breaker";
export { ConcurrencyLimit, ConcurrencyQueueFullError, type ConcurrencyLimitOptions, type ConcurrencyStats } from "./concurrency";
export { ResiliencePipeline, type ResilienceOptions } from "./pipeline";
export {
  RateLimitQueueFullError,
  RateLimitWaitTooLongError,
  RustRateLimiter,
  resilienceNow,
  type AcquireOptions,
  type RateLimitLease,
  type RateLimiterStats,
  type RustRateLimiterOptions,
} from "./rate-limiter";
export { resilient, type ResilientFn, type ResilientOptions } from "./resilient";
export { classifyError, retryDelayMs, retryPolicy, type ErrorClass, type ErrorClassification, type RetryOptions } from "./retry";
export type { ResilienceStats } from "./stats";
export { withResilience, type WithResilienceOptions } from "./with-resilience";
