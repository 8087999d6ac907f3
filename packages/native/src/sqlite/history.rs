//! getDeltaChannelHistory: the writes of every ancestor back to (and including) the nearest one that
//! stored each channel's value, plus that value as the seed. One recursive query returns the ancestor
//! chain with each checkpoint's channel references, one query per writes table returns the writes,
//! and one read per channel loads its seed (official-layout ancestors are read one by one: old data).

use std::collections::{HashMap, HashSet};

use rusqlite::{params_from_iter, types::Value, Connection, OptionalExtension};
use serde_json::value::RawValue;

use super::error::{sql_err, EngineResult};
use super::schema::{self, OfficialTables};
use super::values::load_value;
use crate::checkpoint::history_walk::HistoryWalk;
use crate::checkpoint::records::{ChannelHistory, StoredValue, StoredWrite};
use crate::checkpoint::refs;

struct Ancestor {
    id: String,
    /// Our layout's channel references; None for an official-layout row.
    refs: Option<String>,
}

fn ancestors(
    conn: &Connection,
    path: &str,
    official: OfficialTables,
    thread_id: &str,
    ns: &str,
    id: &str,
) -> EngineResult<Vec<Ancestor>> {
    let e = sql_err(path);
    let official_rows = if official.checkpoints {
        "UNION ALL SELECT checkpoint_id, parent_checkpoint_id, NULL FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2"
    } else {
        ""
    };
    let sql = format!(
        "WITH RECURSIVE cps(id, parent, refs) AS (
            SELECT checkpoint_id, parent_checkpoint_id, channel_refs FROM flg_checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2
            {official_rows}
         ),
         chain(id, parent, refs, depth) AS (
            SELECT id, parent, refs, 0 FROM cps WHERE id = ?3
            UNION ALL
            SELECT cps.id, cps.parent, cps.refs, chain.depth + 1 FROM cps JOIN chain ON cps.id = chain.parent
            WHERE chain.depth <= (SELECT COUNT(*) FROM cps)
         )
         SELECT id, refs FROM chain ORDER BY depth"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(&e)?;
    let rows =
        stmt.query_map(rusqlite::params![thread_id, ns, id], |r| Ok(Ancestor { id: r.get(0)?, refs: r.get(1)? })).map_err(&e)?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for row in rows {
        let a = row.map_err(&e)?;
        if !seen.insert(a.id.clone()) {
            return Err(format!(
                "database {path:?}: thread {thread_id:?} (namespace {ns:?}): the parent chain of checkpoint {id:?} has a cycle at {:?}",
                a.id
            ));
        }
        out.push(a);
    }
    Ok(out)
}

fn writes_by_checkpoint(
    conn: &Connection,
    path: &str,
    official: OfficialTables,
    thread_id: &str,
    ns: &str,
    channels: &[String],
) -> EngineResult<HashMap<String, Vec<StoredWrite>>> {
    let e = sql_err(path);
    let marks = vec!["?"; channels.len()].join(", ");
    let mut tables = vec![("flg_writes", "task_path")];
    if official.writes {
        tables.push(("writes", if official.writes_task_path { "task_path" } else { "''" }));
    }
    let mut args: Vec<Value> = vec![Value::Text(thread_id.into()), Value::Text(ns.into())];
    args.extend(channels.iter().map(|c| Value::Text(c.clone())));
    let mut out: HashMap<String, Vec<StoredWrite>> = HashMap::new();
    for (table, task_path) in tables {
        let sql = format!(
            "SELECT checkpoint_id, task_id, channel, type, value, {task_path}, idx FROM {table}
             WHERE thread_id = ? AND checkpoint_ns = ? AND channel IN ({marks})"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(&e)?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    StoredWrite {
                        task_id: r.get(1)?,
                        channel: r.get(2)?,
                        kind: r.get::<_, Option<String>>(3)?.unwrap_or_else(|| "json".into()),
                        value: r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
                        task_path: r.get(5)?,
                        idx: r.get(6)?,
                    },
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (id, w) = row.map_err(&e)?;
            out.entry(id).or_default().push(w);
        }
    }
    for writes in out.values_mut() {
        StoredWrite::sort(writes);
    }
    Ok(out)
}

/// The raw JSON of `channel_values[channel]` inside an official-layout checkpoint, if present.
fn official_seed(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    id: &str,
    channel: &str,
) -> EngineResult<Option<StoredValue>> {
    let e = sql_err(path);
    let row: Option<(Option<String>, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
        )
        .map_err(&e)?
        .query_row(rusqlite::params![thread_id, ns, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(&e)?;
    let Some((kind, bytes)) = row else { return Ok(None) };
    let kind = kind.unwrap_or_else(|| "json".into());
    if kind != "json" {
        return Err(format!("checkpoint {id:?} of thread {thread_id:?} is stored as {kind:?}, not json"));
    }
    #[derive(serde::Deserialize)]
    struct Shape<'a> {
        #[serde(borrow, default)]
        channel_values: HashMap<String, &'a RawValue>,
    }
    let shape: Shape = serde_json::from_slice(&bytes)
        .map_err(|err| format!("checkpoint {id:?} of thread {thread_id:?} is not readable JSON: {err}"))?;
    Ok(shape.channel_values.get(channel).map(|raw| StoredValue {
        channel: channel.to_string(),
        owner_id: id.to_string(),
        kind,
        data: raw.get().as_bytes().to_vec(),
        row_token: None,
    }))
}

pub fn delta_channel_history(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    checkpoint_id: &str,
    channels: &[String],
) -> EngineResult<Vec<ChannelHistory>> {
    let e = sql_err(path);
    let official = schema::official_tables(conn).map_err(&e)?;
    let chain = ancestors(conn, path, official, thread_id, ns, checkpoint_id)?;
    let writes = writes_by_checkpoint(conn, path, official, thread_id, ns, channels)?;

    let mut walk = HistoryWalk::new(channels, writes);
    for ancestor in chain.iter().skip(1) {
        if walk.done() {
            break;
        }
        walk.visit(&ancestor.id);
        let mut found = Vec::new();
        if let Some(text) = &ancestor.refs {
            let refs = refs::parse(text)?;
            for ch in walk.remaining() {
                if let Some((owner, _)) = refs.get(ch) {
                    if let Some(v) = load_value(conn, path, thread_id, ns, ch, owner)? {
                        found.push((ch.clone(), v));
                    }
                }
            }
        } else {
            for ch in walk.remaining() {
                if let Some(v) = official_seed(conn, path, thread_id, ns, &ancestor.id, ch)? {
                    found.push((ch.clone(), v));
                }
            }
        }
        for (ch, v) in found {
            walk.seed(&ch, v);
        }
    }
    Ok(walk.finish())
}
