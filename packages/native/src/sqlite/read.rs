//! getTuple and list over both layouts: our tables and, when the file has them, the official saver's.

use std::iter::Peekable;

use rusqlite::{params_from_iter, types::Value, Connection};

use super::assembled::AssembledValues;
use super::error::{sql_err, EngineResult};
use super::schema::{self, OfficialTables};
use super::values::{load_values, load_writes};
use crate::checkpoint::records::{CheckpointRecord, Layout, ListQuery};
use crate::checkpoint::refs;

/// A checkpoint row before its values and writes are loaded.
struct Head {
    thread_id: String,
    checkpoint_ns: String,
    checkpoint_id: String,
    parent_checkpoint_id: Option<String>,
    kind: String,
    checkpoint: Vec<u8>,
    metadata: Vec<u8>,
    channel_refs: Option<String>,
}

const NATIVE_COLUMNS: &str =
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata, channel_refs";
const OFFICIAL_COLUMNS: &str = "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata, NULL";

fn map_head(r: &rusqlite::Row) -> rusqlite::Result<Head> {
    Ok(Head {
        thread_id: r.get(0)?,
        checkpoint_ns: r.get(1)?,
        checkpoint_id: r.get(2)?,
        parent_checkpoint_id: r.get(3)?,
        kind: r.get::<_, Option<String>>(4)?.unwrap_or_else(|| "json".into()),
        checkpoint: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
        metadata: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
        channel_refs: r.get(7)?,
    })
}

fn complete(
    conn: &Connection,
    path: &str,
    official: OfficialTables,
    head: Head,
    cache: Option<&mut AssembledValues>,
) -> EngineResult<CheckpointRecord> {
    let (layout, values) = match &head.channel_refs {
        Some(text) => {
            let refs = refs::parse(text)?;
            (Layout::Native, load_values(conn, path, &head.thread_id, &head.checkpoint_ns, &refs, cache)?)
        }
        None => (Layout::Official, Vec::new()),
    };
    let writes = load_writes(conn, path, official, &head.thread_id, &head.checkpoint_ns, &head.checkpoint_id)?;
    Ok(CheckpointRecord {
        thread_id: head.thread_id,
        checkpoint_ns: head.checkpoint_ns,
        checkpoint_id: head.checkpoint_id,
        parent_checkpoint_id: head.parent_checkpoint_id,
        kind: head.kind,
        checkpoint: head.checkpoint,
        metadata: head.metadata,
        layout,
        values,
        writes,
    })
}

/// One checkpoint by id, or the thread's latest in the namespace when `checkpoint_id` is None; its
/// values joined onto what `cache` remembers, when given (see assembled.rs: the caller keeps it current).
pub fn get_tuple(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    checkpoint_id: Option<&str>,
    cache: Option<&mut AssembledValues>,
) -> EngineResult<Option<CheckpointRecord>> {
    let query = ListQuery {
        thread_id: Some(thread_id.to_string()),
        checkpoint_ns: Some(ns.to_string()),
        before: None,
        limit: Some(1),
        filter: Vec::new(),
    };
    let exact = checkpoint_id.map(str::to_string);
    Ok(scan(conn, path, &query, exact.as_deref(), cache)?.into_iter().next())
}

pub fn list(conn: &Connection, path: &str, query: &ListQuery) -> EngineResult<Vec<CheckpointRecord>> {
    scan(conn, path, query, None, None)
}

fn where_clause(query: &ListQuery, exact: Option<&str>) -> (String, Vec<Value>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    if let Some(t) = &query.thread_id {
        conds.push("thread_id = ?");
        args.push(Value::Text(t.clone()));
    }
    if let Some(ns) = &query.checkpoint_ns {
        conds.push("checkpoint_ns = ?");
        args.push(Value::Text(ns.clone()));
    }
    if let Some(id) = exact {
        conds.push("checkpoint_id = ?");
        args.push(Value::Text(id.to_string()));
    }
    if let Some(b) = &query.before {
        conds.push("checkpoint_id < ?");
        args.push(Value::Text(b.clone()));
    }
    let sql = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
    (sql, args)
}

fn metadata_matches(kind: &str, metadata: &[u8], filter: &[(String, serde_json::Value)]) -> bool {
    if filter.is_empty() {
        return true;
    }
    if kind != "json" {
        return false;
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(metadata) else {
        return false;
    };
    filter.iter().all(|(k, v)| map.get(k) == Some(v))
}

/// Merges both layouts newest first (checkpoint ids are time-ordered uuid6), filters, and stops at `limit`.
fn scan(
    conn: &Connection,
    path: &str,
    query: &ListQuery,
    exact: Option<&str>,
    mut cache: Option<&mut AssembledValues>,
) -> EngineResult<Vec<CheckpointRecord>> {
    let e = sql_err(path);
    let official = schema::official_tables(conn).map_err(&e)?;
    let (cond, args) = where_clause(query, exact);

    let mut native_stmt = conn
        .prepare_cached(&format!("SELECT {NATIVE_COLUMNS} FROM flg_checkpoints {cond} ORDER BY checkpoint_id DESC"))
        .map_err(&e)?;
    let mut native = native_stmt.query_map(params_from_iter(args.iter()), map_head).map_err(&e)?.peekable();

    let mut official_stmt = if official.checkpoints {
        Some(
            conn.prepare_cached(&format!("SELECT {OFFICIAL_COLUMNS} FROM checkpoints {cond} ORDER BY checkpoint_id DESC"))
                .map_err(&e)?,
        )
    } else {
        None
    };
    let mut official_rows = match official_stmt.as_mut() {
        Some(stmt) => Some(stmt.query_map(params_from_iter(args.iter()), map_head).map_err(&e)?.peekable()),
        None => None,
    };

    let mut heads = Vec::new();
    let limit = query.limit.unwrap_or(usize::MAX);
    while heads.len() < limit {
        let next = match official_rows.as_mut() {
            None => native.next(),
            Some(off) => pick_newer(&mut native, off),
        };
        let Some(row) = next else { break };
        let head = row.map_err(&e)?;
        if metadata_matches(&head.kind, &head.metadata, &query.filter) {
            heads.push(head);
        }
    }
    drop(native);
    drop(official_rows);
    heads.into_iter().map(|h| complete(conn, path, official, h, cache.as_deref_mut())).collect()
}

fn pick_newer<A, B>(a: &mut Peekable<A>, b: &mut Peekable<B>) -> Option<rusqlite::Result<Head>>
where
    A: Iterator<Item = rusqlite::Result<Head>>,
    B: Iterator<Item = rusqlite::Result<Head>>,
{
    let take_a = match (a.peek(), b.peek()) {
        (None, None) => return None,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (Some(Ok(x)), Some(Ok(y))) => x.checkpoint_id >= y.checkpoint_id,
        (Some(Err(_)), _) => true,
        (_, Some(Err(_))) => false,
    };
    if take_a {
        a.next()
    } else {
        b.next()
    }
}
