//! The Tokio runtime behind every `async` native call (napi-rs's, built here so its threads can be
//! configured): the same multi-threaded runtime napi-rs would build, whose threads run under Linux's
//! SCHED_BATCH policy.
//!
//! Why: each native call wakes a runtime thread that then encodes the query and writes it to the
//! socket. Under the default policy a freshly woken thread preempts the thread that woke it, so
//! the JavaScript thread lost its CPU in the middle of a callback at nearly every call on a busy
//! machine (2.1 involuntary context switches per call in the soak), and every such loss is
//! event-loop delay. A SCHED_BATCH thread is not allowed to preempt on wakeup (it runs on an idle
//! CPU at once, else at the next scheduler tick); it has the same nice level and CPU share.

/// Runs once when the addon is loaded, before any async call.
#[napi_derive::module_init]
fn init_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().on_thread_start(batch_policy);
    // If it cannot be built, napi-rs builds its default runtime on first use.
    if let Ok(runtime) = builder.build() {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// SCHED_BATCH for the calling thread (a no-op elsewhere than Linux, and where the call is refused).
fn batch_policy() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; the parameter outlives the call.
        unsafe {
            libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn runtime_threads_run_under_sched_batch() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).on_thread_start(super::batch_policy).build().unwrap();
        let policy = runtime.block_on(async { tokio::spawn(async { unsafe { libc::sched_getscheduler(0) } }).await.unwrap() });
        assert_eq!(policy, libc::SCHED_BATCH);
        // The thread that loaded the addon (JavaScript's) keeps its own policy.
        assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
    }
}
