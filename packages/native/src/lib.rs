#![deny(clippy::all)]

pub mod cache;
pub mod checkpoint;
pub mod diagnostics;
mod error;
pub mod messages;
pub mod postgres;
pub mod resilience;
pub mod sqlite;
