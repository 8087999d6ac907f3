//! Engine tests on a real in-memory SQLite database.

use super::engine::{Engine, Synchronous};
use super::{history, read, write};
use crate::checkpoint::records::{BlobIn, Increment, PutIn, PutOutcome, PutWritesIn, WriteIn, WritesConflict};

fn put_writes_native(c: &mut rusqlite::Connection, path: &str, input: &PutWritesIn) -> Result<(), String> {
    write::put_writes(c, path, input, write::WritesTable::Native)
}

fn engine() -> Engine {
    Engine::open(":memory:", Synchronous::Normal, 1000, false, super::assembled::DEFAULT_ASSEMBLED_VALUE_BYTES).unwrap()
}

fn put(e: &Engine, id: &str, parent: Option<&str>, blobs: Vec<BlobIn>, carried: Vec<(&str, &str)>) -> PutOutcome {
    let carried = carried.into_iter().map(|(c, v)| (c.into(), v.into())).collect();
    let input = PutIn {
        thread_id: "t",
        checkpoint_ns: "",
        checkpoint_id: id,
        parent_checkpoint_id: parent,
        kind: "json",
        checkpoint: b"{}",
        metadata: b"{\"step\":1}",
        blobs,
        carried,
        keep_every_value: false,
        keep_stored_on_clash: false,
        verified: None,
        memory_data_version: None,
        verified_rows: None,
    };
    e.with_conn(|c| write::put(c, &e.path, &input, None, &mut None)).unwrap()
}

fn blob<'a>(channel: &'a str, version: &'a str, data: &'a [u8], base: Option<&'a str>) -> BlobIn<'a> {
    BlobIn { channel, version, kind: "json", data, base_owner_id: base, increment: Increment::Append, base_row_token: None }
}

fn value_of(e: &Engine, id: &str, channel: &str) -> Option<String> {
    let rec = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some(id), None)).unwrap().unwrap();
    rec.values.into_iter().find(|v| v.channel == channel).map(|v| String::from_utf8(v.data).unwrap())
}

#[test]
fn increments_rebuild_the_full_list_and_forks_stay_apart() {
    let e = engine();
    assert_eq!(put(&e, "1", None, vec![blob("m", "1", b"[1,2]", None)], vec![]), PutOutcome::Stored);
    put(&e, "2", Some("1"), vec![blob("m", "2", b"[3]", Some("1"))], vec![]);
    put(&e, "3", Some("2"), vec![blob("m", "3", b"[4]", Some("2"))], vec![]);
    put(&e, "3b", Some("2"), vec![blob("m", "3", b"[9]", Some("2"))], vec![]);
    assert_eq!(value_of(&e, "3", "m").unwrap(), "[1,2,3,4]");
    assert_eq!(value_of(&e, "3b", "m").unwrap(), "[1,2,3,9]");
    assert_eq!(value_of(&e, "1", "m").unwrap(), "[1,2]");
}

#[test]
fn unchanged_channels_are_carried_from_the_parent_without_rewriting() {
    let e = engine();
    put(&e, "1", None, vec![blob("a", "1", b"\"x\"", None), blob("b", "1", b"\"y\"", None)], vec![]);
    put(&e, "2", Some("1"), vec![blob("b", "2", b"\"z\"", None)], vec![("a", "1")]);
    assert_eq!(value_of(&e, "2", "a").unwrap(), "\"x\"");
    assert_eq!(value_of(&e, "2", "b").unwrap(), "\"z\"");
    let blobs: i64 = e.with_conn(|c| Ok(c.query_row("SELECT COUNT(*) FROM flg_blobs", [], |r| r.get(0)).unwrap())).unwrap();
    assert_eq!(blobs, 3);
    // A carried channel whose version the parent lacks and nothing stores is asked for, never dropped.
    assert_eq!(put(&e, "3", Some("2"), vec![], vec![("a", "7")]), PutOutcome::NeedValues(vec!["a".into()]));
    // Without a parent, one stored under that version is referenced (a copy of a first checkpoint) ...
    assert_eq!(put(&e, "4", None, vec![], vec![("a", "1")]), PutOutcome::Stored);
    assert_eq!(value_of(&e, "4", "a").unwrap(), "\"x\"");
    // ... and with nothing stored under it, none is kept (what the official savers do).
    assert_eq!(put(&e, "5", None, vec![], vec![("a", "7")]), PutOutcome::Stored);
    assert_eq!(value_of(&e, "5", "a"), None);
}

#[test]
fn a_missing_increment_base_is_reported_and_nothing_is_written() {
    let e = engine();
    assert_eq!(put(&e, "1", None, vec![blob("m", "1", b"[1]", Some("gone"))], vec![]), PutOutcome::DeltaBaseMissing("m".into()));
    assert!(e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", None, None)).unwrap().is_none());
}

#[test]
fn writes_sort_by_task_path_then_task_id_then_index_and_special_ones_replace() {
    let e = engine();
    put(&e, "1", None, vec![], vec![]);
    let w = |task: &'static str, path: &'static str, writes: Vec<WriteIn<'static>>| PutWritesIn {
        thread_id: "t",
        checkpoint_ns: "",
        checkpoint_id: "1",
        task_id: task,
        task_path: path,
        writes,
        conflict: WritesConflict::AllSpecial,
    };
    let wi = |channel: &'static str, idx: i64, value: &'static [u8]| WriteIn { channel, idx, kind: "json", value };
    e.with_conn(|c| put_writes_native(c, &e.path, &w("b", "~1", vec![wi("x", 0, b"1"), wi("x", 1, b"2")]))).unwrap();
    e.with_conn(|c| put_writes_native(c, &e.path, &w("a", "~2", vec![wi("x", 0, b"3")]))).unwrap();
    e.with_conn(|c| put_writes_native(c, &e.path, &w("b", "~1", vec![wi("x", 0, b"9")]))).unwrap();
    e.with_conn(|c| put_writes_native(c, &e.path, &w("b", "~1", vec![wi("__error__", -1, b"e1")]))).unwrap();
    e.with_conn(|c| put_writes_native(c, &e.path, &w("b", "~1", vec![wi("__error__", -1, b"e2")]))).unwrap();
    let rec = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some("1"), None)).unwrap().unwrap();
    let got: Vec<(String, i64, String)> =
        rec.writes.into_iter().map(|w| (w.task_id, w.idx, String::from_utf8(w.value).unwrap())).collect();
    assert_eq!(
        got,
        vec![
            ("b".into(), -1, "e2".into()),
            ("b".into(), 0, "1".into()),
            ("b".into(), 1, "2".into()),
            ("a".into(), 0, "3".into())
        ]
    );
}

#[test]
fn history_collects_writes_back_to_the_seed() {
    let e = engine();
    put(&e, "1", None, vec![blob("m", "1", b"[0]", None)], vec![]);
    let pw = |id: &'static str, task: &'static str, value: &'static [u8]| PutWritesIn {
        thread_id: "t",
        checkpoint_ns: "",
        checkpoint_id: id,
        task_id: task,
        task_path: "",
        writes: vec![WriteIn { channel: "m", idx: 0, kind: "json", value }],
        conflict: WritesConflict::AllSpecial,
    };
    e.with_conn(|c| put_writes_native(c, &e.path, &pw("1", "t1", b"[1]"))).unwrap();
    put(&e, "2", Some("1"), vec![], vec![]);
    e.with_conn(|c| put_writes_native(c, &e.path, &pw("2", "t2", b"[2]"))).unwrap();
    put(&e, "3", Some("2"), vec![], vec![]);
    let h =
        e.with_conn(|c| history::delta_channel_history(c, &e.path, "t", "", "3", &["m".to_string(), "n".to_string()])).unwrap();
    assert_eq!(h[0].seed.as_ref().unwrap().data, b"[0]".to_vec());
    let writes: Vec<Vec<u8>> = h[0].writes.iter().map(|w| w.value.clone()).collect();
    assert_eq!(writes, vec![b"[1]".to_vec(), b"[2]".to_vec()]);
    assert!(h[1].seed.is_none() && h[1].writes.is_empty());
}

#[test]
fn list_filters_on_metadata_and_honours_before_and_limit() {
    let e = engine();
    for id in ["1", "2", "3"] {
        put(&e, id, None, vec![], vec![]);
    }
    let q = |before: Option<&str>, limit: Option<usize>, filter: Vec<(String, serde_json::Value)>| {
        crate::checkpoint::records::ListQuery {
            thread_id: Some("t".into()),
            checkpoint_ns: None,
            before: before.map(str::to_string),
            limit,
            filter,
        }
    };
    let ids = |q| e.with_conn(|c| read::list(c, &e.path, &q)).unwrap().into_iter().map(|r| r.checkpoint_id).collect::<Vec<_>>();
    assert_eq!(ids(q(None, None, vec![])), vec!["3", "2", "1"]);
    assert_eq!(ids(q(Some("3"), Some(1), vec![])), vec!["2"]);
    assert_eq!(ids(q(None, None, vec![("step".into(), serde_json::json!(1))])).len(), 3);
    assert!(ids(q(None, None, vec![("step".into(), serde_json::json!(2))])).is_empty());
}

#[test]
fn a_closed_engine_names_its_file() {
    let e = std::sync::Arc::new(engine());
    e.close().unwrap();
    assert!(e.is_closed());
    let err = e.with_conn(|_| Ok(())).unwrap_err();
    assert!(err.contains(":memory:") && err.contains("closed"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = std::env::temp_dir().join(format!("flg-notdb-{}", std::process::id()));
    std::fs::write(&dir, vec![b'x'; 4096]).unwrap();
    let err =
        Engine::open(dir.to_str().unwrap(), Synchronous::Normal, 100, false, super::assembled::DEFAULT_ASSEMBLED_VALUE_BYTES)
            .err()
            .unwrap();
    std::fs::remove_file(&dir).ok();
    assert!(err.contains("not a SQLite database") && err.contains("flg-notdb"), "{err}");
}

fn message(id: &str, class: &str) -> String {
    format!("{{\"lc\":1,\"type\":\"constructor\",\"id\":[\"langchain_core\",\"messages\",\"{class}\"],\"kwargs\":{{\"id\":\"{id}\",\"content\":\"{id}\"}}}}")
}

#[test]
fn messages_reducer_increments_rebuild_with_appends_around_them() {
    let e = engine();
    let root = format!("[{},{}]", message("a", "AIMessage"), message("b", "AIMessage"));
    let update = format!("[{},{}]", message("b", "RemoveMessage"), message("c", "AIMessage"));
    let appended = format!("[{}]", message("d", "AIMessage"));
    put(&e, "1", None, vec![blob("m", "1", root.as_bytes(), None)], vec![]);
    let merge = BlobIn { increment: Increment::Merge, ..blob("m", "2", update.as_bytes(), Some("1")) };
    assert_eq!(put(&e, "2", Some("1"), vec![merge], vec![]), PutOutcome::Stored);
    put(&e, "3", Some("2"), vec![blob("m", "3", appended.as_bytes(), Some("2"))], vec![]);
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&value_of(&e, "3", "m").unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kwargs"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a", "c", "d"]);

    let bad = format!("[{}]", message("zz", "RemoveMessage"));
    let rejected = BlobIn { increment: Increment::Merge, ..blob("m", "4", bad.as_bytes(), Some("3")) };
    assert_eq!(put(&e, "4", Some("3"), vec![rejected], vec![]), PutOutcome::DeltaBaseMissing("m".into()));
}

fn exec(e: &Engine, sql: &str) {
    e.with_conn(|c| c.execute_batch(sql).map_err(|err| err.to_string())).unwrap();
}

fn prune_keep_last(e: &Engine, n: usize) -> Result<super::prune::PruneReport, String> {
    use crate::checkpoint::prune_plan::{Policy, Strategy};
    let policy = Policy { strategy: Strategy::KeepLast, keep_last: n, older_than: None };
    e.with_conn(|c| super::prune::prune_thread(c, &e.path, "t", &policy))
}

#[test]
fn a_retried_put_replaces_its_row_without_becoming_its_own_base() {
    let e = engine();
    put(&e, "1", None, vec![blob("m", "1", b"[1,2]", None)], vec![]);
    put(&e, "2", Some("1"), vec![blob("m", "2", b"[3]", Some("1"))], vec![]);
    // The retry: the tracker remembered checkpoint 2, so its increment is built on 2 itself.
    assert_eq!(put(&e, "2", Some("1"), vec![blob("m", "2", b"[]", Some("2"))], vec![]), PutOutcome::Stored);
    assert_eq!(value_of(&e, "2", "m").unwrap(), "[1,2,3]");
    let base: Option<String> = e
        .with_conn(|c| Ok(c.query_row("SELECT base_owner_id FROM flg_blobs WHERE owner_id = '2'", [], |r| r.get(0)).unwrap()))
        .unwrap();
    assert_eq!(base.as_deref(), Some("1"));
    // A whole first attempt, retried with an increment of itself: stored whole.
    put(&e, "3", Some("2"), vec![blob("m", "3", b"[7]", None)], vec![]);
    put(&e, "3", Some("2"), vec![blob("m", "3", b"[8]", Some("3"))], vec![]);
    assert_eq!(value_of(&e, "3", "m").unwrap(), "[7,8]");
    put(&e, "4", Some("3"), vec![blob("m", "4", b"[9]", Some("3"))], vec![]);
    assert_eq!(value_of(&e, "4", "m").unwrap(), "[7,8,9]");
    assert_eq!(prune_keep_last(&e, 1).unwrap().checkpoints, 3);
    assert_eq!(value_of(&e, "4", "m").unwrap(), "[7,8,9]");
}

#[test]
fn reads_and_prune_refuse_a_cyclic_value_chain_with_an_error() {
    let e = engine();
    put(&e, "1", None, vec![blob("m", "1", b"[1]", None)], vec![]);
    put(&e, "2", Some("1"), vec![blob("m", "2", b"[2]", Some("1"))], vec![]);
    put(&e, "3", Some("2"), vec![blob("m", "3", b"[3]", Some("2"))], vec![]);
    // Hand-built damage: 2 builds on 3 and 3 on 2; 3 also on itself in a second channel.
    exec(&e, "UPDATE flg_blobs SET base_owner_id = '3' WHERE owner_id = '2'");
    let err = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some("3"), None)).unwrap_err();
    assert!(err.contains("\"m\"") && err.contains("\"t\"") && err.contains("checkpoint \"3\"") && err.contains("cycle"), "{err}");
    let err = prune_keep_last(&e, 1).unwrap_err();
    assert!(err.contains("\"m\"") && err.contains("\"t\"") && err.contains("cycle"), "{err}");
    exec(&e, "UPDATE flg_blobs SET base_owner_id = '3' WHERE owner_id = '3'");
    let err = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some("3"), None)).unwrap_err();
    assert!(err.contains("cycle at \"3\""), "{err}");
}

#[test]
fn the_history_walk_and_prune_refuse_a_cyclic_parent_chain() {
    let e = engine();
    put(&e, "1", None, vec![blob("m", "1", b"[1]", None)], vec![]);
    put(&e, "2", Some("1"), vec![blob("m", "2", b"[2]", Some("1"))], vec![]);
    put(&e, "3", Some("2"), vec![], vec![("m", "2")]);
    exec(&e, "UPDATE flg_checkpoints SET parent_checkpoint_id = '3' WHERE checkpoint_id = '1'");
    let err = e.with_conn(|c| history::delta_channel_history(c, &e.path, "t", "", "3", &["m".to_string()])).unwrap_err();
    assert!(err.contains("\"t\"") && err.contains("checkpoint \"3\"") && err.contains("cycle"), "{err}");
    exec(&e, "UPDATE flg_checkpoints SET metadata = '{\"counters_since_delta_snapshot\":{\"x\":1}}', channel_refs = '{}'");
    // Whatever prune decides about these rows, it returns.
    let _ = prune_keep_last(&e, 1);
}

#[test]
fn a_replayed_mixed_batch_follows_the_requested_savers_rule() {
    let wi = |channel: &'static str, idx: i64, value: &'static [u8]| WriteIn { channel, idx, kind: "json", value };
    let batch = |value: &'static [u8], conflict| PutWritesIn {
        thread_id: "t",
        checkpoint_ns: "",
        checkpoint_id: "1",
        task_id: "task",
        task_path: "",
        writes: vec![wi("__interrupt__", -3, value), wi("x", 1, value)],
        conflict,
    };
    for (conflict, interrupt) in [(WritesConflict::AllSpecial, "1"), (WritesConflict::EachSpecial, "2")] {
        let e = engine();
        put(&e, "1", None, vec![], vec![]);
        e.with_conn(|c| put_writes_native(c, &e.path, &batch(b"1", conflict))).unwrap();
        e.with_conn(|c| put_writes_native(c, &e.path, &batch(b"2", conflict))).unwrap();
        let rec = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some("1"), None)).unwrap().unwrap();
        let got: Vec<(i64, String)> = rec.writes.into_iter().map(|w| (w.idx, String::from_utf8(w.value).unwrap())).collect();
        assert_eq!(got, vec![(-3, interrupt.to_string()), (1, "1".to_string())], "{conflict:?}");
    }
    // Two writes to one special channel in an all-special batch: the last one is kept.
    let e = engine();
    put(&e, "1", None, vec![], vec![]);
    let twice = PutWritesIn {
        writes: vec![wi("__resume__", -4, b"\"a\""), wi("__resume__", -4, b"\"b\"")],
        ..batch(b"0", WritesConflict::AllSpecial)
    };
    assert_eq!(twice.effective_writes().len(), 1);
    assert_eq!(twice.effective_writes()[0].value, b"\"b\"");
    e.with_conn(|c| put_writes_native(c, &e.path, &twice)).unwrap();
    let rec = e.with_conn(|c| read::get_tuple(c, &e.path, "t", "", Some("1"), None)).unwrap().unwrap();
    assert_eq!(rec.writes.len(), 1);
    assert_eq!(rec.writes[0].value, b"\"b\"".to_vec());
}

#[test]
fn reading_other_threads_reuses_the_cached_query_plan() {
    // SQLite built with STAT4 recompiles a statement when a parameter compared with an indexed column is
    // rebound, unless the query planner stability guarantee is on: each getTuple of another thread paid
    // a parse and a plan.
    let e = engine();
    for thread in ["a", "b", "c"] {
        let input = PutIn {
            thread_id: thread,
            checkpoint_ns: "",
            checkpoint_id: "1",
            parent_checkpoint_id: None,
            kind: "json",
            checkpoint: b"{}",
            metadata: b"{}",
            blobs: vec![blob("m", "1", b"[1]", None)],
            carried: vec![],
            keep_every_value: false,
            keep_stored_on_clash: false,
            verified: None,
            memory_data_version: None,
            verified_rows: None,
        };
        e.with_conn(|c| write::put(c, &e.path, &input, None, &mut None)).unwrap();
    }
    for thread in ["a", "b", "c", "a"] {
        let rec = e.with_conn(|c| read::get_tuple(c, &e.path, thread, "", None, None)).unwrap().unwrap();
        assert_eq!(rec.thread_id, thread);
    }
    e.with_conn(|c| {
        let stmt = c
            .prepare_cached(
                "SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata, channel_refs \
                 FROM flg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC",
            )
            .unwrap();
        // The statement getTuple ran (it has stepped), and it was never recompiled.
        assert!(stmt.get_status(rusqlite::StatementStatus::VmStep) > 0);
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
        Ok(())
    })
    .unwrap();
}

#[test]
fn another_connections_commit_makes_what_the_callers_memory_vouches_for_untrusted() {
    let path = std::env::temp_dir().join(format!("flg-data-version-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let path = path.to_str().unwrap().to_string();
    let open = || Engine::open(&path, Synchronous::Normal, 1000, false, 0).unwrap();
    let (a, b) = (open(), open());
    let put_on = |e: &Engine, id: &str, parent: Option<&str>, blobs: Vec<BlobIn>, memory: Option<i64>| {
        let carry = blobs.iter().all(|b| b.base_owner_id.is_none());
        let input = PutIn {
            thread_id: "t",
            checkpoint_ns: "",
            checkpoint_id: id,
            parent_checkpoint_id: parent,
            kind: "json",
            checkpoint: b"{}",
            metadata: b"{}",
            blobs,
            carried: if carry { vec![("m".into(), "1".into())] } else { vec![] },
            keep_every_value: false,
            keep_stored_on_clash: false,
            verified: Some(["m".to_string()].into()),
            memory_data_version: memory,
            verified_rows: None,
        };
        let mut seen = None;
        let outcome = e.with_conn(|c| write::put(c, &e.path, &input, None, &mut seen)).unwrap();
        (outcome, seen.unwrap())
    };
    let (_, v1) = put_on(&a, "1", None, vec![blob("m", "1", b"[1]", None)], None);
    // Only this connection wrote: its memory is in step, the vouched value is carried.
    let (carried, v2) = put_on(&a, "2", Some("1"), vec![], Some(v1));
    assert_eq!((carried, v2), (PutOutcome::Stored, v1));
    // Another connection rewrites the parent under the same id.
    put_on(&b, "1", None, vec![blob("m", "1", b"[9]", None)], None);
    let (asked, v3) = put_on(&a, "3", Some("1"), vec![], Some(v1));
    assert_eq!(asked, PutOutcome::NeedValues(vec!["m".into()]));
    assert_ne!(v3, v1);
    let increment = blob("n", "2", b"[2]", Some("1"));
    assert_eq!(put_on(&a, "3", Some("1"), vec![increment], Some(v1)).0, PutOutcome::DeltaBaseMissing("n".into()));
    // Once in step again (the answer's version), vouching counts.
    assert_eq!(put_on(&a, "3", Some("1"), vec![], Some(v3)).0, PutOutcome::Stored);
    drop((a, b));
    let _ = std::fs::remove_file(&path);
}
