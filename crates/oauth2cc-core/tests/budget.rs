//! The per-endpoint request budget against an IAM that allows 50 token
//! requests per sliding second per IP (iam-sim enforces exactly that): no
//! one-second window, whatever its alignment, ever holds more requests than
//! the configured rate, so the IAM never answers 429.

mod common;
use common::*;

/// `n` cold clients (each needs its own first token) asking at once at `rate` per second.
fn cold_clients_at(rate: f64, n: usize) {
    cold_clients_of(rate, n, |sim, _| sim.token_url())
}

/// Like [`cold_clients_at`], client `i` using the token URL `url(sim, i)`.
fn cold_clients_of(rate: f64, n: usize, url: impl Fn(&Sim, usize) -> String) {
    let sim = sim();
    let start = std::sync::Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let c =
                Client::new(Config::new(url(&sim, i), "svc", "s3cret-value").max_requests_per_second(rate)).unwrap();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                c.token().map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert_eq!(sim.stats().rate_limited, 0, "the IAM answered 429");
    let mut at = sim.token_request_times();
    assert_eq!(at.len(), n);
    at.sort();
    let r = rate as usize;
    for (i, w) in at.windows(r + 1).enumerate() {
        let span = w[r] - w[0];
        assert!(span >= Duration::from_secs(1), "requests {i}..={} (r + 1 = {}) within {span:?}", i + r, r + 1);
    }
}

#[test]
fn two_hundred_cold_clients_at_50_per_second_get_no_429() {
    cold_clients_at(50.0, 200);
}

#[test]
fn thirty_cold_clients_at_10_per_second_stay_within_10_per_sliding_second() {
    cold_clients_at(10.0, 30);
}

/// The IAM counts requests per IP, not per URL: the current and the legacy
/// (`/auth`) spellings of a realm and an upper-case scheme all share one budget.
#[test]
fn every_url_of_one_iam_shares_one_budget() {
    cold_clients_of(50.0, 120, |sim, i| {
        let url = sim.token_url();
        match i % 3 {
            0 => url,
            1 => url.replace("/realms/", "/auth/realms/"),
            _ => url.replace("http://", "HTTP://"),
        }
    });
}
