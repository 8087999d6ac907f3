//! Each store operation as a closure over its decoded request, so the async task and its sync twin
//! run exactly the same code.

use napi::bindgen_prelude::*;

use super::engine::Engine;
use super::error::{sql_err, EngineResult};
use super::official_layout::{self, OfficialPutIn};
use super::prune::{self, PruneReport};
use super::write::WritesTable;
use super::{history, read, schema, values, write};
use crate::checkpoint::js_types::*;
use crate::checkpoint::prune_options;
use crate::checkpoint::records::{ChannelHistory, CheckpointRecord, PutOutcome, StoredWrite};
use crate::checkpoint::requests::{list_query, put_increments, put_input, put_result, put_writes_input};

/// A store operation to run on the engine's connection.
pub type Run<T> = Box<dyn FnOnce(&Engine) -> EngineResult<T> + Send>;

pub struct Op<T, J> {
    pub run: Run<T>,
    pub finish: fn(T) -> J,
}

fn op<T, J>(run: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static, finish: fn(T) -> J) -> Op<T, J> {
    Op { run: Box::new(run), finish }
}

pub fn put(req: PutRequest) -> Result<Op<(PutOutcome, Option<i64>), PutResult>> {
    let increments = put_increments(&req)?;
    Ok(op(
        move |engine| {
            let input = put_input(&req, &increments)?;
            let mut data_version = None;
            let outcome = engine.writing(|conn, cache| write::put(conn, &engine.path, &input, Some(cache), &mut data_version))?;
            Ok((outcome, data_version))
        },
        |(outcome, data_version)| put_result(outcome, data_version, None),
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
pub fn put_writes(req: PutWritesRequest, official: bool) -> Op<(), ()> {
    op(
        move |engine| {
            let input = put_writes_input(&req)?;
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
) -> Op<(Option<CheckpointRecord>, i64), Option<TupleRow>> {
    op(
        move |engine| {
            engine.with_assembled(|conn, cache| {
                read::get_tuple(conn, &engine.path, &thread_id, &checkpoint_ns, checkpoint_id.as_deref(), Some(cache))
            })
        },
        |(r, data_version)| r.map(|r| TupleRow { data_version: Some(data_version), ..tuple_row(r) }),
    )
}

pub fn list(req: ListRequest) -> Result<Op<Vec<CheckpointRecord>, Vec<TupleRow>>> {
    let query = list_query(req)?;
    Ok(op(
        move |engine| engine.with_conn(|conn| read::list(conn, &engine.path, &query)),
        |rows| rows.into_iter().map(tuple_row).collect(),
    ))
}

pub fn delete_thread(thread_id: String) -> Op<(), ()> {
    op(
        move |engine| {
            engine.writing(|conn, cache| {
                cache.forget_thread(&thread_id);
                write::delete_thread(conn, &engine.path, &thread_id)
            })
        },
        |()| (),
    )
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

pub fn prune(options: PruneOptions) -> Result<Op<PruneReport, PruneResult>> {
    let policy = prune_options::policy(&options)?;
    Ok(op(
        move |engine| {
            let threads = match &options.thread_ids {
                Some(ids) => ids.clone(),
                None => engine.with_conn(|conn| prune::thread_ids(conn, &engine.path))?,
            };
            let mut report = PruneReport::default();
            // One transaction per thread, so a concurrent writer in another process interleaves with a
            // long prune. This saver's own calls queued meanwhile wait for the whole prune (FIFO).
            for thread_id in &threads {
                report.add(engine.writing(|conn, cache| {
                    cache.forget_thread(thread_id);
                    prune::prune_thread(conn, &engine.path, thread_id, &policy)
                })?);
            }
            engine.with_conn(|conn| prune::release_free_pages(conn, &engine.path))?;
            Ok(report)
        },
        PruneResult::from,
    ))
}

/// The database's size: for ":memory:" the bytes its pages hold, else the file and its WAL on disk.
fn stored_bytes(engine: &Engine) -> i64 {
    if let Some(bytes) = engine.memory_bytes() {
        return bytes as i64;
    }
    ["", "-wal"].iter().map(|s| std::fs::metadata(format!("{}{s}", engine.path)).map_or(0, |m| m.len() as i64)).sum()
}

pub fn vacuum() -> Op<(i64, i64), VacuumResult> {
    op(
        |engine| {
            let before = stored_bytes(engine);
            engine.writing(|conn, cache| {
                cache.clear();
                prune::vacuum(conn, &engine.path)
            })?;
            Ok((before, stored_bytes(engine)))
        },
        |(bytes_before, bytes_after)| VacuumResult { bytes_before, bytes_after },
    )
}
