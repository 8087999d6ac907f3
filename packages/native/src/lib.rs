#![deny(clippy::all)]

mod error;
pub mod saver;

/// Version of the native core, for diagnostics.
#[napi_derive::napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
