//! The cache: reads from cache, single flight,
//! renewal between 80 % and 90 %, serving a valid token through a failed
//! refresh, invalidate-if-current.

mod common;
#[allow(unused_imports)]
use common::AuthMethod as _;
use common::*;
use std::sync::Barrier;

#[test]
fn second_call_comes_from_the_cache() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let a = c.token().unwrap();
    for _ in 0..1000 {
        let b = c.token().unwrap();
        assert_eq!(a.access_token(), b.access_token());
        c.with_token(|t| assert_eq!(t.access_token(), a.access_token())).unwrap();
    }
    assert_eq!(requests(&sim), 1);
    let s = c.stats();
    assert_eq!((s.token_requests, s.successes, s.total_failures()), (1, 1, 0));
    assert!(s.cached_reads >= 1999, "{}", s.cached_reads);
    assert!(s.token_expires_in.unwrap() > Duration::from_secs(290));
    assert_eq!((s.paused_for, s.last_error), (None, None));
}

#[test]
fn sixty_four_threads_on_a_cold_client_make_one_request() {
    let sim = sim();
    sim.push_fault(Fault::Delay(Duration::from_millis(300)), 1);
    let c = client(&sim, "svc", "s3cret-value");
    let barrier = Arc::new(Barrier::new(64));
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let (c, b) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                c.token().unwrap().access_token().to_string()
            })
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "all share one token");
    let s = sim.stats();
    assert_eq!(s.token_requests, 1);
    assert_eq!(s.token_max_in_flight, 1);
}

#[test]
fn waiters_share_the_in_flight_error() {
    let sim = sim();
    sim.push_fault_delayed(Fault::Status { status: 503, retry_after: None, body: None }, Duration::from_millis(300), 1);
    let c = client(&sim, "svc", "s3cret-value");
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let (c, b) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                c.token().map(|_| ()).unwrap_err().kind()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), ErrorKind::Server);
    }
    assert_eq!(requests(&sim), 1);
}

#[test]
fn renewal_happens_between_80_and_90_percent_with_one_request_while_threads_keep_reading() {
    let sim = sim();
    let c = client(&sim, "short", "short-secret"); // 2 s tokens
    let first = c.token().unwrap();
    let start = first.requested_at();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (c, stop) = (c.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut changes = vec![];
                let mut last = String::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = c.token().unwrap();
                    assert!(!t.is_expired_at(Instant::now()), "handed an expired token");
                    if t.access_token() != last {
                        last = t.access_token().to_string();
                        changes.push(Instant::now());
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                changes
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in handles {
        let changes = h.join().unwrap();
        assert_eq!(changes.len(), 2, "one renewal seen");
        let at = (changes[1] - start).as_secs_f64();
        assert!((1.6..1.95).contains(&at), "renewed at {at:.3} s of a 2 s lifetime");
    }
    let s = sim.stats();
    assert_eq!(s.token_requests, 2, "first fetch and exactly one renewal");
    assert_eq!(s.token_max_in_flight, 1);
}

#[test]
fn callers_with_a_valid_token_do_not_wait_for_the_renewal() {
    let sim = sim();
    let c = client(&sim, "short", "short-secret");
    let old = c.token().unwrap();
    std::thread::sleep(old.renew_at() - Instant::now() + Duration::from_millis(10));
    sim.push_fault(Fault::Delay(Duration::from_millis(800)), 1);
    let leader = {
        let c = c.clone();
        std::thread::spawn(move || c.token().unwrap())
    };
    std::thread::sleep(Duration::from_millis(100)); // the leader is now in its request
    for _ in 0..50 {
        let t0 = Instant::now();
        let t = c.token().unwrap();
        assert!(t0.elapsed() < Duration::from_millis(50), "a reader waited {:?}", t0.elapsed());
        assert_eq!(t.access_token(), old.access_token());
    }
    let new = leader.join().unwrap();
    assert_ne!(new.access_token(), old.access_token());
    assert_eq!(c.token().unwrap().access_token(), new.access_token());
}

#[test]
fn a_failed_refresh_keeps_serving_the_valid_token_until_it_expires() {
    let sim = sim();
    let c = client(&sim, "short", "short-secret");
    let old = c.token().unwrap();
    std::thread::sleep(old.renew_at() - Instant::now() + Duration::from_millis(10));
    sim.push_fault(Fault::Status { status: 500, retry_after: None, body: None }, 1000);
    while Instant::now() + Duration::from_millis(30) < old.expires_at() {
        assert_eq!(c.token().unwrap().access_token(), old.access_token());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(requests(&sim) >= 2, "a renewal was attempted");
    std::thread::sleep(old.expires_at() - Instant::now() + Duration::from_millis(600));
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "after expiry the error shows: {e}");
    sim.clear_faults();
}

#[test]
fn invalidate_drops_only_the_current_token_and_many_reports_cause_one_renewal() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t1 = c.token().unwrap();
    assert!(!c.invalidate("some-other-token"));
    assert_eq!(c.token().unwrap().access_token(), t1.access_token());
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (c, b, old) = (c.clone(), barrier.clone(), t1.access_token().to_string());
            std::thread::spawn(move || {
                b.wait();
                let dropped = c.invalidate(&old);
                (dropped, c.token().unwrap().access_token().to_string())
            })
        })
        .collect();
    let results: Vec<(bool, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.0).count(), 1, "exactly one invalidation took effect");
    assert!(results.iter().all(|r| r.1 != t1.access_token()));
    let distinct: std::collections::HashSet<&String> = results.iter().map(|r| &r.1).collect();
    assert_eq!(distinct.len(), 1, "{} distinct tokens, {} requests", distinct.len(), requests(&sim));
    assert_eq!(requests(&sim), 2);
    assert!(!c.invalidate(t1.access_token()), "an old token no longer drops anything");
}
