//! `oauth_client`: create, get a token, invalidate, free.

use crate::boundary::{c_str, guard, invalid, non_null, opt_c_str, Failure};
use crate::options::{apply, oauth_options, read_versioned};
use crate::status::oauth_status;
use crate::status::{OAUTH_ERR_BUFFER_TOO_SMALL, OAUTH_OK};
use oauth2cc_core::{Client, Config};
use std::ffi::c_char;

/// An OAuth 2.0 client-credentials client with its token cache. Opaque.
///
/// Create with `oauth_client_new`, destroy with `oauth_free`. A
/// `const oauth_client *` may be used by any number of threads at once.
pub struct oauth_client {
    inner: Client,
    /// The client certificate and key file paths, for `oauth_get_client_cert_files`.
    cert_files: Option<crate::client_cert::CertFiles>,
}

impl oauth_client {
    fn new(inner: Client) -> oauth_client {
        let cert_files = crate::client_cert::CertFiles::of(&inner);
        oauth_client { inner, cert_files }
    }

    pub(crate) fn inner(&self) -> &Client {
        &self.inner
    }

    pub(crate) fn cert_files(&self) -> Option<&crate::client_cert::CertFiles> {
        self.cert_files.as_ref()
    }
}

/// Creates a client. Sends nothing: the first `oauth_get_token` fetches the token.
///
/// - `token_url`: the token endpoint, e.g.
///   `https://iam.example.com/auth/realms/REALM/protocol/openid-connect/token`.
///   `http://` is refused unless the host is a loopback address or
///   `options->allow_insecure_http` is set.
///   NULL (or "") when `options->issuer` is set (discovery finds it).
/// - `client_id`, `client_secret`: the client's credentials. The secret may
///   be NULL for methods that do not use it (`OAUTH_AUTH_PRIVATE_KEY_JWT`,
///   `OAUTH_AUTH_TLS_CLIENT_AUTH`, `OAUTH_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH`).
/// - `options`: NULL for the defaults, or settings initialised with
///   `OAUTH_OPTIONS_INIT` / `oauth_options_init()`. Only the fields of
///   `options->version` are read; the others take their defaults.
/// - `out`: receives the new client on success; untouched on failure.
///
/// All strings are NUL-terminated UTF-8 and are copied: the caller may free
/// them as soon as this returns. The secret is wiped from memory when the
/// client is freed.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` for a NULL pointer,
/// invalid UTF-8, a bad URL, an unreadable CA file or an unusable option
/// (`oauth_last_error()` says which).
///
/// # Safety
/// Every non-NULL pointer must be valid as described above.
#[no_mangle]
pub unsafe extern "C" fn oauth_client_new(
    token_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const oauth_options,
    out: *mut *mut oauth_client,
) -> oauth_status {
    guard("oauth_client_new", || {
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let url = opt_c_str(token_url, "token_url")?.filter(|u| !u.is_empty());
        let id = c_str(client_id, "client_id")?;
        let secret = opt_c_str(client_secret, "client_secret")?;
        let mut cfg = Config::new(url.unwrap_or_default(), id, secret.unwrap_or_default());
        let mut issuer = false;
        if !options.is_null() {
            // SAFETY: a valid options struct of the version it names, as documented;
            // only that version's bytes are read.
            let opts = unsafe { read_versioned(options) }?;
            issuer = !opts.issuer.is_null();
            cfg = apply(&opts, cfg)?;
        }
        if url.is_none() && !issuer {
            return Err(invalid("token_url is NULL or empty: pass the token endpoint's URL, or set options->issuer"));
        }
        // With an issuer and no method chosen, the core picks one the credentials given can do.
        let picked_later = cfg.issuer_str().is_some() && !cfg.auth_method_chosen();
        if secret.is_none() && cfg.method().uses_secret() && !picked_later {
            return Err(invalid(format!("client_secret is NULL, and auth method {} needs it", cfg.method().as_str())));
        }
        let client = Client::new(cfg)?;
        // SAFETY: `out` is non-NULL and writable, as documented.
        unsafe { out.write(Box::into_raw(Box::new(oauth_client::new(client)))) };
        Ok(OAUTH_OK)
    })
}

/// Creates a client from the environment and the config file's profiles,
/// for programs that cannot change their code to pass settings. Sends nothing.
///
/// - `profile`: the `[profile NAME]` section of the config file to read, or
///   NULL for `OAUTH2CC_PROFILE`, or else the `[default]` section if the file
///   has one. The config file is `OAUTH2CC_CONFIG`, or
///   `$XDG_CONFIG_HOME/oauth2cc/config` (`~/.config/oauth2cc/config`).
/// - `out`: receives the new client on success; untouched on failure.
///
/// Variables (profile keys in parentheses; a variable beats the profile):
/// `OAUTH2CC_TOKEN_URL` (`token_url`), `OAUTH2CC_CLIENT_ID` (`client_id`),
/// `OAUTH2CC_CLIENT_SECRET` (the secret itself; never in a profile) or
/// `OAUTH2CC_CLIENT_SECRET_FILE` (`client_secret_file`), and optionally
/// `OAUTH2CC_AUTH_METHOD` (`auth_method`: `client_secret_basic`,
/// `client_secret_basic_raw`, `client_secret_post`), `OAUTH2CC_SCOPE`
/// (`scope`), `OAUTH2CC_AUDIENCE` (`audience`), `OAUTH2CC_RESOURCE`
/// (`resource`), `OAUTH2CC_CA_FILE` (`ca_file`), `OAUTH2CC_PROXY` (`proxy`),
/// `OAUTH2CC_TIMEOUT` and `OAUTH2CC_CONNECT_TIMEOUT` (`timeout`,
/// `connect_timeout`, in seconds), `OAUTH2CC_MAX_REQUESTS_PER_SECOND`
/// (`max_requests_per_second`), `OAUTH2CC_ALLOW_INSECURE_HTTP`
/// (`allow_insecure_http`: 1/0, true/false, yes/no, on/off) and
/// `OAUTH2CC_CACHE_DIR` (`cache_dir`). An empty value counts as not given,
/// except `OAUTH2CC_PROXY=""`, which means no proxy. The others take the
/// defaults of `oauth_client_new`.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` when a required
/// setting is missing (`oauth_last_error()` names every missing one), a value
/// is not valid (it names the variable or the profile line), a variable is
/// not UTF-8 (it names the variable), the profile or the config file cannot
/// be read (it must be a regular file of at most 1 MiB; the secret file, at
/// most 64 KiB), or as `oauth_client_new`.
///
/// # Safety
/// `profile` must be NULL or NUL-terminated; `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn oauth_client_new_from_env(
    profile: *const c_char,
    out: *mut *mut oauth_client,
) -> oauth_status {
    guard("oauth_client_new_from_env", || {
        if out.is_null() {
            return Err(invalid("out is NULL"));
        }
        let profile = opt_c_str(profile, "profile")?;
        let client = Client::new(Config::from_env(profile)?)?;
        // SAFETY: `out` is non-NULL and writable, as documented.
        unsafe { out.write(Box::into_raw(Box::new(oauth_client::new(client)))) };
        Ok(OAUTH_OK)
    })
}

/// Writes a valid access token, NUL-terminated, into `buf`.
///
/// From the cache when possible: no lock and no I/O while the token is fresh.
/// Once a random point between 80 % and 90 % of its lifetime has passed, one
/// caller renews it while the others keep getting the current token; callers
/// with no valid token wait for that one request and share its result.
///
/// - `buf`, `buf_len`: the caller's buffer and its size in bytes. `buf` may be
///   NULL when `buf_len` is 0, to ask for the size.
/// - `token_len`: receives the token's length without the NUL, on `OAUTH_OK`
///   and on `OAUTH_ERR_BUFFER_TOO_SMALL` (then `buf` is untouched).
///
/// Returns `OAUTH_OK`, `OAUTH_ERR_BUFFER_TOO_SMALL`, `OAUTH_ERR_INVALID_ARGUMENT`,
/// or the status of the failed token request (`OAUTH_ERR_INVALID_CLIENT`,
/// `OAUTH_ERR_RATE_LIMITED`, `OAUTH_ERR_NETWORK`, ...), with details in
/// `oauth_last_error()`. After a failure, requests pause (backoff, cool-down
/// or the server's Retry-After) and calls in the pause return the same error
/// without a request, unless a still-valid token can be returned.
///
/// Blocks for at most the request timeout (`timeout_ms`, 15 s by default),
/// counted from the call, plus the few microseconds needed to parse an
/// answer: one deadline covers waiting for another thread's request (or,
/// with `cache_dir`, another process's), for a slot in the request budget
/// and the request itself; a call that cannot get a budget slot in time
/// fails at once with `OAUTH_ERR_TIMEOUT`. Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new` and not be freed; `buf` must
/// have room for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn oauth_get_token(
    client: *const oauth_client,
    buf: *mut c_char,
    buf_len: usize,
    token_len: *mut usize,
) -> oauth_status {
    guard("oauth_get_token", || {
        let client = non_null(client, "client")?;
        if token_len.is_null() {
            return Err(invalid("token_len is NULL"));
        }
        if buf.is_null() && buf_len != 0 {
            return Err(invalid("buf is NULL but buf_len is not 0"));
        }
        let copied = client.inner.with_token(|t| {
            let tok = t.access_token().as_bytes();
            if tok.len() >= buf_len {
                return Err(tok.len());
            }
            // SAFETY: buf has room for buf_len > tok.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(tok.as_ptr(), buf.cast::<u8>(), tok.len());
                *buf.add(tok.len()) = 0;
            }
            Ok(tok.len())
        })?;
        match copied {
            Ok(n) => {
                // SAFETY: checked non-NULL above.
                unsafe { token_len.write(n) };
                Ok(OAUTH_OK)
            }
            Err(n) => {
                // SAFETY: checked non-NULL above.
                unsafe { token_len.write(n) };
                Err(Failure(
                    OAUTH_ERR_BUFFER_TOO_SMALL,
                    format!("the token needs {} bytes with its NUL, the buffer has {buf_len}", n + 1),
                    None,
                    None,
                ))
            }
        }
    })
}

/// Writes the scope granted with the current token, NUL-terminated and
/// space-separated, into `buf` (fetching a token first if needed, as
/// `oauth_get_token` does).
///
/// The granted scope is the token endpoint's `scope`, or, when its answer had
/// none, the scope that was requested (RFC 6749 section 5.1); an empty string
/// when neither is known (no scope requested: the server's default). When the
/// server granted less than was requested, the library also logs a warning
/// once per token.
///
/// - `buf`, `buf_len`: the caller's buffer and its size in bytes. `buf` may be
///   NULL when `buf_len` is 0, to ask for the size.
/// - `scope_len`: receives the scope's length without the NUL, on `OAUTH_OK`
///   and on `OAUTH_ERR_BUFFER_TOO_SMALL` (then `buf` is untouched).
///
/// Returns `OAUTH_OK`, `OAUTH_ERR_BUFFER_TOO_SMALL`, `OAUTH_ERR_INVALID_ARGUMENT`,
/// or the status of a failed token request, as `oauth_get_token`. Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new` and not be freed; `buf` must
/// have room for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn oauth_get_granted_scope(
    client: *const oauth_client,
    buf: *mut c_char,
    buf_len: usize,
    scope_len: *mut usize,
) -> oauth_status {
    guard("oauth_get_granted_scope", || {
        let client = non_null(client, "client")?;
        if scope_len.is_null() {
            return Err(invalid("scope_len is NULL"));
        }
        if buf.is_null() && buf_len != 0 {
            return Err(invalid("buf is NULL but buf_len is not 0"));
        }
        let copied = client.inner.with_token(|t| {
            let scope = t.granted_scope().unwrap_or_default().as_bytes();
            if scope.len() >= buf_len {
                return Err(scope.len());
            }
            // SAFETY: buf has room for buf_len > scope.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(scope.as_ptr(), buf.cast::<u8>(), scope.len());
                *buf.add(scope.len()) = 0;
            }
            Ok(scope.len())
        })?;
        // SAFETY: checked non-NULL above.
        unsafe { scope_len.write(copied.unwrap_or_else(|n| n)) };
        match copied {
            Ok(_) => Ok(OAUTH_OK),
            Err(n) => Err(Failure(
                OAUTH_ERR_BUFFER_TOO_SMALL,
                format!("the scope needs {} bytes with its NUL, the buffer has {buf_len}", n + 1),
                None,
                None,
            )),
        }
    })
}

/// Drops the cached token if it is still `token`, so that the next
/// `oauth_get_token` fetches a new one. Call it when an API answered 401
/// with `error="invalid_token"` for that token.
///
/// If the cache already holds a different token (another thread already
/// renewed it), nothing happens: a thousand threads reporting the same old
/// token cause one renewal, not a thousand.
///
/// Returns `OAUTH_OK` in both cases, or `OAUTH_ERR_INVALID_ARGUMENT` for a
/// NULL pointer or invalid UTF-8. Thread-safe.
///
/// # Safety
/// `client` must come from `oauth_client_new` and not be freed; `token` must
/// be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn oauth_invalidate(client: *const oauth_client, token: *const c_char) -> oauth_status {
    guard("oauth_invalidate", || {
        let client = non_null(client, "client")?;
        let token = c_str(token, "token")?;
        client.inner.invalidate(token);
        Ok(OAUTH_OK)
    })
}

/// Replaces the client secret (after a rotation). The string is copied.
///
/// Ends a pause caused by rejected credentials, so the next `oauth_get_token`
/// that needs a token sends a request at once; a cached token stays in use
/// until its renewal. Thread-safe.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` for NULL, invalid
/// UTF-8 or an empty secret.
///
/// # Safety
/// `client` must come from `oauth_client_new`; `client_secret` must be NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn oauth_set_secret(client: *const oauth_client, client_secret: *const c_char) -> oauth_status {
    guard("oauth_set_secret", || {
        let client = non_null(client, "client")?;
        let secret = c_str(client_secret, "client_secret")?;
        client.inner.set_secret(secret)?;
        Ok(OAUTH_OK)
    })
}

/// Destroys a client, wiping its secret and cached token. NULL is a no-op.
///
/// Every buffer the library filled with the secret or a token (the
/// `Authorization` value, the form body, the answer, the HTTP connection's
/// buffers) is wiped before it is freed. What can remain in freed memory:
/// over TLS, copies of the token (not the secret) in rustls' record and
/// plaintext buffers, which it frees without wiping; with `cache_dir`, the
/// token file's contents as read or written. The caller's own copies (the
/// `oauth_get_token` buffer, the strings passed in) are its to wipe.
///
/// No other thread may use the client during or after this call.
///
/// # Safety
/// `client` must be NULL or come from `oauth_client_new`, and be freed once.
#[no_mangle]
pub unsafe extern "C" fn oauth_free(client: *mut oauth_client) {
    if client.is_null() {
        return;
    }
    guard("oauth_free", || {
        // SAFETY: from Box::into_raw in oauth_client_new, freed once.
        drop(unsafe { Box::from_raw(client) });
        Ok(OAUTH_OK)
    });
}
