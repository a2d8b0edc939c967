//! Client configuration and its validation.

use crate::error::Error;
use crate::secret::Secret;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How the client authenticates at the token endpoint. Always explicit:
/// oauth2cc never tries one method and then another, since every failed
/// attempt counts against the caller's IP at the IAM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// HTTP Basic with `base64(urlencode(id) ":" urlencode(secret))`, as
    /// RFC 6749 §2.3.1 requires. The default.
    #[default]
    ClientSecretBasic,
    /// HTTP Basic with `base64(id ":" secret)`, as older Keycloak releases and
    /// some other servers expect. Identical to the above when id and secret
    /// hold only letters, digits and `*-._`.
    ClientSecretBasicRaw,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A JWT signed with HMAC under the client secret (`client_secret_jwt`,
    /// RFC 7523 with RFC 7521 §4.2).
    ClientSecretJwt,
    /// A JWT signed with the client's private key (`private_key_jwt`).
    PrivateKeyJwt,
    /// A client certificate issued by a CA the server trusts
    /// (`tls_client_auth`, RFC 8705 §2.1).
    TlsClientAuth,
    /// A self-signed client certificate registered with the server
    /// (`self_signed_tls_client_auth`, RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretBasicRaw => "client_secret_basic_raw",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Every method, in the order of the C `OAUTH_AUTH_*` values.
    pub const ALL: [AuthMethod; 7] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretBasicRaw,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretJwt,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
    ];

    /// Whether the client authenticates with its TLS certificate (RFC 8705).
    pub fn uses_client_certificate(self) -> bool {
        matches!(self, AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth)
    }

    /// Whether the method sends (or signs with) the client secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretBasicRaw
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt
        )
    }
}

impl FromStr for AuthMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<AuthMethod, Error> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
            Error::config(format!(
                "unknown auth method {:?} (expected one of {})",
                crate::error::sanitize(s, 40),
                names.join(", ")
            ))
        })
    }
}

/// Where a private key comes from: a PEM file, or PEM text given directly.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Pem(Secret),
}

impl KeySource {
    /// PEM text when `s` holds a PEM header, else a file path: how the
    /// command line, the environment and Python read one string.
    pub fn from_path_or_pem(s: &str) -> KeySource {
        if s.contains("-----BEGIN") {
            KeySource::Pem(Secret::new(s))
        } else {
            KeySource::File(PathBuf::from(s))
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(p) => f.debug_tuple("File").field(p).finish(),
            KeySource::Pem(_) => f.write_str("Pem([redacted])"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProxySetting {
    /// `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` (and lower case); see `proxy.rs` for `NO_PROXY`.
    FromEnv,
    Disabled,
    Url(Secret),
}

/// Everything a [`Client`](crate::Client) needs. Built with [`Config::new`]
/// and the chained setters; checked by `Client::new`.
#[derive(Clone)]
pub struct Config {
    pub(crate) token_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) auth_method: AuthMethod,
    pub(crate) scope: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) extra_params: Vec<(String, String)>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) renew_after: (f64, f64),
    pub(crate) default_lifetime: Duration,
    pub(crate) allow_insecure_http: bool,
    pub(crate) proxy: ProxySetting,
    pub(crate) max_requests_per_second: f64,
    pub(crate) credential_cool_down: Duration,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) private_key: Option<KeySource>,
    pub(crate) signing_alg: Option<String>,
    pub(crate) key_id: Option<String>,
    pub(crate) assertion_audience: Option<String>,
    pub(crate) client_cert: Option<PathBuf>,
    pub(crate) client_key: Option<PathBuf>,
    pub(crate) dpop: bool,
    pub(crate) dpop_key: Option<PathBuf>,
    pub(crate) issuer: Option<String>,
    pub(crate) shared_cache_url: Option<Secret>,
    pub(crate) shared_cache_password_file: Option<PathBuf>,
    pub(crate) shared_cache_timeout: Duration,
    /// Whether [`Config::auth_method`] was called: with discovery, an
    /// unchosen method is picked from what the server supports.
    pub(crate) auth_method_chosen: bool,
    /// How long a discovery document is used before a token request fetches it again.
    pub(crate) discovery_max_age: Duration,
}

/// Defaults, as documented in the C header (include/oauth2cc.h) and README.md.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
pub(crate) const DEFAULT_RENEW_AFTER: (f64, f64) = (0.8, 0.9);
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
pub(crate) const DEFAULT_SHARED_CACHE_TIMEOUT: Duration = Duration::from_millis(50);

/// Form parameters that oauth2cc sets itself and an extra parameter may not override.
const RESERVED_PARAMS: &[&str] = &["grant_type", "client_id", "client_secret", "scope", "audience", "resource"];

impl Config {
    /// A configuration with every default: `client_secret_basic`, connect
    /// timeout 5 s, whole request 15 s, renewal between 80 % and 90 % of the
    /// lifetime, 60 s assumed when the server gives no lifetime, proxy from the
    /// environment, `http://` allowed only to loopback addresses.
    pub fn new(token_url: impl Into<String>, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Config {
        Config {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth_method: AuthMethod::default(),
            scope: None,
            audience: None,
            resource: None,
            extra_params: Vec::new(),
            ca_file: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            renew_after: DEFAULT_RENEW_AFTER,
            default_lifetime: DEFAULT_LIFETIME,
            allow_insecure_http: false,
            proxy: ProxySetting::FromEnv,
            max_requests_per_second: crate::endpoint::DEFAULT_RATE,
            credential_cool_down: crate::backoff::DEFAULT_COOL_DOWN,
            cache_dir: None,
            private_key: None,
            signing_alg: None,
            key_id: None,
            assertion_audience: None,
            client_cert: None,
            client_key: None,
            dpop: false,
            dpop_key: None,
            issuer: None,
            shared_cache_url: None,
            shared_cache_password_file: None,
            shared_cache_timeout: DEFAULT_SHARED_CACHE_TIMEOUT,
            auth_method_chosen: false,
            discovery_max_age: crate::discovery::DEFAULT_MAX_AGE,
        }
    }

    /// The client authentication method. Without this call the method is
    /// `client_secret_basic`, or, with an [issuer](Config::issuer), one the
    /// server's metadata lists that this configuration can do.
    pub fn auth_method(mut self, m: AuthMethod) -> Config {
        self.auth_method = m;
        self.auth_method_chosen = true;
        self
    }

    /// Finds the token endpoint through the issuer's metadata instead of a
    /// token URL (pass `""` as the token URL to [`Config::new`]): OpenID
    /// Connect Discovery (`<issuer>/.well-known/openid-configuration`), or on
    /// a 404 RFC 8414 (`<origin>/.well-known/oauth-authorization-server<path>`).
    /// The published `issuer` must equal this one exactly. Fetched by the
    /// first call that needs a token (not at creation), once per process and
    /// issuer, and again at most hourly. README, "Discovery".
    pub fn issuer(mut self, issuer: impl Into<String>) -> Config {
        self.issuer = Some(issuer.into());
        self
    }

    /// How long a discovery document is used before the next token request
    /// fetches it again (1 h). For tests.
    #[doc(hidden)]
    pub fn discovery_max_age(mut self, d: Duration) -> Config {
        self.discovery_max_age = d;
        self
    }

    /// Space-separated scopes to ask for (`scope` form parameter).
    pub fn scope(mut self, scope: impl Into<String>) -> Config {
        self.scope = Some(scope.into());
        self
    }

    /// The `audience` form parameter (Keycloak, Auth0 and others).
    pub fn audience(mut self, audience: impl Into<String>) -> Config {
        self.audience = Some(audience.into());
        self
    }

    /// The RFC 8707 `resource` form parameter.
    pub fn resource(mut self, resource: impl Into<String>) -> Config {
        self.resource = Some(resource.into());
        self
    }

    /// Adds a form parameter to the token request.
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Config {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// A PEM file of CA certificates trusted in addition to the system store.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Config {
        self.ca_file = Some(path.into());
        self
    }

    pub fn connect_timeout(mut self, d: Duration) -> Config {
        self.connect_timeout = d;
        self
    }

    /// The limit for a whole call that needs a token (15 s by default): one
    /// deadline, counted from the call, covers waiting for another thread's
    /// or process's request, for a budget slot, and the request itself
    /// (connect, send, answer and body). See [`Client::token`](crate::Client::token).
    pub fn timeout(mut self, d: Duration) -> Config {
        self.timeout = d;
        self
    }

    /// Renew once a random point between `min` and `max` (fractions of the
    /// lifetime, `0 < min <= max < 1`) has passed. Default 0.8 and 0.9.
    pub fn renew_after(mut self, min: f64, max: f64) -> Config {
        self.renew_after = (min, max);
        self
    }

    /// The lifetime assumed when the answer has no `expires_in` and the token
    /// is not a JWT with an `exp` claim. Default 60 s.
    pub fn default_lifetime(mut self, d: Duration) -> Config {
        self.default_lifetime = d;
        self
    }

    /// Allows an `http://` token URL to a host that is not a loopback address.
    /// The secret then crosses the network in clear text: for test rigs only.
    pub fn allow_insecure_http(mut self, allow: bool) -> Config {
        self.allow_insecure_http = allow;
        self
    }

    /// Uses this proxy (`http://[user:pass@]host:port`) instead of the
    /// environment's. Loopback destinations and those `NO_PROXY` lists are
    /// still reached directly.
    pub fn proxy(mut self, url: impl Into<String>) -> Config {
        self.proxy = ProxySetting::Url(Secret::new(url.into()));
        self
    }

    /// Ignores proxy environment variables.
    pub fn no_proxy(mut self) -> Config {
        self.proxy = ProxySetting::Disabled;
        self
    }

    /// The most token requests per second this process sends to this token
    /// endpoint, shared by all its clients of that endpoint (the lowest
    /// setting among them wins). Default 10; at most 50, the IAM's limit per IP.
    pub fn max_requests_per_second(mut self, rate: f64) -> Config {
        self.max_requests_per_second = rate;
        self
    }

    /// How long requests pause after the endpoint rejected the credentials or
    /// the scope (the same error is returned without a request). Default 60 s.
    pub fn credential_cool_down(mut self, d: Duration) -> Config {
        self.credential_cool_down = d;
        self
    }

    /// Shares tokens with other processes through files in `dir` (created
    /// 0700): processes that start at once make one request, and later ones
    /// reuse the token until its renewal point. Off by default for the
    /// library; [`crate::default_cache_dir`] is the usual place. An existing
    /// directory is never chmodded: one that others may enter gets a private
    /// `oauth2cc-UID` inside it, or is refused (README, "The file cache").
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Config {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The private key that signs `private_key_jwt` assertions: a PEM file or
    /// PEM text (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub fn private_key(mut self, key: KeySource) -> Config {
        self.private_key = Some(key);
        self
    }

    /// The JWS algorithm of the client assertion (`HS256`, `RS256`, `PS256`,
    /// ...); by default HS256 for `client_secret_jwt` and the key's own
    /// algorithm for `private_key_jwt` (RS256 for RSA keys).
    pub fn signing_alg(mut self, alg: impl Into<String>) -> Config {
        self.signing_alg = Some(alg.into());
        self
    }

    /// The `kid` header of the client assertion; by default the key's RFC
    /// 7638 thumbprint for `private_key_jwt`, none for `client_secret_jwt`.
    pub fn key_id(mut self, kid: impl Into<String>) -> Config {
        self.key_id = Some(kid.into());
        self
    }

    /// The `aud` claim of the client assertion; the token URL by default
    /// (some servers want their issuer).
    pub fn assertion_audience(mut self, aud: impl Into<String>) -> Config {
        self.assertion_audience = Some(aud.into());
        self
    }

    /// A PEM file with the client's certificate for mutual TLS (RFC 8705),
    /// then any intermediate certificates. Presented to the token endpoint
    /// with every method (the TLS methods need it; with the others the server
    /// may bind the tokens to it) and to APIs through [`Client::call_api`](crate::Client::call_api).
    pub fn client_cert(mut self, path: impl Into<PathBuf>) -> Config {
        self.client_cert = Some(path.into());
        self
    }

    /// The PEM file with the private key of [`Config::client_cert`]: PKCS#8,
    /// PKCS#1 (RSA) or SEC1 (EC), unencrypted. Read and checked against the
    /// certificate when the client is created.
    pub fn client_key(mut self, path: impl Into<PathBuf>) -> Config {
        self.client_key = Some(path.into());
        self
    }

    /// Whether the client presents a TLS client certificate (RFC 8705): to
    /// the token endpoint, which may then bind the tokens to it, and to
    /// APIs. Discovery uses the server's `mtls_endpoint_aliases` when true.
    pub fn uses_client_certificate(&self) -> bool {
        self.client_cert.is_some() || self.auth_method.uses_client_certificate()
    }

    /// The client certificate and key files, when configured (for wrappers
    /// that must present the same certificate to APIs, such as the libcurl helper).
    pub fn client_cert_files(&self) -> Option<(&std::path::Path, &std::path::Path)> {
        Some((self.client_cert.as_deref()?, self.client_key.as_deref()?))
    }

    /// DPoP (RFC 9449): bind tokens to a key of this client's, so that a
    /// leaked token is useless without it. Token requests carry a proof,
    /// `token_type` must be `DPoP` (a server that ignores the proof and
    /// issues a Bearer token is refused), and API calls send
    /// `Authorization: DPoP <token>` plus a proof ([`Client::dpop_proof`](crate::Client::dpop_proof)).
    pub fn dpop(mut self, on: bool) -> Config {
        self.dpop = on;
        self
    }

    /// The DPoP key: a PEM file holding an EC P-256 private key (PKCS#8 or
    /// SEC1), so that bound tokens survive a restart (with a cache
    /// directory) and several processes share them. Without it a key is
    /// generated when the client is created. A key file turns DPoP on.
    pub fn dpop_key(mut self, path: impl Into<PathBuf>) -> Config {
        self.dpop_key = Some(path.into());
        self
    }

    /// Fleet mode: shares one token, one request budget and one pause per
    /// client with every process (on any host) using the same Redis or Valkey:
    /// `redis://[user:password@]host:port[/db]`, `rediss://...` (TLS, trusting
    /// the system store and [`Config::ca_file`], as the token endpoint does)
    /// or `redis+unix:///path/to/socket`. The local cache stays in front:
    /// Redis is asked only when this process has no token or is due to renew
    /// it. Entries are encrypted under a key derived from the client's
    /// credential. When Redis fails, the client works standalone (README,
    /// "Fleet mode (Redis/Valkey)").
    pub fn shared_cache_url(mut self, url: impl Into<String>) -> Config {
        self.shared_cache_url = Some(Secret::new(url.into()));
        self
    }

    /// A file holding the shared cache's password (instead of in the URL).
    pub fn shared_cache_password_file(mut self, path: impl Into<PathBuf>) -> Config {
        self.shared_cache_password_file = Some(path.into());
        self
    }

    /// How long one shared cache operation may take before the client falls
    /// back to standalone behaviour. Default 50 ms.
    pub fn shared_cache_timeout(mut self, d: Duration) -> Config {
        self.shared_cache_timeout = d;
        self
    }

    pub fn token_url_str(&self) -> &str {
        &self.token_url
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn method(&self) -> AuthMethod {
        self.auth_method
    }

    /// The issuer, when the token endpoint is found through discovery.
    pub fn issuer_str(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Whether the auth method was chosen ([`Config::auth_method`]) rather than left to the default.
    pub fn auth_method_chosen(&self) -> bool {
        self.auth_method_chosen
    }

    /// Checks every setting. The URL returned is the token URL's, or, with
    /// discovery, the issuer's (the first one contacted).
    pub(crate) fn validate(&self) -> Result<ParsedUrl, Error> {
        if self.client_id.is_empty() {
            return Err(Error::config("client id is empty"));
        }
        if self.issuer.is_some() && !self.auth_method_chosen {
            // The method is picked from the issuer's metadata: any credential will do here.
            if self.client_secret.expose().is_empty() && self.private_key.is_none() && self.client_cert.is_none() {
                return Err(Error::config(
                    "no client credential: give a client secret, a private key or a client certificate",
                ));
            }
        } else if self.auth_method.uses_secret() && self.client_secret.expose().is_empty() {
            return Err(Error::config("client secret is empty"));
        }
        self.check_assertion_settings()?;
        let url = match &self.issuer {
            Some(_) if !self.token_url.is_empty() => {
                return Err(Error::config(
                    "both a token URL and an issuer are set: give the token URL, or the issuer to discover it from",
                ))
            }
            Some(issuer) => crate::discovery::check_issuer(self, issuer)?,
            None if self.token_url.is_empty() => {
                return Err(Error::config("the token URL is empty (give it, or an issuer to discover it from)"))
            }
            None => self.check_url("token URL", &self.token_url, "the client secret")?,
        };
        if self.auth_method == AuthMethod::ClientSecretBasicRaw && self.client_id.contains(':') {
            return Err(Error::config(
                "client id contains ':', which raw HTTP Basic cannot carry; use client_secret_basic or client_secret_post",
            ));
        }
        let (lo, hi) = self.renew_after;
        if !(lo > 0.0 && lo <= hi && hi < 1.0) {
            return Err(Error::config(format!(
                "renewal window {lo}..{hi} is invalid: need 0 < min <= max < 1 (fractions of the token lifetime)"
            )));
        }
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        let rate = self.max_requests_per_second;
        if !(rate > 0.0 && rate <= crate::endpoint::MAX_RATE) {
            return Err(Error::config(format!(
                "max requests per second {rate} is invalid: need more than 0 and at most 50 (the IAM's limit per IP)"
            )));
        }
        if self.credential_cool_down < Duration::from_secs(1) || self.credential_cool_down > Duration::from_secs(86_400)
        {
            return Err(Error::config("credential cool-down must be between 1 s and a day"));
        }
        if self.default_lifetime < Duration::from_secs(1) {
            return Err(Error::config("default lifetime must be at least 1 s"));
        }
        if self.shared_cache_url.is_some() {
            crate::fleet::check_url(self)?;
        }
        if self.shared_cache_timeout.is_zero() || self.shared_cache_timeout > Duration::from_secs(10) {
            return Err(Error::config("shared cache timeout must be more than 0 and at most 10 s"));
        }
        for (name, _) in &self.extra_params {
            if name.is_empty() {
                return Err(Error::config("extra form parameter with an empty name"));
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(Error::config(format!(
                    "extra form parameter {name:?} is set by oauth2cc itself; use the dedicated option"
                )));
            }
        }
        Ok(url)
    }
}

impl Config {
    /// The client assertion settings fit the method (the key itself is
    /// loaded and checked by `assertion::Assertion::new`, at client creation).
    fn check_assertion_settings(&self) -> Result<(), Error> {
        if self.issuer.is_some() && !self.auth_method_chosen {
            // The method is picked from the issuer's metadata (the key, if any, is checked then too).
            return Ok(());
        }
        let jwt = matches!(self.auth_method, AuthMethod::ClientSecretJwt | AuthMethod::PrivateKeyJwt);
        if self.private_key.is_some() && self.auth_method != AuthMethod::PrivateKeyJwt {
            return Err(Error::config(format!(
                "a private key (signing key) is set but the auth method is {}; it is used only with private_key_jwt",
                self.auth_method.as_str()
            )));
        }
        if self.auth_method == AuthMethod::PrivateKeyJwt && self.private_key.is_none() {
            return Err(Error::config("private_key_jwt needs a private key (signing key file or PEM text)"));
        }
        for (set, name) in [
            (self.signing_alg.is_some(), "signing_alg"),
            (self.key_id.is_some(), "key_id"),
            (self.assertion_audience.is_some(), "assertion_audience"),
        ] {
            if set && !jwt {
                return Err(Error::config(format!(
                    "{name} is set but the auth method is {}; it is used only with client_secret_jwt and private_key_jwt",
                    self.auth_method.as_str()
                )));
            }
        }
        Ok(())
    }

    /// Checks a URL that tokens of this client will be sent to (an API) with
    /// the token URL's rule: `https://`, or `http://` only to a loopback
    /// address unless insecure http is allowed; no user information.
    pub fn check_api_url(&self, url: &str) -> Result<(), Error> {
        self.check_url("API URL", url, "the access token").map(|_| ())
    }

    pub(crate) fn check_url(&self, what: &str, url: &str, carried: &str) -> Result<ParsedUrl, Error> {
        let parsed = parse_url(what, url)?;
        if parsed.scheme == "http" && !parsed.is_loopback() && !self.allow_insecure_http {
            return Err(Error::config(format!(
                "refusing http:// {what} to non-loopback host {}: {carried} would cross the network unencrypted",
                parsed.host
            ))
            .with_hint(
                "use https://, or allow http:// explicitly: allow_insecure_http (C option, Python keyword), \
                 --allow-insecure-http (command line), OAUTH2CC_ALLOW_INSECURE_HTTP=1 (environment)",
            ));
        }
        Ok(parsed)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("token_url", &redact_url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth_method", &self.auth_method)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("resource", &self.resource)
            .field("extra_params", &self.extra_params.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .field("ca_file", &self.ca_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("renew_after", &self.renew_after)
            .field("default_lifetime", &self.default_lifetime)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("proxy", &self.proxy)
            .field("max_requests_per_second", &self.max_requests_per_second)
            .field("credential_cool_down", &self.credential_cool_down)
            .field("cache_dir", &self.cache_dir)
            .field("private_key", &self.private_key)
            .field("signing_alg", &self.signing_alg)
            .field("key_id", &self.key_id)
            .field("assertion_audience", &self.assertion_audience)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("dpop", &self.dpop)
            .field("dpop_key", &self.dpop_key)
            .field("issuer", &self.issuer.as_deref().map(redact_url))
            .field("auth_method_chosen", &self.auth_method_chosen)
            .field("shared_cache_url", &self.shared_cache_url.as_ref().map(|u| redact_url_and_query(u.expose())))
            .field("shared_cache_password_file", &self.shared_cache_password_file)
            .field("shared_cache_timeout", &self.shared_cache_timeout)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParsedUrl {
    pub scheme: String,
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
}

impl ParsedUrl {
    /// `host:port`, lower-cased: the IAM's address as far as the URL tells,
    /// whatever the path (realm, `/auth` prefix) or the case.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host.to_ascii_lowercase(), self.port)
    }

    pub fn is_loopback(&self) -> bool {
        crate::proxy::is_loopback_host(&self.host)
    }
}

/// A URL that may carry a password in its query (Redis URLs accept
/// `?pass=` and `?password=`) without user information nor query, for messages.
pub(crate) fn redact_url_and_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{}?***", redact_url(base)),
        None => redact_url(url),
    }
}

/// The URL without user information (`user:password@`), for messages.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let shown = match rest[..end].rfind('@') {
        Some(at) => format!("{}{}***@{}", scheme, if scheme.is_empty() { "" } else { "://" }, &rest[at + 1..]),
        None => url.to_string(),
    };
    crate::error::sanitize(&shown, 200)
}

pub(crate) fn parse_url(what: &str, url: &str) -> Result<ParsedUrl, Error> {
    let shown = redact_url(url);
    let uri: ureq::http::Uri =
        url.parse().map_err(|_| Error::config(format!("{what} {shown:?} is not a valid URL")))?;
    let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Error::config(format!(
            "{what} {shown:?} must start with https:// (or http:// to a loopback address)"
        )));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(Error::config(format!(
            "{what} must not carry user information; pass the client id and secret separately"
        )));
    }
    let host = uri.host().unwrap_or_default().to_string();
    if host.is_empty() {
        return Err(Error::config(format!("{what} {shown:?} has no host")));
    }
    let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    Ok(ParsedUrl { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn check(c: Config) -> Result<ParsedUrl, ErrorKind> {
        c.validate().map_err(|e| e.kind())
    }

    #[test]
    fn loopback_http_is_allowed_remote_http_is_not() {
        for ok in [
            "http://127.0.0.1:8080/t",
            "http://localhost/t",
            "http://[::1]:9/t",
            "http://127.5.6.7/t",
            "https://iam.example.com/t",
        ] {
            assert!(check(Config::new(ok, "id", "s")).is_ok(), "{ok}");
        }
        assert_eq!(check(Config::new("http://iam.example.com/t", "id", "s")), Err(ErrorKind::InvalidConfig));
        assert!(check(Config::new("http://iam.example.com/t", "id", "s").allow_insecure_http(true)).is_ok());
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let base = || Config::new("https://h/t", "id", "s");
        for bad in [
            Config::new("ftp://h/t", "id", "s"),
            Config::new("not a url", "id", "s"),
            Config::new("https://user:pw@h/t", "id", "s"),
            Config::new("https://h/t", "", "s"),
            Config::new("https://h/t", "id", ""),
            Config::new("https://h/t", "a:b", "s").auth_method(AuthMethod::ClientSecretBasicRaw),
            base().renew_after(0.9, 0.8),
            base().renew_after(0.0, 0.5),
            base().renew_after(0.5, 1.0),
            base().renew_after(f64::NAN, 0.5),
            base().timeout(Duration::ZERO),
            base().extra_param("client_secret", "x"),
            base().extra_param("", "x"),
            base().max_requests_per_second(51.0),
            base().max_requests_per_second(0.0),
            base().credential_cool_down(Duration::ZERO),
        ] {
            assert_eq!(check(bad.clone()), Err(ErrorKind::InvalidConfig), "{bad:?}");
        }
    }

    #[test]
    fn debug_hides_the_secret_and_proxy_credentials() {
        let c = Config::new("https://h/t", "id", "sup3r-s3cret").proxy("http://u:proxypass@p:3128");
        let s = format!("{c:?}");
        assert!(!s.contains("sup3r-s3cret") && !s.contains("proxypass"), "{s}");
    }

    #[test]
    fn urls_are_shown_without_user_information() {
        assert_eq!(redact_url("https://u:pw@h:1/p?q@x"), "https://***@h:1/p?q@x");
        assert_eq!(redact_url("https://h/p"), "https://h/p");
        assert_eq!(redact_url_and_query("redis://u:pw@h:1/0?pass=x"), "redis://***@h:1/0?***");
        assert_eq!(redact_url_and_query("redis+unix:///s.sock"), "redis+unix:///s.sock");
        let e = Config::new("ftp://u:pw@h/x", "id", "s").validate().unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }

    #[test]
    fn auth_method_names_round_trip() {
        for m in AuthMethod::ALL {
            assert_eq!(m.as_str().parse::<AuthMethod>().unwrap(), m);
        }
        assert!("basic".parse::<AuthMethod>().is_err());
    }
}
