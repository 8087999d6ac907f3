//! The SQLite checkpoint engine behind `RustSqliteSaver`.

mod binding;
mod js_types;
mod ops;
mod engine;
mod history;
mod json_array;
mod read;
mod records;
mod refs;
mod schema;
#[cfg(test)]
mod tests;
mod values;
mod write;

pub use binding::SqliteCheckpointStore;
pub use json_array::concat_json_arrays;
