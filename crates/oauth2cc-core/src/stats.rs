//! Per-client counters. The cached-read counter is striped over cache lines
//! so that threads reading the cache at once do not write to one shared line.

use crate::error::ErrorKind;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const STRIPES: usize = 16;

#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

/// A counter that many threads add to without contention.
#[derive(Default)]
pub(crate) struct StripedCounter([Padded; STRIPES]);

thread_local! {
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn my_stripe() -> usize {
    STRIPE.with(|s| {
        if s.get() == usize::MAX {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            s.set(NEXT.fetch_add(1, Ordering::Relaxed) as usize % STRIPES);
        }
        s.get()
    })
}

impl StripedCounter {
    #[inline]
    pub fn add(&self, n: u64) {
        self.0[my_stripe()].0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.iter().map(|p| p.0.load(Ordering::Relaxed)).sum()
    }
}

/// Every [`ErrorKind`], in a stable order (index into failure counters).
pub(crate) const KINDS: [ErrorKind; 11] = [
    ErrorKind::InvalidConfig,
    ErrorKind::InvalidClient,
    ErrorKind::InvalidScope,
    ErrorKind::Rejected,
    ErrorKind::RateLimited,
    ErrorKind::Network,
    ErrorKind::Timeout,
    ErrorKind::Tls,
    ErrorKind::Protocol,
    ErrorKind::Server,
    ErrorKind::Internal,
];

#[derive(Default)]
pub(crate) struct Counters {
    pub cached_reads: StripedCounter,
    pub token_requests: AtomicU64,
    pub successes: AtomicU64,
    pub failures: [AtomicU64; KINDS.len()],
}

impl Counters {
    pub fn failure(&self, kind: ErrorKind) {
        let i = KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len() - 1);
        self.failures[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of a client's counters and state ([`Client::stats`](crate::Client::stats)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Calls answered from the cache without a request.
    pub cached_reads: u64,
    /// Token requests sent (each one reached the network).
    pub token_requests: u64,
    pub successes: u64,
    /// Failed token requests, by kind (only kinds that occurred).
    pub failures: Vec<(ErrorKind, u64)>,
    /// Time left on the cached token (None: no token, or expired).
    pub token_expires_in: Option<Duration>,
    /// How long until the next token request is allowed after a failure
    /// (backoff, cool-down or the server's Retry-After); None when not paused.
    pub paused_for: Option<Duration>,
    /// The kind of the last failed request, if the last request failed.
    pub last_error: Option<ErrorKind>,
}

impl Stats {
    pub fn failures_of(&self, kind: ErrorKind) -> u64 {
        self.failures.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n).unwrap_or(0)
    }

    pub fn total_failures(&self) -> u64 {
        self.failures.iter().map(|(_, n)| n).sum()
    }
}
