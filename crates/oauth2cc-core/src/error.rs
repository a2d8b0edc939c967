//! Typed errors. No error ever holds the client secret or a token: messages
//! are built from status codes, the server's RFC 6749 error fields (trimmed),
//! content types and sizes.

use std::fmt;
use std::time::Duration;

/// What kind of failure this is; decides what a caller (and the cache) should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is unusable (bad URL, `http://` to a remote host,
    /// unreadable CA file, bad renewal window, ...), or the token endpoint
    /// answered 404 (a wrong host, realm or path; backed off as a server
    /// error). Fix the configuration.
    InvalidConfig,
    /// The token endpoint rejected the client credentials
    /// (`invalid_client`, `unauthorized_client` and other servers' spellings,
    /// or a 401 or 403 without a recognised OAuth error). Not retried.
    InvalidClient,
    /// The client may not have the scope it asked for (`invalid_scope`). Not retried.
    InvalidScope,
    /// Another OAuth error from the token endpoint (`invalid_request`,
    /// `unsupported_grant_type`, `invalid_grant`, ...).
    Rejected,
    /// HTTP 429: wait for `retry_after`.
    RateLimited,
    /// Could not connect, connection reset or closed early, DNS failure, proxy failure.
    Network,
    /// The connect or whole-request timeout ran out.
    Timeout,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The answer was malformed or unexpected (not JSON, no `access_token`,
    /// `token_type` not Bearer, odd `expires_in`, too large, a redirect, ...).
    Protocol,
    /// HTTP 5xx or 408 from the token endpoint.
    Server,
    /// A bug in oauth2cc (for example a caught panic).
    Internal,
    /// An API answered `insufficient_scope` ([`Client::handle_response`](crate::Client::handle_response)):
    /// the client needs [`Error::scope`] granted in the IAM; a new token will not help.
    ApiInsufficientScope,
    /// An API answered `invalid_request`: the API call itself is malformed.
    ApiInvalidRequest,
    /// An API answered 401/403 with another OAuth `error` value.
    ApiRejected,
    /// An API answered 401 without OAuth error detail (no Bearer challenge
    /// with an `error`): a new token would not help; the cause is likely
    /// elsewhere (the API URL, a proxy, the server).
    ApiUnauthorized,
}

impl ErrorKind {
    /// Whether a later attempt may succeed without a configuration change.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Server)
    }
}

/// The RFC 6749 §5.2 error fields of a token endpoint answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OAuthErrorBody {
    pub error: String,
    pub error_description: Option<String>,
    pub error_uri: Option<String>,
}

/// An oauth2cc error: a kind, a one-line message, and what the server said.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    retry_after: Option<Duration>,
    oauth: Option<OAuthErrorBody>,
    scope: Option<String>,
    hint: Option<&'static str>,
    /// Returned during a pause after this failure, without a request.
    paused: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                retry_after: None,
                oauth: None,
                scope: None,
                hint: None,
                paused: false,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidConfig, message)
    }

    /// A configuration error with this message (for bindings that check their own arguments).
    pub fn config_message(message: &str) -> Error {
        Error::config(sanitize(message, 300))
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_retry_after(mut self, d: Option<Duration>) -> Error {
        self.inner.retry_after = d;
        self
    }

    pub(crate) fn with_oauth(mut self, body: Option<OAuthErrorBody>) -> Error {
        self.inner.oauth = body;
        self
    }

    pub(crate) fn with_scope(mut self, scope: Option<String>) -> Error {
        self.inner.scope = scope;
        self
    }

    pub(crate) fn with_hint(mut self, hint: &'static str) -> Error {
        self.inner.hint = Some(hint);
        self
    }

    /// The same error with every run of at least `min_run` characters (or the
    /// whole of `material`, when shorter) that also occurs in `material`
    /// replaced by `[redacted]`, in every text a server may have filled: for a
    /// server that echoes the secret or the token it was sent.
    pub(crate) fn redacted(mut self, material: &str, min_run: usize) -> Error {
        let inner = &mut *self.inner;
        let fix = |t: &mut String| {
            if let Some(clean) = redact(t, material, min_run) {
                *t = clean;
            }
        };
        fix(&mut inner.message);
        if let Some(o) = &mut inner.oauth {
            fix(&mut o.error);
            for t in [&mut o.error_description, &mut o.error_uri].into_iter().flatten() {
                fix(t);
            }
        }
        if let Some(t) = &mut inner.scope {
            fix(t);
        }
        self
    }

    /// This error again, returned during the pause after it without a request.
    pub(crate) fn during_pause(mut self, left: Option<Duration>) -> Error {
        self.inner.paused = true;
        self.inner.retry_after = left;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the token endpoint's answer (or, for the `Api*`
    /// kinds, of the API's answer), if there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// How long to wait before the next attempt is allowed (from `Retry-After`
    /// on a 429, or the remaining cool-down or backoff when served from the cache).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The server's `error`, `error_description` and `error_uri`, if it sent them.
    pub fn oauth(&self) -> Option<&OAuthErrorBody> {
        self.inner.oauth.as_ref()
    }

    /// The scope an API requires, from its `insufficient_scope` challenge
    /// ([`ErrorKind::ApiInsufficientScope`]), when it named one.
    pub fn scope(&self) -> Option<&str> {
        self.inner.scope.as_deref()
    }

    /// The one-line message, without the hint.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Advice for the operator, when there is some.
    pub fn hint(&self) -> Option<&'static str> {
        self.inner.hint
    }

    /// Whether no request was sent: this is an earlier failure (of this
    /// process or, through the file cache, another), returned again while the
    /// pause after it lasts ([`Error::retry_after`] says how long).
    pub fn is_pause(&self) -> bool {
        self.inner.paused
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        match (self.inner.paused, self.inner.retry_after) {
            (true, Some(d)) => write!(f, " (no request sent: requests paused for another {:.1} s)", d.as_secs_f64())?,
            (true, None) => f.write_str(" (no request sent: requests are paused)")?,
            (false, Some(d)) => write!(f, " (retry after {:.1} s)", d.as_secs_f64())?,
            (false, None) => {}
        }
        if let Some(h) = self.inner.hint {
            write!(f, "; hint: {h}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("status", &self.inner.status)
            .field("retry_after", &self.inner.retry_after)
            .field("oauth", &self.inner.oauth)
            .field("scope", &self.inner.scope)
            .field("hint", &self.inner.hint)
            .finish()
    }
}

impl std::error::Error for Error {}

/// `text` with every run of `min_run` or more characters (the whole of
/// `material` when it is shorter) that also occurs in `material` replaced by
/// `[redacted]`; None when there is none. Material under 4 characters is not
/// looked for: it would blank ordinary words (and is no secret worth the name).
fn redact(text: &str, material: &str, min_run: usize) -> Option<String> {
    let min_run = min_run.min(material.len());
    if material.len() < 4 || text.len() < min_run {
        return None;
    }
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i + min_run <= text.len() {
        // The shortest run from i: min_run bytes, to the next character boundary.
        let mut end = i + min_run;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if !text.is_char_boundary(i) || !material.contains(&text[i..end]) {
            i += 1;
            continue;
        }
        // Extend the run as far as it still occurs in the material.
        while let Some(c) = text[end..].chars().next() {
            if !material.contains(&text[i..end + c.len_utf8()]) {
                break;
            }
            end += c.len_utf8();
        }
        out.push_str(&text[copied..i]);
        out.push_str("[redacted]");
        (copied, i) = (end, end);
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Keeps server-provided text printable and short: control characters become
/// spaces and the text is cut at `max` characters.
/// A file path from the configuration, as messages show it: the path, unless
/// the value looks like key material given where a file was expected (PEM
/// text, even damaged; a long run of base64), which is never repeated.
pub(crate) fn shown_path(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    let pem_like = s.contains("-----") || s.contains("BEGIN ") || s.chars().any(char::is_control);
    let base64_run =
        s.len() >= 40 && !s.contains('.') && s.chars().all(|c| c.is_ascii_alphanumeric() || "+/=_-".contains(c));
    if pem_like || base64_run || s.len() > 1024 {
        "(a value that is not shown: it looks like key material, not a file path; put the key in a file and name the file)"
            .to_string()
    } else {
        sanitize(&s, 300)
    }
}

/// An error as recorded for other processes (the file cache's pause file, the
/// fleet's pause entry): kind (its name in outcome.rs), message, HTTP status
/// and OAuth error; the caller adds its own members (failures, until).
pub(crate) fn record(e: &Error) -> serde_json::Map<String, serde_json::Value> {
    let o = e.oauth();
    let serde_json::Value::Object(m) = serde_json::json!({
        "kind": e.kind().name(),
        "message": e.message(),
        "status": e.status(),
        "error": o.map(|o| o.error.clone()),
        "error_description": o.and_then(|o| o.error_description.clone()),
    }) else {
        unreachable!("a JSON object literal")
    };
    m
}

/// The error [`record`] wrote, said to be "recorded by" `by`; None when the
/// record is not one (an unknown kind: a newer or a foreign writer).
pub(crate) fn from_record(m: &serde_json::Map<String, serde_json::Value>, by: &str) -> Option<Error> {
    use serde_json::Value;
    let kind = ErrorKind::from_name(m.get("kind").and_then(Value::as_str)?)?;
    let msg = m.get("message").and_then(Value::as_str).unwrap_or_default();
    let mut e = Error::new(kind, format!("{} (recorded by {by})", sanitize(msg, 300)));
    if let Some(s) = m.get("status").and_then(Value::as_u64) {
        e = e.with_status(s as u16);
    }
    let description = m.get("error_description").and_then(Value::as_str);
    if let Some(h) = crate::response::recorded_hint(kind, description) {
        e = e.with_hint(h);
    }
    if let Some(err) = m.get("error").and_then(Value::as_str) {
        e = e.with_oauth(Some(OAuthErrorBody {
            error: err.to_string(),
            error_description: description.map(String::from),
            error_uri: None,
        }));
    }
    Some(e)
}

pub(crate) fn sanitize(s: &str, max: usize) -> String {
    let mut out: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn paths_are_shown_unless_they_look_like_key_material() {
        use super::shown_path;
        use std::path::Path;
        assert_eq!(shown_path(Path::new("/etc/svc/key.pem")), "/etc/svc/key.pem");
        assert_eq!(shown_path(Path::new("keys/svc")), "keys/svc");
        for material in [
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----",
            "----BEGIN PRIVATE KEY----- MC4CAQAwBQYDK2VwBCIEIA",
            "MC4CAQAwBQYDK2VwBCIEIJ+Hq2j7Ou/A1w0fXcE5zPcJOxOa+aPkfQ2N4P0KbJ",
        ] {
            assert!(shown_path(Path::new(material)).starts_with("(a value that is not shown"), "{material}");
        }
    }

    #[test]
    fn runs_of_the_material_are_redacted() {
        let m = "s3cret-value-é-42";
        assert_eq!(redact("secret s3cret-value-é-42 is wrong", m, 8).as_deref(), Some("secret [redacted] is wrong"));
        assert_eq!(redact("cut: s3cret-va…", m, 8).as_deref(), Some("cut: [redacted]…"));
        assert_eq!(redact("too short: s3cret-", m, 8), None, "7 characters are not a run");
        assert_eq!(redact("é-42 value-é-42x", m, 8).as_deref(), Some("é-42 [redacted]x"));
        assert_eq!(
            redact("twice s3cret-value and -value-é-42", m, 8).as_deref(),
            Some("twice [redacted] and [redacted]")
        );
        assert_eq!(redact("abc abcd", "abc", 8), None, "material under 4 characters is not looked for");
        assert_eq!(redact("the pass is abcd.", "abcd", 8).as_deref(), Some("the pass is [redacted]."));
        assert_eq!(redact("", m, 8), None);
    }
}
