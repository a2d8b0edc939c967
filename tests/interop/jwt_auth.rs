//! `client_secret_jwt` and `private_key_jwt` (RFC 7523) against oidc-provider,
//! whose clients are registered with the client secret or with the public
//! JWKs of the test keys in tests/fixtures/keys.

use super::OidcProvider;
use oauth2cc_core::{AuthMethod, Client, Config, ErrorKind, KeySource};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// tests/interop/server.mjs's JWT_SECRET.
const JWT_SECRET: &str = "jwt-secret-of-sixty-four-bytes-for-hs512-0123456789abcdefghijklm";

fn key(name: &str) -> KeySource {
    KeySource::File(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys").join(name))
}

/// A `private_key_jwt` client; the kid is the key's RFC 7638 thumbprint (as the
/// server registered it), except for the Ed25519 key, registered as "interop-ed-1".
fn key_client(op: &OidcProvider, id: &str, file: &str, alg: Option<&str>) -> Client {
    let mut cfg = Config::new(op.token_url(), id, "").auth_method(AuthMethod::PrivateKeyJwt).private_key(key(file));
    if let Some(a) = alg {
        cfg = cfg.signing_alg(a);
    }
    if file.starts_with("ed25519") {
        cfg = cfg.key_id("interop-ed-1");
    }
    Client::new(cfg).unwrap()
}

#[test]
fn signed_jwt_methods_obtain_working_cached_tokens() {
    let op = OidcProvider::start();
    let mut clients = vec![];
    for alg in ["HS256", "HS384", "HS512"] {
        let cfg = Config::new(op.token_url(), "jwt-secret", JWT_SECRET).auth_method(AuthMethod::ClientSecretJwt);
        clients.push((format!("jwt-secret {alg}"), Client::new(cfg.signing_alg(alg)).unwrap()));
    }
    for (id, file, alg) in [
        ("jwt-rsa", "rsa2048.pkcs8.pem", None),
        ("jwt-rsa", "rsa2048.pkcs1.pem", Some("PS256")),
        ("jwt-ec", "p256.sec1.pem", None),
        ("jwt-ec", "p384.pkcs8.pem", None),
        ("jwt-ed", "ed25519.pkcs8.pem", None),
    ] {
        clients.push((format!("{id} {file} {alg:?}"), key_client(&op, id, file, alg)));
    }
    for (n, (what, c)) in clients.iter().enumerate() {
        let t = c.token().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(op.api(t.access_token()).0, 200, "{what}");
        assert_eq!(c.token().unwrap().access_token(), t.access_token(), "{what}: cached");
        assert_eq!(op.stat("token_requests"), n as u64 + 1, "{what}: one request");
    }
}

#[test]
fn a_signed_jwt_client_renews_with_a_fresh_assertion() {
    let op = OidcProvider::start();
    let c = key_client(&op, "jwt-short", "p256.pkcs8.pem", None); // 3 s tokens
    let first = c.token().unwrap();
    std::thread::sleep(first.renew_at().saturating_duration_since(Instant::now()) + Duration::from_millis(20));
    let second = c.token().unwrap();
    assert_ne!(first.access_token(), second.access_token());
    assert_eq!(op.api(second.access_token()).0, 200);
    assert_eq!(op.stat("token_requests"), 2, "the server accepted a second assertion (a new jti)");
}

#[test]
fn a_wrong_key_is_invalid_client_without_a_retry_loop() {
    let op = OidcProvider::start();
    let c = key_client(&op, "jwt-rsa", "rsa2048-other.pkcs8.pem", None);
    for _ in 0..20 {
        let e = c.token().unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidClient, Some(401)), "{e}");
        assert_eq!(e.oauth().unwrap().error, "invalid_client");
    }
    assert_eq!(op.stat("token_requests"), 1);
    // The right key works.
    assert!(key_client(&op, "jwt-rsa", "rsa2048.pkcs8.pem", None).token().is_ok());
}

#[test]
fn a_replayed_assertion_is_refused_by_the_server() {
    let op = OidcProvider::start();
    key_client(&op, "jwt-ed", "ed25519.pkcs8.pem", None).token().unwrap();
    let last: serde_json::Value = serde_json::from_str(
        &ureq::get(format!("{}/test/last-assertion", op.base)).call().unwrap().body_mut().read_to_string().unwrap(),
    )
    .unwrap();
    let assertion = last["client_assertion"].as_str().expect("the provider saw an assertion");
    assert_eq!(last["client_id"], "jwt-ed");
    let form = format!(
        "grant_type=client_credentials&client_id=jwt-ed&client_assertion_type={}&client_assertion={assertion}",
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    );
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(op.token_url()).content_type("application/x-www-form-urlencoded").send(&form).unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_client");
}
