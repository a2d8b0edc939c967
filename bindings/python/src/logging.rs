//! Forwards the core's `log` records to Python's `logging`, logger "oauth2cc".
//! Records never hold the secret or a token.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

struct ToPython;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

impl log::Log for ToPython {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        oauth2cc_core::is_oauth2cc_log_target(meta.target())
    }

    fn log(&self, record: &log::Record) {
        // The HTTP and TLS libraries' lines may hold bytes of the exchange: never forwarded.
        if !oauth2cc_core::is_oauth2cc_log_target(record.target()) {
            return;
        }
        let level: u32 = match record.level() {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            log::Level::Info => 20,
            log::Level::Debug | log::Level::Trace => 10,
        };
        let message = record.args().to_string();
        let message = message.strip_prefix("oauth2cc: ").unwrap_or(&message).to_string();
        Python::attach(|py| {
            let logger = LOGGER.get_or_try_init(py, || {
                // `logging` is imported here, at the first record, not with
                // `oauth2cc`. The NullHandler (as libraries do) keeps Python's
                // last-resort handler from printing warnings on stderr in an
                // application that never configured logging.
                let logging = py.import("logging")?;
                let logger = logging.getattr("getLogger")?.call1(("oauth2cc",))?;
                logger.call_method1("addHandler", (logging.getattr("NullHandler")?.call0()?,))?;
                Ok::<_, PyErr>(logger.unbind())
            });
            if let Ok(logger) = logger {
                let logger = logger.bind(py);
                if logger.call_method1("isEnabledFor", (level,)).and_then(|b| b.extract::<bool>()).unwrap_or(false) {
                    let _ = logger.call_method1("log", (level, message));
                }
            }
        });
    }

    fn flush(&self) {}
}

pub(crate) fn install() {
    static LOGGER_IMPL: ToPython = ToPython;
    if log::set_logger(&LOGGER_IMPL).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}
