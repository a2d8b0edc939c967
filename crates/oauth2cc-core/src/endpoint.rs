//! Process-wide state per token endpoint: the token-request budget shared by
//! every client of this process that uses the endpoint, and when the
//! endpoint last rejected credentials or rate limited us (for the "IP may be
//! blocked" hint).
//!
//! The budget is a sliding window over whole requests: a request holds one of
//! r slots from the moment it goes until its answer is in, and for a window
//! (one second) after that. Since the IAM sees a request between those two
//! moments, no one-second window, whatever its alignment and whatever the
//! network's delays, ever holds more than r of this process's requests at the
//! IAM. The slots' lock is held for a few instructions only, never while
//! sleeping or logging, and a forked child replaces it rather than wait for a
//! lock its parent's thread may hold.

use crate::clock;
use crate::deferred::say;
use crate::fork;
use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The IAM allows 50 token requests per second per IP; never plan above it.
pub(crate) const MAX_RATE: f64 = 50.0;
pub(crate) const DEFAULT_RATE: f64 = 10.0;
/// How long after a credential error or a 429 a connection failure hints at an IP block.
const BLOCK_HINT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// A slot's end while its request is in flight.
const IN_FLIGHT: u64 = u64::MAX;
/// How often to look again when every slot is held by a request in flight.
const POLL: Duration = Duration::from_millis(10);

/// The busy slots: (ticket id, when its request ended or `IN_FLIGHT`).
type Slots = Mutex<Vec<(u64, u64)>>;

pub(crate) struct Endpoint {
    /// The allowed rate in requests per second, as `f64` bits; only ever lowered.
    rate_bits: AtomicU64,
    /// The slots of this process, and the fork generation they belong to.
    slots: ArcSwap<(u64, Slots)>,
    next_id: AtomicU64,
    /// When the endpoint last rejected credentials or answered 429 (0: never).
    last_rejection_ns: AtomicU64,
}

/// A budget slot held by one request; its window starts when it is dropped.
pub(crate) struct Ticket {
    slots: Arc<(u64, Slots)>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let now = clock::precise_now_ns();
        if let Some(e) = self.slots.1.lock().iter_mut().find(|e| e.0 == self.id) {
            e.1 = now;
        }
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ticket({})", self.id)
    }
}

/// The shared state of the IAM at `authority` (`host:port`, see
/// `ParsedUrl::authority`), created on first use: the IAM counts requests per
/// IP, so every realm and every spelling of its URL shares one budget. A
/// client asking for a lower rate than the endpoint has lowers it for
/// everyone (the strictest wins). The map is replaced, never locked, so a
/// `fork()` cannot leave it held by a thread the child lacks.
pub(crate) fn endpoint(authority: &str, rate: f64) -> Arc<Endpoint> {
    static ALL: ArcSwapOption<HashMap<String, Arc<Endpoint>>> = ArcSwapOption::const_empty();
    let key = authority.to_ascii_lowercase();
    let e = loop {
        let all = ALL.load_full();
        if let Some(e) = all.as_ref().and_then(|m| m.get(&key)) {
            break e.clone();
        }
        let e = Arc::new(Endpoint {
            rate_bits: AtomicU64::new(MAX_RATE.to_bits()),
            slots: ArcSwap::from_pointee((fork::generation(), Mutex::new(Vec::new()))),
            next_id: AtomicU64::new(1),
            last_rejection_ns: AtomicU64::new(0),
        });
        let mut grown = all.as_deref().cloned().unwrap_or_default();
        grown.insert(key.clone(), e.clone());
        let prev = ALL.compare_and_swap(&all, Some(Arc::new(grown)));
        if same(&prev, &all) {
            break e;
        }
        // Another thread added an endpoint meanwhile: look again.
    };
    let rate = if rate.is_nan() { DEFAULT_RATE } else { rate.clamp(0.001, MAX_RATE) };
    let _ = e
        .rate_bits
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| (rate < f64::from_bits(b)).then_some(rate.to_bits()));
    e
}

fn same<T>(a: &Option<Arc<T>>, b: &Option<Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl Endpoint {
    /// r slots, each busy for `window` after its request ended: `floor(rate)`
    /// per second, or one per `1 / rate` seconds below one per second.
    fn limits(&self) -> (usize, u64) {
        let rate = self.rate();
        if rate >= 1.0 {
            (rate as usize, 1_000_000_000)
        } else {
            (1, (1e9 / rate) as u64)
        }
    }

    /// The slots of this process. A forked child starts from a copy in which
    /// the parent's requests in flight ended now (or, if the parent's thread
    /// held the lock, from every slot ending now).
    fn slots(&self) -> Arc<(u64, Slots)> {
        loop {
            let s = self.slots.load_full();
            if s.0 == fork::generation() {
                return s;
            }
            let now = clock::precise_now_ns();
            let copy: Vec<(u64, u64)> = match s.1.try_lock() {
                Some(v) => v.iter().map(|&(id, end)| (id, end.min(now))).collect(),
                None => (0..self.limits().0 as u64).map(|id| (id, now)).collect(),
            };
            let fresh = Arc::new((fork::generation(), Mutex::new(copy)));
            self.slots.compare_and_swap(&s, fresh);
        }
    }

    /// Takes a slot for one request, sleeping until one is free; the slot is
    /// busy until the ticket is dropped and a window after. Fails at once,
    /// with the wait a slot needs, when none can be had before `deadline`.
    pub fn acquire(&self, deadline: Instant) -> Result<Ticket, Duration> {
        let slots = self.slots();
        loop {
            let (count, window) = self.limits();
            let now = clock::precise_now_ns();
            let free_at = {
                let mut v = slots.1.lock();
                v.retain(|&(_, end)| end == IN_FLIGHT || now < end.saturating_add(window));
                if v.len() < count {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    v.push((id, IN_FLIGHT));
                    drop(v);
                    return Ok(Ticket { slots, id });
                }
                v.iter().filter(|e| e.1 != IN_FLIGHT).map(|e| e.1 + window).min()
            };
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = match free_at {
                Some(at) => Duration::from_nanos(at - now),
                // Every slot is held by a request in flight: it ends by its own deadline.
                None if left > POLL => POLL,
                None => return Err(POLL),
            };
            if wait >= left {
                return Err(wait);
            }
            if free_at.is_some() {
                say!(
                    log::Level::Debug,
                    "oauth2cc: waiting {} ms for the token endpoint's request budget",
                    wait.as_millis()
                );
            }
            std::thread::sleep(wait);
        }
    }

    /// Requests per second currently allowed.
    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate_bits.load(Ordering::Relaxed))
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

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[test]
    fn budget_allows_r_per_sliding_second_never_more() {
        let e = endpoint("budget-a.test:443", 10.0);
        let start = Instant::now();
        for _ in 0..10 {
            e.acquire(soon(0)).unwrap();
        }
        // The 11th must wait until the 1st ended a window ago, not one interval.
        let wait = e.acquire(soon(0)).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1), "{wait:?}");
        e.acquire(start + Duration::from_secs(2)).unwrap();
        assert!(start.elapsed() >= Duration::from_secs(1), "{:?}", start.elapsed());
    }

    #[test]
    fn below_one_per_second_one_request_per_period() {
        let e = endpoint("budget-d.test:443", 0.5);
        e.acquire(soon(0)).unwrap();
        let wait = e.acquire(soon(100)).unwrap_err();
        assert!(wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2), "{wait:?}");
    }

    #[test]
    fn a_wait_past_the_deadline_fails_at_once() {
        let e = endpoint("budget-e.test:443", 1.0);
        e.acquire(soon(0)).unwrap();
        let t = Instant::now();
        assert!(e.acquire(soon(300)).is_err());
        assert!(t.elapsed() < Duration::from_millis(250));
    }

    #[test]
    fn a_slot_stays_busy_while_its_request_is_in_flight() {
        let e = endpoint("budget-f.test:443", 1.0);
        let held = e.acquire(soon(0)).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(e.acquire(soon(50)).is_err(), "the request in flight still holds the only slot");
        drop(held);
        let wait = e.acquire(soon(0)).unwrap_err();
        assert!(wait > Duration::from_millis(900), "a window counts from the end of the request: {wait:?}");
    }

    #[test]
    fn the_strictest_rate_wins_and_50_is_the_ceiling() {
        let e = endpoint("budget-b.test:443", 50.0);
        assert!((e.rate() - 50.0).abs() < 0.01);
        endpoint("BUDGET-b.test:443", 5.0);
        assert!((e.rate() - 5.0).abs() < 0.01, "shared per endpoint, lowered by a stricter client");
        endpoint("budget-b.test:443", 40.0);
        assert!((e.rate() - 5.0).abs() < 0.01, "never raised again");
        assert!((endpoint("budget-c.test:443", 500.0).rate() - 50.0).abs() < 0.01);
    }
}
