//! The one place where core errors become Python exceptions (defined in
//! `oauth2cc/_errors.py`, so that they are ordinary, documented classes).

use oauth2cc_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

pub(crate) fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidConfig => "invalid_config",
        ErrorKind::InvalidClient => "invalid_client",
        ErrorKind::InvalidScope => "invalid_scope",
        ErrorKind::Rejected => "rejected",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::Network => "network",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Tls => "tls",
        ErrorKind::Protocol => "protocol",
        ErrorKind::Server => "server",
        _ => "internal",
    }
}

fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidConfig => "ConfigurationError",
        ErrorKind::InvalidClient => "InvalidClientError",
        ErrorKind::InvalidScope => "InvalidScopeError",
        ErrorKind::Rejected => "RejectedError",
        ErrorKind::RateLimited => "RateLimitedError",
        ErrorKind::Network => "NetworkError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Tls => "TLSError",
        ErrorKind::Protocol => "ProtocolError",
        ErrorKind::Server => "ServerError",
        _ => "InternalError",
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE.get_or_try_init(py, || py.import("oauth2cc._errors").map(Bound::unbind)).map(|m| m.bind(py))
}

pub(crate) fn to_py_err(e: &Error) -> PyErr {
    Python::attach(|py| match build(py, e) {
        Ok(err) => err,
        Err(failed) => failed,
    })
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let class = errors_module(py)?.getattr(class_name(e.kind()))?;
    let kw = PyDict::new(py);
    kw.set_item("kind", kind_name(e.kind()))?;
    kw.set_item("status", e.status())?;
    kw.set_item("retry_after", e.retry_after().map(|d| d.as_secs_f64()))?;
    kw.set_item("hint", e.hint())?;
    if let Some(o) = e.oauth() {
        kw.set_item("error", &o.error)?;
        kw.set_item("error_description", &o.error_description)?;
        kw.set_item("error_uri", &o.error_uri)?;
    }
    let instance = class.call((e.to_string(),), Some(&kw))?;
    Ok(PyErr::from_value(instance))
}

pub(crate) fn config_error(msg: &str) -> PyErr {
    to_py_err(&Error::config_message(msg))
}

/// Runs a core call at the binding's boundary: a panic inside it becomes an
/// `Internal` error (`oauth2cc.InternalError`, an `OAuthError`) instead of
/// pyo3's `PanicException`, with nothing printed on stderr.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    oauth2cc_core::catch_silently(f).and_then(|r| r)
}
