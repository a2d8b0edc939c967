//! The token request over HTTP (ureq): TLS roots, proxy, timeouts, the form
//! body and client authentication, and the mapping of transport failures.

use crate::config::{AuthMethod, Config, ProxySetting};
use crate::deferred::say;
use crate::endpoint::{self, Endpoint};
use crate::error::{sanitize, Error, ErrorKind};
use crate::response::{self, Answer, Timing};
use crate::token::Token;
use crate::MAX_BODY_BYTES;
use crate::{fork, form};
use arc_swap::ArcSwap;
use base64::Engine as _;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use zeroize::Zeroizing;

const IP_BLOCK_HINT: &str = "the IAM may be blocking this IP after the rejected logins or rate limiting just before; \
     wait before retrying, and fix the credentials first";

pub(crate) struct Transport {
    /// The agent and the fork generation it was made in: a child must not use
    /// the parent's pooled connections (sockets shared with the parent).
    agent: ArcSwap<(u64, ureq::Agent)>,
    agent_config: ureq::config::Config,
    endpoint: Arc<Endpoint>,
    client_id: String,
    url: String,
    /// The form body without client credentials (built once).
    form: String,
    /// `Authorization` header value for the Basic methods.
    basic: Option<Zeroizing<String>>,
    /// `client_id=..&client_secret=..` for client_secret_post.
    post_credentials: Option<Zeroizing<String>>,
    default_lifetime: std::time::Duration,
    renew_after: (f64, f64),
}

impl Transport {
    pub fn new(cfg: &Config) -> Result<Transport, Error> {
        let url = cfg.validate()?;
        let mut builder = agent_builder(cfg)?
            .max_redirects(0)
            .max_redirects_will_error(false)
            .accept("application/json")
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .max_response_header_size(16 * 1024)
            .input_buffer_size(16 * 1024)
            .output_buffer_size(16 * 1024);
        // A bad CA file is reported even for a loopback http:// URL, so a typo shows at once.
        if url.scheme == "https" || cfg.ca_file.is_some() {
            builder = builder.tls_config(tls(cfg)?);
        }
        let agent_config = builder.build();
        let agent = ArcSwap::from_pointee((fork::generation(), agent_config.new_agent()));

        let mut pairs: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        for (k, v) in [("scope", &cfg.scope), ("audience", &cfg.audience), ("resource", &cfg.resource)] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        pairs.extend(cfg.extra_params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let form_body = form::encode_pairs(pairs);

        let id = &cfg.client_id;
        let secret = cfg.client_secret.expose();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let (basic, post_credentials) = match cfg.auth_method {
            AuthMethod::ClientSecretBasic => {
                let raw =
                    Zeroizing::new(format!("{}:{}", form::encode(id), Zeroizing::new(form::encode(secret)).as_str()));
                (Some(Zeroizing::new(format!("Basic {}", b64(&raw)))), None)
            }
            AuthMethod::ClientSecretBasicRaw => {
                let raw = Zeroizing::new(format!("{id}:{secret}"));
                (Some(Zeroizing::new(format!("Basic {}", b64(&raw)))), None)
            }
            AuthMethod::ClientSecretPost => (
                None,
                Some(Zeroizing::new(form::encode_pairs([("client_id", id.as_str()), ("client_secret", secret)]))),
            ),
        };
        Ok(Transport {
            agent,
            agent_config,
            endpoint: endpoint::endpoint(&cfg.token_url, cfg.max_requests_per_second),
            client_id: cfg.client_id.clone(),
            url: cfg.token_url.clone(),
            form: form_body,
            basic,
            post_credentials,
            default_lifetime: cfg.default_lifetime,
            renew_after: cfg.renew_after,
        })
    }

    fn agent(&self) -> ureq::Agent {
        let a = self.agent.load();
        if a.0 == fork::generation() {
            return a.1.clone();
        }
        let fresh = self.agent_config.new_agent();
        self.agent.store(Arc::new((fork::generation(), fresh.clone())));
        fresh
    }

    /// One token request, within the endpoint's budget, ending by `deadline`
    /// (the wait for a budget slot included); `on_send` runs just before it
    /// goes out. The lifetime is counted from that moment.
    pub fn request_token(&self, deadline: Instant, on_send: impl FnOnce()) -> Result<Token, Error> {
        // Held until the answer is in: the budget counts from then.
        let _slot = match self.endpoint.acquire(deadline) {
            Ok(slot) => slot,
            Err(wait) => return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "this process's token-request budget for the endpoint ({} per second) has no free slot within the timeout",
                    self.endpoint.rate()
                ),
            )
            .with_retry_after(Some(wait))),
        };
        on_send();
        let result = self.send(deadline);
        match &result {
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
            if matches!(e.kind(), ErrorKind::Network | ErrorKind::Tls) && self.endpoint.recently_rejected() {
                e.with_hint(IP_BLOCK_HINT)
            } else {
                e
            }
        })
    }

    /// Sends the request; the whole exchange ends by `deadline`.
    pub(crate) fn send(&self, deadline: Instant) -> Result<Token, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, "token request timed out before it was sent"));
        }
        let mut body = Zeroizing::new(String::with_capacity(self.form.len() + 128));
        body.push_str(&self.form);
        if let Some(c) = &self.post_credentials {
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
            req = req.header("Authorization", b.as_str());
        }
        let sent_at = Instant::now();
        let sent_at_system = SystemTime::now();
        let resp = req.send(body.as_bytes()).map_err(|e| map_transport_error(&e))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        let bytes = resp
            .into_body()
            .into_with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| map_transport_error(&e))?;
        let bytes = Zeroizing::new(bytes);
        response::parse(
            &Answer {
                status,
                content_type: content_type.as_deref(),
                retry_after: retry_after.as_deref(),
                body: &bytes,
            },
            &Timing { sent_at, sent_at_system, default_lifetime: self.default_lifetime, renew_after: self.renew_after },
        )
    }
}

/// An HTTP agent for calling APIs with the same trust (system store plus the
/// CA file), proxy and timeouts as the token requests; statuses are returned,
/// not turned into errors, and up to 5 redirects are followed.
pub fn api_agent(cfg: &Config) -> Result<ureq::Agent, Error> {
    cfg.validate()?;
    Ok(agent_builder(cfg)?.max_redirects(5).tls_config(tls(cfg)?).build().new_agent())
}

/// What every agent of a client shares: statuses returned rather than turned
/// into errors, the timeouts, the user agent and the proxy.
fn agent_builder(cfg: &Config) -> Result<ureq::config::ConfigBuilder<ureq::typestate::AgentScope>, Error> {
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(cfg.connect_timeout))
        .timeout_global(Some(cfg.timeout))
        .user_agent(concat!("oauth2cc/", env!("CARGO_PKG_VERSION")))
        .proxy(proxy(cfg)?))
}

fn tls(cfg: &Config) -> Result<TlsConfig, Error> {
    Ok(TlsConfig::builder().root_certs(root_certs(cfg.ca_file.as_deref())?).build())
}

/// The proxy to use: the configured one, none, or the environment's.
fn proxy(cfg: &Config) -> Result<Option<ureq::Proxy>, Error> {
    match &cfg.proxy {
        ProxySetting::FromEnv => Ok(ureq::Proxy::try_from_env()),
        ProxySetting::Disabled => Ok(None),
        ProxySetting::Url(u) => ureq::Proxy::new(u.expose())
            .map(Some)
            .map_err(|_| Error::config("proxy URL is not valid (expected http://host:port)")),
    }
}

/// The system trust store (loaded once per process) plus the optional CA file.
fn root_certs(ca_file: Option<&std::path::Path>) -> Result<RootCerts, Error> {
    static SYSTEM: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    let system = SYSTEM.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        Arc::new(found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect())
    });
    let Some(path) = ca_file else {
        if system.is_empty() {
            return Err(Error::config(
                "no trusted CA certificates: the system store is empty or unreadable and no CA file was given",
            ));
        }
        return Ok(RootCerts::Specific(system.clone()));
    };
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| Error::config(format!("cannot read CA file {shown}: {e}")))?;
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

fn map_transport_error(e: &ureq::Error) -> Error {
    use ureq::Error as U;
    match e {
        U::Timeout(which) => Error::new(ErrorKind::Timeout, format!("token request timed out ({which})")),
        U::HostNotFound => Error::new(ErrorKind::Network, "token endpoint host not found (DNS)"),
        U::ConnectionFailed => Error::new(ErrorKind::Network, "could not connect to the token endpoint"),
        U::BodyExceedsLimit(_) => {
            Error::new(ErrorKind::Protocol, format!("token endpoint answer is larger than {MAX_BODY_BYTES} bytes"))
        }
        U::Rustls(e) => tls_error(&e.to_string()),
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
        U::Io(io) => map_io(io),
        other => Error::new(ErrorKind::Network, format!("token request failed: {}", sanitize(&other.to_string(), 160))),
    }
}

fn tls_error(detail: &str) -> Error {
    Error::new(ErrorKind::Tls, format!("TLS with the token endpoint failed: {}", sanitize(detail, 160)))
        .with_hint("check the CA file and that the token URL's host name matches the server certificate")
}

fn map_io(io: &std::io::Error) -> Error {
    use std::io::ErrorKind as K;
    // ureq and rustls wrap their own errors inside io::Error.
    if let Some(inner) = io.get_ref() {
        if let Some(u) = inner.downcast_ref::<ureq::Error>() {
            return match u {
                ureq::Error::Timeout(_)
                | ureq::Error::BodyExceedsLimit(_)
                | ureq::Error::Rustls(_)
                | ureq::Error::Tls(_) => map_transport_error(u),
                _ => Error::new(ErrorKind::Network, format!("token request failed: {}", sanitize(&u.to_string(), 160))),
            };
        }
        if let Some(r) = inner.downcast_ref::<rustls::Error>() {
            return tls_error(&r.to_string());
        }
    }
    let what = match io.kind() {
        K::TimedOut | K::WouldBlock => return Error::new(ErrorKind::Timeout, "token request timed out"),
        K::ConnectionRefused => "connection refused by the token endpoint",
        K::ConnectionReset | K::ConnectionAborted => "connection to the token endpoint was reset",
        K::UnexpectedEof => "token endpoint closed the connection before the answer was complete",
        K::NotConnected | K::BrokenPipe => "connection to the token endpoint was lost",
        _ => "network error talking to the token endpoint",
    };
    Error::new(ErrorKind::Network, format!("{what} ({})", sanitize(&io.to_string(), 120)))
}
