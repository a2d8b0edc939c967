//! The client certificate (mutual TLS, RFC 8705) for API calls made outside
//! the library: a certificate-bound token must reach the API over a
//! connection that presents the same certificate.

use crate::boundary::{guard, invalid, non_null};
use crate::client::oauth_client;
use crate::status::{oauth_status, OAUTH_OK};
use oauth2cc_core::Client;
use std::ffi::{c_char, CString};

/// The paths as C strings, made once when the client is created.
pub struct CertFiles {
    cert: CString,
    key: CString,
}

impl CertFiles {
    pub(crate) fn of(client: &Client) -> Option<CertFiles> {
        let config = client.config();
        let (cert, key) = config.client_cert_files()?;
        let c = |p: &std::path::Path| CString::new(p.to_string_lossy().into_owned()).ok();
        Some(CertFiles { cert: c(cert)?, key: c(key)? })
    }
}

/// The client certificate and private key files the client presents over
/// mutual TLS (options `client_cert_file` and `client_key_file`, or
/// `OAUTH2CC_CLIENT_CERT` and `OAUTH2CC_CLIENT_KEY`), for API calls made
/// with another HTTP library: the token endpoint binds the tokens of such a
/// client to its certificate (RFC 8705 `cnf.x5t#S256`), and an API refuses a
/// bound token sent over a connection without that certificate. The libcurl
/// helper (`oauth_curl_perform`) sets them on the request itself.
///
/// - `cert_file`, `key_file`: receive the paths as given when the client was
///   created (NUL-terminated, owned by the client and valid until
///   `oauth_free`; do not free them), or NULL both when the client has no
///   certificate. The files are PEM; the key is never returned, only its path.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` for a NULL pointer
/// (then nothing is written). Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new` and not be freed; `cert_file`
/// and `key_file` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn oauth_get_client_cert_files(
    client: *const oauth_client,
    cert_file: *mut *const c_char,
    key_file: *mut *const c_char,
) -> oauth_status {
    guard("oauth_get_client_cert_files", || {
        let client = non_null(client, "client")?;
        if cert_file.is_null() || key_file.is_null() {
            return Err(invalid(if cert_file.is_null() { "cert_file is NULL" } else { "key_file is NULL" }));
        }
        let (c, k) = match client.cert_files() {
            Some(f) => (f.cert.as_ptr(), f.key.as_ptr()),
            None => (std::ptr::null(), std::ptr::null()),
        };
        // SAFETY: both checked non-NULL above and writable, as documented.
        unsafe {
            cert_file.write(c);
            key_file.write(k);
        }
        Ok(OAUTH_OK)
    })
}
