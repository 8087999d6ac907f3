//! One SQLite connection per saver, opened and migrated up front, used by one task at a time.

use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::error::{describe, EngineResult};
use super::schema;

pub struct Engine {
    pub path: String,
    conn: Mutex<Option<Connection>>,
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
    pub fn open(path: &str, synchronous: Synchronous, busy_timeout_ms: u32, official_layout: bool) -> EngineResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| describe(path, e))?;
        let sync = match synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        conn.busy_timeout(std::time::Duration::from_millis(busy_timeout_ms as u64)).map_err(|e| describe(path, e))?;
        // journal_mode is the first statement that reads the file, so a non-database fails here.
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(())).map_err(|e| describe(path, e))?;
        conn.execute_batch(&format!("PRAGMA synchronous={sync}; PRAGMA foreign_keys=OFF;")).map_err(|e| describe(path, e))?;
        // A new file gets incremental auto-vacuum, so pruning can hand freed pages back to the disk.
        let empty: bool =
            conn.query_row("SELECT COUNT(*) = 0 FROM sqlite_master", [], |r| r.get(0)).map_err(|e| describe(path, e))?;
        if empty {
            conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL").map_err(|e| describe(path, e))?;
        }
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn).map_err(|e| describe(path, e))?;
        if official_layout {
            super::official_layout::ensure_tables(&conn, path)?;
        }
        Ok(Self { path: path.to_string(), conn: Mutex::new(Some(conn)) })
    }

    /// Runs `f` on the connection; a closed saver is an error that names the file.
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> EngineResult<T>) -> EngineResult<T> {
        let mut guard = self.conn.lock().map_err(|_| "connection lock poisoned".to_string())?;
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(format!("saver for {:?} is closed", self.path)),
        }
    }

    pub fn close(&self) -> EngineResult<()> {
        let mut guard = self.conn.lock().map_err(|_| "connection lock poisoned".to_string())?;
        if let Some(conn) = guard.take() {
            conn.close().map_err(|(_, e)| describe(&self.path, e))?;
        }
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.conn.lock().map(|g| g.is_none()).unwrap_or(true)
    }
}
