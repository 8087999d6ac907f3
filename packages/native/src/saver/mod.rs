//! The SQLite checkpoint engine behind `RustSqliteSaver`.

mod binding;
pub mod carry;
pub mod chain;
pub mod js_types;
mod official_layout;
pub mod ops;
mod engine;
mod history;
pub mod history_walk;
pub mod json_array;
mod prune;
mod prune_plan;
mod read;
pub mod records;
pub mod refs;
mod schema;
#[cfg(test)]
mod tests;
mod values;
mod write;

pub use binding::SqliteCheckpointStore;
pub use json_array::concat_json_arrays;
