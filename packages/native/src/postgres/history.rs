//! getDeltaChannelHistory: the writes of every ancestor back to (and including) the nearest one that
//! holds each channel's value, plus that value as the seed. One recursive query returns the ancestor
//! chain over both layouts, one query the writes to the channels, and one read per channel its seed.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;

use super::connect::Failure;
use super::read::compact_values;
use super::tables::Tables;
use crate::checkpoint::history_walk::HistoryWalk;
use crate::checkpoint::records::{ChannelHistory, StoredValue, StoredWrite};
use crate::checkpoint::refs;

struct Ancestor {
    id: String,
    /// Our layout's channel references; None for an official row.
    refs: Option<String>,
    /// An official row's channel_versions (its values are the blobs at those versions).
    versions: Option<String>,
}

/// One step up the chain: the row named by the outer `parent` column, ours if both layouts hold it.
/// An index lookup per step, so walking n ancestors costs n lookups, not n scans of the thread.
fn parent_lookup(t: &Tables) -> String {
    format!(
        "(SELECT checkpoint_id, parent_checkpoint_id, channel_refs, NULL::text FROM {flg}
          WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = parent)
         UNION ALL
         (SELECT checkpoint_id, parent_checkpoint_id, NULL, (checkpoint -> 'channel_versions')::text FROM {official}
          WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = parent)
         LIMIT 1",
        flg = t.flg_checkpoints,
        official = t.checkpoints
    )
}

async fn ancestors(c: &impl GenericClient, t: &Tables, thread_id: &str, ns: &str, id: &str) -> Result<Vec<Ancestor>, Failure> {
    let sql = format!(
        "WITH RECURSIVE rows_held(bound) AS (
            SELECT (SELECT COUNT(*) FROM {flg} WHERE thread_id = $1 AND checkpoint_ns = $2)
                 + (SELECT COUNT(*) FROM {official} WHERE thread_id = $1 AND checkpoint_ns = $2)
         ), chain(id, parent, refs, versions, depth) AS (
            SELECT n.*, 0 FROM (SELECT $3::text AS parent) start CROSS JOIN LATERAL ({step}) n
            UNION ALL
            SELECT n.*, chain.depth + 1 FROM chain CROSS JOIN LATERAL ({step}) n
            WHERE chain.parent IS NOT NULL AND chain.depth <= (SELECT bound FROM rows_held)
         )
         SELECT id, refs, versions FROM chain ORDER BY depth",
        step = parent_lookup(t),
        flg = t.flg_checkpoints,
        official = t.checkpoints
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &id]).await?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for r in rows {
        let a = Ancestor { id: r.try_get(0)?, refs: r.try_get(1)?, versions: r.try_get(2)? };
        if !seen.insert(a.id.clone()) {
            return Err(Failure::Message(format!(
                "thread {thread_id:?} (namespace {ns:?}): the parent chain of checkpoint {id:?} has a cycle at {:?}",
                a.id
            )));
        }
        out.push(a);
    }
    Ok(out)
}

async fn writes_by_checkpoint(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    channels: &[String],
) -> Result<HashMap<String, Vec<StoredWrite>>, Failure> {
    let sql = format!(
        "SELECT checkpoint_id, task_id, channel, type, value, task_path, idx FROM {flg}
         WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = ANY($3)
         UNION ALL
         SELECT checkpoint_id, task_id, channel, type, blob, '', idx FROM {official}
         WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = ANY($3)",
        flg = t.flg_writes,
        official = t.writes
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &channels]).await?;
    let mut out: HashMap<String, Vec<StoredWrite>> = HashMap::new();
    for r in rows {
        out.entry(r.try_get(0)?).or_default().push(StoredWrite {
            task_id: r.try_get(1)?,
            channel: r.try_get(2)?,
            kind: r.try_get::<_, Option<String>>(3)?.unwrap_or_else(|| "json".into()),
            value: r.try_get(4)?,
            task_path: r.try_get(5)?,
            idx: r.try_get::<_, i32>(6)? as i64,
        });
    }
    for writes in out.values_mut() {
        StoredWrite::sort(writes);
    }
    Ok(out)
}

/// The value an official-layout checkpoint holds for `channel`: the blob at its version, unless "empty".
async fn official_seed(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    id: &str,
    channel: &str,
    version: &str,
) -> Result<Option<StoredValue>, Failure> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT type, blob FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND version = $4",
            t.blobs
        ))
        .await?;
    let row = c.query_opt(&stmt, &[&thread_id, &ns, &channel, &version]).await?;
    let Some(r) = row else { return Ok(None) };
    let kind: String = r.try_get(0)?;
    let data: Option<Vec<u8>> = r.try_get(1)?;
    Ok(match (kind.as_str(), data) {
        ("empty", _) | (_, None) => None,
        (_, Some(data)) => {
            Some(StoredValue { channel: channel.to_string(), owner_id: id.to_string(), kind, data, row_token: None })
        }
    })
}

pub async fn delta_channel_history(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    checkpoint_id: &str,
    channels: &[String],
) -> Result<Vec<ChannelHistory>, Failure> {
    let chain = ancestors(c, t, thread_id, ns, checkpoint_id).await?;
    let writes = writes_by_checkpoint(c, t, thread_id, ns, channels).await?;

    let mut walk = HistoryWalk::new(channels, writes);
    for ancestor in chain.iter().skip(1) {
        if walk.done() {
            break;
        }
        walk.visit(&ancestor.id);
        let mut found = Vec::new();
        if let Some(text) = &ancestor.refs {
            let refs = refs::parse(text)?;
            let wanted: Vec<(String, String)> =
                walk.remaining().iter().filter_map(|ch| refs.get(ch).map(|(owner, _)| (ch.clone(), owner.clone()))).collect();
            for v in compact_values(c, t, thread_id, ns, &wanted).await? {
                found.push((v.channel.clone(), v));
            }
        } else if let Some(text) = &ancestor.versions {
            let versions: HashMap<String, serde_json::Value> = serde_json::from_str(text)
                .map_err(|e| format!("checkpoint {:?}: unreadable channel_versions: {e}", ancestor.id))?;
            for ch in walk.remaining() {
                let Some(version) = versions.get(ch) else { continue };
                let version = match version {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if let Some(v) = official_seed(c, t, thread_id, ns, &ancestor.id, ch, &version).await? {
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
