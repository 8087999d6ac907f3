use napi::{Error, Status};

/// Bad input from JavaScript: the message names the offending value.
pub fn invalid_arg(message: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, message.into())
}

/// A failure inside the engine (SQLite, I/O), tagged with what was being done.
pub fn engine_error(context: &str, err: impl std::fmt::Display) -> Error {
    Error::new(Status::GenericFailure, format!("{context}: {err}"))
}
