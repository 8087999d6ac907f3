//! The napi class over the PostgreSQL engine. Every method returns a promise resolved on napi's tokio
//! runtime: the JavaScript thread never waits on the network or the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::connect::{self, Failure, PoolOptions};
use super::prune_load::{self, Present};
use super::tables::Tables;
use super::{history, prune, read, schema, thread_lock, write};
use crate::checkpoint::js_types::*;
use crate::checkpoint::prune_options::{self, PruneReport};
use crate::checkpoint::requests::{list_query, put_increments, put_input, put_result, put_writes_input};
use crate::error::{engine_error, invalid_arg};

#[napi(object)]
pub struct PostgresStoreOptions {
    /// Schema holding the tables (default "public"), as the official saver's `schema` option.
    pub schema: Option<String>,
    /// Connections kept in the pool (default 10).
    pub max_connections: Option<u32>,
    /// How long making a connection (TCP, TLS, startup, authentication) may take, in ms (default
    /// 5000; 0: no limit, as node-postgres's `connectionTimeoutMillis` 0). Waiting for a free pooled
    /// connection is bounded by twice this.
    pub connect_timeout_ms: Option<u32>,
    /// Further attempts when no connection can be made (refused, unreachable, timed out, the server
    /// starting up), after 50, 200, 500, 1000 ms and then 2000 ms each (default 0: one attempt, as
    /// node-postgres makes it; 5 rides out a restart of about 3.7 s). A fault of a connection that was
    /// made (closed under the call, a serialization failure) still runs the call again on another
    /// connection, at most 5 times.
    pub connect_retries: Option<u32>,
    /// How the server compresses large values written here: "lz4" (default; cheaper for the server than
    /// pglz), "pglz", or "server" (the server's default_toast_compression).
    pub toast_compression: Option<String>,
    /// A pooled connection idle this long is closed, in ms (default 10000, node-postgres's
    /// `idleTimeoutMillis` default; 0 keeps idle connections open, as it does there). Idle time counts
    /// from when the connection was last handed out.
    pub idle_timeout_ms: Option<u32>,
    /// TLS settings as PEM text; when given they replace the connection string's sslmode, sslrootcert,
    /// sslcert and sslkey, and TLS is required.
    pub tls: Option<PostgresTlsOptions>,
}

#[napi(object)]
pub struct PostgresTlsOptions {
    /// CA certificates to trust, PEM (default: the Mozilla roots compiled in, webpki-roots).
    pub ca: Option<String>,
    /// A client certificate (PEM), sent when the server asks for one; needs `key`.
    pub cert: Option<String>,
    /// The client certificate's private key: PEM, unencrypted (PKCS#1, PKCS#8 or SEC1).
    pub key: Option<String>,
    /// "full" (default): the chain leads to a trusted root and the certificate names the host;
    /// "chain": the chain only; "none": encrypted, the certificate unchecked.
    pub verify: Option<String>,
}

#[napi(object)]
pub struct PostgresSetupResult {
    /// The official PostgresSaver's migration version afterwards (its numbering starts at 0).
    pub official_version: i32,
    /// Our compact layout's migration version afterwards.
    pub compact_version: i32,
}

#[napi(object)]
pub struct PostgresVacuumResult {
    /// pg_total_relation_size of the checkpoint tables together, before VACUUM, in bytes.
    pub bytes_before: i64,
    pub bytes_after: i64,
}

#[napi(object)]
pub struct PoolStatus {
    pub size: u32,
    pub available: u32,
    pub waiting: u32,
    pub max_size: u32,
    /// Idle connections are closed after this many ms (0: never).
    pub idle_timeout_ms: u32,
    /// Connections closed so far for being idle longer than that.
    pub idle_closed: u32,
    /// How long making a connection may take, in ms (0: no limit).
    pub connect_timeout_ms: u32,
    /// Further attempts when no connection can be made (0: one attempt per call).
    pub connect_retries: u32,
}

struct Inner {
    pool: Pool,
    tables: Tables,
    target: String,
    idle_timeout: Option<Duration>,
    idle_closed: Arc<AtomicU32>,
    connect_timeout: Option<Duration>,
    connect_retries: u32,
}

impl Inner {
    fn fail(&self, f: Failure) -> Error {
        engine_error("RustPostgresSaver", f.describe(&self.target, &self.tables))
    }

    /// Runs `op` on a pooled connection. A database that PostgresSaver set up but we never did (a
    /// drop-in replacement without a setup() call) gets our tables on first use; a schema nobody set
    /// up stays an error that says to call setup().
    async fn run<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut(deadpool_postgres::Object) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
    {
        match connect::with_client_retrying(&self.pool, &self.target, self.connect_retries, &mut op).await {
            Err(Failure::Pg(e)) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                if !self.adopt_official_schema().await? {
                    return Err(self.fail(Failure::Pg(e)));
                }
                connect::with_client_retrying(&self.pool, &self.target, self.connect_retries, op).await.map_err(|f| self.fail(f))
            }
            other => other.map_err(|f| self.fail(f)),
        }
    }

    async fn adopt_official_schema(&self) -> Result<bool> {
        let tables = self.tables.clone();
        connect::with_client_retrying(&self.pool, &self.target, self.connect_retries, |mut client| {
            let tables = tables.clone();
            async move {
                let row = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&tables.migrations]).await?;
                if !row.get::<_, bool>(0) {
                    return Ok(false);
                }
                schema::migrate(&mut client, &tables).await?;
                Ok(true)
            }
        })
        .await
        .map_err(|f| self.fail(f))
    }
}

#[napi]
pub struct PostgresCheckpointStore {
    inner: Arc<Inner>,
}

#[napi]
impl PostgresCheckpointStore {
    /// A pool for `connString` (postgresql://user:password@host:port/db); no connection is opened yet.
    #[napi(constructor)]
    pub fn new(conn_string: String, options: Option<PostgresStoreOptions>) -> Result<Self> {
        let options = options.unwrap_or(PostgresStoreOptions {
            schema: None,
            max_connections: None,
            connect_timeout_ms: None,
            connect_retries: None,
            toast_compression: None,
            idle_timeout_ms: None,
            tls: None,
        });
        let toast_compression = match options.toast_compression.as_deref().unwrap_or("lz4") {
            "lz4" => Some("lz4"),
            "pglz" => Some("pglz"),
            "server" => None,
            other => {
                return Err(invalid_arg(format!(
                    "RustPostgresSaver: toastCompression must be \"lz4\", \"pglz\" or \"server\", got {other:?}"
                )))
            }
        };
        let tables = Tables::new(options.schema.as_deref().unwrap_or("public")).map_err(invalid_arg)?;
        let explicit = options.tls.map(|t| super::tls::ExplicitTls { ca: t.ca, cert: t.cert, key: t.key, verify: t.verify });
        let (config, tls) =
            connect::parse_config(&conn_string, explicit).map_err(|m| invalid_arg(format!("RustPostgresSaver: {m}")))?;
        let target = connect::describe_target(&config);
        let max_connections = options.max_connections.unwrap_or(10).max(1) as usize;
        let connect_timeout = match options.connect_timeout_ms.unwrap_or(5000) {
            0 => None,
            ms => Some(Duration::from_millis(ms as u64)),
        };
        let connect_retries = options.connect_retries.unwrap_or(0);
        let pool = connect::build_pool(config, &tls, &PoolOptions { max_connections, connect_timeout, toast_compression })
            .map_err(|m| engine_error("RustPostgresSaver", m))?;
        let idle_timeout = match options.idle_timeout_ms.unwrap_or(10_000) {
            0 => None,
            ms => Some(Duration::from_millis(ms as u64)),
        };
        let idle_closed = Arc::new(AtomicU32::new(0));
        if let Some(idle) = idle_timeout {
            connect::close_idle_connections(&pool, idle, idle_closed.clone());
        }
        Ok(Self { inner: Arc::new(Inner { pool, tables, target, idle_timeout, idle_closed, connect_timeout, connect_retries }) })
    }

    /// host:port/database, for messages and diagnostics.
    #[napi(getter)]
    pub fn target(&self) -> String {
        self.inner.target.clone()
    }

    #[napi(getter)]
    pub fn schema(&self) -> String {
        self.inner.tables.schema.clone()
    }

    #[napi(getter)]
    pub fn ended(&self) -> bool {
        self.inner.pool.is_closed()
    }

    #[napi]
    pub fn pool_status(&self) -> PoolStatus {
        let s = self.inner.pool.status();
        PoolStatus {
            size: s.size as u32,
            available: s.available as u32,
            waiting: s.waiting as u32,
            max_size: s.max_size as u32,
            idle_timeout_ms: self.inner.idle_timeout.map_or(0, |d| d.as_millis() as u32),
            idle_closed: self.inner.idle_closed.load(Ordering::Relaxed),
            connect_timeout_ms: self.inner.connect_timeout.map_or(0, |d| d.as_millis() as u32),
            connect_retries: self.inner.connect_retries,
        }
    }

    /// Closes the pool; later calls fail with an error saying so.
    #[napi]
    pub fn end(&self) {
        self.inner.pool.close();
    }

    /// Creates the schema and runs every missing migration (the official saver's, then ours).
    #[napi]
    pub async fn setup(&self) -> Result<PostgresSetupResult> {
        let inner = self.inner.clone();
        let tables = inner.tables.clone();
        let (official_version, compact_version) = inner
            .run(|mut client| {
                let tables = tables.clone();
                async move { schema::migrate(&mut client, &tables).await }
            })
            .await?;
        Ok(PostgresSetupResult { official_version, compact_version })
    }

    /// Stores a checkpoint: in the official PostgresSaver's tables with `official`, else in ours.
    #[napi]
    pub async fn put(&self, req: PutRequest, official: bool) -> Result<PutResult> {
        let increments = put_increments(&req)?;
        let inner = self.inner.clone();
        let input = put_input(&req, &increments).map_err(|m| inner.fail(Failure::Message(m)))?;
        let outcome = inner
            .run(|mut client| {
                let (t, input) = (&inner.tables, &input);
                async move {
                    let mut row_tokens = HashMap::new();
                    if official {
                        write::put_official(&client, t, input).await.map(|o| (o, None))
                    } else {
                        let tx = client.transaction().await?;
                        // Shared: puts never wait for each other, only for a prune of this thread. Sent
                        // ahead of the put's first statement, in the same round trip.
                        let (locked, outcome) = futures_util::join!(
                            thread_lock::share(&tx, t, input.thread_id),
                            write::put_compact(&tx, t, input, &mut row_tokens)
                        );
                        locked?;
                        let outcome = outcome?;
                        tx.commit().await?;
                        Ok((outcome, Some(row_tokens)))
                    }
                }
            })
            .await?;
        let (outcome, row_tokens) = outcome;
        Ok(put_result(outcome, None, row_tokens))
    }

    #[napi]
    pub async fn put_writes(&self, req: PutWritesRequest, official: bool) -> Result<()> {
        let inner = self.inner.clone();
        let input = put_writes_input(&req).map_err(invalid_arg)?;
        inner
            .run(|client| {
                let (t, input) = (&inner.tables, &input);
                async move { write::put_writes(&client, t, input, official).await }
            })
            .await
    }

    #[napi]
    pub async fn get_tuple(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: Option<String>,
    ) -> Result<Option<TupleRow>> {
        let inner = self.inner.clone();
        let record = inner
            .run(|client| {
                let (t, thread_id, ns, id) = (&inner.tables, &thread_id, &checkpoint_ns, checkpoint_id.as_deref());
                async move { read::get_tuple(&client, t, thread_id, ns, id).await }
            })
            .await?;
        Ok(record.map(tuple_row))
    }

    #[napi]
    pub async fn list(&self, req: ListRequest) -> Result<Vec<TupleRow>> {
        let query = list_query(req)?;
        let inner = self.inner.clone();
        let records = inner
            .run(|client| {
                let (t, query) = (&inner.tables, &query);
                async move { read::list(&client, t, query, None).await }
            })
            .await?;
        Ok(records.into_iter().map(tuple_row).collect())
    }

    #[napi]
    pub async fn delete_thread(&self, thread_id: String) -> Result<()> {
        let inner = self.inner.clone();
        inner
            .run(|client| {
                let (t, thread_id) = (&inner.tables, &thread_id);
                async move { write::delete_thread(&client, t, thread_id).await }
            })
            .await
    }

    #[napi]
    pub async fn delta_channel_history(
        &self,
        thread_id: String,
        checkpoint_ns: String,
        checkpoint_id: String,
        channels: Vec<String>,
    ) -> Result<Vec<ChannelHistoryRow>> {
        let inner = self.inner.clone();
        let history = inner
            .run(|client| {
                let (t, thread_id, ns, id, channels) = (&inner.tables, &thread_id, &checkpoint_ns, &checkpoint_id, &channels);
                async move { history::delta_channel_history(&client, t, thread_id, ns, id, channels).await }
            })
            .await?;
        Ok(history.into_iter().map(history_row).collect())
    }

    #[napi]
    pub async fn pending_writes(&self, thread_id: String, checkpoint_ns: String, checkpoint_id: String) -> Result<Vec<WriteRow>> {
        let inner = self.inner.clone();
        let writes = inner
            .run(|client| {
                let (t, thread_id, ns, id) = (&inner.tables, &thread_id, &checkpoint_ns, &checkpoint_id);
                async move { read::writes(&client, t, thread_id, ns, id).await }
            })
            .await?;
        Ok(writes.into_iter().map(write_row).collect())
    }

    /// Removes what a retention policy lets go (see `prune_plan` for what is never removed), in both
    /// layouts, one thread (at most `MAX_REMOVALS_PER_TRANSACTION` checkpoints) per transaction (see
    /// `prune` for why that is safe with other writers).
    #[napi]
    pub async fn prune(&self, options: PruneOptions) -> Result<PruneResult> {
        let policy = prune_options::policy(&options)?;
        let inner = self.inner.clone();
        let t = &inner.tables;
        let present: Present = inner.run(|client| async move { prune_load::present(&client, t).await }).await?;
        let threads = match options.thread_ids {
            Some(ids) => ids,
            None => inner.run(|client| async move { prune_load::thread_ids(&client, t, present).await }).await?,
        };
        let mut report = PruneReport::default();
        for thread_id in &threads {
            let policy = &policy;
            let mut thread = PruneReport::default();
            loop {
                let (part, more) = inner
                    .run(|mut client| async move { prune::prune_thread(&mut client, t, present, thread_id, policy).await })
                    .await?;
                thread.add(part);
                if !more {
                    break;
                }
            }
            thread.threads = u32::from(thread.checkpoints > 0);
            report.add(thread);
        }
        Ok(report.into())
    }

    /// Plain VACUUM of the checkpoint tables (see `prune_load::vacuum`); their total size in bytes
    /// (pg_total_relation_size) before and after.
    #[napi]
    pub async fn vacuum(&self) -> Result<PostgresVacuumResult> {
        let inner = self.inner.clone();
        let t = &inner.tables;
        let (bytes_before, bytes_after) = inner
            .run(|client| async move {
                let present = prune_load::present(&client, t).await?;
                let before = prune_load::total_bytes(&client, t, present).await?;
                prune_load::vacuum(&client, t, present).await?;
                Ok((before, prune_load::total_bytes(&client, t, present).await?))
            })
            .await?;
        Ok(PostgresVacuumResult { bytes_before, bytes_after })
    }
}
