//! The token request over HTTP (ureq): TLS roots, proxy, timeouts, the form
//! body and client authentication, and the mapping of transport failures.

use crate::config::{AuthMethod, Config};
use crate::deferred::say;
use crate::endpoint::{self, Endpoint};
use crate::error::{sanitize, Error, ErrorKind};
use crate::proxy::{Bypass, ProxyPlan};
use crate::response::{self, Answer, Timing};
use crate::token::Token;
use crate::MAX_BODY_BYTES;
use crate::{fork, form, wipe};
use arc_swap::{ArcSwap, ArcSwapOption};
use base64::Engine as _;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig};
use zeroize::Zeroizing;

const IP_BLOCK_HINT: &str = "the IAM may be blocking this IP after the rejected logins or rate limiting just before; \
     wait before retrying, and fix the credentials first";

/// The shortest part of the secret redacted from a server's words: a server
/// that echoes the secret may cut it short.
const SECRET_RUN: usize = 8;

pub(crate) struct Transport {
    /// The agent and the fork generation it was made in: a child must not use
    /// the parent's pooled connections (sockets shared with the parent).
    agent: ArcSwap<(u64, ureq::Agent)>,
    agent_config: ureq::config::Config,
    endpoint: Arc<Endpoint>,
    client_id: String,
    /// To redact from what a server says back (some echo it in their errors).
    secret: crate::Secret,
    /// The requested scope, to tell a narrowed grant (see `Token::missing_scopes`).
    scope: Option<String>,
    url: String,
    /// The form body without client credentials (built once).
    form: String,
    /// `Authorization` header value for the Basic methods, in a buffer wiped on drop.
    basic: Option<ureq::http::HeaderValue>,
    /// `client_id=..&client_secret=..` for client_secret_post.
    post_credentials: Option<Zeroizing<String>>,
    /// Signs a fresh client assertion per request (client_secret_jwt, private_key_jwt).
    assertion: Option<Box<crate::assertion::Assertion>>,
    default_lifetime: std::time::Duration,
    renew_after: (f64, f64),
    /// The client certificate (mutual TLS), loaded once, also presented to APIs.
    client_cert: Option<ClientCert>,
    /// The method authenticates with the certificate alone (tls_client_auth, self_signed_tls_client_auth).
    certificate_auth: bool,
    /// The client's DPoP key and nonces (kept by the client across secret changes).
    dpop: Option<Arc<crate::dpop::Dpop>>,
}

impl Transport {
    pub fn new(cfg: &Config, dpop: Option<Arc<crate::dpop::Dpop>>) -> Result<Transport, Error> {
        let url = cfg.validate()?;
        // The token URL is fixed, so the proxy decision is made once, here.
        let proxy = ProxyPlan::new(cfg)?.for_host(&url.host);
        let mut builder = agent_builder(cfg, proxy)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .accept("application/json")
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .max_response_header_size(16 * 1024)
            .input_buffer_size(16 * 1024)
            .output_buffer_size(16 * 1024);
        let client_cert = crate::client_cert::from_config(cfg)?;
        if client_cert.is_some() && url.scheme != "https" {
            return Err(Error::config("a client certificate needs an https:// token URL (mutual TLS)"));
        }
        // A bad CA file is reported even for a loopback http:// URL, so a typo shows at once.
        if url.scheme == "https" || cfg.ca_file.is_some() {
            builder = builder.tls_config(tls(cfg, client_cert.as_ref())?);
        }
        let agent_config = builder.build();
        let agent = ArcSwap::from_pointee((fork::generation(), wipe::agent(agent_config.clone())));

        let mut pairs: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        for (k, v) in [("scope", &cfg.scope), ("audience", &cfg.audience), ("resource", &cfg.resource)] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        pairs.extend(cfg.extra_params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let form_body = form::encode_pairs(pairs);

        // The key is loaded and checked here, at client creation.
        let assertion = crate::assertion::Assertion::new(cfg)?.map(Box::new);
        let (basic, post_credentials) = credentials(cfg);
        let basic = match basic {
            Some(b) => Some(wipe::header_value(b).ok_or_else(|| Error::config("client credentials are not valid"))?),
            None => None,
        };
        Ok(Transport {
            secret: cfg.client_secret.clone(),
            agent,
            agent_config,
            endpoint: endpoint::endpoint(&url.authority(), cfg.max_requests_per_second),
            client_id: cfg.client_id.clone(),
            scope: cfg.scope.clone(),
            url: cfg.token_url.clone(),
            form: form_body,
            basic,
            post_credentials,
            assertion,
            default_lifetime: cfg.default_lifetime,
            renew_after: cfg.renew_after,
            client_cert,
            certificate_auth: matches!(
                cfg.auth_method,
                AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
            ),
            dpop,
        })
    }

    /// A freshly signed client assertion (None for the methods without one).
    pub(crate) fn sign_assertion(&self) -> Result<Option<Zeroizing<String>>, Error> {
        self.assertion.as_ref().map(|a| a.sign()).transpose()
    }

    /// The `private_key_jwt` key's RFC 7638 thumbprint (None for the other methods).
    pub(crate) fn key_thumbprint(&self) -> Option<String> {
        self.assertion.as_ref().and_then(|a| a.key_thumbprint())
    }

    /// The client certificate presented with every request, if any.
    pub(crate) fn client_cert(&self) -> Option<&ClientCert> {
        self.client_cert.as_ref()
    }

    /// The token endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn agent(&self) -> ureq::Agent {
        let a = self.agent.load();
        if a.0 == fork::generation() {
            return a.1.clone();
        }
        let fresh = wipe::agent(self.agent_config.clone());
        self.agent.store(Arc::new((fork::generation(), fresh.clone())));
        fresh
    }

    /// One token request, within the endpoint's budget, ending by `deadline`
    /// (the wait for a budget slot included); `on_send` runs just before it
    /// goes out. The lifetime is counted from that moment.
    ///
    /// A DPoP client whose proof the endpoint refuses with `use_dpop_nonce`
    /// and a new `DPoP-Nonce` sends the request once more with it (RFC 9449
    /// section 8): a second request, so a second budget slot, within the same
    /// deadline. A second `use_dpop_nonce` is a server error (backed off), never a loop.
    pub fn request_token(&self, deadline: Instant, on_send: impl Fn()) -> Result<Token, Error> {
        let (mut result, used_nonce) = self.attempt(deadline, &on_send);
        if let Some(dpop) = &self.dpop {
            if wants_nonce(&result) {
                let fresh = dpop.nonce_at(&self.url);
                if fresh.is_some() && fresh != used_nonce {
                    say!(
                        log::Level::Info,
                        "oauth2cc: the token endpoint asked client {:?} for a new DPoP nonce; sending the request once more with it",
                        self.client_id
                    );
                    result = self.attempt(deadline, &on_send).0;
                }
                if wants_nonce(&result) {
                    result = result.map_err(|e| {
                        Error::new(
                            ErrorKind::Server,
                            "token endpoint refused the DPoP proof's nonce again (use_dpop_nonce) right after giving a new one",
                        )
                        .with_status(e.status().unwrap_or(400))
                        .with_oauth(e.oauth().cloned())
                    });
                }
            }
        }
        self.log_outcome(result)
    }

    /// One request within the budget: the result and the DPoP nonce its proof carried.
    fn attempt(&self, deadline: Instant, on_send: &impl Fn()) -> (Result<Token, Error>, Option<String>) {
        // Held until the answer is in: the budget counts from then.
        let _slot = match self.endpoint.acquire(deadline) {
            Ok(slot) => slot,
            Err(wait) => return (Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "this process's token-request budget for the endpoint ({} per second) has no free slot within the timeout",
                    self.endpoint.rate()
                ),
            )
            .with_retry_after(Some(wait))), None),
        };
        on_send();
        self.send_with_nonce(deadline)
    }

    fn log_outcome(&self, result: Result<Token, Error>) -> Result<Token, Error> {
        match &result {
            Ok(t) if !t.missing_scopes().is_empty() => say!(
                log::Level::Warn,
                "oauth2cc: token {} for client {:?} was granted scope {:?} without {:?}, which was requested; calls that need it will be refused",
                t.fingerprint(),
                self.client_id,
                t.scope().unwrap_or_default(),
                t.missing_scopes().join(" ")
            ),
            Ok(t) => say!(
                log::Level::Info,
                "oauth2cc: new token {} for client {:?} (expires in {:.0} s, renewal after {:.0} s)",
                t.fingerprint(),
                self.client_id,
                t.lifetime().as_secs_f64(),
                (t.renew_at() - t.requested_at()).as_secs_f64()
            ),
            Err(e) if matches!(e.kind(), ErrorKind::InvalidClient | ErrorKind::RateLimited) => {
                self.endpoint.note_rejection()
            }
            Err(_) => {}
        }
        result.map_err(|e| {
            let e = e.redacted(self.secret.expose(), SECRET_RUN);
            // A failure with a cause of its own (a plain-HTTP port) keeps its hint.
            let generic = e.hint().is_none_or(|h| h == TLS_HINT);
            if matches!(e.kind(), ErrorKind::Network | ErrorKind::Tls) && generic && self.endpoint.recently_rejected() {
                e.with_hint(IP_BLOCK_HINT)
            } else {
                e
            }
        })
    }

    /// Sends the request; the whole exchange ends by `deadline`.
    pub(crate) fn send(&self, deadline: Instant) -> Result<Token, Error> {
        self.send_with_nonce(deadline).0
    }

    /// [`Transport::send`], also saying which DPoP nonce the proof carried.
    fn send_with_nonce(&self, deadline: Instant) -> (Result<Token, Error>, Option<String>) {
        let (proof, nonce) = match &self.dpop {
            Some(d) => match d.proof("POST", &self.url, None) {
                Ok((p, n)) => (Some(p), n),
                Err(e) => return (Err(e), None),
            },
            None => (None, None),
        };
        (self.send_proof(deadline, proof), nonce)
    }

    fn send_proof(&self, deadline: Instant, proof: Option<String>) -> Result<Token, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, "token request timed out before it was sent"));
        }
        let assertion = self.assertion.as_ref().map(|a| a.form_part()).transpose()?;
        // Sized once: a growing buffer would leave copies of the secret in freed memory.
        let creds = self.post_credentials.as_ref().or(assertion.as_ref()).map_or(0, |c| c.len() + 1);
        let mut body = Zeroizing::new(String::with_capacity(self.form.len() + creds));
        body.push_str(&self.form);
        if let Some(c) = self.post_credentials.as_ref().or(assertion.as_ref()) {
            body.push('&');
            body.push_str(c);
        }
        let mut req = self
            .agent()
            .post(&self.url)
            .header("Accept", "application/json")
            .content_type("application/x-www-form-urlencoded")
            .config()
            .timeout_global(Some(left))
            .build();
        if let Some(b) = &self.basic {
            req = req.header("Authorization", b.clone());
        }
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        let sent_at = Instant::now();
        let sent_at_system = SystemTime::now();
        let resp = req.send(body.as_bytes()).map_err(|e| map_transport_error(&e, &self.url))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        if let (Some(d), Some(n)) = (&self.dpop, header("dpop-nonce")) {
            d.note_nonce(&self.url, &n);
        }
        let bytes = read_body(resp, &self.url)?;
        response::parse(
            &Answer {
                status,
                content_type: content_type.as_deref(),
                retry_after: retry_after.as_deref(),
                body: &bytes,
            },
            &Timing {
                sent_at,
                sent_at_system,
                default_lifetime: self.default_lifetime,
                renew_after: self.renew_after,
                dpop: self.dpop.is_some(),
            },
        )
        .map(|mut t| {
            t.requested_scope = self.scope.clone();
            t
        })
        .map_err(|e| match (&self.assertion, &assertion) {
            // A server that echoes the assertion: it stays valid for up to a minute.
            (Some(a), Some(part)) => {
                let e = e.redacted(a.jws_of(part), SECRET_RUN);
                if e.kind() == ErrorKind::InvalidClient {
                    e.with_hint(crate::assertion::REJECTED_HINT)
                } else {
                    e
                }
            }
            _ if self.certificate_auth && e.kind() == ErrorKind::InvalidClient => {
                e.with_hint(CERTIFICATE_REJECTED_HINT)
            }
            _ => e,
        })
    }
}

const CERTIFICATE_REJECTED_HINT: &str = "check the client id and that the server accepts this client certificate: \
     tls_client_auth: issued by a CA the server trusts, with the subject registered for the client (Keycloak: \
     \"X509 Certificate\" authenticator, Subject DN); self_signed_tls_client_auth: the very certificate registered \
     in the client's JWKS";

/// A token endpoint's `use_dpop_nonce` refusal (RFC 9449 section 8).
fn wants_nonce(result: &Result<Token, Error>) -> bool {
    matches!(result, Err(e) if e.oauth().is_some_and(|o| o.error == "use_dpop_nonce"))
}

/// The `Authorization` value (Basic methods) or the `client_id=..&client_secret=..`
/// form part (post), each built in one buffer of its final size that is wiped
/// on drop: no intermediate copy of the secret is left in freed memory.
fn credentials(cfg: &Config) -> (Option<Zeroizing<String>>, Option<Zeroizing<String>>) {
    let id = cfg.client_id.as_str();
    let secret = cfg.client_secret.expose();
    let basic = |encode: bool| {
        let len = |s: &str| if encode { form::encoded_len(s, true) } else { s.len() };
        let mut raw = Zeroizing::new(String::with_capacity(len(id) + 1 + len(secret)));
        for (i, part) in [id, secret].into_iter().enumerate() {
            if i > 0 {
                raw.push(':');
            }
            if encode {
                form::encode_basic_into(&mut raw, part);
            } else {
                raw.push_str(part);
            }
        }
        let mut value = Zeroizing::new(String::with_capacity(6 + base64::encoded_len(raw.len(), true).unwrap_or(0)));
        value.push_str("Basic ");
        base64::engine::general_purpose::STANDARD.encode_string(raw.as_bytes(), &mut value);
        value
    };
    match cfg.auth_method {
        AuthMethod::ClientSecretBasic => (Some(basic(true)), None),
        AuthMethod::ClientSecretBasicRaw => (Some(basic(false)), None),
        // RFC 8705 section 2: the certificate authenticates; the body names the client.
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            let mut post = Zeroizing::new(String::with_capacity("client_id=".len() + form::encoded_len(id, false)));
            post.push_str("client_id=");
            form::encode_into(&mut post, id);
            (None, Some(post))
        }
        AuthMethod::ClientSecretPost => {
            let len =
                "client_id=&client_secret=".len() + form::encoded_len(id, false) + form::encoded_len(secret, false);
            let mut post = Zeroizing::new(String::with_capacity(len));
            post.push_str("client_id=");
            form::encode_into(&mut post, id);
            post.push_str("&client_secret=");
            form::encode_into(&mut post, secret);
            (None, Some(post))
        }
        // The client assertion is signed per request (see `assertion`).
        AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt => (None, None),
    }
}

/// The answer's body, at most `MAX_BODY_BYTES`, in buffers wiped when they
/// are dropped or outgrown (the body holds the token).
fn read_body(resp: ureq::http::Response<ureq::Body>, url: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    use std::io::Read as _;
    let mut reader = resp.into_body().into_with_config().limit(MAX_BODY_BYTES).reader();
    let mut buf = Zeroizing::new(Vec::with_capacity(4096));
    loop {
        if buf.len() == buf.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(buf.capacity() * 2));
            bigger.extend_from_slice(&buf);
            buf = bigger; // the old buffer is wiped as it drops
        }
        let filled = buf.len();
        let capacity = buf.capacity();
        buf.resize(capacity, 0);
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) => return Err(map_io(&e, url)),
        };
        buf.truncate(filled + n);
        if n == 0 {
            return Ok(buf);
        }
    }
}

/// Largest API answer body [`crate::Client::call_api`] reads (64 MiB).
pub const MAX_API_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// An API call for [`crate::Client::call_api`]. The `Authorization` header is
/// the client's to set.
#[derive(Clone, Debug, Default)]
pub struct ApiRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    pub url: String,
    /// Extra request headers (not `Authorization`).
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// An API's answer, whatever its status.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    /// Every response header, in order (values not valid as text are left out).
    pub headers: Vec<(String, String)>,
    /// Every `WWW-Authenticate` value, in order (one per header field).
    pub www_authenticate: Vec<String>,
    pub body: Vec<u8>,
}

/// Sends `req` with `Authorization: Bearer <access_token>` through an agent
/// with the client's trust, client certificate, proxy (and `NO_PROXY` bypass) and timeouts.
///
/// With `dpop`, the token goes as `Authorization: DPoP <access_token>` with a
/// `DPoP` proof for the method and URL, and the answer's `DPoP-Nonce` is remembered.
pub(crate) fn call_api(
    cfg: &Config,
    client_cert: Option<&ClientCert>,
    req: &ApiRequest,
    access_token: &str,
    dpop: Option<&crate::dpop::Dpop>,
) -> Result<ApiResponse, Error> {
    // The token goes only where the secret may go: https, or http to loopback unless allowed.
    cfg.check_api_url(&req.url)?;
    let method: ureq::http::Method = req
        .method
        .parse()
        .map_err(|_| Error::config(format!("{:?} is not an HTTP method", sanitize(&req.method, 40))))?;
    let mut builder = ureq::http::Request::builder().method(method).uri(&req.url);
    for (n, v) in &req.headers {
        if n.eq_ignore_ascii_case("authorization") || (dpop.is_some() && n.eq_ignore_ascii_case("dpop")) {
            return Err(Error::config(format!("the client sets the {} header itself", sanitize(n, 20))));
        }
        builder = builder.header(n, v);
    }
    let scheme = if dpop.is_some() { "DPoP " } else { "Bearer " };
    if let Some(d) = dpop {
        let (proof, _) = d.proof(&req.method, &req.url, Some(access_token))?;
        builder = builder.header("DPoP", proof);
    }
    let mut bearer = Zeroizing::new(String::with_capacity(scheme.len() + access_token.len()));
    bearer.push_str(scheme);
    bearer.push_str(access_token);
    let value =
        wipe::header_value(bearer).ok_or_else(|| Error::config("the access token is not a valid header value"))?;
    let http_req = builder
        .header("Authorization", value)
        .body(req.body.clone().unwrap_or_default())
        .map_err(|e| Error::config(format!("the API request is not valid: {}", sanitize(&e.to_string(), 160))))?;
    let mut resp = api_agent(cfg, client_cert)?.run(http_req).map_err(|e| api_call_error(&e, &req.url))?;
    let status = resp.status().as_u16();
    if let (Some(d), Some(n)) = (dpop, resp.headers().get("dpop-nonce").and_then(|v| v.to_str().ok())) {
        d.note_nonce(&req.url, n);
    }
    let text = |v: &ureq::http::HeaderValue| v.to_str().ok().map(str::to_owned);
    let headers =
        resp.headers().iter().filter_map(|(n, v)| Some((n.as_str().to_owned(), text(v)?))).collect::<Vec<_>>();
    // Server-controlled bytes: a field that is not UTF-8 is read lossily, never dropped.
    let www_authenticate = resp
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_API_BODY_BYTES)
        .read_to_vec()
        .map_err(|e| api_call_error(&e, &req.url))?;
    Ok(ApiResponse { status, headers, www_authenticate, body })
}

/// An HTTP agent for calling APIs with the same trust (system store plus the
/// CA file), client certificate, proxy and timeouts as the token requests;
/// statuses are returned, not turned into errors, and up to 5 redirects are
/// followed. Loopback destinations and those `NO_PROXY` lists are reached
/// directly, redirects included.
pub(crate) fn api_agent(cfg: &Config, client_cert: Option<&ClientCert>) -> Result<ureq::Agent, Error> {
    cfg.validate()?;
    let plan = ProxyPlan::new(cfg)?;
    let tls = tls(cfg, client_cert)?;
    // APIs may send long challenges (libcurl allows 100 KiB a header): room for them.
    let config = |proxy| {
        agent_builder(cfg, proxy).max_redirects(5).max_response_header_size(256 * 1024).tls_config(tls.clone()).build()
    };
    let Some(proxy) = plan.proxy().cloned() else {
        return Ok(wipe::agent(config(None)));
    };
    // The agent serves any URL, so the decision is made per connection.
    let bypass = Bypass { direct: config(None), plan, inner: Default::default() };
    Ok(wipe::agent_via(config(Some(proxy)), bypass))
}

/// The error for a failed call through [`api_agent`]: the same kinds (and so
/// the same statuses) as for token requests: TLS, network, timeout, ...
pub(crate) fn api_call_error(e: &ureq::Error, url: &str) -> Error {
    let kind = map_transport_error(e, url).kind();
    let err = Error::new(kind, format!("the API call failed: {}", sanitize(&e.to_string(), 200)));
    match kind {
        ErrorKind::Tls => {
            err.with_hint("check the CA file and that the API URL's host name matches the server certificate")
        }
        _ => err,
    }
}

/// What every agent of a client shares: statuses returned rather than turned
/// into errors, the timeouts, the user agent and the proxy.
pub(crate) fn agent_builder(
    cfg: &Config,
    proxy: Option<ureq::Proxy>,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(cfg.connect_timeout))
        .timeout_global(Some(cfg.timeout))
        .user_agent(concat!("oauth2cc/", env!("CARGO_PKG_VERSION")))
        .proxy(proxy)
}

pub(crate) fn tls(cfg: &Config, client_cert: Option<&ClientCert>) -> Result<TlsConfig, Error> {
    Ok(TlsConfig::builder().root_certs(root_certs(cfg.ca_file.as_deref())?).client_cert(client_cert.cloned()).build())
}

/// The system trust store (loaded once per process, kept without a lock: a
/// one-time initialisation under way in another thread at `fork()` would
/// never finish in the child) plus the optional CA file.
/// The largest CA file read (a system bundle is about 200 KiB).
pub(crate) const MAX_CA_FILE: u64 = 16 << 20;

fn root_certs(ca_file: Option<&std::path::Path>) -> Result<RootCerts, Error> {
    static SYSTEM: ArcSwapOption<Vec<Certificate<'static>>> = ArcSwapOption::const_empty();
    let system = match SYSTEM.load_full() {
        Some(s) => s,
        None => {
            // Threads starting at once may each load it; the last one's copy stays.
            let found = rustls_native_certs::load_native_certs();
            let s: Arc<Vec<_>> =
                Arc::new(found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect());
            SYSTEM.store(Some(s.clone()));
            s
        }
    };
    let Some(path) = ca_file else {
        if system.is_empty() {
            return Err(Error::config(
                "no trusted CA certificates: the system store is empty or unreadable and no CA file was given",
            ));
        }
        return Ok(RootCerts::Specific(system.clone()));
    };
    let shown = crate::error::shown_path(path);
    // Bounded, regular files only: a FIFO or a device is refused, never read to its end.
    let pem = crate::settings::read_small_file(path, MAX_CA_FILE)
        .map_err(|e| Error::config(format!("cannot read CA file {shown}: {e}")))?;
    let mut certs: Vec<Certificate<'static>> = system.as_ref().clone();
    let before = certs.len();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(_) => return Err(Error::config(format!("CA file {shown} is not valid PEM"))),
        }
    }
    if certs.len() == before {
        return Err(Error::config(format!("CA file {shown} holds no PEM certificate")));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// `host:port` of a URL, for messages (the port defaulted from the scheme).
fn host_port(url: &str) -> String {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else { return String::from("(unparsable URL)") };
    let host = uri.host().unwrap_or_default();
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("http") { 80 } else { 443 });
    sanitize(&format!("{host}:{port}"), 120)
}

/// A transport failure as an error naming the token endpoint's `host:port` (from `url`).
pub(crate) fn map_transport_error(e: &ureq::Error, url: &str) -> Error {
    use ureq::Error as U;
    let at = || host_port(url);
    match e {
        U::Timeout(which) => Error::new(ErrorKind::Timeout, format!("token request to {} timed out ({which})", at())),
        U::HostNotFound => Error::new(ErrorKind::Network, format!("token endpoint host not found (DNS): {}", at())),
        U::ConnectionFailed => {
            Error::new(ErrorKind::Network, format!("could not connect to the token endpoint {}", at()))
        }
        U::BodyExceedsLimit(_) => {
            Error::new(ErrorKind::Protocol, format!("token endpoint answer is larger than {MAX_BODY_BYTES} bytes"))
        }
        U::Rustls(e) => rustls_error(e, url),
        U::Tls(msg) => tls_error(msg),
        U::Pem(_) => Error::config("invalid PEM data"),
        U::BadUri(_) => Error::config("token URL is not valid"),
        U::InvalidProxyUrl => Error::config("proxy URL is not valid"),
        U::ConnectProxyFailed(why) => {
            Error::new(ErrorKind::Network, format!("proxy refused the connection: {}", sanitize(why, 120)))
        }
        U::Protocol(p) => {
            Error::new(ErrorKind::Protocol, format!("token endpoint broke HTTP/1.1: {}", sanitize(&p.to_string(), 120)))
        }
        U::LargeResponseHeader(..) => Error::new(ErrorKind::Protocol, "token endpoint sent oversized headers"),
        U::Io(io) => map_io(io, url),
        other => Error::new(
            ErrorKind::Network,
            format!("token request to {} failed: {}", at(), sanitize(&other.to_string(), 160)),
        ),
    }
}

/// The hint of a TLS failure with no more specific cause.
const TLS_HINT: &str = "check the CA file and that the token URL's host name matches the server certificate";

fn tls_error(detail: &str) -> Error {
    Error::new(ErrorKind::Tls, format!("TLS with the token endpoint failed: {}", sanitize(detail, 160)))
        .with_hint(TLS_HINT)
}

/// A rustls failure; a plain-HTTP answer to the TLS handshake (not a TLS
/// record) is said as such, since the usual cause is `https://` to an HTTP port.
fn rustls_error(e: &rustls::Error, url: &str) -> Error {
    if matches!(e, rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) {
        return Error::new(
            ErrorKind::Tls,
            format!("the token endpoint {} answered the TLS handshake in plain HTTP", host_port(url)),
        )
        .with_hint("the port serves http://, not https://: check the token URL's scheme and port");
    }
    tls_error(&e.to_string())
}

fn map_io(io: &std::io::Error, url: &str) -> Error {
    use std::io::ErrorKind as K;
    // ureq and rustls wrap their own errors inside io::Error.
    if let Some(inner) = io.get_ref() {
        if let Some(u) = inner.downcast_ref::<ureq::Error>() {
            return match u {
                ureq::Error::Timeout(_)
                | ureq::Error::BodyExceedsLimit(_)
                | ureq::Error::Rustls(_)
                | ureq::Error::Tls(_) => map_transport_error(u, url),
                _ => Error::new(
                    ErrorKind::Network,
                    format!("token request to {} failed: {}", host_port(url), sanitize(&u.to_string(), 160)),
                ),
            };
        }
        if let Some(r) = inner.downcast_ref::<rustls::Error>() {
            return rustls_error(r, url);
        }
    }
    let what = match io.kind() {
        K::TimedOut | K::WouldBlock => {
            return Error::new(ErrorKind::Timeout, format!("token request to {} timed out", host_port(url)))
        }
        // getaddrinfo failures reach us as uncategorised I/O errors.
        _ if io.to_string().contains("lookup address") => "token endpoint host not found (DNS):",
        K::ConnectionRefused => "connection refused by the token endpoint",
        K::ConnectionReset | K::ConnectionAborted => "connection to the token endpoint was reset",
        K::UnexpectedEof => "token endpoint closed the connection before the answer was complete",
        K::NotConnected | K::BrokenPipe => "connection to the token endpoint was lost",
        _ => "network error talking to the token endpoint",
    };
    Error::new(ErrorKind::Network, format!("{what} {} ({})", host_port(url), sanitize(&io.to_string(), 120)))
}
