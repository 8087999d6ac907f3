//! A request object from JavaScript as the engines see it: shapes checked once, borrowed, shared by
//! the SQLite and PostgreSQL stores.

use std::borrow::Cow;

use napi::bindgen_prelude::*;

use super::carry::{self, CarriedChannel};
use super::js_types::*;
use super::records::{BlobIn, Increment, ListQuery, PutIn, PutOutcome, PutWritesIn, WriteIn, WritesConflict};
use crate::error::invalid_arg;

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
pub fn put_input<'a>(req: &'a PutRequest, increments: &[Increment]) -> std::result::Result<PutIn<'a>, String> {
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
                base_row_token: b.base_row_token.as_deref(),
            })
            .collect(),
        keep_every_value: req.keep_every_value.unwrap_or(false),
        keep_stored_on_clash: req.keep_stored_on_clash.unwrap_or(false),
        verified: req.verified_channels.as_ref().map(|v| v.iter().cloned().collect()),
        memory_data_version: req.memory_data_version,
        verified_rows: req
            .verified_rows
            .as_ref()
            .map(|rows| rows.iter().map(|r| (r.channel.clone(), (r.owner_id.clone(), r.row_token.clone()))).collect()),
        carried: with_unversioned(
            match &req.changed_channels {
                Some(changed) if req.kind == "json" => {
                    carry::carried_channels(&req.checkpoint, changed, req.valued_channels.as_deref())?
                }
                _ => req
                    .carried_channels
                    .iter()
                    .map(|c| Cow::Borrowed(c.as_str()))
                    .zip(req.carried_versions.iter().map(|v| Cow::Borrowed(v.as_str())))
                    .collect(),
            },
            req.verified_channels.as_deref(),
        ),
    })
}

/// Version under which a value of a channel without a version is stored.
pub const UNVERSIONED: &str = "undefined";

/// Verified channels the checkpoint holds without a version (defaults LangGraph keeps unversioned)
/// are carried too, under `UNVERSIONED`, so an unchanged default is not stored again at every step.
fn with_unversioned<'a>(mut carried: Vec<CarriedChannel<'a>>, verified: Option<&'a [String]>) -> Vec<CarriedChannel<'a>> {
    for channel in verified.unwrap_or_default() {
        if !carried.iter().any(|(c, _)| c == channel) {
            carried.push((Cow::Borrowed(channel.as_str()), Cow::Borrowed(UNVERSIONED)));
        }
    }
    carried
}

/// The answer to a put; `data_version` from SQLite, `row_tokens` from PostgreSQL (see `PutResult`).
pub fn put_result(
    outcome: PutOutcome,
    data_version: Option<i64>,
    row_tokens: Option<std::collections::HashMap<String, String>>,
) -> PutResult {
    let (status, channels) = match outcome {
        PutOutcome::Stored => ("stored", vec![]),
        PutOutcome::NeedValues(channels) => ("need_values", channels),
        PutOutcome::DeltaBaseMissing(channel) => ("delta_base_missing", vec![channel]),
    };
    let row_tokens = if status == "stored" { row_tokens } else { None };
    PutResult { status: status.into(), channels, data_version, row_tokens }
}

/// The engine's view of a putWrites request (shared by the SQLite and PostgreSQL stores).
/// The engine's view of a putWrites request; an unknown `conflict` rule is an error naming it.
pub fn put_writes_input(req: &PutWritesRequest) -> std::result::Result<PutWritesIn<'_>, String> {
    Ok(PutWritesIn {
        thread_id: &req.thread_id,
        checkpoint_ns: &req.checkpoint_ns,
        checkpoint_id: &req.checkpoint_id,
        task_id: &req.task_id,
        task_path: &req.task_path,
        writes: req.writes.iter().map(|w| WriteIn { channel: &w.channel, idx: w.idx, kind: &w.kind, value: &w.value }).collect(),
        conflict: WritesConflict::parse(req.conflict.as_deref())?,
    })
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
