//! Signing keys for JWS (RFC 7515): the private key of `private_key_jwt`
//! (RFC 7523) and DPoP (RFC 9449), or the client secret of
//! `client_secret_jwt` as an HMAC key.
//!
//! Every signature, HMAC and random number comes from `ring` (already linked
//! through rustls); PEM is parsed by the rustls key types. The copies of the
//! key bytes this module makes (PEM text, DER) are wiped when dropped; the
//! parsed key inside `ring` is not (ring offers no way to), which is the same
//! as for the TLS keys rustls holds. Neither `Debug` nor any error shows key
//! material: errors name the file, the key type and ring's reason only.

use crate::error::Error;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use ring::{digest, hmac};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use serde_json::{json, Value};
use std::fmt;
use std::path::Path;
use zeroize::Zeroizing;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037 for EdDSA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

const ALL_ALGS: [Alg; 12] = [
    Alg::HS256,
    Alg::HS384,
    Alg::HS512,
    Alg::RS256,
    Alg::RS384,
    Alg::RS512,
    Alg::PS256,
    Alg::PS384,
    Alg::PS512,
    Alg::ES256,
    Alg::ES384,
    Alg::EdDSA,
];

impl Alg {
    /// The JWS `alg` header value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Parses a JWS `alg` name (case-insensitive: `rs256` is RS256).
    pub(crate) fn parse(name: &str) -> Result<Alg, Error> {
        ALL_ALGS.into_iter().find(|a| a.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            Error::config(format!(
                "unknown signing algorithm {:?} (expected one of HS256, HS384, HS512, RS256, RS384, RS512, \
                 PS256, PS384, PS512, ES256, ES384, EdDSA)",
                crate::error::sanitize(name, 40)
            ))
        })
    }
}

/// What kind of key this is (for messages and `Debug`; never the material).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Hmac,
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Hmac => "HMAC secret",
            Kind::Rsa => "RSA key",
            Kind::P256 => "EC P-256 key",
            Kind::P384 => "EC P-384 key",
            Kind::Ed25519 => "Ed25519 key",
        }
    }

    /// The algorithm used when none is configured.
    fn default_alg(self) -> Alg {
        match self {
            Kind::Hmac => Alg::HS256,
            Kind::Rsa => Alg::RS256,
            Kind::P256 => Alg::ES256,
            Kind::P384 => Alg::ES384,
            Kind::Ed25519 => Alg::EdDSA,
        }
    }

    fn allows(self, alg: Alg) -> bool {
        use Alg::*;
        match self {
            Kind::Hmac => matches!(alg, HS256 | HS384 | HS512),
            Kind::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            Kind::P256 => alg == ES256,
            Kind::P384 => alg == ES384,
            Kind::Ed25519 => alg == EdDSA,
        }
    }

    fn algs(self) -> &'static str {
        match self {
            Kind::Hmac => "HS256, HS384 or HS512",
            Kind::Rsa => "RS256, RS384, RS512, PS256, PS384 or PS512",
            Kind::P256 => "ES256",
            Kind::P384 => "ES384",
            Kind::Ed25519 => "EdDSA",
        }
    }
}

enum Inner {
    Hmac(hmac::Key),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key that signs JWS: an RSA, EC (P-256, P-384) or Ed25519 private key,
/// or an HMAC secret; with the one algorithm chosen for it at load time.
pub(crate) struct SigningKey {
    alg: Alg,
    kind: Kind,
    inner: Inner,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kind", &self.kind.describe()).field("alg", &self.alg.name()).finish()
    }
}

fn parse_alg(alg: Option<&str>) -> Result<Option<Alg>, Error> {
    alg.filter(|a| !a.trim().is_empty()).map(Alg::parse).transpose()
}

fn choose_alg(kind: Kind, alg: Option<&str>) -> Result<Alg, Error> {
    match parse_alg(alg)? {
        None => Ok(kind.default_alg()),
        Some(a) if kind.allows(a) => Ok(a),
        Some(a) => Err(Error::config(format!(
            "signing algorithm {} does not fit the {} (use {})",
            a.name(),
            kind.describe(),
            kind.algs()
        ))),
    }
}

fn rejected(what: &str, e: ring::error::KeyRejected) -> Error {
    // KeyRejected's text is a fixed reason such as "InvalidEncoding" or "TooSmall".
    let why = match e.to_string().as_str() {
        "TooSmall" => "too small: RSA keys need at least 2048 bits".to_string(),
        "TooLarge" => "too large: RSA keys of at most 8192 bits".to_string(),
        other => other.to_string(),
    };
    Error::config(format!("the private key was refused: {what} ({why})"))
}

impl SigningKey {
    /// An HMAC key (`client_secret_jwt`): HS256 unless `alg` says HS384 or HS512.
    pub(crate) fn hmac(secret: &[u8], alg: Option<&str>) -> Result<SigningKey, Error> {
        if secret.is_empty() {
            return Err(Error::config("an HMAC signing key (the client secret) may not be empty"));
        }
        let alg = choose_alg(Kind::Hmac, alg)?;
        let ring_alg = match alg {
            Alg::HS384 => hmac::HMAC_SHA384,
            Alg::HS512 => hmac::HMAC_SHA512,
            _ => hmac::HMAC_SHA256,
        };
        Ok(SigningKey { alg, kind: Kind::Hmac, inner: Inner::Hmac(hmac::Key::new(ring_alg, secret)) })
    }

    /// A private key from a PEM file (see [`SigningKey::from_pem`]).
    pub(crate) fn from_file(path: &Path, alg: Option<&str>) -> Result<SigningKey, Error> {
        // Bounded: a device, FIFO or huge file is refused without being read to the end.
        let pem = crate::settings::read_small_file(path, crate::client_cert::MAX_PEM_FILE).map_err(|e| {
            Error::config(format!("cannot read the private key file {}: {e}", crate::error::shown_path(path)))
        })?;
        SigningKey::from_pem(&pem, alg)
            .map_err(|e| Error::config(format!("private key file {}: {}", crate::error::shown_path(path), e.message())))
    }

    /// A private key from PEM text: PKCS#8 (`BEGIN PRIVATE KEY`: RSA, EC
    /// P-256/P-384, Ed25519), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1
    /// (`BEGIN EC PRIVATE KEY`). The first private key in the text is used.
    /// `alg` defaults to RS256 for RSA and follows the key otherwise.
    pub(crate) fn from_pem(pem: &[u8], alg: Option<&str>) -> Result<SigningKey, Error> {
        if pem.windows(9).any(|w| w == b"ENCRYPTED") {
            return Err(Error::config(
                "the private key is encrypted; give it unencrypted (for example `openssl pkey -in KEY -out PLAIN`) \
                 and protect the file instead",
            ));
        }
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            Error::config(format!(
                "no usable private key in the PEM text ({}); expected BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or \
                 BEGIN EC PRIVATE KEY",
                pem_error(&e)
            ))
        })?;
        let parsed = match &der {
            PrivateKeyDer::Pkcs1(k) => Self::rsa_pkcs1(k.secret_pkcs1_der(), alg),
            PrivateKeyDer::Sec1(k) => Self::sec1(k.secret_sec1_der(), alg),
            PrivateKeyDer::Pkcs8(k) => Self::pkcs8(k.secret_pkcs8_der(), alg),
            _ => Err(Error::config("unsupported private key format")),
        };
        drop(der); // wiped on drop by rustls-pki-types
        parsed
    }

    /// A fresh ES256 key (P-256), for DPoP when no key file is configured.
    pub(crate) fn generate_es256() -> Result<SigningKey, Error> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::new(crate::error::ErrorKind::Internal, "could not generate an ES256 key"))?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        Self::pkcs8(&pkcs8, Some("ES256"))
    }

    fn rsa_pkcs1(der: &[u8], alg: Option<&str>) -> Result<SigningKey, Error> {
        let alg = choose_alg(Kind::Rsa, alg)?;
        let pair = RsaKeyPair::from_der(der).map_err(|e| rejected("RSA, PKCS#1", e))?;
        Ok(SigningKey { alg, kind: Kind::Rsa, inner: Inner::Rsa(pair) })
    }

    fn sec1(der: &[u8], alg: Option<&str>) -> Result<SigningKey, Error> {
        let pkcs8 = der::sec1_to_pkcs8(der)?;
        Self::pkcs8(&pkcs8, alg)
    }

    fn pkcs8(der: &[u8], alg: Option<&str>) -> Result<SigningKey, Error> {
        let rng = SystemRandom::new();
        let kind = der::pkcs8_kind(der)?;
        let alg = choose_alg(kind, alg)?;
        let inner = match kind {
            Kind::Rsa => Inner::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|e| rejected("RSA, PKCS#8", e))?),
            Kind::P256 => Inner::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(|e| rejected("EC P-256", e))?,
            ),
            Kind::P384 => Inner::Ec(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der, &rng)
                    .map_err(|e| rejected("EC P-384", e))?,
            ),
            Kind::Ed25519 => {
                Inner::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| rejected("Ed25519", e))?)
            }
            Kind::Hmac => unreachable!("pkcs8_kind never says Hmac"),
        };
        Ok(SigningKey { alg, kind, inner })
    }

    /// The JWS `alg` header value.
    pub(crate) fn alg(&self) -> &'static str {
        self.alg.name()
    }

    /// Whether this is an HMAC secret rather than a private key.
    pub(crate) fn is_hmac(&self) -> bool {
        self.kind == Kind::Hmac
    }

    /// The JWS signature of `msg` (for ES256/ES384 the fixed-width `r || s` of RFC 7518 §3.4).
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = || Error::new(crate::error::ErrorKind::Internal, format!("{} signature failed", self.alg.name()));
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Hmac(k) => Ok(hmac::sign(k, msg).as_ref().to_vec()),
            Inner::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, msg, &mut sig).map_err(|_| failed())?;
                Ok(sig)
            }
            Inner::Ec(pair) => Ok(pair.sign(&rng, msg).map_err(|_| failed())?.as_ref().to_vec()),
            Inner::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
        }
    }

    /// The public key as a JWK with exactly the members RFC 7638 §3.2
    /// requires (`kty` and `n`, `e` / `crv`, `x`, `y` / `crv`, `x`); None for
    /// an HMAC secret, which has no public half.
    pub(crate) fn public_jwk(&self) -> Option<Value> {
        use crate::jose::b64url;
        match &self.inner {
            Inner::Hmac(_) => None,
            Inner::Rsa(pair) => {
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                Some(json!({"kty": "RSA", "n": b64url(&c.n), "e": b64url(&c.e)}))
            }
            Inner::Ec(pair) => {
                // Uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                let crv = if self.kind == Kind::P256 { "P-256" } else { "P-384" };
                Some(json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64url(&point[1..1 + half]),
                    "y": b64url(&point[1 + half..]),
                }))
            }
            Inner::Ed25519(pair) => {
                Some(json!({"kty": "OKP", "crv": "Ed25519", "x": b64url(pair.public_key().as_ref())}))
            }
        }
    }

    /// The RFC 7638 JWK thumbprint (base64url SHA-256) of the public key; None for an HMAC secret.
    pub(crate) fn thumbprint(&self) -> Option<String> {
        self.public_jwk().and_then(|jwk| jwk_thumbprint(&jwk))
    }
}

/// The RFC 7638 thumbprint of a public JWK: base64url(SHA-256) of the
/// required members in lexicographic order, without whitespace. None when a
/// required member is missing or the `kty` is not RSA, EC or OKP.
pub(crate) fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    // The values are base64url or fixed names; serde_json escapes anything else the same way a
    // JSON serializer must (RFC 7638 §3.3).
    let s = |v: &str| Value::String(v.to_string()).to_string();
    let canonical = match member("kty")? {
        "RSA" => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, s(member("e")?), s(member("n")?)),
        "EC" => {
            format!(r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#, s(member("crv")?), s(member("x")?), s(member("y")?))
        }
        "OKP" => format!(r#"{{"crv":{},"kty":"OKP","x":{}}}"#, s(member("crv")?), s(member("x")?)),
        _ => return None,
    };
    Some(crate::jose::b64url(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref()))
}

fn pem_error(e: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::NoItemsFound => "no private key section found",
        E::MissingSectionEnd { .. } => "a section has no END line",
        E::IllegalSectionStart { .. } => "malformed BEGIN line",
        E::Base64Decode(_) => "invalid base64",
        _ => "unreadable PEM",
    }
}

/// The few DER pieces needed here: which key a PKCS#8 holds, and wrapping a
/// SEC1 EC key into PKCS#8 (the only EC form ring loads).
mod der {
    use super::Kind;
    use crate::error::Error;
    use zeroize::Zeroizing;

    pub(super) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub(super) const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub(super) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub(super) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub(super) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    pub(super) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;
    const OID: u8 = 0x06;
    const CONTEXT_0: u8 = 0xa0;

    fn malformed(what: &str) -> Error {
        Error::config(format!("the private key is not valid DER ({what})"))
    }

    /// Reads one TLV (definite length, at most 4 length bytes) from the
    /// front of `input`: (tag, value, rest).
    pub(super) fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    fn expect<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), Error> {
        match read(input) {
            Some((t, value, rest)) if t == tag => Ok((value, rest)),
            _ => Err(malformed(what)),
        }
    }

    /// Appends a TLV with a definite length to `out`.
    pub(super) fn write(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
        out.push(tag);
        let len = value.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = (len as u32).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (4 - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(value);
    }

    /// The key type in a PKCS#8 PrivateKeyInfo (RFC 5208 / RFC 5958).
    pub(super) fn pkcs8_kind(der: &[u8]) -> Result<Kind, Error> {
        let (info, _) = expect(der, SEQUENCE, "PKCS#8 PrivateKeyInfo")?;
        let (_version, rest) = expect(info, INTEGER, "PKCS#8 version")?;
        let (alg_id, _) = expect(rest, SEQUENCE, "PKCS#8 AlgorithmIdentifier")?;
        let (oid, params) = expect(alg_id, OID, "PKCS#8 algorithm")?;
        match oid {
            OID_RSA => Ok(Kind::Rsa),
            OID_ED25519 => Ok(Kind::Ed25519),
            OID_EC_PUBLIC_KEY => match expect(params, OID, "EC curve")?.0 {
                OID_P256 => Ok(Kind::P256),
                OID_P384 => Ok(Kind::P384),
                _ => Err(Error::config("unsupported EC curve in the private key (supported: P-256, P-384)")),
            },
            OID_RSA_PSS => Err(Error::config(
                "unsupported private key type RSASSA-PSS (give a plain RSA key; PS256 is chosen with the signing algorithm)",
            )),
            _ => Err(Error::config("unsupported private key type (supported: RSA, EC P-256, EC P-384, Ed25519)")),
        }
    }

    /// Wraps a SEC1 ECPrivateKey (RFC 5915) into a PKCS#8 PrivateKeyInfo
    /// with the curve taken from its parameters, or from the private key's
    /// length when it has none.
    pub(super) fn sec1_to_pkcs8(sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (body, _) = expect(sec1, SEQUENCE, "SEC1 ECPrivateKey")?;
        let (_version, rest) = expect(body, INTEGER, "SEC1 version")?;
        let (private, mut rest) = expect(rest, OCTET_STRING, "SEC1 private key")?;
        let mut curve = None;
        if let Some((CONTEXT_0, params, after)) = read(rest) {
            curve = Some(expect(params, OID, "SEC1 curve")?.0);
            rest = after;
        }
        let _ = rest;
        let curve = match curve {
            Some(OID_P256) => OID_P256,
            Some(OID_P384) => OID_P384,
            Some(_) => {
                return Err(Error::config("unsupported EC curve in the private key (supported: P-256, P-384)"));
            }
            None if private.len() == 32 => OID_P256,
            None if private.len() == 48 => OID_P384,
            None => return Err(Error::config("cannot tell the EC curve of the private key (supported: P-256, P-384)")),
        };
        let mut alg_id = Vec::new();
        write(&mut alg_id, OID, OID_EC_PUBLIC_KEY);
        write(&mut alg_id, OID, curve);
        let mut info = Zeroizing::new(Vec::with_capacity(sec1.len() + 32));
        write(&mut info, INTEGER, &[0]);
        write(&mut info, SEQUENCE, &alg_id);
        write(&mut info, OCTET_STRING, sec1);
        let mut out = Zeroizing::new(Vec::with_capacity(info.len() + 4));
        write(&mut out, SEQUENCE, &info);
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::jose::{b64url, b64url_decode};

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys/", $name)).as_slice()
        };
    }

    const RSA_PKCS8: &[u8] = fixture!("rsa2048.pkcs8.pem");
    const RSA_PKCS1: &[u8] = fixture!("rsa2048.pkcs1.pem");
    const P256_PKCS8: &[u8] = fixture!("p256.pkcs8.pem");
    const P256_SEC1: &[u8] = fixture!("p256.sec1.pem");
    const P384_PKCS8: &[u8] = fixture!("p384.pkcs8.pem");
    const P384_SEC1: &[u8] = fixture!("p384.sec1.pem");
    const ED25519: &[u8] = fixture!("ed25519.pkcs8.pem");

    /// Verifies `sig` over `msg` with ring's verification API, from the
    /// public JWK alone (so this also checks `public_jwk`).
    pub(crate) fn verify_with_jwk(jwk: &Value, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
        let m = |n: &str| b64url_decode(jwk[n].as_str().unwrap()).unwrap();
        match alg {
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
                let params: &signature::RsaParameters = match alg {
                    "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                    "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                signature::RsaPublicKeyComponents { n: m("n"), e: m("e") }.verify(params, msg, sig).is_ok()
            }
            "ES256" | "ES384" => {
                let mut point = vec![4];
                point.extend(m("x"));
                point.extend(m("y"));
                let a: &signature::EcdsaVerificationAlgorithm = if alg == "ES256" {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                };
                signature::UnparsedPublicKey::new(a, point).verify(msg, sig).is_ok()
            }
            "EdDSA" => signature::UnparsedPublicKey::new(&signature::ED25519, m("x")).verify(msg, sig).is_ok(),
            other => panic!("no verifier for {other}"),
        }
    }

    fn round_trip(key: &SigningKey) {
        let msg = b"header.payload";
        let sig = key.sign(msg).unwrap();
        let jwk = key.public_jwk().unwrap();
        assert!(verify_with_jwk(&jwk, key.alg(), msg, &sig), "{} signature verifies", key.alg());
        assert!(!verify_with_jwk(&jwk, key.alg(), b"header.payloaD", &sig), "{} rejects another message", key.alg());
    }

    #[test]
    fn every_format_and_algorithm_signs_and_verifies() {
        for (pem, alg, expect) in [
            (RSA_PKCS8, None, "RS256"),
            (RSA_PKCS1, None, "RS256"),
            (RSA_PKCS8, Some("RS384"), "RS384"),
            (RSA_PKCS8, Some("RS512"), "RS512"),
            (RSA_PKCS8, Some("PS256"), "PS256"),
            (RSA_PKCS1, Some("ps384"), "PS384"),
            (RSA_PKCS8, Some("PS512"), "PS512"),
            (P256_PKCS8, None, "ES256"),
            (P256_SEC1, None, "ES256"),
            (P384_PKCS8, None, "ES384"),
            (P384_SEC1, Some("ES384"), "ES384"),
            (ED25519, None, "EdDSA"),
        ] {
            let key = SigningKey::from_pem(pem, alg).unwrap_or_else(|e| panic!("{expect}: {e}"));
            assert_eq!(key.alg(), expect);
            round_trip(&key);
        }
    }

    #[test]
    fn ecdsa_signatures_are_fixed_width() {
        let p256 = SigningKey::from_pem(P256_PKCS8, None).unwrap();
        let p384 = SigningKey::from_pem(P384_SEC1, None).unwrap();
        for _ in 0..8 {
            assert_eq!(p256.sign(b"m").unwrap().len(), 64);
            assert_eq!(p384.sign(b"m").unwrap().len(), 96);
        }
    }

    #[test]
    fn pkcs1_and_pkcs8_of_one_key_agree_and_sec1_matches_its_pkcs8() {
        let a = SigningKey::from_pem(RSA_PKCS1, None).unwrap();
        let b = SigningKey::from_pem(RSA_PKCS8, None).unwrap();
        assert_eq!(a.public_jwk(), b.public_jwk());
        for (sec1, pkcs8) in [(P256_SEC1, P256_PKCS8), (P384_SEC1, P384_PKCS8)] {
            let a = SigningKey::from_pem(sec1, None).unwrap();
            let b = SigningKey::from_pem(pkcs8, None).unwrap();
            assert_eq!(a.public_jwk(), b.public_jwk());
        }
    }

    #[test]
    fn hmac_keys() {
        for (alg, expect, len) in [(None, "HS256", 32), (Some("HS384"), "HS384", 48), (Some("HS512"), "HS512", 64)] {
            let key = SigningKey::hmac(b"a-client-secret", alg).unwrap();
            assert_eq!(key.alg(), expect);
            assert!(key.is_hmac() && key.public_jwk().is_none() && key.thumbprint().is_none());
            let sig = key.sign(b"msg").unwrap();
            assert_eq!(sig.len(), len);
            let ring_alg = match expect {
                "HS256" => hmac::HMAC_SHA256,
                "HS384" => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            hmac::verify(&hmac::Key::new(ring_alg, b"a-client-secret"), b"msg", &sig).unwrap();
        }
        assert!(SigningKey::hmac(b"", None).is_err());
        assert!(SigningKey::hmac(b"s", Some("RS256")).unwrap_err().message().contains("does not fit"));
    }

    #[test]
    fn the_algorithm_must_fit_the_key() {
        for (pem, alg) in [
            (RSA_PKCS8, "ES256"),
            (RSA_PKCS8, "HS256"),
            (P256_PKCS8, "ES384"),
            (P256_PKCS8, "RS256"),
            (P384_PKCS8, "ES256"),
            (ED25519, "ES256"),
        ] {
            let e = SigningKey::from_pem(pem, Some(alg)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidConfig);
            assert!(e.message().contains("does not fit"), "{e}");
        }
        let e = SigningKey::from_pem(RSA_PKCS8, Some("none")).unwrap_err();
        assert!(e.message().contains("unknown signing algorithm"), "{e}");
    }

    #[test]
    fn generated_es256_key() {
        let a = SigningKey::generate_es256().unwrap();
        let b = SigningKey::generate_es256().unwrap();
        assert_eq!(a.alg(), "ES256");
        round_trip(&a);
        assert_ne!(a.thumbprint(), b.thumbprint(), "a fresh key each time");
    }

    /// RFC 7638 §3.1.
    #[test]
    fn thumbprint_of_the_rfc_7638_example() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(jwk_thumbprint(&jwk).as_deref(), Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
        assert_eq!(jwk_thumbprint(&json!({"kty": "oct", "k": "x"})), None);
    }

    /// The JWKs Node's crypto exported from the same PEM files (an independent implementation).
    #[test]
    fn public_jwk_matches_an_independent_export() {
        let node: Value = serde_json::from_slice(fixture!("public.jwks.json")).unwrap();
        for (name, pem) in [("rsa2048", RSA_PKCS1), ("p256", P256_SEC1), ("p384", P384_PKCS8), ("ed25519", ED25519)] {
            assert_eq!(SigningKey::from_pem(pem, None).unwrap().public_jwk().unwrap(), node[name], "{name}");
        }
    }

    #[test]
    fn public_jwk_has_only_the_required_members() {
        let members = |pem: &[u8]| {
            let jwk = SigningKey::from_pem(pem, None).unwrap().public_jwk().unwrap();
            let mut k: Vec<String> = jwk.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(members(RSA_PKCS8), ["e", "kty", "n"]);
        assert_eq!(members(P256_PKCS8), ["crv", "kty", "x", "y"]);
        assert_eq!(members(ED25519), ["crv", "kty", "x"]);
        let key = SigningKey::from_pem(P384_SEC1, None).unwrap();
        assert_eq!(key.public_jwk().unwrap()["crv"], "P-384");
        assert_eq!(key.thumbprint(), jwk_thumbprint(&key.public_jwk().unwrap()));
        assert_eq!(key.thumbprint().unwrap().len(), 43);
    }

    #[test]
    fn bad_keys_are_clear_config_errors_without_key_bytes() {
        let rsa1024 = fixture!("rsa1024.pkcs8.pem");
        let k1 = fixture!("secp256k1.sec1.pem");
        fn body(pem: &[u8]) -> Vec<&str> {
            let s = std::str::from_utf8(pem).unwrap();
            s.lines().filter(|l| !l.starts_with("-----")).collect()
        }
        let garbage = b"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAAS\n-----END PRIVATE KEY-----\n";
        let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBVQ==\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let cert_only = b"-----BEGIN CERTIFICATE-----\nMIIBVQ==\n-----END CERTIFICATE-----\n";
        for (pem, want) in [
            (rsa1024, "at least 2048 bits"),
            (k1, "unsupported EC curve"),
            (&garbage[..], "not valid DER"),
            (&encrypted[..], "encrypted"),
            (&cert_only[..], "no usable private key"),
            (b"", "no usable private key"),
        ] {
            let e = SigningKey::from_pem(pem, None).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidConfig);
            let text = format!("{e} {e:?}");
            assert!(text.contains(want), "{want:?} in {text}");
            for line in body(pem) {
                for chunk in line.as_bytes().chunks(12).filter(|c| c.len() == 12) {
                    assert!(!text.contains(std::str::from_utf8(chunk).unwrap()), "key bytes in {text}");
                }
            }
        }
        let e = SigningKey::from_file(Path::new("/nonexistent/key.pem"), None).unwrap_err();
        assert!(e.message().contains("/nonexistent/key.pem") && e.message().contains("cannot read"), "{e}");
    }

    #[test]
    fn debug_shows_kind_and_alg_only() {
        let key = SigningKey::from_pem(RSA_PKCS8, Some("PS256")).unwrap();
        assert_eq!(format!("{key:?}"), r#"SigningKey { kind: "RSA key", alg: "PS256" }"#);
        let hmac = SigningKey::hmac(b"hunter2-secret", None).unwrap();
        assert!(!format!("{hmac:?}").contains("hunter2"));
    }

    #[test]
    fn der_builder_lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let mut out = Vec::new();
            der::write(&mut out, 0x04, &vec![7; len]);
            let (tag, value, rest) = der::read(&out).unwrap();
            assert_eq!((tag, value.len(), rest.len()), (0x04, len, 0));
        }
        let mut out = Vec::new();
        der::write(&mut out, 0x04, &[0; 200]);
        assert_eq!(&out[..3], &[0x04, 0x81, 200]);
        assert!(der::read(&[0x30, 0x05, 1]).is_none(), "truncated");
        assert!(der::read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none(), "length of length too large");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    }

    /// A SEC1 key without the curve parameters gets its curve from the key length.
    #[test]
    fn sec1_without_parameters() {
        let der = PrivateKeyDer::from_pem_slice(P256_SEC1).unwrap();
        let PrivateKeyDer::Sec1(sec1) = der else { panic!("sec1") };
        let (_, body, _) = der::read(sec1.secret_sec1_der()).unwrap();
        // version, privateKey, [0] params, [1] publicKey: drop [0].
        let (_, _, after_version) = der::read(body).unwrap();
        let (_, _, after_private) = der::read(after_version).unwrap();
        let (t, _, after_params) = der::read(after_private).unwrap();
        assert_eq!(t, 0xa0);
        let mut inner = body[..body.len() - after_private.len()].to_vec();
        inner.extend_from_slice(after_params);
        let mut stripped = Vec::new();
        der::write(&mut stripped, 0x30, &inner);
        let wrapped = der::sec1_to_pkcs8(&stripped).unwrap();
        let key = SigningKey::pkcs8(&wrapped, None).unwrap();
        assert_eq!(key.public_jwk(), SigningKey::from_pem(P256_PKCS8, None).unwrap().public_jwk());
    }
}
