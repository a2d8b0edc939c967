//! The token cache: lock-free reads, renewal at a random point of the
//! lifetime, single flight, and serving a still-valid token through failures.
//!
//! Readers load the current token through `ArcSwapOption` (no lock, no shared
//! write on the fast path). One caller at a time becomes the leader by
//! winning `refreshing`; it sends the request holding no lock. Callers that
//! still have a valid token never wait; callers without one wait on `done`
//! for the leader's outcome and share it, success or error.

use crate::backoff;
use crate::clock;
use crate::error::{Error, ErrorKind};
use crate::token::Token;
use arc_swap::ArcSwapOption;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Cache {
    current: ArcSwapOption<Token>,
    refreshing: AtomicBool,
    state: Mutex<FlightState>,
    done: Condvar,
}

#[derive(Default)]
struct FlightState {
    /// Bumped when a flight ends.
    generation: u64,
    /// The error of the last flight, when it failed.
    last_error: Option<Error>,
    /// No request before this instant (backoff, cool-down, Retry-After).
    blocked_until: Option<Instant>,
    failures: u32,
}

impl Cache {
    pub fn new() -> Cache {
        Cache {
            current: ArcSwapOption::const_empty(),
            refreshing: AtomicBool::new(false),
            state: Mutex::new(FlightState::default()),
            done: Condvar::new(),
        }
    }

    /// The fast path: `f` on the current token when it is not yet due for
    /// renewal. No lock, no I/O, no reference count touched.
    #[inline]
    pub fn with_fresh<R>(&self, f: impl FnOnce(&Token) -> R) -> Option<R> {
        let guard = self.current.load();
        match guard.as_deref() {
            Some(t) if clock::coarse_now_ns() < t.renew_at_ns => Some(f(t)),
            _ => None,
        }
    }

    /// The current token when it is not yet due for renewal.
    pub fn fresh(&self) -> Option<Arc<Token>> {
        self.current.load_full().filter(|t| clock::coarse_now_ns() < t.renew_at_ns)
    }

    /// The current token if any, valid or not (for inspection).
    pub fn peek(&self) -> Option<Arc<Token>> {
        self.current.load_full()
    }

    /// A valid token: the cached one, or one from `fetch` (called by at most one
    /// thread at a time). Waiting for another thread's request ends by `wait_limit`.
    pub fn get(&self, fetch: &dyn Fn() -> Result<Token, Error>, wait_limit: Duration) -> Result<Arc<Token>, Error> {
        let deadline = Instant::now() + wait_limit;
        loop {
            let now = Instant::now();
            let valid = self.current.load_full().filter(|t| now < t.expires_at);
            if let Some(t) = &valid {
                if now < t.renew_at || self.refreshing.load(Ordering::Acquire) {
                    return Ok(t.clone());
                }
            }
            {
                let st = self.state.lock();
                if let Some(until) = st.blocked_until.filter(|u| now < *u) {
                    return match valid {
                        Some(t) => Ok(t),
                        None => Err(blocked_error(&st, until - now)),
                    };
                }
            }
            if self.refreshing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                // Another leader may have published between our load and our win.
                if let Some(t) = self.current.load_full().filter(|t| Instant::now() < t.renew_at) {
                    self.step_down();
                    return Ok(t);
                }
                return self.lead(fetch, valid);
            }
            if let Some(t) = valid {
                return Ok(t);
            }
            let mut st = self.state.lock();
            let gen = st.generation;
            while self.refreshing.load(Ordering::Acquire) && st.generation == gen {
                if self.done.wait_until(&mut st, deadline).timed_out() {
                    return Err(Error::new(ErrorKind::Timeout, "timed out waiting for another thread's token request"));
                }
            }
            if st.generation != gen {
                if let Some(e) = &st.last_error {
                    let left = st.blocked_until.map(|u| u.saturating_duration_since(Instant::now()));
                    return Err(e.clone().with_retry_after(left.or(e.retry_after())));
                }
            }
            // A token was published (or the leader vanished): look again.
        }
    }

    fn lead(&self, fetch: &dyn Fn() -> Result<Token, Error>, valid: Option<Arc<Token>>) -> Result<Arc<Token>, Error> {
        // Publishes an error if `fetch` panics, so that waiters wake and a later caller can lead.
        struct Leader<'a>(&'a Cache, bool);
        impl Drop for Leader<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    let _ = self.0.publish(Err(Error::new(ErrorKind::Internal, "token request panicked")));
                }
            }
        }
        let mut leader = Leader(self, false);
        let result = fetch();
        leader.1 = true;
        match self.publish(result) {
            Ok(t) => Ok(t),
            Err(e) => match valid.filter(|t| Instant::now() < t.expires_at) {
                Some(t) => Ok(t),
                None => Err(e),
            },
        }
    }

    /// Gives up leadership without a request.
    fn step_down(&self) {
        let st = self.state.lock();
        self.refreshing.store(false, Ordering::Release);
        drop(st);
        self.done.notify_all();
    }

    fn publish(&self, result: Result<Token, Error>) -> Result<Arc<Token>, Error> {
        let mut st = self.state.lock();
        let out = match result {
            Ok(token) => {
                let t = Arc::new(token);
                self.current.store(Some(t.clone()));
                st.failures = 0;
                st.blocked_until = None;
                st.last_error = None;
                Ok(t)
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                let wait = backoff::delay_after(&e, st.failures);
                st.blocked_until = Some(Instant::now() + wait);
                st.last_error = Some(e.clone());
                Err(e.with_retry_after(Some(wait)))
            }
        };
        st.generation += 1;
        self.refreshing.store(false, Ordering::Release);
        drop(st);
        self.done.notify_all();
        out
    }

    /// Drops the cached token if it is still `token`; true if it was dropped.
    pub fn invalidate(&self, token: &str) -> bool {
        let cur = self.current.load();
        match cur.as_deref() {
            Some(t) if t.access_token.as_str() == token => {
                let prev = self.current.compare_and_swap(&*cur, None);
                match (&*prev, &*cur) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

fn blocked_error(st: &FlightState, left: Duration) -> Error {
    match &st.last_error {
        Some(e) => e.clone().with_retry_after(Some(left)),
        None => Error::new(ErrorKind::Internal, "token requests are paused").with_retry_after(Some(left)),
    }
}
