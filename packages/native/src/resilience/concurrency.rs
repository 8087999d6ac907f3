//! A counting semaphore with a FIFO queue of waiters, for per-node-type concurrency limits. A waiter
//! is whatever the caller needs to wake it (a threadsafe function in the binding); `release` hands the
//! freed permit straight to the oldest waiter, so a newcomer can never overtake the queue.

use std::collections::VecDeque;

use super::wait_stats::WaitStats;

#[derive(Clone, Debug, PartialEq)]
pub struct ConcurrencyConfig {
    pub max_concurrency: u32,
    pub max_queue: usize,
}

#[derive(Debug, PartialEq)]
pub enum Enqueued {
    /// A permit was free: the caller runs now and the waiter is not kept.
    Granted,
    Queued(u64),
    QueueFull,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConcurrencyStats {
    pub in_flight: u32,
    pub peak_in_flight: u32,
    pub queued: usize,
    pub acquired: u64,
    pub waited: u64,
    pub rejected: u64,
    pub wait_p50_us: u64,
    pub wait_p99_us: u64,
}

struct Waiter<W> {
    ticket: u64,
    since_us: u64,
    waker: W,
}

pub struct Semaphore<W> {
    config: ConcurrencyConfig,
    in_flight: u32,
    queue: VecDeque<Waiter<W>>,
    next_ticket: u64,
    waits: WaitStats,
    stats: ConcurrencyStats,
}

impl<W> Semaphore<W> {
    pub fn new(config: ConcurrencyConfig) -> Result<Self, String> {
        if config.max_concurrency == 0 {
            return Err("maxConcurrency must be at least 1".into());
        }
        Ok(Self {
            config,
            in_flight: 0,
            queue: VecDeque::new(),
            next_ticket: 1,
            waits: WaitStats::default(),
            stats: ConcurrencyStats::default(),
        })
    }

    pub fn config(&self) -> &ConcurrencyConfig {
        &self.config
    }

    fn grant(&mut self, wait_us: u64) {
        self.stats.acquired += 1;
        self.stats.peak_in_flight = self.stats.peak_in_flight.max(self.in_flight);
        self.waits.record(wait_us);
    }

    /// Takes a permit if one is free and nobody is queued.
    pub fn try_acquire(&mut self) -> bool {
        if self.in_flight < self.config.max_concurrency && self.queue.is_empty() {
            self.in_flight += 1;
            self.grant(0);
            true
        } else {
            false
        }
    }

    /// Takes a permit, or queues `waker` behind the callers already waiting.
    pub fn enqueue(&mut self, waker: W, now_us: u64) -> Enqueued {
        if self.try_acquire() {
            return Enqueued::Granted;
        }
        if self.queue.len() >= self.config.max_queue {
            self.stats.rejected += 1;
            return Enqueued::QueueFull;
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.queue.push_back(Waiter { ticket, since_us: now_us, waker });
        Enqueued::Queued(ticket)
    }

    /// Gives a permit back: to the oldest waiter (returned, to be woken; it now holds the permit) or to
    /// the pool. If waking fails (its thread has gone), call `release` again for the next one.
    /// Returns (ticket, µs waited, waker).
    pub fn release(&mut self, now_us: u64) -> Option<(u64, u64, W)> {
        match self.queue.pop_front() {
            Some(w) => {
                let wait_us = now_us.saturating_sub(w.since_us);
                self.stats.waited += 1;
                self.grant(wait_us);
                Some((w.ticket, wait_us, w.waker))
            }
            None => {
                self.in_flight = self.in_flight.saturating_sub(1);
                None
            }
        }
    }

    /// Removes a queued waiter (an aborted wait). False when it was already handed a permit.
    pub fn cancel(&mut self, ticket: u64) -> Option<W> {
        let i = self.queue.iter().position(|w| w.ticket == ticket)?;
        self.queue.remove(i).map(|w| w.waker)
    }

    pub fn stats(&self) -> ConcurrencyStats {
        ConcurrencyStats {
            in_flight: self.in_flight,
            queued: self.queue.len(),
            wait_p50_us: self.waits.quantile(0.5),
            wait_p99_us: self.waits.quantile(0.99),
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sem(max: u32, queue: usize) -> Semaphore<&'static str> {
        Semaphore::new(ConcurrencyConfig { max_concurrency: max, max_queue: queue }).unwrap()
    }

    #[test]
    fn permits_pass_to_waiters_in_arrival_order() {
        let mut s = sem(2, 10);
        assert!(s.try_acquire());
        assert_eq!(s.enqueue("b", 0), Enqueued::Granted);
        assert_eq!(s.enqueue("c", 0), Enqueued::Queued(1));
        assert_eq!(s.enqueue("d", 5), Enqueued::Queued(2));
        // Nobody may overtake the queue, even when a permit frees up between calls.
        assert!(!s.try_acquire());
        assert_eq!(s.release(10), Some((1, 10, "c")));
        assert_eq!(s.stats().in_flight, 2);
        assert_eq!(s.release(20), Some((2, 15, "d")));
        assert_eq!(s.release(20), None);
        assert_eq!(s.release(20), None);
        let st = s.stats();
        assert_eq!((st.in_flight, st.peak_in_flight, st.acquired, st.waited), (0, 2, 4, 2));
        assert_eq!(st.wait_p99_us, 15);
    }

    #[test]
    fn a_cancelled_waiter_leaves_the_queue_and_the_queue_is_bounded() {
        let mut s = sem(1, 2);
        assert!(s.try_acquire());
        assert_eq!(s.enqueue("a", 0), Enqueued::Queued(1));
        assert_eq!(s.enqueue("b", 0), Enqueued::Queued(2));
        assert_eq!(s.enqueue("c", 0), Enqueued::QueueFull);
        assert_eq!(s.cancel(1), Some("a"));
        assert_eq!(s.cancel(1), None);
        assert_eq!(s.release(1), Some((2, 1, "b")));
        assert_eq!(s.cancel(2), None, "already holds the permit");
        assert_eq!(s.stats().rejected, 1);
    }
}
