//! `oauth_handle_unauthorized`: what to do when an API answered 401 or 403.

use crate::boundary::{c_str, guard, non_null, opt_c_str, Failure};
use crate::client::oauth_client;
use crate::status::*;
use oauth2cc_core::Unauthorized;
use std::ffi::c_char;
use std::os::raw::c_int;

/// Decides what an API's 401 (or 403) means and acts on it.
///
/// - `used_token`: the token the failed call sent.
/// - `www_authenticate`: the response's `WWW-Authenticate` value, or NULL if
///   it had none (join several header fields with ", ").
///
/// Returns:
/// - `OAUTH_RETRY`: `error="invalid_token"` (expired early or revoked). The
///   token was dropped from the cache if still current; get a new one with
///   `oauth_get_token` and retry the call once.
/// - `OAUTH_ERR_API_INSUFFICIENT_SCOPE`: the client needs more scope in the
///   IAM; `oauth_last_error()` names the required scope. Do not retry.
/// - `OAUTH_ERR_API_INVALID_REQUEST`: the API call itself is malformed.
/// - `OAUTH_ERR_API_REJECTED`: another `error` value.
/// - `OAUTH_ERR_API_UNAUTHORIZED`: no OAuth error detail; a new token would
///   not help (check the API URL, proxies, the server).
/// - `OAUTH_ERR_INVALID_ARGUMENT`: NULL `client` or `used_token`, invalid UTF-8.
///
/// Thread-safe; many threads reporting the same old token cause one renewal.
///
/// # Safety
/// `client` must come from `oauth_client_new`; strings must be NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn oauth_handle_unauthorized(
    client: *const oauth_client,
    used_token: *const c_char,
    www_authenticate: *const c_char,
) -> c_int {
    guard("oauth_handle_unauthorized", || {
        let client = non_null(client, "client")?;
        let used = c_str(used_token, "used_token")?;
        let header = opt_c_str(www_authenticate, "www_authenticate")?;
        let outcome = client.inner().handle_unauthorized(used, header);
        let code = match outcome {
            Unauthorized::InvalidToken { .. } => return Ok(OAUTH_RETRY),
            Unauthorized::InsufficientScope { .. } => OAUTH_ERR_API_INSUFFICIENT_SCOPE,
            Unauthorized::InvalidRequest { .. } => OAUTH_ERR_API_INVALID_REQUEST,
            Unauthorized::OtherError { .. } => OAUTH_ERR_API_REJECTED,
            Unauthorized::NoDetail => OAUTH_ERR_API_UNAUTHORIZED,
        };
        Err(Failure(code, outcome.describe(), None))
    })
}
