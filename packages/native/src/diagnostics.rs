//! Process-level figures for `getPatchStatus()` and memory reports.

/// Version of the native core, for diagnostics.
#[napi_derive::napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Bytes SQLite currently holds allocated in this process (all connections, including in-memory
/// databases), so memory kept off the V8 heap can be reported honestly.
#[napi_derive::napi]
pub fn sqlite_memory_used() -> i64 {
    // SAFETY: sqlite3_memory_used only reads SQLite's global allocation counter.
    unsafe { rusqlite::ffi::sqlite3_memory_used() }
}
