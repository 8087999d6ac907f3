//! Writing in the official `@langchain/langgraph-checkpoint-sqlite` layout: one row per checkpoint with
//! every channel value inline, so the official saver reads the file as if it had written it.

use rusqlite::{params, Connection};

use super::error::{sql_err, EngineResult};

/// The official saver's tables, as it creates them, plus the `task_path` column upstream has added
/// (the official 1.0.x saver names its columns on insert, so the extra column is invisible to it).
pub fn ensure_tables(conn: &Connection, path: &str) -> EngineResult<()> {
    let e = sql_err(path);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS checkpoints (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            parent_checkpoint_id TEXT,
            type TEXT,
            checkpoint BLOB,
            metadata BLOB,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
        );
        CREATE TABLE IF NOT EXISTS writes (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            channel TEXT NOT NULL,
            type TEXT,
            value BLOB,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
        );",
    )
    .map_err(&e)?;
    let has_task_path =
        conn.prepare("SELECT 1 FROM pragma_table_info('writes') WHERE name = 'task_path'").map_err(&e)?.exists([]).map_err(&e)?;
    if !has_task_path {
        conn.execute_batch("ALTER TABLE writes ADD COLUMN task_path TEXT NOT NULL DEFAULT ''").map_err(&e)?;
    }
    Ok(())
}

pub struct OfficialPutIn<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub checkpoint_id: &'a str,
    pub parent_checkpoint_id: Option<&'a str>,
    pub kind: &'a str,
    pub checkpoint: &'a [u8],
    pub metadata: &'a [u8],
}

pub fn put(conn: &mut Connection, path: &str, input: &OfficialPutIn) -> EngineResult<()> {
    let e = sql_err(path);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO checkpoints
         (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(&e)?
    .execute(params![
        input.thread_id,
        input.checkpoint_ns,
        input.checkpoint_id,
        input.parent_checkpoint_id,
        input.kind,
        input.checkpoint,
        input.metadata
    ])
    .map_err(&e)?;
    Ok(())
}
