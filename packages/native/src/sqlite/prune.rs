//! Retention: removes the checkpoints a policy lets go (see `prune_plan`), their writes, and every
//! stored value no remaining checkpoint can reach, rebasing increment chains whose older links go.
//! Each thread is pruned in its own IMMEDIATE transaction, so concurrent writers wait at most for one
//! thread's prune, and a checkpoint written meanwhile is either seen (and kept as the newest) or not yet.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{params, Connection, TransactionBehavior};

use super::error::{sql_err, EngineResult};
use super::schema::{self, OfficialTables};
use crate::checkpoint::json_array::concat_json_arrays;
pub use crate::checkpoint::prune_options::PruneReport;
use crate::checkpoint::prune_plan::{plan, Head, Key, Policy};
use crate::checkpoint::prune_values::{plan_values, ValueKey, ValueLink};
use crate::checkpoint::refs;

pub fn thread_ids(conn: &Connection, path: &str) -> EngineResult<Vec<String>> {
    let e = sql_err(path);
    let official = schema::official_tables(conn).map_err(&e)?;
    let sql = if official.checkpoints {
        "SELECT thread_id FROM flg_checkpoints UNION SELECT thread_id FROM checkpoints"
    } else {
        "SELECT DISTINCT thread_id FROM flg_checkpoints"
    };
    let mut stmt = conn.prepare(sql).map_err(&e)?;
    let ids = stmt.query_map([], |r| r.get(0)).map_err(&e)?.collect::<Result<Vec<String>, _>>().map_err(&e)?;
    Ok(ids)
}

#[derive(serde::Deserialize, Default)]
struct CheckpointInfo {
    #[serde(default)]
    ts: String,
    #[serde(default)]
    v: i64,
    #[serde(default)]
    channel_values: Option<HashMap<String, serde::de::IgnoredAny>>,
}

#[derive(serde::Deserialize, Default)]
struct MetadataInfo {
    #[serde(default)]
    parents: BTreeMap<String, String>,
    #[serde(default)]
    counters_since_delta_snapshot: BTreeMap<String, serde::de::IgnoredAny>,
}

fn load_heads(conn: &Connection, path: &str, official: OfficialTables, thread_id: &str) -> EngineResult<Vec<Head>> {
    let e = sql_err(path);
    let mut with_writes: HashSet<Key> = HashSet::new();
    let mut tables = vec![("flg_checkpoints", "channel_refs", "flg_writes")];
    if official.checkpoints {
        tables.push(("checkpoints", "NULL", "writes"));
    }
    for (_, _, writes) in &tables {
        if *writes == "writes" && !official.writes {
            continue;
        }
        let mut stmt = conn
            .prepare(&format!("SELECT DISTINCT checkpoint_ns, checkpoint_id FROM {writes} WHERE thread_id = ?1"))
            .map_err(&e)?;
        for row in stmt.query_map([thread_id], |r| Ok((r.get(0)?, r.get(1)?))).map_err(&e)? {
            with_writes.insert(row.map_err(&e)?);
        }
    }
    let mut heads = Vec::new();
    for (table, refs_col, _) in tables {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata, {refs_col} FROM {table} WHERE thread_id = ?1"
            ))
            .map_err(&e)?;
        let rows = stmt
            .query_map([thread_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
                    r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (ns, id, parent, checkpoint, metadata, channel_refs) = row.map_err(&e)?;
            let info: CheckpointInfo = serde_json::from_slice(&checkpoint).unwrap_or_default();
            let meta: MetadataInfo = serde_json::from_slice(&metadata).unwrap_or_default();
            let holds = match channel_refs {
                Some(text) => refs::parse(&text)?.into_keys().collect(),
                None => info.channel_values.unwrap_or_default().into_keys().collect(),
            };
            let has_writes = with_writes.contains(&(ns.clone(), id.clone()));
            heads.push(Head {
                ns,
                id,
                parent,
                ts: info.ts,
                version: if info.v == 0 { 4 } else { info.v },
                holds,
                parents_meta: meta.parents,
                delta_channels: meta.counters_since_delta_snapshot.into_keys().collect(),
                has_writes,
            });
        }
    }
    Ok(heads)
}

fn delete_rows(
    conn: &Connection,
    path: &str,
    official: OfficialTables,
    thread_id: &str,
    remove: &[Key],
) -> EngineResult<PruneReport> {
    let e = sql_err(path);
    let mut report = PruneReport::default();
    let mut targets = vec![("flg_checkpoints", "length(checkpoint) + length(metadata) + length(channel_refs)", "flg_writes")];
    if official.checkpoints {
        targets.push(("checkpoints", "coalesce(length(checkpoint), 0) + coalesce(length(metadata), 0)", "writes"));
    }
    for (ns, id) in remove {
        for (table, size, writes) in &targets {
            let bytes: Option<i64> = conn
                .prepare_cached(&format!(
                    "SELECT {size} FROM {table} WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
                ))
                .map_err(&e)?
                .query_row(params![thread_id, ns, id], |r| r.get(0))
                .ok();
            if let Some(bytes) = bytes {
                conn.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
                ))
                .map_err(&e)?
                .execute(params![thread_id, ns, id])
                .map_err(&e)?;
                report.checkpoints += 1;
                report.bytes += bytes;
            }
            if *writes == "writes" && !official.writes {
                continue;
            }
            let (count, bytes): (i64, Option<i64>) = conn
                .prepare_cached(&format!(
                    "SELECT COUNT(*), SUM(coalesce(length(value), 0)) FROM {writes} WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
                ))
                .map_err(&e)?
                .query_row(params![thread_id, ns, id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&e)?;
            if count > 0 {
                conn.prepare_cached(&format!(
                    "DELETE FROM {writes} WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3"
                ))
                .map_err(&e)?
                .execute(params![thread_id, ns, id])
                .map_err(&e)?;
                report.writes += count as u32;
                report.bytes += bytes.unwrap_or(0);
            }
        }
    }
    Ok(report)
}

/// Deletes values no remaining checkpoint references. A referenced increment whose chain runs through
/// unreferenced links is first rewritten in full (rebased), so those links can go (see `plan_values`).
fn collect_values(conn: &Connection, path: &str, thread_id: &str) -> EngineResult<PruneReport> {
    let e = sql_err(path);
    let mut referenced: HashSet<ValueKey> = HashSet::new();
    {
        let mut stmt =
            conn.prepare("SELECT checkpoint_ns, channel_refs FROM flg_checkpoints WHERE thread_id = ?1").map_err(&e)?;
        for row in stmt.query_map([thread_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(&e)? {
            let (ns, text) = row.map_err(&e)?;
            for (channel, (owner, _)) in refs::parse(&text)? {
                referenced.insert((ns.clone(), channel, owner));
            }
        }
    }
    let mut links: HashMap<ValueKey, ValueLink> = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT checkpoint_ns, channel, owner_id, base_owner_id, root_owner_id, length(data)
                 FROM flg_blobs WHERE thread_id = ?1",
            )
            .map_err(&e)?;
        let rows = stmt
            .query_map([thread_id], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), ValueLink { base: r.get(3)?, root: r.get(4)?, size: r.get(5)? }))
            })
            .map_err(&e)?;
        for row in rows {
            let (k, link) = row.map_err(&e)?;
            links.insert(k, link);
        }
    }
    let plan = plan_values(thread_id, &referenced, &links)?;
    let mut report = PruneReport::default();

    // Every rebased value is assembled from the chain as it stands, before any row changes.
    let mut rewrites = Vec::new();
    for (ns, channel, owner) in &plan.rebase {
        let value = super::values::load_value(conn, path, thread_id, ns, channel, owner)?
            .ok_or_else(|| format!("value of channel {channel:?} at {owner:?} vanished during prune"))?;
        rewrites.push((ns, channel, owner, concat_json_arrays([value.data.as_slice()])?));
    }
    for (ns, channel, owner, data) in rewrites {
        let old = links.get(&(ns.clone(), channel.clone(), owner.clone())).map_or(0, |l| l.size);
        report.bytes -= data.len() as i64 - old;
        super::values::store_whole(conn, path, thread_id, ns, channel, owner, &data)?;
    }
    for key in &plan.delete {
        conn.prepare_cached(
            "DELETE FROM flg_blobs WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3 AND owner_id = ?4",
        )
        .map_err(&e)?
        .execute(params![thread_id, key.0, key.1, key.2])
        .map_err(&e)?;
        report.values += 1;
        report.bytes += links[key].size;
    }
    for (key, root) in &plan.reroot {
        conn.prepare_cached(
            "UPDATE flg_blobs SET root_owner_id = ?5 WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3
             AND owner_id = ?4",
        )
        .map_err(&e)?
        .execute(params![thread_id, key.0, key.1, key.2, root])
        .map_err(&e)?;
    }
    Ok(report)
}

pub fn prune_thread(conn: &mut Connection, path: &str, thread_id: &str, policy: &Policy) -> EngineResult<PruneReport> {
    let e = sql_err(path);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(&e)?;
    let official = schema::official_tables(&tx).map_err(&e)?;
    let heads = load_heads(&tx, path, official, thread_id)?;
    let remove = plan(&heads, policy).map_err(|m| format!("thread {thread_id:?}: {m}"))?;
    let mut report = delete_rows(&tx, path, official, thread_id, &remove)?;
    report.add(collect_values(&tx, path, thread_id)?);
    if report.checkpoints > 0 {
        report.threads = 1;
    }
    tx.commit().map_err(&e)?;
    Ok(report)
}

/// Returns freed pages to the file system when the file uses incremental auto-vacuum.
pub fn release_free_pages(conn: &Connection, path: &str) -> EngineResult<()> {
    let e = sql_err(path);
    let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).map_err(&e)?;
    if mode == 2 {
        // Each step of the statement frees one page: step it to the end (one step, as `execute_batch`
        // does, returned a single page per prune).
        let mut statement = conn.prepare("PRAGMA incremental_vacuum").map_err(&e)?;
        let mut rows = statement.query([]).map_err(&e)?;
        while rows.next().map_err(&e)?.is_some() {}
    }
    Ok(())
}

/// Rewrites the whole file without free pages (blocks other writers of this file while it runs).
pub fn vacuum(conn: &Connection, path: &str) -> EngineResult<()> {
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);").map_err(sql_err(path))
}
