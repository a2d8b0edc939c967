//! Process-wide state per token endpoint: the token-request budget shared by
//! every client of this process that uses the endpoint, and when the
//! endpoint last rejected credentials or rate limited us (for the "IP may be
//! blocked" hint). Lock-free, so a `fork()` cannot leave it locked.

use crate::clock;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The IAM allows 50 token requests per second per IP; never plan above it.
pub(crate) const MAX_RATE: f64 = 50.0;
pub(crate) const DEFAULT_RATE: f64 = 10.0;
/// How long after a credential error or a 429 a connection failure hints at an IP block.
const BLOCK_HINT_WINDOW: Duration = Duration::from_secs(15 * 60);

pub(crate) struct Endpoint {
    /// Nanoseconds between requests (1 / rate); only ever raised.
    interval_ns: AtomicU64,
    /// GCRA theoretical arrival time, on the clock of `clock::precise_now_ns`.
    tat_ns: AtomicU64,
    /// When the endpoint last rejected credentials or answered 429 (0: never).
    last_rejection_ns: AtomicU64,
}

/// The shared state of `url`, created on first use. A client asking for a
/// lower rate than the endpoint has lowers it for everyone (the strictest wins).
pub(crate) fn endpoint(url: &str, rate: f64) -> Arc<Endpoint> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<Endpoint>>>> = OnceLock::new();
    let key = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    let e = ALL
        .get_or_init(Default::default)
        .lock()
        .entry(key)
        .or_insert_with(|| {
            Arc::new(Endpoint {
                interval_ns: AtomicU64::new(0),
                tat_ns: AtomicU64::new(0),
                last_rejection_ns: AtomicU64::new(0),
            })
        })
        .clone();
    e.interval_ns.fetch_max((1e9 / rate.clamp(0.001, MAX_RATE)) as u64, Ordering::Relaxed);
    e
}

impl Endpoint {
    /// The burst allowed: one second's worth of requests, at least one.
    fn tolerance_ns(&self, interval: u64) -> u64 {
        let per_sec = (1_000_000_000 / interval.max(1)).max(1);
        (per_sec - 1) * interval
    }

    /// Takes a slot for one request, sleeping until it is due. Fails with the
    /// wait it would need when that is longer than `max_wait`.
    pub fn acquire(&self, max_wait: Duration) -> Result<(), Duration> {
        let interval = self.interval_ns.load(Ordering::Relaxed);
        let tolerance = self.tolerance_ns(interval);
        loop {
            let now = clock::precise_now_ns();
            let tat = self.tat_ns.load(Ordering::Acquire);
            let allowed_at = tat.saturating_sub(tolerance);
            let wait = Duration::from_nanos(allowed_at.saturating_sub(now));
            if wait > max_wait {
                return Err(wait);
            }
            let new_tat = tat.max(now) + interval;
            if self.tat_ns.compare_exchange(tat, new_tat, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                if !wait.is_zero() {
                    log::debug!("oauth2cc: waiting {} ms for the token endpoint's request budget", wait.as_millis());
                    std::thread::sleep(wait);
                }
                return Ok(());
            }
        }
    }

    /// Requests per second currently allowed.
    pub fn rate(&self) -> f64 {
        1e9 / self.interval_ns.load(Ordering::Relaxed).max(1) as f64
    }

    pub fn note_rejection(&self) {
        self.last_rejection_ns.store(clock::precise_now_ns().max(1), Ordering::Relaxed);
    }

    /// Whether a credential error or 429 happened recently enough that a
    /// connection failure now may be the IAM blocking this IP.
    pub fn recently_rejected(&self) -> bool {
        let at = self.last_rejection_ns.load(Ordering::Relaxed);
        at != 0 && clock::precise_now_ns().saturating_sub(at) < BLOCK_HINT_WINDOW.as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn budget_allows_a_burst_of_one_second_then_paces() {
        let e = endpoint("https://budget.test/token-a", 10.0);
        for _ in 0..10 {
            assert_eq!(e.acquire(Duration::ZERO), Ok(()));
        }
        let wait = e.acquire(Duration::ZERO).unwrap_err();
        assert!(wait > Duration::from_millis(50) && wait <= Duration::from_millis(100), "{wait:?}");
        let t = Instant::now();
        assert_eq!(e.acquire(Duration::from_secs(1)), Ok(()));
        assert!(t.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn the_strictest_rate_wins_and_50_is_the_ceiling() {
        let e = endpoint("https://budget.test/token-b", 50.0);
        assert!((e.rate() - 50.0).abs() < 0.01);
        endpoint("https://BUDGET.test/token-b?x", 5.0);
        assert!((e.rate() - 5.0).abs() < 0.01, "shared per endpoint, lowered by a stricter client");
        endpoint("https://budget.test/token-b", 40.0);
        assert!((e.rate() - 5.0).abs() < 0.01, "never raised again");
        assert!((endpoint("https://budget.test/token-c", 500.0).rate() - 50.0).abs() < 0.01);
    }
}
