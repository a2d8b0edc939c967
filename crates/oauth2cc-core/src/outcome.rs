//! One table of outcomes: for each [`ErrorKind`] (and the outcomes that are
//! not errors of the core: OK, RETRY, the C ABI's buffer and the libcurl
//! helper's codes) its stable C status, its name, its command-line exit
//! status, its Python exception class and a one-line description. The C
//! status constants (`src/status.rs`), `oauth_strerror`, the file cache's
//! records, the command line's exit statuses and the Python mapping are
//! derived from it or checked against it by a test.

use crate::error::ErrorKind;
use std::ffi::CStr;

/// One outcome of an oauth2cc call.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The core's error kind; None for outcomes that are not core errors.
    pub kind: Option<ErrorKind>,
    /// The stable C status value: never renumbered, never reused.
    pub c_status: i32,
    /// The C constant's name in `oauth2cc.h`.
    pub c_name: &'static str,
    /// The snake_case name: file-cache records, logs, Python's `kind`.
    pub name: &'static str,
    /// The command line's exit status; None when the command line never ends with it.
    pub exit_status: Option<u8>,
    /// The Python exception class; None when Python never raises it.
    pub python_class: Option<&'static str>,
    /// One line for people (`oauth_strerror`).
    pub description: &'static CStr,
}

const fn row(
    kind: Option<ErrorKind>,
    c_status: i32,
    c_name: &'static str,
    name: &'static str,
    exit_status: Option<u8>,
    python_class: Option<&'static str>,
    description: &'static CStr,
) -> Outcome {
    Outcome { kind, c_status, c_name, name, exit_status, python_class, description }
}

use ErrorKind as K;

/// Every outcome, in C status order.
pub const OUTCOMES: &[Outcome] = &[
    row(None, 0, "OAUTH_OK", "ok", Some(0), None, c"OK"),
    row(
        Some(K::InvalidConfig),
        1,
        "OAUTH_ERR_INVALID_ARGUMENT",
        "invalid_config",
        Some(2),
        Some("ConfigurationError"),
        c"invalid argument",
    ),
    row(None, 2, "OAUTH_ERR_BUFFER_TOO_SMALL", "buffer_too_small", None, None, c"buffer too small"),
    row(
        Some(K::InvalidClient),
        3,
        "OAUTH_ERR_INVALID_CLIENT",
        "invalid_client",
        Some(3),
        Some("InvalidClientError"),
        c"client credentials rejected",
    ),
    row(
        Some(K::InvalidScope),
        4,
        "OAUTH_ERR_INVALID_SCOPE",
        "invalid_scope",
        Some(3),
        Some("InvalidScopeError"),
        c"scope refused",
    ),
    row(
        Some(K::Rejected),
        5,
        "OAUTH_ERR_REJECTED",
        "rejected",
        Some(3),
        Some("RejectedError"),
        c"request rejected by the token endpoint",
    ),
    row(
        Some(K::RateLimited),
        6,
        "OAUTH_ERR_RATE_LIMITED",
        "rate_limited",
        Some(4),
        Some("RateLimitedError"),
        c"rate limited",
    ),
    row(Some(K::Network), 7, "OAUTH_ERR_NETWORK", "network", Some(5), Some("NetworkError"), c"network error"),
    row(Some(K::Timeout), 8, "OAUTH_ERR_TIMEOUT", "timeout", Some(5), Some("RequestTimeoutError"), c"timeout"),
    row(Some(K::Tls), 9, "OAUTH_ERR_TLS", "tls", Some(6), Some("TLSError"), c"TLS error"),
    row(
        Some(K::Protocol),
        10,
        "OAUTH_ERR_PROTOCOL",
        "protocol",
        Some(8),
        Some("ProtocolError"),
        c"malformed or unexpected answer",
    ),
    row(Some(K::Server), 11, "OAUTH_ERR_SERVER", "server", Some(7), Some("ServerError"), c"token endpoint failed"),
    row(Some(K::Internal), 12, "OAUTH_ERR_INTERNAL", "internal", Some(1), Some("InternalError"), c"internal error"),
    row(None, 13, "OAUTH_RETRY", "retry", None, None, c"retry with a new token"),
    row(
        Some(K::ApiInsufficientScope),
        14,
        "OAUTH_ERR_API_INSUFFICIENT_SCOPE",
        "api_insufficient_scope",
        Some(9),
        Some("InsufficientScopeError"),
        c"API: insufficient scope",
    ),
    row(
        Some(K::ApiInvalidRequest),
        15,
        "OAUTH_ERR_API_INVALID_REQUEST",
        "api_invalid_request",
        Some(9),
        Some("InvalidRequestError"),
        c"API: invalid request",
    ),
    row(
        Some(K::ApiRejected),
        16,
        "OAUTH_ERR_API_REJECTED",
        "api_rejected",
        Some(9),
        Some("APIRejectedError"),
        c"API: rejected",
    ),
    row(
        Some(K::ApiUnauthorized),
        17,
        "OAUTH_ERR_API_UNAUTHORIZED",
        "api_unauthorized",
        Some(9),
        Some("UnauthorizedError"),
        c"API: unauthorized without detail",
    ),
    row(None, 100, "OAUTH_CURL_ERR_TRANSFER", "curl_transfer", None, None, c"libcurl transfer failed"),
    row(
        None,
        101,
        "OAUTH_CURL_ERR_TOKEN_REJECTED",
        "api_token_rejected",
        Some(9),
        None,
        c"API rejected a freshly renewed token",
    ),
    row(None, 102, "OAUTH_CURL_ERR_REWIND", "curl_rewind", None, None, c"could not rewind the upload to resend it"),
];

/// The outcome with this C status, if there is one.
pub fn outcome_of_status(c_status: i32) -> Option<&'static Outcome> {
    OUTCOMES.iter().find(|o| o.c_status == c_status)
}

/// The outcome with this name, if there is one.
pub fn outcome_named(name: &str) -> Option<&'static Outcome> {
    OUTCOMES.iter().find(|o| o.name == name)
}

impl ErrorKind {
    /// Every kind (the rows of [`OUTCOMES`] that have one).
    pub fn all() -> impl Iterator<Item = ErrorKind> {
        OUTCOMES.iter().filter_map(|o| o.kind)
    }

    /// This kind's row of [`OUTCOMES`].
    pub fn outcome(self) -> &'static Outcome {
        OUTCOMES.iter().find(|o| o.kind == Some(self)).expect("every ErrorKind has a row in OUTCOMES")
    }

    /// The snake_case name (file-cache records, logs, Python's `kind`).
    pub fn name(self) -> &'static str {
        self.outcome().name
    }

    /// The kind with this [`ErrorKind::name`].
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        outcome_named(name).and_then(|o| o.kind)
    }

    /// The stable C status.
    pub fn c_status(self) -> i32 {
        self.outcome().c_status
    }

    /// The command line's exit status.
    pub fn exit_status(self) -> u8 {
        self.outcome().exit_status.unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn statuses_names_and_kinds_are_unique() {
        let mut statuses = HashSet::new();
        let mut names = HashSet::new();
        let mut kinds = HashSet::new();
        for o in OUTCOMES {
            assert!(statuses.insert(o.c_status), "{o:?}");
            assert!(names.insert(o.name), "{o:?}");
            assert!(names.len() == statuses.len());
            if let Some(k) = o.kind {
                assert!(kinds.insert(k), "{o:?}");
                assert_eq!(k.outcome().c_status, o.c_status);
                assert_eq!(ErrorKind::from_name(o.name), Some(k));
            }
            assert!(o.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{o:?}");
            assert!(o.c_name.starts_with("OAUTH_"), "{o:?}");
            // tests/c/gen_api_cases.py derives the C name of an API outcome this way.
            if o.name.starts_with("api_") && o.kind.is_some() {
                assert_eq!(o.c_name, format!("OAUTH_ERR_{}", o.name.to_ascii_uppercase()));
            }
        }
    }

    #[test]
    fn every_kind_has_a_row() {
        // A new ErrorKind fails to compile here until it is listed, and
        // `outcome()` panics in this test until it has a row.
        for k in [
            K::InvalidConfig,
            K::InvalidClient,
            K::InvalidScope,
            K::Rejected,
            K::RateLimited,
            K::Network,
            K::Timeout,
            K::Tls,
            K::Protocol,
            K::Server,
            K::Internal,
            K::ApiInsufficientScope,
            K::ApiInvalidRequest,
            K::ApiRejected,
            K::ApiUnauthorized,
        ] {
            match k {
                K::InvalidConfig
                | K::InvalidClient
                | K::InvalidScope
                | K::Rejected
                | K::RateLimited
                | K::Network
                | K::Timeout
                | K::Tls
                | K::Protocol
                | K::Server
                | K::Internal
                | K::ApiInsufficientScope
                | K::ApiInvalidRequest
                | K::ApiRejected
                | K::ApiUnauthorized => {}
            }
            let _ = k.outcome();
        }
        assert_eq!(ErrorKind::all().count(), 15);
    }
}
