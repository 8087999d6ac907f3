use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::postgres::PgConfig;
use super::shared::{CacheConfig, SharedCache};
use crate::error::invalid_arg;
use crate::js_bytes::JsBytes;

#[napi(object)]
pub struct NativeCacheOptions {
    /// Share the cache with every worker thread of this process that opens the same name.
    pub name: Option<String>,
    /// Keep a SQLite tier in this file (shared the same way, and across restarts).
    pub path: Option<String>,
    pub max_entries: Option<f64>,
    pub max_bytes: Option<f64>,
    /// Default time to live of an entry, in ms.
    pub ttl_ms: Option<f64>,
    /// Keep a PostgreSQL tier at this connection string (shared by every process that opens it).
    pub postgres: Option<String>,
    /// Schema of the PostgreSQL tier's table (default "public").
    pub postgres_schema: Option<String>,
    /// Its table (default "flg_cache"; a second table `<table>_ledger` holds the byte count).
    pub postgres_table: Option<String>,
    /// Connections kept for the PostgreSQL tier (default 4).
    pub postgres_max_connections: Option<u32>,
    /// How long connecting may take, in ms (default 5000).
    pub postgres_connect_timeout_ms: Option<u32>,
}

#[napi(object)]
pub struct NativeCacheStats {
    pub hits: f64,
    pub misses: f64,
    pub evictions: f64,
    pub expirations: f64,
    /// Values not cached because one entry (key + value + 64 bytes) would exceed maxBytes.
    pub too_large: f64,
    pub entries: f64,
    pub bytes: f64,
    /// The file of the disk tier, when it is on.
    pub path: Option<String>,
    /// Why the disk tier is off, when a file was asked for and could not be used; or, with the tier
    /// on, why its last failed read failed (a corrupted file): that read answered as a miss.
    pub disk_error: Option<String>,
    /// Writes waiting for the persistent tiers (disk and PostgreSQL), and their bytes.
    pub queued: f64,
    pub queued_bytes: f64,
    /// The bound of each write queue, in bytes (a quarter of maxBytes, 1 to 64 MiB) and operations (10,000).
    pub queue_max_bytes: f64,
    pub queue_max_ops: f64,
    /// Writes dropped at that bound, oldest first (the entries stay in memory; deletes are never dropped).
    pub dropped: f64,
    /// Rows and bytes (key + value + 64 each) in the disk tier, as its writer last saw them.
    pub disk_entries: Option<f64>,
    pub disk_bytes: Option<f64>,
    /// Size of the cache file plus its WAL now, in bytes.
    pub file_bytes: Option<f64>,
    /// The PostgreSQL tier: host:port/database schema.table (never the password).
    pub postgres: Option<String>,
    /// Rows and bytes in the PostgreSQL table after this process's last write (all writers' rows).
    pub postgres_entries: Option<f64>,
    pub postgres_bytes: Option<f64>,
    /// The last failure of the PostgreSQL tier (reads that failed answer as misses).
    pub postgres_error: Option<String>,
    /// Writes to the PostgreSQL tier given up on after every attempt failed (they stay in memory).
    pub postgres_failed_writes: Option<f64>,
}

fn positive(name: &str, value: Option<f64>, default: f64) -> Result<usize> {
    let v = value.unwrap_or(default);
    if v.is_nan() || v < 1.0 || !v.is_finite() {
        return Err(invalid_arg(format!("{name} must be a number of at least 1, got {v}")));
    }
    Ok(v as usize)
}

fn ttl(name: &str, value: Option<f64>) -> Result<Option<u64>> {
    match value {
        None => Ok(None),
        Some(v) if v > 0.0 && v.is_finite() => Ok(Some(v.ceil() as u64)),
        Some(v) => Err(invalid_arg(format!("{name} must be a positive number of ms, got {v}"))),
    }
}

/// The Rust cache behind RustLLMCache and RustNodeCache: string keys, byte values.
#[napi]
pub struct NativeCache {
    inner: Arc<SharedCache>,
}

#[napi]
impl NativeCache {
    #[napi(constructor)]
    pub fn new(options: Option<NativeCacheOptions>) -> Result<Self> {
        let o = options.unwrap_or(NativeCacheOptions {
            name: None,
            path: None,
            max_entries: None,
            max_bytes: None,
            ttl_ms: None,
            postgres: None,
            postgres_schema: None,
            postgres_table: None,
            postgres_max_connections: None,
            postgres_connect_timeout_ms: None,
        });
        let postgres = o.postgres.map(|conn_string| PgConfig {
            conn_string,
            schema: o.postgres_schema.unwrap_or_else(|| "public".into()),
            table: o.postgres_table.unwrap_or_else(|| "flg_cache".into()),
            max_connections: o.postgres_max_connections.unwrap_or(4).max(1) as usize,
            connect_timeout: std::time::Duration::from_millis(o.postgres_connect_timeout_ms.unwrap_or(5000).max(1) as u64),
        });
        let config = CacheConfig {
            name: o.name,
            path: o.path,
            postgres,
            max_entries: o.max_entries.map(|v| positive("maxEntries", Some(v), 0.0)).transpose()?,
            max_bytes: o.max_bytes.map(|v| positive("maxBytes", Some(v), 0.0)).transpose()?,
            default_ttl_ms: ttl("ttlMs", o.ttl_ms)?,
        };
        SharedCache::open(config).map(|inner| Self { inner }).map_err(invalid_arg)
    }

    #[napi(ts_return_type = "Buffer | null")]
    pub fn get(&self, key: String) -> Option<JsBytes> {
        self.inner.get(key.as_bytes()).map(JsBytes)
    }

    /// Whether a PostgreSQL tier is on (then a memory miss is worth a `getRemote`).
    #[napi(getter)]
    pub fn remote(&self) -> bool {
        self.inner.postgres.is_some()
    }

    /// A memory miss looked up in the PostgreSQL tier, on napi's tokio runtime; rejects with a
    /// message naming the table, the server and the cause.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub async fn get_remote(&self, key: String) -> Result<Option<JsBytes>> {
        let inner = self.inner.clone();
        inner.get_remote(key.as_bytes()).await.map(|v| v.map(JsBytes)).map_err(engine_failure)
    }

    /// `getRemote` for text values.
    #[napi]
    pub async fn get_remote_text(&self, key: String) -> Result<Option<String>> {
        let inner = self.inner.clone();
        inner.get_remote(key.as_bytes()).await.map(|v| v.and_then(|v| String::from_utf8(v).ok())).map_err(engine_failure)
    }

    /// Connects to the PostgreSQL tier and creates its tables if missing (a no-op without one);
    /// rejects with a message naming the cause (unreachable, wrong password, no permission).
    #[napi]
    pub async fn ready(&self) -> Result<()> {
        match self.inner.postgres.clone() {
            Some(pg) => pg.ensure_ready().await.map_err(engine_failure),
            None => Ok(()),
        }
    }

    #[napi]
    pub fn set(&self, key: String, value: Buffer, ttl_ms: Option<f64>) -> Result<()> {
        let ttl = ttl("ttl", ttl_ms)?;
        self.inner
            .set(key.as_bytes(), &value, ttl)
            .map_err(|m| invalid_arg(format!("cannot cache the value for key {:?}: {m}", preview(&key))))
    }

    /// `get` for text values: one copy from Rust to a JS string, no Buffer in between.
    #[napi]
    pub fn get_text(&self, key: String) -> Option<String> {
        self.inner.get(key.as_bytes()).and_then(|v| String::from_utf8(v).ok())
    }

    #[napi]
    pub fn set_text(&self, key: String, value: String, ttl_ms: Option<f64>) -> Result<()> {
        let ttl = ttl("ttl", ttl_ms)?;
        self.inner
            .set(key.as_bytes(), value.as_bytes(), ttl)
            .map_err(|m| invalid_arg(format!("cannot cache the value for key {:?}: {m}", preview(&key))))
    }

    #[napi]
    pub fn delete(&self, key: String) -> bool {
        self.inner.delete(key.as_bytes())
    }

    /// Removes the entries whose keys start with one of `prefixes`, or every entry.
    #[napi]
    pub fn clear(&self, prefixes: Option<Vec<String>>) -> u32 {
        self.inner.clear(prefixes.unwrap_or_default().into_iter().map(String::into_bytes).collect()) as u32
    }

    /// Reclaims expired entries; returns how many.
    #[napi]
    pub fn sweep_expired(&self) -> u32 {
        self.inner.sweep_expired() as u32
    }

    #[napi]
    pub fn stats(&self) -> NativeCacheStats {
        let s = self.inner.stats();
        let disk = self.inner.disk();
        let pg = self.inner.postgres.as_ref();
        let queues: Vec<_> = disk.map(|d| d.queue.stats()).into_iter().chain(pg.map(|p| p.queue.stats())).collect();
        let sum = |f: fn(&super::queue::QueueStats) -> u64| queues.iter().map(f).sum::<u64>() as f64;
        let known = |v: i64| (v >= 0).then_some(v as f64);
        NativeCacheStats {
            queued: sum(|q| q.queued),
            queued_bytes: sum(|q| q.queued_bytes),
            queue_max_bytes: queues.iter().map(|q| q.max_bytes).max().unwrap_or(0) as f64,
            queue_max_ops: queues.iter().map(|q| q.max_ops).max().unwrap_or(0) as f64,
            dropped: sum(|q| q.dropped),
            disk_entries: disk.map(|d| d.ledger.entries.load(std::sync::atomic::Ordering::Relaxed) as f64),
            disk_bytes: disk.map(|d| d.ledger.bytes.load(std::sync::atomic::Ordering::Relaxed) as f64),
            file_bytes: disk.map(|d| d.file_bytes() as f64),
            postgres: pg.map(|p| p.identity.clone()),
            postgres_entries: pg.and_then(|p| known(p.entries.load(std::sync::atomic::Ordering::Relaxed))),
            postgres_bytes: pg.and_then(|p| known(p.bytes.load(std::sync::atomic::Ordering::Relaxed))),
            postgres_error: pg.and_then(|p| p.last_error.lock().ok().and_then(|e| e.clone())),
            postgres_failed_writes: pg.map(|p| p.failed_writes.load(std::sync::atomic::Ordering::Relaxed) as f64),
            hits: s.hits as f64,
            misses: s.misses as f64,
            evictions: s.evictions as f64,
            too_large: s.too_large as f64,
            expirations: s.expirations as f64,
            entries: s.entries as f64,
            bytes: s.bytes as f64,
            path: self.inner.disk_path().map(str::to_string),
            disk_error: self.inner.disk_error(),
        }
    }

    /// Resolves when every write queued so far reached the disk and PostgreSQL tiers (or was dropped
    /// at a queue's bound). The JavaScript thread does not wait: the promise resolves on napi's tokio
    /// runtime, and no libuv pool thread is held meanwhile.
    #[napi]
    pub async fn flush(&self) {
        let inner = self.inner.clone();
        inner.flush().await;
    }
}

/// A failure of a persistent tier; the message already names the table, the server and the cause.
fn engine_failure(message: String) -> Error {
    Error::new(Status::GenericFailure, message)
}

fn preview(key: &str) -> String {
    key.chars().take(60).collect()
}
