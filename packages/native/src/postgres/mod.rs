//! The PostgreSQL checkpoint engine behind `RustPostgresSaver`: tokio-postgres on a deadpool pool, all
//! I/O on the tokio runtime. It shares the checkpoint model (`crate::checkpoint`: records, channel references,
//! increment chains, carried channels) and reads and writes the official PostgresSaver's tables.

mod anchors;
mod binding;
pub(crate) mod connect;
mod history;
mod prune;
mod prune_load;
mod read;
mod reput;
mod schema;
pub(crate) mod tables;
mod thread_lock;
mod tls;
mod write;

pub use binding::PostgresCheckpointStore;
