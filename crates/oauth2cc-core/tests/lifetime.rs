//! A token is never handed out at or after its expiry, and a lifetime that
//! rounds to zero seconds is a protocol error, not a cached token.

mod common;
use common::*;

#[test]
fn a_lifetime_that_rounds_to_zero_is_a_protocol_error_and_is_not_cached() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    for tiny in [serde_json::json!(1e-10), serde_json::json!("0.4"), serde_json::json!(0)] {
        sim.push_fault(Fault::ExpiresIn(Some(tiny.clone())), 1);
        let e = c.token().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{tiny}: {e}");
        assert!(c.cached().is_none(), "{tiny}: cached");
        c.set_secret("s3cret-value").unwrap(); // ends the backoff
    }
    sim.push_fault(Fault::ExpiresIn(Some(serde_json::json!(0.6))), 1);
    let t = c.token().unwrap();
    assert!(t.lifetime() <= Duration::from_millis(600) && Instant::now() < t.expires_at());
}

#[test]
fn a_jwt_exp_less_than_half_a_second_away_is_a_protocol_error() {
    let sim = sim_with(vec![ClientSpec::new("zero", "zero-secret").lifetime(0)]);
    let c = client(&sim, "zero", "zero-secret");
    sim.push_fault(Fault::ExpiresIn(None), 1);
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::Protocol);
    assert!(c.cached().is_none());
}

/// Many threads hammer a client whose token lives one second, through its
/// renewals: no call that began at or after a token's expiry returns it.
#[test]
fn no_call_returns_a_token_it_began_after_the_expiry_of() {
    let sim = sim();
    let c = Client::new(config(&sim, "svc", "s3cret-value").renew_after(0.95, 0.99)).unwrap();
    sim.push_fault(Fault::ExpiresIn(Some(serde_json::json!(1))), 1000);
    let end = Instant::now() + Duration::from_millis(2500);
    let late: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut late = 0;
                    while Instant::now() < end {
                        let before = Instant::now();
                        if let Ok(expired) = c.with_token(|t| before >= t.expires_at()) {
                            late += expired as u64;
                        }
                        let before = Instant::now();
                        if let Ok(t) = c.token() {
                            late += (before >= t.expires_at()) as u64;
                        }
                    }
                    late
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(late, 0);
    assert!(requests(&sim) >= 2, "the token was renewed");
}
