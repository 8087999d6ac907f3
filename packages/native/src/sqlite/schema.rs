//! Ordered schema migrations. Our tables carry a `flg_` prefix so that a file shared with the official
//! `@langchain/langgraph-checkpoint-sqlite` saver keeps its `checkpoints`/`writes` tables untouched.

use rusqlite::{Connection, OptionalExtension};

/// Each entry runs once, in order, inside one transaction with its version record.
pub const MIGRATIONS: &[&str] = &[
    // 1: checkpoints without inline values, channel values per (channel, owner checkpoint), pending writes.
    "CREATE TABLE flg_checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        type TEXT NOT NULL,
        checkpoint BLOB NOT NULL,
        metadata BLOB NOT NULL,
        channel_refs TEXT NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    );
    CREATE TABLE flg_blobs (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        version TEXT NOT NULL,
        type TEXT NOT NULL,
        base_owner_id TEXT,
        root_owner_id TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, channel, owner_id)
    );
    CREATE INDEX flg_blobs_by_root ON flg_blobs (thread_id, checkpoint_ns, channel, root_owner_id);
    CREATE TABLE flg_writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        value BLOB NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    );",
    // 2: an increment either appends elements to its base list, or is a messages-reducer update of it.
    "ALTER TABLE flg_blobs ADD COLUMN increment TEXT NOT NULL DEFAULT 'append';",
];

pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS flg_schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );",
    )?;
    conn.query_row("SELECT MAX(version) FROM flg_schema_migrations", [], |r| r.get::<_, Option<i64>>(0)).map(|v| v.unwrap_or(0))
}

/// Applies every migration newer than the file's version. Safe when several processes open the file at
/// once: each migration re-checks the version inside an IMMEDIATE transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<i64> {
    let mut version = current_version(conn)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i as i64 + 1;
        if target <= version {
            continue;
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: Option<i64> =
            tx.query_row("SELECT version FROM flg_schema_migrations WHERE version = ?1", [target], |r| r.get(0)).optional()?;
        if applied.is_none() {
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO flg_schema_migrations (version) VALUES (?1)", [target])?;
        }
        tx.commit()?;
        version = target;
    }
    Ok(version)
}

/// The columns the official saver's tables have (and our official layout reads and writes).
const OFFICIAL_COLUMNS: &[(&str, &[&str])] = &[
    ("checkpoints", &["thread_id", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type", "checkpoint", "metadata"]),
    ("writes", &["thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx", "channel", "type", "value"]),
];

/// A `checkpoints` or `writes` table that is not LangGraph's (some other application's data in the
/// file): its name and the official columns it lacks. Read before anything is written to the file.
pub fn unrelated_table(conn: &Connection) -> rusqlite::Result<Option<(&'static str, Vec<&'static str>)>> {
    for (table, columns) in OFFICIAL_COLUMNS {
        let exists = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?.exists([table])?;
        if !exists {
            continue;
        }
        let mut missing = Vec::new();
        for column in *columns {
            if !conn.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?.exists([table, column])? {
                missing.push(*column);
            }
        }
        if !missing.is_empty() {
            return Ok(Some((table, missing)));
        }
    }
    Ok(None)
}

/// What the file holds of the official saver's tables, read each time it may have changed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OfficialTables {
    pub checkpoints: bool,
    pub writes: bool,
    pub writes_task_path: bool,
}

pub fn official_tables(conn: &Connection) -> rusqlite::Result<OfficialTables> {
    let has = |name: &str| -> rusqlite::Result<bool> {
        conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?.exists([name])
    };
    let checkpoints = has("checkpoints")?;
    let writes = has("writes")?;
    let writes_task_path =
        writes && conn.prepare_cached("SELECT 1 FROM pragma_table_info('writes') WHERE name = 'task_path'")?.exists([])?;
    Ok(OfficialTables { checkpoints, writes, writes_task_path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as i64);
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM flg_schema_migrations", [], |r| r.get(0)).unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
    }

    #[test]
    fn an_unrelated_checkpoints_table_is_found_with_the_columns_it_lacks() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(unrelated_table(&conn).unwrap(), None);
        conn.execute_batch("CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, thread_id TEXT, label TEXT)").unwrap();
        let (table, missing) = unrelated_table(&conn).unwrap().unwrap();
        assert_eq!(table, "checkpoints");
        assert_eq!(missing, ["checkpoint_ns", "checkpoint_id", "parent_checkpoint_id", "type", "checkpoint", "metadata"]);
        let official = Connection::open_in_memory().unwrap();
        super::super::official_layout::ensure_tables(&official, ":memory:").unwrap();
        assert_eq!(unrelated_table(&official).unwrap(), None);
    }

    #[test]
    fn detects_official_tables_and_task_path_column() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(official_tables(&conn).unwrap(), OfficialTables::default());
        conn.execute_batch("CREATE TABLE checkpoints (thread_id TEXT); CREATE TABLE writes (thread_id TEXT);").unwrap();
        let t = official_tables(&conn).unwrap();
        assert!(t.checkpoints && t.writes && !t.writes_task_path);
        conn.execute_batch("ALTER TABLE writes ADD COLUMN task_path TEXT NOT NULL DEFAULT ''").unwrap();
        assert!(official_tables(&conn).unwrap().writes_task_path);
    }
}
