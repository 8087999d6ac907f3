//! What a prune of one thread reads before it plans: the checkpoint heads of both layouts, which
//! checkpoints hold pending writes, our compact layout's value rows and the official layout's blobs.

use std::collections::{BTreeMap, HashMap, HashSet};

use deadpool_postgres::GenericClient;

use super::connect::Failure;
use super::tables::Tables;
use crate::checkpoint::prune_plan::{Head, Key};
use crate::checkpoint::prune_values::{ValueKey, ValueLink};
use crate::checkpoint::refs;

/// Which layouts' tables exist in the schema (a PostgresSaver database may have none of ours).
#[derive(Debug, Clone, Copy)]
pub struct Present {
    pub compact: bool,
    pub official: bool,
}

pub async fn present(c: &impl GenericClient, t: &Tables) -> Result<Present, Failure> {
    let row = c
        .query_one("SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL", &[&t.flg_checkpoints, &t.checkpoints])
        .await?;
    Ok(Present { compact: row.try_get(0)?, official: row.try_get(1)? })
}

pub async fn thread_ids(c: &impl GenericClient, t: &Tables, p: Present) -> Result<Vec<String>, Failure> {
    let mut parts = Vec::new();
    if p.compact {
        parts.push(format!("SELECT thread_id FROM {}", t.flg_checkpoints));
    }
    if p.official {
        parts.push(format!("SELECT thread_id FROM {}", t.checkpoints));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let rows = c.query(&format!("{} ORDER BY 1", parts.join(" UNION ")), &[]).await?;
    Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<Vec<_>, _>>()?)
}

#[derive(serde::Deserialize, Default)]
struct CheckpointInfo {
    #[serde(default)]
    ts: String,
    #[serde(default)]
    v: i64,
}

#[derive(serde::Deserialize, Default)]
struct MetadataInfo {
    #[serde(default)]
    parents: BTreeMap<String, String>,
    #[serde(default)]
    counters_since_delta_snapshot: BTreeMap<String, serde::de::IgnoredAny>,
}

/// An official blob row: (namespace, channel, version) -> (holds a value, payload bytes).
pub type OfficialBlobs = HashMap<(String, String, String), (bool, i64)>;

/// Everything one thread's prune plans over. Official blobs are read before the checkpoints, so a
/// value written after the checkpoints were read is never among them (and never deleted).
pub struct Loaded {
    pub heads: Vec<Head>,
    /// Remaining compact checkpoints' references are computed from these: key -> channel -> owner.
    pub compact_refs: HashMap<Key, BTreeMap<String, String>>,
    /// Official checkpoints' channel versions: key -> channel -> version.
    pub official_versions: HashMap<Key, BTreeMap<String, String>>,
    pub links: HashMap<ValueKey, ValueLink>,
    pub blobs: OfficialBlobs,
}

fn head(ns: String, id: String, parent: Option<String>, info: CheckpointInfo, metadata: &str) -> Head {
    let meta: MetadataInfo = serde_json::from_str(metadata).unwrap_or_default();
    Head {
        ns,
        id,
        parent,
        ts: info.ts,
        version: if info.v == 0 { 4 } else { info.v },
        holds: Default::default(),
        parents_meta: meta.parents,
        delta_channels: meta.counters_since_delta_snapshot.into_keys().collect(),
        has_writes: false,
    }
}

pub async fn load(c: &impl GenericClient, t: &Tables, p: Present, thread_id: &str) -> Result<Loaded, Failure> {
    let mut out = Loaded {
        heads: Vec::new(),
        compact_refs: HashMap::new(),
        official_versions: HashMap::new(),
        links: HashMap::new(),
        blobs: HashMap::new(),
    };
    if p.official {
        let sql = format!(
            "SELECT checkpoint_ns, channel, version, type <> 'empty', coalesce(octet_length(blob), 0) FROM {} WHERE thread_id = $1",
            t.blobs
        );
        for r in c.query(&sql, &[&thread_id]).await? {
            out.blobs.insert((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?), (r.try_get(3)?, r.try_get::<_, i32>(4)? as i64));
        }
    }
    if p.compact {
        let sql = format!(
            "SELECT checkpoint_ns, channel, owner_id, base_owner_id, root_owner_id, octet_length(data) FROM {} WHERE thread_id = $1",
            t.flg_blobs
        );
        for r in c.query(&sql, &[&thread_id]).await? {
            let link = ValueLink { base: r.try_get(3)?, root: r.try_get(4)?, size: r.try_get::<_, i32>(5)? as i64 };
            out.links.insert((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?), link);
        }
        let sql = format!(
            "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata::text, channel_refs FROM {} WHERE thread_id = $1",
            t.flg_checkpoints
        );
        for r in c.query(&sql, &[&thread_id]).await? {
            let info: CheckpointInfo = serde_json::from_slice(r.try_get::<_, &[u8]>(3)?).unwrap_or_default();
            let mut h = head(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, info, r.try_get(4)?);
            let channel_refs =
                refs::parse(r.try_get(5)?).map_err(|m| format!("thread {thread_id:?}, checkpoint {:?}: {m}", h.id))?;
            h.holds = channel_refs.keys().cloned().collect();
            let owners = channel_refs.into_iter().map(|(channel, (owner, _))| (channel, owner)).collect();
            out.compact_refs.insert((h.ns.clone(), h.id.clone()), owners);
            out.heads.push(h);
        }
    }
    if p.official {
        let sql = format!(
            "SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint ->> 'ts', checkpoint ->> 'v',
                    CASE WHEN jsonb_typeof(checkpoint -> 'channel_versions') = 'object' THEN
                        (SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(checkpoint -> 'channel_versions'))::text END,
                    metadata::text
             FROM {} WHERE thread_id = $1",
            t.checkpoints
        );
        for r in c.query(&sql, &[&thread_id]).await? {
            let v = r.try_get::<_, Option<String>>(4)?.and_then(|v| v.parse().ok()).unwrap_or(0);
            let info = CheckpointInfo { ts: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(), v };
            let mut h = head(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, info, r.try_get(6)?);
            let versions: BTreeMap<String, String> =
                r.try_get::<_, Option<String>>(5)?.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
            // A channel is held when its blob at that version was read and has a value ("empty" marks none);
            // a blob written after the read counts as not held, which only keeps more ancestors.
            h.holds = versions
                .iter()
                .filter(|(channel, version)| {
                    out.blobs.get(&(h.ns.clone(), (*channel).clone(), (*version).clone())).is_some_and(|(value, _)| *value)
                })
                .map(|(channel, _)| channel.clone())
                .collect();
            out.official_versions.insert((h.ns.clone(), h.id.clone()), versions);
            out.heads.push(h);
        }
    }
    let mut with_writes: HashSet<Key> = HashSet::new();
    let mut parts = Vec::new();
    if p.compact {
        parts.push(format!("SELECT checkpoint_ns, checkpoint_id FROM {} WHERE thread_id = $1", t.flg_writes));
    }
    if p.official {
        parts.push(format!("SELECT checkpoint_ns, checkpoint_id FROM {} WHERE thread_id = $1", t.writes));
    }
    if !parts.is_empty() {
        for r in c.query(&parts.join(" UNION "), &[&thread_id]).await? {
            with_writes.insert((r.try_get(0)?, r.try_get(1)?));
        }
    }
    for h in &mut out.heads {
        h.has_writes = with_writes.contains(&(h.ns.clone(), h.id.clone()));
    }
    Ok(out)
}

/// The tables of the layouts present, for VACUUM and sizes.
fn layout_tables(t: &Tables, p: Present) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    if p.compact {
        out.extend([t.flg_checkpoints.as_str(), t.flg_blobs.as_str(), t.flg_writes.as_str()]);
    }
    if p.official {
        out.extend([t.checkpoints.as_str(), t.blobs.as_str(), t.writes.as_str()]);
    }
    out
}

/// pg_total_relation_size (heap, TOAST, indexes) of the layouts' tables together, in bytes.
pub async fn total_bytes(c: &impl GenericClient, t: &Tables, p: Present) -> Result<i64, Failure> {
    let names: Vec<&str> = layout_tables(t, p);
    let row = c
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(to_regclass(n))), 0)::int8 FROM unnest($1::text[]) AS n",
            &[&names],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Plain VACUUM of the layouts' tables: dead rows become space later writes reuse, and empty pages at
/// a table's end go back to the file system. It takes no lock that blocks reads or writes (never
/// VACUUM FULL, which locks the tables for its whole run). A role that does not own a table gets a
/// server warning and that table is skipped.
pub async fn vacuum(c: &impl GenericClient, t: &Tables, p: Present) -> Result<(), Failure> {
    let names = layout_tables(t, p);
    if !names.is_empty() {
        c.batch_execute(&format!("VACUUM {}", names.join(", "))).await?;
    }
    Ok(())
}
