//! Our bundled SQLite locks like another process would (Linux >= 3.15, x86_64 and aarch64).
//!
//! A Node process may link two SQLite copies: ours (rusqlite, bundled) and better-sqlite3's. POSIX advisory locks
//! belong to the process, so the two copies' locks never conflict, and close() of ANY descriptor of a file drops all
//! of the process's locks on it (sqlite.org/howtocorrupt.html 2.2.1). [`install`] replaces the unix VFS's `fcntl` and
//! `close` (`sqlite3_vfs::xSetSystemCall`) so that every lock call our SQLite makes on any descriptor of a file is an
//! open file description (OFD) lock (`F_OFD_SETLK`/`F_OFD_GETLK`, `l_pid = 0`) on ONE descriptor per (device, inode)
//! owned by this table (a `dup` of the first descriptor seen): our copy as a whole is one lock owner, the per-process
//! semantics SQLite's unix VFS expects (its `unixInodeInfo` may unlock on another connection's descriptor), and OFD
//! locks conflict with better-sqlite3's classic locks even in one process. Other `fcntl` commands pass through.
//!
//! The reverse direction: any close() of ours on a file still drops the classic locks the OTHER copy holds on it.
//! So a close of a descriptor whose file carries a classic lock of this process is deferred (the descriptor stays
//! open, SQLite is told it closed) until a later unlock or close of ours (on any file) finds no such lock; the owner
//! descriptor closes with the last of ours. `open` is replaced too: our next open of that file with the same flags
//! gets a deferred descriptor back instead of a new one, so while the other copy holds the file (for as long as it
//! keeps it open, in WAL mode) the descriptors we keep for it never outnumber the most of ours open on it at once
//! (plus the owner). They close once the other copy lets go of it and our SQLite next unlocks or closes something.
//! Elsewhere (macOS, Windows, other Linux CPUs) nothing is replaced.

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod imp {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, Once, OnceLock};

    use libc::{c_int, flock};
    use rusqlite::ffi;

    struct Inode {
        /// The descriptor whose open file description owns every OFD lock of ours on this file.
        owner: c_int,
        /// Descriptors of ours on this file that SQLite has not closed.
        open: usize,
        /// Descriptors SQLite closed while this process held a classic lock on the file (closing would drop it),
        /// each with the `open` flags it was opened with (None: opened before [`install`]; never reused).
        deferred: Vec<(c_int, Option<c_int>)>,
    }

    #[derive(Default)]
    struct Table {
        inodes: HashMap<(u64, u64), Inode>,
        fds: HashMap<c_int, (u64, u64)>,
        /// The `open` flags of each descriptor our SQLite opened and has not closed.
        flags: HashMap<c_int, c_int>,
    }

    fn table() -> &'static Mutex<Table> {
        static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
        TABLE.get_or_init(|| Mutex::new(Table::default()))
    }

    /// True when a classic (process-owned) lock of this process covers any byte of the file behind `owner`.
    /// F_OFD_GETLK reports one conflicting lock at a time; the ranges beside a foreign one are searched in turn.
    fn own_classic_lock(owner: c_int) -> bool {
        let pid = unsafe { libc::getpid() };
        let mut ranges: Vec<(i64, i64)> = vec![(0, i64::MAX)];
        let mut budget = 256;
        while let Some((start, end)) = ranges.pop() {
            if start >= end {
                continue;
            }
            budget -= 1;
            if budget == 0 {
                return true; // cannot tell: keep the descriptor open rather than drop another copy's lock
            }
            let mut lk: flock = unsafe { std::mem::zeroed() };
            lk.l_type = libc::F_WRLCK as _;
            lk.l_whence = libc::SEEK_SET as _;
            lk.l_start = start as _;
            lk.l_len = (end - start) as _;
            if unsafe { libc::fcntl(owner, libc::F_OFD_GETLK, &mut lk) } != 0 {
                return true;
            }
            if lk.l_type as c_int == libc::F_UNLCK {
                continue;
            }
            if lk.l_pid == pid {
                return true;
            }
            let (s, l) = (lk.l_start as i64, lk.l_len as i64);
            ranges.push((start, s.max(start)));
            if l != 0 {
                ranges.push(((s + l).min(end), end));
            }
        }
        false
    }

    /// Closes deferred descriptors (and the owner with the last of ours) once no classic lock of ours would drop.
    fn settle(t: &mut Table, key: (u64, u64)) {
        let Some(inode) = t.inodes.get_mut(&key) else { return };
        if (inode.deferred.is_empty() && inode.open > 0) || own_classic_lock(inode.owner) {
            return;
        }
        for (fd, _) in inode.deferred.drain(..) {
            unsafe { libc::close(fd) };
        }
        if inode.open == 0 {
            unsafe { libc::close(inode.owner) };
            t.inodes.remove(&key);
        }
    }

    /// [`settle`] for every file with a deferred close: a file our SQLite no longer uses still gets its descriptors
    /// closed at the next unlock or close of ours on any file once the other copy's lock is gone.
    fn settle_all(t: &mut Table) {
        let keys: Vec<_> = t.inodes.iter().filter(|(_, i)| !i.deferred.is_empty()).map(|(k, _)| *k).collect();
        for key in keys {
            settle(t, key);
        }
    }

    fn inode_of(fd: c_int) -> Option<(u64, u64)> {
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev as u64, st.st_ino as u64))
    }

    /// A descriptor to own the file's OFD locks: a read-write description when `fd` is read-only (a read-only first
    /// connection must not make a later read-write connection's write locks fail with EBADF), else a `dup` of `fd`.
    fn new_owner(fd: c_int) -> c_int {
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDONLY {
            let proc_path = format!("/proc/self/fd/{fd}\0");
            let rw = unsafe { libc::open(proc_path.as_ptr().cast(), libc::O_RDWR | libc::O_CLOEXEC) };
            if rw >= 0 {
                return rw;
            }
        }
        unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }
    }

    /// The OFD owner for `fd`, registering both on first sight. None: not a file we can map (the call passes through).
    fn owner_for(t: &mut Table, fd: c_int) -> Option<(c_int, (u64, u64))> {
        if let Some(key) = t.fds.get(&fd).copied() {
            return t.inodes.get(&key).map(|i| (i.owner, key));
        }
        let key = inode_of(fd)?;
        let inode = match t.inodes.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let owner = new_owner(fd);
                if owner < 0 {
                    return None;
                }
                e.insert(Inode { owner, open: 0, deferred: Vec::new() })
            }
        };
        inode.open += 1;
        t.fds.insert(fd, key);
        Some((inode.owner, key))
    }

    /// A deferred descriptor of the file at `path` opened with exactly `flags`, handed back instead of a new one, so
    /// that a file's descriptors never outnumber the most of ours open on it at once. Not for `O_EXCL`/`O_TRUNC`
    /// (whose open would differ on an existing file); with `O_NOFOLLOW` a symlink is never matched (lstat). The file
    /// is found by (device, inode) as a real open would find it at this moment.
    unsafe fn reuse_deferred(t: &mut Table, path: *const libc::c_char, flags: c_int) -> Option<c_int> {
        if flags & (libc::O_EXCL | libc::O_TRUNC) != 0 || t.inodes.values().all(|i| i.deferred.is_empty()) {
            return None;
        }
        let mut st: libc::stat = std::mem::zeroed();
        let rc = if flags & libc::O_NOFOLLOW != 0 { libc::lstat(path, &mut st) } else { libc::stat(path, &mut st) };
        if rc != 0 {
            return None;
        }
        let key = (st.st_dev as u64, st.st_ino as u64);
        let inode = t.inodes.get_mut(&key)?;
        let at = inode.deferred.iter().position(|&(_, f)| f == Some(flags))?;
        let (fd, _) = inode.deferred.swap_remove(at);
        inode.open += 1;
        t.fds.insert(fd, key);
        t.flags.insert(fd, flags);
        Some(fd)
    }

    // SQLite calls this through `int (*)(const char*, int, int)` (its posixOpen passes the mode as an int).
    unsafe extern "C" fn ofd_open(path: *const libc::c_char, flags: c_int, mode: c_int) -> c_int {
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(fd) = reuse_deferred(&mut t, path, flags) {
            return fd;
        }
        let fd = libc::open(path, flags, mode as libc::c_uint);
        if fd >= 0 {
            t.flags.insert(fd, flags);
        }
        fd
    }

    // SQLite calls this through `int (*)(int, int, ...)`. On Linux x86_64 and aarch64 a variadic call passes its
    // third argument exactly as a named one (the register rdx / x2), so a three-argument function receives it.
    unsafe extern "C" fn ofd_fcntl(fd: c_int, cmd: c_int, arg: usize) -> c_int {
        let ofd_cmd = match cmd {
            libc::F_SETLK => libc::F_OFD_SETLK,
            libc::F_SETLKW => libc::F_OFD_SETLKW,
            libc::F_GETLK => libc::F_OFD_GETLK,
            _ => return libc::fcntl(fd, cmd, arg),
        };
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        let Some((owner, key)) = owner_for(&mut t, fd) else {
            return libc::fcntl(fd, cmd, arg);
        };
        let lk = &mut *(arg as *mut flock);
        lk.l_pid = 0;
        let rc = libc::fcntl(owner, ofd_cmd, lk as *mut flock);
        if ofd_cmd == libc::F_OFD_SETLK && lk.l_type as c_int == libc::F_UNLCK {
            let saved = *libc::__errno_location();
            settle(&mut t, key);
            settle_all(&mut t);
            *libc::__errno_location() = saved;
        }
        rc
    }

    unsafe extern "C" fn ofd_close(fd: c_int) -> c_int {
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        let tracked = t.fds.remove(&fd);
        let flags = t.flags.remove(&fd);
        // A descriptor of ours that never locked still drops the other copy's locks on close: treat it alike.
        let Some(key) = tracked.or_else(|| inode_of(fd).filter(|k| t.inodes.contains_key(k))) else {
            settle_all(&mut t);
            return libc::close(fd);
        };
        if let Some(inode) = t.inodes.get_mut(&key) {
            if tracked.is_some() {
                inode.open -= 1;
            }
            inode.deferred.push((fd, flags));
        }
        settle(&mut t, key);
        settle_all(&mut t);
        0
    }

    /// For the file at `path`: (descriptors of ours SQLite has open, closes deferred), or None when the table holds
    /// no descriptor for it (none leaks). For tests and diagnostics.
    pub fn held_descriptors(path: &str) -> Option<(usize, usize)> {
        let st = std::fs::metadata(path).ok()?;
        let key = (std::os::unix::fs::MetadataExt::dev(&st), std::os::unix::fs::MetadataExt::ino(&st));
        let t = table().lock().unwrap_or_else(|e| e.into_inner());
        t.inodes.get(&key).map(|i| (i.open, i.deferred.len()))
    }

    pub fn install() -> bool {
        static ONCE: Once = Once::new();
        static INSTALLED: AtomicBool = AtomicBool::new(false);
        ONCE.call_once(|| unsafe {
            let vfs = ffi::sqlite3_vfs_find(std::ptr::null());
            let Some(set) = vfs.as_ref().and_then(|v| v.xSetSystemCall) else { return };
            let fcntl_ptr: ffi::sqlite3_syscall_ptr =
                std::mem::transmute::<unsafe extern "C" fn(c_int, c_int, usize) -> c_int, _>(ofd_fcntl);
            let close_ptr: ffi::sqlite3_syscall_ptr = std::mem::transmute::<unsafe extern "C" fn(c_int) -> c_int, _>(ofd_close);
            let open_ptr: ffi::sqlite3_syscall_ptr =
                std::mem::transmute::<unsafe extern "C" fn(*const libc::c_char, c_int, c_int) -> c_int, _>(ofd_open);
            let ok = set(vfs, c"open".as_ptr(), open_ptr) == ffi::SQLITE_OK
                && set(vfs, c"fcntl".as_ptr(), fcntl_ptr) == ffi::SQLITE_OK
                && set(vfs, c"close".as_ptr(), close_ptr) == ffi::SQLITE_OK;
            INSTALLED.store(ok, Ordering::SeqCst);
        });
        INSTALLED.load(Ordering::SeqCst)
    }
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub use imp::{held_descriptors, install};

/// Replaces nothing on this platform: our SQLite's locks are the platform's own (see the module docs).
#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
pub fn install() -> bool {
    false
}
