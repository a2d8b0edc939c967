//! The one place where core errors become Python exceptions. The classes are
//! created here, once, when `oauth2cc._native` is imported: one per error kind
//! of the core's table of outcomes (crates/oauth2cc-core/src/outcome.rs gives
//! each its class name and its `kind`), under two bases,
//! `OAuthError` and `APIError`. `kind` is a class attribute; the other
//! attributes (`status`, `error`, ...) are None on the class and set on an
//! instance when the error has them.

use oauth2cc_core::{Error, ErrorKind, OUTCOMES};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyString, PyTuple, PyType};

/// The `kind` of an error: its name in the core's table of outcomes.
pub(crate) fn kind_name(kind: ErrorKind) -> &'static str {
    kind.name()
}

/// What Python adds to a kind: a builtin exception it also is (so that
/// `except ValueError` / `ConnectionError` / `TimeoutError` catch it), whether
/// it is an API's answer (an `APIError`), and its docstring.
fn python_side(kind: ErrorKind) -> (Option<&'static str>, bool, &'static str) {
    match kind {
        ErrorKind::InvalidConfig => (
            Some("ValueError"),
            false,
            "The configuration is unusable (bad URL, http:// to a remote host, unreadable CA file, ...).",
        ),
        ErrorKind::InvalidClient => {
            (None, false, "The token endpoint rejected the client credentials. Not retried during the cool-down.")
        }
        ErrorKind::InvalidScope => {
            (None, false, "The client may not have the scope it asked for. Not retried during the cool-down.")
        }
        ErrorKind::Rejected => (None, false, "The token endpoint refused the request with another OAuth error."),
        ErrorKind::RateLimited => {
            (None, false, "HTTP 429, or an earlier 429 asked to wait: ``retry_after`` says how long.")
        }
        ErrorKind::Network => (
            Some("ConnectionError"),
            false,
            "Could not connect, DNS failure, connection reset or closed early, proxy failure.",
        ),
        ErrorKind::Timeout => (
            Some("TimeoutError"),
            false,
            "The connect timeout or the whole-request timeout ran out (also a builtin ``TimeoutError``).",
        ),
        ErrorKind::Tls => (None, false, "TLS handshake or certificate verification failed."),
        ErrorKind::Protocol => (None, false, "A malformed or unexpected answer from the token endpoint."),
        ErrorKind::Server => (None, false, "The token endpoint failed (HTTP 5xx or 408)."),
        ErrorKind::ApiInsufficientScope => (None, true, "The API needs a scope the client lacks (``scope`` names it)."),
        ErrorKind::ApiInvalidRequest => (None, true, "The API says the call is malformed (``invalid_request``)."),
        ErrorKind::ApiRejected => (None, true, "The API refused the call with another OAuth ``error``."),
        ErrorKind::ApiUnauthorized => (
            None,
            true,
            "The API answered 401 without OAuth detail: a new token would not help; the cause is likely elsewhere.",
        ),
        _ => (None, false, "A bug in oauth2cc. Please report it."),
    }
}

const BASE_DOC: &str = "Base class of every oauth2cc error.

Every exception carries what the server said, when it said it: ``status``
(HTTP status), ``error``, ``error_description`` and ``error_uri`` (RFC 6749
section 5.2), ``retry_after`` (seconds until a request is allowed again),
``hint`` (advice), ``scope`` (the scope an API requires) and ``message``; each
class has its ``kind`` (a short name of the failure). None of them ever
contains the client secret or a token.";

const API_DOC: &str = "An API answered 401 or 403 in a way a new token cannot fix.";

/// The attributes an instance may carry; None on the classes.
const ATTRIBUTES: &[&str] = &["status", "error", "error_description", "error_uri", "retry_after", "hint", "scope"];

struct Classes {
    base: Py<PyType>,
    api: Py<PyType>,
    by_kind: Vec<(ErrorKind, Py<PyType>)>,
    internal: Py<PyType>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: Bound<'py, PyTuple>,
    doc: &str,
    attrs: impl FnOnce(&Bound<'py, PyDict>) -> PyResult<()>,
) -> PyResult<Bound<'py, PyType>> {
    let d = PyDict::new(py);
    d.set_item("__module__", "oauth2cc")?;
    d.set_item("__qualname__", name)?;
    d.set_item("__doc__", doc)?;
    attrs(&d)?;
    Ok(py.get_type::<PyType>().call1((name, bases, d))?.cast_into::<PyType>()?)
}

/// `message`: the message the exception was made with.
fn message_of(args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
    let exc = args.get_item(0)?;
    let args = exc.getattr("args")?;
    let args = args.cast::<PyTuple>()?;
    Ok(match args.len() {
        0 => PyString::new(exc.py(), "").into_any().unbind(),
        _ => args.get_item(0)?.str()?.into_any().unbind(),
    })
}

fn create(py: Python<'_>) -> PyResult<Classes> {
    let builtins = py.import("builtins")?;
    let exception = builtins.getattr("Exception")?;
    let message = PyCFunction::new_closure(py, Some(c"message"), None, |args, _kw| message_of(args))?;
    let property = builtins.getattr("property")?.call1((message,))?;
    let base = new_class(py, "OAuthError", PyTuple::new(py, [exception])?, BASE_DOC, |d| {
        d.set_item("kind", kind_name(ErrorKind::Internal))?;
        d.set_item("message", &property)?;
        for a in ATTRIBUTES {
            d.set_item(*a, py.None())?;
        }
        Ok(())
    })?;
    let api = new_class(py, "APIError", PyTuple::new(py, [&base])?, API_DOC, |_| Ok(()))?;
    let mut by_kind = Vec::new();
    for (kind, name) in OUTCOMES.iter().filter_map(|o| Some((o.kind?, o.python_class?))) {
        let (builtin, is_api, doc) = python_side(kind);
        let parent = if is_api { &api } else { &base };
        let bases = match builtin {
            Some(b) => PyTuple::new(py, [parent.clone().into_any(), builtins.getattr(b)?])?,
            None => PyTuple::new(py, [parent.clone().into_any()])?,
        };
        let class = new_class(py, name, bases, doc, |d| d.set_item("kind", kind_name(kind)))?;
        by_kind.push((kind, class.unbind()));
    }
    let internal = by_kind
        .iter()
        .find(|(k, _)| *k == ErrorKind::Internal)
        .map(|(_, c)| c.clone_ref(py))
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("no Python class for the internal kind"))?;
    Ok(Classes { base: base.unbind(), api: api.unbind(), by_kind, internal })
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASSES.get_or_try_init(py, || create(py))
}

/// Adds the exception classes to the module (at import).
pub(crate) fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py)?;
    m.add("OAuthError", c.base.bind(py))?;
    m.add("APIError", c.api.bind(py))?;
    for (_, class) in &c.by_kind {
        m.add(class.bind(py).name()?, class.bind(py))?;
    }
    Ok(())
}

pub(crate) fn to_py_err(e: &Error) -> PyErr {
    Python::attach(|py| match build(py, e) {
        Ok(err) => err,
        Err(failed) => failed,
    })
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let c = classes(py)?;
    let class = c.by_kind.iter().find(|(k, _)| *k == e.kind()).map(|(_, c)| c).unwrap_or(&c.internal).bind(py);
    let instance = class.call1((e.to_string(),))?;
    if let Some(s) = e.status() {
        instance.setattr("status", s)?;
    }
    if let Some(r) = e.retry_after() {
        instance.setattr("retry_after", r.as_secs_f64())?;
    }
    if let Some(h) = e.hint() {
        instance.setattr("hint", h)?;
    }
    if let Some(s) = e.scope() {
        instance.setattr("scope", s)?;
    }
    if let Some(o) = e.oauth() {
        instance.setattr("error", &o.error)?;
        instance.setattr("error_description", &o.error_description)?;
        instance.setattr("error_uri", &o.error_uri)?;
    }
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
