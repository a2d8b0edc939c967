//! Every fault of tests/FAULTS.md, hitting a renewal while a valid token is
//! cached: the token keeps being served until it really expires, and the
//! fault's error (of the right kind) shows only after that.

mod common;
use common::*;
use serde_json::json;

/// One row: the fault, the error kind it must produce once no valid token is left.
fn rows() -> Vec<(&'static str, Fault, ErrorKind)> {
    let status = |s: u16, ra: Option<&str>| Fault::Status { status: s, retry_after: ra.map(String::from), body: None };
    vec![
        ("slow beyond the timeout", Fault::Delay(Duration::from_millis(1500)), ErrorKind::Timeout),
        ("429 with Retry-After", status(429, Some("1")), ErrorKind::RateLimited),
        ("429 without Retry-After", status(429, None), ErrorKind::RateLimited),
        ("500", status(500, None), ErrorKind::Server),
        ("503", status(503, Some("1")), ErrorKind::Server),
        ("malformed JSON", Fault::MalformedJson, ErrorKind::Protocol),
        ("HTML", Fault::Html, ErrorKind::Protocol),
        ("2 MiB body", Fault::HugeBody, ErrorKind::Protocol),
        ("closed connection", Fault::Close, ErrorKind::Network),
        ("closed mid-body", Fault::CloseMidBody, ErrorKind::Network),
        ("expires_in 0", Fault::ExpiresIn(Some(json!(0))), ErrorKind::Protocol),
        ("expires_in negative", Fault::ExpiresIn(Some(json!(-30))), ErrorKind::Protocol),
        ("expires_in non-numeric", Fault::ExpiresIn(Some(json!("soon"))), ErrorKind::Protocol),
        ("token_type not Bearer", Fault::TokenType("mac".into()), ErrorKind::Protocol),
        ("error in a 200", Fault::ErrorIn200, ErrorKind::Rejected),
    ]
}

fn keeps_serving(name: &str, fault: Fault, kind: ErrorKind) {
    let sim = sim();
    // 2 s tokens renewed after 10 %: a long window in which renewals can fail.
    let c =
        Client::new(config(&sim, "short", "short-secret").renew_after(0.1, 0.1).timeout(Duration::from_millis(600)))
            .unwrap();
    let t = c.token().unwrap();
    sim.push_fault(fault, 1000);
    std::thread::sleep(t.renew_at() - Instant::now() + Duration::from_millis(5));
    let mut served = 0;
    while Instant::now() + Duration::from_millis(700) < t.expires_at() {
        let got = c.token().unwrap_or_else(|e| panic!("{name}: lost the valid token: {e}"));
        assert!(got.access_token() == t.access_token(), "{name}: a different token");
        served += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(served >= 2, "{name}");
    assert!(requests(&sim) >= 2, "{name}: a renewal was attempted");
    // Once expired, the fault's own error (possibly from the pause, without a request).
    std::thread::sleep(t.expires_at().saturating_duration_since(Instant::now()) + Duration::from_millis(50));
    let e = match c.token() {
        Err(e) => e,
        Ok(_) => panic!("{name}: a token after expiry despite the fault"),
    };
    assert_eq!(e.kind(), kind, "{name}: {e}");
    sim.clear_faults();
}

#[test]
fn no_fault_loses_a_valid_cached_token() {
    let handles: Vec<_> = rows()
        .into_iter()
        .map(|(name, fault, kind)| std::thread::spawn(move || keeps_serving(name, fault, kind)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn server_down_keeps_the_valid_cached_token() {
    let sim = sim();
    let c = Client::new(config(&sim, "short", "short-secret").renew_after(0.1, 0.1)).unwrap();
    let t = c.token().unwrap();
    drop(sim); // nothing listens any more
    std::thread::sleep(t.renew_at() - Instant::now() + Duration::from_millis(5));
    while Instant::now() + Duration::from_millis(50) < t.expires_at() {
        assert!(c.token().unwrap().access_token() == t.access_token());
        std::thread::sleep(Duration::from_millis(25));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::Network);
}

#[test]
fn wrong_secret_after_rotation_keeps_the_valid_cached_token() {
    let sim = sim();
    let c = Client::new(config(&sim, "short", "short-secret").renew_after(0.1, 0.1)).unwrap();
    let t = c.token().unwrap();
    c.set_secret("rotated-but-wrong").unwrap();
    std::thread::sleep(t.renew_at() - Instant::now() + Duration::from_millis(20)); // the coarse clock can lag 7 ms or more
    for _ in 0..20 {
        assert!(c.token().unwrap().access_token() == t.access_token());
    }
    assert_eq!(requests(&sim), 2, "one rejected renewal, then the cool-down");
    std::thread::sleep(t.expires_at().saturating_duration_since(Instant::now()) + Duration::from_millis(20));
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidClient);
}
