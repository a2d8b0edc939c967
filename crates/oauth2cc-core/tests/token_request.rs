//! Requesting a token: auth methods, parameters, answer rules.

mod common;
use common::*;

#[test]
fn client_secret_basic_is_the_default_and_works() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    assert_eq!(sim.check_token(t.access_token()), Ok("svc".into()));
    assert!(t.token_type().eq_ignore_ascii_case("bearer"));
    assert_eq!(t.scope(), Some("profile email"));
    assert_eq!(sim.stats().last_method.as_deref(), Some("basic"));
    assert_eq!(param(&sim, "grant_type").as_deref(), Some("client_credentials"));
    assert_eq!(param(&sim, "client_id"), None, "basic must not put the id in the body");
    assert_eq!(sim.stats().last_accept.as_deref(), Some("application/json"));
}

#[test]
fn client_secret_post_sends_credentials_in_the_body() {
    let sim = sim();
    let c = Client::new(config(&sim, "post-only", "post-secret").auth_method(AuthMethod::ClientSecretPost)).unwrap();
    let t = c.token().unwrap();
    assert_eq!(sim.check_token(t.access_token()), Ok("post-only".into()));
    assert_eq!(sim.stats().last_method.as_deref(), Some("post"));
    assert_eq!(param(&sim, "client_id").as_deref(), Some("post-only"));
}

#[test]
fn special_characters_are_form_urlencoded_inside_basic() {
    let sim = sim();
    for id in [ODD_ID, "odd-both"] {
        let c = client(&sim, id, ODD_SECRET);
        assert_eq!(sim.check_token(c.token().unwrap().access_token()), Ok(id.to_string()), "{id}");
        let p = Client::new(config(&sim, id, ODD_SECRET).auth_method(AuthMethod::ClientSecretPost)).unwrap();
        assert_eq!(sim.check_token(p.token().unwrap().access_token()), Ok(id.to_string()), "{id} post");
    }
}

#[test]
fn raw_basic_is_what_older_keycloak_expects_and_differs_from_rfc_basic() {
    let sim = sim();
    let raw = Client::new(config(&sim, "raw-only", ODD_SECRET).auth_method(AuthMethod::ClientSecretBasicRaw)).unwrap();
    assert!(raw.token().is_ok());
    // The RFC encoding of the same secret is not what a raw-only server compares.
    let rfc = client(&sim, "raw-only", ODD_SECRET);
    assert_eq!(rfc.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    // And the raw form is wrong for an RFC-conforming server.
    let raw_on_rfc =
        Client::new(config(&sim, "odd-both", ODD_SECRET).auth_method(AuthMethod::ClientSecretBasicRaw)).unwrap();
    assert_eq!(raw_on_rfc.token().unwrap_err().kind(), ErrorKind::InvalidClient);
}

#[test]
fn scope_audience_resource_and_extra_parameters_are_sent() {
    let sim = sim();
    let c = Client::new(
        config(&sim, "svc", "s3cret-value")
            .scope("orders:read orders:write")
            .audience("orders-api")
            .resource("https://orders.example/")
            .extra_param("acr_values", "level 2&more"),
    )
    .unwrap();
    let t = c.token().unwrap();
    assert_eq!(param(&sim, "scope").as_deref(), Some("orders:read orders:write"));
    assert_eq!(param(&sim, "audience").as_deref(), Some("orders-api"));
    assert_eq!(param(&sim, "resource").as_deref(), Some("https://orders.example/"));
    assert_eq!(param(&sim, "acr_values").as_deref(), Some("level 2&more"));
    assert_eq!(t.scope(), Some("profile email orders:read orders:write"));
}

#[test]
fn keycloak_extras_are_kept() {
    let sim = sim();
    let t = client(&sim, "svc", "s3cret-value").token().unwrap();
    assert_eq!(t.extra("refresh_expires_in"), Some(&serde_json::json!(0)));
    assert_eq!(t.extra("not-before-policy"), Some(&serde_json::json!(0)));
}

#[test]
fn legacy_auth_prefix_works() {
    let sim = sim();
    let url = format!("{}/auth/realms/test/protocol/openid-connect/token", sim.base_url());
    let c = Client::new(Config::new(url, "svc", "s3cret-value")).unwrap();
    assert!(c.token().is_ok());
}

fn lifetime_with(sim: &Sim, id: &str, secret: &str, fault: Fault) -> Result<Duration, oauth2cc_core::Error> {
    sim.push_fault(fault, 1);
    let c = Client::new(config(sim, id, secret).default_lifetime(Duration::from_secs(42))).unwrap();
    c.token().map(|t| t.lifetime())
}

#[test]
fn expires_in_number_string_missing() {
    let sim = sim();
    let secs = |d: Duration| d.as_secs_f64().round() as u64;
    assert_eq!(secs(lifetime_with(&sim, "svc", "s3cret-value", Fault::ExpiresIn(Some("120".into()))).unwrap()), 120);
    assert_eq!(
        secs(lifetime_with(&sim, "svc", "s3cret-value", Fault::ExpiresIn(Some(serde_json::json!(90)))).unwrap()),
        90
    );
    // Missing: the JWT's exp (the simulator's tokens live 300 s).
    let jwt = lifetime_with(&sim, "svc", "s3cret-value", Fault::ExpiresIn(None)).unwrap();
    assert!((298..=300).contains(&secs(jwt)), "{jwt:?}");
    // Missing and opaque: the configured default.
    assert_eq!(secs(lifetime_with(&sim, "opaque", "opaque-secret", Fault::ExpiresIn(None)).unwrap()), 42);
    // Huge: clamped to a day.
    assert_eq!(
        secs(lifetime_with(&sim, "svc", "s3cret-value", Fault::ExpiresIn(Some(serde_json::json!(1e12)))).unwrap()),
        86_400
    );
}

#[test]
fn odd_expires_in_is_a_protocol_error() {
    let sim = sim();
    for v in [serde_json::json!(0), serde_json::json!(-5), serde_json::json!("soon"), serde_json::json!(true)] {
        let e = lifetime_with(&sim, "svc", "s3cret-value", Fault::ExpiresIn(Some(v.clone()))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{v}: {e}");
        assert!(e.to_string().contains("expires_in"), "{e}");
    }
}

#[test]
fn token_type_must_be_bearer() {
    let sim = sim();
    sim.push_fault(Fault::TokenType("BEARER".into()), 1);
    assert!(client(&sim, "svc", "s3cret-value").token().is_ok(), "case-insensitive");
    sim.push_fault(Fault::TokenType("DPoP".into()), 1);
    let e = client(&sim, "svc", "s3cret-value").token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("DPoP"), "{e}");
}

#[test]
fn an_error_inside_a_200_is_an_error() {
    let sim = sim();
    sim.push_fault(Fault::ErrorIn200, 1);
    let e = client(&sim, "svc", "s3cret-value").token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected);
    assert_eq!(e.status(), Some(200));
    assert_eq!(e.oauth().unwrap().error, "invalid_request");
}

#[test]
fn lifetime_counts_from_when_the_request_was_sent() {
    let sim = sim();
    sim.push_fault(Fault::Delay(Duration::from_millis(1500)), 1);
    let c = client(&sim, "short", "short-secret"); // 2 s tokens
    let before = Instant::now();
    let t = c.token().unwrap();
    assert!(before.elapsed() >= Duration::from_millis(1500));
    // Counted from the answer, it would expire at before + 3.5 s.
    assert!(t.expires_at() <= before + Duration::from_millis(2100), "expiry counted from the answer");
    assert!(t.requested_at() >= before && t.requested_at() < before + Duration::from_millis(100));
}

#[test]
fn renewal_point_is_random_within_the_configured_window() {
    let sim = sim();
    let mut fractions = vec![];
    for _ in 0..40 {
        let c = Client::new(config(&sim, "svc", "s3cret-value").max_requests_per_second(50.0)).unwrap();
        let t = c.token().unwrap();
        let f = (t.renew_at() - t.requested_at()).as_secs_f64() / t.lifetime().as_secs_f64();
        assert!((0.8..=0.9).contains(&f), "{f}");
        fractions.push(f);
    }
    let spread =
        fractions.iter().cloned().fold(f64::MIN, f64::max) - fractions.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 0.03, "renewal points should spread, got {fractions:?}");
    let c = Client::new(config(&sim, "svc", "s3cret-value").renew_after(0.5, 0.5)).unwrap();
    let t = c.token().unwrap();
    let f = (t.renew_at() - t.requested_at()).as_secs_f64() / t.lifetime().as_secs_f64();
    assert!((f - 0.5).abs() < 1e-6, "{f}");
}
