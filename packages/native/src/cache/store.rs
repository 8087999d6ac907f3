//! The in-memory tier: an LRU map from a 128-bit xxh3 hash to the full key and value, bounded by entry
//! count and bytes, with per-entry expiry. A hit compares the full key, so a hash collision is a miss.

use lru::LruCache;
use xxhash_rust::xxh3::xxh3_128;

/// Bytes charged per entry beyond its key and value (map slot, boxes, bookkeeping).
pub const ENTRY_OVERHEAD: usize = 64;

struct Entry {
    key: Box<[u8]>,
    value: Box<[u8]>,
    expires_at_ms: Option<u64>,
}

impl Entry {
    fn cost(&self) -> usize {
        self.key.len() + self.value.len() + ENTRY_OVERHEAD
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    /// Values not cached because one entry would exceed maxBytes (the call that produced them still succeeds).
    pub too_large: u64,
    pub entries: u64,
    pub bytes: u64,
}

pub struct Bounds {
    pub max_entries: usize,
    pub max_bytes: usize,
    pub default_ttl_ms: Option<u64>,
}

pub struct CacheStore {
    lru: LruCache<u128, Entry>,
    bounds: Bounds,
    bytes: usize,
    stats: Stats,
}

pub fn hash(key: &[u8]) -> u128 {
    xxh3_128(key)
}

impl CacheStore {
    pub fn new(bounds: Bounds) -> Result<Self, String> {
        if bounds.max_entries == 0 {
            return Err("maxEntries must be at least 1".into());
        }
        if bounds.max_bytes <= ENTRY_OVERHEAD {
            return Err(format!("maxBytes must be more than {ENTRY_OVERHEAD}"));
        }
        if bounds.default_ttl_ms == Some(0) {
            return Err("ttl must be positive".into());
        }
        Ok(Self { lru: LruCache::unbounded(), bounds, bytes: 0, stats: Stats::default() })
    }

    pub fn get(&mut self, key: &[u8], now_ms: u64) -> Option<Vec<u8>> {
        let h = hash(key);
        let verdict = match self.lru.get(&h) {
            Some(e) if &*e.key == key => match e.expires_at_ms {
                Some(t) if t <= now_ms => Err(true),
                _ => Ok(e.value.to_vec()),
            },
            _ => Err(false),
        };
        match verdict {
            Ok(value) => {
                self.stats.hits += 1;
                Some(value)
            }
            Err(expired) => {
                if expired {
                    self.remove_hash(h);
                    self.stats.expirations += 1;
                }
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Inserts or replaces; evicts least recently used entries until both bounds hold. Returns the
    /// keys evicted (for the disk tier, which has the same bounds).
    pub fn set(&mut self, key: &[u8], value: &[u8], ttl_ms: Option<u64>, now_ms: u64) -> Result<usize, String> {
        let cost = key.len() + value.len() + ENTRY_OVERHEAD;
        if cost > self.bounds.max_bytes {
            // Not cached, as an LRU bound would drop it at once; an older value for the key is stale now.
            self.remove_hash(hash(key));
            self.stats.too_large += 1;
            return Ok(0);
        }
        if ttl_ms == Some(0) {
            return Err("ttl must be positive".into());
        }
        let h = hash(key);
        self.remove_hash(h);
        let expires_at_ms = ttl_ms.or(self.bounds.default_ttl_ms).map(|t| now_ms.saturating_add(t));
        self.lru.put(h, Entry { key: key.into(), value: value.into(), expires_at_ms });
        self.bytes += cost;
        let mut evicted = 0;
        while self.lru.len() > self.bounds.max_entries || self.bytes > self.bounds.max_bytes {
            let Some((_, e)) = self.lru.pop_lru() else { break };
            self.bytes -= e.cost();
            self.stats.evictions += 1;
            evicted += 1;
        }
        Ok(evicted)
    }

    fn remove_hash(&mut self, h: u128) -> bool {
        match self.lru.pop(&h) {
            Some(e) => {
                self.bytes -= e.cost();
                true
            }
            None => false,
        }
    }

    pub fn delete(&mut self, key: &[u8]) -> bool {
        let h = hash(key);
        match self.lru.peek(&h) {
            Some(e) if &*e.key == key => self.remove_hash(h),
            _ => false,
        }
    }

    /// Removes every entry whose key starts with one of `prefixes` (all entries when empty).
    pub fn clear(&mut self, prefixes: &[Vec<u8>]) -> usize {
        if prefixes.is_empty() {
            let n = self.lru.len();
            self.lru.clear();
            self.bytes = 0;
            return n;
        }
        let doomed: Vec<u128> =
            self.lru.iter().filter(|(_, e)| prefixes.iter().any(|p| e.key.starts_with(p))).map(|(h, _)| *h).collect();
        doomed.iter().filter(|h| self.remove_hash(**h)).count()
    }

    /// Reclaims expired entries (not only skips them on lookup).
    pub fn sweep_expired(&mut self, now_ms: u64) -> usize {
        let expired: Vec<u128> =
            self.lru.iter().filter(|(_, e)| e.expires_at_ms.is_some_and(|t| t <= now_ms)).map(|(h, _)| *h).collect();
        for h in &expired {
            self.remove_hash(*h);
        }
        self.stats.expirations += expired.len() as u64;
        expired.len()
    }

    /// A memory miss answered by the disk tier counts as a hit, not a miss.
    pub fn count_disk_hit(&mut self) {
        self.stats.misses = self.stats.misses.saturating_sub(1);
        self.stats.hits += 1;
    }

    pub fn stats(&self) -> Stats {
        Stats { entries: self.lru.len() as u64, bytes: self.bytes as u64, ..self.stats }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(max_entries: usize, max_bytes: usize) -> CacheStore {
        CacheStore::new(Bounds { max_entries, max_bytes, default_ttl_ms: None }).unwrap()
    }

    #[test]
    fn evicts_least_recently_used_first() {
        let mut s = store(2, 1 << 20);
        s.set(b"a", b"1", None, 0).unwrap();
        s.set(b"b", b"2", None, 0).unwrap();
        assert_eq!(s.get(b"a", 0), Some(b"1".to_vec()));
        s.set(b"c", b"3", None, 0).unwrap();
        assert_eq!(s.get(b"b", 0), None);
        assert_eq!(s.get(b"a", 0), Some(b"1".to_vec()));
        assert_eq!(s.stats().evictions, 1);
    }

    #[test]
    fn byte_bound_holds_and_oversized_entries_are_not_cached() {
        let mut s = store(100, 3 * (ENTRY_OVERHEAD + 11));
        for k in 0..10u8 {
            s.set(&[b'k', k], &[0; 9], None, 0).unwrap();
            assert!(s.stats().bytes <= 3 * (ENTRY_OVERHEAD as u64 + 11));
        }
        assert_eq!(s.stats().entries, 3);
        s.set(b"k\x01", &[1; 9], None, 0).unwrap();
        assert_eq!(s.set(b"k\x01", &[0; 4096], None, 0).unwrap(), 0);
        assert!(s.get(b"k\x01", 0).is_none(), "the stale value of an oversized key is gone");
        assert_eq!(s.stats().too_large, 1);
        assert!(s.stats().bytes <= 3 * (ENTRY_OVERHEAD as u64 + 11));
    }

    #[test]
    fn entries_expire_and_are_reclaimed() {
        let mut s = CacheStore::new(Bounds { max_entries: 10, max_bytes: 1 << 20, default_ttl_ms: Some(100) }).unwrap();
        s.set(b"a", b"1", None, 0).unwrap();
        s.set(b"b", b"2", Some(1000), 0).unwrap();
        assert_eq!(s.get(b"a", 99), Some(b"1".to_vec()));
        assert_eq!(s.get(b"a", 100), None);
        assert_eq!(s.sweep_expired(5000), 1);
        assert_eq!(s.stats().entries, 0);
        assert_eq!(s.stats().expirations, 2);
    }

    #[test]
    fn clears_by_prefix() {
        let mut s = store(10, 1 << 20);
        s.set(b"ns1\x00x", b"1", None, 0).unwrap();
        s.set(b"ns2\x00y", b"2", None, 0).unwrap();
        assert_eq!(s.clear(&[b"ns1\x00".to_vec()]), 1);
        assert_eq!(s.get(b"ns2\x00y", 0), Some(b"2".to_vec()));
    }

    #[test]
    fn rejects_zero_bounds() {
        assert!(CacheStore::new(Bounds { max_entries: 0, max_bytes: 1000, default_ttl_ms: None }).is_err());
        assert!(CacheStore::new(Bounds { max_entries: 1, max_bytes: 0, default_ttl_ms: None }).is_err());
    }
}
