//! One SQLite connection per saver, opened and migrated up front. Async calls go to the store's
//! writer thread (started on the first one), which runs them one at a time in call order (FIFO), so
//! no libuv pool thread ever waits for SQLite and completion order is call order. The `*Sync`
//! calls (the in-process path for ":memory:") run on the calling thread.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::assembled::{AssembledStats, AssembledValues};
use super::error::{describe, sql_err, EngineResult};
use super::{memory_vfs, schema};

/// A unit of work for the writer thread.
pub type Job = Box<dyn FnOnce() + Send>;

pub struct Engine {
    pub path: String,
    conn: Mutex<Option<Connection>>,
    /// Set by `close()` on the calling thread; never waits for anything.
    closed: AtomicBool,
    /// Jobs queued to or running on the writer thread.
    pending: Arc<AtomicUsize>,
    /// The writer thread's queue; only the JavaScript thread sends to it.
    writer: Mutex<Option<Sender<Job>>>,
    /// For ":memory:", the bytes its database holds (a live count the VFS keeps; no lock to read).
    memory_bytes: Option<Arc<AtomicU64>>,
    /// What getTuple last assembled per channel (assembled.rs); locked only while `conn` is held.
    assembled: Mutex<AssembledValues>,
    assembled_stats: Arc<AssembledStats>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Synchronous {
    /// WAL + NORMAL: a committed transaction survives the process being killed (the OS holds it);
    /// only a power loss or kernel crash can drop the last commits.
    Normal,
    /// WAL + FULL: every commit is fsynced; survives power loss.
    Full,
}

impl Synchronous {
    pub fn parse(value: Option<&str>) -> EngineResult<Self> {
        match value.map(|v| v.to_ascii_lowercase()) {
            None => Ok(Self::Normal),
            Some(v) if v == "normal" => Ok(Self::Normal),
            Some(v) if v == "full" => Ok(Self::Full),
            Some(v) => Err(format!("synchronous must be \"normal\" or \"full\", got {v:?}")),
        }
    }
}

impl Engine {
    pub fn open(
        path: &str,
        synchronous: Synchronous,
        busy_timeout_ms: u32,
        official_layout: bool,
        assembled_value_bytes: u64,
    ) -> EngineResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // Before the first connection: our SQLite's locks must exclude another SQLite copy's in this process.
        crate::sqlite_vfs::ofd_locks::install();
        // ":memory:" lives in our in-memory VFS (see memory_vfs.rs): SQLite's own ":memory:" keeps the
        // whole database in its page cache and scans all of it on some commits.
        let in_memory = path == ":memory:";
        let mut conn = if in_memory {
            memory_vfs::register()?;
            Connection::open_with_flags_and_vfs("flg-memory-db", flags, memory_vfs::VFS_NAME)
        } else {
            Connection::open_with_flags(path, flags)
        }
        .map_err(|e| describe(path, e))?;
        let sync = match synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        conn.busy_timeout(std::time::Duration::from_millis(busy_timeout_ms as u64)).map_err(|e| describe(path, e))?;
        // The first read of the file (a non-database fails here), before anything is written to it:
        // another application's `checkpoints` table would get our tables beside it, then fail on use.
        if let Some((table, missing)) = schema::unrelated_table(&conn).map_err(|e| describe(path, e))? {
            return Err(format!(
                "database {path:?} holds a table \"{table}\" that is not LangGraph's (it has no column {}): refusing to use the file; nothing was written to it",
                missing.join(", ")
            ));
        }
        if in_memory {
            // One connection owns the file; the rollback journal lives in memory, as for SQLite's ":memory:".
            conn.query_row("PRAGMA locking_mode=EXCLUSIVE", [], |_| Ok(())).map_err(|e| describe(path, e))?;
            conn.query_row("PRAGMA journal_mode=MEMORY", [], |_| Ok(())).map_err(|e| describe(path, e))?;
            conn.execute_batch("PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;").map_err(|e| describe(path, e))?;
        } else {
            conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).map_err(|e| describe(path, e))?;
            conn.execute_batch(&format!("PRAGMA synchronous={sync}; PRAGMA foreign_keys=OFF;")).map_err(|e| describe(path, e))?;
        }
        // A new file gets incremental auto-vacuum, so pruning can hand freed pages back to the disk.
        let empty: bool =
            conn.query_row("SELECT COUNT(*) = 0 FROM sqlite_master", [], |r| r.get(0)).map_err(|e| describe(path, e))?;
        if empty {
            conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL").map_err(|e| describe(path, e))?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        // Plans never depend on bound values: without this, SQLite (built with STAT4) recompiles a cached
        // statement whenever a parameter compared with an indexed column is rebound, which made every
        // getTuple of another thread re-parse and re-plan its query (6.5% of the CPU samples of a
        // replay of the soak's store calls, measured with perf). Our queries are keyed lookups whose plan
        // is the same for every value.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(|e| describe(path, e))?;
        schema::migrate(&mut conn).map_err(|e| describe(path, e))?;
        if official_layout {
            super::official_layout::ensure_tables(&conn, path)?;
        }
        let memory_bytes = if in_memory { memory_vfs::held_bytes(&conn) } else { None };
        let assembled = AssembledValues::new(assembled_value_bytes);
        Ok(Self {
            assembled_stats: assembled.stats(),
            assembled: Mutex::new(assembled),
            memory_bytes,
            path: path.to_string(),
            conn: Mutex::new(Some(conn)),
            closed: AtomicBool::new(false),
            pending: Arc::new(AtomicUsize::new(0)),
            writer: Mutex::new(None),
        })
    }

    /// Runs `f` on the connection; a closed connection is an error that names the file. Waits only
    /// for the writer thread's current job, and only the in-process (`*Sync`) path calls it from
    /// the JavaScript thread.
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> EngineResult<T>) -> EngineResult<T> {
        let mut guard = self.conn.lock().map_err(|_| "connection lock poisoned".to_string())?;
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(self.closed_error()),
        }
    }

    /// Runs `f` on the connection with the assembled values, inside one read transaction whose
    /// snapshot the entries are checked against first (another connection's commit drops them all).
    /// Returns `f`'s answer with that transaction's `PRAGMA data_version`.
    pub fn with_assembled<T>(
        &self,
        f: impl FnOnce(&Connection, &mut AssembledValues) -> EngineResult<T>,
    ) -> EngineResult<(T, i64)> {
        self.with_conn(|conn| {
            let mut cache = self.assembled.lock().map_err(|_| "assembled values lock poisoned".to_string())?;
            let e = sql_err(&self.path);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred).map_err(&e)?;
            let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(&e)?;
            if cache.enabled() {
                cache.check_data_version(version);
            }
            let out = f(&tx, &mut cache)?;
            tx.commit().map_err(&e)?;
            Ok((out, version))
        })
    }

    /// Runs a write `f` on the connection with the assembled values, which it must clear of whatever
    /// the write may make stale.
    pub fn writing<T>(&self, f: impl FnOnce(&mut Connection, &mut AssembledValues) -> EngineResult<T>) -> EngineResult<T> {
        self.with_conn(|conn| {
            let mut cache = self.assembled.lock().map_err(|_| "assembled values lock poisoned".to_string())?;
            f(conn, &mut cache)
        })
    }

    /// The assembled values' counters (atomics: never waits).
    pub fn assembled_stats(&self) -> &AssembledStats {
        &self.assembled_stats
    }

    pub fn closed_error(&self) -> String {
        format!("saver for {:?} is closed", self.path)
    }

    /// Queues `job` on the writer thread, behind every job queued before it, and returns at once:
    /// `job(Ok(()))` runs it there; `job(Err(why))` (the store is closed, or its thread could not
    /// start) runs here, so that the job always settles. One entry per call JavaScript awaits.
    pub fn submit(&self, job: Box<dyn FnOnce(Result<(), String>) + Send>) {
        if self.is_closed() {
            return job(Err(self.closed_error()));
        }
        let mut writer = match self.writer.lock() {
            Ok(w) => w,
            Err(_) => return job(Err("writer lock poisoned".into())),
        };
        if writer.is_none() {
            let (tx, rx) = channel::<Job>();
            let started = std::thread::Builder::new().name("flg-sqlite-writer".into()).spawn(move || {
                // A panicking job must not end the thread (later jobs would never run).
                while let Ok(job) = rx.recv() {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(e) = started {
                return job(Err(format!("database {:?}: cannot start its writer thread: {e}", self.path)));
            }
            *writer = Some(tx);
        }
        let Some(tx) = writer.as_ref() else { return job(Err(self.closed_error())) };
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        let queued: Job = Box::new(move || {
            job(Ok(()));
            pending.fetch_sub(1, Ordering::SeqCst);
        });
        // The thread only ends once this sender is dropped, so sending cannot fail.
        let _ = tx.send(queued);
    }

    /// Marks the store closed at once (later calls fail naming the file) and closes the connection:
    /// now if nothing is queued, else on the writer thread after everything queued before. Never
    /// waits for background work.
    pub fn close(self: &Arc<Self>) -> EngineResult<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let sender = self.writer.lock().map_err(|_| "writer lock poisoned".to_string())?.take();
        match sender {
            Some(tx) if self.pending.load(Ordering::SeqCst) > 0 => {
                let engine = self.clone();
                // Dropping `tx` afterwards lets the thread end once the queue is drained.
                let _ = tx.send(Box::new(move || {
                    let _ = engine.close_connection();
                }));
                Ok(())
            }
            // Nothing queued or running: no other thread holds the connection.
            _ => self.close_connection(),
        }
    }

    fn close_connection(&self) -> EngineResult<()> {
        let mut guard = self.conn.lock().map_err(|_| "connection lock poisoned".to_string())?;
        if let Some(conn) = guard.take() {
            conn.close().map_err(|(_, e)| describe(&self.path, e))?;
        }
        Ok(())
    }

    /// A plain flag: never waits.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Bytes an in-memory (":memory:") database holds; `None` for a file. Never waits.
    pub fn memory_bytes(&self) -> Option<u64> {
        self.memory_bytes.as_ref().map(|b| b.load(Ordering::Relaxed))
    }

    /// Calls queued to or running on the writer thread.
    pub fn queued(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }
}
