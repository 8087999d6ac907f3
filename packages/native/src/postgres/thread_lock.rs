//! The per-thread lock between retention and our compact layout's writers: a transaction-level
//! advisory lock keyed by (schema, thread id). Every compact put takes it shared as its first statement
//! (puts never wait on each other); a prune of the thread takes it exclusive for its one short
//! transaction. Compact values are chains of increments whose root a prune may move (rebasing), and a
//! put reads a base's root before it writes a row onto it: without the lock a put could build on a
//! root the prune is about to delete. The official layout needs no lock (see `prune`), so
//! PostgresSaver's own writers, which know nothing of it, stay safe.

use deadpool_postgres::GenericClient;

use super::connect::Failure;
use super::tables::Tables;

pub fn key(t: &Tables, thread_id: &str) -> i64 {
    let text = format!("fast-langgraph thread\u{0}{}\u{0}{thread_id}", t.schema);
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as i64
}

/// Held until the calling transaction ends; other shared holders do not wait. One simple-protocol
/// message sent at the first poll: polled before the put's statements (`join!`), it runs first on the
/// server without a round trip of its own (tokio-postgres sends requests in order on one connection).
pub async fn share(c: &impl GenericClient, t: &Tables, thread_id: &str) -> Result<(), Failure> {
    c.batch_execute(&format!("SELECT pg_advisory_xact_lock_shared({})", key(t, thread_id))).await?;
    Ok(())
}

/// Waits for the thread's puts in flight; puts that start meanwhile wait for this transaction.
pub async fn exclusive(c: &impl GenericClient, t: &Tables, thread_id: &str) -> Result<(), Failure> {
    let stmt = c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await?;
    c.execute(&stmt, &[&key(t, thread_id)]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_schema_and_thread() {
        let (a, b) = (Tables::new("a").unwrap(), Tables::new("b").unwrap());
        assert_ne!(key(&a, "t1"), key(&b, "t1"));
        assert_ne!(key(&a, "t1"), key(&a, "t2"));
        assert_eq!(key(&a, "t1"), key(&Tables::new("a").unwrap(), "t1"));
    }
}
