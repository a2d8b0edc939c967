//! `oauth_set_log_callback`: the library's log lines, delivered to C.
//! Lines never contain the client secret or a token (at most a fingerprint).

use arc_swap::ArcSwapOption;
use std::ffi::{c_char, c_void, CString};
use std::os::raw::c_int;
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

struct Sink {
    callback: unsafe extern "C" fn(c_int, *const c_char, *mut c_void),
    user_data: usize,
    max_level: c_int,
}

// Lock-free, so that a fork() during a log line cannot leave it locked.
static SINK: ArcSwapOption<Sink> = ArcSwapOption::const_empty();

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        SINK.load().as_ref().is_some_and(|s| level(meta.level()) <= s.max_level)
    }

    fn log(&self, record: &log::Record) {
        let sink = SINK.load_full();
        let Some(s) = sink.as_ref() else { return };
        let lvl = level(record.level());
        if lvl > s.max_level {
            return;
        }
        let Ok(msg) = CString::new(record.args().to_string().replace('\0', " ")) else { return };
        // SAFETY: the caller registered this function and promised it is thread-safe.
        unsafe { (s.callback)(lvl, msg.as_ptr(), s.user_data as *mut c_void) };
    }

    fn flush(&self) {}
}

fn level(l: log::Level) -> c_int {
    match l {
        log::Level::Error => OAUTH_LOG_ERROR,
        log::Level::Warn => OAUTH_LOG_WARN,
        log::Level::Info => OAUTH_LOG_INFO,
        log::Level::Debug => OAUTH_LOG_DEBUG,
        log::Level::Trace => OAUTH_LOG_TRACE,
    }
}

/// Sends the library's log lines up to `max_level` (`OAUTH_LOG_*`) to
/// `callback`, process-wide; NULL stops logging. Replaces any earlier callback.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` when `max_level` is not
/// an `OAUTH_LOG_*` value or when a program linking the Rust library
/// installed its own `log` logger first. Thread-safe.
#[no_mangle]
pub extern "C" fn oauth_set_log_callback(callback: oauth_log_fn, user_data: *mut c_void, max_level: c_int) -> c_int {
    use crate::boundary::{guard, invalid};
    guard("oauth_set_log_callback", || {
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
            Some(cb) => {
                SINK.store(Some(Arc::new(Sink { callback: cb, user_data: user_data as usize, max_level })));
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
