//! A rate limiter that hands out start times (reservations) in arrival order.
//!
//! Requests: at most `requests_per_window` starts in any window of `window_us` (a log of the last
//! starts makes this exact, for every sliding window, not only for aligned ones), and a token bucket
//! of `max_burst` requests refilled at the same rate, which spreads requests out when `max_burst` is
//! smaller than the per-window count. Model tokens (optional): a bucket of `tokens_per_minute`,
//! debited by the caller's estimate before the call and corrected with the real usage after it.
//!
//! `acquire` decides at once: the caller's start time is the earliest time every constraint allows
//! that is not earlier than the previous caller's, so callers start in FIFO order whatever thread they
//! are on, and the caller waits (with a timer) until then. A reservation is never taken back.
//!
//! A reserved start is a plan: a caller whose timer fires late (a busy event loop) really starts later,
//! and a later caller that runs on time could then share one window with it. So the window is also kept
//! over real starts: a caller that waited calls `begin` when it wakes, which records its real start, or,
//! when the last `requests_per_window` real starts are all within one window of now, says how much
//! longer to wait. Real starts alone decide whether the limit holds; reservations keep callers in order.

use std::collections::VecDeque;

use super::wait_stats::WaitStats;

#[derive(Clone, Debug, PartialEq)]
pub struct RateLimiterConfig {
    pub requests_per_window: u32,
    pub window_us: u64,
    /// Added to the window between a start and the start `requests_per_window` later: a caller runs a
    /// little after its slot (the event loop is busy, a timer fires late), and without a margin a late
    /// start and an on-time one a window later would share one window.
    pub margin_us: u64,
    /// Bucket capacity in requests, 1..=requests_per_window.
    pub max_burst: u32,
    pub tokens_per_minute: Option<u64>,
    /// Callers that may be waiting at once; one more is refused.
    pub max_queue: usize,
}

#[derive(Debug, PartialEq)]
pub enum Acquired {
    /// Start at `start_us` (now or later): wait `wait_us`.
    Granted { start_us: u64, wait_us: u64 },
    /// Refused without reserving anything.
    QueueFull { queued: usize },
    /// The start would be `wait_us` away, more than the caller accepts; nothing reserved.
    TooLong { wait_us: u64 },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimiterStats {
    pub requests: u64,
    pub delayed: u64,
    pub rejected: u64,
    pub queued: usize,
    pub wait_p50_us: u64,
    pub wait_p99_us: u64,
    pub max_wait_us: u64,
    pub tokens_reserved: u64,
    pub tokens_spent: u64,
    /// Callers that woke after their start and had to wait again: real starts would have exceeded the
    /// window (the event loop ran later than `margin_us`).
    pub late_rewaits: u64,
}

struct Bucket {
    capacity: f64,
    /// Microseconds to refill one unit.
    us_per_unit: f64,
    level: f64,
    at_us: u64,
}

impl Bucket {
    fn new(capacity: f64, us_per_unit: f64) -> Self {
        Self { capacity, us_per_unit, level: capacity, at_us: 0 }
    }

    /// The earliest time (not before `at_us`) the bucket holds `cost`.
    fn ready_at(&self, cost: f64) -> u64 {
        if self.level >= cost {
            return self.at_us;
        }
        self.at_us + ((cost - self.level) * self.us_per_unit).ceil() as u64
    }

    fn take(&mut self, cost: f64, t_us: u64) {
        let refill = t_us.saturating_sub(self.at_us) as f64 / self.us_per_unit;
        self.level = (self.level + refill).min(self.capacity) - cost;
        self.at_us = self.at_us.max(t_us);
    }
}

pub struct RateLimiter {
    config: RateLimiterConfig,
    /// Start times of the last `requests_per_window` reservations, oldest first.
    starts: VecDeque<u64>,
    /// Real start times of the last `requests_per_window` callers that started, oldest first (sorted:
    /// each is the clock read under the limiter's lock).
    real: VecDeque<u64>,
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    last_start_us: u64,
    /// Start times still in the future, oldest first: the callers now waiting.
    pending: VecDeque<u64>,
    waits: WaitStats,
    stats: RateLimiterStats,
}

impl RateLimiter {
    pub fn new(config: RateLimiterConfig) -> Result<Self, String> {
        if config.requests_per_window == 0 || config.window_us == 0 {
            return Err("a rate limiter needs a positive number of requests per window".into());
        }
        if config.max_burst == 0 || config.max_burst > config.requests_per_window {
            return Err(format!("maxBurst must be between 1 and {}, got {}", config.requests_per_window, config.max_burst));
        }
        if config.tokens_per_minute == Some(0) {
            return Err("tokensPerMinute must be positive".into());
        }
        let us_per_request = config.window_us as f64 / config.requests_per_window as f64;
        // With a full burst the log alone is the stricter bound, so the bucket is left out.
        let requests =
            (config.max_burst < config.requests_per_window).then(|| Bucket::new(config.max_burst as f64, us_per_request));
        let tokens = config.tokens_per_minute.map(|t| Bucket::new(t as f64, 60_000_000.0 / t as f64));
        Ok(Self {
            starts: VecDeque::with_capacity(config.requests_per_window.min(4096) as usize),
            real: VecDeque::with_capacity(config.requests_per_window.min(4096) as usize),
            config,
            requests,
            tokens,
            last_start_us: 0,
            pending: VecDeque::new(),
            waits: WaitStats::default(),
            stats: RateLimiterStats::default(),
        })
    }

    pub fn config(&self) -> &RateLimiterConfig {
        &self.config
    }

    fn drop_started(&mut self, now_us: u64) {
        while self.pending.front().is_some_and(|&t| t <= now_us) {
            self.pending.pop_front();
        }
    }

    /// The earliest real start that keeps every window of real starts within the limit.
    fn real_bound(&self) -> u64 {
        if self.real.len() == self.config.requests_per_window as usize {
            self.real[0] + self.config.window_us
        } else {
            0
        }
    }

    fn record_real(&mut self, now_us: u64) {
        if self.real.len() == self.config.requests_per_window as usize {
            self.real.pop_front();
        }
        self.real.push_back(now_us);
    }

    /// Called by a caller that waited for its reservation, when it wakes: 0 records `now_us` as its real
    /// start (start now); otherwise the µs to wait before calling again.
    pub fn begin(&mut self, now_us: u64) -> u64 {
        let bound = self.real_bound();
        if bound > now_us {
            self.stats.late_rewaits += 1;
            return bound - now_us;
        }
        self.record_real(now_us);
        0
    }

    /// Reserves a start for one request that will spend about `tokens` model tokens (clamped to the
    /// bucket's capacity, so that a large request waits for a full bucket instead of forever).
    pub fn acquire(&mut self, tokens: u64, max_wait_us: Option<u64>, now_us: u64) -> Acquired {
        self.drop_started(now_us);
        let mut start = now_us.max(self.last_start_us);
        if self.starts.len() == self.config.requests_per_window as usize {
            start = start.max(self.starts[0] + self.config.window_us + self.config.margin_us);
        }
        start = start.max(self.real_bound());
        if let Some(b) = &self.requests {
            start = start.max(b.ready_at(1.0));
        }
        let cost = match &self.tokens {
            Some(b) => (tokens as f64).min(b.capacity),
            None => 0.0,
        };
        if let Some(b) = &self.tokens {
            start = start.max(b.ready_at(cost));
        }
        let wait_us = start - now_us;
        if wait_us > 0 {
            if self.pending.len() >= self.config.max_queue {
                self.stats.rejected += 1;
                return Acquired::QueueFull { queued: self.pending.len() };
            }
            if max_wait_us.is_some_and(|m| wait_us > m) {
                self.stats.rejected += 1;
                return Acquired::TooLong { wait_us };
            }
            self.pending.push_back(start);
            self.stats.delayed += 1;
        } else {
            self.record_real(now_us);
        }
        if self.starts.len() == self.config.requests_per_window as usize {
            self.starts.pop_front();
        }
        self.starts.push_back(start);
        if let Some(b) = &mut self.requests {
            b.take(1.0, start);
        }
        if let Some(b) = &mut self.tokens {
            b.take(cost, start);
        }
        self.last_start_us = start;
        self.stats.requests += 1;
        self.stats.tokens_reserved += cost as u64;
        self.stats.max_wait_us = self.stats.max_wait_us.max(wait_us);
        self.waits.record(wait_us);
        Acquired::Granted { start_us: start, wait_us }
    }

    /// Corrects the token bucket once a call's real usage is known: the difference between what was
    /// reserved and what was spent goes back (or is taken) now, and later callers wait accordingly.
    pub fn settle(&mut self, reserved: u64, spent: u64) {
        self.stats.tokens_spent += spent;
        if let Some(b) = &mut self.tokens {
            let reserved = (reserved as f64).min(b.capacity);
            b.level = (b.level + reserved - spent as f64).min(b.capacity);
        }
    }

    pub fn stats(&mut self, now_us: u64) -> RateLimiterStats {
        self.drop_started(now_us);
        RateLimiterStats {
            queued: self.pending.len(),
            wait_p50_us: self.waits.quantile(0.5),
            wait_p99_us: self.waits.quantile(0.99),
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_window: u32, window_us: u64, burst: u32, tpm: Option<u64>) -> RateLimiter {
        RateLimiter::new(RateLimiterConfig {
            requests_per_window: per_window,
            window_us,
            margin_us: 0,
            max_burst: burst,
            tokens_per_minute: tpm,
            max_queue: 10_000,
        })
        .unwrap()
    }

    fn start(a: Acquired) -> u64 {
        match a {
            Acquired::Granted { start_us, .. } => start_us,
            other => panic!("not granted: {other:?}"),
        }
    }

    /// A small xorshift generator of pseudo-random u64s.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// The largest number of starts in any half-open window [t, t + window).
    fn worst_window(starts: &[u64], window: u64) -> usize {
        let mut best = 0;
        let mut j = 0;
        for i in 0..starts.len() {
            while starts[i] - starts[j] >= window {
                j += 1;
            }
            best = best.max(i - j + 1);
        }
        best
    }

    #[test]
    fn a_full_burst_then_one_per_freed_slot() {
        let mut l = limiter(3, 1_000_000, 3, None);
        let s: Vec<u64> = (0..7).map(|_| start(l.acquire(0, None, 500))).collect();
        assert_eq!(s, vec![500, 500, 500, 1_000_500, 1_000_500, 1_000_500, 2_000_500]);
        assert_eq!(l.stats(500).queued, 4);
        assert_eq!(l.stats(1_000_500).queued, 1);
        assert_eq!(worst_window(&s, 1_000_000), 3);
    }

    #[test]
    fn the_margin_keeps_starts_that_run_late_within_the_window() {
        let mut l = limiter(2, 1_000_000, 2, None);
        l.config.margin_us = 25_000;
        let s: Vec<u64> = (0..4).map(|_| start(l.acquire(0, None, 0))).collect();
        assert_eq!(s, vec![0, 0, 1_025_000, 1_025_000]);
        // Both first callers ran 20 ms late: still no window of 1 s holds three.
        let real = [20_000, 20_000, 1_025_000, 1_025_000];
        assert_eq!(worst_window(&real, 1_000_000), 2);
    }

    #[test]
    fn callers_that_wake_later_than_the_margin_wait_again_so_real_starts_keep_the_window() {
        let mut l = limiter(2, 1_000_000, 2, None);
        l.config.margin_us = 25_000;
        let s: Vec<u64> = (0..6).map(|_| start(l.acquire(0, None, 0))).collect();
        assert_eq!(s, vec![0, 0, 1_025_000, 1_025_000, 2_050_000, 2_050_000]);
        // The event loop was blocked: the second pair wakes 275 ms after its start...
        assert_eq!((l.begin(1_300_000), l.begin(1_300_000)), (0, 0));
        // ...so the third pair, on time, would share a window with it: both wait until it closes.
        assert_eq!((l.begin(2_050_000), l.begin(2_050_000)), (250_000, 250_000));
        assert_eq!((l.begin(2_300_000), l.begin(2_300_000)), (0, 0));
        assert_eq!(l.stats(2_300_000).late_rewaits, 2);
        // A caller arriving now is planned after the real starts (the reservations alone say 3,075,000).
        assert_eq!(start(l.acquire(0, None, 2_400_000)), 3_300_000);
        assert_eq!(l.begin(3_300_000), 0);
        let real = [0, 0, 1_300_000, 1_300_000, 2_300_000, 2_300_000, 3_300_000];
        assert_eq!(worst_window(&real, 1_000_000), 2);
    }

    #[test]
    fn no_sliding_window_of_real_starts_exceeds_the_limit_whatever_the_lateness() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for round in 0..200 {
            let per_window = 1 + (next() % 12) as u32;
            let burst = 1 + (next() % per_window as u64) as u32;
            let window = 1_000 + next() % 100_000;
            let mut l = limiter(per_window, window, burst, None);
            l.config.margin_us = next() % (window / 10 + 1);
            let max_lag = next() % (3 * window);
            // Events in time order: (time, kind) with kind 0 an arrival, 1 a wake-up.
            let mut events = BinaryHeap::new();
            let mut t = 0;
            for _ in 0..150 {
                t += next() % (2 * window / per_window as u64 + 1);
                events.push(Reverse((t, 0u8)));
            }
            let mut real = Vec::new();
            while let Some(Reverse((now, kind))) = events.pop() {
                let lag = if next().is_multiple_of(3) { next() % (max_lag + 1) } else { 0 };
                if kind == 0 {
                    match l.acquire(0, None, now) {
                        Acquired::Granted { wait_us: 0, .. } => real.push(now),
                        Acquired::Granted { start_us, .. } => events.push(Reverse((start_us + lag, 1))),
                        other => panic!("refused: {other:?}"),
                    }
                } else {
                    match l.begin(now) {
                        0 => real.push(now),
                        wait => events.push(Reverse((now + wait + lag, 1))),
                    }
                }
            }
            assert_eq!(real.len(), 150);
            assert!(worst_window(&real, window) <= per_window as usize, "round {round}: {per_window}/{window}us lag {max_lag}");
        }
    }

    #[test]
    fn a_small_burst_spreads_requests_out() {
        let mut l = limiter(10, 1_000_000, 1, None);
        let s: Vec<u64> = (0..5).map(|_| start(l.acquire(0, None, 0))).collect();
        assert_eq!(s, vec![0, 100_000, 200_000, 300_000, 400_000]);
    }

    #[test]
    fn starts_never_go_backwards_and_idle_time_refills() {
        let mut l = limiter(2, 1_000_000, 1, None);
        assert_eq!(start(l.acquire(0, None, 0)), 0);
        assert_eq!(start(l.acquire(0, None, 0)), 500_000);
        // A caller arriving later than the last reservation starts at once when the bucket allows.
        assert_eq!(start(l.acquire(0, None, 5_000_000)), 5_000_000);
        assert_eq!(start(l.acquire(0, None, 5_000_001)), 5_500_000);
    }

    #[test]
    fn queue_bound_and_max_wait_refuse_without_reserving() {
        let mut l = RateLimiter::new(RateLimiterConfig {
            requests_per_window: 1,
            window_us: 1_000,
            margin_us: 0,
            max_burst: 1,
            tokens_per_minute: None,
            max_queue: 2,
        })
        .unwrap();
        start(l.acquire(0, None, 0));
        assert_eq!(l.acquire(0, Some(500), 0), Acquired::TooLong { wait_us: 1_000 });
        assert_eq!(start(l.acquire(0, None, 0)), 1_000);
        assert_eq!(start(l.acquire(0, None, 0)), 2_000);
        assert_eq!(l.acquire(0, None, 0), Acquired::QueueFull { queued: 2 });
        let st = l.stats(0);
        assert_eq!((st.requests, st.delayed, st.rejected, st.queued), (3, 2, 2, 2));
    }

    #[test]
    fn tokens_are_reserved_then_corrected() {
        // 6000 tokens a minute = 0.1 token per ms.
        let mut l = limiter(1000, 1_000_000, 1000, Some(6000));
        assert_eq!(start(l.acquire(5000, None, 0)), 0);
        // 1000 left; 2000 more needs 1000 refilled = 10 s.
        assert_eq!(start(l.acquire(2000, None, 0)), 10_000_000);
        // The second call really spent 500: 1500 go back at its start; the bucket is at 1500.
        l.settle(2000, 500);
        assert_eq!(start(l.acquire(1500, None, 10_000_000)), 10_000_000);
        // Clamped to the capacity: waits for a full bucket, not forever.
        assert_eq!(start(l.acquire(1_000_000, None, 10_000_000)), 70_000_000);
        let st = l.stats(0);
        assert_eq!(st.tokens_spent, 500);
        assert_eq!(st.tokens_reserved, 5000 + 2000 + 1500 + 6000);
    }

    #[test]
    fn bad_configs_are_refused() {
        assert!(RateLimiter::new(RateLimiterConfig {
            requests_per_window: 5,
            window_us: 1,
            margin_us: 0,
            max_burst: 6,
            tokens_per_minute: None,
            max_queue: 1
        })
        .is_err());
        assert!(RateLimiter::new(RateLimiterConfig {
            requests_per_window: 0,
            window_us: 1,
            margin_us: 0,
            max_burst: 1,
            tokens_per_minute: None,
            max_queue: 1
        })
        .is_err());
    }

    #[test]
    fn no_sliding_window_exceeds_the_limit_for_pseudo_random_arrivals() {
        // Arrivals, bursts and configs vary; the property is checked exactly.
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let per_window = 1 + (next() % 20) as u32;
            let burst = 1 + (next() % per_window as u64) as u32;
            let window = 1_000 + next() % 1_000_000;
            let mut l = limiter(per_window, window, burst, None);
            let mut now = 0;
            let mut starts = Vec::new();
            for _ in 0..300 {
                now += next() % (2 * window / per_window as u64 + 1);
                let n = 1 + next() % 4;
                for _ in 0..n {
                    let s = start(l.acquire(0, None, now));
                    assert!(s >= now && starts.last().is_none_or(|&p| s >= p));
                    starts.push(s);
                }
            }
            assert!(worst_window(&starts, window) <= per_window as usize, "{per_window}/{window}us burst {burst}");
        }
    }
}
