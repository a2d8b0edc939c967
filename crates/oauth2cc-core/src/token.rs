//! An access token and its timing, all on the monotonic clock.

use crate::secret::fingerprint;
use serde_json::{Map, Value};
use std::fmt;
use std::time::{Duration, Instant, SystemTime};
use zeroize::Zeroizing;

/// An access token from the token endpoint. `Debug` shows its type, scope,
/// timing and a short fingerprint, never the token; the token's bytes are
/// zeroized when the last reference is dropped.
pub struct Token {
    pub(crate) access_token: Zeroizing<String>,
    pub(crate) token_type: String,
    pub(crate) scope: Option<String>,
    /// The scope this client asked for (None when it asked for none, or the
    /// token was read from the file cache, which records the granted scope).
    pub(crate) requested_scope: Option<String>,
    /// When the request that produced this token was sent.
    pub(crate) requested_at: Instant,
    pub(crate) expires_at: Instant,
    pub(crate) renew_at: Instant,
    /// Until when the fast path may hand the token out, on the precise and
    /// on the coarse clock (see `clock::fast_limits_ns`).
    pub(crate) fresh_until_ns: (u64, u64),
    /// The fork generation this token's renewal point was drawn in (see `fork.rs`).
    pub(crate) fork_generation: u64,
    pub(crate) expires_at_system: SystemTime,
    /// Other members of the answer (Keycloak's `refresh_expires_in`,
    /// `not-before-policy`, ...), kept as sent.
    pub(crate) extra: Map<String, Value>,
}

impl Token {
    /// The token to send as `Authorization: Bearer <token>`. Do not log it.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// As the server spelled it (`Bearer`, `bearer`, ...).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The granted scope, if the server said.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The scope granted, space-separated: the answer's `scope`, or, when the
    /// answer has none, the scope that was requested (RFC 6749 §5.1). None
    /// when neither is known (no scope asked for: the server's default).
    pub fn granted_scope(&self) -> Option<&str> {
        self.scope.as_deref().or(self.requested_scope.as_deref())
    }

    /// [`Token::granted_scope`] as a list of scopes.
    pub fn granted_scopes(&self) -> Vec<&str> {
        self.granted_scope().map(|s| s.split_ascii_whitespace().collect()).unwrap_or_default()
    }

    /// Requested scopes the answer's `scope` left out (a narrowed grant; an
    /// API will likely refuse calls that need them). Empty when all were granted.
    pub fn missing_scopes(&self) -> Vec<&str> {
        let (Some(asked), Some(granted)) = (self.requested_scope.as_deref(), self.scope.as_deref()) else {
            return Vec::new();
        };
        let granted: Vec<&str> = granted.split_ascii_whitespace().collect();
        asked.split_ascii_whitespace().filter(|s| !granted.contains(s)).collect()
    }

    /// The lifetime counted from when the request was sent.
    pub fn lifetime(&self) -> Duration {
        self.expires_at.saturating_duration_since(self.requested_at)
    }

    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// Wall-clock expiry, for display; timing decisions use [`Token::expires_at`].
    pub fn expires_at_system(&self) -> SystemTime {
        self.expires_at_system
    }

    /// When the cache starts renewing this token.
    pub fn renew_at(&self) -> Instant {
        self.renew_at
    }

    pub fn requested_at(&self) -> Instant {
        self.requested_at
    }

    /// Time left before expiry (zero once expired).
    pub fn expires_in(&self) -> Duration {
        self.expires_at.saturating_duration_since(Instant::now())
    }

    pub fn is_expired_at(&self, now: Instant) -> bool {
        now >= self.expires_at
    }

    /// Another member of the token endpoint's answer.
    pub fn extra(&self, name: &str) -> Option<&Value> {
        self.extra.get(name)
    }

    /// A short fingerprint of the token for correlating logs, never the token.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.access_token)
    }

    /// The claims of a JWT access token (its payload), or None when the token
    /// is not a JWT. The signature is neither checked nor returned: the token
    /// is the server's business; this is for display (`oauth2cc inspect`).
    pub fn jwt_claims(&self) -> Option<Map<String, Value>> {
        jwt_claims(&self.access_token)
    }

    /// Whether the cache would hand this token out without a request: not
    /// yet due for renewal, and drawn in this process (not inherited through
    /// `fork()`, whose child draws its own renewal point first).
    pub fn is_fresh(&self) -> bool {
        crate::cache::is_fresh(self)
    }
}

impl Token {
    /// A token read from the shared file cache, whose times are wall-clock UNIX seconds.
    pub(crate) fn from_wall_clock(
        access_token: String,
        token_type: String,
        scope: Option<String>,
        issued: f64,
        renew: f64,
        expires: f64,
    ) -> Token {
        let now = SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let now_i = Instant::now();
        // The file's numbers may be anything (NaN, negative, 1e300): every
        // conversion is checked, and an unrepresentable time becomes "now",
        // which makes the token due for renewal rather than a panic.
        let secs = |d: f64| Duration::try_from_secs_f64(d).ok();
        let at = |t: f64| {
            let moved = if t >= now {
                secs(t - now).and_then(|d| now_i.checked_add(d))
            } else {
                secs(now - t).and_then(|d| now_i.checked_sub(d))
            };
            moved.unwrap_or(now_i)
        };
        let (renew_at, expires_at) = (at(renew), at(expires));
        Token {
            access_token: Zeroizing::new(access_token),
            token_type,
            scope,
            requested_scope: None,
            requested_at: at(issued),
            expires_at,
            renew_at,
            fresh_until_ns: crate::clock::fast_limits_ns(renew_at, expires_at),
            fork_generation: crate::fork::generation(),
            expires_at_system: secs(expires)
                .and_then(|d| std::time::UNIX_EPOCH.checked_add(d))
                .unwrap_or_else(SystemTime::now),
            extra: Map::new(),
        }
    }

    /// A copy with a renewal point drawn again (for a forked child).
    pub(crate) fn rejittered(&self, renew_after: (f64, f64)) -> Token {
        let renew_at =
            self.requested_at + self.lifetime().mul_f64(crate::jitter::uniform(renew_after.0, renew_after.1));
        Token {
            access_token: self.access_token.clone(),
            token_type: self.token_type.clone(),
            scope: self.scope.clone(),
            requested_scope: self.requested_scope.clone(),
            requested_at: self.requested_at,
            expires_at: self.expires_at,
            renew_at,
            fresh_until_ns: crate::clock::fast_limits_ns(renew_at, self.expires_at),
            fork_generation: crate::fork::generation(),
            expires_at_system: self.expires_at_system,
            extra: self.extra.clone(),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("fingerprint", &self.fingerprint())
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("lifetime", &self.lifetime())
            .field("expires_in", &self.expires_in())
            .finish_non_exhaustive()
    }
}

/// The `exp` claim of a JWT, without checking its signature (the token is
/// the server's business; only its lifetime is read here).
pub(crate) fn jwt_exp(token: &str) -> Option<u64> {
    match jwt_claims(token)?.get("exp")? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        _ => None,
    }
}

/// The payload of a three-part JWT as a JSON object, never its signature.
fn jwt_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&raw).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt(claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", e(r#"{"alg":"RS256"}"#), e(claims))
    }

    #[test]
    fn wall_clock_times_from_a_file_never_panic() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e300, 1e300, 1.8e19, -1.0] {
            let t = Token::from_wall_clock("t".into(), "Bearer".into(), None, bad, bad, bad);
            assert!(t.expires_at() <= Instant::now() + Duration::from_secs(1), "{bad}");
        }
    }

    #[test]
    fn reads_exp_from_a_jwt() {
        assert_eq!(jwt_exp(&jwt(r#"{"exp":1700000000,"iat":1}"#)), Some(1_700_000_000));
        assert_eq!(jwt_exp(&jwt(r#"{"iat":1}"#)), None);
        assert_eq!(jwt_exp(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(jwt_exp("opaque-token"), None);
        assert_eq!(jwt_exp("a.b.c.d"), None);
        assert_eq!(jwt_exp("a.!!!.c"), None);
    }

    #[test]
    fn jwt_claims_are_the_payload_never_the_signature() {
        let c = jwt_claims(&jwt(r#"{"sub":"svc","exp":1700000000,"scope":"a b"}"#)).unwrap();
        assert_eq!(c.get("sub").and_then(Value::as_str), Some("svc"));
        assert_eq!(c.len(), 3);
        assert!(!serde_json::to_string(&c).unwrap().contains("sig"));
        assert_eq!(jwt_claims("opaque-token"), None);
        assert_eq!(jwt_claims(&jwt("[1, 2]")), None, "not an object");
        assert_eq!(jwt_claims("a.b.c.d"), None);
    }
}
