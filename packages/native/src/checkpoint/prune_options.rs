//! A prune's options as JavaScript gives them, turned into the planner's policy, and the report both
//! engines return.

use napi::Result;

use super::js_types::{PruneOptions, PruneResult};
use super::prune_plan::{Policy, Strategy};
use crate::error::invalid_arg;

pub fn policy(options: &PruneOptions) -> Result<Policy> {
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

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct PruneReport {
    pub threads: u32,
    pub checkpoints: u32,
    pub writes: u32,
    pub values: u32,
    /// Payload bytes deleted (checkpoints, metadata, values, writes), net of rebased values rewritten.
    pub bytes: i64,
}

impl PruneReport {
    pub fn add(&mut self, other: PruneReport) {
        self.threads += other.threads;
        self.checkpoints += other.checkpoints;
        self.writes += other.writes;
        self.values += other.values;
        self.bytes += other.bytes;
    }
}

impl From<PruneReport> for PruneResult {
    fn from(r: PruneReport) -> Self {
        PruneResult { threads: r.threads, checkpoints: r.checkpoints, writes: r.writes, values: r.values, bytes: r.bytes }
    }
}
