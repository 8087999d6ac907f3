//! Bytes handed to JavaScript as a Buffer that V8 owns.
//!
//! napi-rs turns a Rust `Buffer` built from a `Vec<u8>` into an external buffer whose memory is
//! released by a finalizer, and Node runs those finalizers only when the event loop turns: a loop of
//! awaited reads that never yields to the macrotask queue keeps every buffer it was handed until it
//! ends (measured: +1.1 GB RSS for 9,000 `getState` calls on a 100 KB thread). A copy into a buffer
//! that V8 allocates is freed by the garbage collector alone.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;

/// A byte string returned to JavaScript as a `Buffer` copied into V8-owned memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JsBytes(pub Vec<u8>);

impl From<Vec<u8>> for JsBytes {
    fn from(bytes: Vec<u8>) -> Self {
        JsBytes(bytes)
    }
}

impl TypeName for JsBytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for JsBytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        let mut data = ptr::null_mut();
        let status = if val.0.is_empty() {
            unsafe { sys::napi_create_buffer(env, 0, &mut data, &mut out) }
        } else {
            unsafe { sys::napi_create_buffer_copy(env, val.0.len(), val.0.as_ptr().cast(), &mut data, &mut out) }
        };
        check_status!(status, "could not copy {} bytes into a Buffer", val.0.len())?;
        Ok(out)
    }
}
