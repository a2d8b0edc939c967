//! Protecting the IAM and the caller's IP: the per-endpoint
//! budget, Retry-After, the credential cool-down, backoff, the IP-block hint.

mod common;
use common::*;

#[test]
fn the_budget_is_shared_by_every_client_of_an_endpoint() {
    let sim = sim();
    let start = Instant::now();
    let handles: Vec<_> = (0..30)
        .map(|_| {
            let c = Client::new(config(&sim, "svc", "s3cret-value").max_requests_per_second(10.0)).unwrap();
            std::thread::spawn(move || c.token().map(|_| Instant::now()))
        })
        .collect();
    let done: Vec<Instant> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    // 10 at once, 10 more a second after those ended, 10 more a second later: the last near 2 s.
    let last = done.iter().max().unwrap().duration_since(start);
    assert!(last >= Duration::from_millis(1800), "30 requests at 10/s took only {last:?}");
    let within_first_second = done.iter().filter(|t| t.duration_since(start) < Duration::from_millis(950)).count();
    assert!(within_first_second <= 20, "{within_first_second} requests in the first second");
    assert_eq!(sim.stats().rate_limited, 0);
    assert_eq!(requests(&sim), 30);
}

#[test]
fn retry_after_as_an_http_date_is_honoured_and_no_request_is_sent_before() {
    let sim = sim();
    let at = std::time::SystemTime::now() + Duration::from_secs(3);
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let date = http_date(secs);
    sim.push_fault(Fault::Status { status: 429, retry_after: Some(date), body: None }, 1);
    let c = client(&sim, "svc", "s3cret-value");
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    let ra = e.retry_after().unwrap();
    assert!(ra > Duration::from_millis(1500) && ra <= Duration::from_secs(3), "{ra:?}");
    for _ in 0..20 {
        let again = c.token().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::RateLimited);
        assert!(again.retry_after().unwrap() <= ra);
    }
    assert_eq!(requests(&sim), 1);
    assert!(c.stats().paused_for.unwrap() > Duration::from_secs(1));
}

#[test]
fn during_a_429_pause_the_valid_cached_token_is_served() {
    let sim = sim();
    let c = client(&sim, "short", "short-secret");
    let t = c.token().unwrap();
    std::thread::sleep(t.renew_at() - Instant::now() + Duration::from_millis(10));
    sim.push_fault(Fault::Status { status: 429, retry_after: Some("30".into()), body: None }, 1);
    assert_eq!(c.token().unwrap().access_token(), t.access_token());
    assert_eq!(requests(&sim), 2);
    while Instant::now() + Duration::from_millis(20) < t.expires_at() {
        assert_eq!(c.token().unwrap().access_token(), t.access_token());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(40));
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.retry_after().unwrap() > Duration::from_secs(25));
    assert_eq!(requests(&sim), 2, "no request before Retry-After, even without a token");
}

#[test]
fn retry_after_defaults_to_5_s_and_is_capped_at_an_hour() {
    let sim = sim();
    sim.push_fault(Fault::Status { status: 429, retry_after: None, body: None }, 1);
    let ra = client(&sim, "svc", "s3cret-value").token().unwrap_err().retry_after().unwrap();
    assert!(ra > Duration::from_millis(4900) && ra <= Duration::from_secs(5), "{ra:?}");
    sim.push_fault(Fault::Status { status: 429, retry_after: Some("86400".into()), body: None }, 1);
    let c = client(&sim, "svc", "s3cret-value");
    assert_eq!(c.token().unwrap_err().retry_after(), Some(Duration::from_secs(3600)), "a day asked, an hour kept");
    let paused = c.stats().paused_for.unwrap();
    assert!(paused <= Duration::from_secs(3600) && paused > Duration::from_secs(3590), "{paused:?}");
}

#[test]
fn credential_errors_pause_for_the_cool_down_and_a_new_secret_ends_it() {
    let sim = sim();
    let c = Client::new(config(&sim, "svc", "wrong").credential_cool_down(Duration::from_secs(2))).unwrap();
    for _ in 0..50 {
        assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    }
    assert_eq!(requests(&sim), 1);
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    assert_eq!(requests(&sim), 2, "one more request after the cool-down");
    c.set_secret("s3cret-value").unwrap();
    assert!(c.token().is_ok(), "a new secret ends the pause at once");
    assert_eq!(requests(&sim), 3);
    let s = c.stats();
    assert_eq!((s.token_requests, s.successes, s.failures_of(ErrorKind::InvalidClient)), (3, 1, 2));
}

#[test]
fn invalid_scope_is_not_retried_either() {
    let sim = sim();
    let c = Client::new(config(&sim, "svc", "s3cret-value").scope("admin")).unwrap();
    for _ in 0..20 {
        assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidScope);
    }
    assert_eq!(requests(&sim), 1);
}

#[test]
fn server_errors_back_off_exponentially() {
    let sim = sim();
    sim.push_fault(Fault::Status { status: 503, retry_after: None, body: None }, 1000);
    let c = Client::new(config(&sim, "svc", "s3cret-value").max_requests_per_second(50.0)).unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        assert_eq!(c.token().unwrap_err().kind(), ErrorKind::Server);
        std::thread::sleep(Duration::from_millis(1));
    }
    // Waits of at most 0.5, 1, 2 s (full jitter): a few requests, not thousands.
    let n = requests(&sim);
    assert!((2..=12).contains(&n), "{n} requests in 3 s");
    sim.clear_faults();
}

#[test]
fn connection_failures_after_credential_errors_hint_at_an_ip_block() {
    let sim = sim();
    let bad = client(&sim, "svc", "wrong");
    let e = bad.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidClient);
    assert!(!e.to_string().contains("blocking this IP"));
    sim.push_fault(Fault::Close, 1);
    let other = client(&sim, "svc", "s3cret-value");
    let e = other.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(e.hint().unwrap().contains("blocking this IP"), "{e}");
    // A failure with a cause of its own keeps its own hint: https:// to the
    // simulator's plain-HTTP port, after the same rejections.
    let https = Config::new(sim.token_url().replace("http://", "https://"), "svc", "s3cret-value");
    let e = Client::new(https).unwrap().token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert!(e.hint().unwrap().contains("serves http://"), "{e}");
    // Without earlier rejections, no such hint.
    let fresh = common::sim();
    fresh.push_fault(Fault::Close, 1);
    let e = client(&fresh, "svc", "s3cret-value").token().unwrap_err();
    assert!(e.hint().is_none_or(|h| !h.contains("blocking")), "{e}");
}

fn http_date(secs: u64) -> String {
    // Civil from days (Howard Hinnant), for the test's own IMF-fixdate.
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WD[(days % 7) as usize],
        d,
        MO[(m - 1) as usize],
        y,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A request sent with the old secret that fails after `set_secret` must not
/// pause the new secret: its rejection says nothing about the new one.
#[test]
fn a_rejection_of_the_old_secret_arriving_after_set_secret_does_not_pause_the_new_one() {
    let sim = sim();
    let c = client(&sim, "svc", "wrong-secret");
    sim.push_fault(Fault::Delay(Duration::from_millis(1500)), 1);
    let old = {
        let c = c.clone();
        std::thread::spawn(move || c.token().map(|_| ()).unwrap_err().kind())
    };
    // Once the old secret's request is on its way, rotate.
    let t = Instant::now();
    while sim.stats().token_requests == 0 {
        assert!(t.elapsed() < Duration::from_secs(10), "the first request never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    c.set_secret("s3cret-value").unwrap();
    assert_eq!(old.join().unwrap(), ErrorKind::InvalidClient);
    let t = c.token().expect("the new secret is not paused by the old one's rejection");
    assert!(!t.access_token().is_empty());
    assert_eq!(sim.stats().token_requests, 2);
}

/// During a pause the repeated error says that no request was sent and how
/// long the pause still lasts; the error of the request itself does not.
#[test]
fn an_error_repeated_during_a_pause_says_no_request_was_sent_and_the_time_left() {
    let sim = sim();
    let c = Client::new(config(&sim, "svc", "wrong-secret").credential_cool_down(Duration::from_secs(30))).unwrap();
    let first = c.token().unwrap_err();
    assert!(!first.to_string().contains("no request sent"), "{first}");
    assert!(!first.is_pause());
    std::thread::sleep(Duration::from_millis(200));
    let again = c.token().unwrap_err();
    let text = again.to_string();
    assert_eq!(sim.stats().token_requests, 1);
    assert!(again.is_pause() && text.contains("no request sent"), "{text}");
    let left = again.retry_after().unwrap();
    assert!(left < Duration::from_secs(30) && left > Duration::from_secs(25), "{left:?}");
    assert!(text.contains(&format!("paused for another {:.1} s", left.as_secs_f64())), "{text}");
    assert_eq!(again.kind(), ErrorKind::InvalidClient, "the pause keeps the error's kind");
}
