//! DPoP for C callers: `oauth_dpop_proof` and `oauth_handle_dpop_response`.
//! The proofs and the nonce rule are the core's (`Client::dpop_proof`,
//! `Client::handle_dpop_response`); this file only translates.

use crate::boundary::{c_str, guard, invalid, non_null, opt_lossy_c_str, Failure};
use crate::client::oauth_client;
use crate::status::*;
use oauth2cc_core::ResponseAction;
use std::ffi::c_char;
use std::os::raw::c_int;

/// Writes a DPoP proof (RFC 9449), NUL-terminated, into `buf`, for an API
/// call with a token from `oauth_get_token` on a client created with
/// `options->dpop` set.
///
/// Send it as the `DPoP` header together with `Authorization: DPoP <token>`
/// (not `Bearer`). Make a new proof for every request, a resend included: each
/// has a fresh `jti`, and servers refuse one seen before.
///
/// - `method`: the request's method, `GET`, `POST`, ... (`htm`).
/// - `url`: the request's absolute `http(s)` URL; its query and fragment are
///   left out of the proof (`htu`).
/// - `token`: the access token the request sends (the proof carries its
///   SHA-256, `ath`).
/// - `buf`, `buf_len`: the caller's buffer and its size in bytes. `buf` may be
///   NULL when `buf_len` is 0, to ask for the size (a proof is about 600 bytes).
/// - `proof_len`: receives the proof's length without the NUL, on `OAUTH_OK`
///   and on `OAUTH_ERR_BUFFER_TOO_SMALL` (then `buf` is untouched: call again
///   with a buffer of at least `*proof_len + 1` bytes; the new proof may
///   differ in length by a few bytes only if the server's nonce changed).
///
/// The proof also carries `iat` (now), and the nonce the server at the URL's
/// origin last sent in a `DPoP-Nonce` header (see `oauth_handle_dpop_response`).
///
/// Returns `OAUTH_OK`, `OAUTH_ERR_BUFFER_TOO_SMALL`, or
/// `OAUTH_ERR_INVALID_ARGUMENT` for a NULL pointer, invalid UTF-8, a method
/// that is not an HTTP token, a URL that is not absolute `http(s)`, or a
/// client without DPoP. Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new`; strings must be NUL-terminated;
/// `buf` must have room for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn oauth_dpop_proof(
    client: *const oauth_client,
    method: *const c_char,
    url: *const c_char,
    token: *const c_char,
    buf: *mut c_char,
    buf_len: usize,
    proof_len: *mut usize,
) -> oauth_status {
    guard("oauth_dpop_proof", || {
        let client = non_null(client, "client")?;
        let method = c_str(method, "method")?;
        let url = c_str(url, "url")?;
        let token = c_str(token, "token")?;
        if proof_len.is_null() {
            return Err(invalid("proof_len is NULL"));
        }
        if buf.is_null() && buf_len != 0 {
            return Err(invalid("buf is NULL but buf_len is not 0"));
        }
        let proof = client.inner().dpop_proof(method, url, Some(token))?;
        let bytes = proof.as_bytes();
        // SAFETY: checked non-NULL above.
        unsafe { proof_len.write(bytes.len()) };
        if bytes.len() >= buf_len {
            return Err(Failure(
                OAUTH_ERR_BUFFER_TOO_SMALL,
                format!("the proof needs {} bytes with its NUL, the buffer has {buf_len}", bytes.len() + 1),
                None,
                None,
            ));
        }
        // SAFETY: buf has room for buf_len > bytes.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
            *buf.add(bytes.len()) = 0;
        }
        Ok(OAUTH_OK)
    })
}

/// `oauth_handle_response` for a DPoP client, which also needs the call's
/// `url` and the answer's `DPoP-Nonce` header (`dpop_nonce`, NULL when
/// absent). Call it after every API call made with a DPoP proof, whatever
/// the status: the nonce is remembered for the URL's origin and goes into
/// the next proofs.
///
/// Returns what `oauth_handle_response` returns, and also `OAUTH_RETRY` for
/// a 401 with `error="use_dpop_nonce"` that came with a nonce: send the call
/// once more with `oauth_get_token` (the same token: the cache is left
/// alone) and a new `oauth_dpop_proof`. One resend per call, whatever the
/// reason: an `OAUTH_RETRY` for the resend means give up. A `use_dpop_nonce`
/// without a nonce is `OAUTH_ERR_API_REJECTED`. `DPoP` challenges count as
/// Bearer ones. For a client without DPoP this is `oauth_handle_response`.
///
/// `OAUTH_ERR_INVALID_ARGUMENT` for a NULL `client`, `url` or `used_token`,
/// invalid UTF-8 in them, or an `http_status` outside 100..=999. Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new`; strings must be NUL-terminated or NULL.
#[no_mangle]
pub unsafe extern "C" fn oauth_handle_dpop_response(
    client: *const oauth_client,
    url: *const c_char,
    http_status: c_int,
    used_token: *const c_char,
    www_authenticate: *const c_char,
    dpop_nonce: *const c_char,
) -> oauth_status {
    guard("oauth_handle_dpop_response", || {
        let client = non_null(client, "client")?;
        let url = c_str(url, "url")?;
        let used = c_str(used_token, "used_token")?;
        let header = opt_lossy_c_str(www_authenticate);
        let nonce = opt_lossy_c_str(dpop_nonce);
        let status = u16::try_from(http_status)
            .map_err(|_| invalid(format!("http_status {http_status} is not an HTTP status (100..=999)")))?;
        let fields: Vec<&str> = header.as_deref().into_iter().collect();
        match client
            .inner()
            .handle_dpop_response(url, status, used, &fields, nonce.as_deref())
            .map_err(Failure::from)?
        {
            ResponseAction::Proceed => Ok(OAUTH_OK),
            ResponseAction::Retry | ResponseAction::RetryWithNonce => Ok(OAUTH_RETRY),
        }
    })
}

/// 1 when `client` binds its tokens with DPoP (`options->dpop` or
/// `options->dpop_key_file`), else 0 (NULL included). For wrappers that
/// must choose between `Authorization: Bearer` and `Authorization: DPoP`
/// plus `oauth_dpop_proof`.
///
/// # Safety
/// `client` must be NULL or come from `oauth_client_new`.
#[no_mangle]
pub unsafe extern "C" fn oauth_dpop_enabled(client: *const oauth_client) -> c_int {
    // SAFETY: NULL or a valid client, as documented.
    match unsafe { client.as_ref() } {
        Some(c) => c_int::from(c.inner().is_dpop()),
        None => 0,
    }
}
