//! Plain data exchanged between the engine and the binding layer (no napi types, so `cargo test` covers it).

#[derive(Debug, Clone, PartialEq)]
pub struct StoredValue {
    pub channel: String,
    /// The checkpoint id whose row holds (the newest part of) this value.
    pub owner_id: String,
    pub kind: String,
    pub data: Vec<u8>,
    /// PostgreSQL, compact layout: the owner row's write token (see `PutIn::verified_rows`).
    pub row_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredWrite {
    pub task_id: String,
    pub channel: String,
    pub kind: String,
    pub value: Vec<u8>,
    pub task_path: String,
    pub idx: i64,
}

impl StoredWrite {
    /// LangGraph's `writesSortKey` order: task path, then task id (both by code point, which is UTF-8
    /// byte order), then index.
    pub fn sort(writes: &mut [StoredWrite]) {
        writes.sort_by(|a, b| {
            a.task_path
                .as_bytes()
                .cmp(b.task_path.as_bytes())
                .then_with(|| a.task_id.as_bytes().cmp(b.task_id.as_bytes()))
                .then_with(|| a.idx.cmp(&b.idx))
        });
    }
}

/// Where a checkpoint row lives: our tables, or the official saver's (full checkpoint inline).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Layout {
    Native,
    Official,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRecord {
    pub thread_id: String,
    pub checkpoint_ns: String,
    pub checkpoint_id: String,
    pub parent_checkpoint_id: Option<String>,
    pub kind: String,
    pub checkpoint: Vec<u8>,
    pub metadata: Vec<u8>,
    pub layout: Layout,
    pub values: Vec<StoredValue>,
    pub writes: Vec<StoredWrite>,
}

pub struct BlobIn<'a> {
    pub channel: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub data: &'a [u8],
    /// Set when `data` is an increment of the value stored by this checkpoint id.
    pub base_owner_id: Option<&'a str>,
    /// How the increment applies: elements appended (the default), or a messages-reducer update.
    pub increment: Increment,
    /// PostgreSQL, compact layout: the base row's write token when the caller learned its value.
    pub base_row_token: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Increment {
    Append,
    Merge,
}

impl Increment {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("append") => Ok(Self::Append),
            Some("merge") => Ok(Self::Merge),
            Some(other) => Err(format!("increment must be \"append\" or \"merge\", got {other:?}")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Append => "append",
            Self::Merge => "merge",
        }
    }
}

pub struct PutIn<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub checkpoint_id: &'a str,
    pub parent_checkpoint_id: Option<&'a str>,
    pub kind: &'a str,
    pub checkpoint: &'a [u8],
    pub metadata: &'a [u8],
    pub blobs: Vec<BlobIn<'a>>,
    /// Channels present in `channel_versions` but not in `newVersions`: their values are the parent's.
    pub carried: Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    /// Ask for the values of carried channels the parent does not hold, rather than storing the
    /// checkpoint without them (what a saver that keeps every value it is given, like MemorySaver, needs).
    pub keep_every_value: bool,
    /// PostgreSQL's official layout: when a value is already stored under the same (channel, version)
    /// with other bytes, keep the stored one and store the checkpoint, as PostgresSaver's
    /// `ON CONFLICT DO NOTHING` does (the checkpoint then reads the stored value); otherwise nothing is
    /// written and the put fails naming the channels.
    pub keep_stored_on_clash: bool,
    /// Carried channels proven unchanged by the caller (None: all of them); see `carry_decision`.
    pub verified: Option<std::collections::HashSet<String>>,
    /// SQLite: the data version the caller's memory (what `verified` and increments rest on) is in
    /// step with; see `PutRequest::memory_data_version`.
    pub memory_data_version: Option<i64>,
    /// For each verified channel, the row (owner id, and on PostgreSQL's compact layout its write
    /// token) the caller's memory of it came from: a channel whose parent references another row, or
    /// whose row was rewritten since (under the same ids: a restore, a put of its checkpoint again, a
    /// hand-over; a new `xmin`), is not verified. None: `verified` is taken as it is.
    pub verified_rows: Option<std::collections::HashMap<String, (String, Option<String>)>>,
}

#[derive(Debug, PartialEq)]
pub enum PutOutcome {
    Stored,
    /// These carried channels cannot be taken from the parent (an official-layout parent, or one that
    /// does not hold them while `keep_every_value` is set): send them with values, or as changed.
    NeedValues(Vec<String>),
    /// An increment's base value is not stored (deleted or written elsewhere): resend it in full.
    DeltaBaseMissing(String),
}

pub struct WriteIn<'a> {
    pub channel: &'a str,
    pub idx: i64,
    pub kind: &'a str,
    pub value: &'a [u8],
}

pub struct PutWritesIn<'a> {
    pub thread_id: &'a str,
    pub checkpoint_ns: &'a str,
    pub checkpoint_id: &'a str,
    pub task_id: &'a str,
    pub task_path: &'a str,
    pub writes: Vec<WriteIn<'a>>,
    pub conflict: WritesConflict,
}

/// What a pending write does when (task, idx) is already stored (see `PutWritesRequest.conflict`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WritesConflict {
    /// SqliteSaver's and PostgresSaver's rule: replace when every write of the batch is special.
    AllSpecial,
    /// MemorySaver's rule: each special write replaces, each other write keeps the first.
    EachSpecial,
}

impl WritesConflict {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("allSpecial") => Ok(Self::AllSpecial),
            Some("eachSpecial") => Ok(Self::EachSpecial),
            Some(other) => Err(format!("conflict must be \"allSpecial\" or \"eachSpecial\", got {other:?}")),
        }
    }
}

impl PutWritesIn<'_> {
    /// Whether the write at position `i` replaces a stored one with the same (task, idx).
    pub fn replaces(&self, i: usize) -> bool {
        match self.conflict {
            WritesConflict::AllSpecial => self.writes.iter().all(|w| w.idx < 0),
            WritesConflict::EachSpecial => self.writes[i].idx < 0,
        }
    }

    /// The writes one statement can apply with the same outcome as applying them one by one: per
    /// (idx), the last of a replacing batch or the first of a keeping one (one task per batch).
    pub fn effective_writes(&self) -> Vec<&WriteIn<'_>> {
        let mut out: Vec<&WriteIn> = Vec::with_capacity(self.writes.len());
        for (i, w) in self.writes.iter().enumerate() {
            match out.iter().position(|o| o.idx == w.idx) {
                Some(at) if self.replaces(i) => out[at] = w,
                Some(_) => {}
                None => out.push(w),
            }
        }
        out
    }
}

pub struct ListQuery {
    pub thread_id: Option<String>,
    pub checkpoint_ns: Option<String>,
    pub before: Option<String>,
    pub limit: Option<usize>,
    /// Metadata keys and the JSON values they must equal.
    pub filter: Vec<(String, serde_json::Value)>,
}

#[derive(Debug, Default, PartialEq)]
pub struct ChannelHistory {
    pub channel: String,
    pub seed: Option<StoredValue>,
    /// Oldest ancestor first; within one checkpoint, `writesSortKey` order.
    pub writes: Vec<StoredWrite>,
}
