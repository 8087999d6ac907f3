//! One monotonic clock for the whole process, so that times taken in different worker threads compare.

use std::sync::OnceLock;
use std::time::Instant;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds since the first use of the clock in this process.
pub fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}
