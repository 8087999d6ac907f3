//! Resilient model calls: a rate limiter (requests and model tokens), a circuit breaker and a concurrency
//! limit, each shareable by name with every worker thread of the process (the addon's statics are
//! process-wide). The logic files take the clock as an argument (microseconds on a process-wide
//! monotonic clock) and hold no napi types, so `cargo test` drives them with a fake clock.
//! Nothing here sleeps or polls: a caller is told how long to wait (rate limiter), rejected at once
//! (breaker), or handed a permit later through a callback (concurrency limit).

pub mod binding;
pub mod circuit_breaker;
pub mod clock;
pub mod concurrency;
pub mod rate_limiter;
pub mod registry;
pub mod wait_stats;
