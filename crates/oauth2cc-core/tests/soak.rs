//! Soak: 32 threads keep asking for 2 s tokens while the simulator fails 20 %
//! of token requests at random. Nobody gets an expired token, nothing
//! deadlocks, and requests stay within the budget. 20 s by default;
//! OAUTH2CC_SOAK_SECS=600 for a longer run.

mod common;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[test]
fn soak_32_threads_with_20_percent_failures() {
    let secs: u64 = std::env::var("OAUTH2CC_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let sim = sim();
    sim.set_failure_rate(0.2);
    let c = Client::new(config(&sim, "short", "short-secret").timeout(Duration::from_secs(2))).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, errors, expired, slowest_ms) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let sim = Arc::new(sim);
    let start = Instant::now();
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let (c, stop, sim) = (c.clone(), stop.clone(), sim.clone());
            let (ok, errors, expired, slowest_ms) = (ok.clone(), errors.clone(), expired.clone(), slowest_ms.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let r = c.token();
                    slowest_ms.fetch_max(t0.elapsed().as_millis() as u64, Ordering::Relaxed);
                    match r {
                        Ok(t) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            // The IAM's own view of the token we were just handed.
                            if sim.check_token(t.access_token()).is_err() {
                                expired.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(1 + i % 5));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("a worker panicked");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let s = sim.stats();
    let (ok, errors, expired) =
        (ok.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), expired.load(Ordering::Relaxed));
    eprintln!(
        "soak {elapsed:.0} s: {ok} tokens, {errors} errors, {} token requests, max in flight {}, slowest call {} ms",
        s.token_requests,
        s.token_max_in_flight,
        slowest_ms.load(Ordering::Relaxed)
    );
    assert_eq!(expired, 0, "callers were handed tokens the IAM considered invalid");
    assert!(ok > 1000 * secs, "too few successful calls: {ok}");
    assert_eq!(s.token_max_in_flight, 1, "single flight");
    // Renewals every ~1.7 s plus retries after failures: far below the 10/s budget.
    assert!((s.token_requests as f64) <= 10.0 * elapsed + 10.0, "{} requests in {elapsed:.0} s", s.token_requests);
    assert!(slowest_ms.load(Ordering::Relaxed) < 5_000, "a call blocked too long (deadlock?)");
}
