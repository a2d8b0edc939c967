//! The token cache: lock-free reads, renewal at a random point of the
//! lifetime, single flight, serving a still-valid token through failures, and
//! pausing requests after one fails.
//!
//! Readers load the current token through `ArcSwapOption` (no lock, no shared
//! write on the fast path). One caller at a time becomes the leader by
//! winning `refreshing`; it sends the request holding no lock. Callers that
//! still have a valid token never wait; callers without one wait on `done`
//! for the leader's outcome and share it, success or error.

use crate::backoff::{self, Policy};
use crate::deferred::say;
use crate::error::{Error, ErrorKind};
use crate::stats::{Counters, Stats, KINDS};
use crate::token::Token;
use crate::{clock, fork};
use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A failed fetch, with a token still valid if the storage had one (the
/// file cache during another process's pause).
pub(crate) struct Failed {
    pub error: Error,
    pub usable: Option<Box<Token>>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed { error, usable: None }
    }
}

pub(crate) struct Cache {
    current: ArcSwapOption<Token>,
    sync: ArcSwap<Flight>,
    pub(crate) policy: Policy,
    pub(crate) counters: Counters,
}

/// Single-flight state. Replaced wholesale in a forked child (see `fork.rs`):
/// its lock may be held, and its request in flight, by a thread the child lacks.
struct Flight {
    fork_generation: u64,
    refreshing: AtomicBool,
    state: Mutex<FlightState>,
    done: Condvar,
}

#[derive(Default, Clone)]
struct FlightState {
    /// Bumped when a flight ends.
    generation: u64,
    /// The error of the last flight, when it failed.
    last_error: Option<Error>,
    /// No request before this instant (backoff, cool-down, Retry-After).
    blocked_until: Option<Instant>,
    failures: u32,
    /// Bumped when the configuration changes (`clear_pause`): a request sent
    /// under an older one says nothing about the new one and pauses nothing.
    config_epoch: u64,
}

impl Flight {
    fn new(state: FlightState) -> Flight {
        Flight {
            fork_generation: fork::generation(),
            refreshing: AtomicBool::new(false),
            state: Mutex::new(state),
            done: Condvar::new(),
        }
    }
}

impl Cache {
    pub fn new(policy: Policy) -> Cache {
        Cache {
            current: ArcSwapOption::const_empty(),
            sync: ArcSwap::from_pointee(Flight::new(FlightState::default())),
            policy,
            counters: Counters::default(),
        }
    }

    /// The fast path: `f` on the current token when it is not yet due for
    /// renewal. No lock, no I/O, no reference count touched.
    #[inline]
    pub fn with_fresh<R>(&self, f: impl FnOnce(&Token) -> R) -> Option<R> {
        let guard = self.current.load();
        match guard.as_deref() {
            Some(t) if is_fresh(t) => {
                self.counters.cached_reads.add(1);
                Some(f(t))
            }
            _ => None,
        }
    }

    /// The current token when it is not yet due for renewal.
    pub fn fresh(&self) -> Option<Arc<Token>> {
        let t = self.current.load_full().filter(|t| is_fresh(t));
        if t.is_some() {
            self.counters.cached_reads.add(1);
        }
        t
    }

    /// The current token if any, valid or not (for inspection).
    pub fn peek(&self) -> Option<Arc<Token>> {
        self.current.load_full()
    }

    /// The single-flight state of this process, replacing one inherited through `fork()`.
    fn flight(&self) -> Arc<Flight> {
        loop {
            let f = self.sync.load_full();
            if f.fork_generation == fork::generation() {
                return f;
            }
            // Keep the pause and the last error if the lock is free; a request
            // in flight in the parent is not ours to wait for.
            let carried = f.state.try_lock().map(|s| s.clone()).unwrap_or_default();
            let fresh = Arc::new(Flight::new(carried));
            let prev = self.sync.compare_and_swap(&f, fresh);
            if Arc::ptr_eq(&prev, &f) {
                self.rejitter_after_fork();
            }
        }
    }

    /// A token inherited from the parent gets its own renewal point, so that
    /// pre-forked workers do not all renew at the same instant.
    fn rejitter_after_fork(&self) {
        let cur = self.current.load();
        if let Some(t) = cur.as_deref().filter(|t| t.fork_generation != fork::generation()) {
            let again = Arc::new(t.rejittered(self.policy.renew_after));
            self.current.compare_and_swap(&*cur, Some(again));
        }
    }

    /// A valid token: the cached one, or one from `fetch` (called by at most one
    /// thread at a time). Waiting for another thread's request ends by `deadline`.
    pub fn get(&self, fetch: &dyn Fn() -> Result<Token, Failed>, deadline: Instant) -> Result<Arc<Token>, Error> {
        loop {
            let t = self.get_once(fetch, deadline)?;
            // Found valid before a wait (a lock, another thread's request): never
            // hand out a token that expired meanwhile.
            if Instant::now() < t.expires_at {
                return Ok(t);
            }
            if Instant::now() >= deadline {
                return Err(Error::new(ErrorKind::Timeout, "token request timed out (the token expired on arrival)"));
            }
        }
    }

    fn get_once(&self, fetch: &dyn Fn() -> Result<Token, Failed>, deadline: Instant) -> Result<Arc<Token>, Error> {
        loop {
            let flight = self.flight();
            let now = Instant::now();
            let valid = self.current.load_full().filter(|t| now < t.expires_at);
            if let Some(t) = &valid {
                if (now < t.renew_at && t.fork_generation == fork::generation())
                    || flight.refreshing.load(Ordering::Acquire)
                {
                    self.counters.cached_reads.add(1);
                    return Ok(t.clone());
                }
            }
            {
                let st = flight.state.lock();
                if let Some(until) = st.blocked_until.filter(|u| now < *u) {
                    return match valid {
                        Some(t) => {
                            self.counters.cached_reads.add(1);
                            Ok(t)
                        }
                        None => Err(blocked_error(&st, until - now)),
                    };
                }
            }
            if flight.refreshing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                // Another leader may have published between our load and our win.
                if let Some(t) = self.current.load_full().filter(|t| Instant::now() < t.renew_at) {
                    step_down(&flight);
                    self.counters.cached_reads.add(1);
                    return Ok(t);
                }
                return self.lead(&flight, fetch, valid);
            }
            if let Some(t) = valid {
                self.counters.cached_reads.add(1);
                return Ok(t);
            }
            let mut st = flight.state.lock();
            let gen = st.generation;
            while flight.refreshing.load(Ordering::Acquire) && st.generation == gen {
                if flight.done.wait_until(&mut st, deadline).timed_out() {
                    return Err(Error::new(ErrorKind::Timeout, "timed out waiting for another thread's token request"));
                }
            }
            if st.generation != gen {
                if let Some(e) = &st.last_error {
                    let left = st.blocked_until.map(|u| u.saturating_duration_since(Instant::now()));
                    return Err(e.clone().with_retry_after(left.or(e.retry_after())));
                }
            }
            // A token was published (or the leader stepped down): look again.
        }
    }

    fn lead(
        &self,
        flight: &Flight,
        fetch: &dyn Fn() -> Result<Token, Failed>,
        valid: Option<Arc<Token>>,
    ) -> Result<Arc<Token>, Error> {
        // Publishes an error if `fetch` panics, so that waiters wake and a later caller can lead.
        struct Leader<'a>(&'a Cache, &'a Flight, bool);
        impl Drop for Leader<'_> {
            fn drop(&mut self) {
                if !self.2 {
                    let epoch = self.1.state.lock().config_epoch;
                    let _ = self.0.publish(
                        self.1,
                        Err(Error::new(ErrorKind::Internal, "token request panicked")),
                        None,
                        epoch,
                    );
                }
            }
        }
        // Lines logged while leading (transport, file cache, publish) wait
        // until the outcome is published and the locks released.
        let _hold = crate::deferred::Hold::new();
        let epoch = flight.state.lock().config_epoch;
        let mut leader = Leader(self, flight, false);
        let result = fetch();
        leader.2 = true;
        let (result, valid) = match result {
            Ok(t) => (Ok(t), valid),
            // A valid token from the storage is served while this failure's backoff lasts.
            Err(Failed { error, usable }) => {
                let valid = valid.or_else(|| {
                    let t: Arc<Token> = Arc::from(usable.filter(|t| Instant::now() < t.expires_at)?);
                    self.current.store(Some(t.clone()));
                    Some(t)
                });
                (Err(error), valid)
            }
        };
        match self.publish(flight, result, valid.as_deref(), epoch) {
            Ok(t) => Ok(t),
            Err(e) => match valid.filter(|t| Instant::now() < t.expires_at) {
                Some(t) => Ok(t),
                None => Err(e),
            },
        }
    }

    fn publish(
        &self,
        flight: &Flight,
        result: Result<Token, Error>,
        valid: Option<&Token>,
        epoch: u64,
    ) -> Result<Arc<Token>, Error> {
        let mut st = flight.state.lock();
        let out = match result {
            Ok(token) => {
                let t = Arc::new(token);
                self.current.store(Some(t.clone()));
                st.failures = 0;
                st.blocked_until = None;
                st.last_error = None;
                self.counters.successes.fetch_add(1, Ordering::Relaxed);
                Ok(t)
            }
            Err(e) if st.config_epoch != epoch => {
                // Sent under a configuration replaced since (a rotated secret):
                // the caller gets its error, the new configuration no pause.
                self.counters.failure(e.kind());
                Err(e)
            }
            Err(e) => {
                // Another process's recorded pause: wait exactly as long as it still lasts.
                let wait = match e.retry_after().filter(|_| e.is_pause()) {
                    Some(left) => left,
                    None => {
                        st.failures = st.failures.saturating_add(1);
                        backoff::delay_after(&e, st.failures, &self.policy)
                    }
                };
                st.blocked_until = Some(Instant::now() + wait);
                st.last_error = Some(e.clone());
                self.counters.failure(e.kind());
                Err(e.with_retry_after(Some(wait)))
            }
        };
        st.generation += 1;
        flight.refreshing.store(false, Ordering::Release);
        drop(st);
        flight.done.notify_all();
        // Logged with no lock held: a log handler may wait for locks of its own.
        if let Err(e) = &out {
            let wait = e.retry_after().unwrap_or_default();
            match valid.map(|t| t.expires_in()).filter(|d| !d.is_zero()) {
                Some(left) => say!(
                    log::Level::Warn,
                    "oauth2cc: token renewal failed: {e}; serving the cached token (valid {:.0} s more); next attempt in {:.1} s",
                    left.as_secs_f64(),
                    wait.as_secs_f64()
                ),
                None => say!(
                    log::Level::Warn,
                    "oauth2cc: token request failed: {e}; next attempt in {:.1} s",
                    wait.as_secs_f64()
                ),
            }
        }
        out
    }

    /// Drops the cached token if it is still `token`; true if it was dropped.
    pub fn invalidate(&self, token: &str) -> bool {
        let cur = self.current.load();
        match cur.as_deref() {
            Some(t) if t.access_token.as_str() == token => {
                let prev = self.current.compare_and_swap(&*cur, None);
                let dropped = matches!((&*prev, &*cur), (Some(a), Some(b)) if Arc::ptr_eq(a, b));
                if dropped {
                    say!(log::Level::Info, "oauth2cc: token {} invalidated", t.fingerprint());
                }
                dropped
            }
            _ => false,
        }
    }

    /// Ends a pause after a failure (the configuration changed).
    pub fn clear_pause(&self) {
        let flight = self.flight();
        let mut st = flight.state.lock();
        st.blocked_until = None;
        st.last_error = None;
        st.failures = 0;
        st.config_epoch = st.config_epoch.wrapping_add(1);
    }

    pub fn stats(&self) -> Stats {
        let flight = self.flight();
        let (paused_for, last_error) = {
            let st = flight.state.lock();
            let now = Instant::now();
            (st.blocked_until.filter(|u| now < *u).map(|u| u - now), st.last_error.as_ref().map(|e| e.kind()))
        };
        let c = &self.counters;
        Stats {
            cached_reads: c.cached_reads.get(),
            token_requests: c.token_requests.load(Ordering::Relaxed),
            successes: c.successes.load(Ordering::Relaxed),
            failures: KINDS
                .iter()
                .zip(&c.failures)
                .map(|(k, n)| (*k, n.load(Ordering::Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            token_expires_in: self.peek().map(|t| t.expires_in()).filter(|d| !d.is_zero()),
            paused_for,
            last_error,
        }
    }
}

/// Not yet due for renewal and certainly not expired, on the fast clock, and
/// not inherited through `fork()`.
#[inline]
pub(crate) fn is_fresh(t: &Token) -> bool {
    let (precise, coarse) = t.fresh_until_ns;
    let now = clock::coarse_now_ns();
    (now < coarse || (now < precise && clock::precise_now_ns() < precise)) && t.fork_generation == fork::generation()
}

/// Gives up leadership without a request.
fn step_down(flight: &Flight) {
    let st = flight.state.lock();
    flight.refreshing.store(false, Ordering::Release);
    drop(st);
    flight.done.notify_all();
}

fn blocked_error(st: &FlightState, left: Duration) -> Error {
    match &st.last_error {
        Some(e) => e.clone().during_pause(Some(left)),
        None => Error::new(ErrorKind::Internal, "token requests are paused").during_pause(Some(left)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    fn token(renew_at: Instant, expires_at: Instant) -> Token {
        Token {
            access_token: zeroize::Zeroizing::new("t".into()),
            token_type: "Bearer".into(),
            scope: None,
            requested_scope: None,
            requested_at: Instant::now(),
            expires_at,
            renew_at,
            fresh_until_ns: clock::fast_limits_ns(renew_at, expires_at),
            fork_generation: fork::generation(),
            expires_at_system: std::time::SystemTime::now(),
            extra: Default::default(),
        }
    }

    /// The worst case: a renewal point at expiry. Whatever the coarse clock's
    /// lag, the fast path stops handing the token out before it expires. A
    /// token handed out by a call that began at or after expiry is proof of a
    /// wrong decision (a thread preempted inside the call proves nothing).
    #[test]
    fn the_fast_path_never_hands_out_an_expired_token() {
        for _ in 0..5 {
            let c = Cache::new(Policy { cool_down: Duration::from_secs(60), renew_after: (0.8, 0.9) });
            let expires = Instant::now() + Duration::from_millis(30);
            c.current.store(Some(Arc::new(token(expires, expires))));
            let (served, late) = (AtomicU64::new(0), AtomicU64::new(0));
            std::thread::scope(|s| {
                for _ in 0..3 {
                    s.spawn(|| loop {
                        let before = Instant::now();
                        match c.with_fresh(|t| before < t.expires_at) {
                            Some(ok) => {
                                served.fetch_add(1, Ordering::Relaxed);
                                if !ok {
                                    late.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            None => break,
                        }
                    });
                }
            });
            assert!(served.load(Ordering::Relaxed) > 0);
            assert_eq!(late.load(Ordering::Relaxed), 0, "handed out at or after expiry");
            assert!(c.fresh().is_none() && Instant::now() >= expires - Duration::from_millis(30));
        }
    }
}
