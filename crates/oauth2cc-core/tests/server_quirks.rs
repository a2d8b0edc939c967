//! Answers that other authorization servers give, and odd headers: each
//! must map to the kind that tells the operator what to fix, without a panic
//! or a retry loop.

mod common;
use common::*;

/// The last day an HTTP date can name, and years (not IMF-fixdate, so ignored)
/// whose seconds overflow `SystemTime` (i64) and `u64`.
const FAR_FUTURE: [&str; 3] = [
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Fri, 31 Dec 300000000000 23:59:59 GMT",
    "Fri, 31 Dec 9223372036854775807 23:59:59 GMT",
];

#[test]
fn a_far_future_retry_after_on_a_200_is_ignored_and_on_a_429_capped_at_an_hour() {
    for date in FAR_FUTURE {
        far_future_retry_after(date);
    }
}

fn far_future_retry_after(date: &str) {
    let sim = sim();
    sim.push_fault(Fault::RetryAfterOn200(date.into()), 1);
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    assert_eq!(sim.check_token(t.access_token()), Ok("svc".into()));

    sim.push_fault(Fault::Status { status: 429, retry_after: Some(date.into()), body: None }, 1);
    let c = client(&sim, "svc", "s3cret-value");
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    // Capped at an hour; a date that is not IMF-fixdate is ignored (the 5 s default).
    let expected = if date.contains(" 9999 ") { 3600 } else { 5 };
    assert_eq!(e.retry_after(), Some(Duration::from_secs(expected)), "{date}: {e}");
    let again = c.token().unwrap_err();
    assert_eq!(again.kind(), ErrorKind::RateLimited);
    assert_eq!(requests(&sim), 2, "no request during the pause");
}

fn status_fault(status: u16, body: Option<&str>) -> Fault {
    Fault::Status { status, retry_after: None, body: body.map(String::from) }
}

#[test]
fn a_401_or_403_without_an_oauth_error_is_a_credential_rejection() {
    // Some servers answer a wrong secret with 403 and an empty body, or an
    // error code of their own.
    for (status, body) in [(403, Some("")), (401, Some("")), (403, Some(r#"{"error":"Forbidden"}"#))] {
        let sim = sim();
        sim.push_fault(status_fault(status, body), 1);
        let c = client(&sim, "svc", "s3cret-value");
        let e = c.token().unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidClient, Some(status)), "{body:?}: {e}");
        let hint = e.hint().unwrap_or_default();
        for word in ["client id", "secret", "auth method", "scope"] {
            assert!(hint.contains(word), "{word:?} missing from the hint: {e}");
        }
        // The credential cool-down: the same error, no second request.
        let again = c.token().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::InvalidClient);
        assert!(again.retry_after().unwrap() > Duration::from_secs(50), "{again}");
        assert_eq!(requests(&sim), 1, "{status} {body:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_bare_403_pauses_other_processes_sharing_the_file_cache() {
    let sim = sim();
    let d = std::env::temp_dir().join(format!("oauth2cc-quirks-403-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    sim.push_fault(status_fault(403, Some("")), 1);
    let first = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    assert_eq!(first.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    // A new process (a fresh client) honours the recorded pause.
    let next = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    let e = next.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient, "{e}");
    assert_eq!(requests(&sim), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn server_specific_error_codes_map_to_their_kinds() {
    let cases = [
        ("invalid_scope", ErrorKind::InvalidScope),
        ("scope_invalid", ErrorKind::InvalidScope),
        ("invalid_scopes", ErrorKind::InvalidScope),
        ("unknown_scope", ErrorKind::InvalidScope),
        ("Invalid-Scope", ErrorKind::InvalidScope),
        ("invalid_client", ErrorKind::InvalidClient),
        ("unauthorized_client", ErrorKind::InvalidClient),
        ("client_invalid", ErrorKind::InvalidClient),
        ("unauthorized", ErrorKind::InvalidClient),
        ("invalid_client_credentials", ErrorKind::InvalidClient),
        ("invalid_credentials", ErrorKind::InvalidClient),
        ("access_denied", ErrorKind::InvalidClient),
        ("server_error", ErrorKind::Server),
        ("temporarily_unavailable", ErrorKind::Server),
        ("invalid_request", ErrorKind::Rejected),
        ("unsupported_grant_type", ErrorKind::Rejected),
        ("something_else", ErrorKind::Rejected),
    ];
    for (code, kind) in cases {
        let sim = sim();
        let body = format!(r#"{{"error":"{code}","error_description":"from the server"}}"#);
        sim.push_fault(status_fault(400, Some(&body)), 1);
        let e = client(&sim, "svc", "s3cret-value").token().unwrap_err();
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert_eq!(e.oauth().unwrap().error, code, "the server's own words are kept");
        if kind == ErrorKind::InvalidScope || kind == ErrorKind::InvalidClient {
            assert!(e.hint().is_some(), "{code}: {e}");
        }
    }
}

#[test]
fn a_404_from_the_token_endpoint_is_a_configuration_error_that_backs_off_like_a_server_error() {
    let sim = sim();
    // A wrong realm (the simulator answers with a JSON error) and a wrong path
    // (plain text). The simulator counts only requests that reach a realm's
    // endpoint, so the client's count of requests sent is used.
    for path in ["/realms/nope/protocol/openid-connect/token", "/realms/test/protocol/openid-connect/tokn"] {
        let c = Client::new(Config::new(format!("{}{path}", sim.base_url()), "svc", "s3cret-value")).unwrap();
        let e = c.token().unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidConfig, Some(404)), "{path}: {e}");
        let hint = e.hint().unwrap_or_default();
        assert!(hint.contains("token URL") && hint.contains("realm") && hint.contains("path"), "{e}");
        // Exponential backoff (at most 0.5 s after the first failure), not the 60 s cool-down.
        let again = c.token().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::InvalidConfig);
        assert!(again.retry_after().unwrap() <= Duration::from_millis(500), "{again}");
        let deadline = Instant::now() + Duration::from_secs(10);
        assert_eq!(c.stats().token_requests, 1);
        while c.stats().token_requests < 2 && Instant::now() < deadline {
            let _ = c.token();
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(c.stats().token_requests, 2, "{path}: a second request after the backoff");
    }
}

/// Every character that form-urlencoding changes, and non-ASCII.
const SPACED_SECRET: &str = "a b+c/d=e%f:g é~";

#[test]
fn a_secret_with_a_space_works_with_form_and_percent_only_basic_decoding() {
    use iam_sim::BasicDecoding;
    for decoding in [BasicDecoding::Form, BasicDecoding::PercentOnly] {
        let sim = Sim::start(SimConfig {
            clients: vec![ClientSpec::new("spaced", SPACED_SECRET).methods(&[SimMethod::Basic])],
            basic_decoding: decoding,
            ..SimConfig::default()
        })
        .unwrap();
        let c = client(&sim, "spaced", SPACED_SECRET);
        match c.token() {
            Ok(t) => assert_eq!(sim.check_token(t.access_token()), Ok("spaced".into())),
            Err(e) => panic!("{decoding:?}: {e}"),
        }
        assert_eq!(sim.stats().last_method.as_deref(), Some("basic"));
    }
}

#[test]
fn a_narrowed_scope_is_exposed_and_an_absent_scope_means_the_requested_one() {
    capture_logs();
    let sim = sim();
    let asked = "orders:read orders:write";
    sim.push_fault(Fault::Scope(Some("profile orders:read".into())), 1);
    let c = Client::new(config(&sim, "svc", "s3cret-value").scope(asked)).unwrap();
    let t = c.token().unwrap();
    assert_eq!(t.granted_scopes(), ["profile", "orders:read"]);
    assert_eq!(t.missing_scopes(), ["orders:write"]);
    for _ in 0..3 {
        c.token().unwrap();
    }
    // One warning for this token, naming what is missing; no token, no secret.
    let warned: Vec<String> =
        log_lines().into_iter().filter(|l| l.contains("orders:write") && l.contains("granted")).collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].starts_with("WARN") && warned[0].contains(&t.fingerprint()), "{warned:?}");
    assert!(!warned[0].contains(t.access_token()) && !warned[0].contains("s3cret-value"));

    // RFC 6749 §5.1: no `scope` in the answer means the requested scope was granted.
    sim.push_fault(Fault::Scope(None), 1);
    let c = Client::new(config(&sim, "svc", "s3cret-value").scope(asked)).unwrap();
    let t = c.token().unwrap();
    assert_eq!(t.scope(), None);
    assert_eq!(t.granted_scope(), Some(asked));
    assert!(t.missing_scopes().is_empty());

    // Nothing asked for, nothing said: unknown (the server's default).
    sim.push_fault(Fault::Scope(None), 1);
    let t = client(&sim, "svc", "s3cret-value").token().unwrap();
    assert_eq!((t.granted_scope(), t.granted_scopes().len()), (None, 0));
}

/// A server that echoes the secret (or the token) in its error: the text
/// oauth2cc keeps, shows, logs or records on disk holds neither.
#[cfg(unix)]
#[test]
fn a_secret_or_token_echoed_by_the_server_is_redacted_everywhere() {
    capture_logs();
    let sim = sim();
    let secret = "s3cret-value";
    let d = std::env::temp_dir().join(format!("oauth2cc-quirks-echo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let echo = format!(
        r#"{{"error":"invalid_client","error_description":"client secret {secret} is wrong (s3cret-val...)","error_uri":"https://iam.test/?s={secret}"}}"#
    );
    sim.push_fault(status_fault(401, Some(&echo)), 1);
    let c = Client::new(config(&sim, "svc", secret).cache_dir(&d)).unwrap();
    let e = c.token().unwrap_err();
    let again = c.token().unwrap_err();
    let o = e.oauth().expect("the server's fields are kept");
    for shown in [format!("{e}"), format!("{e:?}"), format!("{again}"), format!("{o:?}")] {
        assert!(!shown.contains(secret) && !shown.contains("s3cret-val"), "{shown}");
        assert!(shown.contains("[redacted]") || !shown.contains("secret"), "{shown}");
    }
    assert!(o.error_description.as_deref().unwrap().contains("client secret [redacted] is wrong"), "{o:?}");
    for f in std::fs::read_dir(&d).unwrap().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(f.path()).unwrap_or_default()).to_string();
        assert!(!text.contains("s3cret-val"), "{}: {text}", f.path().display());
    }
    for line in log_lines() {
        assert!(!line.contains("s3cret-val"), "a log line: {line}");
    }
    let _ = std::fs::remove_dir_all(&d);

    // An API quoting the token back.
    let c = client(&sim, "svc", secret);
    let token = c.token().unwrap();
    let quoted = format!(
        "Bearer error=\"insufficient_scope\", error_description=\"token {} lacks it\", scope=\"x\"",
        &token.access_token()[..40]
    );
    let e = c.handle_response(403, token.access_token(), &[&quoted]).unwrap_err();
    for shown in [format!("{e}"), format!("{e:?}")] {
        assert!(!shown.contains(&token.access_token()[..16]), "{shown}");
    }
    assert_eq!(e.scope(), Some("x"));
}

/// Keycloak refuses a client without a service account with
/// `unauthorized_client` "Client not enabled to retrieve service account":
/// still a credential rejection (cool-down), but the hint names the setting.
#[test]
fn a_client_without_a_service_account_is_told_which_setting_to_enable() {
    let sim = sim();
    let body =
        r#"{"error":"unauthorized_client","error_description":"Client not enabled to retrieve service account"}"#;
    sim.push_fault(status_fault(400, Some(body)), 1);
    let e = client(&sim, "svc", "s3cret-value").token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient);
    assert!(e.hint().unwrap().contains("Service accounts roles"), "{e}");
    // A wrong secret keeps the credentials hint.
    let e = client(&sim, "svc", "wrong").token().unwrap_err();
    assert!(e.hint().unwrap().contains("client id and secret"), "{e}");
}

#[test]
fn a_429_with_retry_after_zero_still_pauses_a_second_not_a_request_per_call() {
    let sim = sim();
    sim.push_fault(Fault::Status { status: 429, retry_after: Some("0".into()), body: None }, 100);
    let c = client(&sim, "svc", "s3cret-value");
    for _ in 0..50 {
        let e = c.token().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
        assert!(e.retry_after().is_some_and(|d| d > Duration::ZERO), "{e}");
    }
    // 50 calls in well under a second: one request, then the 1 s floor holds the rest.
    assert_eq!(requests(&sim), 1);
}
