//! SQLite errors as messages that name the database file.

pub type EngineResult<T> = Result<T, String>;

pub fn describe(path: &str, err: rusqlite::Error) -> String {
    let hint = match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => " (the file is not a SQLite database)",
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => " (the database file is corrupt)",
        Some(rusqlite::ErrorCode::CannotOpen) => " (the file or its directory cannot be opened)",
        Some(rusqlite::ErrorCode::ReadOnly) => " (the file is read-only)",
        _ => "",
    };
    format!("database {path:?}: {err}{hint}")
}

/// Maps a SQLite error to a message naming the file.
pub fn sql_err(path: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| describe(path, e)
}
