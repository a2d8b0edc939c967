//! Discovery (OpenID Connect Discovery 1.0, RFC 8414): a client configured
//! with an issuer instead of a token URL, against the simulator's metadata.

mod common;
use common::*;
use serde_json::json;

fn from_issuer(sim: &Sim, id: &str, secret: &str) -> Config {
    Config::new("", id, secret).issuer(sim.issuer())
}

fn fetches(sim: &Sim) -> u64 {
    sim.stats().discovery_requests
}

const OPENID: &str = "/realms/test/.well-known/openid-configuration";

#[test]
fn a_client_from_an_issuer_gets_a_token_and_creation_sends_nothing() {
    let sim = sim();
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    assert_eq!(fetches(&sim), 0, "discovery is lazy: nothing is sent at creation");
    let t = c.token().unwrap();
    assert!(sim.check_token(t.access_token()).is_ok());
    assert_eq!(sim.stats().discovery_paths, vec![OPENID.to_string()]);
    assert_eq!(c.token_endpoint().as_deref(), Some(sim.token_url().as_str()));
}

#[test]
fn the_document_is_fetched_once_for_many_clients_and_threads() {
    let sim = sim();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
                c.token().unwrap();
            });
        }
    });
    assert_eq!(fetches(&sim), 1, "{:?}", sim.stats().discovery_paths);
    assert_eq!(requests(&sim), 8, "one token per client");
}

#[test]
fn clients_waiting_for_a_failing_fetch_share_its_failure() {
    let sim = sim();
    // Slow enough that every thread is waiting for it when it fails.
    sim.push_discovery_fault_delayed(
        Fault::Status { status: 503, retry_after: None, body: None },
        Duration::from_millis(800),
        1,
    );
    let barrier = std::sync::Barrier::new(8);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
                barrier.wait();
                assert_eq!(c.token().unwrap_err().kind(), ErrorKind::Server);
            });
        }
    });
    assert_eq!((fetches(&sim), requests(&sim)), (1, 0));
}

#[test]
fn the_document_is_refreshed_only_when_a_token_is_needed_after_its_max_age() {
    let sim = sim();
    let max_age = Duration::from_millis(300);
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value").discovery_max_age(max_age)).unwrap();
    let t = c.token().unwrap();
    c.invalidate(t.access_token());
    let t = c.token().unwrap();
    assert_eq!((fetches(&sim), requests(&sim)), (1, 2), "young document reused");
    std::thread::sleep(max_age + Duration::from_millis(50));
    c.token().unwrap();
    assert_eq!(fetches(&sim), 1, "a cached token needs no document");
    c.invalidate(t.access_token());
    c.token().unwrap();
    assert_eq!((fetches(&sim), requests(&sim)), (2, 3), "old document fetched again for the token request");
}

#[test]
fn a_failed_refresh_keeps_the_old_document_and_pauses_refreshes() {
    let sim = sim();
    let max_age = Duration::from_millis(200);
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value").discovery_max_age(max_age)).unwrap();
    let t = c.token().unwrap();
    std::thread::sleep(max_age + Duration::from_millis(50));
    sim.push_discovery_fault(Fault::Status { status: 503, retry_after: None, body: None }, 10);
    c.invalidate(t.access_token());
    let t = c.token().expect("the old document still names the token endpoint");
    c.invalidate(t.access_token());
    c.token().unwrap();
    assert_eq!((fetches(&sim), requests(&sim)), (2, 3), "one failed refresh, not one per token request");
}

#[test]
fn a_mismatched_issuer_is_refused_without_a_token_request() {
    let sim = sim();
    sim.set_discovery_members(json!({"issuer": "https://attacker.example/realms/test"}));
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.message().contains("attacker.example") && e.message().contains(&sim.issuer()), "{e}");
    assert_eq!(requests(&sim), 0);
    // Paused like a configuration error at the token endpoint: no fetch loop.
    let again = c.token().unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidConfig);
    assert!(again.is_pause(), "{again}");
    assert_eq!(fetches(&sim), 1);
}

#[test]
fn an_issuer_with_a_trailing_slash_is_not_the_published_one() {
    let sim = sim();
    let c = Client::new(Config::new("", "svc", "s3cret-value").issuer(format!("{}/", sim.issuer()))).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert_eq!(sim.stats().discovery_paths, vec![OPENID.to_string()], "the slash is not doubled");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn falls_back_to_rfc8414_path_insertion_on_404() {
    let sim = sim();
    sim.serve_openid_configuration(false);
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    c.token().unwrap();
    assert_eq!(
        sim.stats().discovery_paths,
        vec![OPENID.to_string(), "/.well-known/oauth-authorization-server/realms/test".to_string()]
    );
}

#[test]
fn no_document_at_either_path_is_a_configuration_error() {
    let sim = sim();
    let issuer = format!("{}/realms/nope", sim.base_url());
    let c = Client::new(Config::new("", "svc", "s3cret-value").issuer(issuer)).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidConfig, Some(404)), "{e}");
    assert!(e.hint().is_some_and(|h| h.contains("issuer")), "{e}");
    assert_eq!((fetches(&sim), requests(&sim)), (2, 0));
}

/// Each failure to fetch the document: its kind, and no second fetch during the pause.
#[test]
fn a_failed_fetch_is_typed_and_backed_off_without_a_retry_loop() {
    let status = |s: u16, ra: Option<&str>| Fault::Status { status: s, retry_after: ra.map(String::from), body: None };
    for (name, fault, kind) in [
        ("500", status(500, None), ErrorKind::Server),
        ("503", status(503, None), ErrorKind::Server),
        ("429 with Retry-After", status(429, Some("7")), ErrorKind::RateLimited),
        ("429 with Retry-After: 0", status(429, Some("0")), ErrorKind::RateLimited),
        ("malformed JSON", Fault::MalformedJson, ErrorKind::Protocol),
        ("HTML", Fault::Html, ErrorKind::Protocol),
        ("2 MiB body", Fault::HugeBody, ErrorKind::Protocol),
        ("closed connection", Fault::Close, ErrorKind::Network),
        ("redirect", status(302, None), ErrorKind::Protocol),
    ] {
        let sim = sim();
        sim.push_discovery_fault(fault, 100);
        let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
        let e = c.token().unwrap_err();
        assert_eq!(e.kind(), kind, "{name}: {e}");
        assert!(e.message().contains("discovery"), "{name}: {e}");
        for _ in 0..20 {
            let again = c.token().unwrap_err();
            assert!(again.is_pause() && again.kind() == kind, "{name}: {again}");
        }
        assert_eq!((fetches(&sim), requests(&sim)), (1, 0), "{name}");
        if name == "429 with Retry-After" {
            let left = c.token().unwrap_err().retry_after().unwrap();
            assert!(left > Duration::from_secs(5) && left <= Duration::from_secs(7), "{name}: {left:?}");
        }
    }
}

#[test]
fn a_slow_document_ends_by_the_call_deadline() {
    let sim = sim();
    sim.push_discovery_fault(Fault::Delay(Duration::from_secs(3)), 1);
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value").timeout(Duration::from_millis(400))).unwrap();
    let start = Instant::now();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn the_auth_method_comes_from_the_document_unless_chosen() {
    let sim = sim();
    sim.set_discovery_members(
        json!({"token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"]}),
    );
    let c = Client::new(from_issuer(&sim, "post-only", "post-secret")).unwrap();
    c.token().expect("client_secret_post picked: the only one a secret can do");
    assert_eq!(sim.stats().last_method.as_deref(), Some("post"));

    // Chosen explicitly: used as chosen, whatever the document says.
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value").auth_method(AuthMethod::ClientSecretBasic)).unwrap();
    c.token().unwrap();
    assert_eq!(sim.stats().last_method.as_deref(), Some("basic"));
}

#[test]
fn without_the_member_client_secret_basic_is_used() {
    let sim = sim();
    sim.set_discovery_members(json!({"token_endpoint_auth_methods_supported": null}));
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    c.token().unwrap();
    assert_eq!(sim.stats().last_method.as_deref(), Some("basic"));
}

#[test]
fn no_supported_method_this_configuration_can_do_is_refused_without_a_request() {
    let sim = sim();
    sim.set_discovery_members(json!({"token_endpoint_auth_methods_supported": ["private_key_jwt", "tls_client_auth"]}));
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.message().contains("private_key_jwt"), "{e}");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn a_token_endpoint_the_secret_may_not_go_to_is_refused() {
    let sim = sim();
    sim.set_discovery_members(
        json!({"token_endpoint": "http://iam.example.com/realms/test/protocol/openid-connect/token"}),
    );
    let c = Client::new(from_issuer(&sim, "svc", "s3cret-value")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.message().contains("http://"), "{e}");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn the_issuer_url_is_checked_at_creation() {
    let bad = |issuer: &str| Client::new(Config::new("", "svc", "s").issuer(issuer)).unwrap_err().kind();
    assert_eq!(bad("http://iam.example.com/realms/x"), ErrorKind::InvalidConfig, "http:// to a remote host");
    assert_eq!(bad("https://iam.example.com/realms/x?q=1"), ErrorKind::InvalidConfig, "a query (RFC 8414 §2)");
    assert_eq!(bad("https://iam.example.com/realms/x#f"), ErrorKind::InvalidConfig, "a fragment");
    assert_eq!(bad("not a url"), ErrorKind::InvalidConfig);
    let e = Client::new(Config::new("https://iam.example.com/t", "svc", "s").issuer("https://iam.example.com/r"))
        .unwrap_err();
    assert!(e.message().contains("issuer") && e.message().contains("token URL"), "{e}");
    assert!(Client::new(Config::new("", "svc", "s")).is_err(), "neither a token URL nor an issuer");
    assert!(
        Client::new(Config::new("", "svc", "s").issuer("http://iam.example.com/r").allow_insecure_http(true)).is_ok()
    );
}

#[test]
fn discovery_over_https_trusts_the_ca_file() {
    let (sim, ca) = tls_sim(&["localhost"]);
    let issuer = format!("https://localhost:{}/realms/test", sim.addr().port());
    let c = Client::new(Config::new("", "svc", "s3cret-value").issuer(&issuer).ca_file(&ca)).unwrap();
    c.token().unwrap();
    let without = Client::new(Config::new("", "svc", "s3cret-value").issuer(issuer)).unwrap();
    assert_eq!(without.token().unwrap_err().kind(), ErrorKind::Tls);
}

#[test]
fn discovery_goes_through_the_configured_proxy() {
    // 0.0.0.0 is not a loopback name, so the proxy is used (see tls.rs).
    let (sim, ca) = tls_sim(&["0.0.0.0"]);
    let (proxy, seen) = connect_proxy();
    let issuer = format!("https://0.0.0.0:{}/realms/test", sim.addr().port());
    let c = Client::new(Config::new("", "svc", "s3cret-value").issuer(issuer).ca_file(&ca).proxy(&proxy)).unwrap();
    c.token().unwrap();
    let connect = format!("CONNECT 0.0.0.0:{} HTTP/1.1", sim.addr().port());
    assert_eq!(seen.lock().unwrap().clone(), vec![connect.clone(), connect], "the document, then the token");
}

#[test]
fn the_document_counts_against_the_issuers_request_budget() {
    let sim = sim();
    // One request per 2 s: the document's fetch takes the slot, the token request must wait for the next.
    let c = Client::new(
        from_issuer(&sim, "svc", "s3cret-value").max_requests_per_second(0.5).timeout(Duration::from_millis(500)),
    )
    .unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("budget"), "{e}");
    assert_eq!((fetches(&sim), requests(&sim)), (1, 0));
}
