//! The in-memory storage behind a ":memory:" store (every patched `MemorySaver`): an SQLite VFS whose
//! files live in process memory, in 64 KiB chunks, so the pager above it keeps its usual bounded page
//! cache (`PRAGMA cache_size`, 2 MiB by default).
//!
//! Why not SQLite's own `:memory:`: there the page cache IS the database, and b-tree balancing parks a
//! page at the pending-byte page number (1 GiB / page size + 1) while it sorts new pages, so the next
//! commit's cache truncate scans the whole page-cache hash table: a cost per commit that grows with
//! everything stored (17.4% of the CPU samples of a replay of the soak's store calls at 2,000 threads,
//! measured with perf). Why not SQLite's `memdb` VFS, whose cache is bounded too: a memdb database is
//! one allocation, capped near 2 GiB by `sqlite3Realloc`, that never shrinks. Here nothing caps the
//! size but memory, and a truncate (an `incremental_vacuum` after a prune or a thread deletion) frees
//! the chunks past the new end at once.
//!
//! Every `xOpen` makes a new private file (names are never shared: two stores never see each other's
//! data), freed when SQLite closes it. A file is used by one connection, which the engine's mutex
//! serializes, so locks are no-ops. Randomness, sleep and time come from the default VFS.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rusqlite::ffi;

/// The VFS name to open a connection with.
pub const VFS_NAME: &str = "flg-memory";
const VFS_NAME_C: &CStr = c"flg-memory";
const CHUNK: usize = 64 * 1024;

struct Data {
    chunks: Vec<Option<Box<[u8]>>>,
    size: u64,
    /// Bytes of the chunks allocated, readable without the connection (see `held_bytes`).
    held: Arc<AtomicU64>,
}

impl Data {
    fn new() -> Self {
        Self { chunks: Vec::new(), size: 0, held: Arc::new(AtomicU64::new(0)) }
    }

    #[cfg(test)]
    fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    fn read(&self, out: &mut [u8], offset: u64) -> bool {
        let mut done = 0;
        while done < out.len() {
            let at = offset + done as u64;
            let n = (out.len() - done).min(CHUNK - (at as usize % CHUNK));
            let dest = &mut out[done..done + n];
            if at >= self.size {
                dest.fill(0);
            } else {
                match self.chunks.get(at as usize / CHUNK).and_then(|c| c.as_deref()) {
                    Some(chunk) => dest.copy_from_slice(&chunk[at as usize % CHUNK..at as usize % CHUNK + n]),
                    None => dest.fill(0),
                }
            }
            done += n;
        }
        offset + out.len() as u64 <= self.size
    }

    fn write(&mut self, data: &[u8], offset: u64) {
        let mut done = 0;
        while done < data.len() {
            let at = offset + done as u64;
            let index = at as usize / CHUNK;
            let within = at as usize % CHUNK;
            let n = (data.len() - done).min(CHUNK - within);
            if self.chunks.len() <= index {
                self.chunks.resize_with(index + 1, || None);
            }
            let held = &self.held;
            let chunk = self.chunks[index].get_or_insert_with(|| {
                held.fetch_add(CHUNK as u64, Ordering::Relaxed);
                vec![0u8; CHUNK].into_boxed_slice()
            });
            chunk[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        self.size = self.size.max(offset + data.len() as u64);
    }

    fn truncate(&mut self, size: u64) {
        if size < self.size {
            let keep = (size as usize).div_ceil(CHUNK);
            let freed = self.chunks.iter().skip(keep).filter(|c| c.is_some()).count();
            self.held.fetch_sub((freed * CHUNK) as u64, Ordering::Relaxed);
            self.chunks.truncate(keep);
            self.chunks.shrink_to_fit();
            // Bytes past the end read as zeros if the file grows again.
            if let Some(Some(last)) = self.chunks.last_mut() {
                let within = size as usize % CHUNK;
                if within > 0 {
                    last[within..].fill(0);
                }
            }
        }
        self.size = size;
    }
}

/// What SQLite allocates per open file (`szOsFile`): its base struct, then ours.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    data: *mut Data,
}

unsafe fn data<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Data {
    &mut *(*(file as *mut File)).data
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    let f = file as *mut File;
    if !(*f).data.is_null() {
        drop(Box::from_raw((*f).data));
        (*f).data = ptr::null_mut();
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_read(file: *mut ffi::sqlite3_file, buf: *mut c_void, amt: c_int, offset: i64) -> c_int {
    let out = std::slice::from_raw_parts_mut(buf as *mut u8, amt as usize);
    if data(file).read(out, offset as u64) {
        ffi::SQLITE_OK
    } else {
        ffi::SQLITE_IOERR_SHORT_READ
    }
}

unsafe extern "C" fn x_write(file: *mut ffi::sqlite3_file, buf: *const c_void, amt: c_int, offset: i64) -> c_int {
    let bytes = std::slice::from_raw_parts(buf as *const u8, amt as usize);
    // Allocation failure aborts the process, as everywhere else in Rust.
    data(file).write(bytes, offset as u64);
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    data(file).truncate(size.max(0) as u64);
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_sync(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    *out = data(file).size as i64;
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_lock(_: *mut ffi::sqlite3_file, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_check_reserved_lock(_: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    *out = 0;
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_control(_: *mut ffi::sqlite3_file, _: c_int, _: *mut c_void) -> c_int {
    ffi::SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(_: *mut ffi::sqlite3_file) -> c_int {
    4096
}

unsafe extern "C" fn x_device_characteristics(_: *mut ffi::sqlite3_file) -> c_int {
    ffi::SQLITE_IOCAP_ATOMIC
        | ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE
        | ffi::SQLITE_IOCAP_SAFE_APPEND
        | ffi::SQLITE_IOCAP_SEQUENTIAL
}

static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_lock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

unsafe extern "C" fn x_open(
    _: *mut ffi::sqlite3_vfs,
    _name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let f = file as *mut File;
    (*f).data = Box::into_raw(Box::new(Data::new()));
    (*f).base.pMethods = &IO_METHODS;
    if !out_flags.is_null() {
        *out_flags = flags;
    }
    ffi::SQLITE_OK
}

/// Files are private to their open handle, so there is nothing to delete by name.
unsafe extern "C" fn x_delete(_: *mut ffi::sqlite3_vfs, _: *const c_char, _: c_int) -> c_int {
    ffi::SQLITE_OK
}

/// No name ever refers to an existing file (so SQLite never looks for a hot journal).
unsafe extern "C" fn x_access(_: *mut ffi::sqlite3_vfs, _: *const c_char, _: c_int, out: *mut c_int) -> c_int {
    *out = 0;
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_full_pathname(_: *mut ffi::sqlite3_vfs, name: *const c_char, n_out: c_int, out: *mut c_char) -> c_int {
    let bytes = CStr::from_ptr(name).to_bytes_with_nul();
    if bytes.len() > n_out as usize {
        return ffi::SQLITE_CANTOPEN;
    }
    ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, out, bytes.len());
    ffi::SQLITE_OK
}

fn base(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY: pAppData is the default VFS, set once at registration and never freed.
    unsafe { (*vfs).pAppData as *mut ffi::sqlite3_vfs }
}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let b = base(vfs);
    (*b).xRandomness.map_or(0, |f| f(b, n, out))
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, us: c_int) -> c_int {
    let b = base(vfs);
    (*b).xSleep.map_or(0, |f| f(b, us))
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    let b = base(vfs);
    (*b).xCurrentTime.map_or(ffi::SQLITE_ERROR, |f| f(b, out))
}

unsafe extern "C" fn x_current_time_int64(vfs: *mut ffi::sqlite3_vfs, out: *mut i64) -> c_int {
    let b = base(vfs);
    match (*b).xCurrentTimeInt64 {
        Some(f) => f(b, out),
        None => ffi::SQLITE_ERROR,
    }
}

unsafe extern "C" fn x_get_last_error(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let b = base(vfs);
    (*b).xGetLastError.map_or(0, |f| f(b, n, out))
}

/// The registered VFS, kept for the life of the process (SQLite holds a pointer to it).
struct Registered(#[allow(dead_code)] *mut ffi::sqlite3_vfs);
// SAFETY: the VFS struct is immutable after registration and SQLite reads it from any thread.
unsafe impl Send for Registered {}
unsafe impl Sync for Registered {}

/// Registers the VFS once per process (not as the default); an error names the SQLite code.
pub fn register() -> Result<(), String> {
    static DONE: OnceLock<Result<Registered, String>> = OnceLock::new();
    DONE.get_or_init(|| unsafe {
        let default = ffi::sqlite3_vfs_find(ptr::null());
        if default.is_null() {
            return Err("SQLite has no default VFS".into());
        }
        let vfs = Box::into_raw(Box::new(ffi::sqlite3_vfs {
            iVersion: 2,
            szOsFile: std::mem::size_of::<File>() as c_int,
            mxPathname: 1024,
            pNext: ptr::null_mut(),
            zName: VFS_NAME_C.as_ptr(),
            pAppData: default as *mut c_void,
            xOpen: Some(x_open),
            xDelete: Some(x_delete),
            xAccess: Some(x_access),
            xFullPathname: Some(x_full_pathname),
            xDlOpen: None,
            xDlError: None,
            xDlSym: None,
            xDlClose: None,
            xRandomness: Some(x_randomness),
            xSleep: Some(x_sleep),
            xCurrentTime: Some(x_current_time),
            xGetLastError: Some(x_get_last_error),
            xCurrentTimeInt64: Some(x_current_time_int64),
            xSetSystemCall: None,
            xGetSystemCall: None,
            xNextSystemCall: None,
        }));
        match ffi::sqlite3_vfs_register(vfs, 0) {
            ffi::SQLITE_OK => Ok(Registered(vfs)),
            rc => Err(format!("cannot register the in-memory VFS (SQLite code {rc})")),
        }
    })
    .as_ref()
    .map(|_| ())
    .map_err(Clone::clone)
}

/// A live count of the bytes the main database of `conn` holds in this VFS (chunks allocated; the page
/// cache above it is bounded by `cache_size`), or `None` when it is not a file of this VFS. Reading it
/// takes no lock.
pub fn held_bytes(conn: &rusqlite::Connection) -> Option<Arc<AtomicU64>> {
    let mut file: *mut ffi::sqlite3_file = ptr::null_mut();
    // SAFETY: FILE_POINTER writes the main database's sqlite3_file pointer; we read our struct only
    // when its methods are ours.
    unsafe {
        let rc = ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            &mut file as *mut _ as *mut c_void,
        );
        if rc != ffi::SQLITE_OK || file.is_null() || !ptr::eq((*file).pMethods, &IO_METHODS) {
            return None;
        }
        Some(data(file).held.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::super::engine::{Engine, Synchronous};
    use super::*;

    fn cache_used(conn: &rusqlite::Connection) -> i64 {
        let (mut current, mut high) = (0, 0);
        // SAFETY: a valid open handle and out-pointers.
        let rc = unsafe { ffi::sqlite3_db_status(conn.handle(), ffi::SQLITE_DBSTATUS_CACHE_USED, &mut current, &mut high, 0) };
        assert_eq!(rc, ffi::SQLITE_OK);
        current as i64
    }

    fn fill(e: &Engine, rows: i64, bytes: usize) {
        e.with_conn(|c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB)").unwrap();
            let tx = c.transaction().unwrap();
            {
                let mut st = tx.prepare("INSERT INTO t (v) VALUES (randomblob(?1))").unwrap();
                for _ in 0..rows {
                    st.execute([bytes as i64]).unwrap();
                }
            }
            tx.commit().unwrap();
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn the_page_cache_stays_bounded_while_the_database_grows_past_it() {
        let e = Engine::open(":memory:", Synchronous::Normal, 1000, false, 0).unwrap();
        // 24 MiB in 6,000 commits of 4 KiB rows, far past the 2 MiB default cache.
        for _ in 0..6_000 {
            fill(&e, 1, 4096);
        }
        e.with_conn(|c| {
            let held = held_bytes(c).expect("a file of this VFS").load(Ordering::Relaxed);
            assert!(held >= 24 << 20, "the database holds {held} bytes");
            // SQLite's ":memory:" keeps every page in the cache (24 MiB and more here).
            let used = cache_used(c);
            assert!(used < 4 << 20, "page cache {used} bytes");
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "memory");
            let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            assert_eq!(ok, "ok");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn memory_returns_after_a_delete_and_an_incremental_vacuum_and_on_close() {
        let e = Engine::open(":memory:", Synchronous::Normal, 1000, false, 0).unwrap();
        fill(&e, 4_000, 4096);
        let full = e.with_conn(|c| Ok(held_bytes(c).unwrap().load(Ordering::Relaxed))).unwrap();
        assert!(full >= 16 << 20, "{full}");
        e.with_conn(|c| {
            c.execute_batch("DELETE FROM t WHERE k > 400").unwrap();
            super::super::prune::release_free_pages(c, ":memory:")
        })
        .unwrap();
        let after = e.with_conn(|c| Ok(held_bytes(c).unwrap().load(Ordering::Relaxed))).unwrap();
        assert!(after < full / 4, "{full} bytes before, {after} after");
        let count: i64 = e.with_conn(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap())).unwrap();
        assert_eq!(count, 400);
        let e = std::sync::Arc::new(e);
        e.close().unwrap();
        assert!(e.with_conn(|_| Ok(())).is_err());
    }

    #[test]
    fn a_failed_transaction_rolls_back_and_stores_never_share_data() {
        let a = Engine::open(":memory:", Synchronous::Normal, 1000, false, 0).unwrap();
        let b = Engine::open(":memory:", Synchronous::Normal, 1000, false, 0).unwrap();
        fill(&a, 100, 1000);
        a.with_conn(|c| {
            let tx = c.transaction().unwrap();
            tx.execute_batch("DELETE FROM t; INSERT INTO t (v) VALUES (randomblob(100000));").unwrap();
            drop(tx); // rolls back
            let n: i64 = c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
            assert_eq!(n, 100);
            // A constraint failure inside a statement undoes only that statement.
            let err = c.execute("INSERT INTO t (k, v) SELECT k, v FROM t", []).unwrap_err();
            assert!(err.to_string().contains("UNIQUE"), "{err}");
            let n: i64 = c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
            assert_eq!(n, 100);
            Ok(())
        })
        .unwrap();
        b.with_conn(|c| {
            let exists = c.prepare("SELECT 1 FROM sqlite_master WHERE name = 't'").unwrap().exists([]).unwrap();
            assert!(!exists, "a second store sees the first one's table");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn chunked_storage_reads_back_what_was_written_across_chunk_edges() {
        let mut d = Data::new();
        let bytes: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i * 7 % 251) as u8).collect();
        d.write(&bytes[..100], 0);
        d.write(&bytes[100..], 100);
        let mut out = vec![0u8; bytes.len()];
        assert!(d.read(&mut out, 0));
        assert_eq!(out, bytes);
        // A read past the end is short, zero-filled.
        let mut tail = vec![1u8; 64];
        assert!(!d.read(&mut tail, bytes.len() as u64 - 10));
        assert_eq!(&tail[..10], &bytes[bytes.len() - 10..]);
        assert!(tail[10..].iter().all(|&b| b == 0));
        // Truncating frees whole chunks and zeroes the rest of the last one.
        d.truncate(CHUNK as u64 + 5);
        assert_eq!(d.held(), 2 * CHUNK as u64);
        d.write(&[9], 2 * CHUNK as u64);
        let mut gap = vec![1u8; CHUNK];
        assert!(d.read(&mut gap, CHUNK as u64));
        assert_eq!(&gap[..5], &bytes[CHUNK..CHUNK + 5]);
        assert!(gap[5..].iter().all(|&b| b == 0));
    }
}
