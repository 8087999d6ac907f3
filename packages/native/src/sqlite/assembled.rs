//! The value getTuple last assembled per (thread, namespace, channel), so that the next read of a grown
//! list joins only the increments stored since onto it instead of reading the whole chain again (a
//! 1,000-message chat thread's chain is about a thousand rows). An entry is a pure function of stored
//! rows, which our puts only ever add to; anything that may change a stored row drops entries first:
//! a put that overwrites a row (a retried put), deleteThread, prune and vacuum, and another
//! connection's commit (seen through `PRAGMA data_version`, read inside the read's own transaction).
//! Bounded by bytes, least recently used first; counters readable without a lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Default byte bound of a store's assembled values: 32 MiB (a 1,000-message thread is ~700 KB).
pub const DEFAULT_ASSEMBLED_VALUE_BYTES: u64 = 32 * 1024 * 1024;

type Key = (String, String, String);

struct Entry {
    owner: String,
    data: Vec<u8>,
    tick: u64,
}

/// What JavaScript reads for `cacheStats()`: plain atomics, never a lock.
#[derive(Default)]
pub struct AssembledStats {
    pub entries: AtomicU64,
    pub bytes: AtomicU64,
    pub max_bytes: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
}

pub struct AssembledValues {
    entries: HashMap<Key, Entry>,
    order: BTreeMap<u64, Key>,
    tick: u64,
    bytes: u64,
    max_bytes: u64,
    /// `PRAGMA data_version` when the entries were last known current.
    data_version: Option<i64>,
    stats: Arc<AssembledStats>,
}

/// Bytes an entry counts: its data, its key and owner, and the maps' slots.
fn cost(key: &Key, owner: &str, data: &[u8]) -> u64 {
    (data.len() + key.0.len() + key.1.len() + key.2.len() + owner.len() + 128) as u64
}

impl AssembledValues {
    pub fn new(max_bytes: u64) -> Self {
        let stats = Arc::new(AssembledStats::default());
        stats.max_bytes.store(max_bytes, Ordering::Relaxed);
        Self { entries: HashMap::new(), order: BTreeMap::new(), tick: 0, bytes: 0, max_bytes, data_version: None, stats }
    }

    pub fn stats(&self) -> Arc<AssembledStats> {
        self.stats.clone()
    }

    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// Drops every entry when another connection committed since the entries were made.
    pub fn check_data_version(&mut self, version: i64) {
        if self.data_version != Some(version) {
            self.clear();
            self.data_version = Some(version);
        }
    }

    /// The bytes of the value `owner` stored, when they are the entry's.
    pub fn get(&mut self, thread_id: &str, ns: &str, channel: &str, owner: &str) -> Option<&[u8]> {
        let key = (thread_id.to_string(), ns.to_string(), channel.to_string());
        let tick = self.next_tick();
        let entry = self.entries.get_mut(&key)?;
        if entry.owner != owner {
            return None;
        }
        self.order.remove(&entry.tick);
        entry.tick = tick;
        self.order.insert(tick, key);
        Some(&entry.data)
    }

    /// The owner of the entry for a channel, if any (an ancestor a chain walk may stop at).
    pub fn owner(&self, thread_id: &str, ns: &str, channel: &str) -> Option<&str> {
        self.entries.get(&(thread_id.to_string(), ns.to_string(), channel.to_string())).map(|e| e.owner.as_str())
    }

    pub fn hit(&self) {
        self.stats.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn miss(&self) {
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set(&mut self, thread_id: &str, ns: &str, channel: &str, owner: &str, data: &[u8]) {
        let key = (thread_id.to_string(), ns.to_string(), channel.to_string());
        self.remove(&key);
        let size = cost(&key, owner, data);
        if size > self.max_bytes {
            return;
        }
        while self.bytes + size > self.max_bytes {
            let Some((_, oldest)) = self.order.pop_first() else { break };
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes -= cost(&oldest, &e.owner, &e.data);
                self.stats.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
        let tick = self.next_tick();
        self.bytes += size;
        self.order.insert(tick, key.clone());
        self.entries.insert(key, Entry { owner: owner.to_string(), data: data.to_vec(), tick });
        self.publish();
    }

    /// Drops the entries of one thread (every namespace and channel).
    pub fn forget_thread(&mut self, thread_id: &str) {
        if self.entries.is_empty() {
            return;
        }
        let keys: Vec<Key> = self.entries.keys().filter(|k| k.0 == thread_id).cloned().collect();
        for key in keys {
            self.remove(&key);
        }
        self.publish();
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
        self.publish();
    }

    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.tick);
            self.bytes -= cost(key, &e.owner, &e.data);
        }
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    fn publish(&self) {
        self.stats.entries.store(self.entries.len() as u64, Ordering::Relaxed);
        self.stats.bytes.store(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_within_the_bound() {
        let mut c = AssembledValues::new(3 * 1024);
        c.set("a", "", "m", "1", &[b'x'; 1000]);
        c.set("b", "", "m", "1", &[b'y'; 1000]);
        assert!(c.get("a", "", "m", "1").is_some());
        c.set("c", "", "m", "1", &[b'z'; 1000]);
        assert!(c.get("b", "", "m", "1").is_none(), "b was least recently used");
        assert!(c.get("a", "", "m", "1").is_some());
        assert!(c.stats().bytes.load(Ordering::Relaxed) <= 3 * 1024);
        assert_eq!(c.stats().evictions.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_entry_answers_only_for_its_owner_and_data_version() {
        let mut c = AssembledValues::new(1 << 20);
        c.check_data_version(7);
        c.set("t", "", "m", "owner-2", b"[1,2]");
        assert!(c.get("t", "", "m", "owner-1").is_none());
        assert_eq!(c.get("t", "", "m", "owner-2"), Some(&b"[1,2]"[..]));
        c.check_data_version(7);
        assert!(c.get("t", "", "m", "owner-2").is_some());
        c.check_data_version(8);
        assert!(c.get("t", "", "m", "owner-2").is_none(), "another connection committed");
    }

    #[test]
    fn a_value_larger_than_the_bound_is_not_kept() {
        let mut c = AssembledValues::new(100);
        c.set("t", "", "m", "o", &[b'x'; 200]);
        assert_eq!(c.stats().entries.load(Ordering::Relaxed), 0);
        let mut off = AssembledValues::new(0);
        off.set("t", "", "m", "o", b"[]");
        assert!(!off.enabled());
        assert_eq!(off.stats().entries.load(Ordering::Relaxed), 0);
    }
}
