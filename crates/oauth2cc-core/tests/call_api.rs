//! `Client::call_api`: the API call helper the command line uses, with the
//! client's URL rule, trust and proxy, against the simulator's API.

mod common;
use common::*;
use oauth2cc_core::ApiRequest;

fn get(url: String) -> ApiRequest {
    ApiRequest { method: "GET".into(), url, ..Default::default() }
}

#[test]
fn sends_the_bearer_token_and_returns_status_headers_and_body() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    let req = ApiRequest {
        method: "POST".into(),
        url: sim.api_url(),
        headers: vec![("X-Test".into(), "yes".into())],
        body: Some(b"12345".to_vec()),
    };
    let r = c.call_api(&req, t.access_token()).unwrap();
    assert_eq!(r.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["client"], "svc");
    assert_eq!(body["method"], "POST");
    assert_eq!(body["x_test"], "yes");
    assert_eq!(body["body_bytes"], 5);
    assert_eq!(body["authorization_headers"], 1);
    assert!(r.headers.iter().any(|(n, v)| n == "content-type" && v.contains("json")), "{:?}", r.headers);
    assert!(r.www_authenticate.is_empty());
}

#[test]
fn every_www_authenticate_field_is_returned() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    let r = c.call_api(&get(sim.api_url().replace("/api/echo", "/api/deny-twice")), t.access_token()).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.www_authenticate, vec!["Basic realm=\"iam-sim\"", "Bearer realm=\"iam-sim\""]);
    let r = c.call_api(&get(sim.api_url()), "not-a-token").unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.www_authenticate.len(), 1);
    assert!(r.www_authenticate[0].contains("invalid_token"), "{:?}", r.www_authenticate);
}

#[test]
fn the_token_never_goes_over_plain_http_and_bad_requests_are_config_errors() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let remote = sim.api_url().replace("127.0.0.1", "0.0.0.0");
    let e = c.call_api(&get(remote), "tok").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.to_string().contains("http://"), "{e}");
    let mut req = get(sim.api_url());
    req.headers.push(("authorization".into(), "Basic x".into()));
    assert_eq!(c.call_api(&req, "tok").unwrap_err().kind(), ErrorKind::InvalidConfig);
    let bad_method = ApiRequest { method: "GE T".into(), ..get(sim.api_url()) };
    assert_eq!(c.call_api(&bad_method, "tok").unwrap_err().kind(), ErrorKind::InvalidConfig);
    assert_eq!(sim.stats().api_requests, 0, "nothing was sent");
    // A refused connection is a network error, as for token requests.
    let e = c.call_api(&get("http://127.0.0.1:1/api".into()), "tok").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(!e.to_string().contains("tok"), "{e}");
}
