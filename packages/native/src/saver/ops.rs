//! Each store operation as a closure over its decoded request, so the async task and its sync twin
//! run exactly the same code.

use std::borrow::Cow;

use napi::bindgen_prelude::*;

use super::engine::{sql_err, Engine, EngineResult};
use super::js_types::*;
use super::records::{
    BlobIn, Increment, ChannelHistory, CheckpointRecord, ListQuery, PutIn, PutOutcome, PutWritesIn, StoredWrite, WriteIn,
};
use super::prune::{self, PruneReport};
use super::prune_plan::{Policy, Strategy};
use super::official_layout::{self, OfficialPutIn};
use super::carry;
use super::write::WritesTable;
use super::{history, read, schema, values, write};
use crate::error::invalid_arg;

pub struct Op<T, J> {
    pub run: Box<dyn FnOnce(&Engine) -> EngineResult<T> + Send>,
    pub finish: fn(T) -> J,
}

fn op<T, J>(run: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static, finish: fn(T) -> J) -> Op<T, J> {
    Op { run: Box::new(run), finish }
}

/// Checks a put request's shape before it runs; returns each blob's increment kind.
pub fn put_increments(req: &PutRequest) -> Result<Vec<Increment>> {
    if req.carried_channels.len() != req.carried_versions.len() {
        return Err(invalid_arg("carriedChannels and carriedVersions differ in length"));
    }
    req.blobs
        .iter()
        .map(|b| Increment::parse(b.increment.as_deref()).map_err(|m| invalid_arg(format!("channel {:?}: {m}", b.channel))))
        .collect()
}

/// The engine's view of a put request (shared by the SQLite and PostgreSQL stores).
pub fn put_input<'a>(req: &'a PutRequest, increments: &[Increment]) -> EngineResult<PutIn<'a>> {
    Ok(PutIn {
        thread_id: &req.thread_id,
        checkpoint_ns: &req.checkpoint_ns,
        checkpoint_id: &req.checkpoint_id,
        parent_checkpoint_id: req.parent_checkpoint_id.as_deref(),
        kind: &req.kind,
        checkpoint: &req.checkpoint,
        metadata: &req.metadata,
        blobs: req
            .blobs
            .iter()
            .zip(increments)
            .map(|(b, &increment)| BlobIn {
                channel: &b.channel,
                version: &b.version,
                kind: &b.kind,
                data: &b.data,
                base_owner_id: b.base_owner_id.as_deref(),
                increment,
            })
            .collect(),
        keep_every_value: req.keep_every_value.unwrap_or(false),
        carried: match &req.changed_channels {
            Some(changed) if req.kind == "json" => carry::carried_channels(&req.checkpoint, changed, req.valued_channels.as_deref())?,
            _ => req
                .carried_channels
                .iter()
                .map(|c| Cow::Borrowed(c.as_str()))
                .zip(req.carried_versions.iter().map(|v| Cow::Borrowed(v.as_str())))
                .collect(),
        },
    })
}

pub fn put_result(outcome: PutOutcome) -> PutResult {
    match outcome {
        PutOutcome::Stored => PutResult { status: "stored".into(), channels: vec![] },
        PutOutcome::NeedValues(channels) => PutResult { status: "need_values".into(), channels },
        PutOutcome::DeltaBaseMissing(channel) => PutResult { status: "delta_base_missing".into(), channels: vec![channel] },
    }
}

pub fn put(req: PutRequest) -> Result<Op<PutOutcome, PutResult>> {
    let increments = put_increments(&req)?;
    Ok(op(
        move |engine| {
            let input = put_input(&req, &increments)?;
            engine.with_conn(|conn| write::put(conn, &engine.path, &input))
        },
        put_result,
    ))
}

pub fn put_official(req: OfficialPutRequest) -> Op<(), ()> {
    op(
        move |engine| {
            let input = OfficialPutIn {
                thread_id: &req.thread_id,
                checkpoint_ns: &req.checkpoint_ns,
                checkpoint_id: &req.checkpoint_id,
                parent_checkpoint_id: req.parent_checkpoint_id.as_deref(),
                kind: &req.kind,
                checkpoint: &req.checkpoint,
                metadata: &req.metadata,
            };
            engine.with_conn(|conn| official_layout::put(conn, &engine.path, &input))
        },
        |()| (),
    )
}

/// Pending writes into our table, or with `official` into the official saver's.
/// The engine's view of a putWrites request (shared by the SQLite and PostgreSQL stores).
pub fn put_writes_input(req: &PutWritesRequest) -> PutWritesIn<'_> {
    PutWritesIn {
        thread_id: &req.thread_id,
        checkpoint_ns: &req.checkpoint_ns,
        checkpoint_id: &req.checkpoint_id,
        task_id: &req.task_id,
        task_path: &req.task_path,
        writes: req.writes.iter().map(|w| WriteIn { channel: &w.channel, idx: w.idx, kind: &w.kind, value: &w.value }).collect(),
    }
}

/// Pending writes into our table, or with `official` into the official saver's.
pub fn put_writes(req: PutWritesRequest, official: bool) -> Op<(), ()> {
    op(
        move |engine| {
            let input = put_writes_input(&req);
            let table = if official { WritesTable::Official } else { WritesTable::Native };
            engine.with_conn(|conn| write::put_writes(conn, &engine.path, &input, table))
        },
        |()| (),
    )
}

pub fn get_tuple(
    thread_id: String,
    checkpoint_ns: String,
    checkpoint_id: Option<String>,
) -> Op<Option<CheckpointRecord>, Option<TupleRow>> {
    op(
        move |engine| {
            engine.with_conn(|conn| read::get_tuple(conn, &engine.path, &thread_id, &checkpoint_ns, checkpoint_id.as_deref()))
        },
        |r| r.map(tuple_row),
    )
}

/// The engine's view of a list request (shared by the SQLite and PostgreSQL stores).
pub fn list_query(req: ListRequest) -> Result<ListQuery> {
    let filter = match req.filter.as_deref() {
        None => Vec::new(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
            _ => return Err(invalid_arg(format!("list filter must be a JSON object, got {text:?}"))),
        },
    };
    Ok(ListQuery {
        thread_id: req.thread_id,
        checkpoint_ns: req.checkpoint_ns,
        before: req.before,
        limit: req.limit.map(|l| l as usize),
        filter,
    })
}

pub fn list(req: ListRequest) -> Result<Op<Vec<CheckpointRecord>, Vec<TupleRow>>> {
    let query = list_query(req)?;
    Ok(op(
        move |engine| engine.with_conn(|conn| read::list(conn, &engine.path, &query)),
        |rows| rows.into_iter().map(tuple_row).collect(),
    ))
}

pub fn delete_thread(thread_id: String) -> Op<(), ()> {
    op(move |engine| engine.with_conn(|conn| write::delete_thread(conn, &engine.path, &thread_id)), |()| ())
}

pub fn delta_channel_history(
    thread_id: String,
    checkpoint_ns: String,
    checkpoint_id: String,
    channels: Vec<String>,
) -> Op<Vec<ChannelHistory>, Vec<ChannelHistoryRow>> {
    op(
        move |engine| {
            engine.with_conn(|conn| {
                history::delta_channel_history(conn, &engine.path, &thread_id, &checkpoint_ns, &checkpoint_id, &channels)
            })
        },
        |rows| rows.into_iter().map(history_row).collect(),
    )
}

pub fn pending_writes(thread_id: String, checkpoint_ns: String, checkpoint_id: String) -> Op<Vec<StoredWrite>, Vec<WriteRow>> {
    op(
        move |engine| {
            engine.with_conn(|conn| {
                let official = schema::official_tables(conn).map_err(sql_err(&engine.path))?;
                values::load_writes(conn, &engine.path, official, &thread_id, &checkpoint_ns, &checkpoint_id)
            })
        },
        |rows| rows.into_iter().map(write_row).collect(),
    )
}

fn policy(options: &PruneOptions) -> Result<Policy> {
    let strategy = match options.strategy.as_deref().unwrap_or("keep_last") {
        "keep_last" => Strategy::KeepLast,
        "keep_latest" => Strategy::KeepLatest,
        "delete" => Strategy::Delete,
        other => return Err(invalid_arg(format!("prune strategy must be keep_last, keep_latest or delete, got {other:?}"))),
    };
    if strategy == Strategy::KeepLast && options.keep_last.is_none() && options.older_than.is_none() {
        return Err(invalid_arg("prune with strategy keep_last needs keepLast or olderThan"));
    }
    if options.keep_last == Some(0) {
        return Err(invalid_arg("prune keepLast must be at least 1: the newest checkpoint is always kept"));
    }
    Ok(Policy { strategy, keep_last: options.keep_last.unwrap_or(1) as usize, older_than: options.older_than.clone() })
}

pub fn prune(options: PruneOptions) -> Result<Op<PruneReport, PruneResult>> {
    let policy = policy(&options)?;
    Ok(op(
        move |engine| {
            let threads = match &options.thread_ids {
                Some(ids) => ids.clone(),
                None => engine.with_conn(|conn| prune::thread_ids(conn, &engine.path))?,
            };
            let mut report = PruneReport::default();
            // One transaction (and one hold of the connection) per thread: the saver's own writes
            // interleave with a long prune instead of waiting for all of it.
            for thread_id in &threads {
                report.add(engine.with_conn(|conn| prune::prune_thread(conn, &engine.path, thread_id, &policy))?);
            }
            engine.with_conn(|conn| prune::release_free_pages(conn, &engine.path))?;
            Ok(report)
        },
        |r| PruneResult { threads: r.threads, checkpoints: r.checkpoints, writes: r.writes, values: r.values, bytes: r.bytes },
    ))
}

fn file_bytes(path: &str) -> i64 {
    ["", "-wal"].iter().map(|s| std::fs::metadata(format!("{path}{s}")).map_or(0, |m| m.len() as i64)).sum()
}

pub fn vacuum() -> Op<(i64, i64), VacuumResult> {
    op(
        |engine| {
            let before = file_bytes(&engine.path);
            engine.with_conn(|conn| prune::vacuum(conn, &engine.path))?;
            Ok((before, file_bytes(&engine.path)))
        },
        |(bytes_before, bytes_after)| VacuumResult { bytes_before, bytes_after },
    )
}
