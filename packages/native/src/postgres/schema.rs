//! Ordered migrations, run by `setup()`. The official PostgresSaver's migrations come first, recorded in
//! its own `checkpoint_migrations` table exactly as it records them, so either saver can set up a
//! database the other one uses; ours follow in `flg_schema_migrations`. A transaction-scoped advisory
//! lock serializes concurrent setups, and every step is idempotent, so processes can run it at once.

use tokio_postgres::Client;

use super::connect::Failure;
use super::tables::Tables;

/// The official saver's migrations, in its order (its version numbers start at 0).
fn official_migrations(t: &Tables) -> Vec<String> {
    vec![
        format!("CREATE TABLE IF NOT EXISTS {} (v INTEGER PRIMARY KEY)", t.migrations),
        format!(
            "CREATE TABLE IF NOT EXISTS {} (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL DEFAULT '',
                checkpoint_id TEXT NOT NULL,
                parent_checkpoint_id TEXT,
                type TEXT,
                checkpoint JSONB NOT NULL,
                metadata JSONB NOT NULL DEFAULT '{{}}',
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
            )",
            t.checkpoints
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {} (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL DEFAULT '',
                channel TEXT NOT NULL,
                version TEXT NOT NULL,
                type TEXT NOT NULL,
                blob BYTEA,
                PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
            )",
            t.blobs
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {} (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL DEFAULT '',
                checkpoint_id TEXT NOT NULL,
                task_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                channel TEXT NOT NULL,
                type TEXT,
                blob BYTEA NOT NULL,
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
            )",
            t.writes
        ),
        format!("ALTER TABLE {} ALTER COLUMN blob DROP NOT NULL", t.blobs),
    ]
}

/// Our compact layout: checkpoints with channel references, values per (channel, owner checkpoint)
/// with increments chained to their base, and pending writes with their task path.
fn compact_migrations(t: &Tables) -> Vec<String> {
    vec![format!(
        "CREATE TABLE IF NOT EXISTS {cp} (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            parent_checkpoint_id TEXT,
            type TEXT NOT NULL,
            checkpoint BYTEA NOT NULL,
            metadata JSONB NOT NULL,
            channel_refs TEXT NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
        );
        CREATE TABLE IF NOT EXISTS {bl} (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            version TEXT NOT NULL,
            type TEXT NOT NULL,
            base_owner_id TEXT,
            root_owner_id TEXT NOT NULL,
            increment TEXT NOT NULL DEFAULT 'append',
            data BYTEA NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, channel, owner_id)
        );
        CREATE INDEX IF NOT EXISTS flg_blobs_by_root ON {bl} (thread_id, checkpoint_ns, channel, root_owner_id);
        CREATE TABLE IF NOT EXISTS {wr} (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL DEFAULT '',
            checkpoint_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            channel TEXT NOT NULL,
            type TEXT NOT NULL,
            value BYTEA NOT NULL,
            task_path TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
        );",
        cp = t.flg_checkpoints,
        bl = t.flg_blobs,
        wr = t.flg_writes
    )]
}

/// A stable 64-bit key for the advisory lock of one schema's migrations.
fn lock_key(schema: &str) -> i64 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("fast-langgraph migrations {schema}").as_bytes());
    hash as i64
}

async fn table_exists(tx: &tokio_postgres::Transaction<'_>, qualified: &str) -> Result<bool, Failure> {
    Ok(tx.query_one("SELECT to_regclass($1) IS NOT NULL", &[&qualified]).await?.get(0))
}

/// Applies every missing migration; returns (official version, compact version) afterwards. A database
/// already migrated gets no DDL at all, so a role without CREATE privileges can call it.
pub async fn migrate(client: &mut Client, t: &Tables) -> Result<(i32, i32), Failure> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(&t.schema)]).await?;
    let schema_exists: bool =
        tx.query_one("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", &[&t.schema]).await?.get(0);
    if !schema_exists {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", t.schema)).await?;
    }

    let official = official_migrations(t);
    let mut official_version: i32 = -1;
    if table_exists(&tx, &t.migrations).await? {
        official_version = tx.query_one(&format!("SELECT COALESCE(MAX(v), -1) FROM {}", t.migrations), &[]).await?.get(0);
    } else {
        tx.batch_execute(&official[0]).await?;
    }
    for (v, sql) in official.iter().enumerate().skip((official_version + 1) as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(&format!("INSERT INTO {} (v) VALUES ($1) ON CONFLICT DO NOTHING", t.migrations), &[&(v as i32)]).await?;
        official_version = v as i32;
    }

    let mut compact_version: i32 = 0;
    if table_exists(&tx, &t.flg_migrations).await? {
        compact_version = tx.query_one(&format!("SELECT COALESCE(MAX(version), 0) FROM {}", t.flg_migrations), &[]).await?.get(0);
    } else {
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            t.flg_migrations
        ))
        .await?;
    }
    for (i, sql) in compact_migrations(t).iter().enumerate().skip(compact_version as usize) {
        tx.batch_execute(sql).await?;
        let version = i as i32 + 1;
        tx.execute(&format!("INSERT INTO {} (version) VALUES ($1) ON CONFLICT DO NOTHING", t.flg_migrations), &[&version])
            .await?;
        compact_version = version;
    }
    tx.commit().await?;
    Ok((official_version, compact_version))
}
