//! A local IAM simulator: a Keycloak-shaped token endpoint, a protected API,
//! statistics and fault injection. Every oauth2cc test suite and `make demo`
//! run against it; it is written from the Keycloak and RFC 6749/6750 texts,
//! independently of the client's code (its own form decoding, its own JSON).
//!
//! Modules, by job: `config` (what it is started with), `token_endpoint`,
//! `discovery` (the realm's metadata documents),
//! `api` (the protected API), `stats`, `faults` (fault injection), `routes`
//! (the URL table and `/sim/*` controls), `state` (what they share), `http`
//! and `tls` (the server). This file holds only the public `Sim` type.

mod api;
mod assertion;
mod config;
mod discovery;
mod dpop;
mod faults;
mod http;
mod mtls;
mod routes;
mod state;
mod stats;
mod tls;
mod token_endpoint;

pub use config::{AuthMethod, BasicDecoding, ClientSpec, SimConfig};
pub use dpop::DpopSwitches;
pub use faults::Fault;
pub use stats::Stats;

use http::Request;
use parking_lot::Mutex;
use state::State;
use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A running simulator. Dropping it stops accepting connections.
pub struct Sim {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    ca_pem: Option<String>,
    client_identity: Option<(String, String)>,
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
            discovery: Mutex::new(Default::default()),
            issued: Mutex::new(HashMap::new()),
            recent: Mutex::new(HashMap::new()),
            arrivals: Mutex::new(Vec::new()),
            failure_rate: Mutex::new(0.0),
            seen_jti: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(1),
            rng: Mutex::new(seed | 1),
            dpop: Mutex::new(Default::default()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let st = state.clone();
        let handler: http::Handler = Arc::new(move |req: &Request| routes::route(&st, req));
        let stop2 = stop.clone();
        let server_config = tls.as_ref().map(|t| t.config.clone());
        std::thread::spawn(move || http::serve(listener, handler, stop2, server_config));
        let (ca_pem, client_identity) = tls.map(|t| (t.ca_pem, t.client_identity)).unzip();
        Ok(Sim { addr, state, stop, ca_pem, client_identity })
    }

    /// The CA that signed the HTTPS certificate, as PEM (None for plain HTTP).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// For mutual TLS tests (HTTPS only): a client certificate from the
    /// simulator's CA and its PKCS#8 key, as PEM. The HTTPS simulator asks
    /// for a client certificate without requiring one; a token requested with
    /// one is bound to it and the API refuses it without that certificate.
    pub fn client_identity_pem(&self) -> Option<(&str, &str)> {
        self.client_identity.as_ref().map(|(c, k)| (c.as_str(), k.as_str()))
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

    /// The realm's issuer, as its metadata publishes it (Keycloak's
    /// `http://HOST:PORT/realms/REALM`, without the legacy `/auth` prefix).
    pub fn issuer(&self) -> String {
        format!("{}/realms/{}", self.base_url(), self.state.cfg.realm)
    }

    /// Applies `fault` to the next `count` metadata requests (either path).
    pub fn push_discovery_fault(&self, fault: Fault, count: usize) {
        self.push_discovery_fault_delayed(fault, Duration::ZERO, count);
    }

    /// Like [`Sim::push_discovery_fault`], answering only after `delay`.
    pub fn push_discovery_fault_delayed(&self, fault: Fault, delay: Duration, count: usize) {
        let mut d = self.state.discovery.lock();
        for _ in 0..count {
            d.faults.push_back((delay, fault.clone()));
        }
    }

    /// Replaces these members of the published metadata (`null` removes one),
    /// e.g. `{"issuer": "https://elsewhere"}` or `{"token_endpoint_auth_methods_supported": [...]}`.
    pub fn set_discovery_members(&self, members: serde_json::Value) {
        if let serde_json::Value::Object(m) = members {
            self.state.discovery.lock().members.extend(m);
        }
    }

    /// Whether the OpenID Connect document is served (false: 404 there, as
    /// an OAuth-only server; the RFC 8414 document is still served).
    pub fn serve_openid_configuration(&self, yes: bool) {
        self.state.discovery.lock().no_openid_configuration = !yes;
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

    /// Sets the DPoP switches (nonce required, rotated now or on every
    /// answer); returns the nonce now current.
    pub fn set_dpop(&self, switches: DpopSwitches) -> String {
        dpop::set(&self.state, switches)
    }

    /// The `cnf.jkt` (key thumbprint) a token is bound to, if it is DPoP-bound.
    pub fn token_jkt(&self, token: &str) -> Option<String> {
        self.state.issued.lock().get(token).and_then(|t| t.jkt.clone())
    }

    /// Adds or replaces a client at run time.
    pub fn upsert_client(&self, c: ClientSpec) {
        self.state.clients.lock().insert(c.id.clone(), c);
    }

    /// Checks a token as the protected API would: Ok(client id) or the 401/403 answer.
    pub fn check_token(&self, token: &str) -> Result<String, u16> {
        match api::validate(&self.state, token, None) {
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
