#![deny(clippy::all)]

pub mod cache;
pub mod checkpoint;
pub mod diagnostics;
mod error;
mod js_bytes;
pub mod messages;
pub mod postgres;
pub mod resilience;
mod runtime;
pub mod sqlite;
pub mod sqlite_vfs;
