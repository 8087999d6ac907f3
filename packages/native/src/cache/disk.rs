//! The optional disk tier: a SQLite file that survives restarts, with the same bounds and expiry as
//! memory. Lookups that miss memory do one indexed point read; every write goes through the bounded
//! write-behind queue (queue.rs) to a writer thread, so storing a response never waits on the disk.
//! The writer applies at most `batch_bytes` per transaction and evicts to the bounds in the same
//! transaction, so the file never holds more than the bound plus one batch; freed pages go back to
//! the file system (auto_vacuum = INCREMENTAL) and the WAL is truncated after checkpoints
//! (journal_size_limit).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::queue::{Op, QueueBounds, WriteQueue};
use super::store::{hash, ENTRY_OVERHEAD};

const FORMAT: &str = "fast-langgraph-cache/1";

/// What the writer last saw in the file: live rows and their bytes (key + value + 64 each).
#[derive(Default)]
pub struct DiskLedger {
    pub entries: AtomicI64,
    pub bytes: AtomicI64,
}

/// A disk hit: the value and its expiry (ms since the epoch), if any.
pub type DiskHit = (Vec<u8>, Option<i64>);

pub struct DiskTier {
    pub path: String,
    reader: Mutex<Connection>,
    pub queue: Arc<WriteQueue>,
    pub ledger: Arc<DiskLedger>,
}

/// Why a file cannot serve as the disk tier.
pub enum OpenError {
    /// A SQLite database holding something else: refusing it protects that data.
    NotACache(String),
    /// Corrupt, unreadable or not SQLite: the cache runs in memory and says why.
    Unusable(String),
}

pub fn key_hash(key: &[u8]) -> Vec<u8> {
    hash(key).to_be_bytes().to_vec()
}

fn open_connection(path: &str, max_bytes: usize) -> Result<Connection, OpenError> {
    let unusable = |e: rusqlite::Error| OpenError::Unusable(format!("cache file {path:?} is unusable: {e}"));
    crate::sqlite_vfs::ofd_locks::install();
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE).map_err(unusable)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(unusable)?;
    // Takes effect in a new file (before its first table); an older file is converted by the writer.
    conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL").map_err(unusable)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).map_err(unusable)?;
    let wal_limit = wal_limit(max_bytes);
    conn.execute_batch(&format!(
        "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=1000; PRAGMA journal_size_limit={wal_limit}"
    ))
    .map_err(unusable)?;
    Ok(conn)
}

/// The WAL is truncated to this after a checkpoint: a quarter of the bound, at least 4 MiB.
fn wal_limit(max_bytes: usize) -> usize {
    (max_bytes / 4).max(4 << 20)
}

/// Bytes applied per write transaction: an eighth of the bound, between 256 KiB and 8 MiB.
pub fn batch_bytes(max_bytes: usize) -> usize {
    (max_bytes / 8).clamp(256 << 10, 8 << 20)
}

fn ensure_schema(conn: &Connection, path: &str) -> Result<(), OpenError> {
    let unusable = |e: rusqlite::Error| OpenError::Unusable(format!("cache file {path:?} is unusable: {e}"));
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(unusable)?;
    if !tables.is_empty() && !tables.iter().any(|t| t == "flg_cache_meta") {
        return Err(OpenError::NotACache(format!(
            "{path:?} is a SQLite database but not a fast-langgraph cache (it holds tables {}); refusing to use it",
            tables.join(", ")
        )));
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS flg_cache_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS flg_cache_entries (
            hash BLOB PRIMARY KEY, key BLOB NOT NULL, value BLOB NOT NULL,
            expires_at INTEGER, last_used INTEGER NOT NULL, size INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS flg_cache_by_use ON flg_cache_entries (last_used);",
    )
    .map_err(unusable)?;
    conn.execute("INSERT OR IGNORE INTO flg_cache_meta (k, v) VALUES ('format', ?1)", [FORMAT]).map_err(unusable)?;
    let format: String = conn.query_row("SELECT v FROM flg_cache_meta WHERE k = 'format'", [], |r| r.get(0)).map_err(unusable)?;
    if format != FORMAT {
        return Err(OpenError::NotACache(format!("{path:?} is a cache of another format ({format})")));
    }
    Ok(())
}

fn count_rows(conn: &Connection) -> (i64, i64) {
    conn.query_row("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM flg_cache_entries", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or((0, 0))
}

/// Gives free pages back to the file system once they pass a quarter of the bound (1 MiB at least).
fn give_back_free_pages(conn: &Connection, max_bytes: i64) {
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap_or(0);
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap_or(4096);
    if free * page > (max_bytes / 4).max(1 << 20) {
        let _ = conn.execute_batch("PRAGMA incremental_vacuum");
    }
}

/// Applies queued writes in bounded batches and trims the file to the bounds, oldest use first, in
/// the same transaction.
fn write_loop(conn: Connection, queue: Arc<WriteQueue>, ledger: Arc<DiskLedger>, max_entries: i64, max_bytes: i64) {
    let auto_vacuum: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap_or(2);
    if auto_vacuum != 2 {
        // A file made before auto_vacuum was set: convert it once (VACUUM rewrites it, off the JS thread).
        let _ = conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL; VACUUM");
    }
    let (mut count, mut bytes) = count_rows(&conn);
    let publish = |count: i64, bytes: i64| {
        ledger.entries.store(count, Ordering::Relaxed);
        ledger.bytes.store(bytes, Ordering::Relaxed);
    };
    publish(count, bytes);
    let batch_limit = batch_bytes(max_bytes as usize);
    loop {
        let batch = queue.next_batch_blocking(1000, batch_limit);
        if batch.is_empty() {
            return;
        }
        let last = batch.last().map_or(0, |(seq, _)| *seq);
        let mut recount = false;
        let Ok(tx) = conn.unchecked_transaction() else {
            queue.complete(last);
            continue;
        };
        for (_, op) in batch {
            let _ = match op {
                Op::Put { hash, key, value, ttl_ms, now } => {
                    let size = (key.len() + value.len() + ENTRY_OVERHEAD) as i64;
                    let expires_at = ttl_ms.map(|t| now.saturating_add(t as i64));
                    let old: Option<i64> = tx
                        .prepare_cached("SELECT size FROM flg_cache_entries WHERE hash = ?1")
                        .and_then(|mut s| s.query_row([&hash], |r| r.get(0)).optional())
                        .ok()
                        .flatten();
                    let done = tx.prepare_cached(
                        "INSERT OR REPLACE INTO flg_cache_entries (hash, key, value, expires_at, last_used, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    ).and_then(|mut s| s.execute(params![hash, key, value, expires_at, now, size]));
                    if done.is_ok() {
                        count += i64::from(old.is_none());
                        bytes += size - old.unwrap_or(0);
                    }
                    done.map(|_| ())
                }
                Op::Touch { hash, now } => tx
                    .prepare_cached("UPDATE flg_cache_entries SET last_used = ?2 WHERE hash = ?1")
                    .and_then(|mut s| s.execute(params![hash, now]))
                    .map(|_| ()),
                Op::Delete { hash } => {
                    recount = true;
                    tx.execute("DELETE FROM flg_cache_entries WHERE hash = ?1", [hash]).map(|_| ())
                }
                Op::Forget { hash, now } => {
                    recount = true;
                    // A put queued since the read may have stored a fresh value under the key.
                    tx.execute("DELETE FROM flg_cache_entries WHERE hash = ?1 AND expires_at <= ?2", params![hash, now])
                        .map(|_| ())
                }
                Op::Clear { prefixes } => {
                    recount = true;
                    if prefixes.is_empty() {
                        tx.execute("DELETE FROM flg_cache_entries", []).map(|_| ())
                    } else {
                        prefixes.iter().try_for_each(|p| {
                            tx.execute("DELETE FROM flg_cache_entries WHERE substr(key, 1, ?2) = ?1", params![p, p.len() as i64])
                                .map(|_| ())
                        })
                    }
                }
            };
        }
        while count > max_entries || bytes > max_bytes {
            let victims: Vec<(Vec<u8>, i64)> = tx
                .prepare_cached("SELECT hash, size FROM flg_cache_entries ORDER BY last_used LIMIT 256")
                .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
                .unwrap_or_default();
            if victims.is_empty() {
                break;
            }
            for (h, size) in victims {
                if count <= max_entries && bytes <= max_bytes {
                    break;
                }
                if tx.execute("DELETE FROM flg_cache_entries WHERE hash = ?1", [h]).is_ok() {
                    count -= 1;
                    bytes -= size;
                }
            }
        }
        let _ = tx.commit();
        if recount {
            (count, bytes) = count_rows(&conn);
        }
        give_back_free_pages(&conn, max_bytes);
        publish(count, bytes);
        queue.complete(last);
    }
}

impl Drop for DiskTier {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl DiskTier {
    pub fn open(path: &str, max_entries: usize, max_bytes: usize) -> Result<Self, OpenError> {
        let reader = open_connection(path, max_bytes)?;
        ensure_schema(&reader, path)?;
        let writer_conn = open_connection(path, max_bytes)?;
        let queue = Arc::new(WriteQueue::new(QueueBounds::for_tier(max_bytes)));
        let ledger = Arc::new(DiskLedger::default());
        let (me, mb) = (max_entries as i64, max_bytes as i64);
        let (q, l) = (queue.clone(), ledger.clone());
        thread::Builder::new()
            .name("flg-cache-writer".into())
            .spawn(move || write_loop(writer_conn, q, l, me, mb))
            .map_err(|e| OpenError::Unusable(format!("cannot start the cache writer for {path:?}: {e}")))?;
        Ok(Self { path: path.to_string(), reader: Mutex::new(reader), queue, ledger })
    }

    fn send(&self, op: Op) {
        self.queue.push(op);
    }

    /// Bytes of the file and its WAL now.
    pub fn file_bytes(&self) -> u64 {
        let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
        size(self.path.clone()) + size(format!("{}-wal", self.path))
    }

    /// A point read; an expired entry is a miss (and is deleted in the background).
    pub fn get(&self, key: &[u8], now: i64) -> Result<Option<DiskHit>, String> {
        let h = key_hash(key);
        let row: Option<(Vec<u8>, Vec<u8>, Option<i64>)> = {
            let conn = self.reader.lock().map_err(|_| "cache reader lock poisoned".to_string())?;
            conn.prepare_cached("SELECT key, value, expires_at FROM flg_cache_entries WHERE hash = ?1")
                .and_then(|mut s| s.query_row([&h], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
                .map_err(|e| format!("cache file {:?}: {e}", self.path))?
        };
        match row {
            Some((stored, value, expires_at)) if stored == key => {
                if expires_at.is_some_and(|t| t <= now) {
                    self.send(Op::Forget { hash: h, now });
                    return Ok(None);
                }
                self.send(Op::Touch { hash: h, now });
                Ok(Some((value, expires_at)))
            }
            _ => Ok(None),
        }
    }

    pub fn put(&self, key: &[u8], value: &[u8], ttl_ms: Option<u64>, now: i64) {
        self.send(Op::Put { hash: key_hash(key), key: key.to_vec(), value: value.to_vec(), ttl_ms, now });
    }

    pub fn delete(&self, key: &[u8]) {
        self.send(Op::Delete { hash: key_hash(key) });
    }

    pub fn clear(&self, prefixes: Vec<Vec<u8>>) {
        self.send(Op::Clear { prefixes });
    }

    /// Resolves when every write queued so far is on disk (or was dropped at the queue's bound).
    pub async fn flush(&self) {
        self.queue.flush().await;
    }
}
