//! The SQLite checkpoint engine behind `RustSqliteSaver` (and a patched `SqliteSaver`/`MemorySaver`).

mod assembled;
mod binding;
mod cached_tx;
mod engine;
mod error;
mod history;
mod memory_vfs;
mod official_layout;
mod ops;
mod prune;
mod read;
mod reput;
mod schema;
#[cfg(test)]
mod tests;
mod values;
mod write;

pub use binding::SqliteCheckpointStore;
