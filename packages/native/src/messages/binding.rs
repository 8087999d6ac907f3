use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::reducer::merge_serialized;
use crate::error::invalid_arg;
use crate::js_bytes::JsBytes;

/// `messagesStateReducer` folded over `updates` (each a serialized message list or message), on the
/// serialized base list; returns the serialized result. Untouched messages keep their exact bytes.
#[napi(ts_return_type = "Buffer")]
pub fn merge_serialized_messages(base: Buffer, updates: Vec<Buffer>) -> Result<JsBytes> {
    let parts: Vec<&[u8]> = updates.iter().map(|b| b.as_ref()).collect();
    merge_serialized(&base, &parts).map(JsBytes).map_err(invalid_arg)
}

pub struct MergeTask {
    base: Buffer,
    updates: Vec<Buffer>,
}

impl Task for MergeTask {
    type Output = Vec<u8>;
    type JsValue = JsBytes;

    fn compute(&mut self) -> Result<Vec<u8>> {
        let parts: Vec<&[u8]> = self.updates.iter().map(|b| b.as_ref()).collect();
        merge_serialized(&self.base, &parts).map_err(invalid_arg)
    }

    fn resolve(&mut self, _env: Env, output: Vec<u8>) -> Result<JsBytes> {
        Ok(output.into())
    }
}

/// The same merge on the libuv thread pool.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn merge_serialized_messages_async(base: Buffer, updates: Vec<Buffer>) -> AsyncTask<MergeTask> {
    AsyncTask::new(MergeTask { base, updates })
}
