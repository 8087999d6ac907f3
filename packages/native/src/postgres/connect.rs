//! The connection pool, the retry policy for faults that a new connection cures, and errors that name
//! their cause (unreachable server, wrong password, missing tables) instead of a bare driver message.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Hook, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Config, NoTls};

use super::tls::{self, TlsSettings};

pub struct PoolOptions {
    pub max_connections: usize,
    /// How long making a connection (TCP, TLS, startup and authentication) may take; None: no limit,
    /// as node-postgres's `connectionTimeoutMillis` 0.
    pub connect_timeout: Option<Duration>,
    /// How new values are compressed (PostgreSQL's default_toast_compression) on our connections.
    pub toast_compression: Option<&'static str>,
}

/// Where the pool connects, for messages (never the password).
pub fn describe_target(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().or(config.get_user()).unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

/// The client configuration and the TLS settings of a connection string; `explicit` TLS settings
/// replace the string's.
pub fn parse_config(conn_string: &str, explicit: Option<tls::ExplicitTls>) -> Result<(Config, TlsSettings), String> {
    let (rest, mut tls) = tls::take_tls_params(conn_string, std::env::var("PGSSLMODE").ok().as_deref())?;
    if let Some(explicit) = explicit {
        tls = explicit.settings()?;
    }
    // The driver's cause names the option (never its value): "unknown option `nosuch`".
    let mut config: Config =
        rest.parse().map_err(|e: tokio_postgres::Error| format!("unreadable connection string: {}", source_chain(&e)))?;
    config.ssl_mode(tls.ssl_mode());
    Ok((config, tls))
}

pub fn build_pool(mut config: Config, tls: &TlsSettings, options: &PoolOptions) -> Result<Pool, String> {
    if let Some(timeout) = options.connect_timeout {
        config.connect_timeout(timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("fast-langgraph RustPostgresSaver");
    }
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = match tls::connector(tls)? {
        Some(connector) => Manager::from_config(config, connector, manager_config),
        None => Manager::from_config(config, NoTls, manager_config),
    };
    let mut builder = Pool::builder(manager);
    if let Some(method) = options.toast_compression {
        builder = builder.post_create(Hook::async_fn(move |client, _| {
            Box::pin(async move {
                // A server before 14 or built without lz4 refuses it and keeps its default: compression
                // is a storage detail that every reader undoes the same way.
                let _ = client.simple_query(&format!("SET default_toast_compression = {method}")).await;
                Ok(())
            })
        }));
    }
    builder
        .max_size(options.max_connections)
        .runtime(Runtime::Tokio1)
        .wait_timeout(options.connect_timeout.map(|t| t * 2))
        .create_timeout(options.connect_timeout)
        .recycle_timeout(options.connect_timeout)
        .build()
        .map_err(|e| format!("cannot build the connection pool: {e}"))
}

/// Closes pooled connections idle longer than `idle` (checked every `idle / 4`, between 10 ms and
/// 1 s), counting them in `closed`; the task ends with the pool (it holds only a weak reference).
pub fn close_idle_connections(pool: &Pool, idle: Duration, closed: Arc<AtomicU32>) {
    let weak = pool.weak();
    let every = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    napi::bindgen_prelude::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(pool) = weak.upgrade() else { break };
            if pool.is_closed() {
                break;
            }
            let removed = pool.retain(|_, metrics| metrics.last_used() < idle).removed;
            closed.fetch_add(removed.len() as u32, Ordering::Relaxed);
            // Dropping the clients closes their connections.
            drop(removed);
        }
    });
}

/// A failed operation: a driver error (kept whole, to decide on a retry) or a message of ours.
#[derive(Debug)]
pub enum Failure {
    Pg(tokio_postgres::Error),
    Pool(String, bool),
    Message(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Pg(e)
    }
}

impl From<String> for Failure {
    fn from(m: String) -> Self {
        Failure::Message(m)
    }
}

fn retryable_state(code: &SqlState) -> bool {
    let c = code.code();
    // connection exceptions, server shutting down or starting, serialization failures and deadlocks
    c.starts_with("08")
        || c.starts_with("57P")
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
}

impl Failure {
    /// Faults that a fresh connection or a second attempt cures. Every write is idempotent (upserts
    /// keyed by checkpoint), so a retry after an unknown outcome stores the same rows.
    pub fn retryable(&self) -> bool {
        match self {
            Failure::Pg(e) => match e.code() {
                Some(code) => retryable_state(code),
                None => fault_of(&e.to_string()).retryable() && !is_tls_refusal(e),
            },
            Failure::Pool(_, retry) => *retry,
            Failure::Message(_) => false,
        }
    }

    pub fn describe(&self, target: &str, tables: &super::tables::Tables) -> String {
        match self {
            Failure::Pg(e) => describe_pg(e, target, tables),
            Failure::Pool(m, _) | Failure::Message(m) => m.clone(),
        }
    }
}

/// What a driver error without a server error code is about. tokio-postgres keeps its error kind
/// private; its message begins with the kind's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The connection could not be made or was lost (I/O, connect, TLS handshake, timeout, closed).
    Unreachable,
    /// The server's authentication exchange failed on our side (e.g. no password for a password login).
    Authentication,
    /// A message from the server could not be read: a new connection cures a confused one.
    Protocol,
    /// A message to the server could not be written (e.g. a query too large for the protocol).
    Encoding,
    /// A value did not convert to or from its column's type (parameters, columns, row counts).
    Conversion,
    /// The connection settings themselves.
    Configuration,
    Other,
}

impl Fault {
    fn retryable(self) -> bool {
        matches!(self, Fault::Unreachable | Fault::Protocol | Fault::Other)
    }
}

fn fault_of(message: &str) -> Fault {
    const KINDS: [(&str, Fault); 16] = [
        ("error communicating with the server", Fault::Unreachable),
        ("error connecting to server", Fault::Unreachable),
        ("error performing TLS handshake", Fault::Unreachable),
        ("timeout waiting for server", Fault::Unreachable),
        ("connection closed", Fault::Unreachable),
        ("authentication error", Fault::Authentication),
        ("error parsing response from server", Fault::Protocol),
        ("unexpected message from server", Fault::Protocol),
        ("error encoding message to server", Fault::Encoding),
        ("error serializing parameter", Fault::Conversion),
        ("error deserializing column", Fault::Conversion),
        ("invalid column", Fault::Conversion),
        ("query returned an unexpected number of", Fault::Conversion),
        ("expected ", Fault::Conversion),
        ("invalid connection string", Fault::Configuration),
        ("invalid configuration", Fault::Configuration),
    ];
    KINDS.iter().find(|(prefix, _)| message.starts_with(prefix)).map(|(_, fault)| *fault).unwrap_or(Fault::Other)
}

/// A TLS alert in which the server refuses the client's certificate (or its absence).
fn client_certificate_alert(e: &tokio_postgres::Error) -> Option<rustls::AlertDescription> {
    use rustls::AlertDescription as A;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = cur {
        let tls = s.downcast_ref::<rustls::Error>().or_else(|| {
            s.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::AlertReceived(alert)) = tls {
            return matches!(
                alert,
                A::UnknownCA
                    | A::BadCertificate
                    | A::UnsupportedCertificate
                    | A::CertificateRevoked
                    | A::CertificateExpired
                    | A::CertificateUnknown
                    | A::CertificateRequired
                    | A::AccessDenied
            )
            .then_some(*alert);
        }
        cur = s.source();
    }
    None
}

/// A certificate the client refused, or a server without TLS when TLS is required: another attempt
/// would fail the same way.
fn is_tls_refusal(e: &tokio_postgres::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = cur {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) {
                return true;
            }
        }
        cur = s.source();
    }
    source_chain(e).contains("server does not support TLS")
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cur = s.source();
    }
    text
}

fn describe_pg(e: &tokio_postgres::Error, target: &str, tables: &super::tables::Tables) -> String {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        let what = if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            format!("authentication to PostgreSQL at {target} failed (wrong user or password)")
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("the database at {target} does not exist")
        } else if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME {
            format!("the checkpoint tables are missing in schema \"{}\" at {target}: call setup() first", tables.schema)
        } else if code.code().starts_with("57P") {
            format!("PostgreSQL at {target} is shutting down or restarting")
        } else {
            format!("PostgreSQL at {target}")
        };
        return format!("{what} ({} {}: {})", db.severity(), code.code(), db.message());
    }
    if e.is_closed() {
        return format!("the connection to PostgreSQL at {target} was closed (server stopped or restarted): {}", source_chain(e));
    }
    let chain = source_chain(e);
    if let Some(alert) = client_certificate_alert(e) {
        return format!("PostgreSQL at {target} refused our client certificate (TLS alert {alert:?}): {chain}");
    }
    match fault_of(&chain) {
        Fault::Unreachable => format!("cannot reach PostgreSQL at {target}: {chain}"),
        Fault::Authentication => format!("authentication to PostgreSQL at {target} failed: {chain}"),
        Fault::Protocol => format!("a message from PostgreSQL at {target} could not be read: {chain}"),
        Fault::Encoding => format!("a message to PostgreSQL at {target} could not be written: {chain}"),
        Fault::Conversion => format!(
            "a value did not convert to or from its column's type at {target} (do the checkpoint tables in schema \"{}\" have the columns setup() makes?): {chain}",
            tables.schema
        ),
        Fault::Configuration => format!("the connection settings for PostgreSQL at {target} are invalid: {chain}"),
        Fault::Other => format!("PostgreSQL at {target}: {chain}"),
    }
}

fn pool_failure(e: PoolError, target: &str) -> Failure {
    match e {
        PoolError::Backend(pg) => Failure::Pg(pg),
        PoolError::Timeout(kind) => Failure::Pool(
            format!("timed out waiting for a PostgreSQL connection to {target} ({kind:?}); is the server reachable?"),
            true,
        ),
        PoolError::Closed => Failure::Pool("the saver has been ended (end() was called)".into(), false),
        other => Failure::Pool(format!("connection pool for {target}: {other}"), false),
    }
}

/// Delays before each further attempt of an operation that met a transient fault: about 3.7 s in
/// all, enough to ride out a server restart. A further connect attempt (see `with_client_retrying`)
/// waits the same steps, the last one repeated.
const RETRY_DELAYS_MS: [u64; 5] = [50, 200, 500, 1000, 2000];

/// Further connect attempts `with_client` makes (the cache tier's policy): as many as the delays.
pub const LEGACY_CONNECT_RETRIES: u32 = RETRY_DELAYS_MS.len() as u32;

fn retry_delay(attempt: u32) -> Duration {
    Duration::from_millis(RETRY_DELAYS_MS[(attempt as usize).min(RETRY_DELAYS_MS.len() - 1)])
}

/// Runs `op` on a pooled connection, again on a fresh one after a transient fault (see
/// `with_client_retrying`), with `LEGACY_CONNECT_RETRIES` further connect attempts.
pub async fn with_client<T, F, Fut>(pool: &Pool, target: &str, op: F) -> Result<T, Failure>
where
    F: FnMut(Object) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    with_client_retrying(pool, target, LEGACY_CONNECT_RETRIES, op).await
}

/// Runs `op` on a pooled connection. Two kinds of failure, two budgets:
/// - no connection could be had (refused, unreachable, timed out, the server starting up, no free
///   connection within the wait bound): tried again at most `connect_retries` times (0: one attempt,
///   as node-postgres makes it), after the delays of `RETRY_DELAYS_MS`;
/// - a transient fault of a connection that was made (closed under the call, serialization failure,
///   deadlock): the operation runs again on another connection, at most `RETRY_DELAYS_MS.len()` times;
///   getting that connection is again under the first budget.
pub async fn with_client_retrying<T, F, Fut>(pool: &Pool, target: &str, connect_retries: u32, mut op: F) -> Result<T, Failure>
where
    F: FnMut(Object) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let (mut connect_attempt, mut op_attempt) = (0u32, 0u32);
    loop {
        match pool.get().await {
            Ok(client) => match op(client).await {
                Err(f) if f.retryable() && (op_attempt as usize) < RETRY_DELAYS_MS.len() => {
                    tokio::time::sleep(retry_delay(op_attempt)).await;
                    op_attempt += 1;
                }
                other => return other,
            },
            Err(e) => {
                let failure = pool_failure(e, target);
                if !failure.retryable() || connect_attempt >= connect_retries {
                    return Err(failure);
                }
                tokio::time::sleep(retry_delay(connect_attempt)).await;
                connect_attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_names_host_port_and_database_never_the_password() {
        let (config, _) = parse_config("postgresql://app:secret@db.internal:6543/agents", None).unwrap();
        assert_eq!(describe_target(&config), "db.internal:6543/agents");
        let (config, _) = parse_config(r"host=127.0.0.1 user=app password='it\'s \\' dbname=x", None).unwrap();
        assert_eq!(config.get_password(), Some(r"it's \".as_bytes()));
        assert_eq!(describe_target(&config), "127.0.0.1:5432/x");
    }

    #[test]
    fn tls_modes_reach_the_client_and_bad_strings_are_named() {
        let (config, tls) = parse_config("postgresql://a@b/c?sslmode=verify-full", None).unwrap();
        assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert_eq!(tls.mode, tls::Mode::VerifyFull);
        let (config, _) = parse_config("host=b sslmode=disable", None).unwrap();
        assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Disable);
        assert!(parse_config("not a url", None).unwrap_err().starts_with("unreadable connection string"));
    }

    #[test]
    fn faults_a_new_connection_cures_are_retried_others_are_not() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::CONNECTION_FAILURE,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ] {
            assert!(retryable_state(&code), "{}", code.code());
        }
        for code in [
            SqlState::UNDEFINED_TABLE,
            SqlState::INVALID_PASSWORD,
            SqlState::UNIQUE_VIOLATION,
            SqlState::UNTRANSLATABLE_CHARACTER,
        ] {
            assert!(!retryable_state(&code), "{}", code.code());
        }
        assert!(!Failure::Message("bad input".into()).retryable());
        // Faults without a server code, by the driver's message: only those of the connection are retried.
        for (message, fault) in [
            (
                "error serializing parameter 3: cannot convert between the Rust type `i64` and the Postgres type `int4`",
                Fault::Conversion,
            ),
            ("error deserializing column 0: invalid type", Fault::Conversion),
            ("expected 2 parameters but got 1", Fault::Conversion),
            ("error encoding message to server: value too large to transmit", Fault::Encoding),
            ("authentication error: password missing", Fault::Authentication),
            ("invalid configuration: host missing", Fault::Configuration),
        ] {
            assert_eq!(fault_of(message), fault, "{message}");
            assert!(!fault.retryable(), "{message}");
        }
        for message in [
            "error communicating with the server: Connection reset by peer (os error 104)",
            "error connecting to server: Connection refused (os error 111)",
            "timeout waiting for server",
            "error parsing response from server: invalid message length",
        ] {
            assert!(fault_of(message).retryable(), "{message}");
        }
        let timeout = Failure::Pg(tokio_postgres::Error::__private_api_timeout());
        assert!(timeout.retryable());
        let tables = super::super::tables::Tables::new("public").unwrap();
        assert_eq!(timeout.describe("h:5/d", &tables), "cannot reach PostgreSQL at h:5/d: timeout waiting for server");
        assert!(Failure::Pool("timed out".into(), true).retryable());
    }

    /// A listener on a free loopback port that counts accepted connections: `answer` false holds each
    /// one open without a word; true closes it at once (a server that drops every connection).
    fn counting_listener(close_at_once: bool) -> (u16, Arc<AtomicU32>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicU32::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                if !close_at_once {
                    held.push(stream);
                }
            }
        });
        (port, accepted)
    }

    fn attempt(port: u16, connect_timeout: Option<Duration>, connect_retries: u32) -> Result<(), Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let url = format!("postgresql://app:s3cret-pw@127.0.0.1:{port}/agents?sslmode=disable");
            let (config, tls) = parse_config(&url, None).unwrap();
            let options = PoolOptions { max_connections: 2, connect_timeout, toast_compression: None };
            let pool = build_pool(config, &tls, &options).unwrap();
            with_client_retrying(&pool, "127.0.0.1", connect_retries, |_client| async { Ok(()) }).await
        })
    }

    #[test]
    fn a_server_that_drops_every_connection_gets_one_attempt_plus_the_retries_asked_for() {
        let (port, accepted) = counting_listener(true);
        let tables = super::super::tables::Tables::new("public").unwrap();
        let failure = attempt(port, Some(Duration::from_secs(5)), 0).unwrap_err();
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        let message = failure.describe(&format!("127.0.0.1:{port}/agents"), &tables);
        assert!(message.contains(&format!("127.0.0.1:{port}/agents")), "{message}");
        assert!(!message.contains("s3cret-pw"), "{message}");
        attempt(port, Some(Duration::from_secs(5)), 2).unwrap_err();
        assert_eq!(accepted.load(Ordering::SeqCst), 1 + 3);
    }

    #[test]
    fn nothing_listening_fails_the_one_attempt_naming_host_and_port() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let tables = super::super::tables::Tables::new("public").unwrap();
        let failure = attempt(port, None, 0).unwrap_err();
        let message = failure.describe(&format!("127.0.0.1:{port}/agents"), &tables);
        assert!(message.starts_with(&format!("cannot reach PostgreSQL at 127.0.0.1:{port}/agents")), "{message}");
        assert!(message.contains("refused"), "{message}");
    }

    #[test]
    fn a_listener_that_never_answers_fails_at_the_connect_timeout_once() {
        let (port, accepted) = counting_listener(false);
        let failure = attempt(port, Some(Duration::from_millis(200)), 0).unwrap_err();
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        let tables = super::super::tables::Tables::new("public").unwrap();
        let message = failure.describe("127.0.0.1", &tables);
        assert!(message.contains("timed out") || message.contains("timeout"), "{message}");
    }
}
