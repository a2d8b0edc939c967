//! A cheap clock for the cache's fast path.
//!
//! Reading `CLOCK_MONOTONIC` costs about 20 ns, a third of the budget for a
//! cached read. `CLOCK_MONOTONIC_COARSE` is the same clock read at the last
//! scheduler tick (a few ms behind, never ahead) for about 5 ns. The fast
//! path only decides "not yet time to renew", and a renewal point that shows
//! a few ms late is harmless: it lies at 80-90 % of the lifetime. Within a
//! second of expiry (short-lived tokens) the fast path reads the precise
//! clock instead (see [`fast_limits_ns`]).

use std::time::Instant;

#[cfg(target_os = "linux")]
fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and a valid out pointer.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Nanoseconds on the monotonic clock, possibly a few ms behind.
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn coarse_now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC_COARSE)
}

#[cfg(target_os = "linux")]
pub(crate) fn precise_now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

#[cfg(not(target_os = "linux"))]
fn base() -> Instant {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn coarse_now_ns() -> u64 {
    base().elapsed().as_nanos() as u64
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn precise_now_ns() -> u64 {
    base().elapsed().as_nanos() as u64
}

/// `at` on the scale of [`coarse_now_ns`], never later than it really is
/// (the clock is read before `Instant::now`).
pub(crate) fn to_ns(at: Instant) -> u64 {
    let now_ns = precise_now_ns();
    let now = Instant::now();
    if at >= now {
        now_ns.saturating_add((at - now).as_nanos() as u64)
    } else {
        now_ns.saturating_sub((now - at).as_nanos() as u64)
    }
}

/// The coarse clock lags the precise one by a scheduler tick and, on some
/// virtual machines, a few ms more (7.5 ms seen with a 4 ms resolution). The
/// fast path trusts it only this far from expiry; closer, it reads the precise clock.
const COARSE_GUARD_NS: u64 = 1_000_000_000;

/// The fast path's limits for a token, on the scale of [`precise_now_ns`]:
/// `(precise, coarse)`. A token is handed out when `coarse_now_ns() < coarse`
/// (far from expiry: the coarse clock's lag cannot matter), or else when
/// `precise_now_ns() < precise`; both are at or before `renew_at` and before
/// `expires_at`, so no clock reading can hand out an expired token.
pub(crate) fn fast_limits_ns(renew_at: Instant, expires_at: Instant) -> (u64, u64) {
    let (renew, expires) = (to_ns(renew_at), to_ns(expires_at));
    let precise = renew.min(expires.saturating_sub(1));
    (precise, precise.min(expires.saturating_sub(COARSE_GUARD_NS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn coarse_clock_tracks_instants() {
        let later = to_ns(Instant::now() + Duration::from_millis(200));
        assert!(coarse_now_ns() < later);
        std::thread::sleep(Duration::from_millis(250));
        assert!(coarse_now_ns() >= later, "coarse clock lags by at most a tick");
    }
}
