//! getTuple and list over both layouts in one database: our compact tables and the official
//! PostgresSaver's. A page of checkpoint rows is read in one query; each row's values and writes are then
//! loaded by queries sent together (tokio-postgres pipelines them on one connection).

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;

use super::connect::Failure;
use super::tables::Tables;
use crate::checkpoint::chain::{self, assemble, Link};
use crate::checkpoint::records::{CheckpointRecord, Increment, Layout, ListQuery, StoredValue, StoredWrite};
use crate::checkpoint::refs::{self, ChannelRefs};

/// A checkpoint row before its values and writes are loaded; `refs` is None for an official row.
pub struct Head {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    pub checkpoint: Vec<u8>,
    pub metadata: Vec<u8>,
    pub refs: Option<String>,
}

type Param = Box<dyn ToSql + Sync + Send>;

fn where_clause(query: &ListQuery, exact: Option<&str>, args: &mut Vec<Param>) -> String {
    let mut conds = Vec::new();
    let mut push = |cond: &str, value: Param, args: &mut Vec<Param>| {
        args.push(value);
        conds.push(cond.replace('#', &format!("${}", args.len())));
    };
    if let Some(t) = &query.thread_id {
        push("thread_id = #", Box::new(t.clone()), args);
    }
    if let Some(ns) = &query.checkpoint_ns {
        push("checkpoint_ns = #", Box::new(ns.clone()), args);
    }
    if let Some(id) = exact {
        push("checkpoint_id = #", Box::new(id.to_string()), args);
    }
    if let Some(b) = &query.before {
        push("checkpoint_id < #", Box::new(b.clone()), args);
    }
    if !query.filter.is_empty() {
        let object: serde_json::Map<String, serde_json::Value> = query.filter.iter().cloned().collect();
        push("metadata @> CAST(#::text AS jsonb)", Box::new(serde_json::Value::Object(object).to_string()), args);
    }
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

/// Checkpoint rows of both layouts, newest first, at most `limit`.
pub async fn heads(c: &impl GenericClient, t: &Tables, query: &ListQuery, exact: Option<&str>) -> Result<Vec<Head>, Failure> {
    let mut args: Vec<Param> = Vec::new();
    let cond = where_clause(query, exact, &mut args);
    let limit = match query.limit {
        Some(n) => {
            args.push(Box::new(n as i64));
            format!("LIMIT ${}", args.len())
        }
        None => String::new(),
    };
    let sql = format!(
        "SELECT * FROM (
            (SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
                    metadata::text AS metadata, channel_refs
             FROM {flg} {cond} ORDER BY checkpoint_id DESC {limit})
            UNION ALL
            (SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, 'json',
                    convert_to(checkpoint::text, 'UTF8'), metadata::text, NULL
             FROM {official} {cond} ORDER BY checkpoint_id DESC {limit})
         ) h ORDER BY checkpoint_id DESC, channel_refs IS NULL {limit}",
        flg = t.flg_checkpoints,
        official = t.checkpoints,
    );
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref() as &(dyn ToSql + Sync)).collect();
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &params).await?;
    let mut out: Vec<Head> = Vec::with_capacity(rows.len());
    for r in rows {
        let head = Head {
            thread_id: r.try_get(0)?,
            checkpoint_ns: r.try_get(1)?,
            checkpoint_id: r.try_get(2)?,
            parent_checkpoint_id: r.try_get(3)?,
            kind: r.try_get::<_, Option<String>>(4)?.unwrap_or_else(|| "json".into()),
            checkpoint: r.try_get(5)?,
            metadata: r.try_get::<_, String>(6)?.into_bytes(),
            refs: r.try_get(7)?,
        };
        // The same checkpoint in both layouts (a thread moved between savers): ours wins.
        let dup = out.last().is_some_and(|p| {
            p.checkpoint_id == head.checkpoint_id && p.thread_id == head.thread_id && p.checkpoint_ns == head.checkpoint_ns
        });
        if !dup {
            out.push(head);
        }
    }
    Ok(out)
}

/// Values stored in our layout, each rebuilt from its increment chain. Only rows no newer than the
/// wanted owner are fetched (checkpoint ids are time-ordered); a chain that still comes out broken
/// (clock skew between writers) is fetched again whole.
pub async fn compact_values(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    wanted: &[(String, String)],
) -> Result<Vec<StoredValue>, Failure> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    match compact_values_bounded(c, t, thread_id, ns, wanted, true).await? {
        Some(values) => Ok(values),
        None => Ok(compact_values_bounded(c, t, thread_id, ns, wanted, false).await?.unwrap_or_default()),
    }
}

async fn compact_values_bounded(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    wanted: &[(String, String)],
    bounded: bool,
) -> Result<Option<Vec<StoredValue>>, Failure> {
    let bound = if bounded { "AND b.owner_id COLLATE \"C\" <= r.upto" } else { "" };
    // Each lookup is a LATERAL subquery fenced by OFFSET 0, so it runs per wanted row on an index
    // whatever the statistics say: a thread written moments ago has none yet, and a planner that
    // believes it holds one row picks a nested loop that rescans the whole thread per row.
    let sql = format!(
        "WITH wanted(channel, owner_id) AS (SELECT * FROM unnest($3::text[], $4::text[])),
         roots AS MATERIALIZED (
            SELECT w.channel, o.root_owner_id, MAX(w.owner_id COLLATE \"C\") AS upto
            FROM wanted w CROSS JOIN LATERAL (
                SELECT b.root_owner_id FROM {bl} b
                WHERE b.thread_id = $1 AND b.checkpoint_ns = $2 AND b.channel = w.channel AND b.owner_id = w.owner_id
                OFFSET 0) o
            GROUP BY w.channel, o.root_owner_id
         )
         SELECT f.* FROM roots r CROSS JOIN LATERAL (
            SELECT b.channel, b.owner_id, b.type, b.base_owner_id, b.increment, b.data, b.xmin::text FROM {bl} b
            WHERE b.thread_id = $1 AND b.checkpoint_ns = $2 AND b.channel = r.channel
              AND b.root_owner_id = r.root_owner_id {bound}
            OFFSET 0) f",
        bl = t.flg_blobs
    );
    let channels: Vec<&str> = wanted.iter().map(|(c, _)| c.as_str()).collect();
    let owners: Vec<&str> = wanted.iter().map(|(_, o)| o.as_str()).collect();
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &channels, &owners]).await?;
    let mut families: HashMap<String, HashMap<String, Link>> = HashMap::new();
    let mut kinds: HashMap<(String, String), (String, String)> = HashMap::new();
    for r in rows {
        let channel: String = r.try_get(0)?;
        let owner: String = r.try_get(1)?;
        kinds.insert((channel.clone(), owner.clone()), (r.try_get(2)?, r.try_get(6)?));
        let increment = Increment::parse(Some(r.try_get::<_, &str>(4)?))?;
        families.entry(channel).or_default().insert(owner, Link { base_owner_id: r.try_get(3)?, data: r.try_get(5)?, increment });
    }
    let mut out = Vec::with_capacity(wanted.len());
    for (channel, owner) in wanted {
        let Some((kind, token)) = kinds.remove(&(channel.clone(), owner.clone())) else { continue };
        let family = families.get(channel).expect("a wanted row belongs to a family");
        // A base newer than the row reading it (ids out of time order, a value handed to a later
        // checkpoint when its own was stored again) is beyond the bound: read the whole family.
        if bounded && !chain::reaches_root(family, owner) {
            return Ok(None);
        }
        let data = assemble(family, owner, channel, thread_id)?;
        out.push(StoredValue { channel: channel.clone(), owner_id: owner.clone(), kind, data, row_token: Some(token) });
    }
    Ok(Some(out))
}

/// Values of an official-layout checkpoint: its channel_versions joined with checkpoint_blobs.
async fn official_values(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    id: &str,
) -> Result<Vec<StoredValue>, Failure> {
    let sql = format!(
        "SELECT bl.channel, bl.type, bl.blob FROM {cp} cp
         CROSS JOIN LATERAL jsonb_each_text(cp.checkpoint -> 'channel_versions') v
         JOIN {bl} bl ON bl.thread_id = cp.thread_id AND bl.checkpoint_ns = cp.checkpoint_ns
                     AND bl.channel = v.key AND bl.version = v.value
         WHERE cp.thread_id = $1 AND cp.checkpoint_ns = $2 AND cp.checkpoint_id = $3 AND bl.type <> 'empty'",
        cp = t.checkpoints,
        bl = t.blobs
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &id]).await?;
    rows.into_iter()
        .map(|r| {
            Ok(StoredValue {
                channel: r.try_get(0)?,
                // Not a base for increments: our layout's increments build only on values it stored.
                owner_id: String::new(),
                kind: r.try_get(1)?,
                data: r.try_get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default(),
                row_token: None,
            })
        })
        .collect()
}

/// Pending writes of one checkpoint from both layouts, in `writesSortKey` order.
pub async fn writes(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    id: &str,
) -> Result<Vec<StoredWrite>, Failure> {
    let sql = format!(
        "SELECT task_id, channel, type, value, task_path, idx FROM {flg}
         WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3
         UNION ALL
         SELECT task_id, channel, type, blob, '', idx FROM {official}
         WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3",
        flg = t.flg_writes,
        official = t.writes
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &[&thread_id, &ns, &id]).await?;
    let mut out: Vec<StoredWrite> = rows
        .into_iter()
        .map(|r| {
            Ok(StoredWrite {
                task_id: r.try_get(0)?,
                channel: r.try_get(1)?,
                kind: r.try_get::<_, Option<String>>(2)?.unwrap_or_else(|| "json".into()),
                value: r.try_get(3)?,
                task_path: r.try_get(4)?,
                idx: r.try_get::<_, i32>(5)? as i64,
            })
        })
        .collect::<Result<_, Failure>>()?;
    StoredWrite::sort(&mut out);
    Ok(out)
}

pub fn ref_list(refs: &ChannelRefs) -> Vec<(String, String)> {
    refs.iter().map(|(channel, (owner, _))| (channel.clone(), owner.clone())).collect()
}

async fn complete(c: &impl GenericClient, t: &Tables, head: Head) -> Result<CheckpointRecord, Failure> {
    let values = async {
        match &head.refs {
            Some(text) => compact_values(c, t, &head.thread_id, &head.checkpoint_ns, &ref_list(&refs::parse(text)?)).await,
            None => official_values(c, t, &head.thread_id, &head.checkpoint_ns, &head.checkpoint_id).await,
        }
    };
    let pending = writes(c, t, &head.thread_id, &head.checkpoint_ns, &head.checkpoint_id);
    let (values, writes) = futures_util::try_join!(values, pending)?;
    Ok(CheckpointRecord {
        thread_id: head.thread_id,
        checkpoint_ns: head.checkpoint_ns,
        checkpoint_id: head.checkpoint_id,
        parent_checkpoint_id: head.parent_checkpoint_id,
        kind: head.kind,
        checkpoint: head.checkpoint,
        metadata: head.metadata,
        layout: Layout::Native,
        values,
        writes,
    })
}

pub async fn list(
    c: &impl GenericClient,
    t: &Tables,
    query: &ListQuery,
    exact: Option<&str>,
) -> Result<Vec<CheckpointRecord>, Failure> {
    let heads = heads(c, t, query, exact).await?;
    try_join_all(heads.into_iter().map(|h| complete(c, t, h))).await
}

pub async fn get_tuple(
    c: &impl GenericClient,
    t: &Tables,
    thread_id: &str,
    ns: &str,
    checkpoint_id: Option<&str>,
) -> Result<Option<CheckpointRecord>, Failure> {
    let query = ListQuery {
        thread_id: Some(thread_id.to_string()),
        checkpoint_ns: Some(ns.to_string()),
        before: None,
        limit: Some(1),
        filter: Vec::new(),
    };
    Ok(list(c, t, &query, checkpoint_id).await?.pop())
}
