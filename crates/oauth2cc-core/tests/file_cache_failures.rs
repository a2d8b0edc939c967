//! With `cache_dir`, a failed renewal is still a failure: it reaches the
//! in-memory cache's counters and backoff (the valid token is served
//! meanwhile), and it leaves a pause in the directory that other processes
//! (here: other clients) honour without sending a request.

mod common;
use common::*;

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("oauth2cc-fcf-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A 2 s token renewed early (10-15 % of its life), so that ~1.7 s of its
/// life are left when the IAM starts failing.
fn early(sim: &Sim, d: Option<&std::path::Path>) -> Client {
    let mut cfg = config(sim, "short", "short-secret").renew_after(0.1, 0.15);
    if let Some(d) = d {
        cfg = cfg.cache_dir(d);
    }
    Client::new(cfg).unwrap()
}

/// Calls `token()` every 2 ms until 50 ms before expiry; returns the requests sent meanwhile.
fn hammer_until_expiry(sim: &Sim, c: &Client) -> u64 {
    let t = c.token().unwrap();
    // Past the renewal window (the file draws its own point in it).
    let due = t.requested_at() + t.lifetime().mul_f64(0.16);
    std::thread::sleep(due.saturating_duration_since(Instant::now()));
    let before = requests(sim);
    while Instant::now() + Duration::from_millis(50) < t.expires_at() {
        assert_eq!(c.token().unwrap().access_token(), t.access_token(), "the valid token is served");
        std::thread::sleep(Duration::from_millis(2));
    }
    requests(sim) - before
}

#[test]
fn a_failed_renewal_through_the_file_cache_counts_as_a_failure_and_backs_off() {
    for with_files in [false, true] {
        let sim = sim();
        let d = dir("backoff");
        let c = early(&sim, with_files.then_some(d.as_path()));
        c.token().unwrap();
        sim.push_fault(Fault::Status { status: 503, retry_after: None, body: None }, 10_000);
        let sent = hammer_until_expiry(&sim, &c);
        let s = c.stats();
        assert_eq!(s.successes, 1, "with_files={with_files}: a failed renewal is not a success");
        assert!(s.failures.iter().map(|(_, n)| n).sum::<u64>() >= 1, "with_files={with_files}: {s:?}");
        // Backoff 0-0.5 s, 0-1 s, 0-2 s...: a handful in 1.7 s, not one per call.
        assert!((1..=6).contains(&sent), "with_files={with_files}: {sent} requests while failing");
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn a_failure_of_any_kind_pauses_the_other_processes() {
    for fault in
        [Fault::Status { status: 503, retry_after: Some("30".into()), body: None }, Fault::Close, Fault::MalformedJson]
    {
        let sim = sim();
        let d = dir("pause");
        let a = early(&sim, Some(&d));
        let t = a.token().unwrap();
        // Past the renewal window (the file draws its own point in it).
        let due = t.requested_at() + t.lifetime().mul_f64(0.16);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        sim.push_fault(fault.clone(), 10_000);
        assert_eq!(a.token().unwrap().access_token(), t.access_token());
        let sent = requests(&sim);
        assert_eq!(sent, 2, "{fault:?}: one failed renewal");
        let paused = std::fs::read_dir(&d)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".pause"));
        assert!(paused, "{fault:?}: the failure left a pause for the other processes");
        if matches!(fault, Fault::Status { .. }) {
            // Another process, during the 30 s pause: the shared token, no request, and a backoff of its own.
            let b = early(&sim, Some(&d));
            assert_eq!(b.token().unwrap().access_token(), t.access_token(), "{fault:?}");
            assert_eq!(requests(&sim), sent, "{fault:?}: the pause written by the first client is honoured");
            assert!(b.stats().paused_for.unwrap() > Duration::from_secs(20), "{fault:?}: {:?}", b.stats());
            assert_eq!(b.token().unwrap().access_token(), t.access_token());
            assert_eq!(requests(&sim), sent);
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// One failure, one pause: the wait this process announces is never shorter
/// than the one it recorded for the others (two separate random draws made a
/// later process report a longer pause than the first one announced).
#[test]
fn the_pause_recorded_for_other_processes_is_the_one_announced() {
    let sim = sim();
    for i in 0..12 {
        let d = dir(&format!("same-pause-{i}"));
        sim.push_fault(Fault::Status { status: 503, retry_after: None, body: None }, 1);
        let first = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
        let e1 = first.token().unwrap_err();
        let announced = e1.retry_after().unwrap();
        let other = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
        let e = other.token().unwrap_err();
        assert!(e.is_pause(), "{e}");
        let left = e.retry_after().unwrap();
        assert!(left <= announced, "round {i}: another process is told {left:?}, the first announced {announced:?}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
