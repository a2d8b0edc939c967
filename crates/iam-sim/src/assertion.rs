//! Client authentication with a signed JWT (RFC 7523 §2.2, RFC 7521 §4.2):
//! `client_secret_jwt` (HMAC with the client secret) and `private_key_jwt`
//! (a signature checked against the client's registered public JWKs), as
//! Keycloak's "Signed Jwt" authenticators do: signature, `iss` = `sub` =
//! client id, `aud` (the token endpoint or the realm's issuer), `exp`, and
//! `jti` replay. Written from the RFCs, independently of the client's code.

use crate::config::{AuthMethod, ClientSpec};
use crate::http::Request;
use crate::state::State;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::{hmac, signature};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew allowed on `iat` and `exp`, in seconds.
const SKEW: u64 = 10;

fn b64(s: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| "a part is not base64url".to_string())
}

/// The parts of a compact JWS, decoded; the signature unchecked.
pub(crate) struct Parsed<'a> {
    pub(crate) header: Value,
    pub(crate) claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

pub(crate) fn parse(jws: &str) -> Result<Parsed<'_>, String> {
    let mut parts = jws.split('.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("not a compact JWS (three parts)".into());
    };
    let json = |p: &str| -> Result<Value, String> {
        let v: Value = serde_json::from_slice(&b64(p)?).map_err(|_| "a part is not JSON".to_string())?;
        if v.is_object() {
            Ok(v)
        } else {
            Err("a part is not a JSON object".into())
        }
    };
    Ok(Parsed { header: json(h)?, claims: json(c)?, signing_input: &jws[..h.len() + 1 + c.len()], signature: b64(s)? })
}

/// Which method an assertion's `alg` belongs to.
pub(crate) fn method_of(alg: &str) -> Option<AuthMethod> {
    match alg {
        "HS256" | "HS384" | "HS512" => Some(AuthMethod::SecretJwt),
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "EdDSA" => {
            Some(AuthMethod::PrivateKeyJwt)
        }
        _ => None,
    }
}

fn verify_hmac(alg: &str, secret: &str, p: &Parsed) -> bool {
    let a = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    hmac::verify(&hmac::Key::new(a, secret.as_bytes()), p.signing_input.as_bytes(), &p.signature).is_ok()
}

fn verify_jwk(alg: &str, jwk: &Value, p: &Parsed) -> bool {
    let m = |n: &str| jwk.get(n).and_then(Value::as_str).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
    let msg = p.signing_input.as_bytes();
    match (alg, kty) {
        ("RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512", "RSA") => {
            let params: &signature::RsaParameters = match alg {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            let (Some(n), Some(e)) = (m("n"), m("e")) else { return false };
            signature::RsaPublicKeyComponents { n, e }.verify(params, msg, &p.signature).is_ok()
        }
        ("ES256" | "ES384", "EC") => {
            let a: &signature::EcdsaVerificationAlgorithm = match (alg, crv) {
                ("ES256", "P-256") => &signature::ECDSA_P256_SHA256_FIXED,
                ("ES384", "P-384") => &signature::ECDSA_P384_SHA384_FIXED,
                _ => return false,
            };
            let (Some(x), Some(y)) = (m("x"), m("y")) else { return false };
            let mut point = vec![4];
            point.extend(x);
            point.extend(y);
            signature::UnparsedPublicKey::new(a, point).verify(msg, &p.signature).is_ok()
        }
        ("EdDSA", "OKP") if crv == "Ed25519" => {
            let Some(x) = m("x") else { return false };
            signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(msg, &p.signature).is_ok()
        }
        _ => false,
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// The URLs accepted as `aud`: the token endpoint as requested, and the realm's issuer.
fn audiences(st: &State, req: &Request) -> Vec<String> {
    let scheme = if st.cfg.tls_names.is_some() { "https" } else { "http" };
    let host = req.header("host").unwrap_or_default();
    vec![format!("{scheme}://{host}{}", req.path), format!("{scheme}://{host}/realms/{}", st.cfg.realm)]
}

/// Checks `jws` as the assertion of `client` (already looked up from its
/// `sub`); Err says why it was refused (no secret in it).
pub(crate) fn check(st: &State, req: &Request, client: &ClientSpec, jws: &str) -> Result<(), String> {
    let p = parse(jws)?;
    let alg = p.header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let method = method_of(alg).ok_or_else(|| format!("unsupported alg {alg:?}"))?;
    if !client.methods.contains(&method) {
        return Err(format!("alg {alg} is not allowed for this client's authenticator"));
    }
    let verified = match method {
        AuthMethod::SecretJwt => verify_hmac(alg, &client.secret, &p),
        _ => {
            // Keys with the header's kid first; without a match, every key of the client.
            let kid = p.header.get("kid").and_then(Value::as_str);
            let by_kid: Vec<&Value> =
                client.jwks.iter().filter(|k| kid.is_some() && k.get("kid").and_then(Value::as_str) == kid).collect();
            let keys = if by_kid.is_empty() { client.jwks.iter().collect() } else { by_kid };
            keys.into_iter().any(|k| verify_jwk(alg, k, &p))
        }
    };
    if !verified {
        return Err(format!("signature ({alg}) does not verify"));
    }
    let claim = |n: &str| p.claims.get(n).and_then(Value::as_str);
    if claim("iss") != Some(client.id.as_str()) || claim("sub") != Some(client.id.as_str()) {
        return Err("iss and sub must be the client id".into());
    }
    let auds = audiences(st, req);
    let aud_ok = match p.claims.get("aud") {
        Some(Value::String(a)) => auds.contains(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(|a| auds.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("aud must be one of {auds:?}"));
    }
    let now = now();
    let exp = p.claims.get("exp").and_then(Value::as_u64).ok_or("no exp")?;
    if exp + SKEW < now {
        return Err("expired (exp in the past)".into());
    }
    if let Some(iat) = p.claims.get("iat").and_then(Value::as_u64) {
        if iat > now + SKEW {
            return Err("iat in the future".into());
        }
    }
    if let Some(nbf) = p.claims.get("nbf").and_then(Value::as_u64) {
        if nbf > now + SKEW {
            return Err("not yet valid (nbf)".into());
        }
    }
    let jti = claim("jti").filter(|j| !j.is_empty()).ok_or("no jti")?;
    let mut seen = st.seen_jti.lock();
    seen.retain(|_, e| *e + SKEW >= now);
    if seen.insert((client.id.clone(), jti.to_string()), exp).is_some() {
        return Err("token reuse detected (jti already used)".into());
    }
    Ok(())
}
