//! Status codes. Values are stable: a code is never renumbered, and a retired
//! code is never reused. The values, names and descriptions are those of the
//! core's table of outcomes (crates/oauth2cc-core/src/outcome.rs); cbindgen
//! needs literal constants, so a test checks each against the table.

use std::ffi::c_char;
use std::os::raw::c_int;

/// The status every fallible function returns: `OAUTH_OK` (0) or one of the
/// `OAUTH_ERR_*`, `OAUTH_RETRY`, `OAUTH_CURL_ERR_*` values below. An `int`,
/// so that code written before this typedef existed keeps compiling and linking.
pub type oauth_status = c_int;

/// Success.
pub const OAUTH_OK: oauth_status = 0;
/// A NULL pointer, a string that is not UTF-8, a bad URL, an unusable option
/// or setting. `oauth_last_error()` names the argument. Also a token URL that
/// answers 404 (a wrong host, realm or path): requests then back off as after
/// a server error.
pub const OAUTH_ERR_INVALID_ARGUMENT: oauth_status = 1;
/// The token does not fit in the caller's buffer; `*token_len` holds its length.
pub const OAUTH_ERR_BUFFER_TOO_SMALL: oauth_status = 2;
/// The token endpoint rejected the client credentials (`invalid_client`,
/// `unauthorized_client` and other servers' spellings of them, or a 401 or
/// 403 without a recognised OAuth error). Not retried: calls during the
/// following cool-down (60 s) return this again without a request.
pub const OAUTH_ERR_INVALID_CLIENT: oauth_status = 3;
/// The client may not have the scope it asked for (`invalid_scope`,
/// `scope_invalid`, ...). Not retried.
pub const OAUTH_ERR_INVALID_SCOPE: oauth_status = 4;
/// The token endpoint refused the request with another OAuth error
/// (`invalid_request`, `unsupported_grant_type`, ...).
pub const OAUTH_ERR_REJECTED: oauth_status = 5;
/// The token endpoint answered 429, or a previous 429 asked to wait: no
/// request is sent until then. `oauth_last_error()` says how long.
pub const OAUTH_ERR_RATE_LIMITED: oauth_status = 6;
/// Could not connect, DNS failure, connection reset or closed early, proxy failure.
pub const OAUTH_ERR_NETWORK: oauth_status = 7;
/// The connect timeout or the whole-request timeout ran out.
pub const OAUTH_ERR_TIMEOUT: oauth_status = 8;
/// TLS handshake or certificate verification failed.
pub const OAUTH_ERR_TLS: oauth_status = 9;
/// A malformed or unexpected answer: not JSON, no `access_token`, a
/// `token_type` other than Bearer, an unusable `expires_in`, over 1 MiB, a redirect.
pub const OAUTH_ERR_PROTOCOL: oauth_status = 10;
/// The token endpoint failed (HTTP 5xx or 408).
pub const OAUTH_ERR_SERVER: oauth_status = 11;
/// A bug in oauth2cc, such as a caught panic (nothing is printed on stderr).
/// Please report it.
pub const OAUTH_ERR_INTERNAL: oauth_status = 12;

/// Not an error: the API rejected the token as invalid (expired early or
/// revoked); it was dropped from the cache. Get a new one and retry once.
pub const OAUTH_RETRY: oauth_status = 13;
/// The API answered `insufficient_scope`: the client needs more scope.
pub const OAUTH_ERR_API_INSUFFICIENT_SCOPE: oauth_status = 14;
/// The API answered `invalid_request`: the call itself is malformed.
pub const OAUTH_ERR_API_INVALID_REQUEST: oauth_status = 15;
/// The API answered 401/403 with another OAuth `error` value.
pub const OAUTH_ERR_API_REJECTED: oauth_status = 16;
/// The API answered 401/403 without OAuth error detail: a new token would not
/// help; the cause is likely elsewhere (API URL, proxy, server).
pub const OAUTH_ERR_API_UNAUTHORIZED: oauth_status = 17;

// Codes of the libcurl helper (bindings/c/oauth2cc_curl.c), reserved here so
// that every status has one value and one name.

/// libcurl helper: `curl_easy_perform` failed; the `CURLcode` is in
/// `*curl_code` and `oauth_last_error()` has libcurl's description.
pub const OAUTH_CURL_ERR_TRANSFER: oauth_status = 100;
/// libcurl helper: the API rejected a freshly renewed token as invalid too.
pub const OAUTH_CURL_ERR_TOKEN_REJECTED: oauth_status = 101;
/// libcurl helper: the caller's rewind callback failed, so the request could
/// not be resent.
pub const OAUTH_CURL_ERR_REWIND: oauth_status = 102;

/// A static, human-readable name for a status code; never NULL.
///
/// Unknown codes give "unknown status". The string is owned by the library
/// and valid for the life of the process.
#[no_mangle]
pub extern "C" fn oauth_strerror(status: oauth_status) -> *const c_char {
    oauth2cc_core::outcome_of_status(status).map_or(c"unknown status", |o| o.description).as_ptr()
}

pub(crate) fn from_kind(kind: oauth2cc_core::ErrorKind) -> oauth_status {
    kind.c_status()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2cc_core::OUTCOMES;

    /// Every constant above, by name: what the header defines.
    const CONSTANTS: &[(&str, oauth_status)] = &[
        ("OAUTH_OK", OAUTH_OK),
        ("OAUTH_ERR_INVALID_ARGUMENT", OAUTH_ERR_INVALID_ARGUMENT),
        ("OAUTH_ERR_BUFFER_TOO_SMALL", OAUTH_ERR_BUFFER_TOO_SMALL),
        ("OAUTH_ERR_INVALID_CLIENT", OAUTH_ERR_INVALID_CLIENT),
        ("OAUTH_ERR_INVALID_SCOPE", OAUTH_ERR_INVALID_SCOPE),
        ("OAUTH_ERR_REJECTED", OAUTH_ERR_REJECTED),
        ("OAUTH_ERR_RATE_LIMITED", OAUTH_ERR_RATE_LIMITED),
        ("OAUTH_ERR_NETWORK", OAUTH_ERR_NETWORK),
        ("OAUTH_ERR_TIMEOUT", OAUTH_ERR_TIMEOUT),
        ("OAUTH_ERR_TLS", OAUTH_ERR_TLS),
        ("OAUTH_ERR_PROTOCOL", OAUTH_ERR_PROTOCOL),
        ("OAUTH_ERR_SERVER", OAUTH_ERR_SERVER),
        ("OAUTH_ERR_INTERNAL", OAUTH_ERR_INTERNAL),
        ("OAUTH_RETRY", OAUTH_RETRY),
        ("OAUTH_ERR_API_INSUFFICIENT_SCOPE", OAUTH_ERR_API_INSUFFICIENT_SCOPE),
        ("OAUTH_ERR_API_INVALID_REQUEST", OAUTH_ERR_API_INVALID_REQUEST),
        ("OAUTH_ERR_API_REJECTED", OAUTH_ERR_API_REJECTED),
        ("OAUTH_ERR_API_UNAUTHORIZED", OAUTH_ERR_API_UNAUTHORIZED),
        ("OAUTH_CURL_ERR_TRANSFER", OAUTH_CURL_ERR_TRANSFER),
        ("OAUTH_CURL_ERR_TOKEN_REJECTED", OAUTH_CURL_ERR_TOKEN_REJECTED),
        ("OAUTH_CURL_ERR_REWIND", OAUTH_CURL_ERR_REWIND),
    ];

    #[test]
    fn the_constants_are_the_table_of_outcomes() {
        let table: Vec<(&str, i32)> = OUTCOMES.iter().map(|o| (o.c_name, o.c_status)).collect();
        assert_eq!(CONSTANTS.to_vec(), table);
    }

    #[test]
    fn the_header_defines_exactly_the_table_of_outcomes() {
        let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/oauth2cc.h")).unwrap();
        let defined: Vec<(String, i32)> = header
            .lines()
            .filter_map(|l| {
                let mut w = l.strip_prefix("#define ")?.split_whitespace();
                let (name, value) = (w.next()?, w.next()?);
                let status = name == "OAUTH_OK"
                    || name == "OAUTH_RETRY"
                    || name.starts_with("OAUTH_ERR_")
                    || name.starts_with("OAUTH_CURL_ERR_");
                status.then(|| (name.to_string(), value.parse().expect(name)))
            })
            .collect();
        let table: Vec<(String, i32)> = OUTCOMES.iter().map(|o| (o.c_name.to_string(), o.c_status)).collect();
        assert_eq!(defined, table);
    }

    #[test]
    fn strerror_is_the_tables_description() {
        for o in OUTCOMES {
            // SAFETY: oauth_strerror returns a static NUL-terminated string.
            let s = unsafe { std::ffi::CStr::from_ptr(oauth_strerror(o.c_status)) };
            assert_eq!(s, o.description);
        }
        // SAFETY: as above.
        assert_eq!(unsafe { std::ffi::CStr::from_ptr(oauth_strerror(99)) }, c"unknown status");
    }

    #[test]
    fn the_readme_status_table_is_the_table_of_outcomes() {
        // Rows like "| `OAUTH_ERR_TLS` | 9 | ... |" under "Status codes".
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let rows: Vec<(String, i32)> = readme
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
                let name = cells.first()?.strip_prefix("`OAUTH_")?.strip_suffix('`')?;
                Some((format!("OAUTH_{name}"), cells.get(1)?.parse().ok()?))
            })
            .collect();
        let table: Vec<(String, i32)> = OUTCOMES.iter().map(|o| (o.c_name.to_string(), o.c_status)).collect();
        assert_eq!(
            rows, table,
            "README.md's status table lists every status of crates/oauth2cc-core/src/outcome.rs, in order"
        );
    }
}
