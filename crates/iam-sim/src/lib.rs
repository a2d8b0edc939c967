//! A local IAM simulator: a Keycloak-shaped token endpoint, a protected API,
//! statistics and fault injection. Every oauth2cc test suite and `make demo`
//! run against it; it is written from the Keycloak and RFC 6749/6750 texts,
//! independently of the client's code (its own form decoding, its own JSON).

mod http;
mod tls;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::{Ending, Request, Response};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a client may authenticate at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with id and secret form-urlencoded first (RFC 6749 §2.3.1).
    Basic,
    /// HTTP Basic with the raw `id:secret` (older Keycloak releases).
    BasicRaw,
    /// `client_id` and `client_secret` in the form body.
    Post,
}

impl AuthMethod {
    pub fn parse(s: &str) -> Option<AuthMethod> {
        match s {
            "basic" | "client_secret_basic" => Some(AuthMethod::Basic),
            "basic_raw" | "client_secret_basic_raw" => Some(AuthMethod::BasicRaw),
            "post" | "client_secret_post" => Some(AuthMethod::Post),
            _ => None,
        }
    }
}

/// A client registered in the simulated realm.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub id: String,
    pub secret: String,
    pub methods: Vec<AuthMethod>,
    /// Token lifetime in seconds (Keycloak's "Access Token Lifespan").
    pub lifetime_secs: u64,
    /// Optional scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Scopes granted when none is asked for.
    pub default_scopes: Vec<String>,
    /// Pad issued tokens to at least this many bytes (0: natural size, ~700 B).
    pub token_size: usize,
    /// Issue opaque random tokens instead of JWTs.
    pub opaque: bool,
}

impl ClientSpec {
    pub fn new(id: &str, secret: &str) -> ClientSpec {
        ClientSpec {
            id: id.into(),
            secret: secret.into(),
            methods: vec![AuthMethod::Basic, AuthMethod::Post],
            lifetime_secs: 300,
            scopes: vec![],
            default_scopes: vec!["profile".into(), "email".into()],
            token_size: 0,
            opaque: false,
        }
    }

    pub fn opaque(mut self, yes: bool) -> Self {
        self.opaque = yes;
        self
    }

    pub fn lifetime(mut self, secs: u64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    pub fn methods(mut self, m: &[AuthMethod]) -> Self {
        self.methods = m.to_vec();
        self
    }

    pub fn scopes(mut self, s: &[&str]) -> Self {
        self.scopes = s.iter().map(|x| x.to_string()).collect();
        self
    }

    pub fn token_size(mut self, n: usize) -> Self {
        self.token_size = n;
        self
    }

    /// Parses `id=ID,secret=S[,methods=basic+post+basic_raw][,lifetime=N][,scopes=a+b][,token_size=N]`.
    pub fn parse(spec: &str) -> Result<ClientSpec, String> {
        let mut c = ClientSpec::new("", "");
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("expected key=value in {part:?}"))?;
            match k {
                "id" => c.id = v.into(),
                "secret" => c.secret = v.into(),
                "methods" => {
                    c.methods = v
                        .split('+')
                        .map(|m| AuthMethod::parse(m).ok_or_else(|| format!("unknown method {m:?}")))
                        .collect::<Result<_, _>>()?
                }
                "lifetime" => c.lifetime_secs = v.parse().map_err(|_| format!("bad lifetime {v:?}"))?,
                "scopes" => c.scopes = v.split('+').filter(|s| !s.is_empty()).map(String::from).collect(),
                "token_size" => c.token_size = v.parse().map_err(|_| format!("bad token_size {v:?}"))?,
                "opaque" => c.opaque = v == "true" || v == "1",
                _ => return Err(format!("unknown key {k:?}")),
            }
        }
        if c.id.is_empty() {
            return Err("a client needs id=".into());
        }
        Ok(c)
    }

    /// Reads one client from a JSON object (for ids and secrets with `,` or `=`).
    pub fn from_json(v: &Value) -> Result<ClientSpec, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let mut c = ClientSpec::new(&s("id").ok_or("client without \"id\"")?, &s("secret").unwrap_or_default());
        if let Some(ms) = v.get("methods").and_then(Value::as_array) {
            c.methods = ms
                .iter()
                .map(|m| m.as_str().and_then(AuthMethod::parse).ok_or_else(|| format!("bad method {m}")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(l) = v.get("lifetime").and_then(Value::as_u64) {
            c.lifetime_secs = l;
        }
        if let Some(ss) = v.get("scopes").and_then(Value::as_array) {
            c.scopes = ss.iter().filter_map(|x| x.as_str().map(String::from)).collect();
        }
        if let Some(n) = v.get("token_size").and_then(Value::as_u64) {
            c.token_size = n as usize;
        }
        c.opaque = v.get("opaque").and_then(Value::as_bool).unwrap_or(false);
        Ok(c)
    }
}

/// One injected fault, applied to the next `count` token requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer with this status, an optional `Retry-After` and an optional body
    /// (default: a Keycloak-like JSON error for 4xx, an HTML page for 5xx).
    Status { status: u16, retry_after: Option<String>, body: Option<String> },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// A 200 whose body is truncated JSON.
    MalformedJson,
    /// A 200 whose body is an HTML login page.
    Html,
    /// A 200 with a 2 MiB body.
    HugeBody,
    /// Close the connection without an answer.
    Close,
    /// Send the head and half the body, then close.
    CloseMidBody,
    /// Answer normally, but with this `expires_in` (None: the field left out).
    ExpiresIn(Option<Value>),
    /// Answer normally, but with this `token_type`.
    TokenType(String),
    /// A 200 whose JSON carries an `error`.
    ErrorIn200,
    /// Answer normally, but with this `scope` (None: the field left out), as
    /// a server that narrows what it grants does.
    Scope(Option<String>),
    /// Answer normally, with this `Retry-After` header on the 200.
    RetryAfterOn200(String),
}

impl Fault {
    /// Parses the JSON form used by `POST /sim/faults`.
    pub fn from_json(v: &Value) -> Result<Fault, String> {
        let kind = v.get("kind").and_then(Value::as_str).ok_or("fault without \"kind\"")?;
        Ok(match kind {
            "status" => Fault::Status {
                status: v.get("status").and_then(Value::as_u64).ok_or("status fault without \"status\"")? as u16,
                retry_after: v.get("retry_after").map(|r| match r {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
                body: v.get("body").and_then(Value::as_str).map(String::from),
            },
            "delay" => {
                Fault::Delay(Duration::from_millis(v.get("ms").and_then(Value::as_u64).ok_or("delay without \"ms\"")?))
            }
            "malformed_json" => Fault::MalformedJson,
            "html" => Fault::Html,
            "huge_body" => Fault::HugeBody,
            "close" => Fault::Close,
            "close_mid_body" => Fault::CloseMidBody,
            "expires_in" => Fault::ExpiresIn(v.get("value").cloned().filter(|x| !x.is_null())),
            "token_type" => Fault::TokenType(v.get("value").and_then(Value::as_str).unwrap_or("mac").into()),
            "error_200" => Fault::ErrorIn200,
            "scope" => Fault::Scope(v.get("value").and_then(Value::as_str).map(String::from)),
            "retry_after_on_200" => Fault::RetryAfterOn200(
                v.get("value").and_then(Value::as_str).ok_or("retry_after_on_200 without \"value\"")?.into(),
            ),
            other => return Err(format!("unknown fault kind {other:?}")),
        })
    }
}

/// Counters, as served by `GET /sim/stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub token_requests: u64,
    pub token_requests_by_client: HashMap<String, u64>,
    pub tokens_issued: u64,
    pub token_in_flight: u64,
    pub token_max_in_flight: u64,
    pub rate_limited: u64,
    pub api_requests: u64,
    pub api_ok: u64,
    /// API calls that presented a token the simulator had issued but which had expired.
    pub api_expired_tokens: u64,
    pub api_revoked_tokens: u64,
    /// The last token request's form parameters, `client_secret` left out.
    pub last_params: Vec<(String, String)>,
    /// The last token request's `Accept` header.
    pub last_accept: Option<String>,
    /// The last token request's auth method as the simulator read it.
    pub last_method: Option<String>,
}

impl Stats {
    pub fn to_json(&self) -> Value {
        json!({
            "token_requests": self.token_requests,
            "token_requests_by_client": self.token_requests_by_client,
            "tokens_issued": self.tokens_issued,
            "token_in_flight": self.token_in_flight,
            "token_max_in_flight": self.token_max_in_flight,
            "rate_limited": self.rate_limited,
            "api_requests": self.api_requests,
            "api_ok": self.api_ok,
            "api_expired_tokens": self.api_expired_tokens,
            "api_revoked_tokens": self.api_revoked_tokens,
            "last_params": self.last_params.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "last_accept": self.last_accept,
            "last_method": self.last_method,
        })
    }
}

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub realm: String,
    pub clients: Vec<ClientSpec>,
    /// Token requests per second per client IP before 429 (0: no limit). The IAM's is 50.
    pub rate_limit_per_sec: u32,
    /// Serve HTTPS with a fresh CA and a certificate for these names (DNS
    /// names or IP addresses); None serves plain HTTP.
    pub tls_names: Option<Vec<String>>,
    /// How HTTP Basic credentials are decoded.
    pub basic_decoding: BasicDecoding,
}

/// How a server reads the id and secret inside HTTP Basic credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BasicDecoding {
    /// application/x-www-form-urlencoded, as RFC 6749 §2.3.1 says (`+` is a space).
    #[default]
    Form,
    /// Percent-escapes only (`+` stays `+`), as many Python frameworks do.
    PercentOnly,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            realm: "test".into(),
            clients: vec![],
            rate_limit_per_sec: 50,
            tls_names: None,
            basic_decoding: BasicDecoding::Form,
        }
    }
}

struct Issued {
    client: String,
    scopes: Vec<String>,
    expires: Instant,
    revoked: bool,
}

struct State {
    cfg: SimConfig,
    clients: Mutex<HashMap<String, ClientSpec>>,
    stats: Mutex<Stats>,
    faults: Mutex<VecDeque<(Duration, Fault)>>,
    issued: Mutex<HashMap<String, Issued>>,
    recent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// When each token request arrived (after its body was read), in order.
    arrivals: Mutex<Vec<Instant>>,
    /// Chance (0..1) that a token request without a queued fault fails at random.
    failure_rate: Mutex<f64>,
    seq: AtomicU64,
    rng: Mutex<u64>,
}

/// A running simulator. Dropping it stops accepting connections.
pub struct Sim {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    ca_pem: Option<String>,
}

impl Sim {
    /// Starts on 127.0.0.1 with an OS-chosen port.
    pub fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        Sim::start_on("127.0.0.1:0", cfg)
    }

    pub fn start_on(bind: &str, cfg: SimConfig) -> std::io::Result<Sim> {
        let tls = match &cfg.tls_names {
            Some(names) => Some(tls::make(names).map_err(std::io::Error::other)?),
            None => None,
        };
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
            ^ (addr.port() as u64).rotate_left(32);
        let state = Arc::new(State {
            clients: Mutex::new(cfg.clients.iter().map(|c| (c.id.clone(), c.clone())).collect()),
            cfg,
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(VecDeque::new()),
            issued: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
            arrivals: Mutex::new(Vec::new()),
            failure_rate: Mutex::new(0.0),
            seq: AtomicU64::new(1),
            rng: Mutex::new(seed | 1),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let st = state.clone();
        let handler: http::Handler = Arc::new(move |req: &Request| route(&st, req));
        let stop2 = stop.clone();
        let server_config = tls.as_ref().map(|t| t.config.clone());
        std::thread::spawn(move || http::serve(listener, handler, stop2, server_config));
        Ok(Sim { addr, state, stop, ca_pem: tls.map(|t| t.ca_pem) })
    }

    /// The CA that signed the HTTPS certificate, as PEM (None for plain HTTP).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://` when serving TLS.
    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The realm's token endpoint (without the legacy `/auth` prefix).
    pub fn token_url(&self) -> String {
        format!("{}/realms/{}/protocol/openid-connect/token", self.base_url(), self.state.cfg.realm)
    }

    /// The protected API: accepts any valid token.
    pub fn api_url(&self) -> String {
        format!("{}/api/echo", self.base_url())
    }

    pub fn stats(&self) -> Stats {
        self.state.stats.lock().clone()
    }

    /// When each token request arrived, in order (the instants the per-IP
    /// rate limit counts, accepted or not).
    pub fn token_request_times(&self) -> Vec<Instant> {
        self.state.arrivals.lock().clone()
    }

    pub fn reset_stats(&self) {
        *self.state.stats.lock() = Stats::default();
    }

    /// Applies `fault` to the next `count` token requests (after those already queued).
    pub fn push_fault(&self, fault: Fault, count: usize) {
        self.push_fault_delayed(fault, Duration::ZERO, count);
    }

    /// Like [`Sim::push_fault`], answering only after `delay`.
    pub fn push_fault_delayed(&self, fault: Fault, delay: Duration, count: usize) {
        let mut q = self.state.faults.lock();
        for _ in 0..count {
            q.push_back((delay, fault.clone()));
        }
    }

    pub fn clear_faults(&self) {
        self.state.faults.lock().clear();
    }

    /// Makes this share (0..1) of token requests fail at random (500, 503,
    /// a closed connection, malformed JSON, or a slow 502), when no fault is queued.
    pub fn set_failure_rate(&self, rate: f64) {
        *self.state.failure_rate.lock() = rate.clamp(0.0, 1.0);
    }

    /// Every token issued so far (for tests that check no token leaks anywhere).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued.lock().keys().cloned().collect()
    }

    /// Revokes every token issued so far (as a key rotation or logout would).
    pub fn revoke_all(&self) {
        for t in self.state.issued.lock().values_mut() {
            t.revoked = true;
        }
    }

    /// Adds or replaces a client at run time.
    pub fn upsert_client(&self, c: ClientSpec) {
        self.state.clients.lock().insert(c.id.clone(), c);
    }

    /// Checks a token as the protected API would: Ok(client id) or the 401/403 answer.
    pub fn check_token(&self, token: &str) -> Result<String, u16> {
        match validate(&self.state, token, None) {
            Ok(c) => Ok(c),
            Err(r) => Err(r.status),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn route(st: &State, req: &Request) -> Response {
    let path = req.path.as_str();
    let realm_prefix = |p: &str| -> Option<String> {
        let p = p.strip_prefix("/auth").unwrap_or(p);
        let rest = p.strip_prefix("/realms/")?;
        let (realm, tail) = rest.split_once('/')?;
        (tail == "protocol/openid-connect/token").then(|| realm.to_string())
    };
    if let Some(realm) = realm_prefix(path) {
        if req.method != "POST" {
            return Response::json(
                405,
                &json!({"error": "RESTEASY003650: No resource method found for GET, return 405 with Allow header"}),
            )
            .with_header("Allow", "POST, OPTIONS");
        }
        if realm != st.cfg.realm {
            return Response::json(404, &json!({"error": "Realm does not exist"}));
        }
        return token_endpoint(st, req);
    }
    // OpenID discovery, for clients that want it (msal in the benchmarks).
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        let realm = prefix.strip_prefix("/auth").unwrap_or(prefix).strip_prefix("/realms/").unwrap_or_default();
        if realm == st.cfg.realm {
            let host = req.header("host").unwrap_or("127.0.0.1");
            let scheme = if st.cfg.tls_names.is_some() { "https" } else { "http" };
            let issuer = format!("{scheme}://{host}{prefix}");
            return Response::json(
                200,
                &json!({
                    "issuer": issuer,
                    "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
                    "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
                    "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
                    "grant_types_supported": ["client_credentials"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                }),
            );
        }
    }
    match (req.method.as_str(), path) {
        ("GET", "/sim/stats") => Response::json(200, &st.stats.lock().to_json()),
        ("POST", "/sim/reset") => {
            *st.stats.lock() = Stats::default();
            st.faults.lock().clear();
            Response::json(200, &json!({"ok": true}))
        }
        ("POST", "/sim/revoke") => {
            for t in st.issued.lock().values_mut() {
                t.revoked = true;
            }
            Response::json(200, &json!({"ok": true}))
        }
        ("POST", "/sim/faults") => {
            let parsed: Result<Value, _> = serde_json::from_slice(&req.body);
            let v = match parsed {
                Ok(v) => v,
                Err(e) => return Response::json(400, &json!({"error": format!("bad JSON: {e}")})),
            };
            match Fault::from_json(&v) {
                Ok(f) => {
                    let count = v.get("count").and_then(Value::as_u64).unwrap_or(1);
                    let delay = Duration::from_millis(v.get("delay_ms").and_then(Value::as_u64).unwrap_or(0));
                    let mut q = st.faults.lock();
                    for _ in 0..count {
                        q.push_back((delay, f.clone()));
                    }
                    Response::json(200, &json!({"queued": q.len()}))
                }
                Err(e) => Response::json(400, &json!({"error": e})),
            }
        }
        (_, p) if p.starts_with("/api/") => api(st, req),
        _ => Response::new(404, "text/plain", "not found"),
    }
}

/// Decodes application/x-www-form-urlencoded text (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    decode(s, true)
}

/// Decodes percent-escapes; `+` is a space only when `plus_is_space`.
fn decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
        .collect()
}

fn kc_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(status, &json!({"error": error, "error_description": description}))
}

/// Who the request says it is, and whether the credentials match, per accepted method.
fn authenticate(
    st: &State,
    req: &Request,
    form: &[(String, String)],
) -> (Option<String>, Result<ClientSpec, Response>) {
    let form_get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let unauthorized = || kc_error(401, "unauthorized_client", "Invalid client or Invalid client credentials");
    let clients = st.clients.lock();
    if let Some(raw) = basic {
        if form_get("client_secret").is_some() {
            return (None, Err(kc_error(400, "invalid_request", "Multiple client authentication methods")));
        }
        let (rid, rsecret) = raw.split_once(':').unwrap_or((raw.as_str(), ""));
        // Try the RFC 6749 form-urlencoded reading first, then the raw one.
        let plus_is_space = st.cfg.basic_decoding == BasicDecoding::Form;
        let decoded = (decode(rid, plus_is_space), decode(rsecret, plus_is_space));
        let candidates = [
            (AuthMethod::Basic, decoded.0.clone(), decoded.1.clone()),
            (AuthMethod::BasicRaw, Some(rid.to_string()), Some(rsecret.to_string())),
        ];
        let mut claimed = None;
        for (method, id, secret) in candidates {
            let (Some(id), Some(secret)) = (id, secret) else { continue };
            if let Some(c) = clients.get(&id) {
                claimed.get_or_insert_with(|| id.clone());
                if c.methods.contains(&method) && c.secret == secret {
                    return (Some(id), Ok(c.clone()));
                }
            }
        }
        return match claimed {
            Some(id) => (Some(id), Err(unauthorized())),
            None => (
                decoded.0.or(Some(rid.to_string())),
                Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")),
            ),
        };
    }
    let Some(id) = form_get("client_id") else {
        return (None, Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")));
    };
    let Some(c) = clients.get(&id) else {
        return (Some(id), Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")));
    };
    match form_get("client_secret") {
        Some(s) if c.methods.contains(&AuthMethod::Post) && s == c.secret => (Some(id), Ok(c.clone())),
        _ => (Some(id), Err(unauthorized())),
    }
}

fn method_used(req: &Request) -> &'static str {
    match req.header("authorization") {
        Some(_) => "basic",
        None => "post",
    }
}

fn rate_limited(st: &State, ip: IpAddr) -> bool {
    let now = Instant::now();
    st.arrivals.lock().push(now);
    let limit = st.cfg.rate_limit_per_sec as usize;
    if limit == 0 {
        return false;
    }
    let mut recent = st.recent.lock();
    let q = recent.entry(ip).or_default();
    while q.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
        q.pop_front();
    }
    if q.len() >= limit {
        return true;
    }
    q.push_back(now);
    false
}

struct InFlight<'a>(&'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.stats.lock().token_in_flight -= 1;
    }
}

fn token_endpoint(st: &State, req: &Request) -> Response {
    let _in_flight = {
        let mut s = st.stats.lock();
        s.token_in_flight += 1;
        s.token_max_in_flight = s.token_max_in_flight.max(s.token_in_flight);
        InFlight(st)
    };
    let form = parse_form(&req.body);
    let (who, auth) = match &form {
        Some(f) => authenticate(st, req, f),
        None => (None, Err(kc_error(400, "invalid_request", "Malformed form body"))),
    };
    {
        let mut s = st.stats.lock();
        s.token_requests += 1;
        *s.token_requests_by_client.entry(who.unwrap_or_else(|| "?".into())).or_default() += 1;
        s.last_params = form.iter().flatten().filter(|(k, _)| k != "client_secret").cloned().collect();
        s.last_accept = req.header("accept").map(String::from);
        s.last_method = auth.as_ref().ok().map(|_| method_used(req).into());
    }
    if rate_limited(st, req.peer.ip()) {
        st.stats.lock().rate_limited += 1;
        return Response::new(429, "text/html", "<html><body>Too Many Requests</body></html>")
            .with_header("Retry-After", "1");
    }
    let (delay, fault) = match st.faults.lock().pop_front() {
        Some((d, f)) => (d, Some(f)),
        None => random_fault(st),
    };
    std::thread::sleep(delay);
    match &fault {
        Some(Fault::Status { status, retry_after, body }) => {
            let mut r = match body {
                Some(b) => Response::new(*status, "application/json", b.clone()),
                None if *status < 500 => kc_error(*status, "temporarily_unavailable", "Injected fault"),
                None => Response::new(
                    *status,
                    "text/html",
                    format!("<html><body><h1>{status}</h1>Injected fault</body></html>"),
                ),
            };
            if let Some(ra) = retry_after {
                r = r.with_header("Retry-After", ra.clone());
            }
            return r;
        }
        Some(Fault::Delay(d)) => std::thread::sleep(*d),
        Some(Fault::MalformedJson) => {
            return Response::new(200, "application/json", "{\"access_token\":\"eyJhbGciOi");
        }
        Some(Fault::Html) => {
            return Response::new(
                200,
                "text/html;charset=utf-8",
                "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>login</form></body></html>",
            );
        }
        Some(Fault::HugeBody) => {
            let mut b = String::from("{\"access_token\":\"");
            b.push_str(&"A".repeat(2 * 1024 * 1024));
            b.push_str("\",\"token_type\":\"Bearer\",\"expires_in\":300}");
            return Response::new(200, "application/json", b);
        }
        Some(Fault::Close) => {
            let mut r = Response::new(200, "application/json", "");
            r.ending = Ending::CloseSilently;
            return r;
        }
        Some(Fault::CloseMidBody) => {
            let mut r = Response::new(
                200,
                "application/json",
                format!("{{\"access_token\":\"{}\",\"token_type\":\"Bearer\"}}", "x".repeat(2000)),
            );
            r.ending = Ending::CloseMidBody;
            return r;
        }
        _ => {}
    }
    let form = match form {
        Some(f) => f,
        None => return kc_error(400, "invalid_request", "Malformed form body"),
    };
    let client = match auth {
        Ok(c) => c,
        Err(r) => return r,
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match get("grant_type") {
        None => return kc_error(400, "invalid_request", "Missing form parameter: grant_type"),
        Some("client_credentials") => {}
        Some(_) => return kc_error(400, "unsupported_grant_type", "Unsupported grant_type"),
    }
    let mut scopes = client.default_scopes.clone();
    if let Some(asked) = get("scope") {
        for s in asked.split(' ').filter(|s| !s.is_empty()) {
            if !client.scopes.iter().any(|x| x == s) && !client.default_scopes.iter().any(|x| x == s) {
                return kc_error(400, "invalid_scope", &format!("Invalid scopes: {asked}"));
            }
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
    }
    if matches!(fault, Some(Fault::ErrorIn200)) {
        return Response::json(
            200,
            &json!({"error": "invalid_request", "error_description": "Injected error in a 200 answer"}),
        );
    }
    let token = issue(st, &client, &scopes, get("audience"), get("resource"));
    let scope = scopes.join(" ");
    let retry_after_on_200 = match &fault {
        Some(Fault::RetryAfterOn200(v)) => Some(v.clone()),
        _ => None,
    };
    let mut answer = json!({
        "access_token": token,
        "expires_in": client.lifetime_secs,
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": scope,
    });
    match fault {
        Some(Fault::ExpiresIn(None)) => {
            answer.as_object_mut().map(|o| o.remove("expires_in"));
        }
        Some(Fault::ExpiresIn(Some(v))) => answer["expires_in"] = v,
        Some(Fault::TokenType(t)) => answer["token_type"] = Value::String(t),
        Some(Fault::Scope(None)) => {
            answer.as_object_mut().map(|o| o.remove("scope"));
        }
        Some(Fault::Scope(Some(s))) => answer["scope"] = Value::String(s),
        _ => {}
    }
    st.stats.lock().tokens_issued += 1;
    match retry_after_on_200 {
        Some(v) => Response::json(200, &answer).with_header("Retry-After", v),
        None => Response::json(200, &answer),
    }
}

fn random_fault(st: &State) -> (Duration, Option<Fault>) {
    let rate = *st.failure_rate.lock();
    if rate <= 0.0 || (next_random(st) >> 11) as f64 / (1u64 << 53) as f64 >= rate {
        return (Duration::ZERO, None);
    }
    let status = |s: u16| Fault::Status { status: s, retry_after: None, body: None };
    match next_random(st) % 5 {
        0 => (Duration::ZERO, Some(status(500))),
        1 => (Duration::ZERO, Some(status(503))),
        2 => (Duration::ZERO, Some(Fault::Close)),
        3 => (Duration::ZERO, Some(Fault::MalformedJson)),
        _ => (Duration::from_millis(200), Some(status(502))),
    }
}

fn next_random(st: &State) -> u64 {
    let mut s = st.rng.lock();
    // xorshift64*
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    s.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Issues a JWT-shaped token. The signature is random bytes: the simulator
/// validates tokens by looking them up, as an introspecting resource server would.
fn issue(st: &State, c: &ClientSpec, scopes: &[String], audience: Option<&str>, resource: Option<&str>) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let seq = st.seq.fetch_add(1, Ordering::Relaxed);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"iam-sim"}"#);
    let mut claims = json!({
        "exp": now + c.lifetime_secs,
        "iat": now,
        "jti": format!("{seq:08x}-{:016x}", next_random(st)),
        "iss": format!("iam-sim/realms/{}", st.cfg.realm),
        "sub": c.id,
        "typ": "Bearer",
        "azp": c.id,
        "scope": scopes.join(" "),
    });
    if let Some(a) = audience {
        claims["aud"] = Value::String(a.into());
    }
    if let Some(r) = resource {
        claims["resource"] = Value::String(r.into());
    }
    let sig: Vec<u8> = (0..32).flat_map(|_| next_random(st).to_le_bytes()).collect();
    let sig = URL_SAFE_NO_PAD.encode(sig);
    if c.opaque {
        let token = format!("opaque-{seq:08x}-{}", &sig[..40]);
        remember(st, &token, c, scopes);
        return token;
    }
    let mut payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let natural = header.len() + payload.len() + sig.len() + 2;
    if c.token_size > natural {
        // Pad with a claim; base64 grows 4/3, so aim a little under and trim.
        let fill = (c.token_size - natural) * 3 / 4;
        claims["pad"] = Value::String("p".repeat(fill.saturating_sub(12)));
        payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    }
    let token = format!("{header}.{payload}.{sig}");
    remember(st, &token, c, scopes);
    token
}

fn remember(st: &State, token: &str, c: &ClientSpec, scopes: &[String]) {
    st.issued.lock().insert(
        token.to_string(),
        Issued {
            client: c.id.clone(),
            scopes: scopes.to_vec(),
            expires: Instant::now() + Duration::from_secs(c.lifetime_secs),
            revoked: false,
        },
    );
}

const REALM_CHALLENGE: &str = "Bearer realm=\"iam-sim\"";

fn validate(st: &State, token: &str, need_scope: Option<&str>) -> Result<String, Response> {
    let issued = st.issued.lock();
    let invalid = |why: &str| {
        Response::json(401, &json!({"error": "invalid_token"})).with_header(
            "WWW-Authenticate",
            format!("{REALM_CHALLENGE}, error=\"invalid_token\", error_description=\"{why}\""),
        )
    };
    let Some(t) = issued.get(token) else {
        return Err(invalid("The access token is unknown"));
    };
    if t.revoked {
        st.stats.lock().api_revoked_tokens += 1;
        return Err(invalid("The access token was revoked"));
    }
    if Instant::now() >= t.expires {
        st.stats.lock().api_expired_tokens += 1;
        return Err(invalid("The access token expired"));
    }
    if let Some(s) = need_scope {
        if !t.scopes.iter().any(|x| x == s) {
            return Err(Response::json(403, &json!({"error": "insufficient_scope"})).with_header(
                "WWW-Authenticate",
                format!("{REALM_CHALLENGE}, error=\"insufficient_scope\", error_description=\"The request requires higher privileges\", scope=\"{s}\""),
            ));
        }
    }
    Ok(t.client.clone())
}

/// `/api/echo` accepts any valid token; `/api/scope/NAME` also needs scope NAME;
/// `/api/deny` answers 401 with a bare challenge whatever the token (a
/// misrouted call: a new token would not help); `/api/deny-twice` does the
/// same with two `WWW-Authenticate` header fields (Basic, then Bearer);
/// `/api/respond/NNN?www=V&www=W` answers a valid token with status NNN and
/// one `WWW-Authenticate` field per `www` (form-urlencoded), every time: an
/// API answering what the case table (tests/api_response_cases.json) says.
fn api(st: &State, req: &Request) -> Response {
    st.stats.lock().api_requests += 1;
    if req.path == "/api/deny" {
        return Response::json(401, &json!({"error": "unauthorized"})).with_header("WWW-Authenticate", REALM_CHALLENGE);
    }
    if req.path == "/api/deny-twice" {
        return Response::json(401, &json!({"error": "unauthorized"}))
            .with_header("WWW-Authenticate", "Basic realm=\"iam-sim\"")
            .with_header("WWW-Authenticate", REALM_CHALLENGE);
    }
    let token = req.header("authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim().to_string())
    });
    let Some(token) = token else {
        return Response::json(401, &json!({"error": "unauthorized"})).with_header("WWW-Authenticate", REALM_CHALLENGE);
    };
    let need_scope = req.path.strip_prefix("/api/scope/");
    if let Some(code) = req.path.strip_prefix("/api/respond/") {
        let Ok(code) = code.parse::<u16>() else {
            return Response::json(400, &json!({"error": "the status after /api/respond/ is not a number"}));
        };
        return match validate(st, &token, None) {
            Ok(_) => {
                let mut r = Response::json(code, &json!({"status": code}));
                for pair in req.query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if k == "www" {
                        r = r.with_header("WWW-Authenticate", form_decode(v).unwrap_or_default());
                    }
                }
                r
            }
            Err(r) => r,
        };
    }
    // `/api/status/NNN`: a valid token gets status NNN (an API failing on its own).
    let forced = req.path.strip_prefix("/api/status/").and_then(|s| s.parse::<u16>().ok());
    match validate(st, &token, need_scope) {
        Ok(_) if forced.is_some() => {
            let code = forced.unwrap_or(500);
            Response::json(code, &json!({"status": code}))
        }
        Ok(client) => {
            st.stats.lock().api_ok += 1;
            Response::json(
                200,
                &json!({
                    "ok": true, "client": client, "method": req.method, "path": req.path,
                    "body_bytes": req.body.len(), "x_test": req.header("x-test"),
                    "authorization_headers": req.headers.iter().filter(|(n, _)| n == "authorization").count(),
                }),
            )
        }
        Err(r) => r,
    }
}
