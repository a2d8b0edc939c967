//! Typed errors for every way a token request fails; no secret or token in any of them.

mod common;
use common::*;

fn fail_with(fault: Fault) -> oauth2cc_core::Error {
    let sim = sim();
    sim.push_fault(fault, 1);
    let c = client(&sim, "svc", "s3cret-value");
    let e = c.token().unwrap_err();
    assert_eq!(requests(&sim), 1);
    e
}

#[test]
fn wrong_secret_is_invalid_client_with_the_servers_words() {
    let sim = sim();
    let c = client(&sim, "svc", "wrong-secret-123");
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient);
    assert_eq!(e.status(), Some(401));
    let o = e.oauth().unwrap();
    assert_eq!(o.error, "unauthorized_client");
    assert_eq!(o.error_description.as_deref(), Some("Invalid client or Invalid client credentials"));
    let shown = format!("{e} {e:?} {c:?}");
    assert!(!shown.contains("wrong-secret-123"), "{shown}");
    assert!(e.hint().is_some());
    // Not retried: the same error again without a request.
    let again = c.token().unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidClient);
    assert!(again.retry_after().unwrap() > Duration::from_secs(50));
    assert_eq!(requests(&sim), 1);
}

#[test]
fn unknown_client_is_invalid_client() {
    let sim = sim();
    let e = client(&sim, "nobody", "x").token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient);
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
}

#[test]
fn a_scope_the_client_may_not_have_is_invalid_scope() {
    let sim = sim();
    let c = Client::new(config(&sim, "svc", "s3cret-value").scope("admin")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidScope);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.oauth().unwrap().error_description.as_deref(), Some("Invalid scopes: admin"));
}

#[test]
fn rate_limited_keeps_retry_after() {
    let e = fail_with(Fault::Status { status: 429, retry_after: Some("7".into()), body: None });
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
}

#[test]
fn server_errors() {
    for status in [500, 503] {
        let e = fail_with(Fault::Status { status, retry_after: None, body: None });
        assert_eq!((e.kind(), e.status()), (ErrorKind::Server, Some(status)));
        assert!(e.to_string().contains("text/html"), "non-JSON bodies are described, not echoed: {e}");
        assert!(!e.to_string().contains("Injected"), "{e}");
    }
}

#[test]
fn malformed_answers_are_protocol_errors() {
    for f in [Fault::MalformedJson, Fault::Html, Fault::HugeBody] {
        let e = fail_with(f.clone());
        assert_eq!(e.kind(), ErrorKind::Protocol, "{f:?}: {e}");
        assert!(e.to_string().len() < 400, "{f:?}: message must stay short: {e}");
    }
}

#[test]
fn closed_connections_are_network_errors() {
    for f in [Fault::Close, Fault::CloseMidBody] {
        let e = fail_with(f.clone());
        assert_eq!(e.kind(), ErrorKind::Network, "{f:?}: {e}");
    }
}

#[test]
fn server_down_is_a_network_error() {
    let url = {
        let sim = sim();
        sim.token_url()
    }; // dropped: nothing listens there now
    let c = Client::new(Config::new(url, "svc", "s3cret-value")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
}

#[test]
fn slow_server_hits_the_whole_request_timeout() {
    let sim = sim();
    sim.push_fault(Fault::Delay(Duration::from_secs(3)), 1);
    let c = Client::new(config(&sim, "svc", "s3cret-value").timeout(Duration::from_millis(400))).unwrap();
    let start = Instant::now();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());
}

#[test]
fn unknown_realm_is_a_configuration_error_with_the_status() {
    let sim = sim();
    let c = Client::new(Config::new(
        format!("{}/realms/nope/protocol/openid-connect/token", sim.base_url()),
        "svc",
        "s3cret-value",
    ))
    .unwrap();
    let e = c.token().unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidConfig, Some(404)), "{e}");
}

#[test]
fn configuration_errors_come_from_new() {
    let sim = sim();
    let kind = |c: Config| Client::new(c).unwrap_err().kind();
    assert_eq!(kind(Config::new("http://iam.example.com/token", "svc", "s")), ErrorKind::InvalidConfig);
    assert_eq!(kind(config(&sim, "svc", "s").ca_file("/nonexistent/ca.pem")), ErrorKind::InvalidConfig);
    let not_pem = std::env::temp_dir().join(format!("oauth2cc-not-pem-{}", std::process::id()));
    std::fs::write(&not_pem, "hello").unwrap();
    assert_eq!(kind(Config::new("https://127.0.0.1:1/token", "svc", "s").ca_file(&not_pem)), ErrorKind::InvalidConfig);
    std::fs::remove_file(&not_pem).unwrap();
    assert_eq!(kind(config(&sim, "svc", "s").proxy("::not a proxy::")), ErrorKind::InvalidConfig);
}

#[test]
fn no_error_or_debug_output_contains_the_secret_or_a_token() {
    let sim = sim();
    let secret = "zz-SECRET-zz";
    let good = client(&sim, "svc", "s3cret-value");
    let token = good.token().unwrap();
    let mut shown = format!("{good:?} {token:?}");
    for f in [
        Fault::MalformedJson,
        Fault::Html,
        Fault::HugeBody,
        Fault::Close,
        Fault::ErrorIn200,
        Fault::TokenType("mac".into()),
    ] {
        sim.push_fault(f, 1);
        let c = Client::new(config(&sim, "svc", secret).auth_method(AuthMethod::ClientSecretPost)).unwrap();
        let e = c.token().unwrap_err();
        shown += &format!("{e} {e:?} {c:?} {:?}", c.config());
    }
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(token.access_token()), "{shown}");
    assert!(!shown.contains("s3cret-value"), "{shown}");
}

#[test]
fn the_simulator_limits_token_requests_to_50_per_second_per_ip_like_the_iam() {
    // Raw requests: oauth2cc's own budget (tests/budget.rs) would never send this many.
    let sim = sim();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let statuses: Vec<u16> = (0..60)
        .map(|_| {
            agent
                .post(sim.token_url())
                .header("Authorization", "Basic c3ZjOnMzY3JldC12YWx1ZQ==")
                .content_type("application/x-www-form-urlencoded")
                .send("grant_type=client_credentials")
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 10, "{limited} of 60 rate limited: {statuses:?}");
    assert_eq!(sim.stats().rate_limited as usize, limited);
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429));
}

#[test]
fn network_errors_name_the_host_and_port_they_tried() {
    let url = {
        let sim = sim();
        sim.token_url()
    }; // dropped: nothing listens there now
    let at = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let e = Client::new(Config::new(url, "svc", "s3cret-value").no_proxy()).unwrap().token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message().contains(&format!("connection refused by the token endpoint {at}")), "{e}");

    let e = Client::new(Config::new("https://no-such-host.invalid/realms/x/token", "svc", "s").no_proxy())
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message().contains("host not found (DNS): no-such-host.invalid:443"), "{e}");
}

#[test]
fn the_http_refusal_names_the_setting_that_allows_it_in_every_interface() {
    let e = Client::new(Config::new("http://iam.example.com/token", "svc", "s")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let shown = e.to_string();
    for name in ["allow_insecure_http", "--allow-insecure-http", "OAUTH2CC_ALLOW_INSECURE_HTTP"] {
        assert!(shown.contains(name), "{name} missing: {shown}");
    }
}

#[test]
fn an_https_url_to_a_plain_http_port_says_so_at_once() {
    let sim = sim(); // listens in plain HTTP
    let url = sim.token_url().replacen("http://", "https://", 1);
    let connect = Duration::from_secs(5);
    let c = Client::new(Config::new(url, "svc", "s3cret-value").no_proxy().connect_timeout(connect)).unwrap();
    let start = Instant::now();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.message().contains("plain HTTP"), "{e}");
    assert!(start.elapsed() < connect, "waited {:?} for {e}", start.elapsed());
}
