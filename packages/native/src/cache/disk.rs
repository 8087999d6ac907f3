//! The optional disk tier: a SQLite file that survives restarts, with the same bounds and expiry as
//! memory. Lookups that miss memory do one indexed point read; every write goes to a background
//! thread, so storing a response never waits on the disk.

use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;
use std::thread;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::store::{hash, ENTRY_OVERHEAD};

const FORMAT: &str = "fast-langgraph-cache/1";

enum Op {
    Put { hash: Vec<u8>, key: Vec<u8>, value: Vec<u8>, expires_at: Option<i64>, now: i64 },
    Touch { hash: Vec<u8>, now: i64 },
    Delete { hash: Vec<u8> },
    Clear { prefixes: Vec<Vec<u8>> },
    Flush(Sender<()>),
}

/// A disk hit: the value and its expiry (ms since the epoch), if any.
pub type DiskHit = (Vec<u8>, Option<i64>);

pub struct DiskTier {
    pub path: String,
    reader: Mutex<Connection>,
    writer: Mutex<Sender<Op>>,
}

/// Why a file cannot serve as the disk tier.
pub enum OpenError {
    /// A SQLite database holding something else: refusing it protects that data.
    NotACache(String),
    /// Corrupt, unreadable or not SQLite: the cache runs in memory and says why.
    Unusable(String),
}

fn key_hash(key: &[u8]) -> Vec<u8> {
    hash(key).to_be_bytes().to_vec()
}

fn open_connection(path: &str) -> Result<Connection, OpenError> {
    let unusable = |e: rusqlite::Error| OpenError::Unusable(format!("cache file {path:?} is unusable: {e}"));
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE).map_err(unusable)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(unusable)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).map_err(unusable)?;
    conn.execute_batch("PRAGMA synchronous=NORMAL").map_err(unusable)?;
    Ok(conn)
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

/// Applies queued writes in batches and trims the file to the bounds, oldest use first.
fn write_loop(conn: Connection, ops: std::sync::mpsc::Receiver<Op>, max_entries: i64, max_bytes: i64) {
    let (mut count, mut bytes): (i64, i64) = conn
        .query_row("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM flg_cache_entries", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or((0, 0));
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        batch.extend(ops.try_iter());
        let mut flushes = Vec::new();
        let mut recount = false;
        let Ok(tx) = conn.unchecked_transaction() else { continue };
        for op in batch {
            let _ = match op {
                Op::Put { hash, key, value, expires_at, now } => {
                    let size = (key.len() + value.len() + ENTRY_OVERHEAD) as i64;
                    let old: Option<i64> = tx
                        .query_row("SELECT size FROM flg_cache_entries WHERE hash = ?1", [&hash], |r| r.get(0))
                        .optional()
                        .ok()
                        .flatten();
                    let done = tx.execute(
                        "INSERT OR REPLACE INTO flg_cache_entries (hash, key, value, expires_at, last_used, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![hash, key, value, expires_at, now, size],
                    );
                    if done.is_ok() {
                        count += i64::from(old.is_none());
                        bytes += size - old.unwrap_or(0);
                    }
                    done.map(|_| ())
                }
                Op::Touch { hash, now } => {
                    tx.execute("UPDATE flg_cache_entries SET last_used = ?2 WHERE hash = ?1", params![hash, now]).map(|_| ())
                }
                Op::Delete { hash } => {
                    recount = true;
                    tx.execute("DELETE FROM flg_cache_entries WHERE hash = ?1", [hash]).map(|_| ())
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
                Op::Flush(done) => {
                    flushes.push(done);
                    Ok(())
                }
            };
        }
        while count > max_entries || bytes > max_bytes {
            let victims: Vec<(Vec<u8>, i64)> = tx
                .prepare("SELECT hash, size FROM flg_cache_entries ORDER BY last_used LIMIT 256")
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
            if let Ok((c, b)) = conn
                .query_row("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM flg_cache_entries", [], |r| Ok((r.get(0)?, r.get(1)?)))
            {
                (count, bytes) = (c, b);
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

impl DiskTier {
    pub fn open(path: &str, max_entries: usize, max_bytes: usize) -> Result<Self, OpenError> {
        let reader = open_connection(path)?;
        ensure_schema(&reader, path)?;
        let writer_conn = open_connection(path)?;
        let (tx, rx) = channel();
        let (me, mb) = (max_entries as i64, max_bytes as i64);
        thread::Builder::new()
            .name("flg-cache-writer".into())
            .spawn(move || write_loop(writer_conn, rx, me, mb))
            .map_err(|e| OpenError::Unusable(format!("cannot start the cache writer for {path:?}: {e}")))?;
        Ok(Self { path: path.to_string(), reader: Mutex::new(reader), writer: Mutex::new(tx) })
    }

    fn send(&self, op: Op) {
        if let Ok(w) = self.writer.lock() {
            let _ = w.send(op);
        }
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
                    self.send(Op::Delete { hash: h });
                    return Ok(None);
                }
                self.send(Op::Touch { hash: h, now });
                Ok(Some((value, expires_at)))
            }
            _ => Ok(None),
        }
    }

    pub fn put(&self, key: &[u8], value: &[u8], expires_at: Option<i64>, now: i64) {
        self.send(Op::Put { hash: key_hash(key), key: key.to_vec(), value: value.to_vec(), expires_at, now });
    }

    pub fn delete(&self, key: &[u8]) {
        self.send(Op::Delete { hash: key_hash(key) });
    }

    pub fn clear(&self, prefixes: Vec<Vec<u8>>) {
        self.send(Op::Clear { prefixes });
    }

    /// Waits until every write queued so far is on disk.
    pub fn flush(&self) {
        let (done, wait) = channel();
        self.send(Op::Flush(done));
        let _ = wait.recv();
    }
}
