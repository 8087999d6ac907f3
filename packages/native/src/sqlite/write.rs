//! Writes: one IMMEDIATE transaction per call, so a call is stored whole or not at all.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::assembled::AssembledValues;
use super::cached_tx::CachedTx;
use super::error::{sql_err, EngineResult};
use super::schema;
use crate::checkpoint::carry_decision::{self, ByVersion};
use crate::checkpoint::chain::{apply_increment, fold_onto_own_row, Link};
use crate::checkpoint::records::{BlobIn, Increment, PutIn, PutOutcome, PutWritesIn};
use crate::checkpoint::refs::{self, ChannelRefs};

/// Stores a checkpoint; a row it stores again drops the thread's assembled values from `cache`.
pub fn put(
    conn: &mut Connection,
    path: &str,
    input: &PutIn,
    mut cache: Option<&mut AssembledValues>,
    data_version: &mut Option<i64>,
) -> EngineResult<PutOutcome> {
    let e = sql_err(path);
    let tx = CachedTx::immediate(conn).map_err(&e)?;
    let mut channel_refs = ChannelRefs::new();
    let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(&e)?;
    *data_version = Some(version);
    // Another connection committed since the caller's memory was in step with this database: a row
    // it vouches for (a carried value, an increment's base) may have been rewritten under the same ids.
    let memory_stale = input.memory_data_version.is_some_and(|v| v != version);
    let unvouched = HashSet::new();
    let verified = if memory_stale { Some(&unvouched) } else { input.verified.as_ref() };

    if !input.carried.is_empty() {
        let parent_refs: Option<String> = match input.parent_checkpoint_id {
            None => None,
            Some(parent) => tx
                .prepare_cached(
                    "SELECT channel_refs FROM flg_checkpoints
                     WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3",
                )
                .map_err(&e)?
                .query_row(params![input.thread_id, input.checkpoint_ns, parent], |r| r.get(0))
                .optional()
                .map_err(&e)?,
        };
        if let (None, Some(parent)) = (&parent_refs, input.parent_checkpoint_id) {
            if official_checkpoint_exists(&tx, path, input, parent)? {
                return Ok(PutOutcome::NeedValues(input.carried.iter().map(|(c, _)| c.to_string()).collect()));
            }
        }
        let parent_refs = parent_refs.map(|text| refs::parse(&text)).transpose()?;
        // A value is vouched for only where the row it is carried from (the parent's reference, or the
        // row found by version) is the very row it was remembered from.
        let referenced: Option<HashSet<String>> = input.verified_rows.as_ref().map(|rows| {
            carry_decision::vouched_rows(verified, rows, parent_refs.as_ref()).into_iter().map(|(c, _, _)| c.clone()).collect()
        });
        let decision = carry_decision::from_parent(&input.carried, parent_refs.as_ref(), referenced.as_ref().or(verified));
        let found =
            decision.lookups.iter().map(|(c, v)| stored_by_version(&tx, path, input, c, v)).collect::<EngineResult<Vec<_>>>()?;
        let looked_up: Option<HashSet<String>> =
            input.verified_rows.as_ref().map(|rows| carry_decision::vouched_lookups(verified, rows, &decision.lookups, &found));
        let verified = looked_up.as_ref().or(verified);
        let decision =
            carry_decision::finish(decision, found, input.parent_checkpoint_id.is_some(), input.keep_every_value, verified);
        if let Err(need) = decision.apply(&mut channel_refs) {
            return Ok(PutOutcome::NeedValues(need));
        }
    }

    for blob in &input.blobs {
        if memory_stale && blob.base_owner_id.is_some() {
            return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
        }
        // A retried put whose increment extends another checkpoint's value could close a cycle (that
        // value may itself extend this row): such a value is stored whole.
        if let Some(base) = blob.base_owner_id {
            if base != input.checkpoint_id && own_row_exists(&tx, path, input, blob.channel)? {
                return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
            }
        }
        // A retried put (the same checkpoint stored again) is an upsert; an increment built on the
        // first attempt's row must not become that row's own base.
        let own_row;
        let (blob_base, blob_data, blob_increment) = match blob.base_owner_id {
            Some(base) if base == input.checkpoint_id => match fold_own_row(&tx, path, input, blob)? {
                Some(link) => {
                    own_row = link;
                    (own_row.0.as_deref(), own_row.1.as_slice(), own_row.2)
                }
                None => return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string())),
            },
            _ => (blob.base_owner_id, blob.data, blob.increment),
        };
        let retried = blob.base_owner_id == Some(input.checkpoint_id);
        let root = match blob_base {
            _ if retried => own_root(&tx, path, input, blob)?,
            None => input.checkpoint_id.to_string(),
            Some(base) => {
                let root: Option<String> = tx
                    .prepare_cached(
                        "SELECT root_owner_id FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2
                         AND channel = ?3 AND owner_id = ?4 AND type = ?5",
                    )
                    .map_err(&e)?
                    .query_row(params![input.thread_id, input.checkpoint_ns, blob.channel, base, blob.kind], |r| r.get(0))
                    .optional()
                    .map_err(&e)?;
                let Some(root) = root else { return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string())) };
                if blob_increment == Increment::Merge && !merge_applies(&tx, path, input, blob, base)? {
                    return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
                }
                root
            }
        };
        if own_row_exists(&tx, path, input, blob.channel)? {
            super::reput::before_replacing_own_row(&tx, path, input, blob.channel)?;
            if let Some(cache) = cache.as_deref_mut() {
                cache.forget_thread(input.thread_id);
            }
        }
        tx.prepare_cached(
            "INSERT OR REPLACE INTO flg_blobs
             (thread_id, checkpoint_ns, channel, owner_id, version, type, base_owner_id, root_owner_id, data, increment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .map_err(&e)?
        .execute(params![
            input.thread_id,
            input.checkpoint_ns,
            blob.channel,
            input.checkpoint_id,
            blob.version,
            blob.kind,
            blob_base,
            root,
            blob_data,
            blob_increment.as_str()
        ])
        .map_err(&e)?;
        channel_refs.insert(blob.channel.to_string(), (input.checkpoint_id.to_string(), blob.version.to_string()));
    }

    // Rows of its own the checkpoint still references (written now, or found again by version).
    let kept: HashSet<&str> =
        channel_refs.iter().filter(|(_, (owner, _))| owner == input.checkpoint_id).map(|(c, _)| c.as_str()).collect();
    if super::reput::drop_rows_not_stored_again(&tx, path, input, &kept)? {
        if let Some(cache) = cache {
            cache.forget_thread(input.thread_id);
        }
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO flg_checkpoints
         (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata, channel_refs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(&e)?
    .execute(params![
        input.thread_id,
        input.checkpoint_ns,
        input.checkpoint_id,
        input.parent_checkpoint_id,
        input.kind,
        input.checkpoint,
        input.metadata,
        refs::render(&channel_refs)
    ])
    .map_err(&e)?;
    tx.commit().map_err(&e)?;
    Ok(PutOutcome::Stored)
}

/// The row a retried put stores for `blob`, whose base is the checkpoint being written: (base, data,
/// increment) rebased onto the stored row's base, or the whole value; None when that row is missing.
type OwnRow = (Option<String>, Vec<u8>, Increment);

fn fold_own_row(conn: &Connection, path: &str, input: &PutIn, blob: &BlobIn) -> EngineResult<Option<OwnRow>> {
    let e = sql_err(path);
    let row: Option<(Option<String>, Vec<u8>, String)> = conn
        .prepare_cached(
            "SELECT base_owner_id, data, increment FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2
             AND channel = ?3 AND owner_id = ?4 AND type = ?5",
        )
        .map_err(&e)?
        .query_row(params![input.thread_id, input.checkpoint_ns, blob.channel, input.checkpoint_id, blob.kind], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .map_err(&e)?;
    let Some((base_owner_id, data, increment)) = row else { return Ok(None) };
    let existing = Link { base_owner_id, data, increment: Increment::parse(Some(&increment))? };
    if let Some(folded) = fold_onto_own_row(&existing, blob.data, blob.increment)? {
        return Ok(Some((folded.base_owner_id, folded.data, folded.increment)));
    }
    let Some(value) =
        super::values::load_value(conn, path, input.thread_id, input.checkpoint_ns, blob.channel, input.checkpoint_id)?
    else {
        return Ok(None);
    };
    match apply_increment(&value.data, blob.data, blob.increment) {
        Ok(whole) => Ok(Some((None, whole, Increment::Append))),
        Err(_) => Ok(None),
    }
}

/// The root of the row a retried put replaces: kept, so rows built on it still find it in their family.
fn own_root(conn: &Connection, path: &str, input: &PutIn, blob: &BlobIn) -> EngineResult<String> {
    let e = sql_err(path);
    conn.prepare_cached(
        "SELECT root_owner_id FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
    )
    .map_err(&e)?
    .query_row(params![input.thread_id, input.checkpoint_ns, blob.channel, input.checkpoint_id], |r| r.get(0))
    .map_err(&e)
}

/// A messages-reducer increment is stored only if it applies to its base (it is replayed on every read).
fn merge_applies(conn: &Connection, path: &str, input: &PutIn, blob: &BlobIn, base: &str) -> EngineResult<bool> {
    let Some(value) = super::values::load_value(conn, path, input.thread_id, input.checkpoint_ns, blob.channel, base)? else {
        return Ok(false);
    };
    Ok(crate::messages::reducer::merge_serialized(&value.data, &[blob.data]).is_ok())
}

/// Which checkpoint of the thread and namespace stored a value for the channel under this version.
fn stored_by_version(conn: &Connection, path: &str, input: &PutIn, channel: &str, version: &str) -> EngineResult<ByVersion> {
    let e = sql_err(path);
    let owners: Vec<String> = conn
        .prepare_cached(
            "SELECT owner_id FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND version = ?4 LIMIT 2",
        )
        .map_err(&e)?
        .query_map(params![input.thread_id, input.checkpoint_ns, channel, version], |r| r.get(0))
        .map_err(&e)?
        .collect::<Result<_, _>>()
        .map_err(&e)?;
    Ok(match owners.len() {
        0 => ByVersion::None,
        1 => ByVersion::One(owners.into_iter().next().unwrap_or_default()),
        _ => ByVersion::Many,
    })
}

/// Whether this checkpoint already stored a value for the channel (a retried put).
fn own_row_exists(conn: &Connection, path: &str, input: &PutIn, channel: &str) -> EngineResult<bool> {
    conn.prepare_cached("SELECT 1 FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4")
        .map_err(sql_err(path))?
        .exists(params![input.thread_id, input.checkpoint_ns, channel, input.checkpoint_id])
        .map_err(sql_err(path))
}

fn official_checkpoint_exists(conn: &Connection, path: &str, input: &PutIn, id: &str) -> EngineResult<bool> {
    let e = sql_err(path);
    if !schema::official_tables(conn).map_err(&e)?.checkpoints {
        return Ok(false);
    }
    conn.prepare_cached("SELECT 1 FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3")
        .map_err(&e)?
        .exists(params![input.thread_id, input.checkpoint_ns, id])
        .map_err(&e)
}

/// Which table pending writes go to: ours, or the official saver's (same columns once it has task_path).
#[derive(Clone, Copy)]
pub enum WritesTable {
    Native,
    Official,
}

/// Applies the batch write by write in order, each one replacing or keeping what (task, idx) holds by
/// the request's rule (`PutWritesIn::replaces`: SqliteSaver's by default, MemorySaver's on request).
pub fn put_writes(conn: &mut Connection, path: &str, input: &PutWritesIn, table: WritesTable) -> EngineResult<()> {
    let e = sql_err(path);
    let table = match table {
        WritesTable::Native => "flg_writes",
        WritesTable::Official => "writes",
    };
    let tx = CachedTx::immediate(conn).map_err(&e)?;
    for (i, w) in input.writes.iter().enumerate() {
        let verb = if input.replaces(i) { "INSERT OR REPLACE" } else { "INSERT OR IGNORE" };
        tx.prepare_cached(&format!(
            "{verb} INTO {table}
             (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))
        .map_err(&e)?
        .execute(params![
            input.thread_id,
            input.checkpoint_ns,
            input.checkpoint_id,
            input.task_id,
            w.idx,
            w.channel,
            w.kind,
            w.value,
            input.task_path
        ])
        .map_err(&e)?;
    }
    tx.commit().map_err(&e)
}

/// Deletes a thread from our tables and from the official saver's, if the file has them.
pub fn delete_thread(conn: &mut Connection, path: &str, thread_id: &str) -> EngineResult<()> {
    let e = sql_err(path);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&e)?;
    let official = schema::official_tables(&tx).map_err(&e)?;
    let mut tables = vec!["flg_checkpoints", "flg_blobs", "flg_writes"];
    if official.checkpoints {
        tables.push("checkpoints");
    }
    if official.writes {
        tables.push("writes");
    }
    for table in tables {
        tx.execute(&format!("DELETE FROM {table} WHERE thread_id = ?1"), [thread_id]).map_err(&e)?;
    }
    tx.commit().map_err(&e)?;
    // In memory, as a MemorySaver's deleteThread does, the thread's bytes are returned at once (a file
    // keeps its free pages for later writes, as the official SqliteSaver's does).
    if path == ":memory:" {
        super::prune::release_free_pages(conn, path)?;
    }
    Ok(())
}
