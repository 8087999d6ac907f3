//! The OFD lock mapping on real files: our connections are one lock owner that another lock owner in this process
//! (a plain fcntl, as better-sqlite3's SQLite takes) conflicts with, and closing a descriptor keeps our locks.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

use std::os::fd::AsRawFd;

use rusqlite::{Connection, ErrorCode};

use super::ofd_locks;

/// SQLite's lock bytes in the database file (sqlite3.c: PENDING_BYTE, RESERVED_BYTE).
const PENDING_BYTE: i64 = 0x4000_0000;
const RESERVED_BYTE: i64 = PENDING_BYTE + 1;

fn temp_db(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("flg-ofd-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("db.sqlite").to_str().unwrap().to_string()
}

fn open(path: &str) -> Connection {
    assert!(ofd_locks::install(), "the unix VFS accepts the replacement fcntl and close");
    let c = Connection::open(path).unwrap();
    c.busy_timeout(std::time::Duration::ZERO).unwrap();
    c
}

/// A classic POSIX lock query from a plain descriptor of this process: the type of a conflicting lock, if any.
fn classic_probe(path: &str, start: i64) -> Option<(i16, i32)> {
    let f = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = libc::F_WRLCK as _;
    lk.l_whence = libc::SEEK_SET as _;
    lk.l_start = start;
    lk.l_len = 1;
    assert_eq!(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut lk) }, 0);
    drop(f); // closes a descriptor of the file: classic locks of this process would drop here
    (lk.l_type as i32 != libc::F_UNLCK).then_some((lk.l_type as i16, lk.l_pid))
}

fn classic_lock(f: &std::fs::File, kind: i32, start: i64) -> i32 {
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = kind as _;
    lk.l_whence = libc::SEEK_SET as _;
    lk.l_start = start;
    lk.l_len = 1;
    unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETLK, &lk) }
}

#[test]
fn our_locks_survive_a_closed_descriptor_and_a_closed_connection() {
    let path = temp_db("survive");
    let a = open(&path);
    a.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    let b = open(&path);
    assert_eq!(b.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    // A holds the write lock (in WAL mode: a lock byte of the -shm file) and RESERVED-free db SHARED lock.
    a.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (2);").unwrap();
    let shm = format!("{path}-shm");
    // WAL_WRITE_LOCK is byte 120 of the -shm file: seen from a plain descriptor of this same process.
    assert!(classic_probe(&shm, 120).is_some(), "the write lock is visible to a classic lock owner in this process");
    // A plain descriptor of the file was opened and closed (in classic_probe) and B closes: A's lock stays.
    drop(b);
    assert!(classic_probe(&shm, 120).is_some(), "closing descriptors of the file keeps our locks");
    let c = open(&path);
    let err = c.execute_batch("BEGIN IMMEDIATE").unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy), "our second writer waits for the first: {err}");
    a.execute_batch("COMMIT").unwrap();
    c.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (3); COMMIT").unwrap();
    assert_eq!(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 3);
    drop(a);
    drop(c);
    // Our last close got the EXCLUSIVE lock (no stale lock of ours left), checkpointed and removed the -shm.
    assert!(!std::path::Path::new(&shm).exists(), "the last connection's close cleaned up the WAL files");
    assert_eq!(ofd_locks::held_descriptors(&path), None, "no descriptor is left for a closed file");
}

#[test]
fn a_classic_lock_in_this_process_excludes_our_sqlite() {
    let path = temp_db("exclude");
    let a = open(&path);
    a.execute_batch("CREATE TABLE t(x)").unwrap(); // rollback journal: RESERVED_BYTE in the database file
    let plain = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    assert_eq!(classic_lock(&plain, libc::F_WRLCK, RESERVED_BYTE), 0);
    let err = a.execute_batch("BEGIN IMMEDIATE").unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy), "another lock owner holds RESERVED: {err}");
    assert_eq!(classic_lock(&plain, libc::F_UNLCK, RESERVED_BYTE), 0);
    a.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (1); COMMIT").unwrap();
    // And the other way round: while we hold RESERVED, the classic owner cannot take it.
    a.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(classic_lock(&plain, libc::F_WRLCK, RESERVED_BYTE), -1);
    a.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn our_close_waits_while_this_process_holds_a_classic_lock_on_the_file() {
    let path = temp_db("defer");
    let a = open(&path);
    a.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    let plain = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    // A shared lock of the SHARED range, as another SQLite copy's reader holds it.
    assert_eq!(classic_lock(&plain, libc::F_RDLCK, PENDING_BYTE + 2), 0);
    drop(a); // our close: if it really closed a descriptor, the classic lock above would be gone
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = libc::F_WRLCK as _;
    lk.l_whence = libc::SEEK_SET as _;
    lk.l_start = PENDING_BYTE + 2;
    lk.l_len = 1;
    let probe = std::fs::File::open(&path).unwrap();
    assert_eq!(unsafe { libc::fcntl(probe.as_raw_fd(), libc::F_OFD_GETLK, &mut lk) }, 0);
    assert_eq!(lk.l_type as i32, libc::F_RDLCK, "the classic reader's lock survived our close");
    assert_eq!(lk.l_pid, unsafe { libc::getpid() });
    assert_eq!(ofd_locks::held_descriptors(&path), Some((0, 1)), "the close is deferred");
    // The classic lock goes (closing `plain` and `probe` drops it); the next close of ours settles the deferred one.
    drop(plain);
    drop(probe);
    let b = open(&path);
    assert_eq!(b.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    drop(b);
    assert_eq!(ofd_locks::held_descriptors(&path), None, "no descriptor is left for a closed file");
}

#[test]
fn a_read_only_first_connection_does_not_stop_a_later_writer() {
    let path = temp_db("readonly-first");
    {
        let setup = Connection::open(&path).unwrap();
        // Rollback journal: a writer takes write locks on the database file itself (RESERVED, PENDING, EXCLUSIVE).
        setup.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    }
    assert!(ofd_locks::install());
    // The first descriptor the lock table sees for the file is read-only; a write lock on it would fail (EBADF).
    let reader = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(reader.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    let writer = open(&path);
    writer.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT").unwrap();
    assert_eq!(reader.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 2);
}

/// Descriptors of this process on the database file or its -wal/-shm/-journal files.
fn descriptors_on(path: &str) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_str().is_some_and(|t| t.starts_with(path)))
        .count()
}

#[test]
fn reopening_while_another_owner_holds_the_file_reuses_deferred_descriptors() {
    let path = temp_db("reuse");
    {
        let a = open(&path);
        a.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
        // Another SQLite copy's reader in WAL mode: SHARED on the database file and a read lock in the -shm.
        let keep = open(&path); // keeps the -wal/-shm files while the classic locks are taken below
        assert_eq!(keep.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }
    let plain_db = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    let shm = format!("{path}-shm");
    let wal_setup = open(&path); // WAL mode persists: reopening creates -wal/-shm again
    wal_setup.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap();
    let plain_shm = std::fs::OpenOptions::new().read(true).write(true).open(&shm).unwrap();
    assert_eq!(classic_lock(&plain_db, libc::F_RDLCK, PENDING_BYTE + 2), 0);
    assert_eq!(classic_lock(&plain_shm, libc::F_RDLCK, 125), 0); // a WAL read-mark byte, as a reader holds it
    drop(wal_setup);
    let cycle = |i: i64| {
        let c = open(&path);
        c.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
        assert_eq!(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), i);
    };
    cycle(2);
    let after_one = descriptors_on(&path);
    for i in 3..=40 {
        cycle(i);
    }
    assert_eq!(descriptors_on(&path), after_one, "open/close cycles keep as many descriptors as one cycle did");
    // The other owner's locks survived every close of ours.
    let mut lk: libc::flock = unsafe { std::mem::zeroed() };
    lk.l_type = libc::F_WRLCK as _;
    lk.l_whence = libc::SEEK_SET as _;
    lk.l_start = PENDING_BYTE + 2;
    lk.l_len = 1;
    let probe = std::fs::File::open(&path).unwrap();
    assert_eq!(unsafe { libc::fcntl(probe.as_raw_fd(), libc::F_OFD_GETLK, &mut lk) }, 0);
    assert_eq!(lk.l_type as i32, libc::F_RDLCK, "the classic reader's lock survived our closes");
    drop(probe);
    drop(plain_db);
    drop(plain_shm);
    let last = open(&path);
    assert_eq!(last.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 40);
    drop(last);
    assert_eq!(ofd_locks::held_descriptors(&path), None, "no descriptor is left once the other owner let go");
    assert_eq!(descriptors_on(&path), 0);
}
