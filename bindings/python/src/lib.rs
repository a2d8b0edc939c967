//! `oauth2cc._native`: the Python binding of the oauth2cc core. Thin: it
//! converts arguments, results and errors; behaviour lives in the core.
//! The Python package (python/oauth2cc) adds the pure-Python parts.
//!
//! Every method that can wait for a lock of the core or for I/O releases the
//! interpreter first (`py.detach`): the core's log lines go to Python's
//! `logging`, which needs the interpreter, from whichever thread logs.

mod errors;
mod logging;

use errors::{guarded, to_py_err};
use oauth2cc_core::{AuthMethod, Config, KeySource, ResponseAction, Token};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyInt, PyString, PyTuple};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// A client-credentials client with its token cache (the base of `oauth2cc.Client`).
#[pyclass(frozen, subclass, module = "oauth2cc._native")]
struct Client {
    inner: oauth2cc_core::Client,
    /// The current token as a Python string, so that a cached read returns
    /// it without building a new string. Holding the Arc keeps the token's
    /// address from being reused, so the address identifies it.
    last: Mutex<Option<(Arc<Token>, Py<PyString>)>>,
}

/// The current token and what the token endpoint said about it (`oauth2cc.TokenInfo`).
#[pyclass(frozen, module = "oauth2cc")]
struct TokenInfo {
    #[pyo3(get)]
    access_token: Py<PyString>,
    #[pyo3(get)]
    token_type: String,
    #[pyo3(get)]
    scope: Option<String>,
    /// When the token expires (UTC, a `datetime.datetime`), counted from when the request was sent.
    #[pyo3(get)]
    expires_at: Py<PyAny>,
    /// Seconds left when this was made.
    #[pyo3(get)]
    expires_in: f64,
    /// The scopes granted: the answer's `scope`, or the requested scope when
    /// the answer had none (RFC 6749 section 5.1); empty when neither is known.
    /// Fewer than requested means the server narrowed the grant (also logged).
    #[pyo3(get)]
    granted_scopes: Py<PyTuple>,
}

#[pymethods]
impl TokenInfo {
    /// Everything but the token.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TokenInfo(token_type={}, scope={}, granted_scopes={}, expires_at={})",
            PyString::new(py, &self.token_type).repr()?,
            self.scope.as_deref().into_pyobject(py)?.repr()?,
            self.granted_scopes.bind(py).repr()?,
            self.expires_at.bind(py).repr()?,
        ))
    }
}

/// `datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)`; `datetime`
/// is imported on first use, not with `oauth2cc`.
fn utc_datetime(py: Python<'_>, secs: f64) -> PyResult<Bound<'_, PyAny>> {
    static FROM_TIMESTAMP: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (from, utc) = FROM_TIMESTAMP.get_or_try_init(py, || -> PyResult<_> {
        let dt = py.import("datetime")?;
        Ok((
            dt.getattr("datetime")?.getattr("fromtimestamp")?.unbind(),
            dt.getattr("timezone")?.getattr("utc")?.unbind(),
        ))
    })?;
    from.bind(py).call1((secs, utc.bind(py)))
}

fn secs(name: &str, v: f64) -> PyResult<Duration> {
    if v.is_finite() && v > 0.0 && v < 1e9 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(errors::config_error(&format!("{name} must be a positive number of seconds, got {v}")))
    }
}

/// The keyword arguments of `Client(...)` and `Client.from_env(...)`; None
/// leaves the setting as it is (the core's default, or the environment's).
struct Options<'a> {
    auth_method: Option<&'a str>,
    scope: Option<&'a str>,
    audience: Option<&'a str>,
    resource: Option<&'a str>,
    extra_params: Option<Vec<(String, String)>>,
    ca_file: Option<std::path::PathBuf>,
    connect_timeout: Option<f64>,
    timeout: Option<f64>,
    renew_between: Option<(f64, f64)>,
    allow_insecure_http: Option<bool>,
    default_lifetime: Option<f64>,
    max_requests_per_second: Option<f64>,
    credential_cool_down: Option<f64>,
    proxy: Option<&'a str>,
    cache_dir: Option<std::path::PathBuf>,
    private_key: Option<std::path::PathBuf>,
    signing_alg: Option<&'a str>,
    key_id: Option<&'a str>,
    assertion_audience: Option<&'a str>,
    client_cert: Option<std::path::PathBuf>,
    client_key: Option<std::path::PathBuf>,
    dpop: Option<bool>,
    dpop_key: Option<std::path::PathBuf>,
    issuer: Option<&'a str>,
    shared_cache_url: Option<&'a str>,
    shared_cache_password_file: Option<std::path::PathBuf>,
    shared_cache_timeout: Option<f64>,
}

impl Options<'_> {
    fn apply(self, mut cfg: Config) -> PyResult<Config> {
        if let Some(m) = self.auth_method {
            cfg = cfg.auth_method(m.parse::<AuthMethod>().map_err(|e| to_py_err(&e))?);
        }
        if let Some(s) = self.scope {
            cfg = cfg.scope(s);
        }
        if let Some(a) = self.audience {
            cfg = cfg.audience(a);
        }
        if let Some(r) = self.resource {
            cfg = cfg.resource(r);
        }
        for (k, v) in self.extra_params.unwrap_or_default() {
            cfg = cfg.extra_param(k, v);
        }
        if let Some(f) = self.ca_file {
            cfg = cfg.ca_file(f);
        }
        if let Some(v) = self.connect_timeout {
            cfg = cfg.connect_timeout(secs("connect_timeout", v)?);
        }
        if let Some(v) = self.timeout {
            cfg = cfg.timeout(secs("timeout", v)?);
        }
        if let Some((lo, hi)) = self.renew_between {
            cfg = cfg.renew_after(lo, hi);
        }
        if let Some(v) = self.allow_insecure_http {
            cfg = cfg.allow_insecure_http(v);
        }
        if let Some(v) = self.default_lifetime {
            cfg = cfg.default_lifetime(secs("default_lifetime", v)?);
        }
        if let Some(v) = self.max_requests_per_second {
            cfg = cfg.max_requests_per_second(v);
        }
        if let Some(v) = self.credential_cool_down {
            cfg = cfg.credential_cool_down(secs("credential_cool_down", v)?);
        }
        match self.proxy {
            None => {}
            Some("") => cfg = cfg.no_proxy(),
            Some(p) => cfg = cfg.proxy(p),
        }
        if let Some(d) = self.cache_dir {
            cfg = cfg.cache_dir(d);
        }
        if let Some(k) = self.private_key {
            // A str holding a PEM header is the key itself, anything else a path.
            cfg = cfg.private_key(match k.to_str() {
                Some(text) => KeySource::from_path_or_pem(text),
                None => KeySource::File(k),
            });
        }
        if let Some(v) = self.signing_alg {
            cfg = cfg.signing_alg(v);
        }
        if let Some(v) = self.key_id {
            cfg = cfg.key_id(v);
        }
        if let Some(v) = self.assertion_audience {
            cfg = cfg.assertion_audience(v);
        }
        if let Some(v) = self.client_cert {
            cfg = cfg.client_cert(v);
        }
        if let Some(v) = self.client_key {
            cfg = cfg.client_key(v);
        }
        if let Some(v) = self.dpop {
            cfg = cfg.dpop(v);
        }
        if let Some(v) = self.dpop_key {
            cfg = cfg.dpop_key(v);
        }
        if let Some(v) = self.issuer {
            cfg = cfg.issuer(v);
        }
        if let Some(v) = self.shared_cache_url {
            cfg = cfg.shared_cache_url(v);
        }
        if let Some(v) = self.shared_cache_password_file {
            cfg = cfg.shared_cache_password_file(v);
        }
        if let Some(v) = self.shared_cache_timeout {
            cfg = cfg.shared_cache_timeout(secs("shared_cache_timeout", v)?);
        }
        Ok(cfg)
    }
}

/// A client made by `Client.from_env`, on its way into `Client.__new__`
/// (which makes an instance of the caller's class, a subclass included).
#[pyclass(frozen, name = "_Prepared", module = "oauth2cc._native")]
struct Prepared(Mutex<Option<oauth2cc_core::Client>>);

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (token_url, client_id, client_secret = None, *, auth_method = None, scope = None,
        audience = None, resource = None, extra_params = None, ca_file = None, connect_timeout = None, timeout = None,
        renew_between = None, allow_insecure_http = None, default_lifetime = None,
        max_requests_per_second = None, credential_cool_down = None, proxy = None, cache_dir = None,
        private_key = None, signing_alg = None, key_id = None, assertion_audience = None,
        client_cert = None, client_key = None, dpop = None, dpop_key = None, issuer = None, shared_cache_url = None,
        shared_cache_password_file = None, shared_cache_timeout = None, _prepared = None),
        text_signature = "(token_url, client_id, client_secret=None, *, auth_method=None, scope=None, \
        audience=None, resource=None, extra_params=None, ca_file=None, connect_timeout=None, timeout=None, \
        renew_between=None, allow_insecure_http=None, default_lifetime=None, max_requests_per_second=None, \
        credential_cool_down=None, proxy=None, cache_dir=None, private_key=None, signing_alg=None, key_id=None, assertion_audience=None, \
        client_cert=None, client_key=None, dpop=None, dpop_key=None, issuer=None, shared_cache_url=None, \
        shared_cache_password_file=None, shared_cache_timeout=None)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        token_url: Option<&str>,
        client_id: &str,
        client_secret: Option<&str>,
        auth_method: Option<&str>,
        scope: Option<&str>,
        audience: Option<&str>,
        resource: Option<&str>,
        extra_params: Option<Vec<(String, String)>>,
        ca_file: Option<std::path::PathBuf>,
        connect_timeout: Option<f64>,
        timeout: Option<f64>,
        renew_between: Option<(f64, f64)>,
        allow_insecure_http: Option<bool>,
        default_lifetime: Option<f64>,
        max_requests_per_second: Option<f64>,
        credential_cool_down: Option<f64>,
        proxy: Option<&str>,
        cache_dir: Option<std::path::PathBuf>,
        private_key: Option<std::path::PathBuf>,
        signing_alg: Option<&str>,
        key_id: Option<&str>,
        assertion_audience: Option<&str>,
        client_cert: Option<std::path::PathBuf>,
        client_key: Option<std::path::PathBuf>,
        dpop: Option<bool>,
        dpop_key: Option<std::path::PathBuf>,
        issuer: Option<&str>,
        shared_cache_url: Option<&str>,
        shared_cache_password_file: Option<std::path::PathBuf>,
        shared_cache_timeout: Option<f64>,
        _prepared: Option<PyRef<'_, Prepared>>,
    ) -> PyResult<Client> {
        if let Some(p) = _prepared {
            let inner = p.0.lock().take().ok_or_else(|| errors::config_error("this prepared client was used"))?;
            return Ok(Client { inner, last: Mutex::new(None) });
        }
        let options = Options {
            auth_method,
            scope,
            audience,
            resource,
            extra_params,
            ca_file,
            connect_timeout,
            timeout,
            renew_between,
            allow_insecure_http,
            default_lifetime,
            max_requests_per_second,
            credential_cool_down,
            proxy,
            cache_dir,
            private_key,
            signing_alg,
            key_id,
            assertion_audience,
            client_cert,
            client_key,
            dpop,
            dpop_key,
            issuer,
            shared_cache_url,
            shared_cache_password_file,
            shared_cache_timeout,
        };
        if token_url.is_none() && options.issuer.is_none() {
            return Err(errors::config_error(
                "token_url is None: pass the token endpoint's URL, or use Client.from_issuer()",
            ));
        }
        let cfg =
            options.apply(Config::new(token_url.unwrap_or_default(), client_id, client_secret.unwrap_or_default()))?;
        let inner = guarded(|| oauth2cc_core::Client::new(cfg)).map_err(|e| to_py_err(&e))?;
        Ok(Client { inner, last: Mutex::new(None) })
    }

    /// A client from the `OAUTH2CC_*` environment and the config file's
    /// profiles, read by the core as the `oauth2cc` command and C's
    /// `oauth_client_new_from_env` read them: `profile` (else
    /// `OAUTH2CC_PROFILE`, else `[default]`), then the environment, then the
    /// keyword arguments given (not None). Every missing setting is named in
    /// one ConfigurationError.
    #[classmethod]
    #[pyo3(signature = (profile = None, *, token_url = None, client_id = None, client_secret = None,
        auth_method = None, scope = None, audience = None, resource = None, extra_params = None, ca_file = None,
        connect_timeout = None, timeout = None, renew_between = None, allow_insecure_http = None,
        default_lifetime = None, max_requests_per_second = None, credential_cool_down = None, proxy = None,
        cache_dir = None, private_key = None, signing_alg = None, key_id = None, assertion_audience = None,
        client_cert = None, client_key = None, dpop = None, dpop_key = None, issuer = None, shared_cache_url = None,
        shared_cache_password_file = None, shared_cache_timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn from_env<'py>(
        cls: &Bound<'py, pyo3::types::PyType>,
        profile: Option<&str>,
        token_url: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        auth_method: Option<&str>,
        scope: Option<&str>,
        audience: Option<&str>,
        resource: Option<&str>,
        extra_params: Option<Vec<(String, String)>>,
        ca_file: Option<std::path::PathBuf>,
        connect_timeout: Option<f64>,
        timeout: Option<f64>,
        renew_between: Option<(f64, f64)>,
        allow_insecure_http: Option<bool>,
        default_lifetime: Option<f64>,
        max_requests_per_second: Option<f64>,
        credential_cool_down: Option<f64>,
        proxy: Option<&str>,
        cache_dir: Option<std::path::PathBuf>,
        private_key: Option<std::path::PathBuf>,
        signing_alg: Option<&str>,
        key_id: Option<&str>,
        assertion_audience: Option<&str>,
        client_cert: Option<std::path::PathBuf>,
        client_key: Option<std::path::PathBuf>,
        dpop: Option<bool>,
        dpop_key: Option<std::path::PathBuf>,
        issuer: Option<&str>,
        shared_cache_url: Option<&str>,
        shared_cache_password_file: Option<std::path::PathBuf>,
        shared_cache_timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let options = Options {
            auth_method,
            scope,
            audience,
            resource,
            extra_params,
            ca_file,
            connect_timeout,
            timeout,
            renew_between,
            allow_insecure_http,
            default_lifetime,
            max_requests_per_second,
            credential_cool_down,
            proxy,
            cache_dir,
            private_key,
            signing_alg,
            key_id,
            assertion_audience,
            client_cert,
            client_key,
            dpop,
            dpop_key,
            issuer,
            shared_cache_url,
            shared_cache_password_file,
            shared_cache_timeout,
        };
        let cfg = guarded(|| {
            let mut s = oauth2cc_core::Settings::load(profile, None)?;
            if let Some(u) = token_url {
                s.set("token_url", u)?;
            }
            if let Some(i) = client_id {
                s.set("client_id", i)?;
            }
            if let Some(c) = client_secret.filter(|c| !c.is_empty()) {
                s.set_secret(c);
            }
            // What decides which settings are required (a token URL or an
            // issuer; a secret, or a key or certificate instead).
            for (key, value) in [
                ("issuer", options.issuer.map(str::to_string)),
                ("auth_method", options.auth_method.map(str::to_string)),
                ("private_key", options.private_key.as_ref().map(|p| p.to_string_lossy().into_owned())),
                ("client_cert", options.client_cert.as_ref().map(|p| p.to_string_lossy().into_owned())),
            ] {
                if let Some(v) = value {
                    s.set(key, v)?;
                }
            }
            s.config()
        })
        .map_err(|e| to_py_err(&e))?;
        let cfg = options.apply(cfg)?;
        let inner = guarded(|| oauth2cc_core::Client::new(cfg)).map_err(|e| to_py_err(&e))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("_prepared", Prepared(Mutex::new(Some(inner))))?;
        cls.call(("", ""), Some(&kwargs))
    }

    /// A valid access token (str), from the cache when possible. Blocks, with
    /// the interpreter released, only when a request is needed.
    fn token(&self, py: Python<'_>) -> PyResult<Py<PyString>> {
        if let Some(s) = self.inner.try_cached(|t| self.cached_str(py, t)).flatten() {
            return Ok(s);
        }
        let t = py.detach(|| guarded(|| self.inner.token())).map_err(|e| to_py_err(&e))?;
        Ok(self.remember(py, t))
    }

    /// The cached token if it is not yet due for renewal, else None. Never
    /// blocks and never sends a request (for event loops).
    fn cached_token(&self, py: Python<'_>) -> Option<Py<PyString>> {
        if let Some(s) = self.inner.try_cached(|t| self.cached_str(py, t)).flatten() {
            return Some(s);
        }
        let t = self.inner.fresh_token()?;
        Some(self.remember(py, t))
    }

    /// The current token (fetched if needed) with its type, scope and expiry.
    fn token_info(&self, py: Python<'_>) -> PyResult<TokenInfo> {
        let t = py.detach(|| guarded(|| self.inner.token())).map_err(|e| to_py_err(&e))?;
        let at = t.expires_at_system().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        Ok(TokenInfo {
            token_type: t.token_type().to_string(),
            scope: t.scope().map(String::from),
            expires_at: utc_datetime(py, at)?.unbind(),
            expires_in: t.expires_in().as_secs_f64(),
            granted_scopes: PyTuple::new(
                py,
                t.granted_scope().unwrap_or_default().split_whitespace().collect::<Vec<_>>(),
            )?
            .unbind(),
            access_token: self.remember(py, t),
        })
    }

    /// Drops the cached token if it is still `token`; True if it was dropped.
    fn invalidate(&self, py: Python<'_>, token: &str) -> bool {
        py.detach(|| self.inner.invalidate(token))
    }

    /// What an API's answer means (the core's rule, RFC 6750 section 3):
    /// `status` is the API's HTTP status, `used_token` the token the call
    /// sent, `www_authenticate` its `WWW-Authenticate` field(s): a str (several
    /// fields joined with ", "), a sequence of str, or None. On "retry" the
    /// token was dropped if still cached: send the request once more with
    /// `token()`.
    ///
    /// Any int is taken: one outside 100..=999 is the core's
    /// `ConfigurationError` (the binding only converts to u16, with the
    /// core's message for an int beyond it), never an `OverflowError`.
    ///
    /// A DPoP client passes the call's `url` and the answer's `DPoP-Nonce`
    /// header (`dpop_nonce`, None when absent): the nonce is remembered for
    /// the URL's origin, and a 401 `use_dpop_nonce` with a nonce is
    /// "retry_with_nonce" (send once more with the same token and a new
    /// `dpop_proof`; the cache is left alone).
    #[pyo3(signature = (status, used_token, www_authenticate = None, *, url = None, dpop_nonce = None))]
    fn handle_response(
        &self,
        py: Python<'_>,
        status: &Bound<'_, PyInt>,
        used_token: &str,
        www_authenticate: Option<&Bound<'_, PyAny>>,
        url: Option<&str>,
        dpop_nonce: Option<&str>,
    ) -> PyResult<Py<ResponseOutcome>> {
        let Some(code) = status.extract::<i64>().ok().and_then(|s| u16::try_from(s).ok()) else {
            return Err(errors::config_error(&format!("http_status {status} is not an HTTP status (100..=999)")));
        };
        match url {
            None => self.respond(py, code, used_token, www_authenticate),
            Some(url) => self.respond_dpop(py, code, used_token, www_authenticate, url, dpop_nonce),
        }
    }

    /// A DPoP proof (RFC 9449) for an API call: `method` on `url` (its query
    /// and fragment are left out), with `ath` for `token` when given. Send it
    /// as the `DPoP` header with `Authorization: DPoP <token>`; make a new one
    /// for every request. ConfigurationError for a client without DPoP, a bad
    /// method or a URL that is not absolute http(s).
    #[pyo3(signature = (method, url, token = None))]
    fn dpop_proof(&self, py: Python<'_>, method: &str, url: &str, token: Option<&str>) -> PyResult<String> {
        py.detach(|| guarded(|| self.inner.dpop_proof(method, url, token))).map_err(|e| to_py_err(&e))
    }

    /// True when this client binds its tokens with DPoP (`dpop=True` or `dpop_key=`).
    #[getter]
    fn dpop(&self) -> bool {
        self.inner.is_dpop()
    }

    /// Deprecated: `handle_response(401, used_token, www_authenticate)`.
    #[pyo3(signature = (used_token, www_authenticate))]
    fn handle_unauthorized(
        &self,
        py: Python<'_>,
        used_token: &str,
        www_authenticate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<ResponseOutcome>> {
        self.respond(py, 401, used_token, www_authenticate)
    }

    /// Replaces the client secret (after a rotation); ends a credential pause.
    fn set_secret(&self, py: Python<'_>, client_secret: &str) -> PyResult<()> {
        py.detach(|| self.inner.set_secret(client_secret)).map_err(|e| to_py_err(&e))
    }

    /// Counters and state, as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = py.detach(|| self.inner.stats());
        let d = PyDict::new(py);
        d.set_item("cached_reads", s.cached_reads)?;
        d.set_item("token_requests", s.token_requests)?;
        d.set_item("successes", s.successes)?;
        let failures = PyDict::new(py);
        for (kind, n) in &s.failures {
            failures.set_item(errors::kind_name(*kind), n)?;
        }
        d.set_item("failures", failures)?;
        d.set_item("token_expires_in", s.token_expires_in.map(|d| d.as_secs_f64()))?;
        d.set_item("paused_for", s.paused_for.map(|d| d.as_secs_f64()))?;
        d.set_item("last_error", s.last_error.map(errors::kind_name))?;
        Ok(d)
    }

    /// The token endpoint's URL: as given, or with an issuer the one its
    /// metadata names ("" until the first token request found it).
    #[getter]
    fn token_url(&self) -> String {
        self.inner.token_endpoint().unwrap_or_default()
    }

    #[getter]
    fn client_id(&self) -> String {
        self.inner.config().client_id().to_string()
    }

    /// The client certificate and key files (mutual TLS) as given, or None.
    #[getter]
    fn client_cert_files(&self) -> Option<(String, String)> {
        let c = self.inner.config();
        let (cert, key) = c.client_cert_files()?;
        Some((cert.to_string_lossy().into_owned(), key.to_string_lossy().into_owned()))
    }

    /// The URL and the client id; never the secret or a token.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = self.inner.config();
        Ok(format!(
            "<oauth2cc.Client token_url={} client_id={}>",
            PyString::new(py, c.token_url_str()).repr()?,
            PyString::new(py, c.client_id()).repr()?
        ))
    }
}

impl Client {
    /// `handle_response` with a status already in u16 (the core checks the rest).
    fn respond(
        &self,
        py: Python<'_>,
        status: u16,
        used_token: &str,
        www_authenticate: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<ResponseOutcome>> {
        let fields: Vec<String> = match www_authenticate {
            None => Vec::new(),
            Some(v) => match v.cast::<PyString>() {
                Ok(one) => vec![one.to_cow()?.into_owned()],
                Err(_) => v.extract()?,
            },
        };
        let result = py.detach(|| {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            guarded(|| Ok(self.inner.handle_response(status, used_token, &fields)))
        });
        ResponseOutcome::of(py, result.and_then(|r| r))
    }

    /// `handle_response` for a DPoP client's call to `url` (the core's `handle_dpop_response`).
    fn respond_dpop(
        &self,
        py: Python<'_>,
        status: u16,
        used_token: &str,
        www_authenticate: Option<&Bound<'_, PyAny>>,
        url: &str,
        dpop_nonce: Option<&str>,
    ) -> PyResult<Py<ResponseOutcome>> {
        let fields: Vec<String> = match www_authenticate {
            None => Vec::new(),
            Some(v) => match v.cast::<PyString>() {
                Ok(one) => vec![one.to_cow()?.into_owned()],
                Err(_) => v.extract()?,
            },
        };
        let result = py.detach(|| {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            guarded(|| Ok(self.inner.handle_dpop_response(url, status, used_token, &fields, dpop_nonce)))
        });
        ResponseOutcome::of(py, result.and_then(|r| r))
    }

    /// The Python string of `t` if it is the remembered token.
    #[inline]
    fn cached_str(&self, py: Python<'_>, t: &Token) -> Option<Py<PyString>> {
        let last = self.last.lock();
        match &*last {
            Some((a, s)) if std::ptr::eq(&**a, t) => Some(s.clone_ref(py)),
            _ => None,
        }
    }

    fn remember(&self, py: Python<'_>, t: Arc<Token>) -> Py<PyString> {
        let mut last = self.last.lock();
        if let Some((a, s)) = &*last {
            if Arc::ptr_eq(a, &t) {
                return s.clone_ref(py);
            }
        }
        let s = PyString::new(py, t.access_token()).unbind();
        *last = Some((t, s.clone_ref(py)));
        s
    }
}

/// What to do with an API's answer (`oauth2cc.ResponseOutcome`), from
/// `Client.handle_response`: `action` is "proceed" (nothing to do), "retry"
/// (renew and send once more) or "error" (`error` is the `APIError` the answer
/// means, not raised).
#[pyclass(frozen, module = "oauth2cc")]
struct ResponseOutcome {
    #[pyo3(get)]
    action: &'static str,
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
}

impl ResponseOutcome {
    fn of(py: Python<'_>, r: Result<ResponseAction, oauth2cc_core::Error>) -> PyResult<Py<ResponseOutcome>> {
        static PROCEED: PyOnceLock<Py<ResponseOutcome>> = PyOnceLock::new();
        static RETRY: PyOnceLock<Py<ResponseOutcome>> = PyOnceLock::new();
        static RETRY_WITH_NONCE: PyOnceLock<Py<ResponseOutcome>> = PyOnceLock::new();
        let (cell, action) = match r {
            Ok(ResponseAction::Retry) => (&RETRY, "retry"),
            Ok(ResponseAction::RetryWithNonce) => (&RETRY_WITH_NONCE, "retry_with_nonce"),
            Ok(ResponseAction::Proceed) => (&PROCEED, "proceed"),
            // A bad argument (a status outside 100..=999) is raised, not an answer.
            Err(e) if e.kind() == oauth2cc_core::ErrorKind::InvalidConfig => return Err(to_py_err(&e)),
            Err(e) => {
                let error = Some(to_py_err(&e).into_value(py).into_any());
                return Py::new(py, ResponseOutcome { action: "error", error });
            }
        };
        Ok(cell.get_or_try_init(py, || Py::new(py, ResponseOutcome { action, error: None }))?.clone_ref(py))
    }
}

#[pymethods]
impl ResponseOutcome {
    /// True when the request should be sent once more: with a new token
    /// ("retry"), or with the same token and a new DPoP proof that carries
    /// the server's new nonce ("retry_with_nonce").
    #[getter]
    fn should_retry(&self) -> bool {
        self.action == "retry" || self.action == "retry_with_nonce"
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(match &self.error {
            None => format!("ResponseOutcome(action='{}')", self.action),
            Some(e) => format!("ResponseOutcome(action='error', error={})", e.bind(py).repr()?),
        })
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Client>()?;
    m.add_class::<TokenInfo>()?;
    errors::add_classes(m)?;
    m.add_class::<ResponseOutcome>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    logging::install();
    Ok(())
}
