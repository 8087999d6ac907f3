//! Writes: one IMMEDIATE transaction per call, so a call is stored whole or not at all.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::error::{sql_err, EngineResult};
use super::schema;
use crate::checkpoint::carry_decision::{self, ByVersion};
use crate::checkpoint::records::{BlobIn, Increment, PutIn, PutOutcome, PutWritesIn};
use crate::checkpoint::refs::{self, ChannelRefs};

pub fn put(conn: &mut Connection, path: &str, input: &PutIn) -> EngineResult<PutOutcome> {
    let e = sql_err(path);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&e)?;
    let mut channel_refs = ChannelRefs::new();

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
        let decision = carry_decision::from_parent(&input.carried, parent_refs.as_ref(), input.verified.as_ref());
        let found =
            decision.lookups.iter().map(|(c, v)| stored_by_version(&tx, path, input, c, v)).collect::<EngineResult<Vec<_>>>()?;
        let decision = carry_decision::finish(
            decision,
            found,
            input.parent_checkpoint_id.is_some(),
            input.keep_every_value,
            input.verified.as_ref(),
        );
        if !decision.need.is_empty() {
            return Ok(PutOutcome::NeedValues(decision.need));
        }
        for (channel, owner, version) in decision.refs {
            channel_refs.insert(channel, (owner, version));
        }
    }

    for blob in &input.blobs {
        let root = match blob.base_owner_id {
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
                if blob.increment == Increment::Merge && !merge_applies(&tx, path, input, blob, base)? {
                    return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
                }
                root
            }
        };
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
            blob.base_owner_id,
            root,
            blob.data,
            blob.increment.as_str()
        ])
        .map_err(&e)?;
        channel_refs.insert(blob.channel.to_string(), (input.checkpoint_id.to_string(), blob.version.to_string()));
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

/// Regular writes keep the first value stored for (task, idx); special channels (negative idx:
/// error, interrupt, resume, scheduled) are replaced, as every LangGraph saver does.
pub fn put_writes(conn: &mut Connection, path: &str, input: &PutWritesIn, table: WritesTable) -> EngineResult<()> {
    let e = sql_err(path);
    let table = match table {
        WritesTable::Native => "flg_writes",
        WritesTable::Official => "writes",
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&e)?;
    for w in &input.writes {
        let verb = if w.idx < 0 { "INSERT OR REPLACE" } else { "INSERT OR IGNORE" };
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
    tx.commit().map_err(&e)
}
