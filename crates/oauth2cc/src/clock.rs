//! A cheap clock for the cache's fast path.
//!
//! Reading `CLOCK_MONOTONIC` costs about 20 ns, a third of the budget for a
//! cached read. `CLOCK_MONOTONIC_COARSE` is the same clock read at the last
//! scheduler tick (a few ms behind, never ahead) for about 5 ns. The fast
//! path only decides "not yet time to renew", and a renewal point that shows
//! a few ms late is harmless: it lies at 80-90 % of the lifetime. Validity
//! (expiry) is always checked on the precise clock.

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

/// `at` on the scale of [`coarse_now_ns`].
pub(crate) fn to_ns(at: Instant) -> u64 {
    let (now, now_ns) = (Instant::now(), precise_now_ns());
    if at >= now {
        now_ns.saturating_add((at - now).as_nanos() as u64)
    } else {
        now_ns.saturating_sub((now - at).as_nanos() as u64)
    }
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
