//! Bounded LRU caches with expiry, shared across worker threads, with an optional SQLite tier.

pub mod binding;
mod disk;
mod shared;
mod store;
