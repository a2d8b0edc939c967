//! Panics stop where oauth2cc returns to its caller (the C ABI, the Python
//! binding, the command line): they become an [`ErrorKind::Internal`] error,
//! and the panic hook stays silent for them, so nothing is printed on the
//! host program's stderr. Panics elsewhere in the program go to the hook that
//! was installed before (Rust's default prints them as usual).

use crate::error::{Error, ErrorKind};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many [`catch_silently`] calls are running on this thread.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(|c| c.get() > 0).unwrap_or(false) {
                return;
            }
            previous(info)
        }));
    });
}

/// Runs `f`; a panic inside it becomes an `Internal` error instead, without
/// a message or backtrace on stderr. For the boundaries of the bindings.
#[doc(hidden)]
pub fn catch_silently<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            let _ = CATCHING.try_with(|c| c.set(c.get().saturating_sub(1)));
        }
    }
    install_hook();
    let _ = CATCHING.try_with(|c| c.set(c.get() + 1));
    let _depth = Depth;
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        Error::new(ErrorKind::Internal, "internal error in oauth2cc (a panic was caught); please report it")
    })
}

/// The environment variable of the test hook below.
pub(crate) const TEST_PANIC_VAR: &str = "OAUTH2CC_TEST_PANIC_CLIENT_ID";

/// A test hook, not a feature: when `OAUTH2CC_TEST_PANIC_CLIENT_ID` names this
/// client id, its token requests panic (before any lock is taken or anything
/// is sent), so that the tests of each boundary (C, Python, command line) can
/// prove what a caller sees of a bug. Checked on the slow path only.
pub(crate) fn test_hook(client_id: &str) {
    if std::env::var_os(TEST_PANIC_VAR).is_some_and(|v| v == client_id) {
        panic!("{TEST_PANIC_VAR} names this client: test panic");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_is_an_internal_error() {
        let e = catch_silently(|| -> u32 { panic!("boom") }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert_eq!(catch_silently(|| 7).unwrap(), 7);
        // Nested boundaries unwind their counts.
        assert!(catch_silently(|| catch_silently(|| -> u32 { panic!("inner") }).is_err()).unwrap());
        assert_eq!(CATCHING.with(|c| c.get()), 0);
    }
}
