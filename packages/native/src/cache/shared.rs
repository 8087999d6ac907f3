//! A cache instance: the memory tier, the optional disk tier, and a process-wide registry so that
//! every worker thread opening the same name or file gets the same instance (the addon is loaded once
//! per process, so its statics are shared by all threads). A named or file-backed cache lives as long
//! as the process, like a global: a worker that exits does not take the entries it stored with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::disk::{key_hash, DiskTier, OpenError};
use super::postgres::{PgConfig, PgTier};
use super::queue::Op;
use super::store::{Bounds, CacheStore, Stats};

pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;

/// What a caller asked for; `None` is "not given" (the default, or what an open cache of the same
/// name already uses).
pub struct CacheConfig {
    pub name: Option<String>,
    pub path: Option<String>,
    pub postgres: Option<PgConfig>,
    pub max_entries: Option<usize>,
    pub max_bytes: Option<usize>,
    pub default_ttl_ms: Option<u64>,
}

pub struct SharedCache {
    memory: Mutex<CacheStore>,
    disk: Option<DiskTier>,
    pub postgres: Option<Arc<PgTier>>,
    /// Why the disk tier is off, when a file was asked for and could not be used; or, with the tier
    /// on, why its last failed read failed (a file corrupted while in use): that read was a miss.
    disk_error: Mutex<Option<String>>,
    default_ttl_ms: Option<u64>,
    max_entries: usize,
    max_bytes: usize,
    /// A hash of the PostgreSQL tier's whole connection string (user, password, TLS settings), so that
    /// a cache asking for other credentials or other TLS never joins a tier opened with these.
    pg_connection: Option<u64>,
}

fn connection_hash(conn_string: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    conn_string.hash(&mut h);
    h.finish()
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn registry() -> &'static Mutex<HashMap<String, Arc<SharedCache>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<SharedCache>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// How a cache is named in messages: its name, its file or its table.
fn describe_identity(config: &CacheConfig, pg: Option<&str>) -> String {
    match (&config.name, &config.path, pg) {
        (_, Some(path), _) => format!("cache file {path:?}"),
        (Some(name), None, _) => format!("cache {name:?}"),
        (None, None, Some(table)) => format!("cache table {table}"),
        _ => "cache".into(),
    }
}

impl SharedCache {
    /// Refuses to join an open cache with options it does not have: a second `RustLLMCache({ name })`
    /// asking for other bounds, another TTL, file or table gets an error naming the cache (options
    /// not given are taken from the open cache).
    fn check_same(&self, config: &CacheConfig, pg_identity: Option<&str>, what: &str) -> Result<(), String> {
        let mut conflicts = Vec::new();
        if let Some(v) = config.max_entries.filter(|v| *v != self.max_entries) {
            conflicts.push(format!("maxEntries {} (open with {})", v, self.max_entries));
        }
        if let Some(v) = config.max_bytes.filter(|v| *v != self.max_bytes) {
            conflicts.push(format!("maxBytes {} (open with {})", v, self.max_bytes));
        }
        if config.default_ttl_ms.is_some() && config.default_ttl_ms != self.default_ttl_ms {
            let open = self.default_ttl_ms.map_or("no ttl".into(), |t| format!("{t}"));
            conflicts.push(format!("ttl {} ms (open with {open})", config.default_ttl_ms.unwrap_or(0)));
        }
        let open_pg = self.postgres.as_ref().map(|p| p.identity.as_str());
        if pg_identity.is_some() && pg_identity != open_pg {
            conflicts.push(format!("postgres {} (open with {})", pg_identity.unwrap_or(""), open_pg.unwrap_or("none")));
        } else if let Some(asked) = config.postgres.as_ref().map(|p| connection_hash(&p.conn_string)) {
            if Some(asked) != self.pg_connection {
                conflicts.push("postgres connection settings (user, password or TLS) other than the open tier's".into());
            }
        }
        if conflicts.is_empty() {
            return Ok(());
        }
        Err(format!(
            "the {what} is already open in this process with other options: {}; give the same options (or none) or another name",
            conflicts.join(", ")
        ))
    }

    /// Opens (or joins, for a name, file or table already open in this process) a cache.
    pub fn open(config: CacheConfig) -> Result<Arc<Self>, String> {
        let pg_identity = config
            .postgres
            .as_ref()
            .map(|p| {
                crate::postgres::connect::parse_config(&p.conn_string, None)
                    .map(|(c, _)| format!("{} {}.{}", crate::postgres::connect::describe_target(&c), p.schema, p.table))
            })
            .transpose()?;
        let identity = match (&config.name, &config.path, &pg_identity) {
            (_, Some(path), _) => {
                Some(format!("path:{}", std::fs::canonicalize(path).map(|p| p.display().to_string()).unwrap_or(path.clone())))
            }
            (Some(name), None, _) => Some(format!("name:{name}")),
            (None, None, Some(table)) => {
                let hash = config.postgres.as_ref().map(|p| connection_hash(&p.conn_string)).unwrap_or(0);
                Some(format!("postgres:{table}#{hash:016x}"))
            }
            (None, None, None) => None,
        };
        let what = describe_identity(&config, pg_identity.as_deref());
        let mut reg = registry().lock().map_err(|_| "cache registry lock poisoned".to_string())?;
        if let Some(existing) = identity.as_ref().and_then(|id| reg.get(id)) {
            existing.check_same(&config, pg_identity.as_deref(), &what)?;
            return Ok(existing.clone());
        }
        let max_entries = config.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
        let max_bytes = config.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
        let memory = CacheStore::new(Bounds { max_entries, max_bytes, default_ttl_ms: config.default_ttl_ms })?;
        let (disk, disk_error) = match &config.path {
            None => (None, None),
            Some(path) => match DiskTier::open(path, max_entries, max_bytes) {
                Ok(d) => (Some(d), None),
                Err(OpenError::NotACache(message)) => return Err(message),
                Err(OpenError::Unusable(message)) => (None, Some(message)),
            },
        };
        let pg_connection = config.postgres.as_ref().map(|p| connection_hash(&p.conn_string));
        let postgres = match config.postgres {
            Some(pg) => Some(PgTier::open(pg, max_entries, max_bytes)?),
            None => None,
        };
        let cache = Arc::new(Self {
            memory: Mutex::new(memory),
            disk,
            postgres,
            disk_error: Mutex::new(disk_error),
            default_ttl_ms: config.default_ttl_ms,
            max_entries,
            max_bytes,
            pg_connection,
        });
        if let Some(id) = identity {
            reg.insert(id, cache.clone());
        }
        Ok(cache)
    }

    /// See `disk_error`.
    pub fn disk_error(&self) -> Option<String> {
        self.disk_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
        let (value, expires_at) = match disk.get(key, now as i64) {
            Ok(hit) => hit?,
            Err(e) => {
                *self.disk_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                return None;
            }
        };
        let ttl = expires_at.map(|t| (t as u64).saturating_sub(now).max(1));
        let mut memory = self.memory();
        let _ = memory.set(key, &value, ttl, now);
        memory.count_disk_hit();
        Some(value)
    }

    /// A memory miss looked up in the PostgreSQL tier (None without one); a hit is kept in memory for
    /// the time it has left to live there.
    pub async fn get_remote(&self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let Some(pg) = &self.postgres else { return Ok(None) };
        let Some((value, left_ms)) = pg.get(key_hash(key), key.to_vec()).await? else { return Ok(None) };
        let mut memory = self.memory();
        let _ = memory.set(key, &value, left_ms.map(|t| t.max(1) as u64), now_ms());
        memory.count_disk_hit();
        Ok(Some(value))
    }

    pub fn set(&self, key: &[u8], value: &[u8], ttl_ms: Option<u64>) -> Result<(), String> {
        let now = now_ms();
        self.memory().set(key, value, ttl_ms, now)?;
        if key.len() + value.len() + super::store::ENTRY_OVERHEAD > self.max_bytes {
            // Too large for the bound: not cached in any tier, and the stale value of the key goes too.
            self.delete(key);
            return Ok(());
        }
        let ttl = ttl_ms.or(self.default_ttl_ms);
        if let Some(disk) = &self.disk {
            disk.put(key, value, ttl, now as i64);
        }
        if let Some(pg) = &self.postgres {
            pg.queue.push(Op::Put {
                hash: key_hash(key),
                key: key.to_vec(),
                value: value.to_vec(),
                ttl_ms: ttl,
                now: now as i64,
            });
        }
        Ok(())
    }

    pub fn delete(&self, key: &[u8]) -> bool {
        if let Some(disk) = &self.disk {
            disk.delete(key);
        }
        if let Some(pg) = &self.postgres {
            pg.queue.push(Op::Delete { hash: key_hash(key) });
        }
        self.memory().delete(key)
    }

    pub fn clear(&self, prefixes: Vec<Vec<u8>>) -> usize {
        let n = self.memory().clear(&prefixes);
        if let Some(pg) = &self.postgres {
            pg.queue.push(Op::Clear { prefixes: prefixes.clone() });
        }
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

    /// Resolves when every write queued so far reached the persistent tiers (or was dropped at a
    /// queue's bound); the JavaScript thread does not wait.
    pub async fn flush(&self) {
        if let Some(disk) = &self.disk {
            disk.flush().await;
        }
        if let Some(pg) = &self.postgres {
            pg.queue.flush().await;
        }
    }

    pub fn disk(&self) -> Option<&DiskTier> {
        self.disk.as_ref()
    }

    pub fn disk_path(&self) -> Option<&str> {
        self.disk.as_ref().map(|d| d.path.as_str())
    }
}
