//! The thread-local last error message.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CString};
use std::time::Duration;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    static LAST_RETRY_AFTER_MS: Cell<i64> = const { Cell::new(-1) };
}

pub(crate) fn set_last_error(msg: &str, retry_after: Option<Duration>) {
    // Interior NULs cannot occur in our messages; replace defensively.
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
    let ms = retry_after.map(|d| d.as_millis().min(i64::MAX as u128) as i64).unwrap_or(-1);
    LAST_RETRY_AFTER_MS.with(|r| r.set(ms));
}

/// How long to wait before a token request is allowed again, in milliseconds,
/// as known at this thread's last failure: the server's Retry-After after a
/// 429, the cool-down after rejected credentials, the backoff after a network
/// or server error. -1 when the last failure carried no such time (or there
/// was none). Like `oauth_last_error()`, successful calls leave it alone.
#[no_mangle]
pub extern "C" fn oauth_last_retry_after_ms() -> i64 {
    LAST_RETRY_AFTER_MS.try_with(|r| r.get()).unwrap_or(-1)
}

/// The message of the last failure of an oauth2cc call on this thread; never NULL.
///
/// An empty string when no call has failed on this thread yet. Successful
/// calls do not change it. The string is owned by the library and stays valid
/// until the next failing oauth2cc call on the same thread; copy it to keep
/// it. It never contains the client secret or a token.
#[no_mangle]
pub extern "C" fn oauth_last_error() -> *const c_char {
    LAST_ERROR.try_with(|e| e.borrow().as_ptr()).unwrap_or(c"thread is exiting".as_ptr())
}

/// Sets this thread's `oauth_last_error()` message (and clears
/// `oauth_last_retry_after_ms()`), for code built on liboauth2cc that returns
/// oauth2cc status codes of its own, such as the libcurl helper
/// (`oauth2cc_curl.c`); applications do not need it. `message` is copied;
/// NULL sets an empty message, bytes that are not UTF-8 are replaced. Never
/// pass a secret or a token.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn oauth_set_last_error(message: *const c_char) {
    let text = if message.is_null() {
        String::new()
    } else {
        // SAFETY: non-NULL and NUL-terminated, as documented.
        unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy().into_owned()
    };
    let _ = std::panic::catch_unwind(|| set_last_error(&text, None));
}
