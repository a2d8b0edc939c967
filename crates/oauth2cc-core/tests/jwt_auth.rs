//! Client authentication with a signed JWT (`client_secret_jwt`,
//! `private_key_jwt`, RFC 7523) against the simulator, which verifies the
//! assertion's signature (HMAC with the secret, or the client's public JWKs),
//! `iss`, `sub`, `aud`, `exp` and `jti` replay.

mod common;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use oauth2cc_core::KeySource;
use serde_json::{json, Value};
use std::path::PathBuf;

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys")).join(name)
}

/// The public JWK (exported by Node's crypto) of a fixture key.
fn jwk(name: &str) -> Value {
    let all: Value = serde_json::from_slice(&std::fs::read(key_file("public.jwks.json")).unwrap()).unwrap();
    all[name].clone()
}

const SECRET: &str = "a-client-secret-of-sixty-four-bytes-for-hs512-0123456789abcdefgh";

fn jwt_sim() -> Sim {
    let keyed = |id: &str, keys: &[&str]| {
        ClientSpec::new(id, "").methods(&[SimMethod::PrivateKeyJwt]).jwks(keys.iter().map(|k| jwk(k)).collect())
    };
    sim_with(vec![
        keyed("key-rsa", &["rsa2048"]),
        keyed("key-ec", &["p256", "p384"]),
        keyed("key-ed", &["ed25519"]),
        keyed("key-short", &["p256"]).lifetime(2),
        ClientSpec::new("hmac", SECRET).methods(&[SimMethod::SecretJwt]),
        ClientSpec::new("secret-only", SECRET).methods(&[SimMethod::Basic]),
    ])
}

fn key_config(sim: &Sim, id: &str, file: &str) -> Config {
    Config::new(sim.token_url(), id, "")
        .auth_method(AuthMethod::PrivateKeyJwt)
        .private_key(KeySource::File(key_file(file)))
}

/// The header and claims of the last assertion the simulator received.
fn last_assertion(sim: &Sim) -> (Value, Value) {
    let jws = param(sim, "client_assertion").expect("an assertion was sent");
    let p: Vec<&str> = jws.split('.').collect();
    assert_eq!(p.len(), 3);
    let j = |s: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (j(p[0]), j(p[1]))
}

fn thumbprint(jwk: &Value) -> String {
    let s = |k: &str| jwk[k].as_str().unwrap().to_string();
    let canonical = match jwk["kty"].as_str().unwrap() {
        "RSA" => json!({"e": s("e"), "kty": "RSA", "n": s("n")}),
        "EC" => json!({"crv": s("crv"), "kty": "EC", "x": s("x"), "y": s("y")}),
        _ => json!({"crv": s("crv"), "kty": "OKP", "x": s("x")}),
    };
    // serde_json orders object members by name and writes no whitespace (RFC 7638 §3).
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, canonical.to_string().as_bytes()))
}

#[test]
fn private_key_jwt_for_every_key_type_and_algorithm() {
    let sim = jwt_sim();
    for (id, file, alg, want, public) in [
        ("key-rsa", "rsa2048.pkcs8.pem", None, "RS256", "rsa2048"),
        ("key-rsa", "rsa2048.pkcs1.pem", Some("PS256"), "PS256", "rsa2048"),
        ("key-ec", "p256.sec1.pem", None, "ES256", "p256"),
        ("key-ec", "p384.pkcs8.pem", None, "ES384", "p384"),
        ("key-ec", "p384.sec1.pem", Some("ES384"), "ES384", "p384"),
        ("key-ed", "ed25519.pkcs8.pem", None, "EdDSA", "ed25519"),
    ] {
        let mut cfg = key_config(&sim, id, file);
        if let Some(a) = alg {
            cfg = cfg.signing_alg(a);
        }
        let before = requests(&sim);
        let c = Client::new(cfg).unwrap_or_else(|e| panic!("{file}: {e}"));
        let t = c.token().unwrap_or_else(|e| panic!("{file} {want}: {e} ({:?})", sim.stats().last_assertion_error));
        assert_eq!(sim.check_token(t.access_token()), Ok(id.to_string()));
        let (header, claims) = last_assertion(&sim);
        assert_eq!(header["alg"], want);
        assert_eq!(header["kid"].as_str(), Some(thumbprint(&jwk(public)).as_str()), "kid is the RFC 7638 thumbprint");
        assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some(id), Some(id)));
        assert_eq!(claims["aud"].as_str(), Some(sim.token_url().as_str()));
        // Cached: no second request.
        c.token().unwrap();
        assert_eq!(requests(&sim), before + 1, "{file}");
    }
}

#[test]
fn the_assertion_is_sent_in_the_form_with_the_client_id_and_no_basic_header() {
    let sim = jwt_sim();
    Client::new(key_config(&sim, "key-ec", "p256.pkcs8.pem")).unwrap().token().unwrap();
    assert_eq!(param(&sim, "client_id").as_deref(), Some("key-ec"));
    assert_eq!(
        param(&sim, "client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(param(&sim, "client_secret"), None);
    assert_eq!(sim.stats().last_method.as_deref(), Some("private_key_jwt"), "no Authorization header");
    assert_eq!(param(&sim, "grant_type").as_deref(), Some("client_credentials"));
    let (_, claims) = last_assertion(&sim);
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(iat <= now && now - iat < 60, "iat is now");
    assert!(exp > iat && exp - iat <= 60, "exp at most 60 s ahead");
    assert!(URL_SAFE_NO_PAD.decode(claims["jti"].as_str().unwrap()).unwrap().len() >= 16, "jti of 128 bits or more");
}

#[test]
fn client_secret_jwt_with_hs256_hs384_and_hs512() {
    let sim = jwt_sim();
    for alg in [None, Some("HS384"), Some("HS512")] {
        let mut cfg = config(&sim, "hmac", SECRET).auth_method(AuthMethod::ClientSecretJwt);
        if let Some(a) = alg {
            cfg = cfg.signing_alg(a);
        }
        let t = Client::new(cfg).unwrap().token().unwrap();
        assert_eq!(sim.check_token(t.access_token()), Ok("hmac".to_string()));
        let (header, _) = last_assertion(&sim);
        assert_eq!(header["alg"], alg.unwrap_or("HS256"));
        assert!(header.get("kid").is_none(), "no kid unless one is configured");
        assert_eq!(sim.stats().last_method.as_deref(), Some("client_secret_jwt"));
        assert!(!sim.stats().last_params.iter().any(|(_, v)| v.contains(SECRET)), "the secret is not sent");
    }
}

#[test]
fn each_request_has_a_fresh_jti_and_renewal_works() {
    let sim = jwt_sim();
    let c = Client::new(key_config(&sim, "key-short", "p256.pkcs8.pem")).unwrap();
    let first = c.token().unwrap();
    let (_, a) = last_assertion(&sim);
    // Wait for the renewal point the cache chose (a 2 s lifetime).
    std::thread::sleep(first.renew_at().saturating_duration_since(Instant::now()) + Duration::from_millis(20));
    let second = c.token().unwrap();
    assert_ne!(first.access_token(), second.access_token(), "renewed");
    let (_, b) = last_assertion(&sim);
    assert_ne!(a["jti"], b["jti"], "a fresh jti (the simulator refuses a reused one)");
    assert_eq!(requests(&sim), 2);
}

#[test]
fn a_wrong_key_is_a_credential_rejection_with_the_cool_down_and_one_request() {
    let sim = jwt_sim();
    let c = Client::new(key_config(&sim, "key-rsa", "rsa2048-other.pkcs8.pem")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient, "{e}");
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
    assert!(sim.stats().last_assertion_error.unwrap().contains("signature"));
    assert!(e.hint().unwrap().contains("public key"), "{e}");
    for _ in 0..20 {
        let again = c.token().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::InvalidClient);
        assert!(again.is_pause());
        assert!(again.retry_after().unwrap() > Duration::from_secs(50));
    }
    assert_eq!(requests(&sim), 1, "no retry loop: one request for many calls");
}

#[test]
fn a_wrong_secret_with_client_secret_jwt_is_a_credential_rejection() {
    let sim = jwt_sim();
    let c =
        Client::new(config(&sim, "hmac", "not-the-secret-at-all").auth_method(AuthMethod::ClientSecretJwt)).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient);
    assert!(c.token().unwrap_err().is_pause());
    assert_eq!(requests(&sim), 1);
    let shown = format!("{e} {e:?} {c:?}");
    assert!(!shown.contains("not-the-secret"), "{shown}");
}

#[test]
fn a_replayed_assertion_is_refused() {
    let sim = jwt_sim();
    Client::new(key_config(&sim, "key-ed", "ed25519.pkcs8.pem")).unwrap().token().unwrap();
    let form: String = sim
        .stats()
        .last_params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A")))
        .collect::<Vec<_>>()
        .join("&");
    let status = match ureq::post(&sim.token_url()).content_type("application/x-www-form-urlencoded").send(&form) {
        Ok(r) => r.status().as_u16(),
        Err(ureq::Error::StatusCode(s)) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 401);
    assert!(sim.stats().last_assertion_error.unwrap().contains("reuse"));
}

#[test]
fn the_audience_and_kid_can_be_configured() {
    let sim = jwt_sim();
    let issuer = sim.token_url().replace("/protocol/openid-connect/token", "");
    let c = Client::new(key_config(&sim, "key-ec", "p256.pkcs8.pem").assertion_audience(&issuer).key_id("my-key-1"))
        .unwrap();
    c.token().unwrap();
    let (header, claims) = last_assertion(&sim);
    assert_eq!(claims["aud"].as_str(), Some(issuer.as_str()));
    assert_eq!(header["kid"], "my-key-1");
    // An audience the server does not accept is a rejection of the credentials.
    let c =
        Client::new(key_config(&sim, "key-ed", "ed25519.pkcs8.pem").assertion_audience("https://elsewhere/")).unwrap();
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    assert!(sim.stats().last_assertion_error.unwrap().contains("aud"));
}

#[test]
fn a_client_not_registered_for_jwt_auth_is_refused() {
    let sim = jwt_sim();
    let c = Client::new(config(&sim, "secret-only", SECRET).auth_method(AuthMethod::ClientSecretJwt)).unwrap();
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidClient);
}

#[test]
fn a_bad_key_fails_client_creation_without_a_request() {
    let sim = jwt_sim();
    let pem = |f: &str| KeySource::Pem(std::fs::read_to_string(key_file(f)).unwrap().into());
    let base = || Config::new(sim.token_url(), "key-rsa", "").auth_method(AuthMethod::PrivateKeyJwt);
    for (cfg, want) in [
        (base().private_key(KeySource::File(key_file("missing.pem"))), "cannot read"),
        (base().private_key(pem("rsa1024.pkcs8.pem")), "refused"),
        (base().private_key(pem("secp256k1.sec1.pem")), "curve"),
        (base().private_key(KeySource::Pem("not a key".into())), "no usable private key"),
        (base().private_key(pem("p256.pkcs8.pem")).signing_alg("RS256"), "does not fit"),
        (base().private_key(pem("rsa2048.pkcs8.pem")).signing_alg("HS256"), "does not fit"),
        (base(), "needs a private key"),
        (config(&sim, "hmac", SECRET).auth_method(AuthMethod::ClientSecretJwt).signing_alg("RS256"), "does not fit"),
        (config(&sim, "svc", "s3cret-value").private_key(pem("p256.pkcs8.pem")), "private_key_jwt"),
    ] {
        let e = Client::new(cfg).map(|_| ()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        assert!(e.message().contains(want), "{want:?} in {e}");
        assert!(!e.to_string().contains("MII"), "no key bytes in {e}");
    }
    assert_eq!(requests(&sim), 0);
}

#[test]
fn pem_text_works_like_a_file() {
    let sim = jwt_sim();
    let text = std::fs::read_to_string(key_file("rsa2048.pkcs1.pem")).unwrap();
    let cfg = Config::new(sim.token_url(), "key-rsa", "")
        .auth_method(AuthMethod::PrivateKeyJwt)
        .private_key(KeySource::Pem(text.clone().into()));
    let shown = format!("{cfg:?}");
    assert!(!shown.contains(&text[40..80]), "Debug hides the PEM text: {shown}");
    let c = Client::new(cfg).unwrap();
    c.token().unwrap();
    assert!(!format!("{c:?}").contains(&text[40..80]));
}

#[test]
fn with_discovery_the_key_is_checked_at_creation_and_private_key_jwt_is_picked() {
    let sim = jwt_sim();
    let from_issuer = |key: KeySource| Config::new("", "key-ec", "").issuer(sim.issuer()).private_key(key);
    // A bad key fails client creation before the metadata is even fetched.
    let e = Client::new(from_issuer(KeySource::File(key_file("rsa1024.pkcs8.pem")))).map(|_| ()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.message().contains("refused"), "{e}");
    assert_eq!(sim.stats().discovery_requests + requests(&sim), 0);
    // A good one: the metadata lists private_key_jwt first, so it is picked; aud is the discovered endpoint.
    let c = Client::new(from_issuer(KeySource::File(key_file("p384.sec1.pem")))).unwrap();
    c.token().unwrap_or_else(|e| panic!("{e} ({:?})", sim.stats().last_assertion_error));
    assert_eq!(sim.stats().last_method.as_deref(), Some("private_key_jwt"));
    let (header, claims) = last_assertion(&sim);
    assert_eq!((header["alg"].as_str(), claims["aud"].as_str()), (Some("ES384"), Some(sim.token_url().as_str())));
}
