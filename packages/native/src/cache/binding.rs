use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

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
}

#[napi(object)]
pub struct NativeCacheStats {
    pub hits: f64,
    pub misses: f64,
    pub evictions: f64,
    pub expirations: f64,
    pub entries: f64,
    pub bytes: f64,
    /// The file of the disk tier, when it is on.
    pub path: Option<String>,
    /// Why the disk tier is off, when a file was asked for and could not be used.
    pub disk_error: Option<String>,
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
        let o =
            options.unwrap_or(NativeCacheOptions { name: None, path: None, max_entries: None, max_bytes: None, ttl_ms: None });
        let config = CacheConfig {
            name: o.name,
            path: o.path,
            max_entries: positive("maxEntries", o.max_entries, 10_000.0)?,
            max_bytes: positive("maxBytes", o.max_bytes, 256.0 * 1024.0 * 1024.0)?,
            default_ttl_ms: ttl("ttlMs", o.ttl_ms)?,
        };
        SharedCache::open(config).map(|inner| Self { inner }).map_err(invalid_arg)
    }

    #[napi(ts_return_type = "Buffer | null")]
    pub fn get(&self, key: String) -> Option<JsBytes> {
        self.inner.get(key.as_bytes()).map(JsBytes)
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
        NativeCacheStats {
            hits: s.hits as f64,
            misses: s.misses as f64,
            evictions: s.evictions as f64,
            expirations: s.expirations as f64,
            entries: s.entries as f64,
            bytes: s.bytes as f64,
            path: self.inner.disk_path().map(str::to_string),
            disk_error: self.inner.disk_error.clone(),
        }
    }

    /// Waits until every write queued for the disk tier is on disk.
    #[napi]
    pub fn flush(&self) {
        self.inner.flush();
    }
}

fn preview(key: &str) -> String {
    key.chars().take(60).collect()
}
