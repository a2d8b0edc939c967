//! DPoP (RFC 9449): the client's proof-of-possession key and its proofs,
//! and the server nonces it has been given.
//!
//! One ES256 key per [`Client`](crate::Client): generated when the client is
//! created, or loaded from [`Config::dpop_key`](crate::Config::dpop_key) (a
//! PEM file) so that tokens bound to it survive a restart (with a cache
//! directory). It is kept across [`Client::set_secret`](crate::Client::set_secret):
//! the cached token stays bound to it.
//!
//! A proof is a JWT with header `typ: dpop+jwt`, `alg: ES256` and the public
//! `jwk`, and claims `htm`, `htu` (the URL without query and fragment),
//! `iat`, a fresh random `jti`, the server's `nonce` when one is known for
//! the URL's origin, and `ath` (base64url SHA-256 of the access token) for
//! resource requests.

use crate::error::{sanitize, Error, ErrorKind};
use crate::jose::{b64url, compact};
use crate::keys::SigningKey;
use parking_lot::Mutex;
use ring::rand::SecureRandom as _;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Most server origins whose nonce is remembered (a client talks to a few).
const MAX_ORIGINS: usize = 64;
/// Longest nonce kept: a server's value, sent back in every proof.
const MAX_NONCE: usize = 1024;

pub(crate) struct Dpop {
    key: SigningKey,
    /// `{"typ":"dpop+jwt","alg":"ES256","jwk":{..}}`, built once.
    header: Value,
    /// RFC 7638 thumbprint of the public key (the tokens' `cnf.jkt`).
    jkt: String,
    /// The last `DPoP-Nonce` per server origin (`scheme://host:port`), newest last.
    nonces: Mutex<Vec<(String, String)>>,
    rng: ring::rand::SystemRandom,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop").field("jkt", &self.jkt).finish_non_exhaustive()
    }
}

impl Dpop {
    /// The key from `key_file` (an EC P-256 private key in PEM: PKCS#8 or
    /// SEC1), or a fresh one. A file that is not such a key is a
    /// configuration error now, not at the first request.
    pub(crate) fn new(key_file: Option<&Path>) -> Result<Dpop, Error> {
        let key = match key_file {
            Some(path) => {
                // Bounded (a device or huge file is refused unread); the key's own
                // algorithm, so that another kind is named by `with_key`.
                let pem = crate::settings::read_small_file(path, crate::client_cert::MAX_PEM_FILE).map_err(|e| {
                    Error::config(format!(
                        "DPoP key: cannot read the private key file {}: {e}",
                        crate::error::shown_path(path)
                    ))
                })?;
                SigningKey::from_pem(&pem, None).map_err(|e| {
                    Error::config(format!(
                        "DPoP key: private key file {}: {}",
                        crate::error::shown_path(path),
                        e.message()
                    ))
                })?
            }
            None => SigningKey::generate_es256()?,
        };
        Dpop::with_key(key)
    }

    pub(crate) fn with_key(key: SigningKey) -> Result<Dpop, Error> {
        if key.alg() != "ES256" {
            return Err(Error::config(format!("the DPoP key must be an EC P-256 key (ES256), not {}", key.alg())));
        }
        let jwk = key.public_jwk().ok_or_else(|| Error::config("the DPoP key has no public key"))?;
        let jkt = key.thumbprint().ok_or_else(|| Error::config("the DPoP key has no thumbprint"))?;
        Ok(Dpop {
            header: json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
            key,
            jkt,
            nonces: Mutex::new(Vec::new()),
            rng: ring::rand::SystemRandom::new(),
        })
    }

    /// The RFC 7638 thumbprint of the public key: what a bound token's `cnf.jkt` holds.
    pub(crate) fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// A proof for `method` on `url`; with `access_token` (resource
    /// requests) it carries `ath`. Returns the proof and the nonce it carries.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<(String, Option<String>), Error> {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(Error::config(format!("{:?} is not an HTTP method", sanitize(method, 40))));
        }
        let target = Target::parse(url)?;
        let nonce = self.nonce_for(&target.origin);
        let mut jti = [0u8; 16];
        self.rng.fill(&mut jti).map_err(|_| Error::new(ErrorKind::Internal, "no random bytes for a DPoP jti"))?;
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut claims = Map::with_capacity(6);
        claims.insert("htm".into(), Value::from(method));
        claims.insert("htu".into(), Value::from(target.htu));
        claims.insert("iat".into(), Value::from(iat));
        claims.insert("jti".into(), Value::from(b64url(&jti)));
        if let Some(n) = &nonce {
            claims.insert("nonce".into(), Value::from(n.as_str()));
        }
        if let Some(token) = access_token {
            let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
            claims.insert("ath".into(), Value::from(b64url(digest.as_ref())));
        }
        Ok((compact(&self.header, &Value::Object(claims), &self.key)?, nonce))
    }

    /// Remembers `nonce` (a `DPoP-Nonce` answer header) for `url`'s origin.
    /// Values that are not a nonce (empty, too long, not visible ASCII) are ignored.
    /// Whether the nonce was kept (a nonce that is blank, too long, not
    /// visible ASCII, or for a URL that is not one, is not).
    pub(crate) fn note_nonce(&self, url: &str, nonce: &str) -> bool {
        let nonce = nonce.trim();
        if nonce.is_empty() || nonce.len() > MAX_NONCE || !nonce.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return false;
        }
        let Ok(target) = Target::parse(url) else { return false };
        let mut all = self.nonces.lock();
        all.retain(|(o, _)| *o != target.origin);
        if all.len() >= MAX_ORIGINS {
            all.remove(0);
        }
        all.push((target.origin, nonce.to_string()));
        true
    }

    /// The nonce last given by `url`'s origin.
    pub(crate) fn nonce_at(&self, url: &str) -> Option<String> {
        self.nonce_for(&Target::parse(url).ok()?.origin)
    }

    fn nonce_for(&self, origin: &str) -> Option<String> {
        self.nonces.lock().iter().find(|(o, _)| o == origin).map(|(_, n)| n.clone())
    }
}

/// A URL as DPoP needs it: the origin (nonces are per server) and the `htu`.
struct Target {
    origin: String,
    htu: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, Error> {
        // htu: the URL without query and fragment (RFC 9449 section 4.2).
        let htu = url.split(['?', '#']).next().unwrap_or_default();
        let bad = || Error::config(format!("{:?} is not an absolute http(s) URL", sanitize(url, 80)));
        let uri: ureq::http::Uri = htu.parse().map_err(|_| bad())?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase).ok_or_else(bad)?;
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(bad()),
        };
        let authority = uri.authority().ok_or_else(bad)?.as_str();
        if authority.contains('@') {
            return Err(Error::config("a DPoP proof's URL must not carry user information (user:password@)"));
        }
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?.to_ascii_lowercase();
        // The port as written (the URI parser drops one out of range silently).
        let written_port = authority.rsplit_once(':').map(|(_, p)| p).filter(|p| !p.contains(']'));
        let port = match written_port {
            Some("") | None => default_port,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
        };
        // RFC 9449 section 4.3: the server compares htu after RFC 3986
        // syntax- and scheme-based normalisation: lower-case scheme and host,
        // no default port, "/" for an empty path.
        let path = match uri.path() {
            "" => "/",
            p => p,
        };
        let shown_port = if port == default_port { String::new() } else { format!(":{port}") };
        Ok(Target { origin: format!("{scheme}://{host}:{port}"), htu: format!("{scheme}://{host}{shown_port}{path}") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(proof: &str) -> Value {
        let part = proof.split('.').nth(1).unwrap();
        serde_json::from_slice(&crate::jose::b64url_decode(part).unwrap()).unwrap()
    }

    #[test]
    fn htu_is_normalised_and_never_carries_user_information() {
        let d = Dpop::new(None).unwrap();
        for (url, htu) in [
            ("HTTPS://API.Example.com:443/a/b?q=1", "https://api.example.com/a/b"),
            ("http://api.example.com:80", "http://api.example.com/"),
            ("https://api.example.com:8443/A", "https://api.example.com:8443/A"),
        ] {
            let (p, _) = d.proof("GET", url, None).unwrap();
            assert_eq!(claims(&p)["htu"], htu, "{url}");
        }
        for bad in
            ["https://user:p%40ss@api.example.com/a", "https://api.example.com:99999/a", "ftp://h/x", "/relative"]
        {
            let e = d.proof("GET", bad, None).unwrap_err();
            assert!(!e.to_string().contains("p%40ss"), "{e}");
        }
    }

    #[test]
    fn htu_drops_query_and_fragment_and_nonces_are_per_origin() {
        let d = Dpop::new(None).unwrap();
        d.note_nonce("https://API.example.com:443/x?y=1", "n-1");
        let (p, n) = d.proof("GET", "https://api.example.com/orders?id=7#top", Some("tok")).unwrap();
        assert_eq!(n.as_deref(), Some("n-1"));
        let c = claims(&p);
        assert_eq!(c["htu"], "https://api.example.com/orders");
        assert_eq!(c["nonce"], "n-1");
        assert_eq!(c["htm"], "GET");
        let (p, n) = d.proof("POST", "https://api.example.com:8443/orders", None).unwrap();
        assert_eq!(n, None, "another port is another origin");
        assert!(claims(&p).get("ath").is_none());
        d.note_nonce("https://api.example.com/", "bad nonce with spaces");
        assert_eq!(d.nonce_at("https://api.example.com/").as_deref(), Some("n-1"));
    }

    #[test]
    fn bad_arguments_are_configuration_errors() {
        let d = Dpop::new(None).unwrap();
        for url in ["", "/relative", "ftp://h/x", "https://"] {
            assert_eq!(d.proof("GET", url, None).unwrap_err().kind(), ErrorKind::InvalidConfig, "{url}");
        }
        assert_eq!(d.proof("GE T", "https://h/", None).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert!(!format!("{d:?}").contains("\"d\""));
    }
}
