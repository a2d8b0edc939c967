//! Discovery: the token endpoint and the client authentication methods of
//! an issuer, from its metadata (OpenID Connect Discovery 1.0, RFC 8414).
//!
//! The document is fetched by the first token request that needs it (a
//! client's creation sends nothing), once per process and issuer URL: every
//! client of the issuer shares it, and one fetch at a time runs (the others
//! wait for it, within their deadline, and share its outcome). A token
//! request finding it older than its max age (1 h) fetches it again; if that
//! fails for a passing reason, the old document stays in use and the next
//! attempt waits [`REFRESH_PAUSE`]. A fetch goes through the same machinery
//! as a token request: it runs inside the client's single flight (so a
//! failure pauses requests like a token endpoint's failure: backoff,
//! `Retry-After`, cool-down), takes a slot of the issuer host's request
//! budget, ends by the call's deadline, and follows the token URL's rules
//! (https, or http only to loopback; the CA file, proxy and timeouts).

use crate::clock;
use crate::config::{AuthMethod, Config, ParsedUrl};
use crate::deferred::say;
use crate::endpoint::{self, Endpoint};
use crate::error::{sanitize, Error, ErrorKind};
use crate::fork;
use crate::proxy::ProxyPlan;
use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long a document is used before a token request fetches it again.
pub(crate) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// After a failed refresh, how long the old document is used before the next attempt.
const REFRESH_PAUSE: Duration = Duration::from_secs(300);

const ISSUER_HINT: &str = "set the issuer exactly as the server publishes it in its metadata \
     (scheme, host, port, path; a trailing slash counts): Keycloak's is https://HOST/realms/REALM \
     (with /auth before /realms on releases before 17)";

/// What oauth2cc uses of an issuer's metadata.
#[derive(Debug)]
pub(crate) struct Metadata {
    pub token_endpoint: String,
    /// `mtls_endpoint_aliases.token_endpoint` (RFC 8705 §5).
    pub mtls_token_endpoint: Option<String>,
    /// `token_endpoint_auth_methods_supported`; None when absent.
    pub auth_methods: Option<Vec<String>>,
}

/// Checks an issuer URL at client creation: the token URL's rules (the token
/// endpoint it leads to receives the secret), and no query or fragment (RFC 8414 §2).
pub(crate) fn check_issuer(cfg: &Config, issuer: &str) -> Result<ParsedUrl, Error> {
    let url = cfg.check_url("issuer URL", issuer, "the token endpoint it names would receive the client secret")?;
    if issuer.contains(['?', '#']) {
        return Err(Error::config("the issuer URL must not have a query or fragment (RFC 8414 section 2)"));
    }
    Ok(url)
}

/// The two places of the metadata: OpenID Connect Discovery's (the path
/// appended, without doubling a trailing slash) and RFC 8414 §3.1's (the
/// well-known part inserted between the host and the path).
fn document_urls(issuer: &str) -> (String, String) {
    let trimmed = issuer.trim_end_matches('/');
    let openid = format!("{trimmed}/.well-known/openid-configuration");
    let after_scheme = trimmed.find("://").map_or(0, |i| i + 3);
    let path_at = trimmed[after_scheme..].find('/').map_or(trimmed.len(), |i| after_scheme + i);
    let rfc8414 = format!("{}/.well-known/oauth-authorization-server{}", &trimmed[..path_at], &trimmed[path_at..]);
    (openid, rfc8414)
}

/// A client's way to its issuer's document: the shared state and its own HTTP settings.
pub(crate) struct Discovery {
    issuer: String,
    urls: (String, String),
    shared: Arc<Shared>,
    budget: Arc<Endpoint>,
    agent_config: ureq::config::Config,
    max_age: Duration,
}

impl Discovery {
    /// Checks the issuer and prepares the HTTP settings; sends nothing.
    pub fn new(cfg: &Config, issuer: &str) -> Result<Discovery, Error> {
        let url = check_issuer(cfg, issuer)?;
        let proxy = ProxyPlan::new(cfg)?.for_host(&url.host);
        let mut builder = crate::transport::agent_builder(cfg, proxy)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .max_idle_connections(0)
            .max_response_header_size(16 * 1024);
        if url.scheme == "https" || cfg.ca_file.is_some() {
            builder = builder.tls_config(crate::transport::tls(cfg, None)?);
        }
        Ok(Discovery {
            issuer: issuer.to_string(),
            urls: document_urls(issuer),
            shared: shared(issuer),
            budget: endpoint::endpoint(&url.authority(), cfg.max_requests_per_second),
            agent_config: builder.build(),
            max_age: cfg.discovery_max_age,
        })
    }

    /// The issuer's metadata: the process's copy while it is younger than the
    /// max age, else fetched now (by one caller at a time), by `deadline`.
    pub fn metadata(&self, deadline: Instant) -> Result<Arc<Metadata>, Error> {
        let asked_at = clock::precise_now_ns();
        let state = self.shared.state();
        let mut slot = state.1.try_lock_until(deadline).ok_or_else(|| {
            Error::new(ErrorKind::Timeout, "timed out waiting for another client's fetch of the discovery document")
        })?;
        let now = clock::precise_now_ns();
        if let Some((meta, fetched_at)) = &slot.doc {
            if now.saturating_sub(*fetched_at) < self.max_age.as_nanos() as u64 || now < slot.no_refresh_before {
                return Ok(meta.clone());
            }
        }
        // The fetch this caller waited for failed: its outcome is shared, not repeated.
        if let Some((at, e)) = &slot.failure {
            if *at >= asked_at {
                return Err(e.clone());
            }
        }
        let result = self.fetch(deadline);
        let done_at = clock::precise_now_ns();
        let outcome = match result {
            Ok(meta) => {
                let meta = Arc::new(meta);
                slot.doc = Some((meta.clone(), done_at));
                slot.failure = None;
                Ok(meta)
            }
            Err(e) => {
                slot.failure = Some((done_at, e.clone()));
                match slot.doc.clone() {
                    // A passing failure of a refresh: the old document still names the endpoint.
                    Some((old, _)) if e.kind() != ErrorKind::InvalidConfig => {
                        let pause = REFRESH_PAUSE.max(e.retry_after().unwrap_or_default());
                        slot.no_refresh_before = done_at.saturating_add(pause.as_nanos() as u64);
                        drop(slot);
                        say!(
                            log::Level::Warn,
                            "oauth2cc: refreshing the discovery document of {} failed: {e}; using the one fetched before, next attempt in {} s",
                            crate::config::redact_url(&self.issuer),
                            pause.as_secs()
                        );
                        return Ok(old);
                    }
                    _ => {
                        slot.doc = None;
                        Err(e)
                    }
                }
            }
        };
        drop(slot);
        if outcome.is_ok() {
            say!(
                log::Level::Info,
                "oauth2cc: discovery document of {} fetched",
                crate::config::redact_url(&self.issuer)
            );
        }
        outcome
    }

    /// The OpenID document, or on a 404 the RFC 8414 one, checked.
    fn fetch(&self, deadline: Instant) -> Result<Metadata, Error> {
        let (openid, rfc8414) = &self.urls;
        let (url, map) = match self.get(openid, deadline)? {
            Some(map) => (openid, map),
            None => match self.get(rfc8414, deadline)? {
                Some(map) => (rfc8414, map),
                None => {
                    return Err(Error::config(format!(
                        "no discovery document for issuer {}: {} and {} answered 404",
                        shown(&self.issuer),
                        shown(openid),
                        shown(rfc8414)
                    ))
                    .with_status(404)
                    .with_hint(ISSUER_HINT))
                }
            },
        };
        self.read(url, map)
    }

    /// The metadata in a document, once its `issuer` is the configured one.
    fn read(&self, url: &str, mut map: Map<String, Value>) -> Result<Metadata, Error> {
        let bad = |what: &str| {
            Error::new(ErrorKind::Protocol, format!("the discovery document at {} {what}", shown(url)))
                .with_hint("check that the issuer URL is the authorization server's")
        };
        match map.get("issuer") {
            Some(Value::String(published)) if *published == self.issuer => {}
            Some(Value::String(published)) => {
                return Err(Error::config(format!(
                    "the discovery document at {} names issuer {:?}, not the configured {:?}: refused, as OpenID Connect Discovery and RFC 8414 require",
                    shown(url),
                    shown(published),
                    shown(&self.issuer)
                ))
                .with_hint(ISSUER_HINT))
            }
            _ => return Err(bad("has no issuer")),
        }
        let token_endpoint = match map.remove("token_endpoint") {
            Some(Value::String(s)) => s,
            _ => return Err(bad("has no token_endpoint")),
        };
        let mtls_token_endpoint = match map.get("mtls_endpoint_aliases").and_then(|a| a.get("token_endpoint")) {
            Some(Value::String(s)) => Some(s.clone()),
            None => None,
            Some(_) => return Err(bad("has an mtls_endpoint_aliases.token_endpoint that is not a string")),
        };
        let auth_methods = match map.remove("token_endpoint_auth_methods_supported") {
            None => None,
            Some(Value::Array(a)) => Some(a.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
            Some(_) => return Err(bad("has a token_endpoint_auth_methods_supported that is not a list")),
        };
        Ok(Metadata { token_endpoint, mtls_token_endpoint, auth_methods })
    }

    /// One GET within the issuer's budget and the deadline: the JSON object,
    /// None on a 404, or the failure typed as a token endpoint's would be.
    fn get(&self, url: &str, deadline: Instant) -> Result<Option<Map<String, Value>>, Error> {
        let _slot = self.budget.acquire(deadline).map_err(|wait| {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "this process's request budget for the issuer's host ({} per second) has no free slot within the timeout for the discovery document",
                    self.budget.rate()
                ),
            )
            .with_retry_after(Some(wait))
        })?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, "the discovery document request timed out before it was sent"));
        }
        let agent = ureq::Agent::new_with_config(self.agent_config.clone());
        let mut resp = agent
            .get(url)
            .header("Accept", "application/json")
            .config()
            .timeout_global(Some(left))
            .build()
            .call()
            .map_err(|e| transport_error(&e, url))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (content_type, retry_after) = (header("content-type"), header("retry-after"));
        let body = resp
            .body_mut()
            .with_config()
            .limit(crate::MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| transport_error(&e, url))?;
        let answer = crate::response::Answer {
            status,
            content_type: content_type.as_deref(),
            retry_after: retry_after.as_deref(),
            body: &body,
        };
        let at = shown(url);
        let failed = |kind: ErrorKind, what: String| {
            Error::new(kind, format!("fetching the discovery document {at} failed: {what}")).with_status(status)
        };
        let described = crate::response::describe_body(&answer);
        Err(match status {
            200..=299 => {
                return match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Object(map)) => Ok(Some(map)),
                    _ => Err(failed(
                        ErrorKind::Protocol,
                        format!("HTTP {status} with {described} instead of a JSON object"),
                    )
                    .with_hint("check that the issuer URL is the authorization server's")),
                }
            }
            404 => return Ok(None),
            429 => failed(ErrorKind::RateLimited, format!("rate limited (HTTP 429, {described})")).with_retry_after(
                retry_after.as_deref().and_then(|h| crate::response::parse_retry_after(h, SystemTime::now())),
            ),
            408 | 500..=599 => failed(ErrorKind::Server, format!("HTTP {status}, {described}")),
            300..=399 => failed(ErrorKind::Protocol, format!("a redirect (HTTP {status}), which is not followed"))
                .with_hint(ISSUER_HINT),
            _ => failed(ErrorKind::Protocol, format!("HTTP {status}, {described}")).with_hint(ISSUER_HINT),
        })
    }
}

/// A transport failure of a document request: the kind (and hint) a token
/// request's would have, said of the document.
fn transport_error(e: &ureq::Error, url: &str) -> Error {
    let mapped = crate::transport::map_transport_error(e, url);
    let what = match e {
        ureq::Error::BodyExceedsLimit(_) => format!("the document is larger than {} bytes", crate::MAX_BODY_BYTES),
        other => sanitize(&other.to_string(), 200),
    };
    let err = Error::new(mapped.kind(), format!("fetching the discovery document {} failed: {what}", shown(url)));
    match mapped.hint() {
        Some(h) => err.with_hint(h),
        None => err,
    }
}

fn shown(s: &str) -> String {
    sanitize(&crate::config::redact_url(s), 200)
}

/// The token endpoint and auth method a client uses, from the metadata: the
/// method chosen, else the first of [`PREFERENCE`] the server lists (RFC 8414
/// §2: `client_secret_basic` when it lists none) that the configuration can
/// do; the mTLS alias when the client presents a certificate.
pub(crate) fn route(cfg: &Config, meta: &Metadata) -> Result<(String, AuthMethod), Error> {
    let method = if cfg.auth_method_chosen { cfg.auth_method } else { pick(cfg, meta.auth_methods.as_deref())? };
    let endpoint = match &meta.mtls_token_endpoint {
        Some(alias) if uses_client_certificate(cfg, method) => alias.clone(),
        _ => meta.token_endpoint.clone(),
    };
    Ok((endpoint, method))
}

/// Whether the token request presents a client certificate (RFC 8705):
/// one is configured, or the method authenticates with one.
fn uses_client_certificate(cfg: &Config, method: AuthMethod) -> bool {
    cfg.client_cert.is_some() || matches!(method, AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth)
}

/// Whether a configuration holds the credential a method needs.
type Can = fn(&Config) -> bool;

/// Methods in the order they are preferred (the strongest credential
/// first), each with whether a configuration can do it.
const PREFERENCE: &[(&str, Can)] = &[
    ("private_key_jwt", |c| c.private_key.is_some()),
    ("tls_client_auth", |c| c.client_cert.is_some()),
    ("self_signed_tls_client_auth", |c| c.client_cert.is_some()),
    ("client_secret_basic", has_secret),
    ("client_secret_post", has_secret),
    ("client_secret_jwt", has_secret),
];

fn has_secret(cfg: &Config) -> bool {
    !cfg.client_secret.expose().is_empty()
}

fn pick(cfg: &Config, supported: Option<&[String]>) -> Result<AuthMethod, Error> {
    let default = ["client_secret_basic".to_string()];
    let supported = supported.unwrap_or(&default);
    for (name, can) in PREFERENCE {
        if supported.iter().any(|s| s == name) && can(cfg) {
            if let Ok(m) = name.parse() {
                return Ok(m);
            }
        }
    }
    let listed = supported.iter().map(|s| sanitize(s, 40)).collect::<Vec<_>>().join(", ");
    Err(Error::config(format!(
        "the issuer's token endpoint supports [{listed}], none of which this configuration can do"
    ))
    .with_hint("configure a credential for one of them, or choose the auth method explicitly"))
}

/// The process's state for one issuer: its document, the last failed fetch,
/// and the lock one fetch at a time holds (replaced in a forked child, whose
/// lock may be held by a thread it lacks).
struct Shared {
    state: ArcSwap<(u64, Mutex<Slot>)>,
}

#[derive(Clone, Default)]
struct Slot {
    /// The document and when it was fetched (`clock::precise_now_ns`).
    doc: Option<(Arc<Metadata>, u64)>,
    /// The last fetch's failure and when it ended.
    failure: Option<(u64, Error)>,
    /// After a failed refresh: no new attempt before then.
    no_refresh_before: u64,
}

impl Shared {
    fn state(&self) -> Arc<(u64, Mutex<Slot>)> {
        loop {
            let s = self.state.load_full();
            if s.0 == fork::generation() {
                return s;
            }
            let carried = s.1.try_lock().map(|v| v.clone()).unwrap_or_default();
            self.state.compare_and_swap(&s, Arc::new((fork::generation(), Mutex::new(carried))));
        }
    }
}

/// The state of `issuer` (compared exactly), created on first use. The map
/// is replaced, never locked, like the endpoints' (see `endpoint.rs`).
fn shared(issuer: &str) -> Arc<Shared> {
    static ALL: ArcSwapOption<HashMap<String, Arc<Shared>>> = ArcSwapOption::const_empty();
    loop {
        let all = ALL.load_full();
        if let Some(s) = all.as_ref().and_then(|m| m.get(issuer)) {
            return s.clone();
        }
        let s = Arc::new(Shared { state: ArcSwap::from_pointee((fork::generation(), Mutex::new(Slot::default()))) });
        let mut grown = all.as_deref().cloned().unwrap_or_default();
        grown.insert(issuer.to_string(), s.clone());
        let prev = ALL.compare_and_swap(&all, Some(Arc::new(grown)));
        let unchanged = match (&*prev, &all) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urls_follow_both_specifications() {
        assert_eq!(
            document_urls("https://h:8443/realms/r"),
            (
                "https://h:8443/realms/r/.well-known/openid-configuration".into(),
                "https://h:8443/.well-known/oauth-authorization-server/realms/r".into()
            )
        );
        assert_eq!(
            document_urls("https://h/"),
            (
                "https://h/.well-known/openid-configuration".into(),
                "https://h/.well-known/oauth-authorization-server".into()
            )
        );
        assert_eq!(document_urls("https://h/a/").1, "https://h/.well-known/oauth-authorization-server/a");
    }

    #[test]
    fn picks_by_preference_among_what_the_server_lists() {
        let cfg = Config::new("", "id", "secret");
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(pick(&cfg, None).unwrap(), AuthMethod::ClientSecretBasic);
        assert_eq!(
            pick(&cfg, Some(&list(&["client_secret_post", "client_secret_basic"]))).unwrap(),
            AuthMethod::ClientSecretBasic
        );
        assert_eq!(pick(&cfg, Some(&list(&["none", "client_secret_post"]))).unwrap(), AuthMethod::ClientSecretPost);
        assert_eq!(pick(&cfg, Some(&list(&["private_key_jwt"]))).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert_eq!(pick(&cfg, Some(&[])).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert_eq!(pick(&cfg, Some(&list(&["client_secret_jwt"]))).unwrap(), AuthMethod::ClientSecretJwt);
    }

    #[test]
    fn a_key_or_a_certificate_is_preferred_to_the_secret() {
        let all = [
            "client_secret_jwt",
            "client_secret_post",
            "client_secret_basic",
            "self_signed_tls_client_auth",
            "tls_client_auth",
            "private_key_jwt",
        ]
        .map(String::from);
        let key = || crate::config::KeySource::Pem(crate::Secret::new("-----BEGIN PRIVATE KEY-----".to_string()));
        let secret_only = Config::new("", "id", "secret");
        let with_cert = Config::new("", "id", "secret").client_cert("/c.pem");
        let with_key = Config::new("", "id", "").private_key(key()).client_cert("/c.pem");
        assert_eq!(pick(&secret_only, Some(&all)).unwrap(), AuthMethod::ClientSecretBasic);
        assert_eq!(pick(&with_cert, Some(&all)).unwrap(), AuthMethod::TlsClientAuth);
        assert_eq!(pick(&with_cert, Some(&all[..4])).unwrap(), AuthMethod::SelfSignedTlsClientAuth);
        assert_eq!(pick(&with_key, Some(&all)).unwrap(), AuthMethod::PrivateKeyJwt);
        assert!(pick(&with_key, Some(&all[..3])).is_err(), "no secret for the secret methods");
    }

    #[test]
    fn the_mtls_alias_is_used_when_a_certificate_is_presented() {
        let meta = Metadata {
            token_endpoint: "https://as/token".into(),
            mtls_token_endpoint: Some("https://mtls.as/token".into()),
            auth_methods: None,
        };
        let plain = Config::new("", "id", "secret");
        assert_eq!(route(&plain, &meta).unwrap(), ("https://as/token".into(), AuthMethod::ClientSecretBasic));
        let cert = Config::new("", "id", "secret").client_cert("/c.pem").client_key("/k.pem");
        assert_eq!(route(&cert, &meta).unwrap().0, "https://mtls.as/token", "a certificate with any method");
        let tls = Config::new("", "id", "").auth_method(AuthMethod::SelfSignedTlsClientAuth);
        assert_eq!(route(&tls, &meta).unwrap(), ("https://mtls.as/token".into(), AuthMethod::SelfSignedTlsClientAuth));
        let no_alias = Metadata { mtls_token_endpoint: None, ..meta };
        assert_eq!(route(&cert, &no_alias).unwrap().0, "https://as/token");
    }
}
