//! How long a client waits after a failed token request before it sends another.
//! During that time callers get the cached token if it is still valid, else the
//! same error again, without a request: a misconfigured client in a loop, or a
//! fleet after an outage, must not get the caller's IP blocked by the IAM.

use crate::error::{Error, ErrorKind};
use crate::jitter;
use std::time::Duration;

pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// The shortest pause after a 429: `Retry-After: 0` (or a date already
/// past) would otherwise let every call send a request.
pub(crate) const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);
pub(crate) const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(60);
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(500);
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// The cache's policy knobs, from the configuration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    /// Pause after a credential or configuration error.
    pub cool_down: Duration,
    /// The renewal window, as fractions of the lifetime.
    pub renew_after: (f64, f64),
}

/// The wait after the `failures`-th failure in a row (1 for the first).
pub(crate) fn delay_after(err: &Error, failures: u32, policy: &Policy) -> Duration {
    match err.kind() {
        ErrorKind::RateLimited => {
            err.retry_after().unwrap_or(DEFAULT_RETRY_AFTER).clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER)
        }
        // Retrying cannot help until someone changes the configuration.
        // A configuration error the token endpoint reported (a 404: a wrong
        // realm or path) backs off as a server error instead: it is the
        // server's answer, and a realm being deployed can appear.
        ErrorKind::InvalidConfig if err.status().is_some() => exponential(err, failures),
        ErrorKind::InvalidClient | ErrorKind::InvalidScope | ErrorKind::Rejected | ErrorKind::InvalidConfig => {
            policy.cool_down
        }
        ErrorKind::Server
        | ErrorKind::Network
        | ErrorKind::Timeout
        | ErrorKind::Tls
        | ErrorKind::Protocol
        | ErrorKind::Internal => exponential(err, failures),
        // An API's answer, never a token request's: backed off like a bug if it ever were.
        ErrorKind::ApiInsufficientScope
        | ErrorKind::ApiInvalidRequest
        | ErrorKind::ApiRejected
        | ErrorKind::ApiUnauthorized => exponential(err, failures),
    }
}

/// Exponential backoff with full jitter (uniform in [0, exp]); a server's
/// Retry-After wins when longer.
fn exponential(err: &Error, failures: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(BACKOFF_CAP);
    let jittered = exp.mul_f64(jitter::uniform(0.0, 1.0));
    match err.retry_after() {
        Some(ra) => jittered.max(ra.min(MAX_RETRY_AFTER)),
        None => jittered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy { cool_down: DEFAULT_COOL_DOWN, renew_after: (0.8, 0.9) };

    #[test]
    fn delays_per_kind() {
        let rl = Error::new(ErrorKind::RateLimited, "x");
        assert_eq!(delay_after(&rl, 1, &P), DEFAULT_RETRY_AFTER);
        assert_eq!(delay_after(&rl.clone().with_retry_after(Some(Duration::from_secs(7200))), 1, &P), MAX_RETRY_AFTER);
        assert_eq!(delay_after(&rl.clone().with_retry_after(Some(Duration::ZERO)), 1, &P), MIN_RETRY_AFTER);
        assert_eq!(delay_after(&Error::new(ErrorKind::InvalidClient, "x"), 3, &P), DEFAULT_COOL_DOWN);
        assert_eq!(delay_after(&Error::new(ErrorKind::InvalidConfig, "x"), 3, &P), DEFAULT_COOL_DOWN);
        let not_found = Error::new(ErrorKind::InvalidConfig, "x").with_status(404);
        assert!(delay_after(&not_found, 1, &P) <= BACKOFF_BASE);
        let net = Error::new(ErrorKind::Network, "x");
        for n in 1..40 {
            let d = delay_after(&net, n, &P);
            let cap = BACKOFF_BASE.saturating_mul(1 << (n - 1).min(16)).min(BACKOFF_CAP);
            assert!(d <= cap, "{n}: {d:?} > {cap:?}");
        }
        let spread: Vec<Duration> = (0..200).map(|_| delay_after(&net, 8, &P)).collect();
        assert!(
            spread.iter().any(|d| *d < Duration::from_secs(20)) && spread.iter().any(|d| *d > Duration::from_secs(40))
        );
    }
}
