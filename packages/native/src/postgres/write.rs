//! Writes. Each call is atomic: the official layout's put is one statement; the compact put is one
//! transaction that first locks (FOR KEY SHARE) the parent row and the base rows it builds on, so a
//! concurrent delete cannot leave it pointing at values that are gone.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::connect::Failure;
use super::read;
use super::reput;
use super::tables::Tables;
use crate::checkpoint::carry_decision::{self, ByVersion};
use crate::checkpoint::chain::{apply_increment, fold_onto_own_row, Link};
use crate::checkpoint::records::{BlobIn, Increment, PutIn, PutOutcome, PutWritesIn};
use crate::checkpoint::refs::{self, ChannelRefs};
use crate::messages::reducer::merge_serialized;

fn json_text<'a>(bytes: &'a [u8], what: &str, thread_id: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes).map_err(|_| Failure::Message(format!("{what} of thread {thread_id:?} is not UTF-8 JSON")))
}

/// PostgreSQL's JSONB refuses NUL characters; say which thread's checkpoint or metadata held one.
fn in_thread(e: tokio_postgres::Error, thread_id: &str) -> Failure {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNTRANSLATABLE_CHARACTER) {
        let detail = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        return Failure::Message(format!(
            "thread {thread_id:?}: the checkpoint or its metadata holds a NUL character (\\u0000), which PostgreSQL's JSONB cannot store ({detail})"
        ));
    }
    Failure::Pg(e)
}

fn require_json(input: &PutIn) -> Result<(), Failure> {
    if input.kind != "json" {
        return Err(Failure::Message(format!(
            "thread {:?}: checkpoints and metadata must serialize as \"json\" for PostgreSQL (JSONB columns), got {:?}",
            input.thread_id, input.kind
        )));
    }
    Ok(())
}

/// The official PostgresSaver's rows: the checkpoint (without values) and metadata as JSONB, each
/// changed channel's value in checkpoint_blobs under its version ("empty" when the checkpoint holds
/// none). When the parent lives in our compact layout, its values are not in checkpoint_blobs: the
/// carried channels are then asked for (NeedValues) and nothing is written.
pub async fn put_official(c: &impl GenericClient, t: &Tables, input: &PutIn<'_>) -> Result<PutOutcome, Failure> {
    require_json(input)?;
    let sent: HashSet<&str> = input.blobs.iter().map(|b| b.channel).collect();
    let unsent: Vec<String> =
        input.carried.iter().filter(|(c, _)| !sent.contains(c.as_ref())).map(|(c, _)| c.to_string()).collect();
    let check_parent = !unsent.is_empty() && input.parent_checkpoint_id.is_some();

    // A value already stored under the same (channel, version) with other bytes means another writer
    // continued this thread from the same parent with the same versions: PostgresSaver would keep the
    // first value and silently give the second checkpoint the wrong one. Nothing is written then, unless
    // the caller keeps PostgresSaver's behaviour ($12: a patched PostgresSaver).
    // The lookup is a fenced LATERAL so that it probes the key whatever the (often stale) statistics say.
    let sql = format!(
        "WITH parent_elsewhere AS (
            SELECT 1 FROM {flg} WHERE $11::bool AND thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $4
         ), clash AS (
            SELECT i.channel, i.version
            FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[]) AS i(channel, version, type, blob)
            CROSS JOIN LATERAL (
                SELECT e.type, e.blob FROM {bl} e
                WHERE e.thread_id = $1 AND e.checkpoint_ns = $2 AND e.channel = i.channel AND e.version = i.version
                OFFSET 0) e
            WHERE (e.type <> i.type OR e.blob IS DISTINCT FROM i.blob)
              -- A retried put of a stored checkpoint keeps the values its first put stored, as
              -- PostgresSaver's ON CONFLICT DO NOTHING does (the caller may have changed them since).
              AND NOT EXISTS (SELECT 1 FROM {cp} r WHERE r.thread_id = $1 AND r.checkpoint_ns = $2 AND r.checkpoint_id = $3)
              AND NOT $12::bool
         ), go AS (
            SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM parent_elsewhere) AND NOT EXISTS (SELECT 1 FROM clash)
         ), blobs AS (
            INSERT INTO {bl} (thread_id, checkpoint_ns, channel, version, type, blob)
            SELECT $1, $2, i.channel, i.version, i.type, i.blob
            FROM unnest($7::text[], $8::text[], $9::text[], $10::bytea[]) AS i(channel, version, type, blob)
            WHERE EXISTS (SELECT 1 FROM go)
            ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
         ), stored AS (
            INSERT INTO {cp} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
            SELECT $1, $2, $3, $4, CAST($5::text AS jsonb), CAST($6::text AS jsonb) WHERE EXISTS (SELECT 1 FROM go)
            ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
            DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
            RETURNING 1
         )
         SELECT (SELECT COUNT(*) FROM stored), ARRAY(SELECT format('%s (version %s)', channel, version) FROM clash)",
        flg = t.flg_checkpoints,
        bl = t.blobs,
        cp = t.checkpoints
    );
    let channels: Vec<&str> = input.blobs.iter().map(|b| b.channel).collect();
    let versions: Vec<&str> = input.blobs.iter().map(|b| b.version).collect();
    let kinds: Vec<&str> = input.blobs.iter().map(|b| b.kind).collect();
    let data: Vec<Option<&[u8]>> = input.blobs.iter().map(|b| if b.kind == "empty" { None } else { Some(b.data) }).collect();
    let checkpoint = json_text(input.checkpoint, "checkpoint", input.thread_id)?;
    let metadata = json_text(input.metadata, "metadata", input.thread_id)?;
    let stmt = c.prepare_cached(&sql).await?;
    let row = c
        .query_one(
            &stmt,
            &[
                &input.thread_id,
                &input.checkpoint_ns,
                &input.checkpoint_id,
                &input.parent_checkpoint_id,
                &checkpoint,
                &metadata,
                &channels,
                &versions,
                &kinds,
                &data,
                &check_parent,
                &input.keep_stored_on_clash,
            ],
        )
        .await
        .map_err(|e| in_thread(e, input.thread_id))?;
    let stored: i64 = row.get(0);
    let clashes: Vec<String> = row.get(1);
    if !clashes.is_empty() {
        return Err(Failure::Message(format!(
            "thread {:?}: checkpoint {:?} not stored: {} already stored with a different value under the same version. \
             Another writer continued this thread from the same parent with the same channel versions \
             (PostgresSaver's integer versions collide on forks and concurrent runs); PostgresSaver would have \
             silently kept the other value",
            input.thread_id,
            input.checkpoint_id,
            clashes.join(", ")
        )));
    }
    Ok(if stored == 0 { PutOutcome::NeedValues(unsent) } else { PutOutcome::Stored })
}

/// Our layout: values stored once per change under the checkpoint that changed them, lists as
/// increments of their base; the checkpoint row references the values it carries.
/// For each (channel, version): which checkpoint of the thread and namespace stored a value under it.
async fn stored_by_version(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    lookups: &[(String, String)],
) -> Result<Vec<ByVersion>, Failure> {
    if lookups.is_empty() {
        return Ok(Vec::new());
    }
    let channels: Vec<&str> = lookups.iter().map(|(c, _)| c.as_str()).collect();
    let versions: Vec<&str> = lookups.iter().map(|(_, v)| v.as_str()).collect();
    let stmt = c
        .prepare_cached(&format!(
            "SELECT i.ord, ARRAY(SELECT b.owner_id FROM {} b WHERE b.thread_id = $1 AND b.checkpoint_ns = $2
                 AND b.channel = i.channel AND b.version = i.version LIMIT 2)
             FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS i(channel, version, ord) ORDER BY i.ord",
            t.flg_blobs
        ))
        .await?;
    let rows = c.query(&stmt, &[&input.thread_id, &input.checkpoint_ns, &channels, &versions]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let owners: Vec<String> = r.get(1);
            match owners.len() {
                0 => ByVersion::None,
                1 => ByVersion::One(owners.into_iter().next().unwrap_or_default()),
                _ => ByVersion::Many,
            }
        })
        .collect())
}

/// Stores a checkpoint in our compact layout; once stored, `row_tokens` holds the write token of each
/// row it wrote (channel -> `xmin`).
pub async fn put_compact(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    row_tokens: &mut HashMap<String, String>,
) -> Result<PutOutcome, Failure> {
    require_json(input)?;
    let mut channel_refs = ChannelRefs::new();
    if !input.carried.is_empty() {
        let remembered: Vec<(&String, &String, &String)> = input
            .verified_rows
            .iter()
            .flatten()
            .filter(|(channel, _)| input.verified.as_ref().is_none_or(|v| v.contains(channel.as_str())))
            .filter_map(|(channel, (owner, token))| Some((channel, owner, token.as_ref()?)))
            .collect();
        let (parent_refs, current): (Option<String>, Vec<Option<String>>) = match input.parent_checkpoint_id {
            None => (None, Vec::new()),
            Some(parent) => {
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT channel_refs FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3 FOR KEY SHARE",
                        t.flg_checkpoints
                    ))
                    .await?;
                // Pipelined with the parent's references (no round trip of their own): the tokens the
                // remembered rows hold now, locked against rewrites until this put commits.
                let params: [&(dyn ToSql + Sync); 3] = [&input.thread_id, &input.checkpoint_ns, &parent];
                let (refs, current) =
                    futures_util::try_join!(c.query_opt(&stmt, &params), row_tokens_now(c, t, input, &remembered))?;
                (refs.map(|r| r.get(0)), current)
            }
        };
        if let (None, Some(parent)) = (&parent_refs, input.parent_checkpoint_id) {
            if official_checkpoint_exists(c, t, input, parent).await? {
                return Ok(PutOutcome::NeedValues(input.carried.iter().map(|(c, _)| c.to_string()).collect()));
            }
        }
        let parent_refs = parent_refs.map(|text| refs::parse(&text)).transpose()?;
        let verified = match &input.verified_rows {
            Some(rows) => {
                // The parent references the remembered row, and that row still has the remembered token.
                let now: HashMap<&String, &String> = remembered
                    .iter()
                    .zip(&current)
                    .filter_map(|((channel, _, _), now)| Some((*channel, now.as_ref()?)))
                    .collect();
                let vouched = carry_decision::vouched_rows(input.verified.as_ref(), rows, parent_refs.as_ref());
                Some(
                    vouched
                        .into_iter()
                        .filter(|(channel, _, token)| token.is_some_and(|t| now.get(channel).is_some_and(|n| *n == t)))
                        .map(|(channel, _, _)| channel.clone())
                        .collect(),
                )
            }
            None => input.verified.clone(),
        };
        let decision = carry_decision::from_parent(&input.carried, parent_refs.as_ref(), verified.as_ref());
        let found = stored_by_version(c, t, input, &decision.lookups).await?;
        let decision = carry_decision::finish(
            decision,
            found,
            input.parent_checkpoint_id.is_some(),
            input.keep_every_value,
            verified.as_ref(),
        );
        if let Err(need) = decision.apply(&mut channel_refs) {
            return Ok(PutOutcome::NeedValues(need));
        }
    }

    let mut roots: Vec<String> = Vec::with_capacity(input.blobs.len());
    // A retried put (the same checkpoint stored again) is an upsert; an increment built on the first
    // attempt's row is folded into that row (rebased onto its base, or stored whole) so that no row
    // becomes its own base.
    let mut folded: Vec<Option<OwnRow>> = Vec::with_capacity(input.blobs.len());
    for blob in &input.blobs {
        if blob.base_owner_id == Some(input.checkpoint_id) {
            let Some((row, root)) = fold_own_row(c, t, input, blob).await? else {
                return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
            };
            folded.push(Some(row));
            roots.push(root);
            channel_refs.insert(blob.channel.to_string(), (input.checkpoint_id.to_string(), blob.version.to_string()));
            continue;
        }
        folded.push(None);
        let root = match blob.base_owner_id {
            None => input.checkpoint_id.to_string(),
            Some(base) => {
                // One round trip: the base's root, and whether this checkpoint already stored the channel
                // (a retried put, whose increment onto another checkpoint's value could close a cycle: that
                // value may itself extend this row; such a value is stored whole).
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT root_owner_id, EXISTS (SELECT 1 FROM {bl} o WHERE o.thread_id = $1 AND o.checkpoint_ns = $2
                             AND o.channel = $3 AND o.owner_id = $6 AND $6 <> $4), xmin::text
                         FROM {bl} WHERE thread_id = $1 AND checkpoint_ns = $2
                         AND channel = $3 AND owner_id = $4 AND type = $5 FOR SHARE",
                        bl = t.flg_blobs
                    ))
                    .await?;
                let row = c
                    .query_opt(
                        &stmt,
                        &[&input.thread_id, &input.checkpoint_ns, &blob.channel, &base, &blob.kind, &input.checkpoint_id],
                    )
                    .await?;
                let root: Option<String> = match row {
                    Some(r) if r.get::<_, bool>(1) => return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string())),
                    // Rewritten since the caller learned the base (a restore, another process's put of it again).
                    Some(r) if blob.base_row_token.is_some_and(|token| token != r.get::<_, &str>(2)) => {
                        return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()))
                    }
                    Some(r) => Some(r.get(0)),
                    None => None,
                };
                let Some(root) = root else { return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string())) };
                if blob.increment == Increment::Merge {
                    // A messages-reducer increment is stored only if it applies to its base (it is replayed on every read).
                    let wanted = [(blob.channel.to_string(), base.to_string())];
                    let base_value = read::compact_values(c, t, input.thread_id, input.checkpoint_ns, &wanted).await?;
                    let applies = base_value.first().is_some_and(|v| merge_serialized(&v.data, &[blob.data]).is_ok());
                    if !applies {
                        return Ok(PutOutcome::DeltaBaseMissing(blob.channel.to_string()));
                    }
                }
                root
            }
        };
        roots.push(root);
        channel_refs.insert(blob.channel.to_string(), (input.checkpoint_id.to_string(), blob.version.to_string()));
    }

    let pick = |i: usize| folded[i].as_ref();
    let columns = BlobColumns {
        channels: input.blobs.iter().map(|b| b.channel).collect(),
        versions: input.blobs.iter().map(|b| b.version).collect(),
        kinds: input.blobs.iter().map(|b| b.kind).collect(),
        bases: input.blobs.iter().enumerate().map(|(i, b)| pick(i).map_or(b.base_owner_id, |f| f.0.as_deref())).collect(),
        roots: roots.iter().map(String::as_str).collect(),
        increments: input.blobs.iter().enumerate().map(|(i, b)| pick(i).map_or(b.increment, |f| f.2).as_str()).collect(),
        data: input.blobs.iter().enumerate().map(|(i, b)| pick(i).map_or(b.data, |f| f.1.as_slice())).collect(),
    };
    let metadata = json_text(input.metadata, "metadata", input.thread_id)?;
    let rendered = refs::render(&channel_refs);
    // Rows this checkpoint stored before (a put of it again) are left as they are by this statement and
    // replaced below, once the checkpoints built on them keep their values.
    let sql = format!(
        "WITH blobs AS ({}),
         checkpoint AS (
            INSERT INTO {cp} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata, channel_refs)
            VALUES ($1, $2, $3, $4, $5, $6, CAST($7::text AS jsonb), $15)
            ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
               parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, type = EXCLUDED.type, checkpoint = EXCLUDED.checkpoint,
               metadata = EXCLUDED.metadata, channel_refs = EXCLUDED.channel_refs)
         SELECT COALESCE(array_agg(channel), '{{}}'), COALESCE(array_agg(token), '{{}}'),
                EXISTS (SELECT 1 FROM {cp} WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3)
         FROM blobs",
        insert_blobs(t, 8, "DO NOTHING RETURNING channel, xmin::text AS token"),
        cp = t.flg_checkpoints
    );
    let stmt = c.prepare_cached(&sql).await?;
    let head: [&(dyn ToSql + Sync); 7] = [
        &input.thread_id,
        &input.checkpoint_ns,
        &input.checkpoint_id,
        &input.parent_checkpoint_id,
        &input.kind,
        &input.checkpoint,
        &metadata,
    ];
    let params: Vec<&(dyn ToSql + Sync)> = head.into_iter().chain(columns.params()).chain([&rendered as _]).collect();
    let row = c.query_one(&stmt, &params).await.map_err(|e| in_thread(e, input.thread_id))?;
    let inserted: Vec<String> = row.get(0);
    row_tokens.extend(inserted.iter().cloned().zip(row.get::<_, Vec<String>>(1)));
    let inserted: HashSet<String> = inserted.into_iter().collect();
    // The statement's snapshot predates its own insert: whether this checkpoint was stored before.
    if row.get::<_, bool>(2) {
        // Rows of its own the checkpoint still references (written now, or found again by version).
        let kept: HashSet<&str> =
            channel_refs.iter().filter(|(_, (owner, _))| owner == input.checkpoint_id).map(|(c, _)| c.as_str()).collect();
        reput::drop_rows_not_stored_again(c, t, input, &kept).await?;
    }
    let again: Vec<usize> = (0..columns.channels.len()).filter(|&i| !inserted.contains(columns.channels[i])).collect();
    if again.is_empty() {
        return Ok(PutOutcome::Stored);
    }
    for &i in &again {
        reput::before_replacing_own_row(c, t, input, columns.channels[i]).await?;
    }
    let upsert = insert_blobs(
        t,
        4,
        "DO UPDATE SET version = EXCLUDED.version, type = EXCLUDED.type, base_owner_id = EXCLUDED.base_owner_id,
            root_owner_id = EXCLUDED.root_owner_id, increment = EXCLUDED.increment, data = EXCLUDED.data
         RETURNING channel, xmin::text",
    );
    let stmt = c.prepare_cached(&upsert).await?;
    let again = columns.only(&again);
    let head: [&(dyn ToSql + Sync); 3] = [&input.thread_id, &input.checkpoint_ns, &input.checkpoint_id];
    let params: Vec<&(dyn ToSql + Sync)> = head.into_iter().chain(again.params()).collect();
    let rows = c.query(&stmt, &params).await.map_err(|e| in_thread(e, input.thread_id))?;
    row_tokens.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
    Ok(PutOutcome::Stored)
}

/// A put's blob rows as the parallel arrays `insert_blobs` takes.
struct BlobColumns<'a> {
    channels: Vec<&'a str>,
    versions: Vec<&'a str>,
    kinds: Vec<&'a str>,
    bases: Vec<Option<&'a str>>,
    roots: Vec<&'a str>,
    increments: Vec<&'a str>,
    data: Vec<&'a [u8]>,
}

impl<'a> BlobColumns<'a> {
    fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [&self.channels, &self.versions, &self.kinds, &self.bases, &self.roots, &self.increments, &self.data]
    }

    /// The rows at `rows` only.
    fn only(&self, rows: &[usize]) -> BlobColumns<'a> {
        fn pick<T: Copy>(values: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&i| values[i]).collect()
        }
        BlobColumns {
            channels: pick(&self.channels, rows),
            versions: pick(&self.versions, rows),
            kinds: pick(&self.kinds, rows),
            bases: pick(&self.bases, rows),
            roots: pick(&self.roots, rows),
            increments: pick(&self.increments, rows),
            data: pick(&self.data, rows),
        }
    }
}

/// The write token each remembered row (channel, owner, token) holds now (None: no such row), each row
/// locked against rewrites until the put commits.
async fn row_tokens_now(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    remembered: &[(&String, &String, &String)],
) -> Result<Vec<Option<String>>, tokio_postgres::Error> {
    if remembered.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = c
        .prepare_cached(&format!(
            "SELECT xmin::text FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND channel = $3 AND owner_id = $4 FOR SHARE",
            t.flg_blobs
        ))
        .await?;
    let params: Vec<[&(dyn ToSql + Sync); 4]> = remembered
        .iter()
        .map(|(channel, owner, _)| [&input.thread_id as _, &input.checkpoint_ns as _, *channel as _, *owner as _])
        .collect();
    let lookups = params.iter().map(|p| c.query_opt(&stmt, p));
    Ok(futures_util::future::try_join_all(lookups).await?.into_iter().map(|row| row.map(|r| r.get(0))).collect())
}

/// The INSERT of a put's blob rows: thread, namespace and owner are $1-$3; the per-row arrays (channel,
/// version, type, base, root, increment, data) start at parameter number `first`.
fn insert_blobs(t: &Tables, first: usize, on_conflict: &str) -> String {
    let n = first;
    format!(
        "INSERT INTO {bl} (thread_id, checkpoint_ns, channel, owner_id, version, type, base_owner_id, root_owner_id, increment, data)
         SELECT $1, $2, b.channel, $3, b.version, b.type, b.base, b.root, b.increment, b.data
         FROM unnest(${}::text[], ${}::text[], ${}::text[], ${}::text[], ${}::text[], ${}::text[], ${}::bytea[])
              AS b(channel, version, type, base, root, increment, data)
         ON CONFLICT (thread_id, checkpoint_ns, channel, owner_id) {on_conflict}",
        n,
        n + 1,
        n + 2,
        n + 3,
        n + 4,
        n + 5,
        n + 6,
        bl = t.flg_blobs
    )
}

/// The (base, data, increment) a retried put stores for a blob built on its own checkpoint's row.
type OwnRow = (Option<String>, Vec<u8>, Increment);

/// For a blob whose base is the checkpoint being written: the (base, data, increment) to store and the
/// row's root (kept, so rows built on it still find it); None when that row is not stored.
async fn fold_own_row(
    c: &impl GenericClient,
    t: &Tables,
    input: &PutIn<'_>,
    blob: &BlobIn<'_>,
) -> Result<Option<(OwnRow, String)>, Failure> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT base_owner_id, data, increment, root_owner_id, xmin::text FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2
             AND channel = $3 AND owner_id = $4 AND type = $5 FOR UPDATE",
            t.flg_blobs
        ))
        .await?;
    let Some(row) =
        c.query_opt(&stmt, &[&input.thread_id, &input.checkpoint_ns, &blob.channel, &input.checkpoint_id, &blob.kind]).await?
    else {
        return Ok(None);
    };
    if blob.base_row_token.is_some_and(|token| token != row.get::<_, &str>(4)) {
        return Ok(None);
    }
    let root: String = row.get(3);
    let existing =
        Link { base_owner_id: row.get(0), data: row.get(1), increment: Increment::parse(Some(row.get::<_, &str>(2)))? };
    if let Some(f) = fold_onto_own_row(&existing, blob.data, blob.increment)? {
        return Ok(Some(((f.base_owner_id, f.data, f.increment), root)));
    }
    let wanted = [(blob.channel.to_string(), input.checkpoint_id.to_string())];
    let Some(value) = read::compact_values(c, t, input.thread_id, input.checkpoint_ns, &wanted).await?.into_iter().next() else {
        return Ok(None);
    };
    Ok(apply_increment(&value.data, blob.data, blob.increment).ok().map(|whole| ((None, whole, Increment::Append), root)))
}

async fn official_checkpoint_exists(c: &impl GenericClient, t: &Tables, input: &PutIn<'_>, id: &str) -> Result<bool, Failure> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT 1 FROM {} WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3",
            t.checkpoints
        ))
        .await?;
    Ok(c.query_opt(&stmt, &[&input.thread_id, &input.checkpoint_ns, &id]).await?.is_some())
}

/// Pending writes in one statement, with the outcome PostgresSaver's write-by-write upserts have (both
/// layouts): a batch whose writes all go to special channels replaces, the last write per index
/// winning; any other batch keeps what is stored, and the first write per index.
pub async fn put_writes(c: &impl GenericClient, t: &Tables, input: &PutWritesIn<'_>, official: bool) -> Result<(), Failure> {
    if input.writes.is_empty() {
        return Ok(());
    }
    // One statement cannot touch a row twice (error 21000): reduce the batch to what it leaves behind.
    let writes = input.effective_writes();
    let replace = input.replaces(0);
    let (table, value_column, task_path) =
        if official { (&t.writes, "blob", "") } else { (&t.flg_writes, "value", ", task_path") };
    let task_path_value = if official { "" } else { ", $9" };
    let on_conflict = if replace {
        format!("DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, {value_column} = EXCLUDED.{value_column}")
    } else {
        "DO NOTHING".to_string()
    };
    let sql = format!(
        "INSERT INTO {table} (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, {value_column}{task_path})
         SELECT $1, $2, $3, $4, w.idx, w.channel, w.type, w.value{task_path_value}
         FROM unnest($5::int4[], $6::text[], $7::text[], $8::bytea[]) AS w(idx, channel, type, value)
         ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) {on_conflict}"
    );
    let idx = writes
        .iter()
        .map(|w| {
            i32::try_from(w.idx)
                .map_err(|_| Failure::Message(format!("write index {} of channel {:?} is out of range", w.idx, w.channel)))
        })
        .collect::<Result<Vec<i32>, Failure>>()?;
    let channels: Vec<&str> = writes.iter().map(|w| w.channel).collect();
    let kinds: Vec<&str> = writes.iter().map(|w| w.kind).collect();
    let values: Vec<&[u8]> = writes.iter().map(|w| w.value).collect();
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        vec![&input.thread_id, &input.checkpoint_ns, &input.checkpoint_id, &input.task_id, &idx, &channels, &kinds, &values];
    if !official {
        params.push(&input.task_path);
    }
    let stmt = c.prepare_cached(&sql).await?;
    c.execute(&stmt, &params).await?;
    Ok(())
}

/// Deletes a thread from both layouts in one statement.
pub async fn delete_thread(c: &impl GenericClient, t: &Tables, thread_id: &str) -> Result<(), Failure> {
    let sql = format!(
        "WITH a AS (DELETE FROM {} WHERE thread_id = $1), b AS (DELETE FROM {} WHERE thread_id = $1),
              d AS (DELETE FROM {} WHERE thread_id = $1), e AS (DELETE FROM {} WHERE thread_id = $1),
              f AS (DELETE FROM {} WHERE thread_id = $1)
         DELETE FROM {} WHERE thread_id = $1",
        t.blobs, t.checkpoints, t.writes, t.flg_blobs, t.flg_writes, t.flg_checkpoints
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.execute(&stmt, &[&thread_id]).await?;
    Ok(())
}
