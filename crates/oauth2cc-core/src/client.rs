//! The client: a configuration, its HTTP transport and its token cache.

use crate::api_response::{DpopAnswer, ResponseAction};
use crate::backoff::Policy;
use crate::binding::Binding;
use crate::cache::{Cache, Failed};
use crate::config::{AuthMethod, Config};
use crate::deferred::say;
use crate::discovery::{Discovery, Metadata};
use crate::dpop::Dpop;
use crate::error::Error;
use crate::file_cache::FileCache;
use crate::fleet::{Fleet, SharedCacheStatus};
use crate::secret::Secret;
use crate::stats::Stats;
use crate::token::Token;
use crate::transport::Transport;
use crate::www_authenticate::{classify_unauthorized, Unauthorized};
use arc_swap::{ArcSwap, ArcSwapOption};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// Gets and caches access tokens for one client. Cheap to clone (clones share
/// the cache) and safe to use from any number of threads at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Replaced as a whole when the secret changes.
    prepared: ArcSwap<Prepared>,
    cache: Cache,
    /// The DPoP key and nonces: made once, kept when the secret changes
    /// (the cached token stays bound to the key).
    dpop: Option<Arc<Dpop>>,
}

struct Prepared {
    config: Config,
    route: Route,
    files: Option<FileCache>,
    /// Fleet mode: the shared cache in Redis (see `fleet.rs`).
    fleet: Option<Fleet>,
    /// The client's DPoP key (the same `Arc` as `Inner::dpop`), for transports made after discovery.
    dpop: Option<Arc<Dpop>>,
    /// The certificate and key files as they were when loaded (see `Client::current`).
    cert_stamp: Option<crate::client_cert::FilesStamp>,
    /// Files seen changed but not loadable (mid-rotation, broken): not tried again until they change again.
    refused_stamp: parking_lot::Mutex<Option<crate::client_cert::FilesStamp>>,
}

/// How token requests reach the token endpoint.
enum Route {
    /// The configured token URL.
    Fixed(Transport),
    /// The token endpoint the issuer's metadata names, found by the first
    /// token request; the transport is rebuilt when the document changes.
    Discovered { discovery: Discovery, current: ArcSwapOption<Discovered> },
}

struct Discovered {
    meta: Arc<Metadata>,
    transport: Transport,
}

impl Prepared {
    fn new(config: Config, dpop: Option<Arc<Dpop>>) -> Result<Prepared, Error> {
        // Before the files are read: a change while they are read shows next time.
        let cert_stamp = crate::client_cert::stamp(&config);
        let jkt = dpop.as_ref().map(|d| d.thumbprint().to_string());
        let route = match config.issuer.as_deref().filter(|_| config.token_url.is_empty()) {
            Some(issuer) => {
                config.validate()?;
                Route::Discovered { discovery: Discovery::new(&config, issuer)?, current: ArcSwapOption::empty() }
            }
            None => Route::Fixed(Transport::new(&config, dpop.clone())?),
        };
        // The key is loaded and checked now, also when the token endpoint is
        // discovered later; its thumbprint tells one key's cache files from another's.
        let key_thumbprint = match &route {
            Route::Fixed(t) => t.key_thumbprint(),
            Route::Discovered { .. } => crate::assertion::preflight(&config)?,
        };
        // The key tokens are bound to: a bound token is shared only with its holders.
        let binding = Binding::new(&config, jkt.as_deref())?;
        let files = match &config.cache_dir {
            Some(dir) => Some(FileCache::new(dir, &config, &binding, key_thumbprint.as_deref())?),
            None => None,
        };
        let fleet = match &config.shared_cache_url {
            Some(_) => Some(Fleet::new(&config, &binding)?),
            None => None,
        };
        Ok(Prepared { config, route, files, fleet, dpop, cert_stamp, refused_stamp: parking_lot::Mutex::new(None) })
    }

    /// Runs `f` with the transport to the token endpoint, discovering it
    /// first (within `deadline`) when the configuration names an issuer.
    fn with_transport<R>(&self, deadline: Instant, f: impl FnOnce(&Transport) -> Result<R, Error>) -> Result<R, Error> {
        let (discovery, current) = match &self.route {
            Route::Fixed(t) => return f(t),
            Route::Discovered { discovery, current } => (discovery, current),
        };
        let meta = discovery.metadata(deadline)?;
        let known = current.load_full().filter(|d| Arc::ptr_eq(&d.meta, &meta));
        let route = match known {
            Some(d) => d,
            None => {
                let (endpoint, method) = crate::discovery::route(&self.config, &meta)?;
                let mut cfg = self.config.clone();
                cfg.token_url = endpoint;
                cfg.issuer = None;
                cfg.auth_method = method;
                // Only the picked method's settings (a key the method does not use is refused).
                if method != AuthMethod::PrivateKeyJwt {
                    cfg.private_key = None;
                }
                if !matches!(method, AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt) {
                    (cfg.signing_alg, cfg.key_id, cfg.assertion_audience) = (None, None, None);
                }
                let d = Arc::new(Discovered { meta, transport: Transport::new(&cfg, self.dpop.clone())? });
                current.store(Some(d.clone()));
                d
            }
        };
        f(&route.transport)
    }

    /// The client certificate the token endpoint's transport presents (the
    /// same one goes to APIs, for certificate-bound tokens).
    fn client_cert(&self) -> Option<ureq::tls::ClientCert> {
        match &self.route {
            Route::Fixed(t) => t.client_cert().cloned(),
            // Before discovery (a token from the file cache), read from the files.
            Route::Discovered { current, .. } => match current.load().as_ref() {
                Some(d) => d.transport.client_cert().cloned(),
                None => crate::client_cert::from_config(&self.config).ok().flatten(),
            },
        }
    }

    /// The token endpoint in use: the token URL, or the discovered one (None before discovery).
    fn token_endpoint(&self) -> Option<String> {
        match &self.route {
            Route::Fixed(_) => Some(self.config.token_url.clone()),
            Route::Discovered { current, .. } => current.load().as_ref().map(|d| d.transport.url().to_string()),
        }
    }
}

impl Client {
    /// Checks the configuration and prepares the HTTP client. Sends nothing:
    /// the first token is requested by the first call that needs one.
    pub fn new(config: Config) -> Result<Client, Error> {
        let policy = Policy { cool_down: config.credential_cool_down, renew_after: config.renew_after };
        let dpop = match config.dpop || config.dpop_key.is_some() {
            true => Some(Arc::new(Dpop::new(config.dpop_key.as_deref())?)),
            false => None,
        };
        let prepared = Prepared::new(config, dpop.clone())?;
        crate::fork::install();
        Ok(Client {
            inner: Arc::new(Inner { prepared: ArcSwap::from_pointee(prepared), cache: Cache::new(policy), dpop }),
        })
    }

    /// A valid access token, from the cache when possible.
    ///
    /// Blocks only when there is no valid token (first call, expiry, after
    /// [`Client::invalidate`]) or when this caller is the one renewing it,
    /// and then for at most the configured [`Config::timeout`] from the call
    /// (plus the time to parse an answer): that one deadline covers waiting
    /// for another thread's request (or, with a cache directory, another
    /// process's), for a slot in the request budget, and the request. A
    /// budget slot that cannot come in time fails at once with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    ///
    /// A token is never handed out at or after its expiry.
    pub fn token(&self) -> Result<Arc<Token>, Error> {
        match self.inner.cache.fresh() {
            Some(t) => Ok(t),
            None => self.slow_token(),
        }
    }

    /// Calls `f` with a valid token without taking a reference to it: the
    /// cheapest way to copy the token out (used by the C and Python bindings).
    #[inline]
    pub fn with_token<R>(&self, f: impl FnOnce(&Token) -> R) -> Result<R, Error> {
        let mut f = Some(f);
        if let Some(r) = self.inner.cache.with_fresh(|t| (f.take().unwrap())(t)) {
            return Ok(r);
        }
        let t = self.slow_token()?;
        Ok((f.take().unwrap())(&t))
    }

    /// Calls `f` with the cached token if it is not yet due for renewal; never
    /// blocks and never sends a request (None otherwise). For bindings that
    /// must not block (an event loop) or must release a lock before blocking.
    #[inline]
    pub fn try_cached<R>(&self, f: impl FnOnce(&Token) -> R) -> Option<R> {
        self.inner.cache.with_fresh(f)
    }

    /// The cached token if it is not yet due for renewal (see
    /// [`Token::is_fresh`]: the fork check included); never blocks and never
    /// sends a request. [`Client::try_cached`] without taking a reference.
    pub fn fresh_token(&self) -> Option<Arc<Token>> {
        self.inner.cache.fresh()
    }

    #[cold]
    /// The prepared client for a token request: reloaded first when the
    /// client certificate or key file changed on disk (a rotation), so that
    /// the new token is bound to the certificate that whatever reads the files
    /// (libcurl, requests) presents to APIs. Files that do not load (a
    /// rotation half done) leave the loaded certificate in use.
    fn current(&self) -> Arc<Prepared> {
        let prepared = self.inner.prepared.load_full();
        let Some(loaded) = &prepared.cert_stamp else { return prepared };
        let now = crate::client_cert::stamp(&prepared.config);
        if now.as_ref() == Some(loaded) || *prepared.refused_stamp.lock() == now {
            return prepared;
        }
        match Prepared::new(prepared.config.clone(), self.inner.dpop.clone()) {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                self.inner.prepared.store(fresh.clone());
                say!(log::Level::Info, "oauth2cc: client certificate files changed on disk: reloaded");
                fresh
            }
            Err(e) => {
                *prepared.refused_stamp.lock() = now;
                say!(
                    log::Level::Warn,
                    "oauth2cc: client certificate files changed on disk but do not load ({}); still using the loaded certificate",
                    e.message()
                );
                prepared
            }
        }
    }

    fn slow_token(&self) -> Result<Arc<Token>, Error> {
        let inner = &*self.inner;
        let prepared = self.current();
        crate::panic::test_hook(&prepared.config.client_id);
        let counters = &inner.cache.counters;
        // One deadline for the whole call: the wait for another thread's or
        // process's request, for a budget slot, and the request itself.
        let deadline = Instant::now() + prepared.config.timeout;
        let request = || {
            prepared.with_transport(deadline, |t| {
                t.request_token(deadline, || {
                    counters.token_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                })
            })
        };
        let local = || match &prepared.files {
            Some(files) => files.get(&request, &inner.cache.policy, deadline),
            None => request().map_err(Failed::from),
        };
        // Fleet mode: asked only here, on the slow path; the local fetch when Redis fails.
        let fetch = || match &prepared.fleet {
            Some(fleet) => fleet.get(&local, inner.cache.peek().as_deref(), &inner.cache.policy, deadline),
            None => local(),
        };
        inner.cache.get(&fetch, deadline)
    }

    /// One token request, bypassing the cache and the request budget: for
    /// benchmarks of the round trip only. Do not use it to get tokens.
    #[doc(hidden)]
    pub fn bench_round_trip(&self) -> Result<Token, Error> {
        let prepared = self.inner.prepared.load();
        let deadline = Instant::now() + prepared.config.timeout;
        prepared.with_transport(deadline, |t| t.send(deadline))
    }

    /// Signs one client assertion, as a token request would, and returns its
    /// length (0 for a method without one): for benchmarks only.
    #[doc(hidden)]
    pub fn bench_client_assertion(&self) -> Result<usize, Error> {
        let prepared = self.inner.prepared.load();
        let deadline = Instant::now() + prepared.config.timeout;
        prepared.with_transport(deadline, |t| t.sign_assertion()).map(|a| a.map_or(0, |a| a.len()))
    }

    /// Replaces the client secret (after a rotation). Ends a pause caused by
    /// rejected credentials; the cached token stays in use until renewal.
    pub fn set_secret(&self, secret: impl Into<Secret>) -> Result<(), Error> {
        let mut config = self.inner.prepared.load().config.clone();
        config.client_secret = secret.into();
        self.inner.prepared.store(Arc::new(Prepared::new(config, self.inner.dpop.clone())?));
        self.inner.cache.clear_pause();
        say!(
            log::Level::Info,
            "oauth2cc: client secret replaced for client {:?}",
            self.inner.prepared.load().config.client_id
        );
        Ok(())
    }

    /// Fleet mode's state (None without a shared cache URL): the URL without
    /// user information, whether Redis answers, and whether the current
    /// token was read from the shared cache.
    pub fn shared_cache_status(&self) -> Option<SharedCacheStatus> {
        self.inner.prepared.load().fleet.as_ref().map(Fleet::status)
    }

    /// Counters and state, for monitoring.
    pub fn stats(&self) -> Stats {
        self.inner.cache.stats()
    }

    /// Drops the cached token if it is still `access_token` (for example after
    /// an API answered 401 `invalid_token`). Returns whether it was dropped.
    /// Many threads reporting the same old token cause one renewal, not many.
    pub fn invalidate(&self, access_token: &str) -> bool {
        if let Some(files) = &self.inner.prepared.load().files {
            files.invalidate(access_token);
        }
        if let Some(fleet) = &self.inner.prepared.load().fleet {
            fleet.invalidate(access_token);
        }
        self.inner.cache.invalidate(access_token)
    }

    /// What an API's answer means for this client: the one rule every wrapper
    /// asks (RFC 6750 section 3). `http_status` is the API's status,
    /// `used_token` the token the call sent, `www_authenticate` every
    /// `WWW-Authenticate` header field of the answer (empty when there was none).
    ///
    /// - `Ok(Proceed)`: nothing to do; the answer is the caller's (any status
    ///   but 401/403, and a 403 without a Bearer error).
    /// - `Ok(Retry)`: `invalid_token`; `used_token` was dropped from the cache
    ///   if still current. Send the request once more with [`Client::token`];
    ///   a second `Retry` means the API rejects fresh tokens too: give up.
    /// - `Err(e)`: a 401/403 a new token cannot fix, with `e.kind()` one of
    ///   [`ErrorKind::ApiInsufficientScope`](crate::ErrorKind::ApiInsufficientScope)
    ///   ([`Error::scope`] names the scope), `ApiInvalidRequest`, `ApiRejected`
    ///   (another `error`; [`Error::oauth`] has it) or `ApiUnauthorized` (no
    ///   OAuth detail: the cause is likely elsewhere). The cache is left alone.
    ///   An `http_status` outside 100..=999 is an
    ///   [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) error.
    pub fn handle_response(
        &self,
        http_status: u16,
        used_token: &str,
        www_authenticate: &[&str],
    ) -> Result<ResponseAction, Error> {
        if !(100..=999).contains(&http_status) {
            return Err(Error::config(format!("http_status {http_status} is not an HTTP status (100..=999)")));
        }
        // An API may quote the token back (a part of it is still a part).
        self.respond(http_status, used_token, www_authenticate, None)
    }

    /// [`Client::handle_response`] for a call to `url` whose answer carried
    /// `dpop_nonce` (its `DPoP-Nonce` header, None when absent). A DPoP
    /// client remembers the nonce for `url`'s origin whatever the status, and
    /// reads `DPoP` challenges too: `use_dpop_nonce` with a nonce is
    /// [`ResponseAction::RetryWithNonce`] (send once more with the same token
    /// and a new [`Client::dpop_proof`]; the cache is left alone), without one
    /// an [`ErrorKind::ApiRejected`](crate::ErrorKind::ApiRejected) error.
    /// For a Bearer client this is [`Client::handle_response`].
    pub fn handle_dpop_response(
        &self,
        url: &str,
        http_status: u16,
        used_token: &str,
        www_authenticate: &[&str],
        dpop_nonce: Option<&str>,
    ) -> Result<ResponseAction, Error> {
        // Only a nonce the next proof will carry is a reason to resend.
        let kept = match (&self.inner.dpop, dpop_nonce) {
            (Some(d), Some(n)) => d.note_nonce(url, n).then_some(n),
            _ => None,
        };
        self.respond(http_status, used_token, www_authenticate, Some(DpopAnswer { nonce: kept }))
    }

    fn respond(
        &self,
        http_status: u16,
        used_token: &str,
        www_authenticate: &[&str],
        dpop: Option<DpopAnswer<'_>>,
    ) -> Result<ResponseAction, Error> {
        if !(100..=999).contains(&http_status) {
            return Err(Error::config(format!("http_status {http_status} is not an HTTP status (100..=999)")));
        }
        // A DPoP client reads DPoP challenges, whichever entry point it came through.
        let dpop = match (&self.inner.dpop, dpop) {
            (None, _) => None,
            (Some(_), given) => Some(given.unwrap_or_default()),
        };
        // An API may quote the token back (a part of it is still a part).
        let action =
            crate::api_response::decide(http_status, www_authenticate, dpop).map_err(|e| e.redacted(used_token, 16))?;
        if action == ResponseAction::Retry {
            self.invalidate(used_token);
        }
        Ok(action)
    }

    /// Whether this client binds its tokens with DPoP ([`Config::dpop`](crate::Config::dpop)).
    pub fn is_dpop(&self) -> bool {
        self.inner.dpop.is_some()
    }

    /// A DPoP proof (RFC 9449) for an API call: `method` (`GET`, `POST`, ...)
    /// on `url` (its query and fragment are left out of `htu`), with `ath`
    /// for `access_token`, `iat` now, a fresh random `jti`, and the nonce
    /// last given by `url`'s origin. Send it as the `DPoP` header along with
    /// `Authorization: DPoP <access_token>`; make a new one for every request
    /// (a resend included). A client without DPoP, a bad method or a URL that
    /// is not absolute http(s) is an [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) error.
    pub fn dpop_proof(&self, method: &str, url: &str, access_token: Option<&str>) -> Result<String, Error> {
        let Some(d) = &self.inner.dpop else {
            return Err(Error::config("DPoP is not enabled for this client (set dpop)"));
        };
        Ok(d.proof(method, url, access_token)?.0)
    }

    /// The RFC 7638 thumbprint of this client's DPoP key (a bound token's
    /// `cnf.jkt`), None without DPoP.
    pub fn dpop_thumbprint(&self) -> Option<&str> {
        self.inner.dpop.as_deref().map(Dpop::thumbprint)
    }

    /// Decides what an API's 401 (or 403) means, given the token that was sent
    /// and the response's `WWW-Authenticate` value (None if absent; join several
    /// fields with ", "). For [`Unauthorized::InvalidToken`] the token is
    /// dropped from the cache if still current: retry the call once with
    /// [`Client::token`]. Other outcomes leave the cache alone.
    ///
    /// Deprecated: use [`Client::handle_response`], which also weighs the HTTP
    /// status, takes several header fields and reports in [`Error`].
    pub fn handle_unauthorized(&self, used_token: &str, www_authenticate: Option<&str>) -> Unauthorized {
        let outcome = classify_unauthorized(www_authenticate);
        if outcome.should_retry() {
            self.invalidate(used_token);
        }
        outcome
    }

    /// Calls an API with `access_token` (from [`Client::token`]) as the
    /// Bearer token, with this client's trust settings (system store and CA
    /// file), proxy (loopback and `NO_PROXY` hosts reached directly) and
    /// timeouts; `https://` only, or `http://` to loopback unless insecure
    /// http is allowed ([`Config::check_api_url`]). Any status is an answer;
    /// the body is read up to [`crate::MAX_API_BODY_BYTES`]. Failures have the
    /// token requests' kinds (network, TLS, timeout, ...). What a 401/403
    /// means is the caller's next step (see [`Client::handle_unauthorized`]).
    pub fn call_api(&self, req: &crate::ApiRequest, access_token: &str) -> Result<crate::ApiResponse, Error> {
        let prepared = self.inner.prepared.load();
        crate::transport::call_api(
            &prepared.config,
            prepared.client_cert().as_ref(),
            req,
            access_token,
            self.inner.dpop.as_deref(),
        )
    }

    /// The cached token, even if expired, without any request.
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.inner.cache.peek()
    }

    /// The token endpoint's URL: the configured token URL, or with an issuer
    /// the one its metadata names (None until the first token request
    /// fetched it; see [`Config::issuer`]).
    pub fn token_endpoint(&self) -> Option<String> {
        self.inner.prepared.load().token_endpoint()
    }

    /// The configuration in use (a snapshot; [`Client::set_secret`] replaces it).
    pub fn config(&self) -> Config {
        self.inner.prepared.load().config.clone()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.inner.prepared.load();
        f.debug_struct("Client")
            .field("token_url", &crate::config::redact_url(&p.config.token_url))
            .field("client_id", &p.config.client_id)
            .field("auth_method", &p.config.auth_method)
            .field("token", &self.inner.cache.peek())
            .finish()
    }
}
