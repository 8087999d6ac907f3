//! The write-behind queue between a cache and its persistent tier (SQLite file or PostgreSQL table).
//! Bounded in operations and bytes: when a push would pass the bound, the OLDEST queued puts, touches
//! and clean-ups of expired rows are dropped (drop-oldest). A dropped put loses only the persistence of
//! that entry (it stays in the memory tier). Deletes and clears are never dropped, so no stale value
//! comes back: when they alone pass the bound (the tier unreachable while keys are deleted or set
//! expired, say), every operation queued before the newest is folded into one clear of the whole tier,
//! which removes what they would have and more (persisted entries are lost, never a value brought back).
//! Each push costs O(1) amortized. The JavaScript thread never waits for the backlog: pushing takes a
//! short lock and never blocks on the writer. `flush` waits, asynchronously, until everything queued
//! before it was written, dropped or folded.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// One write for a persistent tier. `now` is the caller's clock in ms (the SQLite tier's); the
/// PostgreSQL tier uses the server's clock and reads `ttl_ms` only.
pub enum Op {
    Put {
        hash: Vec<u8>,
        key: Vec<u8>,
        value: Vec<u8>,
        ttl_ms: Option<u64>,
        now: i64,
    },
    Touch {
        hash: Vec<u8>,
        now: i64,
    },
    Delete {
        hash: Vec<u8>,
    },
    /// Removes the row if it is still expired at `now` (a read found it so): only clean-up, since
    /// readers take an expired row for a miss, so it may be dropped at the bound, unlike `Delete`.
    Forget {
        hash: Vec<u8>,
        now: i64,
    },
    Clear {
        prefixes: Vec<Vec<u8>>,
    },
}

impl Op {
    /// Bytes the queued operation holds (payload plus a fixed 64 for its slot).
    fn bytes(&self) -> usize {
        64 + match self {
            Op::Put { hash, key, value, .. } => hash.len() + key.len() + value.len(),
            Op::Touch { hash, .. } | Op::Delete { hash } | Op::Forget { hash, .. } => hash.len(),
            Op::Clear { prefixes } => prefixes.iter().map(Vec::len).sum(),
        }
    }

    fn droppable(&self) -> bool {
        matches!(self, Op::Put { .. } | Op::Touch { .. } | Op::Forget { .. })
    }
}

#[derive(Clone, Copy)]
pub struct QueueBounds {
    pub max_ops: usize,
    pub max_bytes: usize,
}

impl QueueBounds {
    /// The default for a tier bounded by `max_bytes`: a quarter of it, between 1 MiB and 64 MiB, and
    /// at most 10,000 operations.
    pub fn for_tier(max_bytes: usize) -> Self {
        Self { max_ops: 10_000, max_bytes: (max_bytes / 4).clamp(1 << 20, 64 << 20) }
    }
}

#[derive(Default)]
struct State {
    ops: VecDeque<(u64, usize, Op)>,
    bytes: usize,
    /// How many queued operations are droppable.
    droppable: usize,
    /// Every queued operation before this index is not droppable (where the next search for one starts).
    scan_from: usize,
    pushed: u64,
    done: u64,
    dropped: u64,
    closed: bool,
}

/// A snapshot for `stats()`.
#[derive(Clone, Copy, Default)]
pub struct QueueStats {
    pub queued: u64,
    pub queued_bytes: u64,
    pub max_bytes: u64,
    pub max_ops: u64,
    pub dropped: u64,
}

pub struct WriteQueue {
    state: Mutex<State>,
    bounds: QueueBounds,
    /// Wakes a writer thread (SQLite tier).
    ready: Condvar,
    /// Wakes a writer task (PostgreSQL tier).
    notify: tokio::sync::Notify,
    /// The sequence number up to which every operation is written or dropped.
    done: tokio::sync::watch::Sender<u64>,
}

impl WriteQueue {
    pub fn new(bounds: QueueBounds) -> Self {
        Self {
            state: Mutex::new(State::default()),
            bounds,
            ready: Condvar::new(),
            notify: tokio::sync::Notify::new(),
            done: tokio::sync::watch::channel(0).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, op: Op) {
        let mut s = self.lock();
        s.pushed += 1;
        let (seq, size) = (s.pushed, op.bytes());
        s.droppable += usize::from(op.droppable());
        s.ops.push_back((seq, size, op));
        s.bytes += size;
        while s.ops.len() > self.bounds.max_ops || s.bytes > self.bounds.max_bytes {
            // The newest operation always stays: the bound is exceeded by at most that one entry.
            let newest = s.ops.len() - 1;
            let found = if s.droppable > usize::from(s.ops[newest].2.droppable()) {
                (s.scan_from..newest).find(|&i| s.ops[i].2.droppable())
            } else {
                None
            };
            match found {
                Some(i) => {
                    let (_, size, _) = s.ops.remove(i).expect("index is in range");
                    s.bytes -= size;
                    s.droppable -= 1;
                    s.dropped += 1;
                    s.scan_from = i;
                }
                None if newest > 0 => Self::fold(&mut s),
                None => break,
            }
        }
        drop(s);
        self.ready.notify_one();
        self.notify.notify_one();
    }

    /// Replaces every operation but the newest (none of them droppable) by one clear of the whole tier,
    /// under the last folded operation's sequence number.
    fn fold(s: &mut State) {
        let newest = s.ops.pop_back().expect("the newest operation");
        let folded = s.ops.len() as u64;
        let seq = s.ops.back().map_or(newest.0, |(seq, _, _)| *seq);
        s.ops.clear();
        let clear = Op::Clear { prefixes: Vec::new() };
        let size = clear.bytes();
        s.bytes = size + newest.1;
        s.droppable = usize::from(newest.2.droppable());
        s.scan_from = 0;
        s.dropped += folded;
        s.ops.push_back((seq, size, clear));
        s.ops.push_back(newest);
    }

    fn take(s: &mut State, max_ops: usize, max_bytes: usize) -> Vec<(u64, Op)> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some((_, size, _)) = s.ops.front() {
            if !batch.is_empty() && (batch.len() >= max_ops || bytes + size > max_bytes) {
                break;
            }
            let (seq, size, op) = s.ops.pop_front().expect("front exists");
            s.bytes -= size;
            s.droppable -= usize::from(op.droppable());
            s.scan_from = s.scan_from.saturating_sub(1);
            bytes += size;
            batch.push((seq, op));
        }
        batch
    }

    /// Takes the next batch (at most `max_ops` operations and `max_bytes` bytes, at least one; none
    /// once closed and drained), blocking the calling thread until there is one. For writer threads only.
    pub fn next_batch_blocking(&self, max_ops: usize, max_bytes: usize) -> Vec<(u64, Op)> {
        let mut s = self.lock();
        loop {
            if !s.ops.is_empty() || s.closed {
                return Self::take(&mut s, max_ops, max_bytes);
            }
            s = self.ready.wait_timeout(s, Duration::from_secs(60)).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// The same for a writer task on the tokio runtime (one consumer per queue).
    pub async fn next_batch(&self, max_ops: usize, max_bytes: usize) -> Vec<(u64, Op)> {
        loop {
            {
                let mut s = self.lock();
                if !s.ops.is_empty() || s.closed {
                    return Self::take(&mut s, max_ops, max_bytes);
                }
            }
            self.notify.notified().await;
        }
    }

    /// Ends the writer once the queue is drained: it then gets an empty batch.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
        self.notify.notify_one();
    }

    /// Marks everything up to `seq` written (or given up on).
    pub fn complete(&self, seq: u64) {
        let mut s = self.lock();
        if seq > s.done {
            s.done = seq;
        }
        // Operations dropped after the last batch was taken count as done once nothing is queued.
        let done = if s.ops.is_empty() { s.pushed } else { s.done };
        drop(s);
        self.done.send_if_modified(|d| {
            let changed = done > *d;
            *d = (*d).max(done);
            changed
        });
    }

    /// Resolves when every operation queued before the call is written or dropped.
    pub async fn flush(&self) {
        let target = {
            let s = self.lock();
            if s.ops.is_empty() && s.done >= s.pushed {
                return;
            }
            s.pushed
        };
        let mut rx = self.done.subscribe();
        let _ = rx.wait_for(|d| *d >= target).await;
    }

    pub fn stats(&self) -> QueueStats {
        let s = self.lock();
        QueueStats {
            queued: s.ops.len() as u64,
            queued_bytes: s.bytes as u64,
            max_bytes: self.bounds.max_bytes as u64,
            max_ops: self.bounds.max_ops as u64,
            dropped: s.dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(n: usize) -> Op {
        Op::Put { hash: vec![0; 16], key: vec![1; 8], value: vec![2; n], ttl_ms: None, now: 0 }
    }

    #[test]
    fn drops_the_oldest_puts_at_the_byte_bound_and_never_deletes() {
        let q = WriteQueue::new(QueueBounds { max_ops: 100, max_bytes: 10_000 });
        q.push(Op::Delete { hash: vec![9; 16] });
        for _ in 0..50 {
            q.push(put(1000));
        }
        let s = q.stats();
        assert!(s.queued_bytes <= 10_000, "{}", s.queued_bytes);
        assert_eq!(s.dropped, 50 - (s.queued - 1));
        let batch = q.next_batch_blocking(1000, usize::MAX);
        assert!(matches!(batch[0].1, Op::Delete { .. }));
    }

    #[test]
    fn deletes_past_the_bound_fold_into_one_clear_that_keeps_the_newest_operation_after_it() {
        let q = WriteQueue::new(QueueBounds { max_ops: 100, max_bytes: 1 << 20 });
        q.push(put(10));
        for h in 0..250u8 {
            q.push(Op::Delete { hash: vec![h; 16] });
        }
        q.push(put(10));
        let s = q.stats();
        assert!(s.queued <= 100, "{}", s.queued);
        // 251 pushed before the last put: the first put dropped, then deletes folded at each overflow.
        let batch = q.next_batch_blocking(1000, usize::MAX);
        assert!(
            batch.iter().any(|(_, op)| matches!(op, Op::Clear { prefixes } if prefixes.is_empty())),
            "a clear of everything stands for the folded deletes"
        );
        assert!(matches!(batch.last(), Some((seq, Op::Put { .. })) if *seq == 252), "the newest operation stays, last");
        // Nothing the deletes removed can come back: no put is queued before the clear.
        let clear_at = batch.iter().position(|(_, op)| matches!(op, Op::Clear { .. })).expect("a clear");
        assert!(batch[..clear_at].iter().all(|(_, op)| matches!(op, Op::Delete { .. })));
        q.complete(batch.last().expect("ops").0);
        assert_eq!(*q.done.borrow(), 252);
    }

    #[test]
    fn clean_ups_of_expired_rows_are_dropped_before_deletes() {
        let q = WriteQueue::new(QueueBounds { max_ops: 3, max_bytes: 1 << 20 });
        q.push(Op::Delete { hash: vec![1; 16] });
        q.push(Op::Forget { hash: vec![2; 16], now: 0 });
        q.push(Op::Delete { hash: vec![3; 16] });
        q.push(Op::Delete { hash: vec![4; 16] });
        assert_eq!(q.stats().dropped, 1);
        let batch = q.next_batch_blocking(1000, usize::MAX);
        assert!(batch.iter().all(|(_, op)| matches!(op, Op::Delete { .. })), "the Forget went first");
        assert_eq!(batch.len(), 3);
    }

    #[test]
    fn batches_respect_their_bounds_and_flush_sees_drops_as_done() {
        let q = WriteQueue::new(QueueBounds { max_ops: 3, max_bytes: 1 << 20 });
        for _ in 0..10 {
            q.push(put(10));
        }
        assert_eq!(q.stats().dropped, 7);
        let batch = q.next_batch_blocking(2, usize::MAX);
        assert_eq!(batch.len(), 2);
        q.complete(batch[1].0);
        assert_eq!(*q.done.borrow(), 9);
        let batch = q.next_batch_blocking(2, usize::MAX);
        q.complete(batch[0].0);
        assert_eq!(*q.done.borrow(), 10);
    }
}
