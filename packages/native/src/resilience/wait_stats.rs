//! Wait times of the last callers (a bounded ring), for p50/p99.

const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct WaitStats {
    ring: Vec<u64>,
    next: usize,
    pub total: u64,
    pub waited: u64,
}

impl WaitStats {
    pub fn record(&mut self, wait_us: u64) {
        self.total += 1;
        if wait_us > 0 {
            self.waited += 1;
        }
        if self.ring.len() < CAPACITY {
            self.ring.push(wait_us);
        } else {
            self.ring[self.next] = wait_us;
        }
        self.next = (self.next + 1) % CAPACITY;
    }

    /// The `q`-quantile (0..=1) of the recorded waits in µs, nearest rank; 0 when nothing was recorded.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.ring.is_empty() {
            return 0;
        }
        let mut sorted = self.ring.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank_over_the_last_1024() {
        let mut w = WaitStats::default();
        assert_eq!(w.quantile(0.5), 0);
        for i in 1..=100 {
            w.record(i);
        }
        assert_eq!(w.quantile(0.5), 50);
        assert_eq!(w.quantile(0.99), 99);
        assert_eq!(w.waited, 100);
        for _ in 0..2000 {
            w.record(0);
        }
        assert_eq!(w.quantile(0.99), 0, "old waits leave the ring");
        assert_eq!(w.total, 2100);
    }
}
