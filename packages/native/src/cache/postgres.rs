//! The PostgreSQL tier: one table shared by every process and machine that opens it. Exact keys (the
//! xxh3-128 hash is the primary key, the full key is compared on a hit), expiry and last use on the
//! server's clock (so writers on several machines agree), and one bound in bytes and entries kept
//! across all writers: statement-level triggers keep a one-row ledger of live entries and bytes, and every write
//! transaction locks that row first, applies its batch, then deletes the least recently used rows
//! until the ledger is within the bound. Connections, TLS, retries and error messages are
//! RustPostgresSaver's (crate::postgres::connect). Reads are point reads on napi's tokio runtime;
//! writes go through the bounded write-behind queue (queue.rs) to one writer task.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::error::SqlState;

use super::queue::{Op, QueueBounds, WriteQueue};
use super::store::ENTRY_OVERHEAD;
use crate::postgres::connect::{self, Failure, PoolOptions};
use crate::postgres::tables::Tables;

/// The server's clock in ms since the epoch.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

pub struct PgConfig {
    pub conn_string: String,
    pub schema: String,
    pub table: String,
    pub max_connections: usize,
    pub connect_timeout: Duration,
}

struct Names {
    entries: String,
    ledger: String,
    account: String,
    trigger: String,
    by_use: String,
    by_expiry: String,
    schema: String,
    lock: String,
}

fn names(schema: &str, table: &str) -> Result<Names, String> {
    for (what, name) in [("schema", schema), ("table", table)] {
        if name.is_empty() || name.len() > 50 || name.contains(['"', '\0', '$']) {
            return Err(format!(
                "postgres {what} name {name:?} is not usable (empty, longer than 50 bytes, or holds \", $ or NUL)"
            ));
        }
    }
    let q = |n: &str| format!("\"{schema}\".\"{n}\"");
    Ok(Names {
        entries: q(table),
        ledger: q(&format!("{table}_ledger")),
        account: q(&format!("{table}_account")),
        trigger: format!("{table}_account"),
        by_use: format!("\"{table}_by_use\""),
        by_expiry: format!("\"{table}_by_expiry\""),
        schema: format!("\"{schema}\""),
        lock: format!("fast-langgraph cache {schema}.{table}"),
    })
}

pub struct PgTier {
    /// host:port/database schema.table, for messages and to tell tiers apart (never the password).
    pub identity: String,
    target: String,
    pool: Pool,
    names: Names,
    tables: Tables,
    ready: AtomicBool,
    pub queue: Arc<WriteQueue>,
    pub last_error: Mutex<Option<String>>,
    /// The ledger as the writer last read it (-1 before the first write).
    pub entries: AtomicI64,
    pub bytes: AtomicI64,
    /// Writes given up on (their batch failed every attempt).
    pub failed_writes: AtomicU64,
    /// Until when (ms since the epoch) reads answer as misses at once: after a read could not reach the
    /// server, the next ones do not each wait for the connection retries (about 4 s) again.
    reads_paused_until_ms: AtomicU64,
    max_entries: i64,
    max_bytes: i64,
}

/// Rows per write transaction and bytes per transaction.
const BATCH_OPS: usize = 500;
const BATCH_BYTES: usize = 4 << 20;
/// How often the writer tries a batch again after a failure that survived connect.rs's own retries
/// (about 3.7 s each): 8 more attempts, a second apart, ride out a restart of about 35 s.
const WRITE_ATTEMPTS: usize = 9;
/// How long reads answer as misses without trying the server, after a read could not reach it.
const READ_PAUSE_MS: u64 = 5_000;

fn epoch_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl PgTier {
    pub fn open(config: PgConfig, max_entries: usize, max_bytes: usize) -> Result<Arc<Self>, String> {
        let names = names(&config.schema, &config.table)?;
        let tables = Tables::new(&config.schema)?;
        let (mut pg, tls) = connect::parse_config(&config.conn_string, None)?;
        if pg.get_application_name().is_none() {
            pg.application_name("fast-langgraph cache");
        }
        let target = connect::describe_target(&pg);
        let pool = connect::build_pool(
            pg,
            &tls,
            &PoolOptions {
                max_connections: config.max_connections,
                connect_timeout: Some(config.connect_timeout),
                toast_compression: None,
            },
        )?;
        connect::close_idle_connections(&pool, Duration::from_secs(10), Arc::default());
        let tier = Arc::new(Self {
            identity: format!("{target} {}.{}", config.schema, config.table),
            target,
            pool,
            names,
            tables,
            ready: AtomicBool::new(false),
            queue: Arc::new(WriteQueue::new(QueueBounds::for_tier(max_bytes))),
            last_error: Mutex::new(None),
            entries: AtomicI64::new(-1),
            bytes: AtomicI64::new(-1),
            failed_writes: AtomicU64::new(0),
            reads_paused_until_ms: AtomicU64::new(0),
            max_entries: max_entries as i64,
            max_bytes: max_bytes as i64,
        });
        let weak = Arc::downgrade(&tier);
        let queue = tier.queue.clone();
        napi::bindgen_prelude::spawn(write_task(weak, queue));
        Ok(tier)
    }

    fn describe(&self, f: &Failure) -> String {
        format!("cache table {} at {}: {}", self.names.entries, self.target, f.describe(&self.target, &self.tables))
    }

    fn pause_reads(&self) {
        self.reads_paused_until_ms.store(epoch_ms() + READ_PAUSE_MS, Ordering::Relaxed);
    }

    fn record(&self, message: &str) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message.to_string());
    }

    /// Creates the schema, table, ledger and trigger if missing (once per process, again after a failure).
    pub async fn ensure_ready(&self) -> Result<(), String> {
        if self.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        // Two callers may both create: harmless (an advisory lock and IF NOT EXISTS).
        connect::with_client(&self.pool, &self.target, |mut client| async move { create_tables(&mut client, &self.names).await })
            .await
            .map_err(|f| {
                let m = self.describe(&f);
                self.record(&m);
                m
            })?;
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// A point read: the value and the ms it has left to live (None: no expiry), on the server's clock.
    pub async fn get(&self, hash: Vec<u8>, key: Vec<u8>) -> Result<Option<(Vec<u8>, Option<i64>)>, String> {
        let now = epoch_ms();
        if now < self.reads_paused_until_ms.load(Ordering::Relaxed) {
            let last = self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
            return Err(format!(
                "reads paused for up to {} s after the server could not be reached: {last}",
                READ_PAUSE_MS / 1000
            ));
        }
        self.ensure_ready().await.inspect_err(|_| self.pause_reads())?;
        let sql = format!(
            "SELECT key, value, expires_at - {NOW_MS} FROM {} WHERE key_hash = $1 AND (expires_at IS NULL OR expires_at > {NOW_MS})",
            self.names.entries
        );
        let row = connect::with_client(&self.pool, &self.target, |client| {
            let (sql, hash) = (sql.clone(), hash.clone());
            async move {
                let statement = client.prepare_cached(&sql).await?;
                Ok(client.query_opt(&statement, &[&hash]).await?)
            }
        })
        .await
        .map_err(|f| {
            if matches!(&f, Failure::Pg(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE)) {
                self.ready.store(false, Ordering::Release);
            }
            if f.retryable() {
                self.pause_reads();
            }
            let m = self.describe(&f);
            self.record(&m);
            m
        })?;
        let Some(row) = row else { return Ok(None) };
        let stored: Vec<u8> = row.get(0);
        if stored != key {
            return Ok(None);
        }
        self.queue.push(Op::Touch { hash, now: 0 });
        Ok(Some((row.get(1), row.get(2))))
    }

    async fn write(&self, batch: &[(u64, Op)]) -> Result<(i64, i64), Failure> {
        let segments = segments(batch);
        let (names, max_entries, max_bytes) = (&self.names, self.max_entries, self.max_bytes);
        connect::with_client(&self.pool, &self.target, |mut client| {
            let segments = &segments;
            async move { write_batch(&mut client, names, segments, max_entries, max_bytes).await }
        })
        .await
    }
}

async fn create_tables(client: &mut Object, n: &Names) -> Result<(), Failure> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&n.lock]).await?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {entries} (
            key_hash bytea PRIMARY KEY, key bytea NOT NULL, value bytea NOT NULL, size bigint NOT NULL,
            expires_at bigint, last_used bigint NOT NULL);
         CREATE INDEX IF NOT EXISTS {by_use} ON {entries} (last_used);
         CREATE INDEX IF NOT EXISTS {by_expiry} ON {entries} (expires_at) WHERE expires_at IS NOT NULL;
         CREATE TABLE IF NOT EXISTS {ledger} (id int PRIMARY KEY, entries bigint NOT NULL, bytes bigint NOT NULL);
         INSERT INTO {ledger} (id, entries, bytes) VALUES (1, 0, 0) ON CONFLICT DO NOTHING;
         CREATE OR REPLACE FUNCTION {account}() RETURNS trigger LANGUAGE plpgsql AS $flg$
         BEGIN
           IF TG_OP = 'INSERT' THEN
             UPDATE {ledger} SET entries = entries + d.n, bytes = bytes + d.b
               FROM (SELECT count(*) AS n, COALESCE(sum(size), 0) AS b FROM new_rows) AS d WHERE id = 1 AND d.n > 0;
           ELSIF TG_OP = 'DELETE' THEN
             UPDATE {ledger} SET entries = entries - d.n, bytes = bytes - d.b
               FROM (SELECT count(*) AS n, COALESCE(sum(size), 0) AS b FROM old_rows) AS d WHERE id = 1 AND d.n > 0;
           ELSE
             UPDATE {ledger} SET bytes = bytes + d.b
               FROM (SELECT COALESCE((SELECT sum(size) FROM new_rows), 0) - COALESCE((SELECT sum(size) FROM old_rows), 0) AS b) AS d
               WHERE id = 1 AND d.b <> 0;
           END IF;
           RETURN NULL;
         END $flg$;",
        schema = n.schema,
        entries = n.entries,
        by_use = n.by_use,
        by_expiry = n.by_expiry,
        ledger = n.ledger,
        account = n.account,
    ))
    .await?;
    // Statement-level triggers with transition tables: one ledger update per statement, not per row.
    for (suffix, event, transition) in [
        ("ins", "INSERT", "NEW TABLE AS new_rows"),
        ("del", "DELETE", "OLD TABLE AS old_rows"),
        ("upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ] {
        let name = format!("{}_{suffix}", n.trigger);
        let exists = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1::text::regclass AND tgname = $2)",
                &[&n.entries, &name],
            )
            .await?
            .get::<_, bool>(0);
        if !exists {
            tx.batch_execute(&format!(
                "CREATE TRIGGER \"{name}\" AFTER {event} ON {} REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {}()",
                n.entries, n.account
            ))
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A put as the table stores it: key, value, ms to live.
type Row = (Vec<u8>, Vec<u8>, Option<i64>);

/// What a run of operations between two clears leaves behind: the last word on each key wins.
#[derive(Default)]
struct Segment {
    clear_before: Option<Vec<Vec<u8>>>,
    puts: HashMap<Vec<u8>, Row>,
    deletes: HashSet<Vec<u8>>,
    touches: HashSet<Vec<u8>>,
}

fn segments(batch: &[(u64, Op)]) -> Vec<Segment> {
    let mut out = vec![Segment::default()];
    for (_, op) in batch {
        let seg = out.last_mut().expect("at least one segment");
        match op {
            Op::Put { hash, key, value, ttl_ms, .. } => {
                seg.deletes.remove(hash);
                seg.touches.remove(hash);
                seg.puts.insert(hash.clone(), (key.clone(), value.clone(), ttl_ms.map(|t| t as i64)));
            }
            Op::Touch { hash, .. } => {
                if !seg.puts.contains_key(hash) && !seg.deletes.contains(hash) {
                    seg.touches.insert(hash.clone());
                }
            }
            // Every batch drops the expired rows anyway (and this tier queues no Forget of its own).
            Op::Forget { .. } => {}
            Op::Delete { hash } => {
                seg.puts.remove(hash);
                seg.touches.remove(hash);
                seg.deletes.insert(hash.clone());
            }
            Op::Clear { prefixes } => out.push(Segment { clear_before: Some(prefixes.clone()), ..Segment::default() }),
        }
    }
    out
}

/// One transaction: lock the ledger, apply the batch, drop expired rows, evict to the bound.
async fn write_batch(
    client: &mut Object,
    n: &Names,
    segments: &[Segment],
    max_entries: i64,
    max_bytes: i64,
) -> Result<(i64, i64), Failure> {
    let tx = client.transaction().await?;
    tx.execute(&format!("SELECT 1 FROM {} WHERE id = 1 FOR UPDATE", n.ledger), &[]).await?;
    for seg in segments {
        if let Some(prefixes) = &seg.clear_before {
            if prefixes.is_empty() {
                tx.execute(&format!("DELETE FROM {}", n.entries), &[]).await?;
            }
            for p in prefixes {
                let len = p.len() as i32;
                tx.execute(&format!("DELETE FROM {} WHERE substring(key from 1 for $2) = $1", n.entries), &[p, &len]).await?;
            }
        }
        if !seg.deletes.is_empty() {
            let hashes: Vec<&Vec<u8>> = seg.deletes.iter().collect();
            tx.execute(&format!("DELETE FROM {} WHERE key_hash = ANY($1)", n.entries), &[&hashes]).await?;
        }
        if !seg.puts.is_empty() {
            let mut hashes = Vec::with_capacity(seg.puts.len());
            let (mut keys, mut values, mut sizes, mut ttls) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (h, (k, v, ttl)) in &seg.puts {
                hashes.push(h);
                sizes.push((k.len() + v.len() + ENTRY_OVERHEAD) as i64);
                keys.push(k);
                values.push(v);
                ttls.push(*ttl);
            }
            let sql = format!(
                "INSERT INTO {e} (key_hash, key, value, size, expires_at, last_used)
                 SELECT h, k, v, s, CASE WHEN t IS NULL THEN NULL ELSE now_ms + t END, now_ms
                 FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::int8[], $5::int8[]) AS u(h, k, v, s, t),
                      (SELECT {NOW_MS} AS now_ms) AS c
                 ON CONFLICT (key_hash) DO UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value, size = EXCLUDED.size,
                   expires_at = EXCLUDED.expires_at, last_used = EXCLUDED.last_used",
                e = n.entries
            );
            tx.execute(&sql, &[&hashes, &keys, &values, &sizes, &ttls]).await?;
        }
        if !seg.touches.is_empty() {
            let hashes: Vec<&Vec<u8>> = seg.touches.iter().collect();
            tx.execute(&format!("UPDATE {} SET last_used = {NOW_MS} WHERE key_hash = ANY($1)", n.entries), &[&hashes]).await?;
        }
    }
    tx.execute(&format!("DELETE FROM {} WHERE expires_at <= {NOW_MS}", n.entries), &[]).await?;
    let ledger_sql = format!("SELECT entries, bytes FROM {} WHERE id = 1", n.ledger);
    let evict_sql = format!(
        "WITH o AS (SELECT key_hash, size, last_used FROM {e} ORDER BY last_used, key_hash LIMIT 1000),
              v AS (SELECT key_hash, size, row_number() OVER w AS n, (sum(size) OVER w)::int8 AS freed
                    FROM o WINDOW w AS (ORDER BY last_used, key_hash))
         DELETE FROM {e} USING v WHERE {e}.key_hash = v.key_hash AND (v.n <= $1::int8 OR v.freed - v.size < $2::int8)",
        e = n.entries
    );
    let (entries, bytes) = loop {
        let row = tx.query_one(&ledger_sql, &[]).await?;
        let (entries, bytes): (i64, i64) = (row.get(0), row.get(1));
        if entries <= max_entries && bytes <= max_bytes {
            break (entries, bytes);
        }
        let (excess_entries, excess_bytes) = ((entries - max_entries).max(0), (bytes - max_bytes).max(0));
        if tx.execute(&evict_sql, &[&excess_entries, &excess_bytes]).await? == 0 {
            break (entries, bytes);
        }
    };
    tx.commit().await?;
    Ok((entries, bytes))
}

/// The writer: one batch at a time, retried through outages, until the tier is dropped.
async fn write_task(tier: Weak<PgTier>, queue: Arc<WriteQueue>) {
    // After a batch was given up, later batches get one attempt each until one succeeds: a long
    // outage costs each batch connect.rs's ~3.7 s, not ~35 s, so flush() stays bounded.
    let mut down = false;
    loop {
        let batch = queue.next_batch(BATCH_OPS, BATCH_BYTES).await;
        if batch.is_empty() {
            return;
        }
        let last = batch.last().map_or(0, |(seq, _)| *seq);
        let Some(t) = tier.upgrade() else { return };
        let attempts = if down { 1 } else { WRITE_ATTEMPTS };
        let mut written = false;
        for attempt in 0..attempts {
            let result = match t.ensure_ready().await {
                Ok(()) => t.write(&batch).await.map_err(|f| match &f {
                    Failure::Pg(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                        // Dropped behind our back: create it again on the next attempt.
                        t.ready.store(false, Ordering::Release);
                        (t.describe(&f), true)
                    }
                    _ => (t.describe(&f), f.retryable()),
                }),
                // Not reached the server, or refused: only an outage is worth waiting for.
                Err(m) => {
                    let outage = m.contains("cannot reach")
                        || m.contains("timed out")
                        || m.contains("restarting")
                        || m.contains("was closed");
                    Err((m, outage))
                }
            };
            match result {
                Ok((entries, bytes)) => {
                    t.entries.store(entries, Ordering::Relaxed);
                    t.bytes.store(bytes, Ordering::Relaxed);
                    written = true;
                    break;
                }
                Err((m, retry)) => {
                    t.record(&format!("{m} (write attempt {} of {attempts})", attempt + 1));
                    if !retry {
                        break;
                    }
                    if attempt + 1 < attempts {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
        down = !written;
        if !written {
            t.failed_writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
        queue.complete(last);
    }
}

impl Drop for PgTier {
    fn drop(&mut self) {
        self.queue.close();
        self.pool.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_unusable_ones_refused() {
        let n = names("my schema", "llm_cache").unwrap();
        assert_eq!(n.entries, "\"my schema\".\"llm_cache\"");
        assert_eq!(n.ledger, "\"my schema\".\"llm_cache_ledger\"");
        for (s, t) in [("a\"b", "t"), ("s", "t$x"), ("s", ""), ("s", &"x".repeat(51))] {
            assert!(names(s, t).is_err(), "{s:?} {t:?}");
        }
    }

    #[test]
    fn the_last_word_on_a_key_wins_within_a_segment() {
        let put = |h: u8| Op::Put { hash: vec![h], key: vec![h], value: vec![h], ttl_ms: Some(5), now: 0 };
        let batch =
            vec![(1, put(1)), (2, Op::Delete { hash: vec![1] }), (3, put(2)), (4, Op::Clear { prefixes: vec![] }), (5, put(1))];
        let segs = segments(&batch);
        assert_eq!(segs.len(), 2);
        assert!(segs[0].puts.contains_key(&vec![2]) && !segs[0].puts.contains_key(&vec![1]));
        assert!(segs[0].deletes.contains(&vec![1]));
        assert!(segs[1].clear_before.as_ref().is_some_and(Vec::is_empty));
        assert!(segs[1].puts.contains_key(&vec![1]));
    }
}
