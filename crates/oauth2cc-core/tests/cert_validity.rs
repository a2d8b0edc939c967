//! A client certificate outside its validity period (RFC 5280 §4.1.2.5) is a
//! configuration error when the client is created: sent anyway, the server
//! refuses it (invalid_client) and the failed login counts against the
//! caller's address. Against the HTTPS simulator, which accepts any client
//! certificate, so a refusal here is oauth2cc's own.

mod common;
use common::*;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// A self-signed certificate valid from `not_before` to `not_after` (seconds
/// since the epoch) and its key, written to files.
fn cert_files(not_before: u64, not_after: u64) -> (PathBuf, PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, "validity test");
    p.not_before = epoch + std::time::Duration::from_secs(not_before);
    p.not_after = epoch + std::time::Duration::from_secs(not_after);
    let cert = p.self_signed(&key).unwrap();
    let base = std::env::temp_dir().join(format!("oauth2cc-test-validity-{}-{n}", std::process::id()));
    let (c, k) = (base.with_extension("pem"), base.with_extension("key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn cfg(sim: &Sim, ca: &std::path::Path, cert: &std::path::Path, key: &std::path::Path) -> Config {
    Config::new(sim.token_url(), "svc", "s3cret-value").ca_file(ca).no_proxy().client_cert(cert).client_key(key)
}

const YEAR: u64 = 365 * 86_400;

#[test]
fn an_expired_client_certificate_is_a_configuration_error() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    // 2020-01-01T00:00:00Z .. 2021-01-01T00:00:00Z (UTCTime)
    let (cert, key) = cert_files(1_577_836_800, 1_609_459_200);
    let e = Client::new(cfg(&sim, &ca, &cert, &key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("expired"), "{msg}");
    assert!(msg.contains(&cert.display().to_string()), "names the file: {msg}");
    assert!(msg.contains("2020-01-01T00:00:00Z") && msg.contains("2021-01-01T00:00:00Z"), "{msg}");
    let pem = std::fs::read_to_string(&cert).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!msg.contains(line), "certificate content shown: {msg}");
    }
    assert_eq!(requests(&sim), 0);
}

#[test]
fn a_client_certificate_not_yet_valid_is_a_configuration_error() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    // 2060-01-01T00:00:00Z .. 2061-01-01T00:00:00Z (GeneralizedTime, years 2050+)
    let (cert, key) = cert_files(2_840_140_800, 2_871_763_200);
    let e = Client::new(cfg(&sim, &ca, &cert, &key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("not valid before 2060-01-01T00:00:00Z"), "{msg}");
    assert!(msg.contains("2061-01-01T00:00:00Z"), "{msg}");
    assert!(msg.contains(&cert.display().to_string()), "names the file: {msg}");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn a_valid_client_certificate_works_even_when_it_expires_within_the_token_lifetime() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    let (cert, key) = cert_files(now() - YEAR, now() + YEAR);
    let c = Client::new(cfg(&sim, &ca, &cert, &key)).unwrap();
    c.token().unwrap();
    // Expiring in a minute, shorter than the token's lifetime: not refused (the
    // server decides at the next renewal; the caller may be rotating files).
    let (cert, key) = cert_files(now() - YEAR, now() + 60);
    let c = Client::new(cfg(&sim, &ca, &cert, &key)).unwrap();
    let t = c.token().unwrap();
    assert!(t.lifetime() > Duration::from_secs(60), "{:?}", t.lifetime());
    assert_eq!(requests(&sim), 2);
}
