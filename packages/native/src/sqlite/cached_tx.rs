//! An IMMEDIATE transaction begun and ended by cached statements. rusqlite's `Transaction` runs
//! "BEGIN IMMEDIATE" and "COMMIT" through `execute_batch`, which parses them again at every call:
//! about 15% of the SQLite time of a small put on the in-memory store (perf, the soak's store calls).

use std::ops::Deref;

use rusqlite::Connection;

/// Rolled back when dropped without `commit` (an early return, an error), as rusqlite's `Transaction` is.
pub struct CachedTx<'c> {
    conn: &'c Connection,
    committed: bool,
}

impl<'c> CachedTx<'c> {
    pub fn immediate(conn: &'c mut Connection) -> rusqlite::Result<Self> {
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self { conn, committed: false })
    }

    /// Commits; on failure (a busy file) the transaction is rolled back when this guard drops.
    pub fn commit(mut self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.committed = true;
        Ok(())
    }
}

impl Deref for CachedTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for CachedTx<'_> {
    fn drop(&mut self) {
        if !self.committed && !self.conn.is_autocommit() {
            let _ = self.conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn commits_and_rolls_back_when_dropped() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let tx = CachedTx::immediate(&mut conn).unwrap();
        tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&conn), 1);
        {
            let tx = CachedTx::immediate(&mut conn).unwrap();
            tx.execute("INSERT INTO t VALUES (2)", []).unwrap();
        }
        assert!(conn.is_autocommit(), "the dropped transaction is over");
        assert_eq!(count(&conn), 1, "its insert was rolled back");
        // The cached statements run again.
        for x in 3..6 {
            let tx = CachedTx::immediate(&mut conn).unwrap();
            tx.execute("INSERT INTO t VALUES (?1)", [x]).unwrap();
            tx.commit().unwrap();
        }
        assert_eq!(count(&conn), 4);
    }
}
