//! JWS compact serialization (RFC 7515 §7.1) over a [`SigningKey`], for
//! client assertions (RFC 7523) and DPoP proofs (RFC 9449).

use crate::error::Error;
use crate::keys::SigningKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;

/// Base64url without padding (RFC 7515 §2).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; None when it is not.
#[cfg_attr(not(test), allow(dead_code))] // used by the tests
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// `BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)`.
/// The header's `alg` is set to the key's algorithm (an `alg` already in
/// `header` must equal it); `header` and `claims` must be JSON objects.
pub(crate) fn compact(header: &Value, claims: &Value, key: &SigningKey) -> Result<String, Error> {
    let mut header = header.clone();
    let Some(h) = header.as_object_mut() else {
        return Err(Error::new(crate::error::ErrorKind::Internal, "JWS header is not a JSON object"));
    };
    match h.get("alg").and_then(Value::as_str) {
        Some(alg) if alg != key.alg() => {
            return Err(Error::new(
                crate::error::ErrorKind::Internal,
                format!("JWS header alg {} does not match the key's {}", crate::error::sanitize(alg, 20), key.alg()),
            ));
        }
        _ => {
            h.insert("alg".into(), Value::from(key.alg()));
        }
    }
    if !claims.is_object() {
        return Err(Error::new(crate::error::ErrorKind::Internal, "JWS claims are not a JSON object"));
    }
    let mut out = b64url(header.to_string().as_bytes());
    out.push('.');
    out.push_str(&b64url(claims.to_string().as_bytes()));
    let signature = key.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64url(&signature));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../../tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn keys() -> Vec<SigningKey> {
        let mut keys = Vec::new();
        for (file, algs) in [
            ("rsa2048.pkcs8.pem", &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"][..]),
            ("rsa2048.pkcs1.pem", &["RS256"][..]),
            ("p256.sec1.pem", &["ES256"][..]),
            ("p384.pkcs8.pem", &["ES384"][..]),
            ("ed25519.pkcs8.pem", &["EdDSA"][..]),
        ] {
            for alg in algs {
                keys.push(SigningKey::from_pem(&fixture(file), Some(alg)).unwrap());
            }
        }
        keys.push(SigningKey::generate_es256().unwrap());
        keys
    }

    #[test]
    fn compact_round_trip_for_every_alg() {
        let claims = json!({"iss": "svc", "sub": "svc", "aud": "https://iam/token", "jti": "j1", "exp": 2});
        let mut seen = std::collections::BTreeSet::new();
        for key in keys() {
            let jws = compact(&json!({"typ": "JWT", "kid": "k1"}), &claims, &key).unwrap();
            let parts: Vec<&str> = jws.split('.').collect();
            assert_eq!(parts.len(), 3);
            let header: Value = serde_json::from_slice(&b64url_decode(parts[0]).unwrap()).unwrap();
            assert_eq!(header, json!({"typ": "JWT", "kid": "k1", "alg": key.alg()}));
            let body: Value = serde_json::from_slice(&b64url_decode(parts[1]).unwrap()).unwrap();
            assert_eq!(body, claims);
            let signing_input = &jws[..parts[0].len() + 1 + parts[1].len()];
            let sig = b64url_decode(parts[2]).unwrap();
            let jwk = key.public_jwk().unwrap();
            assert!(crate::keys::tests::verify_with_jwk(&jwk, key.alg(), signing_input.as_bytes(), &sig), "{key:?}");
            // A changed claim breaks the signature.
            let forged = format!("{}.{}", parts[0], b64url(br#"{"iss":"evil"}"#));
            assert!(!crate::keys::tests::verify_with_jwk(&jwk, key.alg(), forged.as_bytes(), &sig));
            seen.insert(key.alg());
        }
        assert_eq!(seen.len(), 9);
    }

    #[test]
    fn compact_hmac_round_trip() {
        for alg in ["HS256", "HS384", "HS512"] {
            let key = SigningKey::hmac(b"the-client-secret", Some(alg)).unwrap();
            let jws = compact(&json!({}), &json!({"a": 1}), &key).unwrap();
            let (input, sig) = jws.rsplit_once('.').unwrap();
            let ring_alg = match alg {
                "HS256" => ring::hmac::HMAC_SHA256,
                "HS384" => ring::hmac::HMAC_SHA384,
                _ => ring::hmac::HMAC_SHA512,
            };
            let k = ring::hmac::Key::new(ring_alg, b"the-client-secret");
            ring::hmac::verify(&k, input.as_bytes(), &b64url_decode(sig).unwrap()).unwrap();
            let wrong = ring::hmac::Key::new(ring_alg, b"another-secret");
            assert!(ring::hmac::verify(&wrong, input.as_bytes(), &b64url_decode(sig).unwrap()).is_err());
        }
    }

    #[test]
    fn header_alg_must_match_and_inputs_must_be_objects() {
        let key = SigningKey::hmac(b"s3cret-s3cret", None).unwrap();
        assert!(compact(&json!({"alg": "none"}), &json!({}), &key).is_err());
        assert!(compact(&json!({"alg": "HS256"}), &json!({}), &key).is_ok());
        assert!(compact(&json!([]), &json!({}), &key).is_err());
        assert!(compact(&json!({}), &json!("x"), &key).is_err());
    }
}
