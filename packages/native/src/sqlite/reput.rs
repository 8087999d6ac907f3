//! A put of a checkpoint stored before replaces the rows it stored: what the checkpoints built on those
//! rows do so that each keeps the value it was stored with, as every checkpoint of the official savers
//! holds its own.

use std::collections::HashSet;

use rusqlite::{params, Connection};

use super::error::{sql_err, EngineResult};
use crate::checkpoint::detach_plan;
use crate::checkpoint::records::PutIn;
use crate::checkpoint::refs;

/// Before a put replaces the row its checkpoint stored for `channel`: later checkpoints that carry that
/// value by reference get it (the first of them by id becomes its owner, and every reference, base and
/// root naming the checkpoint for the channel follows); else the rows built on it become whole.
pub fn before_replacing_own_row(conn: &Connection, path: &str, input: &PutIn, channel: &str) -> EngineResult<()> {
    if !hand_over_to_carriers(conn, path, input, channel)? {
        detach_children(conn, path, input, channel)?;
    }
    Ok(())
}

/// Before a put of a checkpoint stored before writes its row: the rows that checkpoint stored for
/// channels not in `kept` (its new references name another row for them, or none) are handed
/// over or detached like a replaced row, then deleted, so that a checkpoint holds a row for a channel
/// exactly when its references name that row. Returns whether any row was removed.
pub fn drop_rows_not_stored_again(conn: &Connection, path: &str, input: &PutIn, kept: &HashSet<&str>) -> EngineResult<bool> {
    let e = sql_err(path);
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    let stored_before = conn
        .prepare_cached("SELECT 1 FROM flg_checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3")
        .map_err(&e)?
        .exists(params![thread_id, ns, owner])
        .map_err(&e)?;
    if !stored_before {
        return Ok(false);
    }
    let channels: Vec<String> = conn
        .prepare_cached("SELECT channel FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND owner_id = ?3")
        .map_err(&e)?
        .query_map(params![thread_id, ns, owner], |r| r.get(0))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    let mut removed = false;
    for channel in channels.iter().filter(|c| !kept.contains(c.as_str())) {
        before_replacing_own_row(conn, path, input, channel)?;
        conn.prepare_cached(
            "DELETE FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
        )
        .map_err(&e)?
        .execute(params![thread_id, ns, channel, owner])
        .map_err(&e)?;
        removed = true;
    }
    Ok(removed)
}

fn hand_over_to_carriers(conn: &Connection, path: &str, input: &PutIn, channel: &str) -> EngineResult<bool> {
    let e = sql_err(path);
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    let rows: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT checkpoint_id, channel_refs FROM flg_checkpoints
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id <> ?3 AND instr(channel_refs, ?4) > 0",
        )
        .map_err(&e)?
        .query_map(params![thread_id, ns, owner, refs::owner_needle(owner)], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    let Some(handed) = refs::hand_over(rows, channel, owner)? else { return Ok(false) };
    for column in ["owner_id", "base_owner_id", "root_owner_id"] {
        conn.prepare_cached(&format!(
            "UPDATE flg_blobs SET {column} = ?5 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND {column} = ?4"
        ))
        .map_err(&e)?
        .execute(params![thread_id, ns, channel, owner, handed.heir])
        .map_err(&e)?;
    }
    for (id, text) in &handed.carriers {
        conn.prepare_cached(
            "UPDATE flg_checkpoints SET channel_refs = ?4 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
        )
        .map_err(&e)?
        .execute(params![thread_id, ns, id, text])
        .map_err(&e)?;
    }
    Ok(true)
}

/// No later checkpoint carries the value: the rows built on it keep theirs (`detach_plan`).
fn detach_children(conn: &Connection, path: &str, input: &PutIn, channel: &str) -> EngineResult<()> {
    let e = sql_err(path);
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    let family: Vec<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT b.owner_id, b.base_owner_id FROM flg_blobs b JOIN flg_blobs o
             ON o.thread_id = b.thread_id AND o.checkpoint_ns = b.checkpoint_ns AND o.channel = b.channel
             AND o.root_owner_id = b.root_owner_id
             WHERE o.thread_id = ?1 AND o.checkpoint_ns = ?2 AND o.channel = ?3 AND o.owner_id = ?4",
        )
        .map_err(&e)?
        .query_map(params![thread_id, ns, channel, owner], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    let plan = detach_plan::plan(&family, owner);
    let mut wholes = Vec::with_capacity(plan.children.len());
    for child in &plan.children {
        let value = super::values::load_value(conn, path, thread_id, ns, channel, child)?
            .ok_or_else(|| format!("channel {channel:?} of thread {thread_id:?}: the value of checkpoint {child:?} vanished"))?;
        wholes.push((child, value.data));
    }
    for (child, data) in &wholes {
        super::values::store_whole(conn, path, thread_id, ns, channel, child, data)?;
    }
    for (row, root) in &plan.reroots {
        conn.prepare_cached(
            "UPDATE flg_blobs SET root_owner_id = ?5 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
        )
        .map_err(&e)?
        .execute(params![thread_id, ns, channel, row, root])
        .map_err(&e)?;
    }
    Ok(())
}
