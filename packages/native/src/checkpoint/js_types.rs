//! Objects that cross the JS boundary: flat strings and Buffers, converted once per call.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::js_bytes::JsBytes;

use super::records::{ChannelHistory, CheckpointRecord, Layout, StoredValue, StoredWrite};

#[napi(object)]
pub struct StoreOptions {
    /// "normal" (default: a resolved write survives the process being killed) or "full" (fsync per commit).
    pub synchronous: Option<String>,
    /// How long a write waits for another process's lock, in ms (default 5000).
    pub busy_timeout_ms: Option<u32>,
    /// Create the official saver's tables (for writing in its layout).
    pub official_layout: Option<bool>,
    /// Most bytes of values getTuple keeps assembled (default 32 MiB; 0 keeps none).
    pub assembled_value_bytes: Option<f64>,
}

/// `SqliteCheckpointStore.assembledValues`: entries and bytes held against the bound, and how reads went.
#[napi(object)]
pub struct AssembledValueStats {
    pub entries: f64,
    pub bytes: f64,
    pub max_bytes: f64,
    /// Reads of a grown list served from a remembered value (only the increments since were read).
    pub hits: f64,
    /// Reads that assembled the whole chain.
    pub misses: f64,
    pub evictions: f64,
}

#[napi(object)]
pub struct OfficialPutRequest {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    /// The whole checkpoint, channel values inline, as the official saver serializes it.
    pub checkpoint: Buffer,
    pub metadata: Buffer,
}

#[napi(object)]
pub struct BlobInput {
    pub channel: String,
    pub version: String,
    pub kind: String,
    pub data: Buffer,
    /// The checkpoint id whose stored value `data` is an increment of.
    pub base_owner_id: Option<String>,
    /// "append" (default: `data` holds elements appended to the base list) or "merge" (`data` is a
    /// messages-reducer update of the base list).
    pub increment: Option<String>,
    /// PostgreSQL, compact layout: the base row's write token (`ValueRow.rowToken` or
    /// `PutResult.rowTokens` when the caller learned its value); an increment on a row rewritten since
    /// answers "delta_base_missing".
    pub base_row_token: Option<String>,
}

/// A row a verified channel's value was remembered from (see `PutRequest.verifiedRows`).
#[napi(object)]
pub struct VerifiedRow {
    pub channel: String,
    pub owner_id: String,
    /// PostgreSQL, compact layout: required (a row without one is not verified).
    pub row_token: Option<String>,
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
    /// The channels `newVersions` names. When set (and the checkpoint is JSON), the carried channels
    /// are derived from the checkpoint's `channel_versions` and `carriedChannels` is ignored.
    pub changed_channels: Option<Vec<String>>,
    /// The channels the checkpoint holds a value for; only those are carried from the parent.
    pub valued_channels: Option<Vec<String>>,
    /// Store every channel value the checkpoint holds (see `PutIn::keep_every_value`).
    pub keep_every_value: Option<bool>,
    /// PostgreSQL's official layout: a value clashing with one stored under the same (channel, version)
    /// leaves the stored one and the checkpoint is stored (see `PutIn::keep_stored_on_clash`).
    pub keep_stored_on_clash: Option<bool>,
    /// Carried channels the caller proved unchanged since it stored or loaded them; only these are
    /// carried by reference (absent: every carried channel is).
    pub verified_channels: Option<Vec<String>>,
    /// The SQLite store's `dataVersion` the caller's memory of stored values was last in step with
    /// (the latest a read or put answered). Another connection committed since when the database's
    /// differs: nothing the memory vouches for is trusted then (verified channels are asked for,
    /// increments are refused as `delta_base_missing`). Ignored by PostgreSQL.
    pub memory_data_version: Option<i64>,
    /// For each of `verifiedChannels`, the row its remembered value came from. A channel without one,
    /// whose row is not the one the parent references, or (PostgreSQL, compact layout) whose row was
    /// rewritten since (a new token), is not taken as verified. Unset: `verifiedChannels` as they are.
    pub verified_rows: Option<Vec<VerifiedRow>>,
}

#[napi(object)]
pub struct PutResult {
    /// "stored", "need_values" (resend `channels` with values) or "delta_base_missing" (resend in full).
    pub status: String,
    pub channels: Vec<String>,
    /// SQLite: `PRAGMA data_version` inside the put's transaction (changes only when another
    /// connection commits); the caller's memory is in step with it once the put is answered.
    pub data_version: Option<i64>,
    /// PostgreSQL, compact layout, when stored: channel -> the write token of the row this put wrote for it.
    pub row_tokens: Option<std::collections::HashMap<String, String>>,
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
    /**
     * Which stored write a write with the same (task, idx) keeps. "allSpecial" (default: SqliteSaver's
     * and PostgresSaver's rule): a batch whose writes all go to special channels (negative idx:
     * error, scheduled, interrupt, resume) replaces, write by write in order, so the last one wins;
     * any other batch keeps what is stored, and the first one of the batch. "eachSpecial"
     * (MemorySaver's rule): each write to a special channel replaces, each other write keeps the first.
     */
    pub conflict: Option<String>,
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

#[napi(object, object_from_js = false)]
pub struct ValueRow {
    pub channel: String,
    /// The checkpoint id that stored this value (the base for a later increment).
    pub owner_id: String,
    pub kind: String,
    #[napi(ts_type = "Buffer")]
    pub data: JsBytes,
    /// PostgreSQL, compact layout: the owner row's write token (its `xmin`, new whenever the row is rewritten).
    pub row_token: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct WriteRow {
    pub task_id: String,
    pub channel: String,
    pub kind: String,
    #[napi(ts_type = "Buffer")]
    pub value: JsBytes,
    pub task_path: String,
    pub idx: i64,
}

#[napi(object, object_from_js = false)]
pub struct TupleRow {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    #[napi(ts_type = "Buffer")]
    pub checkpoint: JsBytes,
    #[napi(ts_type = "Buffer")]
    pub metadata: JsBytes,
    /// "native" (values in `values`) or "official" (values inline in `checkpoint`).
    pub layout: String,
    pub values: Vec<ValueRow>,
    pub writes: Vec<WriteRow>,
    /// SQLite, getTuple: `PRAGMA data_version` inside the read's transaction (see `PutRequest`).
    pub data_version: Option<i64>,
}

#[napi(object, object_from_js = false)]
pub struct ChannelHistoryRow {
    pub channel: String,
    pub seed: Option<ValueRow>,
    pub writes: Vec<WriteRow>,
}

pub fn value_row(v: StoredValue) -> ValueRow {
    ValueRow { channel: v.channel, owner_id: v.owner_id, kind: v.kind, data: v.data.into(), row_token: v.row_token }
}

pub fn write_row(w: StoredWrite) -> WriteRow {
    WriteRow { task_id: w.task_id, channel: w.channel, kind: w.kind, value: w.value.into(), task_path: w.task_path, idx: w.idx }
}

pub fn tuple_row(r: CheckpointRecord) -> TupleRow {
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
        data_version: None,
    }
}

pub fn history_row(h: ChannelHistory) -> ChannelHistoryRow {
    ChannelHistoryRow { channel: h.channel, seed: h.seed.map(value_row), writes: h.writes.into_iter().map(write_row).collect() }
}

#[napi(object)]
pub struct PruneOptions {
    /// Threads to prune (default: every thread in the file).
    pub thread_ids: Option<Vec<String>>,
    /// Newest checkpoints kept per thread and namespace.
    pub keep_last: Option<u32>,
    /// ISO-8601 time: only checkpoints older than this may be removed.
    pub older_than: Option<String>,
    /// "keep_last" (default), "keep_latest" or "delete" (whole threads).
    pub strategy: Option<String>,
}

#[napi(object)]
pub struct PruneResult {
    pub threads: u32,
    pub checkpoints: u32,
    pub writes: u32,
    pub values: u32,
    /// Payload bytes removed, net of values rewritten in full by rebasing.
    pub bytes: i64,
}

#[napi(object)]
pub struct VacuumResult {
    pub bytes_before: i64,
    pub bytes_after: i64,
}
