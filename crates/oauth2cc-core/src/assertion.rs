//! Client authentication with a signed JWT: `client_secret_jwt` and
//! `private_key_jwt` (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OpenID Connect
//! Core §9). A fresh assertion is signed for every token request.

use crate::config::{AuthMethod, Config, KeySource};
use crate::error::{Error, ErrorKind};
use crate::form;
use crate::jose;
use crate::keys::SigningKey;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The advice when the server rejects the assertion.
pub(crate) const REJECTED_HINT: &str = "check the client id, that the server has this client's public key (Keycloak: \
     the client's Keys tab, a JWKS URL or an imported certificate) or secret, the key id (key_id: the server may look \
     the key up by kid), the algorithm (signing_alg), the audience (assertion_audience: some servers want their \
     issuer URL), the client's authenticator (Keycloak: \"Signed Jwt\" or \"Signed Jwt with Client Secret\"), \
     and this machine's clock";

/// How long an assertion is valid: at most 60 s, so a captured one is soon useless.
pub(crate) const LIFETIME_SECS: u64 = 60;

/// Random bytes in a `jti` (144 bits: 24 base64url characters).
const JTI_BYTES: usize = 18;

pub(crate) struct Assertion {
    key: SigningKey,
    header: Value,
    client_id: String,
    audience: String,
    /// `client_id=ID&client_assertion_type=...&client_assertion=`, built once.
    prefix: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for Assertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assertion").field("key", &self.key).field("audience", &self.audience).finish()
    }
}

/// Loads and checks the key a configuration names before its token endpoint
/// (and so, maybe, its method) is known from discovery: a bad key fails at
/// client creation all the same. The private key's RFC 7638 thumbprint, if any.
pub(crate) fn preflight(cfg: &Config) -> Result<Option<String>, Error> {
    let alg = cfg.signing_alg.as_deref();
    match &cfg.private_key {
        Some(KeySource::File(path)) => Ok(SigningKey::from_file(path, alg)?.thumbprint()),
        Some(KeySource::Pem(pem)) => Ok(SigningKey::from_pem(pem.expose().as_bytes(), alg)?.thumbprint()),
        None if cfg.auth_method == AuthMethod::ClientSecretJwt => {
            SigningKey::hmac(cfg.client_secret.expose().as_bytes(), alg)
                .map_err(|e| Error::config(format!("client_secret_jwt: {}", e.message())))?;
            Ok(None)
        }
        None => Ok(None),
    }
}

impl Assertion {
    /// The assertion maker for a JWT method; None for the other methods.
    /// Loads and checks the key now, so a bad key fails client creation.
    pub(crate) fn new(cfg: &Config) -> Result<Option<Assertion>, Error> {
        let alg = cfg.signing_alg.as_deref();
        let key = match cfg.auth_method {
            AuthMethod::ClientSecretJwt => SigningKey::hmac(cfg.client_secret.expose().as_bytes(), alg)
                .map_err(|e| Error::config(format!("client_secret_jwt: {}", e.message())))?,
            AuthMethod::PrivateKeyJwt => match &cfg.private_key {
                Some(KeySource::File(path)) => SigningKey::from_file(path, alg)?,
                Some(KeySource::Pem(pem)) => SigningKey::from_pem(pem.expose().as_bytes(), alg)?,
                None => {
                    return Err(Error::config("private_key_jwt needs a private key (signing key file or PEM text)"))
                }
            },
            _ => return Ok(None),
        };
        let kid = match (&cfg.key_id, key.is_hmac()) {
            (Some(k), _) if !k.is_empty() => Some(k.clone()),
            (_, false) => key.thumbprint(),
            (_, true) => None,
        };
        let mut header = Map::new();
        header.insert("typ".into(), Value::from("JWT"));
        if let Some(kid) = kid {
            header.insert("kid".into(), Value::from(kid));
        }
        let audience =
            cfg.assertion_audience.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| cfg.token_url.clone());
        let mut prefix = String::from("client_id=");
        form::encode_into(&mut prefix, &cfg.client_id);
        prefix.push_str("&client_assertion_type=");
        form::encode_into(&mut prefix, JWT_BEARER);
        prefix.push_str("&client_assertion=");
        Ok(Some(Assertion {
            key,
            header: Value::Object(header),
            client_id: cfg.client_id.clone(),
            audience,
            prefix,
            rng: SystemRandom::new(),
        }))
    }

    /// The claims of a new assertion issued at `now` (unix seconds).
    fn claims(&self, now: u64) -> Result<Value, Error> {
        let mut jti = [0u8; JTI_BYTES];
        self.rng
            .fill(&mut jti)
            .map_err(|_| Error::new(ErrorKind::Internal, "no random bytes for the client assertion's jti"))?;
        Ok(json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience,
            "jti": jose::b64url(&jti),
            "iat": now,
            "exp": now + LIFETIME_SECS,
        }))
    }

    /// A freshly signed assertion (compact JWS).
    pub(crate) fn sign(&self) -> Result<Zeroizing<String>, Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Ok(Zeroizing::new(jose::compact(&self.header, &self.claims(now)?, &self.key)?))
    }

    /// The form part that authenticates the client: `client_id`,
    /// `client_assertion_type` and a freshly signed `client_assertion`
    /// (base64url and dots need no escaping).
    pub(crate) fn form_part(&self) -> Result<Zeroizing<String>, Error> {
        let jws = self.sign()?;
        let mut part = Zeroizing::new(String::with_capacity(self.prefix.len() + jws.len()));
        part.push_str(&self.prefix);
        part.push_str(&jws);
        Ok(part)
    }

    /// The signed assertion inside a [`Assertion::form_part`].
    pub(crate) fn jws_of<'a>(&self, part: &'a str) -> &'a str {
        part.get(self.prefix.len()..).unwrap_or_default()
    }

    /// The key's JWK thumbprint (private keys only), to tell one key from another.
    pub(crate) fn key_thumbprint(&self) -> Option<String> {
        self.key.thumbprint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::b64url_decode;

    fn decode(jws: &str) -> (Value, Value) {
        let p: Vec<&str> = jws.split('.').collect();
        let j = |s: &str| serde_json::from_slice::<Value>(&b64url_decode(s).unwrap()).unwrap();
        (j(p[0]), j(p[1]))
    }

    const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys/p256.pkcs8.pem");

    #[test]
    fn private_key_jwt_claims_and_header() {
        let cfg = Config::new("https://iam/t", "svc", "")
            .auth_method(AuthMethod::PrivateKeyJwt)
            .private_key(KeySource::File(KEY.into()));
        let a = Assertion::new(&cfg).unwrap().unwrap();
        let (h, c) = decode(&a.sign().unwrap());
        assert_eq!(h["alg"], "ES256");
        assert_eq!(h["kid"].as_str(), a.key_thumbprint().as_deref());
        assert_eq!(
            (c["iss"].as_str(), c["sub"].as_str(), c["aud"].as_str()),
            (Some("svc"), Some("svc"), Some("https://iam/t"))
        );
        let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
        assert!(exp > iat && exp - iat <= 60);
        assert!(b64url_decode(c["jti"].as_str().unwrap()).unwrap().len() >= 16);
        let (_, c2) = decode(&a.sign().unwrap());
        assert_ne!(c["jti"], c2["jti"], "a fresh jti per assertion");
    }

    #[test]
    fn client_secret_jwt_has_no_kid_unless_given_and_audience_can_be_set() {
        let cfg = Config::new("https://iam/t", "svc", "a-long-client-secret").auth_method(AuthMethod::ClientSecretJwt);
        let (h, _) = decode(&Assertion::new(&cfg).unwrap().unwrap().sign().unwrap());
        assert_eq!(h["alg"], "HS256");
        assert!(h.get("kid").is_none());
        let cfg = cfg.key_id("k7").assertion_audience("https://iam/realms/x").signing_alg("HS512");
        let (h, c) = decode(&Assertion::new(&cfg).unwrap().unwrap().sign().unwrap());
        assert_eq!(
            (h["alg"].as_str(), h["kid"].as_str(), c["aud"].as_str()),
            (Some("HS512"), Some("k7"), Some("https://iam/realms/x"))
        );
    }

    #[test]
    fn other_methods_make_no_assertion() {
        assert!(Assertion::new(&Config::new("https://iam/t", "svc", "s")).unwrap().is_none());
    }

    #[test]
    fn form_part() {
        let cfg = Config::new("https://iam/t", "a b", "secret-secret").auth_method(AuthMethod::ClientSecretJwt);
        let part = Assertion::new(&cfg).unwrap().unwrap().form_part().unwrap();
        let prefix = "client_id=a+b&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=";
        assert!(part.starts_with(prefix), "{}", &*part);
        assert_eq!(part[prefix.len()..].split('.').count(), 3);
    }
}
