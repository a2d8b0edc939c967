//! The API-response rule: what an API's answer means for a Bearer client
//! (RFC 6750 section 3), decided here once for every wrapper (the C ABI's
//! `oauth_handle_response`, the libcurl helper, the command line's `request`,
//! Python's auth classes).

use crate::error::{sanitize, Error, ErrorKind, OAuthErrorBody};
use crate::www_authenticate::bearer_error;

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
pub(crate) fn decide(http_status: u16, www_authenticate: &[&str]) -> Result<ResponseAction, Error> {
    if http_status != 401 && http_status != 403 {
        return Ok(ResponseAction::Proceed);
    }
    let Some(bearer) = bearer_error(www_authenticate) else {
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
