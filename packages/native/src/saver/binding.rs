//! The napi surface of the SQLite checkpoint engine. Every call that touches the database runs as an
//! `AsyncTask` on the libuv pool, so the JavaScript thread never waits on SQLite.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::engine::{Engine, Synchronous};
use super::records::{
    BlobIn, ChannelHistory, CheckpointRecord, Layout, ListQuery, PutIn, PutOutcome, PutWritesIn, StoredValue,
    StoredWrite, WriteIn,
};
use super::{history, read, write};
use crate::error::{engine_error, invalid_arg};

#[napi(object)]
pub struct StoreOptions {
    /// "normal" (default: a resolved write survives the process being killed) or "full" (fsync per commit).
    pub synchronous: Option<String>,
    /// How long a write waits for another process's lock, in ms (default 5000).
    pub busy_timeout_ms: Option<u32>,
}

#[napi(object)]
pub struct BlobInput {
    pub channel: String,
    pub version: String,
    pub kind: String,
    pub data: Buffer,
    /// The checkpoint id whose stored value `data` extends (data then holds only appended elements).
    pub base_owner_id: Option<String>,
}

#[napi(object)]
pub struct PutRequest {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    pub checkpoint: Buffer,
    pub metadata: Buffer,
    pub blobs: Vec<BlobInput>,
    pub carried_channels: Vec<String>,
    pub carried_versions: Vec<String>,
}

#[napi(object)]
pub struct PutResult {
    /// "stored", "need_values" (resend `channels` with values) or "delta_base_missing" (resend in full).
    pub status: String,
    pub channels: Vec<String>,
}

#[napi(object)]
pub struct WriteInput {
    pub channel: String,
    pub idx: i64,
    pub kind: String,
    pub value: Buffer,
}

#[napi(object)]
pub struct PutWritesRequest {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub task_id: String,
    pub task_path: String,
    pub writes: Vec<WriteInput>,
}

#[napi(object)]
pub struct ListRequest {
    pub thread_id: Option<String>,
    pub checkpoint_ns: Option<String>,
    pub before: Option<String>,
    pub limit: Option<u32>,
    /// JSON object: metadata key -> value it must equal.
    pub filter: Option<String>,
}

#[napi(object)]
pub struct ValueRow {
    pub channel: String,
    /// The checkpoint id that stored this value (the base for a later increment).
    pub owner_id: String,
    pub kind: String,
    pub data: Buffer,
}

#[napi(object)]
pub struct WriteRow {
    pub task_id: String,
    pub channel: String,
    pub kind: String,
    pub value: Buffer,
    pub task_path: String,
    pub idx: i64,
}

#[napi(object)]
pub struct TupleRow {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    pub checkpoint: Buffer,
    pub metadata: Buffer,
    /// "native" (values in `values`) or "official" (values inline in `checkpoint`).
    pub layout: String,
    pub values: Vec<ValueRow>,
    pub writes: Vec<WriteRow>,
}

#[napi(object)]
pub struct ChannelHistoryRow {
    pub channel: String,
    pub seed: Option<ValueRow>,
    pub writes: Vec<WriteRow>,
}

fn value_row(v: StoredValue) -> ValueRow {
    ValueRow { channel: v.channel, owner_id: v.owner_id, kind: v.kind, data: v.data.into() }
}

fn write_row(w: StoredWrite) -> WriteRow {
    WriteRow { task_id: w.task_id, channel: w.channel, kind: w.kind, value: w.value.into(), task_path: w.task_path, idx: w.idx }
}

fn tuple_row(r: CheckpointRecord) -> TupleRow {
    TupleRow {
        thread_id: r.thread_id,
        checkpoint_ns: r.checkpoint_ns,
        checkpoint_id: r.checkpoint_id,
        parent_checkpoint_id: r.parent_checkpoint_id,
        kind: r.kind,
        checkpoint: r.checkpoint.into(),
        metadata: r.metadata.into(),
        layout: match r.layout {
            Layout::Native => "native".into(),
            Layout::Official => "official".into(),
        },
        values: r.values.into_iter().map(value_row).collect(),
        writes: r.writes.into_iter().map(write_row).collect(),
    }
}

fn history_row(h: ChannelHistory) -> ChannelHistoryRow {
    ChannelHistoryRow {
        channel: h.channel,
        seed: h.seed.map(value_row),
        writes: h.writes.into_iter().map(write_row).collect(),
    }
}

fn failed(err: String) -> Error {
    engine_error("RustSqliteSaver", err)
}

/// A database operation run on the libuv pool; `resolve` turns its result into JS values.
pub struct DbTask<T: Send + 'static, J> {
    engine: Arc<Engine>,
    op: Option<Box<dyn FnOnce(&Engine) -> std::result::Result<T, String> + Send>>,
    finish: fn(T) -> J,
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for DbTask<T, J> {
    type Output = T;
    type JsValue = J;

    fn compute(&mut self) -> Result<T> {
        let op = self.op.take().ok_or_else(|| failed("task ran twice".into()))?;
        op(&self.engine).map_err(failed)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<J> {
        Ok((self.finish)(output))
    }
}

#[napi]
pub struct SqliteCheckpointStore {
    engine: Arc<Engine>,
}

impl SqliteCheckpointStore {
    fn task<T: Send + 'static, J>(
        &self,
        op: impl FnOnce(&Engine) -> std::result::Result<T, String> + Send + 'static,
        finish: fn(T) -> J,
    ) -> AsyncTask<DbTask<T, J>>
    where
        DbTask<T, J>: Task,
    {
        AsyncTask::new(DbTask { engine: self.engine.clone(), op: Some(Box::new(op)), finish })
    }
}

#[napi]
impl SqliteCheckpointStore {
    /// Opens (creating if needed) and migrates the database at `path` (":memory:" for a private one).
    #[napi(constructor)]
    pub fn new(path: String, options: Option<StoreOptions>) -> Result<Self> {
        let options = options.unwrap_or(StoreOptions { synchronous: None, busy_timeout_ms: None });
        let synchronous = Synchronous::parse(options.synchronous.as_deref()).map_err(invalid_arg)?;
        let engine = Engine::open(&path, synchronous, options.busy_timeout_ms.unwrap_or(5000)).map_err(failed)?;
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

    #[napi]
    pub fn close(&self) -> Result<()> {
        self.engine.close().map_err(failed)
    }

    #[napi(ts_return_type = "Promise<PutResult>")]
    pub fn put(&self, req: PutRequest) -> Result<AsyncTask<DbTask<PutOutcome, PutResult>>> {
        if req.carried_channels.len() != req.carried_versions.len() {
            return Err(invalid_arg("carriedChannels and carriedVersions differ in length"));
        }
        Ok(self.task(
            move |engine| {
                let input = PutIn {
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
                        .map(|b| BlobIn {
                            channel: &b.channel,
                            version: &b.version,
                            kind: &b.kind,
                            data: &b.data,
                            base_owner_id: b.base_owner_id.as_deref(),
                        })
                        .collect(),
                    carried: req
                        .carried_channels
                        .iter()
                        .map(String::as_str)
                        .zip(req.carried_versions.iter().map(String::as_str))
                        .collect(),
                };
                engine.with_conn(|conn| write::put(conn, &engine.path, &input))
            },
            |outcome| match outcome {
                PutOutcome::Stored => PutResult { status: "stored".into(), channels: vec![] },
                PutOutcome::NeedValues(channels) => PutResult { status: "need_values".into(), channels },
                PutOutcome::DeltaBaseMissing(channel) => {
                    PutResult { status: "delta_base_missing".into(), channels: vec![channel] }
                }
            },
        ))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn put_writes(&self, req: PutWritesRequest) -> AsyncTask<DbTask<(), ()>> {
        self.task(
            move |engine| {
                let input = PutWritesIn {
                    thread_id: &req.thread_id,
                    checkpoint_ns: &req.checkpoint_ns,
                    checkpoint_id: &req.checkpoint_id,
                    task_id: &req.task_id,
                    task_path: &req.task_path,
                    writes: req
                        .writes
                        .iter()
                        .map(|w| WriteIn { channel: &w.channel, idx: w.idx, kind: &w.kind, value: &w.value })
                        .collect(),
                };
                engine.with_conn(|conn| write::put_writes(conn, &engine.path, &input))
            },
            |()| (),
        )
    }

    #[napi(ts_return_type = "Promise<TupleRow | null>")]
    pub fn get_tuple(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> AsyncTask<DbTask<Option<CheckpointRecord>, Option<TupleRow>>> {
        self.task(
            move |engine| {
                engine.with_conn(|conn| {
                    read::get_tuple(conn, &engine.path, &thread_id, &checkpoint_ns, checkpoint_id.as_deref())
                })
            },
            |r| r.map(tuple_row),
        )
    }

    #[napi(ts_return_type = "Promise<TupleRow[]>")]
    pub fn list(&self, req: ListRequest) -> Result<AsyncTask<DbTask<Vec<CheckpointRecord>, Vec<TupleRow>>>> {
        let filter = match req.filter.as_deref() {
            None => Vec::new(),
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
                _ => return Err(invalid_arg(format!("list filter must be a JSON object, got {text:?}"))),
            },
        };
        let query = ListQuery {
            thread_id: req.thread_id,
            checkpoint_ns: req.checkpoint_ns,
            before: req.before,
            limit: req.limit.map(|l| l as usize),
            filter,
        };
        Ok(self.task(
            move |engine| engine.with_conn(|conn| read::list(conn, &engine.path, &query)),
            |rows| rows.into_iter().map(tuple_row).collect(),
        ))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_thread(&self, thread_id: String) -> AsyncTask<DbTask<(), ()>> {
        self.task(move |engine| engine.with_conn(|conn| write::delete_thread(conn, &engine.path, &thread_id)), |()| ())
    }

    #[napi(ts_return_type = "Promise<ChannelHistoryRow[]>")]
    pub fn delta_channel_history(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channels: Vec<String>,
    ) -> AsyncTask<DbTask<Vec<ChannelHistory>, Vec<ChannelHistoryRow>>> {
        self.task(
            move |engine| {
                engine.with_conn(|conn| {
                    history::delta_channel_history(conn, &engine.path, &thread_id, &checkpoint_ns, &checkpoint_id, &channels)
                })
            },
            |rows| rows.into_iter().map(history_row).collect(),
        )
    }

    /// Pending writes stored for one checkpoint (both layouts), in `writesSortKey` order.
    #[napi(ts_return_type = "Promise<WriteRow[]>")]
    pub fn pending_writes(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
    ) -> AsyncTask<DbTask<Vec<StoredWrite>, Vec<WriteRow>>> {
        self.task(
            move |engine| {
                engine.with_conn(|conn| {
                    let official = super::schema::official_tables(conn).map_err(super::engine::sql_err(&engine.path))?;
                    super::values::load_writes(conn, &engine.path, official, &thread_id, &checkpoint_ns, &checkpoint_id)
                })
            },
            |rows| rows.into_iter().map(write_row).collect(),
        )
    }
}
