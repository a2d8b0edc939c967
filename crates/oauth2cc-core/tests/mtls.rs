//! Certificate-bound tokens (RFC 8705) against the HTTPS simulator, which
//! binds a token to the certificate presented with its request and refuses it
//! at the API without that certificate. The methods themselves
//! (tls_client_auth, self_signed_tls_client_auth) are tested against
//! oidc-provider (tests/interop/mtls.rs).

mod common;
use common::*;
use oauth2cc_core::ApiRequest;

/// The simulator's client certificate and key, written to files.
fn identity(sim: &Sim) -> (std::path::PathBuf, std::path::PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (cert, key) = sim.client_identity_pem().unwrap();
    let base = std::env::temp_dir().join(format!("oauth2cc-test-client-{}-{n}", std::process::id()));
    let (c, k) = (base.with_extension("pem"), base.with_extension("key"));
    std::fs::write(&c, cert).unwrap();
    std::fs::write(&k, key).unwrap();
    (c, k)
}

fn cfg(sim: &Sim, ca: &std::path::Path) -> Config {
    let url = format!("https://127.0.0.1:{}/realms/test/protocol/openid-connect/token", sim.addr().port());
    Config::new(url, "svc", "s3cret-value").ca_file(ca).no_proxy()
}

fn api(sim: &Sim, c: &Client, token: &str) -> oauth2cc_core::ApiResponse {
    let url = format!("https://127.0.0.1:{}/api/echo", sim.addr().port());
    c.call_api(&ApiRequest { method: "GET".into(), url, ..Default::default() }, token).unwrap()
}

#[test]
fn a_bound_token_goes_to_the_api_with_the_clients_certificate() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    let (cert, key) = identity(&sim);
    let c = Client::new(cfg(&sim, &ca).client_cert(&cert).client_key(&key)).unwrap();
    assert!(c.config().uses_client_certificate());
    let t = c.token().unwrap();
    assert_eq!(api(&sim, &c, t.access_token()).status, 200);
    // Without the certificate the API refuses it as a token problem (invalid_token).
    let bare = Client::new(cfg(&sim, &ca)).unwrap();
    let r = api(&sim, &bare, t.access_token());
    assert_eq!(r.status, 401);
    assert!(r.www_authenticate[0].contains("invalid_token"), "{:?}", r.www_authenticate);
    assert_eq!(sim.stats().api_unbound_tokens, 1);
    assert_eq!(sim.stats().api_ok, 1);
}

#[test]
fn the_certificate_is_not_in_debug_output_or_logs() {
    capture_logs();
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    let (cert, key) = identity(&sim);
    let c = Client::new(cfg(&sim, &ca).client_cert(&cert).client_key(&key)).unwrap();
    let t = c.token().unwrap();
    let _ = api(&sim, &c, t.access_token());
    let key_text = std::fs::read_to_string(&key).unwrap();
    let shown = format!("{c:?} {:?} {}", c.config(), log_lines().join("\n"));
    for line in key_text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "key material shown");
    }
}

/// Discovery publishing `mtls_endpoint_aliases.token_endpoint` (RFC 8705 §5)
/// at a path of its own: a client presenting a certificate sends its token
/// requests there, a secret-only client to the plain token endpoint.
#[test]
fn a_certificate_client_from_an_issuer_uses_the_mtls_alias() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    let alias = format!("{}/protocol/openid-connect/token/mtls", sim.issuer());
    sim.set_discovery_members(serde_json::json!({ "mtls_endpoint_aliases": { "token_endpoint": alias } }));
    let (cert, key) = identity(&sim);
    let from_issuer = || Config::new("", "svc", "s3cret-value").issuer(sim.issuer()).ca_file(&ca).no_proxy();
    // The document lists tls_client_auth, which the simulator's svc is not registered for: the method is chosen.
    let with_cert = Client::new(
        from_issuer().client_cert(&cert).client_key(&key).auth_method(oauth2cc_core::AuthMethod::ClientSecretBasic),
    )
    .unwrap();
    let t = with_cert.token().unwrap();
    assert_eq!(with_cert.token_endpoint().as_deref(), Some(alias.as_str()));
    assert_eq!((sim.stats().token_requests, sim.stats().mtls_alias_token_requests), (1, 1));
    assert_eq!(api(&sim, &with_cert, t.access_token()).status, 200, "bound to the certificate sent to the alias");
    let plain = Client::new(from_issuer()).unwrap();
    plain.token().unwrap();
    assert_eq!(plain.token_endpoint().as_deref(), Some(sim.token_url().as_str()));
    assert_eq!((sim.stats().token_requests, sim.stats().mtls_alias_token_requests), (2, 1));
}

#[test]
fn certificate_files_rotated_on_disk_are_used_from_the_next_token_request_on() {
    let (sim, ca) = tls_sim(&["127.0.0.1"]);
    let (cert, key) = identity(&sim);
    let c = Client::new(cfg(&sim, &ca).client_cert(&cert).client_key(&key)).unwrap();
    let t1 = c.token().unwrap();
    assert_eq!(api(&sim, &c, t1.access_token()).status, 200);
    // A rotation as tools do it: new files renamed over the old paths.
    let ck = rcgen::generate_simple_self_signed(vec!["rotated-client".to_string()]).unwrap();
    for (path, pem) in [(&cert, ck.cert.pem()), (&key, ck.signing_key.serialize_pem())] {
        let tmp = path.with_extension("new");
        std::fs::write(&tmp, pem).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }
    // What reads the files per connection (libcurl, requests) now presents the
    // new certificate, the API refuses T1 as invalid_token and the caller invalidates it.
    assert!(c.invalidate(t1.access_token()));
    let t2 = c.token().unwrap();
    // T2 is bound to the new certificate: accepted with it, from this client and from one reading the files anew.
    let fresh = Client::new(cfg(&sim, &ca).client_cert(&cert).client_key(&key)).unwrap();
    assert_eq!(api(&sim, &fresh, t2.access_token()).status, 200, "the renewed token is bound to the old certificate");
    assert_eq!(api(&sim, &c, t2.access_token()).status, 200);
}
