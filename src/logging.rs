//! `oauth_set_log_handler` (and the older `oauth_set_log_callback`): the
//! library's log lines, delivered to C. Lines never contain the client secret
//! or a token (at most a fingerprint).

use crate::status::oauth_status;
use arc_swap::ArcSwapOption;
use std::ffi::{c_char, c_void, CString};
use std::os::raw::{c_int, c_uint};
use std::sync::Arc;

/// Log levels, most severe first.
pub const OAUTH_LOG_ERROR: c_int = 1;
pub const OAUTH_LOG_WARN: c_int = 2;
pub const OAUTH_LOG_INFO: c_int = 3;
pub const OAUTH_LOG_DEBUG: c_int = 4;
pub const OAUTH_LOG_TRACE: c_int = 5;

/// Receives one log line: its level (`OAUTH_LOG_*`), the NUL-terminated
/// message (valid only during the call), and the `user_data` given to
/// `oauth_set_log_callback`. Called from whichever thread logs; must be
/// thread-safe and must not call back into oauth2cc.
pub type oauth_log_fn = Option<unsafe extern "C" fn(level: c_int, message: *const c_char, user_data: *mut c_void)>;

/// The version of `oauth_log_record` this header describes. Fields are only
/// ever appended and the version is bumped with each: a handler compiled
/// against an older header reads the fields it knows. 1: `version` to `target`.
pub const OAUTH_LOG_RECORD_VERSION: c_uint = 1;

/// One log line, as `oauth_set_log_handler`'s handler receives it. Valid only
/// during the call; copy what you keep.
#[repr(C)]
pub struct oauth_log_record {
    /// `OAUTH_LOG_RECORD_VERSION` of the library: the fields that exist.
    pub version: c_uint,
    /// `OAUTH_LOG_*`.
    pub level: c_int,
    /// The NUL-terminated message; never NULL.
    pub message: *const c_char,
    /// Where it comes from (the Rust module path, e.g. `oauth2cc_core::cache`); never NULL.
    pub target: *const c_char,
}

/// Receives one log record and the `user_data` given to
/// `oauth_set_log_handler`. Called from whichever thread logs; must be
/// thread-safe and must not call back into oauth2cc.
pub type oauth_log_handler_fn = Option<unsafe extern "C" fn(record: *const oauth_log_record, user_data: *mut c_void)>;

enum Callback {
    Line(unsafe extern "C" fn(c_int, *const c_char, *mut c_void)),
    Record(unsafe extern "C" fn(*const oauth_log_record, *mut c_void)),
}

struct Sink {
    callback: Callback,
    user_data: usize,
    max_level: c_int,
}

// Lock-free, so that a fork() during a log line cannot leave it locked.
static SINK: ArcSwapOption<Sink> = ArcSwapOption::const_empty();

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        oauth2cc_core::is_oauth2cc_log_target(meta.target())
            && SINK.load().as_ref().is_some_and(|s| level(meta.level()) <= s.max_level)
    }

    fn log(&self, record: &log::Record) {
        let sink = SINK.load_full();
        let Some(s) = sink.as_ref() else { return };
        let lvl = level(record.level());
        // The HTTP and TLS libraries' lines may hold bytes of the exchange: never forwarded.
        if lvl > s.max_level || !oauth2cc_core::is_oauth2cc_log_target(record.target()) {
            return;
        }
        let Ok(msg) = CString::new(record.args().to_string().replace('\0', " ")) else { return };
        match s.callback {
            // SAFETY: the caller registered this function and promised it is thread-safe.
            Callback::Line(f) => unsafe { f(lvl, msg.as_ptr(), s.user_data as *mut c_void) },
            Callback::Record(f) => {
                let target = CString::new(record.target().replace('\0', " ")).unwrap_or_default();
                let r = oauth_log_record {
                    version: OAUTH_LOG_RECORD_VERSION,
                    level: lvl,
                    message: msg.as_ptr(),
                    target: target.as_ptr(),
                };
                // SAFETY: as above; `r` and its strings outlive the call.
                unsafe { f(&r, s.user_data as *mut c_void) }
            }
        }
    }

    fn flush(&self) {}
}

fn level(l: log::Level) -> oauth_status {
    match l {
        log::Level::Error => OAUTH_LOG_ERROR,
        log::Level::Warn => OAUTH_LOG_WARN,
        log::Level::Info => OAUTH_LOG_INFO,
        log::Level::Debug => OAUTH_LOG_DEBUG,
        log::Level::Trace => OAUTH_LOG_TRACE,
    }
}

/// Sends the library's log records up to `max_level` (`OAUTH_LOG_*`) to
/// `handler`, process-wide; NULL stops logging. Replaces any earlier handler
/// or callback. Only oauth2cc's own lines are sent, which never hold the
/// secret or a token; the debug and trace output of the HTTP and TLS
/// libraries inside it (bytes of the exchange) is not.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` when `max_level` is not
/// an `OAUTH_LOG_*` value or when a program linking the Rust library
/// installed its own `log` logger first. Thread-safe.
#[no_mangle]
pub extern "C" fn oauth_set_log_handler(
    handler: oauth_log_handler_fn,
    user_data: *mut c_void,
    max_level: c_int,
) -> oauth_status {
    install("oauth_set_log_handler", handler.map(Callback::Record), user_data, max_level)
}

/// The earlier form of `oauth_set_log_handler`, kept for existing programs:
/// `callback` receives the level and the message only. Deprecated: new code
/// should use `oauth_set_log_handler`, whose record can gain fields.
#[no_mangle]
pub extern "C" fn oauth_set_log_callback(
    callback: oauth_log_fn,
    user_data: *mut c_void,
    max_level: c_int,
) -> oauth_status {
    install("oauth_set_log_callback", callback.map(Callback::Line), user_data, max_level)
}

fn install(func: &str, callback: Option<Callback>, user_data: *mut c_void, max_level: c_int) -> oauth_status {
    use crate::boundary::{guard, invalid};
    guard(func, || {
        if !(OAUTH_LOG_ERROR..=OAUTH_LOG_TRACE).contains(&max_level) {
            return Err(invalid(format!("max_level {max_level} is not an OAUTH_LOG_* value")));
        }
        static FORWARDER: Forwarder = Forwarder;
        static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let ours = *INSTALLED.get_or_init(|| log::set_logger(&FORWARDER).is_ok());
        if !ours {
            return Err(invalid("another log logger is installed in this process"));
        }
        match callback {
            Some(callback) => {
                SINK.store(Some(Arc::new(Sink { callback, user_data: user_data as usize, max_level })));
                log::set_max_level(match max_level {
                    OAUTH_LOG_ERROR => log::LevelFilter::Error,
                    OAUTH_LOG_WARN => log::LevelFilter::Warn,
                    OAUTH_LOG_INFO => log::LevelFilter::Info,
                    OAUTH_LOG_DEBUG => log::LevelFilter::Debug,
                    _ => log::LevelFilter::Trace,
                });
            }
            None => {
                SINK.store(None);
                log::set_max_level(log::LevelFilter::Off);
            }
        }
        Ok(crate::status::OAUTH_OK)
    })
}
