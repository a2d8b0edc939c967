//! The thread-local last error message.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(msg: &str) {
    // Interior NULs cannot occur in our messages; replace defensively.
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
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
