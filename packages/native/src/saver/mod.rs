//! The SQLite checkpoint engine behind `RustSqliteSaver`.

mod binding;
mod carry;
mod js_types;
mod official_layout;
mod ops;
mod engine;
mod history;
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
