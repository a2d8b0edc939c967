//! `oauth_handle_response`: what an API's answer means, decided by the core
//! (`Client::handle_response`); this file only translates.

use crate::boundary::{c_str, guard, invalid, non_null, opt_lossy_c_str, Failure};
use crate::client::oauth_client;
use crate::status::*;
use oauth2cc_core::ResponseAction;
use std::ffi::c_char;
use std::os::raw::c_int;

/// What an API's answer means for this client, acted on (RFC 6750 section 3).
/// Call it after every API call made with a token from `oauth_get_token`.
///
/// - `http_status`: the API's HTTP status.
/// - `used_token`: the token the call sent.
/// - `www_authenticate`: the answer's `WWW-Authenticate` value, or NULL if it
///   had none. An answer with several `WWW-Authenticate` header fields (libcurl's
///   `curl_easy_header` gives them one by one): join their values with a line
///   feed, `"\n"`, so that each is read on its own and a malformed one does not
///   hide the next (", " works too when every field is well-formed). The bytes
///   are the server's: invalid UTF-8 is read lossily, not refused.
///
/// Returns:
/// - `OAUTH_OK`: nothing to do; the answer is yours (any status but 401/403,
///   and a 403 without a Bearer `error`).
/// - `OAUTH_RETRY`: `error="invalid_token"` (expired early or revoked). The
///   token was dropped from the cache if still current; get a new one with
///   `oauth_get_token` and send the call once more. If the API answers
///   `OAUTH_RETRY` again for the new token, give up.
/// - `OAUTH_ERR_API_INSUFFICIENT_SCOPE`: the client needs more scope in the
///   IAM; `oauth_last_error()` (and `oauth_last_error_info`'s `scope`) names it.
/// - `OAUTH_ERR_API_INVALID_REQUEST`: the API call itself is malformed.
/// - `OAUTH_ERR_API_REJECTED`: another `error` value.
/// - `OAUTH_ERR_API_UNAUTHORIZED`: a 401 without OAuth error detail; a new
///   token would not help (check the API URL, proxies, the server).
/// - `OAUTH_ERR_INVALID_ARGUMENT`: NULL `client` or `used_token`, invalid
///   UTF-8, an `http_status` outside 100..=999.
///
/// The `OAUTH_ERR_API_*` codes set the thread's last error with the server's
/// `error` and `error_description`. Thread-safe; many threads reporting the
/// same old token cause one renewal.
///
/// # Safety
/// `client` must come from `oauth_client_new`; strings must be NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn oauth_handle_response(
    client: *const oauth_client,
    http_status: c_int,
    used_token: *const c_char,
    www_authenticate: *const c_char,
) -> oauth_status {
    guard("oauth_handle_response", || {
        let client = non_null(client, "client")?;
        let used = c_str(used_token, "used_token")?;
        let header = opt_lossy_c_str(www_authenticate);
        // Only the type is converted here; the core checks the range (100..=999).
        let status = u16::try_from(http_status)
            .map_err(|_| invalid(format!("http_status {http_status} is not an HTTP status (100..=999)")))?;
        let fields: Vec<&str> = header.as_deref().into_iter().collect();
        match client.inner().handle_response(status, used, &fields).map_err(Failure::from)? {
            ResponseAction::Proceed => Ok(OAUTH_OK),
            // A DPoP nonce request without the nonce at hand is an error, never this.
            ResponseAction::Retry | ResponseAction::RetryWithNonce => Ok(OAUTH_RETRY),
        }
    })
}

/// `oauth_handle_response(client, 401, used_token, www_authenticate)`: kept
/// for programs written before `oauth_handle_response`, which new code should
/// call with the real HTTP status (a 403 without a Bearer error is then
/// `OAUTH_OK`, not `OAUTH_ERR_API_UNAUTHORIZED`).
///
/// # Safety
/// As `oauth_handle_response`.
#[no_mangle]
pub unsafe extern "C" fn oauth_handle_unauthorized(
    client: *const oauth_client,
    used_token: *const c_char,
    www_authenticate: *const c_char,
) -> oauth_status {
    // SAFETY: the caller's promises are those of oauth_handle_response.
    unsafe { oauth_handle_response(client, 401, used_token, www_authenticate) }
}
