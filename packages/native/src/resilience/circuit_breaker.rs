//! A circuit breaker: closed → open after `failure_threshold` failures within `failure_window_us` →
//! half-open once `recovery_timeout_us` has passed, with at most `half_open_max_calls` probes in flight →
//! closed after `success_threshold` probe successes (any probe failure opens it again).
//!
//! Every admitted call holds a permit stamped with the breaker's generation (bumped on each transition),
//! so an outcome that arrives after a transition — a slow call admitted while closed that fails after the
//! breaker opened, or succeeds while it is half-open — counts in the statistics but cannot move the state.
//! One lock around the whole machine makes each admit and record a single atomic step.

use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub failure_window_us: u64,
    pub recovery_timeout_us: u64,
    pub half_open_max_calls: u32,
    pub success_threshold: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    pub generation: u64,
    pub probe: bool,
}

impl Permit {
    /// A permit as one number (it crosses to JavaScript as a double): generation × 2 + probe.
    pub fn encode(self) -> u64 {
        self.generation * 2 + self.probe as u64
    }

    pub fn decode(n: u64) -> Self {
        Self { generation: n / 2, probe: n % 2 == 1 }
    }
}

#[derive(Debug, PartialEq)]
pub enum Admission {
    Allowed(Permit),
    /// Open: the first probe is let through at `probe_at_us`.
    Open {
        probe_at_us: u64,
    },
    /// Half-open with every probe slot taken.
    Probing {
        in_flight: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Neither (a client error, a cancelled call): frees a probe slot, counts nothing.
    Ignored,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub from: State,
    pub to: State,
    pub at_us: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BreakerCounts {
    pub admitted: u64,
    pub rejected: u64,
    pub successes: u64,
    pub failures: u64,
    pub stale_outcomes: u64,
    pub transitions: u64,
}

const KEPT_TRANSITIONS: usize = 32;

pub struct CircuitBreaker {
    config: BreakerConfig,
    state: State,
    generation: u64,
    /// Times of the failures within the window (closed state only), oldest first; at most threshold.
    failures: VecDeque<u64>,
    opened_at_us: u64,
    probes_in_flight: u32,
    probe_successes: u32,
    recent: VecDeque<Transition>,
    counts: BreakerCounts,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Result<Self, String> {
        if config.failure_threshold == 0 || config.half_open_max_calls == 0 || config.success_threshold == 0 {
            return Err("failureThreshold, halfOpenMaxCalls and successThreshold must be at least 1".into());
        }
        Ok(Self {
            config,
            state: State::Closed,
            generation: 0,
            failures: VecDeque::new(),
            opened_at_us: 0,
            probes_in_flight: 0,
            probe_successes: 0,
            recent: VecDeque::new(),
            counts: BreakerCounts::default(),
        })
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn move_to(&mut self, to: State, now_us: u64) {
        if self.recent.len() == KEPT_TRANSITIONS {
            self.recent.pop_front();
        }
        self.recent.push_back(Transition { from: self.state, to, at_us: now_us });
        self.counts.transitions += 1;
        self.state = to;
        self.generation += 1;
        self.failures.clear();
        self.probes_in_flight = 0;
        self.probe_successes = 0;
        if to == State::Open {
            self.opened_at_us = now_us;
        }
    }

    /// The state at `now_us`, counting an elapsed recovery timeout as half-open.
    pub fn state(&mut self, now_us: u64) -> State {
        if self.state == State::Open && now_us >= self.opened_at_us + self.config.recovery_timeout_us {
            self.move_to(State::HalfOpen, now_us);
        }
        self.state
    }

    pub fn admit(&mut self, now_us: u64) -> Admission {
        let admission = match self.state(now_us) {
            State::Closed => Admission::Allowed(Permit { generation: self.generation, probe: false }),
            State::Open => Admission::Open { probe_at_us: self.opened_at_us + self.config.recovery_timeout_us },
            State::HalfOpen if self.probes_in_flight < self.config.half_open_max_calls => {
                self.probes_in_flight += 1;
                Admission::Allowed(Permit { generation: self.generation, probe: true })
            }
            State::HalfOpen => Admission::Probing { in_flight: self.probes_in_flight },
        };
        match admission {
            Admission::Allowed(_) => self.counts.admitted += 1,
            _ => self.counts.rejected += 1,
        }
        admission
    }

    pub fn record(&mut self, permit: Permit, outcome: Outcome, now_us: u64) {
        match outcome {
            Outcome::Success => self.counts.successes += 1,
            Outcome::Failure => self.counts.failures += 1,
            Outcome::Ignored => {}
        }
        if permit.generation != self.generation {
            self.counts.stale_outcomes += 1;
            return;
        }
        match (self.state, permit.probe, outcome) {
            (State::Closed, false, Outcome::Failure) => {
                let window = self.config.failure_window_us;
                while self.failures.front().is_some_and(|&t| t + window <= now_us) {
                    self.failures.pop_front();
                }
                self.failures.push_back(now_us);
                if self.failures.len() >= self.config.failure_threshold as usize {
                    self.move_to(State::Open, now_us);
                }
            }
            (State::HalfOpen, true, Outcome::Failure) => self.move_to(State::Open, now_us),
            (State::HalfOpen, true, Outcome::Success) => {
                self.probes_in_flight -= 1;
                self.probe_successes += 1;
                if self.probe_successes >= self.config.success_threshold {
                    self.move_to(State::Closed, now_us);
                }
            }
            (State::HalfOpen, true, Outcome::Ignored) => self.probes_in_flight -= 1,
            _ => {}
        }
    }

    /// Failures now inside the window (closed state).
    pub fn recent_failures(&self, now_us: u64) -> usize {
        self.failures.iter().filter(|&&t| t + self.config.failure_window_us > now_us).count()
    }

    pub fn opened_at_us(&self) -> u64 {
        self.opened_at_us
    }

    pub fn probes_in_flight(&self) -> u32 {
        self.probes_in_flight
    }

    pub fn transitions(&self) -> impl Iterator<Item = &Transition> {
        self.recent.iter()
    }

    pub fn counts(&self) -> &BreakerCounts {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            failure_window_us: 10_000,
            recovery_timeout_us: 50_000,
            half_open_max_calls: 2,
            success_threshold: 2,
        })
        .unwrap()
    }

    fn permit(b: &mut CircuitBreaker, now: u64) -> Permit {
        match b.admit(now) {
            Admission::Allowed(p) => p,
            other => panic!("refused: {other:?}"),
        }
    }

    fn fail(b: &mut CircuitBreaker, now: u64) {
        let p = permit(b, now);
        b.record(p, Outcome::Failure, now);
    }

    #[test]
    fn every_transition_in_turn() {
        let mut b = breaker();
        fail(&mut b, 0);
        fail(&mut b, 1);
        assert_eq!(b.state(2), State::Closed);
        fail(&mut b, 2);
        assert_eq!(b.state(2), State::Open);
        assert_eq!(b.admit(49_999), Admission::Open { probe_at_us: 50_002 });
        // Recovery elapsed: two probes, no third.
        let p1 = permit(&mut b, 50_002);
        assert!(p1.probe);
        let p2 = permit(&mut b, 50_003);
        assert_eq!(b.admit(50_004), Admission::Probing { in_flight: 2 });
        b.record(p1, Outcome::Success, 50_005);
        assert_eq!(b.state(50_005), State::HalfOpen);
        let p3 = permit(&mut b, 50_006);
        b.record(p2, Outcome::Success, 50_007);
        assert_eq!(b.state(50_007), State::Closed);
        // p3 belonged to the half-open period: its late failure cannot touch the closed breaker.
        b.record(p3, Outcome::Failure, 50_008);
        assert_eq!(b.state(50_008), State::Closed);
        assert_eq!(b.recent_failures(50_008), 0);
        let path: Vec<(State, State)> = b.transitions().map(|t| (t.from, t.to)).collect();
        assert_eq!(path, vec![(State::Closed, State::Open), (State::Open, State::HalfOpen), (State::HalfOpen, State::Closed)]);
        assert_eq!(b.counts().stale_outcomes, 1);
    }

    #[test]
    fn a_failing_probe_reopens_with_a_new_timeout() {
        let mut b = breaker();
        (0..3).for_each(|t| fail(&mut b, t));
        let p = permit(&mut b, 60_000);
        b.record(p, Outcome::Failure, 60_001);
        assert_eq!(b.admit(60_002), Admission::Open { probe_at_us: 110_001 });
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let mut b = breaker();
        fail(&mut b, 0);
        fail(&mut b, 5_000);
        // The first failure is 10 ms old: two in the window, still closed.
        fail(&mut b, 10_000);
        assert_eq!(b.state(10_000), State::Closed);
        assert_eq!(b.recent_failures(10_000), 2);
        fail(&mut b, 14_999);
        assert_eq!(b.state(14_999), State::Open);
    }

    #[test]
    fn late_outcomes_of_closed_permits_do_not_move_an_open_breaker() {
        let mut b = breaker();
        let slow: Vec<Permit> = (0..5).map(|t| permit(&mut b, t)).collect();
        (10..13).for_each(|t| fail(&mut b, t));
        assert_eq!(b.state(13), State::Open);
        for p in slow {
            b.record(p, Outcome::Success, 60_000);
        }
        assert_eq!(b.state(60_001), State::HalfOpen);
        assert_eq!(b.probes_in_flight(), 0);
    }

    #[test]
    fn ignored_outcomes_free_probe_slots_only() {
        let mut b = breaker();
        (0..3).for_each(|t| fail(&mut b, t));
        let p = permit(&mut b, 50_010);
        let _q = permit(&mut b, 50_010);
        b.record(p, Outcome::Ignored, 50_011);
        assert_eq!(b.probes_in_flight(), 1);
        assert_eq!(b.state(50_011), State::HalfOpen);
    }

    #[test]
    fn permits_survive_encoding() {
        for p in [Permit { generation: 0, probe: false }, Permit { generation: 77, probe: true }] {
            assert_eq!(Permit::decode(p.encode()), p);
        }
    }
}
