//! The API-response rule, run over the
//! one case table that every language's wrapper runs: tests/api_response_cases.json.

mod common;
use common::*;
use oauth2cc_core::ResponseAction;
use serde_json::Value;

pub fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/api_response_cases.json"))
        .expect("tests/api_response_cases.json");
    let v: Value = serde_json::from_str(&text).expect("the case table is JSON");
    v["cases"].as_array().expect("cases").clone()
}

#[test]
fn every_case_of_the_shared_table() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let cases = cases();
    assert!(cases.len() >= 11, "tests/api_response_cases.json lost some of its cases");
    // A DPoP client's cases run in tests/dpop.rs.
    for case in cases.into_iter().filter(|c| c.get("dpop").is_none()) {
        let name = case["name"].as_str().unwrap();
        let status = case["status"].as_u64().unwrap() as u16;
        let fields: Vec<&str> =
            case["www_authenticate"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let expected = case["outcome"].as_str().unwrap();
        let used = c.token().unwrap();
        let before = sim.stats().token_requests;
        let got = c.handle_response(status, used.access_token(), &fields);
        match (&got, expected) {
            (Ok(ResponseAction::Proceed), "proceed") => {}
            (Ok(ResponseAction::Retry), "retry") => {
                let renewed = c.token().unwrap();
                assert_ne!(renewed.access_token(), used.access_token(), "{name}: the used token was dropped");
                assert_eq!(sim.stats().token_requests, before + 1, "{name}");
            }
            (Err(e), want) => {
                assert_eq!(e.kind().name(), want, "{name}: {e:?}");
                assert_eq!(e.status(), Some(status), "{name}");
                let field = |k: &str| case.get(k).and_then(Value::as_str);
                assert_eq!(e.oauth().map(|o| o.error.as_str()), field("error"), "{name}");
                assert_eq!(
                    e.oauth().and_then(|o| o.error_description.as_deref()),
                    field("error_description"),
                    "{name}"
                );
                assert_eq!(e.scope(), field("scope"), "{name}");
                assert!(!e.to_string().contains(used.access_token()), "{name}: no token in errors");
                assert_eq!(c.token().unwrap().access_token(), used.access_token(), "{name}: the cache is left alone");
            }
            (got, want) => panic!("{name}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn a_stale_token_is_not_dropped_twice() {
    // Many callers reporting the same old token: one renewal.
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let old = c.token().unwrap();
    let www = ["Bearer error=\"invalid_token\""];
    for _ in 0..50 {
        assert_eq!(c.handle_response(401, old.access_token(), &www), Ok(ResponseAction::Retry));
        c.token().unwrap();
    }
    assert_eq!(sim.stats().token_requests, 2);
}

#[test]
fn no_detail_says_the_cause_is_likely_elsewhere() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    let e = c.handle_response(401, t.access_token(), &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiUnauthorized);
    assert!(e.to_string().contains("a new token would not help"), "{e}");
}

#[test]
fn a_status_outside_100_to_999_is_a_configuration_error() {
    // The core owns the check; every wrapper reports its error (C used to
    // reject these on its own while Python answered "proceed").
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    let www = ["Bearer error=\"invalid_token\""];
    for status in [0u16, 99, 1000, 65535] {
        let e = c.handle_response(status, t.access_token(), &www).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert_eq!(e.to_string(), format!("http_status {status} is not an HTTP status (100..=999)"));
    }
    assert_eq!(c.handle_response(100, t.access_token(), &[]), Ok(ResponseAction::Proceed));
    assert_eq!(c.handle_response(999, t.access_token(), &[]), Ok(ResponseAction::Proceed));
    assert_eq!(c.token().unwrap().access_token(), t.access_token()); // nothing dropped
}
