//! The boundary every exported function goes through: panics become
//! `OAUTH_ERR_INTERNAL` without a word on the host's stderr (see
//! `oauth2cc_core::catch_silently`), failures set the thread's last error.

use crate::last_error::{c_text, set_last_error, Record};
use crate::status::{from_kind, oauth_status, OAUTH_ERR_INTERNAL, OAUTH_ERR_INVALID_ARGUMENT};
use std::ffi::{c_char, CStr};
use std::time::Duration;

/// A failure on its way to C: a status code, a message, when to retry, and
/// the core's error when there is one (for `oauth_last_error_info`).
pub(crate) struct Failure(pub oauth_status, pub String, pub Option<Duration>, pub Option<Box<oauth2cc_core::Error>>);

impl From<oauth2cc_core::Error> for Failure {
    fn from(e: oauth2cc_core::Error) -> Failure {
        Failure(from_kind(e.kind()), e.to_string(), e.retry_after(), Some(Box::new(e)))
    }
}

pub(crate) fn invalid(msg: impl Into<String>) -> Failure {
    Failure(OAUTH_ERR_INVALID_ARGUMENT, msg.into(), None, None)
}

fn record(func: &str, Failure(status, msg, retry_after, error): Failure) -> Record {
    let oauth = error.as_ref().and_then(|e| e.oauth());
    Record {
        status,
        message: c_text(&format!("{func}: {msg}")),
        http_status: error.as_ref().and_then(|e| e.status()).map_or(0, i32::from),
        error: oauth.map(|o| c_text(&o.error)),
        error_description: oauth.and_then(|o| o.error_description.as_deref()).map(c_text),
        scope: error.as_ref().and_then(|e| e.scope()).map(c_text),
        retry_after,
    }
}

/// Runs `body`; a failure or a panic becomes a status code and the last error.
#[inline(always)]
pub(crate) fn guard(func: &str, body: impl FnOnce() -> Result<oauth_status, Failure>) -> oauth_status {
    match oauth2cc_core::catch_silently(body) {
        Ok(Ok(code)) => code,
        Ok(Err(failure)) => {
            let code = failure.0;
            set_last_error(record(func, failure));
            code
        }
        Err(e) => {
            set_last_error(record(func, Failure::from(e)));
            OAUTH_ERR_INTERNAL
        }
    }
}

/// A reference from a pointer the caller must not pass as NULL.
pub(crate) fn non_null<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller promises a valid pointer or NULL, as the header documents.
    unsafe { p.as_ref() }.ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// A borrowed UTF-8 string from a NUL-terminated C string.
pub(crate) fn c_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated, as the header requires.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| invalid(format!("{name} is not valid UTF-8")))
}

/// A NUL-terminated string of someone else's bytes (an HTTP header the caller
/// passes on), invalid UTF-8 replaced rather than refused; NULL is None.
pub(crate) fn opt_lossy_c_str<'a>(p: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    // SAFETY: NULL is checked; otherwise NUL-terminated, as the header requires.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy())
}

/// Like [`c_str`], with NULL meaning "not set".
pub(crate) fn opt_c_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        c_str(p, name).map(Some)
    }
}
