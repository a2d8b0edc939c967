//! The API-response rule: what an API's answer means for a Bearer client
//! (RFC 6750 section 3), decided here once for every wrapper (the C ABI's
//! `oauth_handle_response`, the libcurl helper, the command line's `request`,
//! Python's auth classes).

use crate::error::{sanitize, Error, ErrorKind, OAuthErrorBody};
use crate::www_authenticate::{bearer_error, token_error};

/// What to do with an API's answer, when it is not an error to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseAction {
    /// Nothing to do: hand the answer to the caller (any status that is not
    /// about the token, including a 403 without a Bearer error).
    Proceed,
    /// The API rejected the token as invalid (`invalid_token`: expired early
    /// or revoked). It was dropped from the cache if still current: get a new
    /// token and send the request once more. A second `Retry` for the renewed
    /// token means the API keeps rejecting fresh tokens: give up.
    Retry,
    /// A DPoP client's API asked for a (new) server nonce (`use_dpop_nonce`,
    /// RFC 9449 section 9) and sent one in `DPoP-Nonce`, which the client
    /// now holds: send the request once more with the same token and a new
    /// proof. The cache is left alone. Counts as the one resend: a second
    /// retry of either kind for the same call means give up.
    RetryWithNonce,
}

/// What the rule needs to know of a DPoP client's call (None for a Bearer client).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DpopAnswer<'a> {
    /// The answer's `DPoP-Nonce` value, if it had one.
    pub(crate) nonce: Option<&'a str>,
}

/// The rule, without the cache: `Ok(Retry)` means "drop the token, renew, resend once".
///
/// - Any status other than 401 and 403: proceed.
/// - 401 or 403 with a Bearer challenge carrying `error` (the first one found,
///   scheme and parameter names in any case, several challenges per field,
///   several fields): `invalid_token` → retry; `insufficient_scope` →
///   [`ErrorKind::ApiInsufficientScope`] (with the `scope`), `invalid_request`
///   → [`ErrorKind::ApiInvalidRequest`], another value → [`ErrorKind::ApiRejected`].
/// - 401 without one: [`ErrorKind::ApiUnauthorized`] (the cause is likely elsewhere).
/// - 403 without one: proceed (the API's own access rules, not the token).
///
/// For a DPoP client (`dpop` is Some) `DPoP` challenges count as Bearer ones,
/// and `use_dpop_nonce` on a 401 is [`ResponseAction::RetryWithNonce`] when
/// the answer carried a `DPoP-Nonce`, else [`ErrorKind::ApiRejected`] (a
/// resend could only fail the same way). A Bearer client reads only Bearer
/// challenges.
pub(crate) fn decide(
    http_status: u16,
    www_authenticate: &[&str],
    dpop: Option<DpopAnswer<'_>>,
) -> Result<ResponseAction, Error> {
    if http_status != 401 && http_status != 403 {
        return Ok(ResponseAction::Proceed);
    }
    let found = match dpop {
        Some(_) => token_error(www_authenticate, &["dpop", "bearer"]),
        None => bearer_error(www_authenticate),
    };
    let Some(bearer) = found else {
        if http_status == 403 {
            return Ok(ResponseAction::Proceed);
        }
        return Err(Error::new(
            ErrorKind::ApiUnauthorized,
            format!("the API answered HTTP {http_status} without an OAuth error; a new token would not help: the cause is likely elsewhere (check the API URL, proxies and the server)"),
        )
        .with_status(http_status));
    };
    let error = bearer.param("error").unwrap_or_default();
    let description = bearer.param("error_description").map(|d| sanitize(d, 300));
    let scope = bearer.param("scope").map(|s| sanitize(s, 300));
    let said = description.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
    let (kind, message) = match error {
        "invalid_token" => return Ok(ResponseAction::Retry),
        "use_dpop_nonce" if http_status == 401 && dpop.is_some_and(|d| d.nonce.is_some_and(|n| !n.is_empty())) => {
            return Ok(ResponseAction::RetryWithNonce)
        }
        "use_dpop_nonce" => (
            ErrorKind::ApiRejected,
            match dpop {
                Some(_) => format!("the API asked for a DPoP nonce (HTTP {http_status} use_dpop_nonce{said}) but sent no usable one in DPoP-Nonce; a resend would fail the same way"),
                None => format!("the API wants DPoP-bound tokens (HTTP {http_status} use_dpop_nonce{said}); this client sends Bearer tokens: enable DPoP"),
            },
        ),
        "insufficient_scope" => (
            ErrorKind::ApiInsufficientScope,
            format!(
                "the token lacks a scope the API requires (HTTP {http_status} insufficient_scope{said}{})",
                scope.as_deref().map(|s| format!("; required scope: {s}")).unwrap_or_default()
            ),
        ),
        "invalid_request" => (
            ErrorKind::ApiInvalidRequest,
            format!("the API call is malformed (HTTP {http_status} invalid_request{said})"),
        ),
        other => (
            ErrorKind::ApiRejected,
            format!("the API refused the call (HTTP {http_status} {}{said})", sanitize(other, 60)),
        ),
    };
    let body = OAuthErrorBody {
        error: sanitize(error, 100),
        error_description: description,
        error_uri: bearer.param("error_uri").map(|u| sanitize(u, 300)),
    };
    let scope = if kind == ErrorKind::ApiInsufficientScope { scope } else { None };
    Err(Error::new(kind, message).with_status(http_status).with_oauth(Some(body)).with_scope(scope))
}
