//! The thread-local record of the last failure: `oauth_last_error()` (its
//! message) and `oauth_last_error_info()` (all of it, in one call).

use crate::status::{oauth_status, OAUTH_ERR_INVALID_ARGUMENT, OAUTH_OK};
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::mem::offset_of;
use std::os::raw::{c_int, c_uint};
use std::time::Duration;

/// What a failure left for C to read; replaced as a whole by the next one.
#[derive(Default)]
pub(crate) struct Record {
    pub status: oauth_status,
    pub message: CString,
    pub http_status: c_int,
    pub error: Option<CString>,
    pub error_description: Option<CString>,
    pub scope: Option<CString>,
    pub retry_after: Option<Duration>,
}

thread_local! {
    static LAST: RefCell<Record> = RefCell::new(Record::default());
}

/// Text for C: interior NULs cannot occur in our messages; replaced defensively.
pub(crate) fn c_text(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

pub(crate) fn set_last_error(record: Record) {
    LAST.with(|r| *r.borrow_mut() = record);
}

/// The version of `oauth_error_info` this header describes. Fields are only
/// ever appended, and the version is bumped with every appended field; the
/// library writes only the fields of the caller's `version`. 1: `version` to
/// `retry_after_ms`.
pub const OAUTH_ERROR_INFO_VERSION: c_uint = 1;

/// This thread's last failure, as `oauth_last_error_info` reports it.
/// Initialise with `OAUTH_ERROR_INFO_INIT` (or set `version` to
/// `OAUTH_ERROR_INFO_VERSION`). Strings are owned by the library and stay
/// valid until the next failing oauth2cc call on the same thread; none ever
/// holds the client secret or a token.
#[repr(C)]
pub struct oauth_error_info {
    /// `OAUTH_ERROR_INFO_VERSION` of the header the caller was compiled with.
    pub version: c_uint,
    /// The status the failing call returned; `OAUTH_OK` when no call has
    /// failed on this thread, or when the message was set with `oauth_set_last_error`.
    pub status: oauth_status,
    /// The message, as `oauth_last_error()`; never NULL.
    pub message: *const c_char,
    /// The HTTP status of the answer that caused the failure (the token
    /// endpoint's, or the API's for `OAUTH_ERR_API_*`); 0 when none.
    pub http_status: c_int,
    /// The server's OAuth `error` code (`invalid_client`, `insufficient_scope`, ...); NULL when none.
    pub error: *const c_char,
    /// The server's `error_description`; NULL when none.
    pub error_description: *const c_char,
    /// The scope an API requires (`OAUTH_ERR_API_INSUFFICIENT_SCOPE`); NULL when none.
    pub scope: *const c_char,
    /// As `oauth_last_retry_after_ms()`: how long to wait before a token
    /// request is allowed again, in milliseconds; -1 when unknown.
    pub retry_after_ms: i64,
}

fn info_len(version: c_uint) -> Option<usize> {
    match version {
        1 => Some(offset_of!(oauth_error_info, retry_after_ms) + std::mem::size_of::<i64>()),
        _ => None,
    }
}

fn ms(d: Option<Duration>) -> i64 {
    d.map(|d| d.as_millis().min(i64::MAX as u128) as i64).unwrap_or(-1)
}

/// Fills `*out` with this thread's last failure: status, message, HTTP
/// status, the server's `error`, `error_description`, the required scope and
/// the retry-after time, in one call. `out->version` must be set; only the
/// fields of that version are written.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` for NULL or an unknown
/// version; this function never changes the record itself, so a mistake in
/// calling it does not hide the failure being inspected. Successful calls
/// leave the record alone.
///
/// # Safety
/// `out` must be NULL or a writable `oauth_error_info` of the version in its first field.
#[no_mangle]
pub unsafe extern "C" fn oauth_last_error_info(out: *mut oauth_error_info) -> oauth_status {
    if out.is_null() {
        return OAUTH_ERR_INVALID_ARGUMENT;
    }
    // SAFETY: `version` is the first field of every version.
    let version = unsafe { std::ptr::addr_of!((*out).version).read() };
    let Some(len) = info_len(version) else { return OAUTH_ERR_INVALID_ARGUMENT };
    let opt = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    let full = LAST.try_with(|r| {
        let r = r.borrow();
        oauth_error_info {
            version,
            status: r.status,
            message: r.message.as_ptr(),
            http_status: r.http_status,
            error: opt(&r.error),
            error_description: opt(&r.error_description),
            scope: opt(&r.scope),
            retry_after_ms: ms(r.retry_after),
        }
    });
    let Ok(full) = full else { return OAUTH_ERR_INVALID_ARGUMENT };
    // SAFETY: the caller's struct of `version` has `len` writable bytes.
    unsafe { std::ptr::copy_nonoverlapping(std::ptr::from_ref(&full).cast::<u8>(), out.cast::<u8>(), len) };
    OAUTH_OK
}

/// How long to wait before a token request is allowed again, in milliseconds,
/// as known at this thread's last failure: the server's Retry-After after a
/// 429, the cool-down after rejected credentials, the backoff after a network
/// or server error. -1 when the last failure carried no such time (or there
/// was none). Like `oauth_last_error()`, successful calls leave it alone.
#[no_mangle]
pub extern "C" fn oauth_last_retry_after_ms() -> i64 {
    LAST.try_with(|r| ms(r.borrow().retry_after)).unwrap_or(-1)
}

/// The message of the last failure of an oauth2cc call on this thread; never NULL.
///
/// An empty string when no call has failed on this thread yet. Successful
/// calls do not change it. The string is owned by the library and stays valid
/// until the next failing oauth2cc call on the same thread; copy it to keep
/// it. It never contains the client secret or a token. `oauth_last_error_info`
/// gives the rest of the failure's record.
#[no_mangle]
pub extern "C" fn oauth_last_error() -> *const c_char {
    LAST.try_with(|r| r.borrow().message.as_ptr()).unwrap_or(c"thread is exiting".as_ptr())
}

/// Sets this thread's `oauth_last_error()` message (and clears the rest of
/// the record: `oauth_last_retry_after_ms()` is -1, `oauth_last_error_info`'s
/// status `OAUTH_OK`), for code built on liboauth2cc that returns oauth2cc
/// status codes of its own, such as the libcurl helper (`oauth2cc_curl.c`);
/// applications do not need it. `message` is copied; NULL sets an empty
/// message, bytes that are not UTF-8 are replaced. Never pass a secret or a token.
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
    let _ = std::panic::catch_unwind(|| set_last_error(Record { message: c_text(&text), ..Record::default() }));
}
