//! A small, fast random source for spreading renewals and backoff: splitmix64
//! seeded per thread from the clock, the thread and a process-wide counter.
//! Not for secrets.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static SALT: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    t ^ addr.rotate_left(29)
        ^ SALT.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ (std::process::id() as u64) << 40
}

fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut z = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// Uniform in [lo, hi].
pub(crate) fn uniform(lo: f64, hi: f64) -> f64 {
    let unit = (next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    lo + (hi - lo) * unit
}

/// Re-seeds this thread's state (after `fork()`, so that parent and child differ).
pub(crate) fn reseed() {
    STATE.with(|s| s.set(seed()));
}

#[cfg(test)]
mod tests {
    #[test]
    fn uniform_stays_in_bounds_and_spreads() {
        let xs: Vec<f64> = (0..10_000).map(|_| super::uniform(0.8, 0.9)).collect();
        assert!(xs.iter().all(|x| (0.8..=0.9).contains(x)));
        assert!(xs.iter().any(|x| *x < 0.81) && xs.iter().any(|x| *x > 0.89));
    }
}
