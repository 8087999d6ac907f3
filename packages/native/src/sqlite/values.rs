//! Channel values and pending writes of one checkpoint, rebuilt from stored rows.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};

use super::assembled::AssembledValues;
use super::error::{sql_err, EngineResult};
use super::schema::OfficialTables;
use crate::checkpoint::chain::{assemble, join_increments, Link};
use crate::checkpoint::records::{Increment, StoredValue, StoredWrite};
use crate::checkpoint::refs::ChannelRefs;

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
        return Ok(Some(StoredValue { channel: channel.to_string(), owner_id: owner.to_string(), kind, data, row_token: None }));
    }

    let mut stmt = conn
        .prepare_cached(
            "SELECT owner_id, base_owner_id, data, increment FROM flg_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND root_owner_id = ?4",
        )
        .map_err(&e)?;
    let family: HashMap<String, Link> = stmt
        .query_map(params![thread_id, ns, channel, root], |r| {
            Ok((r.get::<_, String>(0)?, (r.get::<_, Option<String>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, String>(3)?)))
        })
        .map_err(&e)?
        .map(|row| {
            let (owner, (base_owner_id, data, increment)) = row.map_err(&e)?;
            Ok((owner, Link { base_owner_id, data, increment: Increment::parse(Some(&increment))? }))
        })
        .collect::<EngineResult<_>>()?;
    let data = assemble(&family, owner, channel, thread_id)?;
    Ok(Some(StoredValue { channel: channel.to_string(), owner_id: owner.to_string(), kind, data, row_token: None }))
}

/// Makes the stored row of `owner` hold its whole value `data` and start a family of its own.
pub fn store_whole(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    channel: &str,
    owner: &str,
    data: &[u8],
) -> EngineResult<()> {
    conn.prepare_cached(
        "UPDATE flg_blobs SET data = ?5, base_owner_id = NULL, root_owner_id = owner_id
         WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
    )
    .map_err(sql_err(path))?
    .execute(params![thread_id, ns, channel, owner, data])
    .map_err(sql_err(path))?;
    Ok(())
}

/// One stored row as a chain walk reads it: type, base, data, increment.
type ChainRow = (String, Option<String>, Vec<u8>, String);

/// Rows a chain walk reads back towards a remembered value before it reads the whole family instead.
const MAX_WALK: usize = 256;

/// [`load_value`], joining only the increments stored since the value `cache` holds for the channel
/// (when `owner` descends from it), and remembering the result.
pub fn load_value_cached(
    conn: &Connection,
    path: &str,
    cache: &mut AssembledValues,
    thread_id: &str,
    ns: &str,
    channel: &str,
    owner: &str,
) -> EngineResult<Option<StoredValue>> {
    if !cache.enabled() {
        return load_value(conn, path, thread_id, ns, channel, owner);
    }
    let e = sql_err(path);
    let row_of = |id: &str| -> EngineResult<Option<ChainRow>> {
        conn.prepare_cached(
            "SELECT type, base_owner_id, data, increment FROM flg_blobs
             WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
        )
        .map_err(&e)?
        .query_row(params![thread_id, ns, channel, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()
        .map_err(&e)
    };
    let Some((kind, base, data, increment)) = row_of(owner)? else { return Ok(None) };
    let value = |data: Vec<u8>| StoredValue {
        channel: channel.to_string(),
        owner_id: owner.to_string(),
        kind: kind.clone(),
        data,
        row_token: None,
    };
    let Some(mut cursor) = base else { return Ok(Some(value(data))) };
    if let Some(bytes) = cache.get(thread_id, ns, channel, owner) {
        let data = bytes.to_vec();
        cache.hit();
        return Ok(Some(value(data)));
    }
    let remembered = cache.owner(thread_id, ns, channel).map(str::to_string);
    let mut links = vec![Link { base_owner_id: Some(cursor.clone()), data, increment: Increment::parse(Some(&increment))? }];
    let mut visited: HashSet<String> = HashSet::from([owner.to_string()]);
    // Where the walk stopped: at the remembered value, at the family's root (its whole bytes), or short.
    let root = loop {
        if remembered.as_deref() == Some(cursor.as_str()) {
            break None;
        }
        if links.len() >= MAX_WALK || !visited.insert(cursor.clone()) {
            break None;
        }
        // A missing row or a cycle is the family path's to report.
        let Some((_, base, data, increment)) = row_of(&cursor)? else { break None };
        match base {
            None => break Some(data),
            Some(next) => {
                links.push(Link { base_owner_id: Some(next.clone()), data, increment: Increment::parse(Some(&increment))? });
                cursor = next;
            }
        }
    };
    let chain: Vec<&Link> = links.iter().rev().collect();
    let joined = match &root {
        Some(start) => Some(join_increments(start, &chain, channel, thread_id)?),
        None if remembered.as_deref() == Some(cursor.as_str()) => match cache.get(thread_id, ns, channel, &cursor) {
            Some(start) => Some(join_increments(start, &chain, channel, thread_id)?),
            None => None,
        },
        None => None,
    };
    let data = match joined {
        Some(data) => {
            if root.is_some() {
                cache.miss();
            } else {
                cache.hit();
            }
            data
        }
        None => {
            cache.miss();
            match load_value(conn, path, thread_id, ns, channel, owner)? {
                Some(v) => v.data,
                None => return Ok(None),
            }
        }
    };
    cache.set(thread_id, ns, channel, owner, &data);
    Ok(Some(value(data)))
}

pub fn load_values(
    conn: &Connection,
    path: &str,
    thread_id: &str,
    ns: &str,
    refs: &ChannelRefs,
    mut cache: Option<&mut AssembledValues>,
) -> EngineResult<Vec<StoredValue>> {
    let mut out = Vec::with_capacity(refs.len());
    for (channel, (owner, _)) in refs {
        let loaded = match cache.as_deref_mut() {
            Some(cache) => load_value_cached(conn, path, cache, thread_id, ns, channel, owner)?,
            None => load_value(conn, path, thread_id, ns, channel, owner)?,
        };
        if let Some(v) = loaded {
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
