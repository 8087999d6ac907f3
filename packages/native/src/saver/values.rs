//! Channel values and pending writes of one checkpoint, rebuilt from stored rows.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::engine::{sql_err, EngineResult};
use super::json_array::concat_json_arrays;
use super::records::{Increment, StoredValue, StoredWrite};
use crate::messages::reducer::merge_serialized;
use super::refs::ChannelRefs;
use super::schema::OfficialTables;

/// The value `owner` stored for `channel`; an increment is joined onto its base chain, oldest first.
pub fn load_value(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    channel: &str,
    owner: &str,
) -> EngineResult<Option<StoredValue>> {
    let e = sql_err(path);
    let row: Option<(String, Vec<u8>, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT type, data, base_owner_id, root_owner_id FROM flg_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
        )
        .map_err(&e)?
        .query_row(params![thread_id, ns, channel, owner], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
        .map_err(&e)?;
    let Some((kind, data, base, root)) = row else { return Ok(None) };
    if base.is_none() {
        return Ok(Some(StoredValue { channel: channel.to_string(), owner_id: owner.to_string(), kind, data }));
    }

    let mut stmt = conn
        .prepare_cached(
            "SELECT owner_id, base_owner_id, data, increment FROM flg_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND root_owner_id = ?4",
        )
        .map_err(&e)?;
    let family: HashMap<String, (Option<String>, Vec<u8>, String)> = stmt
        .query_map(params![thread_id, ns, channel, root], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;

    let mut chain: Vec<(&[u8], Increment)> = Vec::new();
    let mut cursor = Some(owner.to_string());
    while let Some(id) = cursor {
        let (base, bytes, increment) = family.get(&id).ok_or_else(|| {
            format!("channel {channel:?} of thread {thread_id:?}: stored increment chain is broken at {id:?}")
        })?;
        chain.push((bytes, Increment::parse(Some(increment))?));
        if chain.len() > family.len() {
            return Err(format!("channel {channel:?} of thread {thread_id:?}: increment chain has a cycle"));
        }
        cursor = base.clone();
    }
    chain.reverse();
    let context = |m: String| format!("channel {channel:?} of thread {thread_id:?}: {m}");
    // Runs of appended elements are joined in one pass; a messages-reducer increment applies to
    // everything before it.
    let mut current: Vec<u8> = chain[0].0.to_vec();
    let mut appended: Vec<&[u8]> = Vec::new();
    for &(bytes, increment) in &chain[1..] {
        match increment {
            Increment::Append => appended.push(bytes),
            Increment::Merge => {
                if !appended.is_empty() {
                    current = concat_json_arrays(std::iter::once(current.as_slice()).chain(appended.drain(..))).map_err(context)?;
                }
                current = merge_serialized(&current, &[bytes]).map_err(context)?;
            }
        }
    }
    let data = if appended.is_empty() {
        current
    } else {
        concat_json_arrays(std::iter::once(current.as_slice()).chain(appended)).map_err(context)?
    };
    Ok(Some(StoredValue { channel: channel.to_string(), owner_id: owner.to_string(), kind, data }))
}

pub fn load_values(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    refs: &ChannelRefs,
) -> EngineResult<Vec<StoredValue>> {
    let mut out = Vec::with_capacity(refs.len());
    for (channel, (owner, _)) in refs {
        if let Some(v) = load_value(conn, path, thread_id, ns, channel, owner)? {
            out.push(v);
        }
    }
    Ok(out)
}

fn map_write(r: &rusqlite::Row) -> rusqlite::Result<StoredWrite> {
    Ok(StoredWrite {
        task_id: r.get(0)?,
        channel: r.get(1)?,
        kind: r.get::<_, Option<String>>(2)?.unwrap_or_else(|| "json".into()),
        value: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
        task_path: r.get(4)?,
        idx: r.get(5)?,
    })
}

/// Pending writes of one checkpoint from both layouts, in `writesSortKey` order.
pub fn load_writes(
    conn: &Connection,
    path: &str,
    official: OfficialTables,
    thread_id: &str,
    ns: &str,
    checkpoint_id: &str,
) -> EngineResult<Vec<StoredWrite>> {
    let e = sql_err(path);
    let mut writes: Vec<StoredWrite> = conn
        .prepare_cached(
            "SELECT task_id, channel, type, value, task_path, idx FROM flg_writes
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
        )
        .map_err(&e)?
        .query_map(params![thread_id, ns, checkpoint_id], map_write)
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    if official.writes {
        let task_path = if official.writes_task_path { "task_path" } else { "''" };
        let sql = format!(
            "SELECT task_id, channel, type, value, {task_path}, idx FROM writes
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
        );
        let official_writes: Vec<StoredWrite> = conn
            .prepare_cached(&sql)
            .map_err(&e)?
            .query_map(params![thread_id, ns, checkpoint_id], map_write)
            .map_err(&e)?
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        writes.extend(official_writes);
    }
    StoredWrite::sort(&mut writes);
    Ok(writes)
}
