//! `oauth_options`: settings beyond the three credentials, in an ABI-stable form.

use crate::boundary::{c_str, guard, invalid, opt_c_str, Failure};
use crate::status::oauth_status;
use crate::status::OAUTH_OK;
use oauth2cc_core::{AuthMethod, Config, KeySource, Secret};
use std::ffi::c_char;
use std::mem::offset_of;
use std::os::raw::{c_int, c_uint};
use std::time::Duration;

/// The version of `oauth_options` this header describes. Fields are only ever
/// appended, and the version is bumped with every appended field: the
/// caller's `version` tells the library exactly which fields exist, and the
/// library reads and writes only those bytes; a field the caller's version
/// lacks gets its default. 1: `version` to `extra_params`; 2: adds
/// `max_requests_per_second` and `credential_cool_down_s`; 3: adds
/// `cache_dir`; from 4 on, one field per version: 4 `signing_key_file`,
/// 5 `signing_key_pem`, 6 `signing_alg`, 7 `key_id`, 8 `assertion_audience`,
/// 9 `client_cert_file`, 10 `client_key_file`, 11 `dpop`, 12 `dpop_key_file`,
/// 13 `issuer`, 14 `shared_cache_url`, 15 `shared_cache_password_file`,
/// 16 `shared_cache_timeout_ms`.
pub const OAUTH_OPTIONS_VERSION: c_uint = 16;

/// HTTP Basic with id and secret form-urlencoded first (RFC 6749 section 2.3.1). The default.
pub const OAUTH_AUTH_CLIENT_SECRET_BASIC: c_int = 0;
/// HTTP Basic with the raw `id:secret`, as older Keycloak releases expect.
pub const OAUTH_AUTH_CLIENT_SECRET_BASIC_RAW: c_int = 1;
/// `client_id` and `client_secret` in the form body.
pub const OAUTH_AUTH_CLIENT_SECRET_POST: c_int = 2;
/// A JWT signed with HMAC under the client secret (`client_secret_jwt`, RFC 7523).
pub const OAUTH_AUTH_CLIENT_SECRET_JWT: c_int = 3;
/// A JWT signed with the client's private key (`private_key_jwt`, RFC 7523):
/// set `signing_key_file` or `signing_key_pem`; the secret may be NULL.
pub const OAUTH_AUTH_PRIVATE_KEY_JWT: c_int = 4;
/// Mutual TLS with a CA-issued client certificate (`tls_client_auth`, RFC 8705):
/// set `client_cert_file` and `client_key_file`; the secret may be NULL.
pub const OAUTH_AUTH_TLS_CLIENT_AUTH: c_int = 5;
/// Mutual TLS with a self-signed certificate registered at the server
/// (`self_signed_tls_client_auth`, RFC 8705); the secret may be NULL.
pub const OAUTH_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH: c_int = 6;

/// Settings for `oauth_client_new`. Initialise with `OAUTH_OPTIONS_INIT` or
/// `oauth_options_init()`, then set what you need: every zero or NULL field
/// means "the default". Strings are copied by `oauth_client_new`; the caller
/// may free them as soon as it returns.
#[repr(C)]
pub struct oauth_options {
    /// `OAUTH_OPTIONS_VERSION` of the header the caller was compiled with.
    pub version: c_uint,
    /// One of the `OAUTH_AUTH_*` values; 0 is `OAUTH_AUTH_CLIENT_SECRET_BASIC`,
    /// or with `issuer` the first method the server lists that this
    /// configuration can do (README, "Discovery"); set another value to choose.
    pub auth_method: c_int,
    /// Space-separated scopes to ask for, or NULL.
    pub scope: *const c_char,
    /// The `audience` form parameter, or NULL.
    pub audience: *const c_char,
    /// The RFC 8707 `resource` form parameter, or NULL.
    pub resource: *const c_char,
    /// A PEM file of CA certificates trusted in addition to the system store, or NULL.
    pub ca_file: *const c_char,
    /// Connect timeout in milliseconds; 0 means 5000.
    pub connect_timeout_ms: c_uint,
    /// Limit in milliseconds for a whole call that needs a token request
    /// (waiting for a budget slot or another thread's request included, see
    /// `oauth_get_token`); 0 means 15000.
    pub timeout_ms: c_uint,
    /// Renew once a random point between `renew_min_percent` and
    /// `renew_max_percent` of the token's lifetime has passed; 0 means 80 and 90.
    /// Need 0 < min <= max < 100.
    pub renew_min_percent: c_uint,
    /// See `renew_min_percent`.
    pub renew_max_percent: c_uint,
    /// Lifetime assumed when the answer has no `expires_in` and the token is
    /// not a JWT with `exp`, in seconds; 0 means 60.
    pub default_lifetime_s: c_uint,
    /// Non-zero allows an `http://` token URL to a host that is not a loopback
    /// address (the secret then crosses the network unencrypted).
    pub allow_insecure_http: c_int,
    /// Proxy URL (`http://[user:pass@]host:port`); NULL uses the `ALL_PROXY`,
    /// `HTTPS_PROXY` and `HTTP_PROXY` environment variables; "" uses no proxy.
    /// Loopback destinations never use a proxy; `NO_PROXY` is honoured (curl's
    /// rules) with either kind of proxy.
    pub proxy: *const c_char,
    /// Extra form parameters: NULL, or an array of name, value, name, value,
    /// ... strings ended by a NULL name.
    pub extra_params: *const *const c_char,
    /// The most token requests per second this process sends to this token
    /// endpoint, shared by all its clients of that endpoint (the lowest
    /// setting wins); 0 means 10; at most 50 (the IAM's limit per IP).
    /// Since version 2.
    pub max_requests_per_second: c_uint,
    /// Seconds to pause requests after the endpoint rejected the credentials
    /// or the scope (calls return the same error without a request); 0 means 60.
    /// Since version 2.
    pub credential_cool_down_s: c_uint,
    /// A directory (created 0700) through which processes share tokens: those
    /// starting at once make one request, later ones reuse the token. Never
    /// chmodded: a directory others may enter gets a private `oauth2cc-UID`
    /// inside it (or is refused, see the README). NULL (the default) keeps
    /// tokens in this process only. Since version 3.
    pub cache_dir: *const c_char,
    /// A PEM file with the private key (PKCS#8, PKCS#1 RSA or SEC1 EC) that
    /// signs `OAUTH_AUTH_PRIVATE_KEY_JWT` assertions, or NULL. Read and checked
    /// by `oauth_client_new`. Since version 4.
    pub signing_key_file: *const c_char,
    /// The same key as PEM text instead of a file, or NULL. Since version 5.
    pub signing_key_pem: *const c_char,
    /// The assertion's JWS algorithm (`"HS256"`, `"HS384"`, `"HS512"`,
    /// `"RS256"`, `"RS384"`, `"RS512"`, `"PS256"`, `"PS384"`, `"PS512"`, `"ES256"`,
    /// `"ES384"`, `"EdDSA"`), or NULL: HS256
    /// for `OAUTH_AUTH_CLIENT_SECRET_JWT`, the key's own (RS256 for RSA) for
    /// `OAUTH_AUTH_PRIVATE_KEY_JWT`. Since version 6.
    pub signing_alg: *const c_char,
    /// The assertion's `kid` header, or NULL (the key's RFC 7638 thumbprint
    /// for `OAUTH_AUTH_PRIVATE_KEY_JWT`). Since version 7.
    pub key_id: *const c_char,
    /// The assertion's `aud` claim, or NULL for the token URL. Since version 8.
    pub assertion_audience: *const c_char,
    /// A PEM file with the client certificate (and chain) for mutual TLS, or
    /// NULL. Since version 9.
    pub client_cert_file: *const c_char,
    /// A PEM file with the client certificate's private key, or NULL. Since version 10.
    pub client_key_file: *const c_char,
    /// Non-zero asks for DPoP-bound tokens (RFC 9449). Since version 11.
    pub dpop: c_int,
    /// A PEM file with the EC P-256 DPoP key, or NULL for a key generated per
    /// client. Since version 12.
    pub dpop_key_file: *const c_char,
    /// An issuer URL whose discovery document names the token endpoint (the
    /// `token_url` argument must then be NULL or ""), or NULL. Keycloak's is
    /// `https://HOST/realms/REALM`. The document
    /// (`<issuer>/.well-known/openid-configuration`, or on a 404 RFC 8414's
    /// `/.well-known/oauth-authorization-server<path>`) is fetched by the first
    /// `oauth_get_token` that needs a token, not by `oauth_client_new` (which
    /// only checks the URL: `https://`, or `http://` to loopback), once per
    /// process and issuer, and again at most hourly. Its `issuer` must equal
    /// this one exactly, else `OAUTH_ERR_INVALID_ARGUMENT` and no token request.
    /// Without `auth_method` set, the method is picked from the methods the
    /// document lists. A failure to fetch it has a token request's status
    /// (`OAUTH_ERR_NETWORK`, `OAUTH_ERR_SERVER`, ...) and pause. Since version 13.
    pub issuer: *const c_char,
    /// Fleet mode: a Redis or Valkey URL through which every process on every
    /// host using it shares, per client, one token, one request budget per
    /// token endpoint host (`max_requests_per_second` then bounds the fleet)
    /// and one pause (cool-down, `Retry-After`, backoff), or NULL.
    /// `redis://[user[:password]@]host[:port][/db]`, `rediss://` (TLS, trusting
    /// the system store and `ca_file`), `redis+unix:///path/to/redis.sock`.
    /// The in-memory cache stays in front: a cached read never reaches Redis.
    /// Entries are sealed (AES-256-GCM) under a key derived from the client's
    /// credential (the secret, the client key, the signing key), so a reader
    /// of Redis without it can neither use nor forge them; a token bound to a
    /// client certificate is shared only with holders of that certificate.
    /// With `issuer` (discovery) entries are keyed on the issuer. The URL is
    /// shown without user information. If Redis fails, the client works alone
    /// (its own cache, budget and pauses), logs one warning and rejoins when
    /// Redis answers. Since version 14.
    pub shared_cache_url: *const c_char,
    /// A file whose first line is the shared cache's password (for the ACL
    /// user in `shared_cache_url`, or the default user), or NULL; read when the
    /// client is created, never logged or shown. Since version 15.
    pub shared_cache_password_file: *const c_char,
    /// The limit on connecting to the shared cache and on each exchange with
    /// it, in milliseconds (at most 10000), after which the client works
    /// alone; 0 means 50. Since version 16.
    pub shared_cache_timeout_ms: c_uint,
}

/// Fills `*opts` with the defaults for `version` (pass `OAUTH_OPTIONS_VERSION`)
/// and sets `opts->version`; writes only the fields that version has.
///
/// Returns `OAUTH_OK`, or `OAUTH_ERR_INVALID_ARGUMENT` when `opts` is NULL or
/// the version is unknown to this library (a header newer than the library).
///
/// # Safety
/// `opts` must be NULL or point to writable memory for the `oauth_options`
/// of `version`.
#[no_mangle]
pub unsafe extern "C" fn oauth_options_init(opts: *mut oauth_options, version: c_uint) -> oauth_status {
    guard("oauth_options_init", || {
        if opts.is_null() {
            return Err(invalid("opts is NULL"));
        }
        let len = version_len(version)?;
        let defaults = oauth_options::zeroed(version);
        // SAFETY: `opts` is non-NULL and the caller promises `len` writable
        // bytes (the struct of its version); `defaults` is a full struct.
        unsafe { std::ptr::copy_nonoverlapping(std::ptr::from_ref(&defaults).cast::<u8>(), opts.cast::<u8>(), len) };
        Ok(OAUTH_OK)
    })
}

impl oauth_options {
    fn zeroed(version: c_uint) -> oauth_options {
        oauth_options {
            version,
            auth_method: OAUTH_AUTH_CLIENT_SECRET_BASIC,
            scope: std::ptr::null(),
            audience: std::ptr::null(),
            resource: std::ptr::null(),
            ca_file: std::ptr::null(),
            connect_timeout_ms: 0,
            timeout_ms: 0,
            renew_min_percent: 0,
            renew_max_percent: 0,
            default_lifetime_s: 0,
            allow_insecure_http: 0,
            proxy: std::ptr::null(),
            extra_params: std::ptr::null(),
            max_requests_per_second: 0,
            credential_cool_down_s: 0,
            cache_dir: std::ptr::null(),
            signing_key_file: std::ptr::null(),
            signing_key_pem: std::ptr::null(),
            signing_alg: std::ptr::null(),
            key_id: std::ptr::null(),
            assertion_audience: std::ptr::null(),
            client_cert_file: std::ptr::null(),
            client_key_file: std::ptr::null(),
            dpop: 0,
            dpop_key_file: std::ptr::null(),
            issuer: std::ptr::null(),
            shared_cache_url: std::ptr::null(),
            shared_cache_password_file: std::ptr::null(),
            shared_cache_timeout_ms: 0,
        }
    }
}

/// The bytes of `oauth_options` that `version` has: up to the end of its last field.
fn version_len(version: c_uint) -> Result<usize, Failure> {
    let o = oauth_options::zeroed(0);
    // The end of each version's last field, version 1 first.
    macro_rules! end {
        ($f:ident) => {
            offset_of!(oauth_options, $f) + std::mem::size_of_val(&o.$f)
        };
    }
    let ends = [
        end!(extra_params),
        end!(credential_cool_down_s),
        end!(cache_dir),
        end!(signing_key_file),
        end!(signing_key_pem),
        end!(signing_alg),
        end!(key_id),
        end!(assertion_audience),
        end!(client_cert_file),
        end!(client_key_file),
        end!(dpop),
        end!(dpop_key_file),
        end!(issuer),
        end!(shared_cache_url),
        end!(shared_cache_password_file),
        end!(shared_cache_timeout_ms),
    ];
    const _: () = assert!(OAUTH_OPTIONS_VERSION == 16, "a new version needs its entry in `ends`");
    match version {
        0 => Err(invalid("options->version is 0: initialise options with OAUTH_OPTIONS_INIT or oauth_options_init()")),
        v => ends.get(v as usize - 1).copied().ok_or_else(|| {
            invalid(format!(
                "options->version {v} is newer than this library supports ({OAUTH_OPTIONS_VERSION}); link a newer liboauth2cc"
            ))
        }),
    }
}

/// The caller's options: the fields its version has, defaults for the rest.
///
/// # Safety
/// `opts` must be non-NULL and point to a readable `oauth_options` of the
/// version in its first field (possibly shorter than this library's struct).
pub(crate) unsafe fn read_versioned(opts: *const oauth_options) -> Result<oauth_options, Failure> {
    // SAFETY: `version` is the first field of every version.
    let version = unsafe { std::ptr::addr_of!((*opts).version).read() };
    let len = version_len(version)?;
    let mut full = oauth_options::zeroed(version);
    // SAFETY: the caller's struct has `len` readable bytes; every field is
    // plain data, so any bytes copied from a C struct of that layout are valid.
    unsafe { std::ptr::copy_nonoverlapping(opts.cast::<u8>(), std::ptr::from_mut(&mut full).cast::<u8>(), len) };
    Ok(full)
}

/// The method an `OAUTH_AUTH_*` value names.
pub(crate) fn auth_method(value: c_int) -> Result<AuthMethod, Failure> {
    usize::try_from(value)
        .ok()
        .and_then(|i| AuthMethod::ALL.get(i).copied())
        .ok_or_else(|| invalid(format!("options->auth_method {value} is not one of the OAUTH_AUTH_* values")))
}

/// Applies the caller's options to `cfg`.
/// `opts` comes from [`read_versioned`], so every field exists.
pub(crate) fn apply(opts: &oauth_options, mut cfg: Config) -> Result<Config, Failure> {
    // 0, the default, is client_secret_basic; left unchosen so that with an
    // issuer the method is picked from what the server lists.
    let method = auth_method(opts.auth_method)?;
    if opts.auth_method != OAUTH_AUTH_CLIENT_SECRET_BASIC {
        cfg = cfg.auth_method(method);
    }
    if let Some(s) = opt_c_str(opts.scope, "options->scope")? {
        cfg = cfg.scope(s);
    }
    if let Some(s) = opt_c_str(opts.audience, "options->audience")? {
        cfg = cfg.audience(s);
    }
    if let Some(s) = opt_c_str(opts.resource, "options->resource")? {
        cfg = cfg.resource(s);
    }
    if let Some(s) = opt_c_str(opts.ca_file, "options->ca_file")? {
        cfg = cfg.ca_file(s);
    }
    if opts.connect_timeout_ms != 0 {
        cfg = cfg.connect_timeout(Duration::from_millis(opts.connect_timeout_ms.into()));
    }
    if opts.timeout_ms != 0 {
        cfg = cfg.timeout(Duration::from_millis(opts.timeout_ms.into()));
    }
    match (opts.renew_min_percent, opts.renew_max_percent) {
        (0, 0) => {}
        (lo, hi) if lo == 0 || hi == 0 => {
            return Err(invalid(format!(
                "options->renew_min_percent ({lo}) and renew_max_percent ({hi}) must be set together"
            )))
        }
        (lo, hi) => cfg = cfg.renew_after(f64::from(lo) / 100.0, f64::from(hi) / 100.0),
    }
    if opts.default_lifetime_s != 0 {
        cfg = cfg.default_lifetime(Duration::from_secs(opts.default_lifetime_s.into()));
    }
    cfg = cfg.allow_insecure_http(opts.allow_insecure_http != 0);
    match opt_c_str(opts.proxy, "options->proxy")? {
        None => {}
        Some("") => cfg = cfg.no_proxy(),
        Some(p) => cfg = cfg.proxy(p),
    }
    if opts.max_requests_per_second != 0 {
        cfg = cfg.max_requests_per_second(f64::from(opts.max_requests_per_second));
    }
    if opts.credential_cool_down_s != 0 {
        cfg = cfg.credential_cool_down(Duration::from_secs(opts.credential_cool_down_s.into()));
    }
    if let Some(d) = opt_c_str(opts.cache_dir, "options->cache_dir")? {
        cfg = cfg.cache_dir(d);
    }
    if let Some(p) = opt_c_str(opts.signing_key_file, "options->signing_key_file")? {
        cfg = cfg.private_key(KeySource::File(p.into()));
    }
    if let Some(pem) = opt_c_str(opts.signing_key_pem, "options->signing_key_pem")? {
        if !opts.signing_key_file.is_null() {
            return Err(invalid("set options->signing_key_file or options->signing_key_pem, not both"));
        }
        cfg = cfg.private_key(KeySource::Pem(Secret::new(pem)));
    }
    if let Some(s) = opt_c_str(opts.signing_alg, "options->signing_alg")? {
        cfg = cfg.signing_alg(s);
    }
    if let Some(s) = opt_c_str(opts.key_id, "options->key_id")? {
        cfg = cfg.key_id(s);
    }
    if let Some(s) = opt_c_str(opts.assertion_audience, "options->assertion_audience")? {
        cfg = cfg.assertion_audience(s);
    }
    if let Some(p) = opt_c_str(opts.client_cert_file, "options->client_cert_file")? {
        cfg = cfg.client_cert(p);
    }
    if let Some(p) = opt_c_str(opts.client_key_file, "options->client_key_file")? {
        cfg = cfg.client_key(p);
    }
    cfg = cfg.dpop(opts.dpop != 0);
    if let Some(p) = opt_c_str(opts.dpop_key_file, "options->dpop_key_file")? {
        cfg = cfg.dpop_key(p);
    }
    if let Some(s) = opt_c_str(opts.issuer, "options->issuer")? {
        cfg = cfg.issuer(s);
    }
    if let Some(s) = opt_c_str(opts.shared_cache_url, "options->shared_cache_url")? {
        cfg = cfg.shared_cache_url(s);
    }
    if let Some(p) = opt_c_str(opts.shared_cache_password_file, "options->shared_cache_password_file")? {
        cfg = cfg.shared_cache_password_file(p);
    }
    if opts.shared_cache_timeout_ms != 0 {
        cfg = cfg.shared_cache_timeout(Duration::from_millis(opts.shared_cache_timeout_ms.into()));
    }
    if !opts.extra_params.is_null() {
        let mut i = 0;
        loop {
            // SAFETY: the caller promises a NULL-terminated array of name/value pairs.
            let name = unsafe { *opts.extra_params.add(i) };
            if name.is_null() {
                break;
            }
            let name = c_str(name, "options->extra_params name")?;
            // SAFETY: as above; a name is always followed by its value.
            let value = c_str(unsafe { *opts.extra_params.add(i + 1) }, "options->extra_params value")?;
            cfg = cfg.extra_param(name, value);
            i += 2;
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_auth_method_constant_names_its_method() {
        for (value, name) in [
            (OAUTH_AUTH_CLIENT_SECRET_BASIC, "client_secret_basic"),
            (OAUTH_AUTH_CLIENT_SECRET_BASIC_RAW, "client_secret_basic_raw"),
            (OAUTH_AUTH_CLIENT_SECRET_POST, "client_secret_post"),
            (OAUTH_AUTH_CLIENT_SECRET_JWT, "client_secret_jwt"),
            (OAUTH_AUTH_PRIVATE_KEY_JWT, "private_key_jwt"),
            (OAUTH_AUTH_TLS_CLIENT_AUTH, "tls_client_auth"),
            (OAUTH_AUTH_SELF_SIGNED_TLS_CLIENT_AUTH, "self_signed_tls_client_auth"),
        ] {
            assert_eq!(auth_method(value).map(AuthMethod::as_str).ok(), Some(name));
        }
        assert_eq!(AuthMethod::ALL.len(), 7, "a new method needs its OAUTH_AUTH_* constant");
        assert!(auth_method(7).is_err() && auth_method(-1).is_err());
    }
}
