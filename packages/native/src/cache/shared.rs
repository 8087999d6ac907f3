//! A cache instance: the memory tier, the optional disk tier, and a process-wide registry so that
//! every worker thread opening the same name or file gets the same instance (the addon is loaded once
//! per process, so its statics are shared by all threads). A named or file-backed cache lives as long
//! as the process, like a global: a worker that exits does not take the entries it stored with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::disk::{DiskTier, OpenError};
use super::store::{Bounds, CacheStore, Stats};

pub struct CacheConfig {
    pub name: Option<String>,
    pub path: Option<String>,
    pub max_entries: usize,
    pub max_bytes: usize,
    pub default_ttl_ms: Option<u64>,
}

pub struct SharedCache {
    memory: Mutex<CacheStore>,
    disk: Option<DiskTier>,
    /// Why the disk tier is off, when a file was asked for and could not be used.
    pub disk_error: Option<String>,
    default_ttl_ms: Option<u64>,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn registry() -> &'static Mutex<HashMap<String, Arc<SharedCache>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<SharedCache>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl SharedCache {
    /// Opens (or joins, for a name or file already open in this process) a cache.
    pub fn open(config: CacheConfig) -> Result<Arc<Self>, String> {
        let identity = match (&config.name, &config.path) {
            (_, Some(path)) => {
                Some(format!("path:{}", std::fs::canonicalize(path).map(|p| p.display().to_string()).unwrap_or(path.clone())))
            }
            (Some(name), None) => Some(format!("name:{name}")),
            (None, None) => None,
        };
        let mut reg = registry().lock().map_err(|_| "cache registry lock poisoned".to_string())?;
        if let Some(existing) = identity.as_ref().and_then(|id| reg.get(id)) {
            return Ok(existing.clone());
        }
        let memory = CacheStore::new(Bounds {
            max_entries: config.max_entries,
            max_bytes: config.max_bytes,
            default_ttl_ms: config.default_ttl_ms,
        })?;
        let (disk, disk_error) = match &config.path {
            None => (None, None),
            Some(path) => match DiskTier::open(path, config.max_entries, config.max_bytes) {
                Ok(d) => (Some(d), None),
                Err(OpenError::NotACache(message)) => return Err(message),
                Err(OpenError::Unusable(message)) => (None, Some(message)),
            },
        };
        let cache = Arc::new(Self { memory: Mutex::new(memory), disk, disk_error, default_ttl_ms: config.default_ttl_ms });
        if let Some(id) = identity {
            reg.insert(id, cache.clone());
        }
        Ok(cache)
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, CacheStore> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let now = now_ms();
        if let Some(v) = self.memory().get(key, now) {
            return Some(v);
        }
        let disk = self.disk.as_ref()?;
        let (value, expires_at) = disk.get(key, now as i64).ok()??;
        let ttl = expires_at.map(|t| (t as u64).saturating_sub(now).max(1));
        let mut memory = self.memory();
        let _ = memory.set(key, &value, ttl, now);
        memory.count_disk_hit();
        Some(value)
    }

    pub fn set(&self, key: &[u8], value: &[u8], ttl_ms: Option<u64>) -> Result<(), String> {
        let now = now_ms();
        self.memory().set(key, value, ttl_ms, now)?;
        if let Some(disk) = &self.disk {
            let expires_at = ttl_ms.or(self.default_ttl_ms).map(|t| (now + t) as i64);
            disk.put(key, value, expires_at, now as i64);
        }
        Ok(())
    }

    pub fn delete(&self, key: &[u8]) -> bool {
        if let Some(disk) = &self.disk {
            disk.delete(key);
        }
        self.memory().delete(key)
    }

    pub fn clear(&self, prefixes: Vec<Vec<u8>>) -> usize {
        let n = self.memory().clear(&prefixes);
        if let Some(disk) = &self.disk {
            disk.clear(prefixes);
        }
        n
    }

    pub fn sweep_expired(&self) -> usize {
        self.memory().sweep_expired(now_ms())
    }

    pub fn stats(&self) -> Stats {
        self.memory().stats()
    }

    pub fn flush(&self) {
        if let Some(disk) = &self.disk {
            disk.flush();
        }
    }

    pub fn disk_path(&self) -> Option<&str> {
        self.disk.as_ref().map(|d| d.path.as_str())
    }
}
