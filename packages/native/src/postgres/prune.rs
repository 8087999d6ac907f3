//! Retention on PostgreSQL: removes the checkpoints a policy lets go (`checkpoint::prune_plan`), their
//! pending writes, and the values no remaining checkpoint reaches, in both layouts, one thread (at most
//! `MAX_REMOVALS_PER_TRANSACTION` checkpoints) per transaction of a few statements; writers of other
//! threads never wait.
//!
//! Safety with writers in other processes and on other machines:
//! - Our compact layout: the transaction first takes the thread's advisory lock exclusive
//!   (`thread_lock`), which every compact put takes shared; so the prune sees no put half done, and
//!   puts that start meanwhile wait for this one thread's transaction, then read the rebased rows.
//! - The official layout (PostgresSaver's own writers take no lock of ours) needs none: rows are
//!   deleted by the keys the plan named, never by a condition a new row could meet; its blobs are
//!   read before its checkpoints, so a value written after that read is not a candidate; and each
//!   blob is deleted only if, when the DELETE runs, no checkpoint row of the thread names its
//!   (channel, version). A put extends the newest checkpoint, which the plan always keeps, so what it
//!   builds on stays. (A put forked from a checkpoint this very prune removes is the one case a
//!   policy can lose: it builds on a checkpoint the policy let go.)

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{GenericClient, Object};

use super::connect::Failure;
use super::prune_load::{self, Loaded, Present};
use super::read;
use super::tables::Tables;
use super::thread_lock;
use crate::checkpoint::prune_options::PruneReport;
use crate::checkpoint::prune_plan::{plan, Key, Policy};
use crate::checkpoint::prune_values::{plan_values, ValueKey};

fn sum(rows: &[tokio_postgres::Row]) -> i64 {
    rows.iter().map(|r| r.get::<_, Option<i64>>(0).unwrap_or(0)).sum()
}

/// Deletes rows of `table` keyed by thread and (namespace, checkpoint id); returns (rows, bytes).
async fn delete_by_checkpoint(
    c: &impl GenericClient,
    table: &str,
    size: &str,
    thread_id: &str,
    keys: &[Key],
) -> Result<(u32, i64), Failure> {
    let sql = format!(
        "DELETE FROM {table} x USING unnest($2::text[], $3::text[]) AS d(ns, id)
         WHERE x.thread_id = $1 AND x.checkpoint_ns = d.ns AND x.checkpoint_id = d.id RETURNING ({size})::int8"
    );
    let ns: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let ids: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &ids]).await?;
    Ok((rows.len() as u32, sum(&rows)))
}

async fn delete_rows(
    c: &impl GenericClient,
    t: &Tables,
    p: Present,
    thread_id: &str,
    remove: &[Key],
) -> Result<PruneReport, Failure> {
    let mut report = PruneReport::default();
    let mut tables = Vec::new();
    if p.compact {
        tables.push((
            &t.flg_checkpoints,
            "octet_length(x.checkpoint) + octet_length(x.metadata::text) + octet_length(x.channel_refs)",
            &t.flg_writes,
            "octet_length(x.value)",
        ));
    }
    if p.official {
        tables.push((
            &t.checkpoints,
            "octet_length(x.checkpoint::text) + octet_length(x.metadata::text)",
            &t.writes,
            "octet_length(x.blob)",
        ));
    }
    for (checkpoints, size, writes, write_size) in tables {
        let (n, bytes) = delete_by_checkpoint(c, checkpoints, size, thread_id, remove).await?;
        report.checkpoints += n;
        report.bytes += bytes;
        let (n, bytes) = delete_by_checkpoint(c, writes, write_size, thread_id, remove).await?;
        report.writes += n;
        report.bytes += bytes;
    }
    Ok(report)
}

/// Our layout's values: rebases increments whose chain loses links, deletes what nothing reaches,
/// points kept rows at their new roots.
async fn collect_compact_values(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    loaded: &Loaded,
    kept: &HashSet<Key>,
) -> Result<PruneReport, Failure> {
    let referenced: HashSet<ValueKey> = loaded
        .compact_refs
        .iter()
        .filter(|(key, _)| kept.contains(*key))
        .flat_map(|((ns, _), owners)| owners.iter().map(move |(channel, owner)| (ns.clone(), channel.clone(), owner.clone())))
        .collect();
    let values = plan_values(thread_id, &referenced, &loaded.links)?;
    let mut report = PruneReport::default();

    // Every rebased value is assembled before any row changes.
    let mut by_ns: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for (ns, channel, owner) in &values.rebase {
        by_ns.entry(ns.as_str()).or_default().push((channel.clone(), owner.clone()));
    }
    let mut rewrites: Vec<(ValueKey, Vec<u8>)> = Vec::new();
    for (ns, wanted) in by_ns {
        for v in read::compact_values(c, t, thread_id, ns, &wanted).await? {
            rewrites.push(((ns.to_string(), v.channel, v.owner_id), v.data));
        }
    }
    if rewrites.len() != values.rebase.len() {
        return Err(Failure::Message(format!("prune: a value of thread {thread_id:?} to rebase could not be read")));
    }
    let update = c
        .prepare_cached(&format!(
            "UPDATE {} SET data = $5, base_owner_id = NULL, root_owner_id = owner_id
             WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND owner_id = $4",
            t.flg_blobs
        ))
        .await?;
    for ((ns, channel, owner), data) in &rewrites {
        let old = loaded.links.get(&(ns.clone(), channel.clone(), owner.clone())).map_or(0, |l| l.size);
        report.bytes -= data.len() as i64 - old;
        c.execute(&update, &[&thread_id, ns, channel, owner, data]).await?;
    }

    if !values.delete.is_empty() {
        let ns: Vec<&str> = values.delete.iter().map(|k| k.0.as_str()).collect();
        let channels: Vec<&str> = values.delete.iter().map(|k| k.1.as_str()).collect();
        let owners: Vec<&str> = values.delete.iter().map(|k| k.2.as_str()).collect();
        let stmt = c
            .prepare_cached(&format!(
                "DELETE FROM {} b USING unnest($2::text[], $3::text[], $4::text[]) AS d(ns, channel, owner)
                 WHERE b.thread_id = $1 AND b.checkpoint_ns = d.ns AND b.channel = d.channel AND b.owner_id = d.owner
                 RETURNING octet_length(b.data)::int8",
                t.flg_blobs
            ))
            .await?;
        let rows = c.query(&stmt, &[&thread_id, &ns, &channels, &owners]).await?;
        report.values += rows.len() as u32;
        report.bytes += sum(&rows);
    }
    if !values.reroot.is_empty() {
        let ns: Vec<&str> = values.reroot.iter().map(|(k, _)| k.0.as_str()).collect();
        let channels: Vec<&str> = values.reroot.iter().map(|(k, _)| k.1.as_str()).collect();
        let owners: Vec<&str> = values.reroot.iter().map(|(k, _)| k.2.as_str()).collect();
        let roots: Vec<&str> = values.reroot.iter().map(|(_, r)| r.as_str()).collect();
        let stmt = c
            .prepare_cached(&format!(
                "UPDATE {} b SET root_owner_id = d.root FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS d(ns, channel, owner, root)
                 WHERE b.thread_id = $1 AND b.checkpoint_ns = d.ns AND b.channel = d.channel AND b.owner_id = d.owner",
                t.flg_blobs
            ))
            .await?;
        c.execute(&stmt, &[&thread_id, &ns, &channels, &owners, &roots]).await?;
    }
    Ok(report)
}

/// The official layout's blobs that no kept checkpoint names, deleted only if still unnamed when the
/// DELETE runs (a checkpoint committed since the read may name them).
async fn collect_official_blobs(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    loaded: &Loaded,
    kept: &HashSet<Key>,
) -> Result<PruneReport, Failure> {
    let named: HashSet<(&str, &str, &str)> = loaded
        .official_versions
        .iter()
        .filter(|(key, _)| kept.contains(*key))
        .flat_map(|((ns, _), versions)| versions.iter().map(move |(c, v)| (ns.as_str(), c.as_str(), v.as_str())))
        .collect();
    let mut candidates: Vec<&(String, String, String)> =
        loaded.blobs.keys().filter(|(ns, c, v)| !named.contains(&(ns.as_str(), c.as_str(), v.as_str()))).collect();
    let mut report = PruneReport::default();
    if candidates.is_empty() {
        return Ok(report);
    }
    candidates.sort();
    let ns: Vec<&str> = candidates.iter().map(|k| k.0.as_str()).collect();
    let channels: Vec<&str> = candidates.iter().map(|k| k.1.as_str()).collect();
    let versions: Vec<&str> = candidates.iter().map(|k| k.2.as_str()).collect();
    let stmt = c
        .prepare_cached(&format!(
            "WITH named AS MATERIALIZED (
                SELECT x.checkpoint_ns AS ns, v.key AS channel, v.value AS version FROM {cp} x
                CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(x.checkpoint -> 'channel_versions') = 'object'
                                                   THEN x.checkpoint -> 'channel_versions' ELSE '{{}}'::jsonb END) v
                WHERE x.thread_id = $1
             )
             DELETE FROM {bl} b USING unnest($2::text[], $3::text[], $4::text[]) AS d(ns, channel, version)
             WHERE b.thread_id = $1 AND b.checkpoint_ns = d.ns AND b.channel = d.channel AND b.version = d.version
               AND NOT EXISTS (SELECT 1 FROM named n WHERE n.ns = d.ns AND n.channel = d.channel AND n.version = d.version)
             RETURNING coalesce(octet_length(b.blob), 0)::int8",
            bl = t.blobs,
            cp = t.checkpoints
        ))
        .await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &channels, &versions]).await?;
    report.values += rows.len() as u32;
    report.bytes += sum(&rows);
    Ok(report)
}

/// Checkpoints removed per transaction at most: a thread with a long history is pruned in several
/// short transactions (oldest first), so its writers never wait long. Removing part of what the plan
/// lets go keeps more than the policy asks, never less.
pub const MAX_REMOVALS_PER_TRANSACTION: usize = 1000;

/// One transaction of a thread's prune; `more` is true when the plan had more to remove than one
/// transaction takes (call again).
pub async fn prune_thread(
    client: &mut Object,
    t: &Tables,
    p: Present,
    thread_id: &str,
    policy: &Policy,
) -> Result<(PruneReport, bool), Failure> {
    let tx = client.transaction().await?;
    thread_lock::exclusive(&tx, t, thread_id).await?;
    let loaded = prune_load::load(&tx, t, p, thread_id).await?;
    let mut remove = plan(&loaded.heads, policy).map_err(|m| Failure::Message(format!("thread {thread_id:?}: {m}")))?;
    if remove.is_empty() {
        // Nothing goes: values are left as they are (values become unreachable only with checkpoints).
        tx.commit().await?;
        return Ok((PruneReport::default(), false));
    }
    let more = remove.len() > MAX_REMOVALS_PER_TRANSACTION;
    if more {
        remove.sort_by(|a, b| a.1.cmp(&b.1));
        remove.truncate(MAX_REMOVALS_PER_TRANSACTION);
    }
    let removed: HashSet<&Key> = remove.iter().collect();
    let kept: HashSet<Key> = loaded.heads.iter().map(|h| (h.ns.clone(), h.id.clone())).filter(|k| !removed.contains(k)).collect();
    let mut report = delete_rows(&tx, t, p, thread_id, &remove).await?;
    if p.compact {
        report.add(collect_compact_values(&tx, t, thread_id, &loaded, &kept).await?);
    }
    if p.official {
        report.add(collect_official_blobs(&tx, t, thread_id, &loaded, &kept).await?);
    }
    tx.commit().await?;
    Ok((report, more))
}
