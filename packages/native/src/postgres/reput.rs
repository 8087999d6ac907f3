//! A put of a checkpoint stored before replaces the rows it stored: what the checkpoints built on those
//! rows do so that each keeps the value it was stored with, as every checkpoint of the official savers
//! holds its own (the same rules as SQLite's `reput`).

use std::collections::HashSet;

use deadpool_postgres::GenericClient;

use super::connect::Failure;
use super::read;
use super::tables::Tables;
use crate::checkpoint::detach_plan;
use crate::checkpoint::records::PutIn;
use crate::checkpoint::refs;

/// Before a put replaces the row its checkpoint stored for `channel` (if it stored one): later
/// checkpoints that carry that value by reference get it (the first of them by id becomes its owner,
/// and every reference, base and root naming the checkpoint for the channel follows); else the rows
/// built on it become whole.
pub async fn before_replacing_own_row(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    channel: &str,
) -> Result<(), Failure> {
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    // Locked first, so that a put building on the row (which locks it FOR SHARE) has either committed,
    // and the searches below (each a statement of its own, with its own snapshot) see it, or waits for
    // this one and finds the row's token changed.
    let lock = c
        .prepare_cached(&format!(
            "SELECT 1 FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND owner_id = $4 FOR UPDATE",
            t.flg_blobs
        ))
        .await?;
    if c.query_opt(&lock, &[&thread_id, &ns, &channel, &owner]).await?.is_none() {
        return Ok(());
    }
    let stmt = c
        .prepare_cached(&format!(
            "SELECT b.owner_id, b.base_owner_id FROM {bl} b JOIN {bl} o
             ON o.thread_id = b.thread_id AND o.checkpoint_ns = b.checkpoint_ns AND o.channel = b.channel
             AND o.root_owner_id = b.root_owner_id
             WHERE o.thread_id = $1 AND o.checkpoint_ns = $2 AND o.channel = $3 AND o.owner_id = $4",
            bl = t.flg_blobs
        ))
        .await?;
    let family: Vec<(String, Option<String>)> =
        c.query(&stmt, &[&thread_id, &ns, &channel, &owner]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    if family.is_empty() {
        return Ok(());
    }
    if hand_over_to_carriers(c, t, input, channel).await? {
        return Ok(());
    }
    let plan = detach_plan::plan(&family, owner);
    let wanted: Vec<(String, String)> = plan.children.iter().map(|child| (channel.to_string(), child.clone())).collect();
    let wholes = read::compact_values(c, t, thread_id, ns, &wanted).await?;
    if wholes.len() != wanted.len() {
        return Err(Failure::Message(format!(
            "channel {channel:?} of thread {thread_id:?}: a value built on checkpoint {owner:?} vanished"
        )));
    }
    let set = |column: &str| {
        format!(
            "UPDATE {} SET {column} WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND owner_id = $4",
            t.flg_blobs
        )
    };
    let whole = c.prepare_cached(&set("data = $5, base_owner_id = NULL, root_owner_id = owner_id")).await?;
    for value in &wholes {
        c.execute(&whole, &[&thread_id, &ns, &channel, &value.owner_id, &value.data]).await?;
    }
    let reroot = c.prepare_cached(&set("root_owner_id = $5")).await?;
    for (row, root) in &plan.reroots {
        c.execute(&reroot, &[&thread_id, &ns, &channel, row, root]).await?;
    }
    Ok(())
}

/// After a put stored a checkpoint stored before: the rows it stored then for channels not in `kept`
/// (its new references name another row for them, or none) are handed over or detached like a replaced row, then deleted (see SQLite's `reput`).
pub async fn drop_rows_not_stored_again(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    kept: &HashSet<&str>,
) -> Result<(), Failure> {
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    let stmt = c
        .prepare_cached(&format!(
            "SELECT channel FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND owner_id = $3",
            t.flg_blobs
        ))
        .await?;
    let channels: Vec<String> = c.query(&stmt, &[&thread_id, &ns, &owner]).await?.iter().map(|r| r.get(0)).collect();
    let delete = c
        .prepare_cached(&format!(
            "DELETE FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND owner_id = $4",
            t.flg_blobs
        ))
        .await?;
    for channel in channels.iter().filter(|c| !kept.contains(c.as_str())) {
        before_replacing_own_row(c, t, input, channel).await?;
        c.execute(&delete, &[&thread_id, &ns, channel, &owner]).await?;
    }
    Ok(())
}

async fn hand_over_to_carriers(c: &impl GenericClient, t: &Tables, input: &PutIn<'_>, channel: &str) -> Result<bool, Failure> {
    let (thread_id, ns, owner) = (input.thread_id, input.checkpoint_ns, input.checkpoint_id);
    let stmt = c
        .prepare_cached(&format!(
            "SELECT checkpoint_id, channel_refs FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2
             AND checkpoint_id <> $3 AND strpos(channel_refs, $4) > 0 FOR UPDATE",
            t.flg_checkpoints
        ))
        .await?;
    let rows: Vec<(String, String)> = c
        .query(&stmt, &[&thread_id, &ns, &owner, &refs::owner_needle(owner)])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let Some(handed) = refs::hand_over(rows, channel, owner)? else { return Ok(false) };
    for column in ["owner_id", "base_owner_id", "root_owner_id"] {
        let stmt = c
            .prepare_cached(&format!(
                "UPDATE {} SET {column} = $5 WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND {column} = $4",
                t.flg_blobs
            ))
            .await?;
        c.execute(&stmt, &[&thread_id, &ns, &channel, &owner, &handed.heir]).await?;
    }
    let stmt = c
        .prepare_cached(&format!(
            "UPDATE {} SET channel_refs = $4 WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3",
            t.flg_checkpoints
        ))
        .await?;
    for (id, text) in &handed.carriers {
        c.execute(&stmt, &[&thread_id, &ns, id, text]).await?;
    }
    Ok(true)
}
