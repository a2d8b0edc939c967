//! Tokens bound to a key (RFC 8705 certificate-bound, DPoP) are shared only
//! between holders of that key, through the file cache and through the fleet
//! (Redis): the entries are keyed on the key's identity (the certificate's
//! DER), not on a file path. And fleet mode with a method that has no secret
//! (tls_client_auth) seals its entries under the client key's material.

mod common;
#[path = "common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use common::*;
use redis_server::RedisServer;
use std::path::{Path, PathBuf};

fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("oauth2cc-binding-{}-{tag}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A certificate and key written under `dir` as NAME.pem / NAME.key.
fn write_identity(dir: &Path, name: &str, cert: &str, key: &str) -> (PathBuf, PathBuf) {
    let (c, k) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    std::fs::write(&c, cert).unwrap();
    std::fs::write(&k, key).unwrap();
    (c, k)
}

/// Another client identity (self-signed: the simulator accepts any certificate).
fn other_identity(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let ck = rcgen::generate_simple_self_signed(vec!["other-client".to_string()]).unwrap();
    write_identity(dir, name, &ck.cert.pem(), &ck.signing_key.serialize_pem())
}

/// The HTTPS simulator with "svc" (a secret) and "tls-svc" (no secret:
/// authenticated by its certificate, as tls_client_auth), and its CA file.
fn tls_sim_with_tls_client(dir: &Path) -> (Sim, PathBuf) {
    let sim = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("svc", "s3cret-value"), ClientSpec::new("tls-svc", "")],
        tls_names: Some(vec!["127.0.0.1".into()]),
        ..SimConfig::default()
    })
    .unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem().unwrap()).unwrap();
    (sim, ca)
}

fn cfg(sim: &Sim, ca: &Path, id: &str, secret: &str) -> Config {
    let url = format!("https://127.0.0.1:{}/realms/test/protocol/openid-connect/token", sim.addr().port());
    Config::new(url, id, secret).ca_file(ca).no_proxy()
}

/// Three clients: cert A, cert B, cert A copied to another path. Returns their tokens.
fn three_tokens(shared: impl Fn(Config) -> Config, tag: &str) -> (Sim, [String; 3]) {
    let dir = scratch(tag);
    let (sim, ca) = tls_sim_with_tls_client(&dir);
    let (cert_pem, key_pem) = sim.client_identity_pem().unwrap();
    let (a_cert, a_key) = write_identity(&dir, "a", cert_pem, key_pem);
    let (b_cert, b_key) = other_identity(&dir, "b");
    // The same identity at other paths (another host's layout, a redeploy).
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (a2_cert, a2_key) = write_identity(&elsewhere, "copy", cert_pem, key_pem);
    let token = |cert: &Path, key: &Path| {
        let c = Client::new(shared(cfg(&sim, &ca, "svc", "s3cret-value").client_cert(cert).client_key(key))).unwrap();
        c.token().unwrap().access_token().to_string()
    };
    let ta = token(&a_cert, &a_key);
    let tb = token(&b_cert, &b_key);
    let ta2 = token(&a2_cert, &a2_key);
    (sim, [ta, tb, ta2])
}

#[test]
fn the_file_cache_shares_a_bound_token_only_with_the_same_certificate() {
    let cache = scratch("files");
    let (sim, [a, b, a2]) = three_tokens(|c| c.cache_dir(&cache), "fc");
    assert_ne!(a, b, "a token bound to certificate A went to certificate B");
    assert_eq!(a, a2, "the same certificate at another path did not share");
    assert_eq!(requests(&sim), 2);
}

#[test]
fn the_fleet_shares_a_bound_token_only_with_the_same_certificate() {
    let Some(redis) = RedisServer::start() else { return };
    let (sim, [a, b, a2]) = three_tokens(|c| c.shared_cache_url(redis.url()), "fleet");
    assert_ne!(a, b, "a token bound to certificate A went to certificate B");
    assert_eq!(a, a2, "the same certificate at another path did not share");
    assert_eq!(requests(&sim), 2);
}

#[test]
fn a_tls_client_auth_client_without_a_secret_shares_through_the_fleet() {
    let Some(redis) = RedisServer::start() else { return };
    let dir = scratch("tls-auth");
    let (sim, ca) = tls_sim_with_tls_client(&dir);
    let (cert_pem, key_pem) = sim.client_identity_pem().unwrap();
    let (a_cert, a_key) = write_identity(&dir, "a", cert_pem, key_pem);
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (a2_cert, a2_key) = write_identity(&elsewhere, "copy", cert_pem, key_pem);
    let mk = |cert: &Path, key: &Path| {
        Client::new(
            cfg(&sim, &ca, "tls-svc", "")
                .auth_method(AuthMethod::TlsClientAuth)
                .client_cert(cert)
                .client_key(key)
                .shared_cache_url(redis.url()),
        )
        .unwrap()
    };
    let a = mk(&a_cert, &a_key);
    let t = a.token().unwrap();
    let b = mk(&a2_cert, &a2_key);
    assert_eq!(b.token().unwrap().access_token(), t.access_token());
    assert!(b.shared_cache_status().unwrap().token_from_shared_cache);
    assert_eq!(requests(&sim), 1);
    // Sealed: the token is not readable in Redis.
    let mut conn = redis.conn();
    let keys: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*:token").query(&mut conn).unwrap();
    let raw: Vec<u8> = redis::cmd("GET").arg(&keys[0]).query(&mut conn).unwrap();
    let at = t.access_token().as_bytes();
    assert!(!raw.windows(16).any(|w| at.windows(16).any(|x| x == w)), "the token is readable in Redis");
}

fn key_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys").join(name)
}

#[test]
fn dpop_tokens_are_shared_only_with_the_same_key_and_never_with_a_generated_one() {
    let Some(redis) = RedisServer::start() else { return };
    let sim = sim();
    for fleet in [true, false] {
        let dir = scratch("dpop-files");
        let shared = |c: Config| if fleet { c.shared_cache_url(redis.url()) } else { c.cache_dir(&dir) };
        let mk = |c: Config| Client::new(shared(c)).unwrap().token().unwrap().access_token().to_string();
        let before = requests(&sim);
        let other = dir.join("other-p256.pem");
        std::fs::write(&other, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
        let with = |key: PathBuf| mk(config(&sim, "svc", "s3cret-value").dpop_key(key));
        let a = with(key_fixture("p256.pkcs8.pem"));
        assert_eq!(with(key_fixture("p256.pkcs8.pem")), a, "the same DPoP key shares (fleet: {fleet})");
        // The same key in another format: the same thumbprint.
        assert_eq!(with(key_fixture("p256.sec1.pem")), a, "the same key as SEC1 shares (fleet: {fleet})");
        assert_ne!(with(other), a, "another DPoP key does not (fleet: {fleet})");
        // A generated key is the client's own: nothing shared, nothing left behind.
        let g1 = mk(config(&sim, "svc", "s3cret-value").dpop(true));
        let g2 = mk(config(&sim, "svc", "s3cret-value").dpop(true));
        assert_ne!(g1, g2);
        assert_eq!(requests(&sim) - before, 4);
        if fleet {
            let keys: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*:token").query(&mut redis.conn()).unwrap();
            assert_eq!(keys.len(), 2, "entries for the two file keys only: {keys:?}");
        } else {
            // The cache uses a private directory inside one others may enter.
            fn tokens(d: &Path) -> usize {
                std::fs::read_dir(d)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .map(
                        |p| {
                            if p.is_dir() {
                                tokens(&p)
                            } else {
                                usize::from(p.extension().is_some_and(|x| x == "token"))
                            }
                        },
                    )
                    .sum()
            }
            assert_eq!(tokens(&dir), 2, "token files for the two file keys only");
        }
    }
}
