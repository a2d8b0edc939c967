//! Surviving `fork()`. A child process has only the forking thread: a lock
//! held by any other parent thread would stay locked forever, a request
//! another thread had in flight will never finish, and pooled connections are
//! sockets shared with the parent. So a `pthread_atfork` child handler bumps
//! a process-wide generation; every structure that could be caught mid-use
//! (the cache's single-flight state, the HTTP agent) notes the generation it
//! was made in and is replaced when it differs. The token itself is still
//! valid in the child, but its renewal point is drawn again so that
//! pre-forked workers do not all renew at the same instant.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current fork generation (0 until this process is a forked child).
#[inline]
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
    crate::jitter::reseed();
}

/// Registers the handler once per process (called when a client is created).
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    #[cfg(unix)]
    ONCE.call_once(|| {
        // SAFETY: registering a handler that only touches an atomic and this thread's RNG.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    #[cfg(not(unix))]
    ONCE.call_once(|| {});
}
