//! Bounded LRU caches with expiry, shared across worker threads, with optional SQLite and PostgreSQL
//! tiers behind a bounded write-behind queue.

pub mod binding;
mod disk;
mod postgres;
mod queue;
mod shared;
mod store;
