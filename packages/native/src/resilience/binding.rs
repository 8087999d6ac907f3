//! napi classes over the resilience logic. The public API (options by name, errors, waiting with timers
//! and promises) is in @fast-langgraph/accelerator's `src/resilience/`; these return plain numbers so a
//! call crosses the boundary once with no objects built.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use super::circuit_breaker::{Admission, BreakerConfig, CircuitBreaker, Outcome, Permit};
use super::clock::now_us;
use super::concurrency::{ConcurrencyConfig, Enqueued, Semaphore};
use super::rate_limiter::{Acquired, RateLimiter, RateLimiterConfig};
use super::registry::Registry;
use crate::error::invalid_arg;

type Waker = ThreadsafeFunction<f64, (), f64, Status, false>;

static LIMITERS: Registry<RateLimiterConfig, RateLimiter> = Registry::new("rate limiter");
static BREAKERS: Registry<BreakerConfig, CircuitBreaker> = Registry::new("circuit breaker");
static LIMITS: Registry<ConcurrencyConfig, Semaphore<Waker>> = Registry::new("concurrency limit");

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn count(name: &str, value: Option<f64>, default: f64, max: f64) -> Result<f64> {
    let v = value.unwrap_or(default);
    if !(1.0..=max).contains(&v) || v.fract() != 0.0 {
        return Err(invalid_arg(format!("{name} must be a whole number from 1 to {max}, got {v}")));
    }
    Ok(v)
}

fn duration_us(name: &str, value: f64) -> Result<u64> {
    if !(value.is_finite() && value > 0.0) {
        return Err(invalid_arg(format!("{name} must be a positive number of ms, got {value}")));
    }
    Ok((value * 1000.0).ceil() as u64)
}

/// Microseconds on the process-wide monotonic clock every limiter uses, as ms (fractional). The same
/// clock in every worker thread, so times taken in different threads compare.
#[napi]
pub fn resilience_now_ms() -> f64 {
    ms(now_us())
}

#[napi(object)]
pub struct NativeRateLimiterOptions {
    pub name: Option<String>,
    /// Requests allowed in any window of `window_ms`, 1..=1,000,000.
    pub requests_per_window: f64,
    pub window_ms: f64,
    /// Margin added to the window for callers that run late (ms, default 0).
    pub window_margin_ms: Option<f64>,
    /// Bucket capacity in requests (default: `requests_per_window`).
    pub max_burst: Option<f64>,
    pub tokens_per_minute: Option<f64>,
    /// Callers that may wait at once (default 10,000).
    pub max_queue: Option<f64>,
}

#[napi(object)]
pub struct NativeRateLimiterStats {
    pub requests: f64,
    pub delayed: f64,
    pub rejected: f64,
    pub queued: f64,
    pub wait_p50_ms: f64,
    pub wait_p99_ms: f64,
    pub max_wait_ms: f64,
    pub tokens_reserved: f64,
    pub tokens_spent: f64,
    /// Callers that woke after their start and waited again to keep the window over real starts.
    pub late_rewaits: f64,
}

#[napi]
pub struct NativeRateLimiter {
    inner: Arc<Mutex<RateLimiter>>,
}

#[napi]
impl NativeRateLimiter {
    #[napi(constructor)]
    pub fn new(o: NativeRateLimiterOptions) -> Result<Self> {
        let per_window = count("requests per window", Some(o.requests_per_window), 1.0, 1_000_000.0)?;
        let config = RateLimiterConfig {
            requests_per_window: per_window as u32,
            window_us: duration_us("windowMs", o.window_ms)?,
            margin_us: match o.window_margin_ms {
                None => 0,
                Some(m) if m.is_finite() && m >= 0.0 => (m * 1000.0).ceil() as u64,
                Some(m) => return Err(invalid_arg(format!("windowMarginMs must be 0 or more ms, got {m}"))),
            },
            max_burst: count("maxBurst", o.max_burst, per_window, per_window)? as u32,
            tokens_per_minute: o
                .tokens_per_minute
                .map(|t| count("tokensPerMinute", Some(t), 1.0, 1e15))
                .transpose()?
                .map(|t| t as u64),
            max_queue: count("maxQueue", o.max_queue, 10_000.0, 1e9)? as usize,
        };
        LIMITERS.open(o.name.as_deref(), config, RateLimiter::new).map(|inner| Self { inner }).map_err(invalid_arg)
    }

    /// Reserves a start: returns the ms to wait (0: start now), -1 when the queue is full, -2 when the
    /// wait would exceed `max_wait_ms`. `tokens`: the call's estimated model tokens.
    #[napi]
    pub fn acquire(&self, tokens: Option<f64>, max_wait_ms: Option<f64>) -> f64 {
        let tokens = tokens.filter(|t| t.is_finite() && *t > 0.0).unwrap_or(0.0) as u64;
        let max_wait = max_wait_ms.filter(|m| m.is_finite() && *m >= 0.0).map(|m| (m * 1000.0) as u64);
        match lock(&self.inner).acquire(tokens, max_wait, now_us()) {
            Acquired::Granted { wait_us, .. } => ms(wait_us),
            Acquired::QueueFull { .. } => -1.0,
            Acquired::TooLong { .. } => -2.0,
        }
    }

    /// A caller that waited, when it wakes: 0 records now as its real start; otherwise the ms to wait
    /// before calling again (its wake-up was late enough that starting now would exceed the window).
    #[napi]
    pub fn begin(&self) -> f64 {
        ms(lock(&self.inner).begin(now_us()))
    }

    /// Corrects the token bucket with a call's real usage.
    #[napi]
    pub fn settle(&self, reserved: f64, spent: f64) {
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v as u64 } else { 0 };
        lock(&self.inner).settle(clean(reserved), clean(spent));
    }

    #[napi]
    pub fn stats(&self) -> NativeRateLimiterStats {
        let s = lock(&self.inner).stats(now_us());
        NativeRateLimiterStats {
            requests: s.requests as f64,
            delayed: s.delayed as f64,
            rejected: s.rejected as f64,
            queued: s.queued as f64,
            wait_p50_ms: ms(s.wait_p50_us),
            wait_p99_ms: ms(s.wait_p99_us),
            max_wait_ms: ms(s.max_wait_us),
            tokens_reserved: s.tokens_reserved as f64,
            tokens_spent: s.tokens_spent as f64,
            late_rewaits: s.late_rewaits as f64,
        }
    }
}

#[napi(object)]
pub struct NativeCircuitBreakerOptions {
    pub name: Option<String>,
    pub failure_threshold: f64,
    pub failure_window_ms: f64,
    pub recovery_timeout_ms: f64,
    pub half_open_max_calls: f64,
    pub success_threshold: f64,
}

#[napi(object)]
pub struct NativeTransition {
    pub from: String,
    pub to: String,
    /// On the clock of `resilienceNowMs`.
    pub at_ms: f64,
}

#[napi(object)]
pub struct NativeCircuitBreakerStats {
    /// "closed", "open" or "half_open".
    pub state: String,
    pub admitted: f64,
    pub rejected: f64,
    pub successes: f64,
    pub failures: f64,
    /// Outcomes of calls admitted before the last transition (counted, not applied).
    pub stale_outcomes: f64,
    pub transitions: f64,
    /// The last 32 transitions, oldest first.
    pub recent_transitions: Vec<NativeTransition>,
    pub failures_in_window: f64,
    pub probes_in_flight: f64,
    /// When open: ms until the first probe is let through.
    pub probe_in_ms: Option<f64>,
}

#[napi]
pub struct NativeCircuitBreaker {
    inner: Arc<Mutex<CircuitBreaker>>,
}

#[napi]
impl NativeCircuitBreaker {
    #[napi(constructor)]
    pub fn new(o: NativeCircuitBreakerOptions) -> Result<Self> {
        let config = BreakerConfig {
            failure_threshold: count("failureThreshold", Some(o.failure_threshold), 5.0, 1e9)? as u32,
            failure_window_us: duration_us("failureWindowMs", o.failure_window_ms)?,
            recovery_timeout_us: duration_us("recoveryTimeoutMs", o.recovery_timeout_ms)?,
            half_open_max_calls: count("halfOpenMaxCalls", Some(o.half_open_max_calls), 1.0, 1e9)? as u32,
            success_threshold: count("successThreshold", Some(o.success_threshold), 1.0, 1e9)? as u32,
        };
        BREAKERS.open(o.name.as_deref(), config, CircuitBreaker::new).map(|inner| Self { inner }).map_err(invalid_arg)
    }

    /// Admits a call: a permit (≥ 0) to pass back to `record`; when open, -1 - the ms until a probe
    /// is let through; when half-open with every probe slot taken, -Infinity.
    #[napi]
    pub fn admit(&self) -> f64 {
        let now = now_us();
        match lock(&self.inner).admit(now) {
            Admission::Allowed(p) => p.encode() as f64,
            Admission::Open { probe_at_us } => -1.0 - ms(probe_at_us.saturating_sub(now)),
            Admission::Probing { .. } => f64::NEG_INFINITY,
        }
    }

    /// The outcome of an admitted call: 0 success, 1 failure, 2 neither.
    #[napi]
    pub fn record(&self, permit: f64, outcome: u32) -> Result<()> {
        if !(permit >= 0.0 && permit.fract() == 0.0) {
            return Err(invalid_arg(format!("not a permit: {permit}")));
        }
        let outcome = match outcome {
            0 => Outcome::Success,
            1 => Outcome::Failure,
            2 => Outcome::Ignored,
            n => return Err(invalid_arg(format!("outcome must be 0, 1 or 2, got {n}"))),
        };
        lock(&self.inner).record(Permit::decode(permit as u64), outcome, now_us());
        Ok(())
    }

    #[napi]
    pub fn stats(&self) -> NativeCircuitBreakerStats {
        let now = now_us();
        let mut b = lock(&self.inner);
        let state = b.state(now);
        let c = b.counts().clone();
        let probe_at = b.opened_at_us() + b.config().recovery_timeout_us;
        NativeCircuitBreakerStats {
            state: state.as_str().into(),
            admitted: c.admitted as f64,
            rejected: c.rejected as f64,
            successes: c.successes as f64,
            failures: c.failures as f64,
            stale_outcomes: c.stale_outcomes as f64,
            transitions: c.transitions as f64,
            recent_transitions: b
                .transitions()
                .map(|t| NativeTransition { from: t.from.as_str().into(), to: t.to.as_str().into(), at_ms: ms(t.at_us) })
                .collect(),
            failures_in_window: b.recent_failures(now) as f64,
            probes_in_flight: b.probes_in_flight() as f64,
            probe_in_ms: (state == super::circuit_breaker::State::Open).then(|| ms(probe_at.saturating_sub(now))),
        }
    }
}

#[napi(object)]
pub struct NativeConcurrencyOptions {
    pub name: Option<String>,
    pub max_concurrency: f64,
    /// Callers that may wait at once (default 10,000).
    pub max_queue: Option<f64>,
}

#[napi(object)]
pub struct NativeConcurrencyStats {
    pub in_flight: f64,
    pub peak_in_flight: f64,
    pub queued: f64,
    pub acquired: f64,
    pub waited: f64,
    pub rejected: f64,
    pub wait_p50_ms: f64,
    pub wait_p99_ms: f64,
}

#[napi]
pub struct NativeConcurrencyLimit {
    inner: Arc<Mutex<Semaphore<Waker>>>,
}

#[napi]
impl NativeConcurrencyLimit {
    #[napi(constructor)]
    pub fn new(o: NativeConcurrencyOptions) -> Result<Self> {
        let config = ConcurrencyConfig {
            max_concurrency: count("maxConcurrency", Some(o.max_concurrency), 1.0, 1e9)? as u32,
            max_queue: count("maxQueue", o.max_queue, 10_000.0, 1e9)? as usize,
        };
        LIMITS.open(o.name.as_deref(), config, Semaphore::new).map(|inner| Self { inner }).map_err(invalid_arg)
    }

    /// Takes a permit if one is free and nobody waits.
    #[napi]
    pub fn try_acquire(&self) -> bool {
        lock(&self.inner).try_acquire()
    }

    /// Takes a permit (returns 0) or queues `on_granted`, called with the ms waited once this caller
    /// holds the permit, in whichever thread releases it (returns the ticket, ≥ 1); -1 when the queue is full.
    #[napi]
    pub fn enqueue(&self, on_granted: ThreadsafeFunction<f64, (), f64, Status, false>) -> f64 {
        match lock(&self.inner).enqueue(on_granted, now_us()) {
            Enqueued::Granted => 0.0,
            Enqueued::Queued(ticket) => ticket as f64,
            Enqueued::QueueFull => -1.0,
        }
    }

    /// Gives a permit back, to the oldest waiter if any (woken in its own thread).
    #[napi]
    pub fn release(&self) {
        loop {
            let next = lock(&self.inner).release(now_us());
            let Some((_, wait_us, waker)) = next else { return };
            if waker.call(ms(wait_us), ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok {
                return;
            }
            // The waiter's thread is gone: the permit goes to the next one.
        }
    }

    /// Removes a queued waiter; false when it already holds the permit (its callback will run).
    #[napi]
    pub fn cancel(&self, ticket: f64) -> bool {
        let waker = lock(&self.inner).cancel(ticket as u64);
        waker.is_some()
    }

    #[napi]
    pub fn stats(&self) -> NativeConcurrencyStats {
        let s = lock(&self.inner).stats();
        NativeConcurrencyStats {
            in_flight: s.in_flight as f64,
            peak_in_flight: s.peak_in_flight as f64,
            queued: s.queued as f64,
            acquired: s.acquired as f64,
            waited: s.waited as f64,
            rejected: s.rejected as f64,
            wait_p50_ms: ms(s.wait_p50_us),
            wait_p99_ms: ms(s.wait_p99_us),
        }
    }
}
