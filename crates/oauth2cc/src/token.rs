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
        let at = |t: f64| {
            if t >= now {
                now_i + Duration::from_secs_f64(t - now)
            } else {
                now_i.checked_sub(Duration::from_secs_f64(now - t)).unwrap_or(now_i)
            }
        };
        let (renew_at, expires_at) = (at(renew), at(expires));
        Token {
            access_token: Zeroizing::new(access_token),
            token_type,
            scope,
            requested_at: at(issued),
            expires_at,
            renew_at,
            fresh_until_ns: crate::clock::fast_limits_ns(renew_at, expires_at),
            fork_generation: crate::fork::generation(),
            expires_at_system: std::time::UNIX_EPOCH + Duration::from_secs_f64(expires),
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
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&raw).ok()?;
    match claims.get("exp")? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
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
    fn reads_exp_from_a_jwt() {
        assert_eq!(jwt_exp(&jwt(r#"{"exp":1700000000,"iat":1}"#)), Some(1_700_000_000));
        assert_eq!(jwt_exp(&jwt(r#"{"iat":1}"#)), None);
        assert_eq!(jwt_exp(&jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(jwt_exp("opaque-token"), None);
        assert_eq!(jwt_exp("a.b.c.d"), None);
        assert_eq!(jwt_exp("a.!!!.c"), None);
    }
}
