//! Log lines are never written while a library lock is held: a log handler is
//! user code (a C callback, Python's `logging` waiting for the GIL) and may
//! wait for a lock of its own that another thread holds while it waits for ours.
//!
//! While this thread leads a token request (other threads wait for it) its
//! lines are held back by a [`Hold`] and written when the hold ends, after the
//! outcome is published and every lock released.

use std::cell::RefCell;
use std::fmt;

thread_local! {
    static HELD: RefCell<Option<Vec<(log::Level, String)>>> = const { RefCell::new(None) };
}

/// Whether a log record (by its target) is one of oauth2cc's own lines, the
/// only ones that are kept free of secrets and tokens. The HTTP and TLS
/// libraries log the bytes of the exchange at their debug and trace levels
/// (the request with its credentials, the answer with the token): a logger
/// that oauth2cc installs for a binding (C, Python) forwards only these.
pub fn is_oauth2cc_log_target(target: &str) -> bool {
    target.starts_with("oauth2cc")
}

/// Logs now, or when the current [`Hold`] of this thread ends.
pub(crate) fn emit(level: log::Level, args: fmt::Arguments<'_>) {
    if level > log::max_level() {
        return;
    }
    let now = HELD.with(|h| match h.try_borrow_mut() {
        Ok(mut held) => match held.as_mut() {
            Some(v) => {
                v.push((level, args.to_string()));
                None
            }
            None => Some(args),
        },
        // A log handler logging through us again: write it at once.
        Err(_) => Some(args),
    });
    if let Some(args) = now {
        log::log!(target: "oauth2cc", level, "{args}");
    }
}

/// `say!(Level::Warn, "...", args)`: see [`emit`].
macro_rules! say {
    ($level:expr, $($arg:tt)+) => {
        $crate::deferred::emit($level, format_args!($($arg)+))
    };
}
pub(crate) use say;

/// Holds this thread's log lines back until dropped (nested holds end with the outermost).
pub(crate) struct Hold {
    outermost: bool,
}

impl Hold {
    pub(crate) fn new() -> Hold {
        let outermost = HELD.with(|h| {
            let mut held = h.borrow_mut();
            let outer = held.is_none();
            if outer {
                *held = Some(Vec::new());
            }
            outer
        });
        Hold { outermost }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if !self.outermost {
            return;
        }
        let lines = HELD.with(|h| h.borrow_mut().take()).unwrap_or_default();
        for (level, line) in lines {
            log::log!(target: "oauth2cc", level, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_lines_wait_for_the_outermost_hold() {
        log::set_max_level(log::LevelFilter::Trace);
        let outer = Hold::new();
        {
            let _inner = Hold::new();
            say!(log::Level::Error, "x {}", 1);
        }
        assert_eq!(HELD.with(|h| h.borrow().as_ref().map(Vec::len)), Some(1), "still held after the inner hold");
        drop(outer);
        assert!(HELD.with(|h| h.borrow().is_none()));
    }
}
