//! Status codes. Values are stable: a code is never renumbered, and a retired
//! code is never reused.

use std::ffi::c_char;
use std::os::raw::c_int;

/// Success.
pub const OAUTH_OK: c_int = 0;
/// A NULL pointer, a string that is not UTF-8, a bad URL, an unusable option
/// or setting. `oauth_last_error()` names the argument. Also a token URL that
/// answers 404 (a wrong host, realm or path): requests then back off as after
/// a server error.
pub const OAUTH_ERR_INVALID_ARGUMENT: c_int = 1;
/// The token does not fit in the caller's buffer; `*token_len` holds its length.
pub const OAUTH_ERR_BUFFER_TOO_SMALL: c_int = 2;
/// The token endpoint rejected the client credentials (`invalid_client`,
/// `unauthorized_client` and other servers' spellings of them, or a 401 or
/// 403 without a recognised OAuth error). Not retried: calls during the
/// following cool-down (60 s) return this again without a request.
pub const OAUTH_ERR_INVALID_CLIENT: c_int = 3;
/// The client may not have the scope it asked for (`invalid_scope`,
/// `scope_invalid`, ...). Not retried.
pub const OAUTH_ERR_INVALID_SCOPE: c_int = 4;
/// The token endpoint refused the request with another OAuth error
/// (`invalid_request`, `unsupported_grant_type`, ...).
pub const OAUTH_ERR_REJECTED: c_int = 5;
/// The token endpoint answered 429, or a previous 429 asked to wait: no
/// request is sent until then. `oauth_last_error()` says how long.
pub const OAUTH_ERR_RATE_LIMITED: c_int = 6;
/// Could not connect, DNS failure, connection reset or closed early, proxy failure.
pub const OAUTH_ERR_NETWORK: c_int = 7;
/// The connect timeout or the whole-request timeout ran out.
pub const OAUTH_ERR_TIMEOUT: c_int = 8;
/// TLS handshake or certificate verification failed.
pub const OAUTH_ERR_TLS: c_int = 9;
/// A malformed or unexpected answer: not JSON, no `access_token`, a
/// `token_type` other than Bearer, an unusable `expires_in`, over 1 MiB, a redirect.
pub const OAUTH_ERR_PROTOCOL: c_int = 10;
/// The token endpoint failed (HTTP 5xx or 408).
pub const OAUTH_ERR_SERVER: c_int = 11;
/// A bug in oauth2cc, such as a caught panic (nothing is printed on stderr).
/// Please report it.
pub const OAUTH_ERR_INTERNAL: c_int = 12;

/// Not an error: the API rejected the token as invalid (expired early or
/// revoked); it was dropped from the cache. Get a new one and retry once.
pub const OAUTH_RETRY: c_int = 13;
/// The API answered `insufficient_scope`: the client needs more scope.
pub const OAUTH_ERR_API_INSUFFICIENT_SCOPE: c_int = 14;
/// The API answered `invalid_request`: the call itself is malformed.
pub const OAUTH_ERR_API_INVALID_REQUEST: c_int = 15;
/// The API answered 401/403 with another OAuth `error` value.
pub const OAUTH_ERR_API_REJECTED: c_int = 16;
/// The API answered 401/403 without OAuth error detail: a new token would not
/// help; the cause is likely elsewhere (API URL, proxy, server).
pub const OAUTH_ERR_API_UNAUTHORIZED: c_int = 17;

// Codes of the libcurl helper (bindings/c/oauth2cc_curl.c), reserved here so
// that every status has one value and one name.

/// libcurl helper: `curl_easy_perform` failed; the `CURLcode` is in
/// `*curl_code` and `oauth_last_error()` has libcurl's description.
pub const OAUTH_CURL_ERR_TRANSFER: c_int = 100;
/// libcurl helper: the API rejected a freshly renewed token as invalid too.
pub const OAUTH_CURL_ERR_TOKEN_REJECTED: c_int = 101;
/// libcurl helper: the caller's rewind callback failed, so the request could
/// not be resent.
pub const OAUTH_CURL_ERR_REWIND: c_int = 102;

/// A static, human-readable name for a status code; never NULL.
///
/// Unknown codes give "unknown status". The string is owned by the library
/// and valid for the life of the process.
#[no_mangle]
pub extern "C" fn oauth_strerror(status: c_int) -> *const c_char {
    let s: &'static [u8] = match status {
        OAUTH_OK => b"OK\0",
        OAUTH_ERR_INVALID_ARGUMENT => b"invalid argument\0",
        OAUTH_ERR_BUFFER_TOO_SMALL => b"buffer too small\0",
        OAUTH_ERR_INVALID_CLIENT => b"client credentials rejected\0",
        OAUTH_ERR_INVALID_SCOPE => b"scope refused\0",
        OAUTH_ERR_REJECTED => b"request rejected by the token endpoint\0",
        OAUTH_ERR_RATE_LIMITED => b"rate limited\0",
        OAUTH_ERR_NETWORK => b"network error\0",
        OAUTH_ERR_TIMEOUT => b"timeout\0",
        OAUTH_ERR_TLS => b"TLS error\0",
        OAUTH_ERR_PROTOCOL => b"malformed or unexpected answer\0",
        OAUTH_ERR_SERVER => b"token endpoint failed\0",
        OAUTH_ERR_INTERNAL => b"internal error\0",
        OAUTH_RETRY => b"retry with a new token\0",
        OAUTH_ERR_API_INSUFFICIENT_SCOPE => b"API: insufficient scope\0",
        OAUTH_ERR_API_INVALID_REQUEST => b"API: invalid request\0",
        OAUTH_ERR_API_REJECTED => b"API: rejected\0",
        OAUTH_ERR_API_UNAUTHORIZED => b"API: unauthorized without detail\0",
        OAUTH_CURL_ERR_TRANSFER => b"libcurl transfer failed\0",
        OAUTH_CURL_ERR_TOKEN_REJECTED => b"API rejected a freshly renewed token\0",
        OAUTH_CURL_ERR_REWIND => b"could not rewind the upload to resend it\0",
        _ => b"unknown status\0",
    };
    s.as_ptr().cast()
}

pub(crate) fn from_kind(kind: oauth2cc_core::ErrorKind) -> c_int {
    use oauth2cc_core::ErrorKind as K;
    match kind {
        K::InvalidConfig => OAUTH_ERR_INVALID_ARGUMENT,
        K::InvalidClient => OAUTH_ERR_INVALID_CLIENT,
        K::InvalidScope => OAUTH_ERR_INVALID_SCOPE,
        K::Rejected => OAUTH_ERR_REJECTED,
        K::RateLimited => OAUTH_ERR_RATE_LIMITED,
        K::Network => OAUTH_ERR_NETWORK,
        K::Timeout => OAUTH_ERR_TIMEOUT,
        K::Tls => OAUTH_ERR_TLS,
        K::Protocol => OAUTH_ERR_PROTOCOL,
        K::Server => OAUTH_ERR_SERVER,
        _ => OAUTH_ERR_INTERNAL,
    }
}
