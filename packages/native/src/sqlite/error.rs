//! SQLite errors as messages that name the database file, or its directory when that is the cause.

pub type EngineResult<T> = Result<T, String>;

/// SQLite's SQLITE_READONLY_DIRECTORY: a journal (or WAL/shm) file cannot be created beside the database.
const READONLY_DIRECTORY: i32 = 1544;

/// The directory of a database path given as a plain file name (not a `file:` URI or `:memory:`).
fn directory_of(path: &str) -> Option<std::path::PathBuf> {
    if path.starts_with("file:") || path == ":memory:" || path.is_empty() {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    Some(if parent.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { parent.to_path_buf() })
}

fn hint(path: &str, err: &rusqlite::Error) -> String {
    let extended = match err {
        rusqlite::Error::SqliteFailure(e, _) => e.extended_code,
        _ => 0,
    };
    let dir = directory_of(path);
    let dir_text = dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => " (the file is not a SQLite database)".into(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => " (the database file is corrupt)".into(),
        Some(rusqlite::ErrorCode::ReadOnly) if extended == READONLY_DIRECTORY && dir.is_some() => {
            format!(" (the directory {dir_text:?} is read-only: SQLite must create the -wal and -shm files beside the database)")
        }
        Some(rusqlite::ErrorCode::ReadOnly) => " (the file is read-only)".into(),
        Some(rusqlite::ErrorCode::CannotOpen) if std::path::Path::new(path).is_dir() => {
            " (the path is a directory: give a file in it)".into()
        }
        Some(rusqlite::ErrorCode::CannotOpen) => {
            match &dir {
                Some(d) if !d.is_dir() => format!(" (the directory {dir_text:?} does not exist)"),
                Some(_) if !std::path::Path::new(path).exists() => {
                    format!(" (the file does not exist and cannot be created in the directory {dir_text:?}: is the directory writable?)")
                }
                _ => " (the file or its directory cannot be opened)".into(),
            }
        }
        _ => String::new(),
    }
}

pub fn describe(path: &str, err: rusqlite::Error) -> String {
    let hint = hint(path, &err);
    format!("database {path:?}: {err}{hint}")
}

/// Maps a SQLite error to a message naming the file.
pub fn sql_err(path: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |e| describe(path, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_read_only_directory_is_named_as_the_directory() {
        let m = describe("/srv/data/app.sqlite", failure(READONLY_DIRECTORY));
        assert!(m.contains("the directory \"/srv/data\" is read-only"), "{m}");
        let m = describe("/srv/data/app.sqlite", failure(rusqlite::ffi::SQLITE_READONLY));
        assert!(m.ends_with("(the file is read-only)"), "{m}");
    }

    #[test]
    fn a_file_that_cannot_be_opened_says_whether_its_directory_exists() {
        let m = describe("/nonexistent-dir-flg/app.sqlite", failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(m.contains("the directory \"/nonexistent-dir-flg\" does not exist"), "{m}");
        let m = describe("/tmp", failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(m.ends_with("(the path is a directory: give a file in it)"), "{m}");
        let m = describe("/tmp/flg-never-created.sqlite", failure(rusqlite::ffi::SQLITE_CANTOPEN));
        assert!(m.contains("cannot be created in the directory \"/tmp\""), "{m}");
    }
}
