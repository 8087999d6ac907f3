//! The napi class over the SQLite checkpoint engine. Every operation has an async form, queued to the
//! store's writer thread (one per store, FIFO: calls complete in call order and no libuv pool thread
//! waits for SQLite), and a `*Sync` twin
//! running the same code on the calling thread, for in-memory databases where there is no I/O to wait for.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::assembled::DEFAULT_ASSEMBLED_VALUE_BYTES;
use super::engine::{Engine, Synchronous};
use super::ops::{self, Op};
use crate::checkpoint::js_types::*;
use crate::error::{engine_error, invalid_arg};

fn failed(err: String) -> Error {
    engine_error("RustSqliteSaver", err)
}

/// How a promise is settled on the JavaScript thread: the engine's result converted there.
type Settle<J> = Box<dyn FnOnce(Env) -> Result<J> + Send>;

#[napi]
pub struct SqliteCheckpointStore {
    engine: Arc<Engine>,
}

impl SqliteCheckpointStore {
    /// Queues `op` on the store's writer thread (FIFO) and returns its promise at once; the thread
    /// settles it when the op is done, so no libuv pool thread waits for SQLite.
    fn spawn<'env, T: Send + 'static, J: ToNapiValue + 'static>(&self, env: &'env Env, op: Op<T, J>) -> Result<Object<'env>> {
        if self.engine.is_closed() {
            return Err(failed(self.engine.closed_error()));
        }
        let (deferred, promise) = env.create_deferred::<J, Settle<J>>()?;
        let engine = self.engine.clone();
        let Op { run, finish } = op;
        self.engine.submit(Box::new(move |admitted| match admitted.and_then(|()| run(&engine)) {
            Ok(output) => deferred.resolve(Box::new(move |_env| Ok(finish(output)))),
            Err(err) => deferred.reject(failed(err)),
        }));
        Ok(promise)
    }

    fn run_now<T, J>(&self, op: Op<T, J>) -> Result<J> {
        if self.engine.is_closed() {
            return Err(failed(self.engine.closed_error()));
        }
        (op.run)(&self.engine).map(op.finish).map_err(failed)
    }
}

#[napi]
impl SqliteCheckpointStore {
    /// Opens (creating if needed) and migrates the database at `path` (":memory:" for a private one).
    #[napi(constructor)]
    pub fn new(path: String, options: Option<StoreOptions>) -> Result<Self> {
        let options = options.unwrap_or(StoreOptions {
            synchronous: None,
            busy_timeout_ms: None,
            official_layout: None,
            assembled_value_bytes: None,
        });
        let synchronous = Synchronous::parse(options.synchronous.as_deref()).map_err(invalid_arg)?;
        let official = options.official_layout.unwrap_or(false);
        let assembled = match options.assembled_value_bytes {
            None => DEFAULT_ASSEMBLED_VALUE_BYTES,
            Some(b) if b.is_finite() && b >= 0.0 => b as u64,
            Some(b) => return Err(invalid_arg(format!("assembledValueBytes must be a finite number of bytes >= 0, got {b}"))),
        };
        let engine =
            Engine::open(&path, synchronous, options.busy_timeout_ms.unwrap_or(5000), official, assembled).map_err(failed)?;
        Ok(Self { engine: Arc::new(engine) })
    }

    /// What getTuple keeps assembled per channel (the last value read of each grown list, so the next
    /// read joins only what was stored since). Counters only: never waits.
    #[napi(getter)]
    pub fn assembled_values(&self) -> AssembledValueStats {
        use std::sync::atomic::Ordering::Relaxed;
        let s = self.engine.assembled_stats();
        AssembledValueStats {
            entries: s.entries.load(Relaxed) as f64,
            bytes: s.bytes.load(Relaxed) as f64,
            max_bytes: s.max_bytes.load(Relaxed) as f64,
            hits: s.hits.load(Relaxed) as f64,
            misses: s.misses.load(Relaxed) as f64,
            evictions: s.evictions.load(Relaxed) as f64,
        }
    }

    #[napi(getter)]
    pub fn path(&self) -> String {
        self.engine.path.clone()
    }

    /// Calls queued to or running on the writer thread (each one a promise JavaScript awaits).
    #[napi(getter)]
    pub fn queued_calls(&self) -> u32 {
        self.engine.queued() as u32
    }

    /// Bytes a ":memory:" database holds (its pages, in 64 KiB chunks; SQLite's page cache above them
    /// is bounded at 2 MiB); `null` for a file. Falls when pruning frees pages; never waits.
    #[napi(getter)]
    pub fn memory_bytes(&self) -> Option<i64> {
        self.engine.memory_bytes().map(|b| b as i64)
    }

    /// Whether `close()` was called: a plain flag, never waits for work in flight.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.engine.is_closed()
    }

    /// Creates the official saver's tables if missing (for importing rows in its layout).
    #[napi]
    pub fn ensure_official_tables(&self) -> Result<()> {
        if self.engine.is_closed() {
            return Err(failed(self.engine.closed_error()));
        }
        self.engine.with_conn(|conn| super::official_layout::ensure_tables(conn, &self.engine.path)).map_err(failed)
    }

    /// Marks the store closed at once and returns without waiting: calls made afterwards fail with
    /// an error naming the file; calls made before still complete, and the connection closes after
    /// the last of them (at once when none is pending).
    #[napi]
    pub fn close(&self) -> Result<()> {
        self.engine.close().map_err(failed)
    }

    #[napi(ts_return_type = "Promise<PutResult>")]
    pub fn put<'env>(&self, env: &'env Env, req: PutRequest) -> Result<Object<'env>> {
        self.spawn(env, ops::put(req)?)
    }

    #[napi]
    pub fn put_sync(&self, req: PutRequest) -> Result<PutResult> {
        self.run_now(ops::put(req)?)
    }

    /// Stores a checkpoint in the official saver's layout (values inline); needs `officialLayout`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_official<'env>(&self, env: &'env Env, req: OfficialPutRequest) -> Result<Object<'env>> {
        self.spawn(env, ops::put_official(req))
    }

    #[napi]
    pub fn put_official_sync(&self, req: OfficialPutRequest) -> Result<()> {
        self.run_now(ops::put_official(req))
    }

    /// Stores pending writes; with `official` in the official saver's table (needs `officialLayout`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_writes<'env>(&self, env: &'env Env, req: PutWritesRequest, official: Option<bool>) -> Result<Object<'env>> {
        self.spawn(env, ops::put_writes(req, official.unwrap_or(false)))
    }

    #[napi]
    pub fn put_writes_sync(&self, req: PutWritesRequest, official: Option<bool>) -> Result<()> {
        self.run_now(ops::put_writes(req, official.unwrap_or(false)))
    }

    #[napi(ts_return_type = "Promise<TupleRow | null>")]
    pub fn get_tuple<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> Result<Object<'env>> {
        self.spawn(env, ops::get_tuple(thread_id, checkpoint_ns, checkpoint_id))
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
    pub fn list<'env>(&self, env: &'env Env, req: ListRequest) -> Result<Object<'env>> {
        self.spawn(env, ops::list(req)?)
    }

    #[napi]
    pub fn list_sync(&self, req: ListRequest) -> Result<Vec<TupleRow>> {
        self.run_now(ops::list(req)?)
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_thread<'env>(&self, env: &'env Env, thread_id: String) -> Result<Object<'env>> {
        self.spawn(env, ops::delete_thread(thread_id))
    }

    #[napi]
    pub fn delete_thread_sync(&self, thread_id: String) -> Result<()> {
        self.run_now(ops::delete_thread(thread_id))
    }

    #[napi(ts_return_type = "Promise<ChannelHistoryRow[]>")]
    pub fn delta_channel_history<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channels: Vec<String>,
    ) -> Result<Object<'env>> {
        self.spawn(env, ops::delta_channel_history(thread_id, checkpoint_ns, checkpoint_id, channels))
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
    pub fn pending_writes<'env>(
        &self,
        env: &'env Env,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
    ) -> Result<Object<'env>> {
        self.spawn(env, ops::pending_writes(thread_id, checkpoint_ns, checkpoint_id))
    }

    #[napi]
    pub fn pending_writes_sync(&self, thread_id: String, checkpoint_ns: String, checkpoint_id: String) -> Result<Vec<WriteRow>> {
        self.run_now(ops::pending_writes(thread_id, checkpoint_ns, checkpoint_id))
    }

    /// Removes what a retention policy lets go, thread by thread (see `prune_plan` for what is never removed).
    #[napi(ts_return_type = "Promise<PruneResult>")]
    pub fn prune<'env>(&self, env: &'env Env, options: PruneOptions) -> Result<Object<'env>> {
        self.spawn(env, ops::prune(options)?)
    }

    #[napi]
    pub fn prune_sync(&self, options: PruneOptions) -> Result<PruneResult> {
        self.run_now(ops::prune(options)?)
    }

    /// Rewrites the database without free pages; reports its size in bytes before and after: file + WAL for a
    /// file, `memoryBytes` for ":memory:". Queued on the writer thread like every async call.
    #[napi(ts_return_type = "Promise<VacuumResult>")]
    pub fn vacuum<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.spawn(env, ops::vacuum())
    }
}
