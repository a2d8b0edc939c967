//! `oauth_get_stats`: a client's counters, for monitoring.

use crate::boundary::{guard, invalid, non_null, Failure};
use crate::client::oauth_client;
use crate::status::{from_kind, oauth_status, OAUTH_OK};
use oauth2cc_core::ErrorKind;
use std::mem::offset_of;
use std::os::raw::c_uint;

/// The version of `oauth_stats` this header describes. Fields are only ever
/// appended, and the version is bumped with every appended field; the
/// library writes only the fields of the caller's `version`. 1: `version` to
/// `last_error`; 2: + the named `failures_*` counters.
pub const OAUTH_STATS_VERSION: c_uint = 2;

/// Size of `oauth_stats.failures`: one slot per status code, indexed by it.
/// Kept for version 1 callers; use the named `failures_*` counters (version
/// 2), which do not depend on status numbering.
pub const OAUTH_STATS_FAILURE_SLOTS: usize = 16;

/// A snapshot of a client's counters. Set `version` to `OAUTH_STATS_VERSION`
/// before calling `oauth_get_stats`; the library fills the fields that
/// version has.
#[repr(C)]
pub struct oauth_stats {
    /// `OAUTH_STATS_VERSION` of the header the caller was compiled with.
    pub version: c_uint,
    /// Calls answered from the cache without a request.
    pub cached_reads: u64,
    /// Token requests sent.
    pub token_requests: u64,
    /// Token requests that returned a token.
    pub successes: u64,
    /// Failed token requests by status code: `failures[OAUTH_ERR_NETWORK]`
    /// counts network failures, and so on.
    pub failures: [u64; OAUTH_STATS_FAILURE_SLOTS],
    /// Milliseconds left on the cached token; -1 when there is none or it expired.
    pub token_expires_in_ms: i64,
    /// Milliseconds until a token request is allowed again after a failure
    /// (backoff, cool-down, Retry-After); 0 when requests are not paused.
    pub paused_for_ms: i64,
    /// Status code of the last request if it failed, else `OAUTH_OK`.
    pub last_error: oauth_status,
    /// Version 2: failed token requests by kind (`OAUTH_ERR_INVALID_ARGUMENT`:
    /// a token URL that answers 404).
    pub failures_invalid_config: u64,
    /// `OAUTH_ERR_INVALID_CLIENT`.
    pub failures_invalid_client: u64,
    /// `OAUTH_ERR_INVALID_SCOPE`.
    pub failures_invalid_scope: u64,
    /// `OAUTH_ERR_REJECTED`.
    pub failures_rejected: u64,
    /// `OAUTH_ERR_RATE_LIMITED`.
    pub failures_rate_limited: u64,
    /// `OAUTH_ERR_NETWORK`.
    pub failures_network: u64,
    /// `OAUTH_ERR_TIMEOUT`.
    pub failures_timeout: u64,
    /// `OAUTH_ERR_TLS`.
    pub failures_tls: u64,
    /// `OAUTH_ERR_PROTOCOL`.
    pub failures_protocol: u64,
    /// `OAUTH_ERR_SERVER`.
    pub failures_server: u64,
    /// `OAUTH_ERR_INTERNAL`, and any kind a later release adds until it has a counter.
    pub failures_internal: u64,
}

/// Fills `*out` with `client`'s counters. `out->version` must be set; only
/// the fields of that version are written.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` for NULL or an unknown version.
/// Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new`; `out` must be NULL or a
/// writable `oauth_stats` of the version in its first field.
#[no_mangle]
pub unsafe extern "C" fn oauth_get_stats(client: *const oauth_client, out: *mut oauth_stats) -> oauth_status {
    guard("oauth_get_stats", || {
        let client = non_null(client, "client")?;
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        // SAFETY: `version` is the first field of every version.
        let version = unsafe { std::ptr::addr_of!((*out).version).read() };
        let len = version_len(version)?;
        let s = client.inner().stats();
        let ms = |d: std::time::Duration| d.as_millis().min(i64::MAX as u128) as i64;
        let mut failures = [0u64; OAUTH_STATS_FAILURE_SLOTS];
        let count = |k: ErrorKind| s.failures_of(k);
        for (kind, n) in &s.failures {
            let slot = from_kind(*kind) as usize;
            if slot < OAUTH_STATS_FAILURE_SLOTS {
                failures[slot] += n;
            }
        }
        let full = oauth_stats {
            version,
            cached_reads: s.cached_reads,
            token_requests: s.token_requests,
            successes: s.successes,
            failures,
            token_expires_in_ms: s.token_expires_in.map(ms).unwrap_or(-1),
            paused_for_ms: s.paused_for.map(ms).unwrap_or(0),
            last_error: s.last_error.map(from_kind).unwrap_or(OAUTH_OK),
            failures_invalid_config: count(ErrorKind::InvalidConfig),
            failures_invalid_client: count(ErrorKind::InvalidClient),
            failures_invalid_scope: count(ErrorKind::InvalidScope),
            failures_rejected: count(ErrorKind::Rejected),
            failures_rate_limited: count(ErrorKind::RateLimited),
            failures_network: count(ErrorKind::Network),
            failures_timeout: count(ErrorKind::Timeout),
            failures_tls: count(ErrorKind::Tls),
            failures_protocol: count(ErrorKind::Protocol),
            failures_server: count(ErrorKind::Server),
            // Token requests fail with the eleven token kinds only (never an API kind).
            failures_internal: count(ErrorKind::Internal),
        };
        // SAFETY: the caller's struct of `version` has `len` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(std::ptr::from_ref(&full).cast::<u8>(), out.cast::<u8>(), len) };
        Ok(OAUTH_OK)
    })
}

/// The bytes of `oauth_stats` that `version` has: up to the end of its last field.
fn version_len(version: c_uint) -> Result<usize, Failure> {
    match version {
        1 => Ok(offset_of!(oauth_stats, last_error) + std::mem::size_of::<oauth_status>()),
        2 => Ok(offset_of!(oauth_stats, failures_internal) + std::mem::size_of::<u64>()),
        v => Err(invalid(format!("out->version {v} is not 1..={OAUTH_STATS_VERSION}"))),
    }
}
