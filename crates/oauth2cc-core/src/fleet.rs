//! Fleet mode: one token, one request budget and one pause per client for
//! every process, on every host, that uses the same Redis (or Valkey).
//!
//! The in-memory cache stays in front: a cached read never reaches this
//! module. It is consulted only from the cache's slow path (no token, or one
//! due for renewal), where it wraps the local fetch (the file cache or the
//! request itself):
//!
//! - **The token** is kept under a key named after the token URL, client id,
//!   auth method, scope, audience and resource (never the secret), sealed
//!   with AES-256-GCM under a key derived (HKDF-SHA-256) from the client's
//!   credential (`credential_material`: the secret, the client key, the
//!   signing key); a token bound to a key is keyed on that key's identity
//!   too (binding.rs); the Redis key name is the associated data, so an entry
//!   cannot be moved to another key. An entry that does not open (tampered,
//!   another credential, another format) is ignored and replaced. The entry
//!   holds the expiry and the renewal point, drawn once for the fleet, in
//!   Redis's clock (`TIME`), so hosts with skewed clocks agree.
//! - **Single flight**: the process that needs a token takes a lease
//!   (`SET NX PX`, as long as its own deadline); the others wait for the
//!   entry (polling, at most every 20-200 ms) until their deadline, or take
//!   the lease over when it expired (a leaseholder that died). A process
//!   that still has a valid token never waits: it keeps it a little longer.
//! - **Pauses**: a failure the token endpoint answered (a rejected
//!   credential's cool-down, a 429's `Retry-After`, a server error's
//!   backoff) is written, sealed, with its end in Redis time; every process
//!   honours it without sending.
//! - **The budget**: a Lua script keeps a sliding one-second window of the
//!   fleet's requests per token endpoint's host, or the issuer's with
//!   discovery (`max_requests_per_second`, default
//!   10, at most 50); a request holds its slot from before it is sent until
//!   a second after its answer, as the local budget does (endpoint.rs).
//! - **Never worse than standalone**: every exchange with Redis ends within
//!   `shared_cache_timeout`. Any failure (refused, slow, an error answer such
//!   as `OOM`, a failover) is logged once (the URL without user information,
//!   the error's kind, never a credential or a token) and the process works
//!   alone (its local cache, budget and pauses) until Redis answers again: a
//!   new connection is tried at most every [`REJOIN`].

use crate::backoff::Policy;
use crate::binding::Binding;
use crate::cache::Failed;
use crate::config::{Config, KeySource};
use crate::deferred::say;
use crate::error::{Error, ErrorKind};
use crate::token::Token;
use arc_swap::ArcSwapOption;
use parking_lot::Mutex;
use ring::aead;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use zeroize::Zeroizing;

/// The version of the key names and the sealed entries.
const PREFIX: &str = "oauth2cc:v1";
const SEAL_FORMAT: u8 = 1;
/// After Redis failed, how long the process works alone before it tries again.
pub(crate) const REJOIN: Duration = Duration::from_secs(1);
/// A process with a valid token that another one is renewing looks again after this long.
const RECHECK: Duration = Duration::from_millis(100);
/// How long a pause record outlives its pause, to count failures in a row.
const PAUSE_MEMORY_MS: i64 = 600_000;
/// Entries larger than this are not ours.
const MAX_ENTRY: usize = 256 * 1024;

/// Takes a slot of the fleet's budget: 0, or how many ms to wait for one.
/// KEYS[1] the window; ARGV window (µs), limit, member, in-flight end (µs from now).
const ACQUIRE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.floor((window + tonumber(ARGV[4])) / 1000) + 1000)
  return 0
end
local first = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
-- Every slot's request still in flight: look again soon.
if first > now then return 10 end
return math.max(1, math.floor((first + window - now) / 1000) + 1)
"#;

/// The request of ARGV[1] ended now: its slot lasts one window from here.
const RELEASE: &str = r#"
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
return 0
"#;

/// The longest a lease (and a fleet budget slot) is held for one request,
/// whatever the holder's timeout: a holder that died blocks the fleet's cold
/// hosts for at most this long. A request still running past it may be
/// joined by one from another host.
const MAX_HOLD: Duration = Duration::from_secs(15);

/// How long the lease and the budget slot of a request sent now are held:
/// until the holder's deadline plus a second, at most `MAX_HOLD` plus a second.
fn hold_for(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).min(MAX_HOLD) + Duration::from_secs(1)
}

/// Deletes the lease if it is still ours.
const UNLEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// Whether the shared cache URL is one this module can use (checked by `Config::validate`).
pub(crate) fn check_url(cfg: &Config) -> Result<(), Error> {
    let Some(url) = &cfg.shared_cache_url else { return Ok(()) };
    let shown = crate::config::redact_url_and_query(url.expose());
    let scheme = url.expose().split_once("://").map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    if !matches!(scheme.as_str(), "redis" | "rediss" | "redis+unix" | "unix") {
        return Err(Error::config(format!(
            "shared cache URL {shown:?} must start with redis://, rediss:// or redis+unix://"
        )));
    }
    // The URL parser has no Unicode host names (see idna_adapter in Cargo.toml).
    let authority = url.expose().split_once("://").map_or("", |(_, r)| r.split(['/', '?']).next().unwrap_or(""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if !scheme.contains("unix") && !host.is_ascii() {
        return Err(Error::config(format!(
            "shared cache URL {shown:?}: the host name must be ASCII (write an internationalised name in punycode, xn--...)"
        )));
    }
    redis::parse_redis_url(url.expose())
        .filter(|_| scheme.contains("unix") || redis::IntoConnectionInfo::into_connection_info(url.expose()).is_ok())
        .ok_or_else(|| Error::config(format!("shared cache URL {shown:?} is not a valid Redis URL")))?;
    Ok(())
}

/// One Redis, shared by the clients of this process that use it: idle
/// connections (each exchange takes one, so that clients do not queue behind
/// each other), and whether Redis answers.
struct Link {
    shown: String,
    client: redis::Client,
    timeout: Duration,
    state: Mutex<LinkState>,
    /// False from a failure until Redis answers again (logged once per change).
    up: AtomicBool,
}

#[derive(Default)]
struct LinkState {
    /// Idle connections and the fork generation each was opened in (a child
    /// must not use its parent's sockets).
    idle: Vec<(u64, redis::Connection)>,
    /// No new connection before this instant (after a failure).
    retry_at: Option<Instant>,
}

/// Idle connections kept per Redis.
const MAX_IDLE: usize = 8;

/// Why a step could not use Redis.
enum Down {
    /// Redis failed now (logged by `Link::failed`).
    Failed,
    /// Redis failed a moment ago: working alone until `REJOIN` has passed.
    Resting,
}

impl Link {
    /// One exchange with Redis, on an idle connection or a new one.
    fn run<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T, Down> {
        let generation = crate::fork::generation();
        let idle = {
            // Held for a few instructions only; a lock held by a thread of
            // the parent (after fork) makes this process work alone.
            let Some(mut st) = self.state.try_lock_for(self.timeout) else { return Err(Down::Resting) };
            if st.idle.iter().any(|(g, _)| *g != generation) {
                // The parent's sockets: forgotten without a word to Redis
                // (the parent still uses them).
                for c in std::mem::take(&mut st.idle) {
                    std::mem::forget(c);
                }
            }
            match st.idle.pop() {
                Some((_, c)) => Some(c),
                None if st.retry_at.is_some_and(|at| Instant::now() < at) => return Err(Down::Resting),
                None => None,
            }
        };
        let mut conn = match idle {
            Some(c) => c,
            None => match self.connect() {
                Ok(c) => c,
                Err(e) => return Err(self.failed(&e)),
            },
        };
        match f(&mut conn) {
            Ok(v) => {
                if let Some(mut st) = self.state.try_lock_for(self.timeout) {
                    st.retry_at = None;
                    if st.idle.len() < MAX_IDLE {
                        st.idle.push((generation, conn));
                    }
                }
                if !self.up.swap(true, Ordering::AcqRel) {
                    say!(log::Level::Info, "oauth2cc: shared cache {} answers: tokens are shared again", self.shown);
                }
                Ok(v)
            }
            // Whatever went wrong (a timeout mid-answer leaves the connection
            // out of step), the connection is dropped.
            Err(e) => Err(self.failed(&e)),
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let c = self.client.get_connection_with_timeout(self.timeout)?;
        c.set_read_timeout(Some(self.timeout))?;
        c.set_write_timeout(Some(self.timeout))?;
        Ok(c)
    }

    /// Works alone for a while, dropping the idle connections; logs the
    /// first failure after Redis answered (never a credential: the URL
    /// without user information and the error's kind and code only).
    fn failed(&self, e: &redis::RedisError) -> Down {
        if let Some(mut st) = self.state.try_lock_for(self.timeout) {
            st.retry_at = Some(Instant::now() + REJOIN);
            st.idle.clear();
        }
        if self.up.swap(false, Ordering::AcqRel) {
            say!(
                log::Level::Warn,
                "oauth2cc: shared cache {} failed ({}); working standalone (own cache, budget and pauses), \
                 trying again every {} s",
                self.shown,
                describe(e),
                REJOIN.as_secs()
            );
        }
        Down::Failed
    }
}

/// A Redis error's kind in words, without its text (which may quote a command's arguments).
fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_io_error() || e.is_connection_dropped() {
        return "connection failed".into();
    }
    // The server's error code (the first word of its answer: WRONGPASS,
    // NOAUTH, OOM, ...), never the rest of the text.
    let text = e.to_string();
    let first = text.split([' ', ':']).find(|w| !w.is_empty()).unwrap_or_default();
    let code =
        e.code().or(Some(first)
            .filter(|w| w.len() >= 3 && w.len() <= 24 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
    let auth = matches!(e.kind(), redis::ErrorKind::AuthenticationFailed)
        || matches!(code, Some("WRONGPASS" | "NOAUTH" | "NOPERM"));
    match (auth, code) {
        (true, Some(code)) => format!("authentication failed ({code}): check the user and password"),
        (true, None) => "authentication failed: check the user and password".into(),
        (false, Some(code)) => format!("answered {}", crate::error::sanitize(code, 24)),
        (false, None) => format!("{:?}", e.kind()),
    }
}

/// The links of this process by URL, created on first use. Replaced, never
/// locked, so that `fork()` cannot leave the map held.
fn link(cfg: &Config, url: &str) -> Result<Arc<Link>, Error> {
    static ALL: ArcSwapOption<HashMap<String, Arc<Link>>> = ArcSwapOption::const_empty();
    let password = match &cfg.shared_cache_password_file {
        Some(p) => Some(read_password(p)?),
        None => None,
    };
    let ca = match &cfg.ca_file {
        Some(p) if url.starts_with("rediss") => Some(p.clone()),
        _ => None,
    };
    // The map's key: everything the link is made of, hashed (it holds the password).
    let id = {
        let mut d = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [url, password.as_deref().map_or("", |p| p.as_str()), &format!("{:?}", cfg.shared_cache_timeout)] {
            d.update(&(part.len() as u64).to_be_bytes());
            d.update(part.as_bytes());
        }
        d.update(format!("{ca:?}").as_bytes());
        hex(d.finish().as_ref())
    };
    loop {
        let all = ALL.load_full();
        if let Some(l) = all.as_ref().and_then(|m| m.get(&id)) {
            return Ok(l.clone());
        }
        let l = Arc::new(open_link(cfg, url, password.as_deref().map(|p| p.as_str()), ca.as_deref())?);
        let mut grown = all.as_deref().cloned().unwrap_or_default();
        grown.insert(id.clone(), l.clone());
        let prev = ALL.compare_and_swap(&all, Some(Arc::new(grown)));
        let same = match (&*prev, &all) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if same {
            return Ok(l);
        }
    }
}

fn read_password(path: &std::path::Path) -> Result<Zeroizing<String>, Error> {
    // Bounded: a device, FIFO or huge file is refused without being read to the end.
    let bytes = crate::settings::read_small_file(path, crate::settings::MAX_SECRET_FILE).map_err(|e| {
        Error::config(format!("cannot read the shared cache password file {}: {e}", crate::error::shown_path(path)))
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::config(format!("the shared cache password file {} is not UTF-8 text", crate::error::shown_path(path)))
    })?;
    let line = text.lines().next().unwrap_or_default().trim_end_matches('\r');
    if line.is_empty() {
        return Err(Error::config(format!(
            "the shared cache password file {} is empty",
            crate::error::shown_path(path)
        )));
    }
    Ok(Zeroizing::new(line.to_string()))
}

fn open_link(cfg: &Config, url: &str, password: Option<&str>, ca: Option<&std::path::Path>) -> Result<Link, Error> {
    let shown = crate::config::redact_url_and_query(url);
    let bad = || Error::config(format!("shared cache URL {shown:?} is not a valid Redis URL"));
    let mut info = redis::IntoConnectionInfo::into_connection_info(url).map_err(|_| bad())?;
    if let Some(p) = password {
        let settings = info.redis_settings().clone().set_password(p);
        info = info.set_redis_settings(settings);
    }
    let client = match ca {
        // The token endpoint's trust: the system store and the CA file.
        Some(ca) => {
            let mut pem = native_roots_pem();
            pem.extend(
                crate::settings::read_small_file(ca, crate::transport::MAX_CA_FILE)
                    .map_err(|e| {
                        Error::config(format!(
                            "cannot read CA file {} for the shared cache: {e}",
                            crate::error::shown_path(ca)
                        ))
                    })?
                    .iter(),
            );
            redis::Client::build_with_tls(info, redis::TlsCertificates { client_tls: None, root_cert: Some(pem) })
        }
        None => redis::Client::open(info),
    }
    .map_err(|_| bad())?;
    Ok(Link {
        shown,
        client,
        timeout: cfg.shared_cache_timeout,
        state: Mutex::new(LinkState::default()),
        up: AtomicBool::new(true),
    })
}

/// The system's trusted roots as PEM (Redis's TLS takes one PEM bundle).
fn native_roots_pem() -> Vec<u8> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for cert in rustls_native_certs::load_native_certs().certs {
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Redis key of a configuration's entries: SHA-256 of what identifies the
/// token (never the secret), each part preceded by its length.
fn entry_id(cfg: &Config, binding: &Binding) -> String {
    let mut d = ring::digest::Context::new(&ring::digest::SHA256);
    binding.identify(cfg, &mut |b| d.update(b));
    hex(&d.finish().as_ref()[..16])
}

/// The credential material the sealing key is derived from, each part
/// labelled and preceded by its length: the client secret when the method
/// uses it (or, with discovery, may pick one that does), the client
/// certificate's private key (tls_client_auth, self_signed_tls_client_auth,
/// or a certificate-bound token) and the signing key (private_key_jwt). A key
/// counts as its DER, so the same key in two PEM layouts (line endings, a
/// trailing newline) seals alike; a key that does not parse counts as its bytes.
fn credential_material(cfg: &Config) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut out = Zeroizing::new(Vec::new());
    let mut add = |label: &[u8], bytes: &[u8]| {
        if bytes.is_empty() {
            return;
        }
        for part in [label, bytes] {
            out.extend_from_slice(&(part.len() as u64).to_be_bytes());
            out.extend_from_slice(part);
        }
    };
    let method_may_use_secret = cfg.auth_method.uses_secret() || (cfg.issuer.is_some() && !cfg.auth_method_chosen());
    if method_may_use_secret {
        add(b"secret", cfg.client_secret.expose().as_bytes());
    }
    let read = |what: &str, p: &std::path::Path| {
        crate::settings::read_small_file(p, crate::client_cert::MAX_PEM_FILE)
            .map_err(|e| Error::config(format!("cannot read {what} file {}: {e}", crate::error::shown_path(p))))
    };
    if let Some(path) = &cfg.client_key {
        add(b"client_key", &key_der(&read("client key", path)?));
    }
    match &cfg.private_key {
        Some(KeySource::File(path)) => add(b"private_key", &key_der(&read("private key", path)?)),
        Some(KeySource::Pem(pem)) => add(b"private_key", &key_der(pem.expose().as_bytes())),
        None => {}
    }
    Ok(out)
}

/// The DER of the first private key in a PEM text, or the text itself.
fn key_der(pem: &[u8]) -> Zeroizing<Vec<u8>> {
    use rustls::pki_types::pem::PemObject as _;
    use zeroize::Zeroize as _;
    match rustls::pki_types::PrivateKeyDer::from_pem_slice(pem) {
        Ok(mut k) => {
            let der = Zeroizing::new(k.secret_der().to_vec());
            k.zeroize();
            der
        }
        Err(_) => Zeroizing::new(pem.to_vec()),
    }
}

/// AES-256-GCM under HKDF-SHA-256(salt "oauth2cc fleet v1", credential, info = entry id).
fn sealing_key(cfg: &Config, id: &str) -> Result<aead::LessSafeKey, Error> {
    let ikm = credential_material(cfg)?;
    // Without credential material anyone could derive the key (and forge entries).
    if ikm.is_empty() {
        return Err(Error::config(format!(
            "the shared cache needs credential material to seal its entries: {} configures no client secret, \
             client key or private key",
            cfg.auth_method.as_str()
        )));
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"oauth2cc fleet v1").extract(&ikm);
    let info = [id.as_bytes()];
    let okm = prk
        .expand(&info, &aead::AES_256_GCM)
        .map_err(|_| Error::new(ErrorKind::Internal, "cannot derive the shared cache key"))?;
    Ok(aead::LessSafeKey::new(aead::UnboundKey::from(okm)))
}

/// The fleet side of one client.
pub(crate) struct Fleet {
    link: Arc<Link>,
    key: aead::LessSafeKey,
    token_key: String,
    pause_key: String,
    lease_key: String,
    budget_key: String,
    /// The fleet budget: `limit` requests per `window_us`.
    limit: u64,
    window_us: u64,
    renew_after: (f64, f64),
    /// False when no other process could use this client's tokens (a DPoP
    /// key it generated): only the budget and the pauses are shared.
    shares_tokens: bool,
    /// Whether the token last handed to the cache was read from Redis (for `oauth2cc inspect`).
    from_fleet: AtomicBool,
    /// Tokens read from Redis and requests this process sent as the fleet's leader.
    pub(crate) reads: AtomicU64,
    pub(crate) leads: AtomicU64,
}

/// What the fleet says, for display (`oauth2cc inspect`, `Client::shared_cache_status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedCacheStatus {
    /// The URL without user information.
    pub url: String,
    /// False while this process works standalone after a Redis failure.
    pub available: bool,
    /// Whether the current token was read from the shared cache (another
    /// process requested it) rather than requested by this process.
    pub token_from_shared_cache: bool,
    /// Tokens this client read from the shared cache.
    pub reads: u64,
    /// Token requests this client sent for the fleet (as the lease holder).
    pub requests: u64,
}

/// A token entry as sealed in Redis; times in ms of Redis's clock.
struct Entry {
    token: Token,
    fresh: bool,
}

impl Fleet {
    /// `binding`: the identity of the key tokens are bound to (see binding.rs).
    pub fn new(cfg: &Config, binding: &Binding) -> Result<Fleet, Error> {
        let url = cfg.shared_cache_url.as_ref().expect("fleet mode without a URL");
        let link = link(cfg, url.expose())?;
        let id = entry_id(cfg, binding);
        // A DPoP-bound token is keyed on its key too (its pause is the credential's).
        let token_id = match binding.token_part() {
            Some(part) => {
                let mut d = ring::digest::Context::new(&ring::digest::SHA256);
                d.update(id.as_bytes());
                d.update(b"dpop");
                d.update(part);
                format!("{id}:{}", hex(&d.finish().as_ref()[..16]))
            }
            None => id.clone(),
        };
        // The budget is per token endpoint's host; with discovery the endpoint
        // is not known yet, so the issuer's host stands for it (usually the same).
        let authority = match cfg.issuer.as_deref().filter(|_| cfg.token_url.is_empty()) {
            Some(issuer) => crate::config::parse_url("issuer", issuer)?.authority(),
            None => crate::config::parse_url("token URL", &cfg.token_url)?.authority(),
        };
        let budget = hex(&ring::digest::digest(&ring::digest::SHA256, authority.as_bytes()).as_ref()[..16]);
        let rate = cfg.max_requests_per_second.clamp(0.001, crate::endpoint::MAX_RATE);
        let (limit, window_us) = if rate >= 1.0 { (rate as u64, 1_000_000) } else { (1, (1e6 / rate) as u64) };
        Ok(Fleet {
            link,
            key: sealing_key(cfg, &id)?,
            token_key: format!("{PREFIX}:{token_id}:token"),
            pause_key: format!("{PREFIX}:{id}:pause"),
            lease_key: format!("{PREFIX}:{token_id}:lease"),
            shares_tokens: binding.shares_tokens(),
            budget_key: format!("{PREFIX}:budget:{budget}"),
            limit,
            window_us,
            renew_after: cfg.renew_after,
            from_fleet: AtomicBool::new(false),
            reads: AtomicU64::new(0),
            leads: AtomicU64::new(0),
        })
    }

    pub fn status(&self) -> SharedCacheStatus {
        SharedCacheStatus {
            url: self.link.shown.clone(),
            available: self.link.up.load(Ordering::Acquire),
            token_from_shared_cache: self.from_fleet.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
            requests: self.leads.load(Ordering::Relaxed),
        }
    }

    /// A valid token from the fleet, or from `local` (the file cache or the
    /// request) as the fleet's one requester; `local` alone while Redis fails.
    ///
    /// `held` is the token this process holds, if still valid: while another
    /// process renews, it is kept a little longer rather than waited with.
    pub fn get(
        &self,
        local: &dyn Fn() -> Result<Token, Failed>,
        held: Option<&Token>,
        policy: &Policy,
        deadline: Instant,
    ) -> Result<Token, Failed> {
        match self.shared(local, held, policy, deadline) {
            Ok(r) => r,
            // Redis failed before anything was requested: work alone.
            Err(_) => {
                self.from_fleet.store(false, Ordering::Relaxed);
                local()
            }
        }
    }

    fn shared(
        &self,
        local: &dyn Fn() -> Result<Token, Failed>,
        held: Option<&Token>,
        policy: &Policy,
        deadline: Instant,
    ) -> Result<Result<Token, Failed>, Down> {
        if !self.shares_tokens {
            let (_, pause, _) = self.look()?;
            let usable = held.filter(|t| Instant::now() < t.expires_at).map(copy_token);
            if let Some((e, _, left)) = pause.as_ref().filter(|p| p.2 > 0) {
                let e = e.clone().during_pause(Some(Duration::from_millis(*left as u64)));
                return Ok(Err(Failed { error: e, usable: usable.map(Box::new) }));
            }
            return Ok(self.lead(local, policy, deadline, &nonce(), pause.map(|p| p.1), usable));
        }
        let mut poll = Duration::from_millis(20);
        let mut waited = false;
        loop {
            let (entry, pause, leased) = self.look()?;
            match entry {
                Some(e) if e.fresh => {
                    self.reads.fetch_add(1, Ordering::Relaxed);
                    self.from_fleet.store(true, Ordering::Relaxed);
                    return Ok(Ok(e.token));
                }
                _ => {}
            }
            let usable = entry
                .map(|e| e.token)
                .or_else(|| held.filter(|t| Instant::now() + RECHECK < t.expires_at).map(copy_token));
            if let Some((e, _, left)) = pause.as_ref().filter(|p| p.2 > 0) {
                let e = e.clone().during_pause(Some(Duration::from_millis(*left as u64)));
                return Ok(Err(Failed { error: e, usable: usable.map(Box::new) }));
            }
            // A valid token due for renewal: someone renews it, this process keeps it meanwhile.
            let usable = match usable {
                Some(t) if leased => {
                    let again = (Instant::now() + RECHECK).min(t.expires_at);
                    return Ok(Ok(with_renew_at(t, again)));
                }
                other => other,
            };
            if !leased {
                let nonce = nonce();
                let lease_ms = hold_for(deadline).as_millis() as u64;
                let won: Option<String> = self.link.run(|c| {
                    redis::cmd("SET").arg(&self.lease_key).arg(&nonce).arg("NX").arg("PX").arg(lease_ms).query(c)
                })?;
                if won.is_some() {
                    return Ok(self.lead(local, policy, deadline, &nonce, pause.map(|p| p.1), usable));
                }
                if won.is_none() && usable.is_some() {
                    continue;
                }
            }
            // Another process is requesting: wait for its entry until our deadline.
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Err(Failed::from(Error::new(
                    ErrorKind::Timeout,
                    "timed out waiting for another process's token request (shared cache)",
                ))));
            }
            std::thread::sleep(poll.min(left));
            if waited {
                poll = (poll * 2).min(Duration::from_millis(200));
            }
            waited = true;
        }
    }

    /// Redis's time, the token entry, the pause (error, failures in a row,
    /// ms left) and whether a lease is held, in one round trip.
    #[allow(clippy::type_complexity)]
    fn look(&self) -> Result<(Option<Entry>, Option<(Error, u32, i64)>, bool), Down> {
        let at = Instant::now();
        let ((secs, micros), token, pause, leased): ((i64, i64), Option<Vec<u8>>, Option<Vec<u8>>, bool) =
            self.link.run(|c| {
                redis::pipe()
                    .cmd("TIME")
                    .cmd("GET")
                    .arg(&self.token_key)
                    .cmd("GET")
                    .arg(&self.pause_key)
                    .cmd("EXISTS")
                    .arg(&self.lease_key)
                    .query(c)
            })?;
        let now_ms = secs * 1000 + micros / 1000;
        let entry = token.and_then(|b| self.open_token(&b, now_ms, at));
        let pause = pause.and_then(|b| self.open_pause(&b, now_ms));
        Ok((entry, pause, leased))
    }

    /// Sends the fleet's request, holding the lease `nonce`: waits for a slot
    /// of the fleet's budget, calls `local`, shares the token or the pause.
    /// A Redis failure from here on makes this process work alone, keeping
    /// what it got.
    fn lead(
        &self,
        local: &dyn Fn() -> Result<Token, Failed>,
        policy: &Policy,
        deadline: Instant,
        nonce: &str,
        failures: Option<u32>,
        usable: Option<Token>,
    ) -> Result<Token, Failed> {
        let unlease = || {
            if !self.shares_tokens {
                return;
            }
            let _ = self.link.run(|c| redis::Script::new(UNLEASE).key(&self.lease_key).arg(nonce).invoke::<i64>(c));
        };
        // A slot of the fleet's budget, waited for until the deadline.
        let mut budgeted = false;
        loop {
            let in_flight_us = hold_for(deadline).as_micros() as u64;
            let wait_ms: Result<u64, Down> = self.link.run(|c| {
                redis::Script::new(ACQUIRE)
                    .key(&self.budget_key)
                    .arg(self.window_us)
                    .arg(self.limit)
                    .arg(nonce)
                    .arg(in_flight_us)
                    .invoke(c)
            });
            let wait = match wait_ms {
                Ok(0) => {
                    budgeted = true;
                    break;
                }
                Ok(ms) => Duration::from_millis(ms),
                // Redis failed: the local budget (in the request) still holds.
                Err(_) => break,
            };
            if Instant::now() + wait >= deadline {
                unlease();
                return Err(Failed {
                    error: Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "the fleet's token-request budget for the endpoint ({} per {} ms, shared cache) has \
                             no free slot within the timeout",
                            self.limit,
                            self.window_us / 1000
                        ),
                    )
                    .with_retry_after(Some(wait)),
                    usable: usable.map(Box::new),
                });
            }
            std::thread::sleep(wait);
        }
        self.leads.fetch_add(1, Ordering::Relaxed);
        self.from_fleet.store(false, Ordering::Relaxed);
        let result = local();
        if budgeted {
            let _ = self.link.run(|c| redis::Script::new(RELEASE).key(&self.budget_key).arg(nonce).invoke::<i64>(c));
        }
        let result = match result {
            // The fleet's renewal point, drawn once for this token.
            Ok(t) if !self.shares_tokens => Ok(t),
            Ok(t) => match self.publish(&t) {
                Ok(renew_at) => Ok(with_renew_at(t, renew_at)),
                Err(_) => Ok(t),
            },
            Err(Failed { error, usable: from_local }) => {
                let usable = usable.or(from_local.map(|b| *b));
                // Only the token endpoint's own answers pause the fleet; a
                // failure of this host's network or budget is its own.
                let e = if error.status().is_some() && !error.is_pause() {
                    let n = failures.unwrap_or(0).saturating_add(1);
                    let wait = crate::backoff::delay_after(&error, n, policy);
                    let _ = self.write_pause(&error, n, wait);
                    error.with_retry_after(Some(wait))
                } else {
                    error
                };
                Err(Failed { error: e, usable: usable.map(Box::new) })
            }
        };
        unlease();
        result
    }

    /// Removes the shared token if it is still `token` (an API rejected it),
    /// so that no process reads it back.
    pub fn invalidate(&self, token: &str) {
        let Ok(((secs, micros), Some(sealed))) = self.link.run(|c| {
            redis::pipe().cmd("TIME").cmd("GET").arg(&self.token_key).query::<((i64, i64), Option<Vec<u8>>)>(c)
        }) else {
            return;
        };
        let now_ms = secs * 1000 + micros / 1000;
        if self.open_token(&sealed, now_ms, Instant::now()).is_some_and(|e| e.token.access_token() == token) {
            let _ = self
                .link
                .run(|c| redis::Script::new(UNLEASE).key(&self.token_key).arg(sealed.as_slice()).invoke::<i64>(c));
        }
    }

    fn redis_now_ms(&self) -> Result<(i64, Instant), Down> {
        let at = Instant::now();
        let (secs, micros): (i64, i64) = self.link.run(|c| redis::cmd("TIME").query(c))?;
        Ok((secs * 1000 + micros / 1000, at))
    }

    /// Stores a token this process requested, with a renewal point drawn
    /// for the fleet; returns it with that renewal point.
    fn publish(&self, t: &Token) -> Result<Instant, Down> {
        let (now_ms, at) = self.redis_now_ms()?;
        let ms = |i: Instant| -> i64 {
            if i >= at {
                now_ms + (i - at).as_millis() as i64
            } else {
                now_ms - (at - i).as_millis() as i64
            }
        };
        let issued = ms(t.requested_at);
        let expires = ms(t.expires_at);
        let renew = issued
            + ((expires - issued) as f64 * crate::jitter::uniform(self.renew_after.0, self.renew_after.1)) as i64;
        let ttl = expires - now_ms;
        if ttl <= 0 {
            return Ok(t.renew_at);
        }
        let plain = Zeroizing::new(
            json!({
                "access_token": t.access_token(),
                "token_type": t.token_type(),
                "scope": t.granted_scope(),
                "issued_ms": issued,
                "renew_ms": renew,
                "expires_ms": expires,
            })
            .to_string()
            .into_bytes(),
        );
        let sealed = self.seal(&self.token_key, &plain);
        self.link.run(|c| {
            redis::pipe()
                .cmd("SET")
                .arg(&self.token_key)
                .arg(sealed)
                .arg("PX")
                .arg(ttl)
                .ignore()
                .cmd("DEL")
                .arg(&self.pause_key)
                .ignore()
                .query::<()>(c)
        })?;
        Ok(at_instant(at, now_ms, renew).min(t.expires_at))
    }

    fn write_pause(&self, e: &Error, failures: u32, wait: Duration) -> Result<(), Down> {
        let (now_ms, _) = self.redis_now_ms()?;
        let until = now_ms + wait.as_millis() as i64;
        let mut m = crate::error::record(e);
        m.insert("failures".into(), json!(failures));
        m.insert("until_ms".into(), json!(until));
        let plain = Zeroizing::new(Value::Object(m).to_string().into_bytes());
        let sealed = self.seal(&self.pause_key, &plain);
        let ttl = wait.as_millis() as i64 + PAUSE_MEMORY_MS;
        self.link.run(|c| redis::cmd("SET").arg(&self.pause_key).arg(sealed).arg("PX").arg(ttl).query::<()>(c))?;
        Ok(())
    }

    fn seal(&self, key_name: &str, plain: &[u8]) -> Vec<u8> {
        let n = nonce_bytes();
        let mut buf = Zeroizing::new(plain.to_vec());
        let tag = self
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(n),
                aead::Aad::from(key_name.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM seals any length below 64 GiB");
        let mut out = Vec::with_capacity(1 + n.len() + buf.len() + tag.as_ref().len());
        out.push(SEAL_FORMAT);
        out.extend_from_slice(&n);
        out.extend_from_slice(&buf);
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// The plaintext of a sealed entry, or None (tampered, another credential, another format).
    fn open(&self, key_name: &str, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() > MAX_ENTRY || sealed.len() < 1 + 12 + 16 || sealed[0] != SEAL_FORMAT {
            return None;
        }
        let nonce = aead::Nonce::try_assume_unique_for_key(&sealed[1..13]).ok()?;
        let mut buf = Zeroizing::new(sealed[13..].to_vec());
        let n = self.key.open_in_place(nonce, aead::Aad::from(key_name.as_bytes()), &mut buf).ok()?.len();
        buf.truncate(n);
        Some(buf)
    }

    fn open_token(&self, sealed: &[u8], now_ms: i64, at: Instant) -> Option<Entry> {
        let plain = self.open(&self.token_key, sealed)?;
        let v: Value = serde_json::from_slice(&plain).ok()?;
        let m = v.as_object()?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
        let i = |k: &str| m.get(k).and_then(Value::as_i64);
        let (token, token_type) = (s("access_token")?, s("token_type")?);
        let (issued, renew, expires) = (i("issued_ms")?, i("renew_ms")?, i("expires_ms")?);
        if token.is_empty() || !(issued <= renew && renew <= expires) || now_ms >= expires {
            return None;
        }
        let expires_at = at_instant(at, now_ms, expires);
        let renew_at = at_instant(at, now_ms, renew).min(expires_at);
        let token = Token {
            access_token: Zeroizing::new(token),
            token_type,
            scope: s("scope"),
            requested_scope: None,
            requested_at: at_instant(at, now_ms, issued),
            expires_at,
            renew_at,
            fresh_until_ns: crate::clock::fast_limits_ns(renew_at, expires_at),
            fork_generation: crate::fork::generation(),
            // For display only: this host's clock, whatever its skew.
            expires_at_system: host_now() + Duration::from_millis((expires - now_ms) as u64),
            extra: Map::new(),
        };
        Some(Entry { token, fresh: now_ms < renew })
    }

    fn open_pause(&self, sealed: &[u8], now_ms: i64) -> Option<(Error, u32, i64)> {
        let plain = self.open(&self.pause_key, sealed)?;
        let v: Value = serde_json::from_slice(&plain).ok()?;
        let m = v.as_object()?;
        let failures = m.get("failures").and_then(Value::as_u64).unwrap_or(1).min(u32::MAX as u64) as u32;
        let left = (m.get("until_ms").and_then(Value::as_i64)? - now_ms)
            .min(crate::backoff::MAX_RETRY_AFTER.as_millis() as i64);
        let e = crate::error::from_record(m, "another process, shared cache")?;
        Some((e, failures, left))
    }
}

/// A shift of this host's wall clock as fleet mode sees it, for tests that
/// stand in for hosts with skewed clocks.
static HOST_CLOCK_OFFSET_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Shifts this process's wall clock, as fleet mode sees it, by `ms` (tests only).
#[doc(hidden)]
pub fn set_host_clock_offset_for_tests(ms: i64) {
    HOST_CLOCK_OFFSET_MS.store(ms, Ordering::Relaxed);
}

/// This host's wall clock (shifted by the test offset): for display only;
/// every decision uses Redis's clock.
fn host_now() -> SystemTime {
    let off = HOST_CLOCK_OFFSET_MS.load(Ordering::Relaxed);
    let d = Duration::from_millis(off.unsigned_abs());
    if off >= 0 {
        SystemTime::now() + d
    } else {
        SystemTime::now() - d
    }
}

/// The instant of `ms` (Redis's clock), given that Redis read `now_ms` at `at`.
fn at_instant(at: Instant, now_ms: i64, ms: i64) -> Instant {
    let d = Duration::from_millis(ms.abs_diff(now_ms));
    if ms >= now_ms {
        at.checked_add(d).unwrap_or(at)
    } else {
        at.checked_sub(d).unwrap_or(at)
    }
}

fn with_renew_at(mut t: Token, renew_at: Instant) -> Token {
    t.renew_at = renew_at.min(t.expires_at);
    t.fresh_until_ns = crate::clock::fast_limits_ns(t.renew_at, t.expires_at);
    t
}

/// A copy of a token this process holds.
fn copy_token(t: &Token) -> Token {
    Token {
        access_token: t.access_token.clone(),
        token_type: t.token_type.clone(),
        scope: t.scope.clone(),
        requested_scope: t.requested_scope.clone(),
        requested_at: t.requested_at,
        expires_at: t.expires_at,
        renew_at: t.renew_at,
        fresh_until_ns: t.fresh_until_ns,
        fork_generation: t.fork_generation,
        expires_at_system: t.expires_at_system,
        extra: t.extra.clone(),
    }
}

fn nonce_bytes() -> [u8; 12] {
    use ring::rand::SecureRandom as _;
    let mut n = [0u8; 12];
    ring::rand::SystemRandom::new().fill(&mut n).expect("the system's random source");
    n
}

fn nonce() -> String {
    hex(&nonce_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_key_never_depends_on_the_secret() {
        let a = Config::new("https://h/t", "id", "one");
        let b = Config::new("https://h/t", "id", "two");
        let id = |c: &Config| entry_id(c, &Binding::default());
        assert_eq!(id(&a), id(&b));
        assert_ne!(id(&a), id(&a.clone().scope("x")));
        assert_ne!(id(&a), id(&a.clone().audience("x")));
        assert_ne!(id(&a), id(&a.clone().resource("x")));
        assert_ne!(id(&a), id(&a.clone().auth_method(crate::AuthMethod::ClientSecretPost)));
        // A DPoP-bound token is keyed on its key (the thumbprint); its pause is the credential's.
        let fleet = |b: &Binding| Fleet::new(&a.clone().shared_cache_url("redis://127.0.0.1:1"), b).unwrap();
        let dpop = Binding::new(&a.clone().dpop(true).dpop_key("/k.pem"), Some("jkt-of-a-dpop-key")).unwrap();
        let (plain, bound) = (fleet(&Binding::default()), fleet(&dpop));
        assert_ne!(plain.token_key, bound.token_key);
        assert_ne!(plain.lease_key, bound.lease_key);
        assert_eq!(plain.pause_key, bound.pause_key);
    }

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("oauth2cc-fleet-unit-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn key_based_entries_open_only_with_the_same_key() {
        let one = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let two = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let tls_s = |key: &str, name: &str, secret: &str| {
            Config::new("https://h/t", "id", secret)
                .auth_method(crate::AuthMethod::TlsClientAuth)
                .client_cert(temp("cert.pem", b"unused here"))
                .client_key(temp(name, key.as_bytes()))
                .shared_cache_url("redis://127.0.0.1:1")
        };
        let tls = |key: &str, name: &str| tls_s(key, name, "");
        let fleet = |c: &Config| Fleet::new(c, &Binding::default()).unwrap();
        let a = fleet(&tls(&one, "one.key"));
        let sealed = a.seal(&a.token_key, b"entry");
        assert_eq!(a.open(&a.token_key, &sealed).as_deref().map(|v| v.as_slice()), Some(b"entry".as_slice()));
        // Another key cannot open it (nor, with AES-GCM, forge one).
        let b = fleet(&tls(&two, "two.key"));
        assert_eq!(a.token_key, b.token_key);
        assert!(b.open(&b.token_key, &sealed).is_none());
        // The same key in another PEM layout (CRLF line ends) opens it.
        let c = fleet(&tls(&one.replace('\n', "\r\n"), "one-crlf.key"));
        assert!(c.open(&c.token_key, &sealed).is_some());
        // The secret counts only for a method that uses it.
        let with_secret = Config::new("https://h/t", "id", "leftover");
        let m = |c: &Config| credential_material(c).unwrap();
        assert_eq!(*m(&tls(&one, "one.key")), *m(&tls_s(&one, "one.key", "leftover")));
        assert!(!m(&with_secret).is_empty());
        // A private_key_jwt key counts, from a file or as PEM text.
        let pk = |k: KeySource| {
            let mut c = Config::new("https://h/t", "id", "");
            c.private_key = Some(k);
            m(&c)
        };
        assert_eq!(*pk(KeySource::Pem(one.as_str().into())), *pk(KeySource::File(temp("pk.pem", one.as_bytes()))));
        assert_ne!(*pk(KeySource::Pem(one.as_str().into())), *pk(KeySource::Pem(two.as_str().into())));
        // Nothing to derive from: refused.
        let none = Config::new("https://h/t", "id", "")
            .auth_method(crate::AuthMethod::SelfSignedTlsClientAuth)
            .shared_cache_url("redis://127.0.0.1:1");
        assert!(Fleet::new(&none, &Binding::default()).is_err());
    }

    #[test]
    fn urls_are_checked() {
        let c = |u: &str| Config::new("https://h/t", "id", "s").shared_cache_url(u).validate().map(|_| ());
        assert!(c("redis://127.0.0.1:6379").is_ok());
        assert!(c("rediss://user:pw@cache.example:6380/2").is_ok());
        assert!(c("redis+unix:///run/redis.sock").is_ok());
        for bad in ["http://h", "redis//h", "memcached://h:1"] {
            let e = c(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        let e = c("redis://cache.bücher.example:6379").unwrap_err();
        assert!(e.to_string().contains("punycode"), "{e}");
        assert!(c("redis://cache.xn--bcher-kva.example:6379").is_ok());
        assert!(c("redis://user:pässwörd@cache.example:6379").is_ok(), "a password may be Unicode");
        let e = c("https://u:hunter2@h").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
