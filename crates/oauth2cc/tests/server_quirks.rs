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
    let token = r#"{"access_token":"tok-far-future","token_type":"Bearer","expires_in":300}"#;
    sim.push_fault(Fault::Status { status: 200, retry_after: Some(date.into()), body: Some(token.into()) }, 1);
    let c = client(&sim, "svc", "s3cret-value");
    assert_eq!(c.token().unwrap().access_token(), "tok-far-future");

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
