//! The napi class over the SQLite checkpoint engine. Every operation has an async form, run as an
//! `AsyncTask` on the libuv pool so the JavaScript thread never waits on SQLite, and a `*Sync` twin
//! running the same code on the calling thread, for in-memory databases where there is no I/O to wait for.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::engine::{Engine, Synchronous};
use super::ops::{self, Op, Run};
use super::prune::PruneReport;
use crate::checkpoint::js_types::*;
use crate::checkpoint::records::{ChannelHistory, CheckpointRecord, PutOutcome, StoredWrite};
use crate::error::{engine_error, invalid_arg};

fn failed(err: String) -> Error {
    engine_error("RustSqliteSaver", err)
}

pub struct DbTask<T: Send + 'static, J> {
    engine: Arc<Engine>,
    run: Option<Run<T>>,
    finish: fn(T) -> J,
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for DbTask<T, J> {
    type Output = T;
    type JsValue = J;

    fn compute(&mut self) -> Result<T> {
        let run = self.run.take().ok_or_else(|| failed("task ran twice".into()))?;
        run(&self.engine).map_err(failed)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<J> {
        Ok((self.finish)(output))
    }
}

type Async<T, J> = AsyncTask<DbTask<T, J>>;

#[napi]
pub struct SqliteCheckpointStore {
    engine: Arc<Engine>,
}

impl SqliteCheckpointStore {
    fn spawn<T: Send + 'static, J: ToNapiValue + TypeName>(&self, op: Op<T, J>) -> Async<T, J> {
        AsyncTask::new(DbTask { engine: self.engine.clone(), run: Some(op.run), finish: op.finish })
    }

    fn run_now<T, J>(&self, op: Op<T, J>) -> Result<J> {
        (op.run)(&self.engine).map(op.finish).map_err(failed)
    }
}

#[napi]
impl SqliteCheckpointStore {
    /// Opens (creating if needed) and migrates the database at `path` (":memory:" for a private one).
    #[napi(constructor)]
    pub fn new(path: String, options: Option<StoreOptions>) -> Result<Self> {
        let options = options.unwrap_or(StoreOptions { synchronous: None, busy_timeout_ms: None, official_layout: None });
        let synchronous = Synchronous::parse(options.synchronous.as_deref()).map_err(invalid_arg)?;
        let official = options.official_layout.unwrap_or(false);
        let engine = Engine::open(&path, synchronous, options.busy_timeout_ms.unwrap_or(5000), official).map_err(failed)?;
        Ok(Self { engine: Arc::new(engine) })
    }

    #[napi(getter)]
    pub fn path(&self) -> String {
        self.engine.path.clone()
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.engine.is_closed()
    }

    /// Creates the official saver's tables if missing (for importing rows in its layout).
    #[napi]
    pub fn ensure_official_tables(&self) -> Result<()> {
        self.engine.with_conn(|conn| super::official_layout::ensure_tables(conn, &self.engine.path)).map_err(failed)
    }

    #[napi]
    pub fn close(&self) -> Result<()> {
        self.engine.close().map_err(failed)
    }

    #[napi(ts_return_type = "Promise<PutResult>")]
    pub fn put(&self, req: PutRequest) -> Result<Async<PutOutcome, PutResult>> {
        Ok(self.spawn(ops::put(req)?))
    }

    #[napi]
    pub fn put_sync(&self, req: PutRequest) -> Result<PutResult> {
        self.run_now(ops::put(req)?)
    }

    /// Stores a checkpoint in the official saver's layout (values inline); needs `officialLayout`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_official(&self, req: OfficialPutRequest) -> Async<(), ()> {
        self.spawn(ops::put_official(req))
    }

    #[napi]
    pub fn put_official_sync(&self, req: OfficialPutRequest) -> Result<()> {
        self.run_now(ops::put_official(req))
    }

    /// Stores pending writes; with `official` in the official saver's table (needs `officialLayout`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_writes(&self, req: PutWritesRequest, official: Option<bool>) -> Async<(), ()> {
        self.spawn(ops::put_writes(req, official.unwrap_or(false)))
    }

    #[napi]
    pub fn put_writes_sync(&self, req: PutWritesRequest, official: Option<bool>) -> Result<()> {
        self.run_now(ops::put_writes(req, official.unwrap_or(false)))
    }

    #[napi(ts_return_type = "Promise<TupleRow | null>")]
    pub fn get_tuple(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> Async<Option<CheckpointRecord>, Option<TupleRow>> {
        self.spawn(ops::get_tuple(thread_id, checkpoint_ns, checkpoint_id))
    }

    #[napi]
    pub fn get_tuple_sync(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> Result<Option<TupleRow>> {
        self.run_now(ops::get_tuple(thread_id, checkpoint_ns, checkpoint_id))
    }

    #[napi(ts_return_type = "Promise<TupleRow[]>")]
    pub fn list(&self, req: ListRequest) -> Result<Async<Vec<CheckpointRecord>, Vec<TupleRow>>> {
        Ok(self.spawn(ops::list(req)?))
    }

    #[napi]
    pub fn list_sync(&self, req: ListRequest) -> Result<Vec<TupleRow>> {
        self.run_now(ops::list(req)?)
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_thread(&self, thread_id: String) -> Async<(), ()> {
        self.spawn(ops::delete_thread(thread_id))
    }

    #[napi]
    pub fn delete_thread_sync(&self, thread_id: String) -> Result<()> {
        self.run_now(ops::delete_thread(thread_id))
    }

    #[napi(ts_return_type = "Promise<ChannelHistoryRow[]>")]
    pub fn delta_channel_history(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channels: Vec<String>,
    ) -> Async<Vec<ChannelHistory>, Vec<ChannelHistoryRow>> {
        self.spawn(ops::delta_channel_history(thread_id, checkpoint_ns, checkpoint_id, channels))
    }

    #[napi]
    pub fn delta_channel_history_sync(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channels: Vec<String>,
    ) -> Result<Vec<ChannelHistoryRow>> {
        self.run_now(ops::delta_channel_history(thread_id, checkpoint_ns, checkpoint_id, channels))
    }

    /// Pending writes stored for one checkpoint (both layouts), in `writesSortKey` order.
    #[napi(ts_return_type = "Promise<WriteRow[]>")]
    pub fn pending_writes(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
    ) -> Async<Vec<StoredWrite>, Vec<WriteRow>> {
        self.spawn(ops::pending_writes(thread_id, checkpoint_ns, checkpoint_id))
    }

    #[napi]
    pub fn pending_writes_sync(&self, thread_id: String, checkpoint_ns: String, checkpoint_id: String) -> Result<Vec<WriteRow>> {
        self.run_now(ops::pending_writes(thread_id, checkpoint_ns, checkpoint_id))
    }

    /// Removes what a retention policy lets go, thread by thread (see `prune_plan` for what is never removed).
    #[napi(ts_return_type = "Promise<PruneResult>")]
    pub fn prune(&self, options: PruneOptions) -> Result<Async<PruneReport, PruneResult>> {
        Ok(self.spawn(ops::prune(options)?))
    }

    #[napi]
    pub fn prune_sync(&self, options: PruneOptions) -> Result<PruneResult> {
        self.run_now(ops::prune(options)?)
    }

    /// Rewrites the file without free pages; reports its size (file + WAL) before and after.
    #[napi(ts_return_type = "Promise<VacuumResult>")]
    pub fn vacuum(&self) -> Async<(i64, i64), VacuumResult> {
        self.spawn(ops::vacuum())
    }
}
