//! Turns a token endpoint answer into a [`Token`] or a typed [`Error`]
//! (RFC 6749 §5.1 and §5.2, with Keycloak's extras tolerated).

use crate::error::{sanitize, Error, ErrorKind, OAuthErrorBody};
use crate::jitter;
use crate::token::{jwt_exp, Token};
use serde_json::{Map, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Lifetimes above this are clamped: renewing a very long-lived token daily costs nothing,
/// and it keeps `Instant` arithmetic far from overflow.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The parts of an HTTP answer that matter here.
pub(crate) struct Answer<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub retry_after: Option<&'a str>,
    pub body: &'a [u8],
}

/// When and how the request was made, and the cache's renewal policy.
pub(crate) struct Timing {
    pub sent_at: Instant,
    pub sent_at_system: SystemTime,
    pub default_lifetime: Duration,
    pub renew_after: (f64, f64),
    /// The request carried a DPoP proof: the token must be DPoP-bound.
    pub dpop: bool,
}

pub(crate) fn parse(answer: &Answer<'_>, timing: &Timing) -> Result<Token, Error> {
    let status = answer.status;
    let json: Option<Map<String, Value>> = serde_json::from_slice::<Value>(answer.body).ok().and_then(|v| match v {
        Value::Object(m) => Some(m),
        _ => None,
    });
    let oauth = json.as_ref().and_then(oauth_error);
    let retry_after = answer.retry_after.and_then(|h| parse_retry_after(h, SystemTime::now()));

    if (200..300).contains(&status) {
        let Some(map) = json else {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "token endpoint answered HTTP {status} with {} instead of a JSON object",
                    describe_body(answer)
                ),
            )
            .with_status(status)
            .with_hint(
                "check that the token URL points at the token endpoint (…/protocol/openid-connect/token for Keycloak)",
            ));
        };
        if let Some(body) = oauth {
            return Err(oauth_failure(status, body, retry_after));
        }
        return token_from(map, timing).map_err(|e| e.with_status(status));
    }
    if let Some(body) = oauth {
        return Err(oauth_failure(status, body, retry_after));
    }
    let described = describe_body(answer);
    Err(match status {
        429 => Error::new(ErrorKind::RateLimited, format!("token endpoint is rate limiting this client (HTTP 429, {described})")),
        // Some servers answer wrong credentials with a bare 401 or 403.
        401 | 403 => Error::new(ErrorKind::InvalidClient, format!("token endpoint rejected the client credentials (HTTP {status}, {described})"))
            .with_hint(CREDENTIALS_HINT),
        404 => not_found(status, &described),
        408 | 500..=599 => Error::new(ErrorKind::Server, format!("token endpoint failed (HTTP {status}, {described})")),
        300..=399 => Error::new(ErrorKind::Protocol, format!("token endpoint answered with a redirect (HTTP {status}); oauth2cc does not follow redirects for token requests"))
            .with_hint("use the final token URL, with https://"),
        _ => Error::new(ErrorKind::Protocol, format!("token endpoint answered HTTP {status} with {described}"))
            .with_hint("check the token URL (host, realm and path)"),
    }
    .with_status(status)
    .with_retry_after(retry_after))
}

fn is_service_account_refusal(error_description: &str) -> bool {
    error_description.to_ascii_lowercase().contains("service account")
}

const SERVICE_ACCOUNT_HINT: &str = "the client may not use the client credentials grant: enable its service account \
     (Keycloak: the client's \"Service accounts roles\"; it must be a confidential client)";

const CREDENTIALS_HINT: &str =
    "check the client id and secret, which auth method the server expects (client_secret_basic, client_secret_basic_raw or client_secret_post), and that the client may have the requested scope";

const TOKEN_URL_HINT: &str = "check the token URL (host, realm and path)";

/// A 404: the token URL names no endpoint (a wrong realm or path). A
/// configuration error, though backed off as a server error (see `backoff.rs`):
/// the server, not the caller, said so, and a realm can appear.
fn not_found(status: u16, what: &str) -> Error {
    Error::new(ErrorKind::InvalidConfig, format!("token endpoint not found (HTTP {status}, {what})"))
        .with_hint(TOKEN_URL_HINT)
}

/// Every OAuth `error` code that decides a kind, with the spellings other
/// servers use for the RFC 6749 §5.2 ones; compared after lower-casing and
/// turning `-` into `_`. Codes not listed are `Rejected` (or `Server`,
/// `RateLimited`, `InvalidClient` by status: see `oauth_failure`).
const ERROR_CODES: &[(&str, ErrorKind)] = &[
    ("invalid_client", ErrorKind::InvalidClient),
    ("unauthorized_client", ErrorKind::InvalidClient),
    ("client_invalid", ErrorKind::InvalidClient),
    ("unauthorized", ErrorKind::InvalidClient),
    ("invalid_client_credentials", ErrorKind::InvalidClient),
    ("invalid_credentials", ErrorKind::InvalidClient),
    ("access_denied", ErrorKind::InvalidClient),
    ("invalid_scope", ErrorKind::InvalidScope),
    ("scope_invalid", ErrorKind::InvalidScope),
    ("invalid_scopes", ErrorKind::InvalidScope),
    ("unknown_scope", ErrorKind::InvalidScope),
    ("unsupported_scope", ErrorKind::InvalidScope),
    ("temporarily_unavailable", ErrorKind::Server),
    ("server_error", ErrorKind::Server),
];

fn kind_of_code(error: &str) -> Option<ErrorKind> {
    let code = error.trim().to_ascii_lowercase().replace('-', "_");
    ERROR_CODES.iter().find(|(c, _)| *c == code).map(|(_, k)| *k)
}

const SCOPE_HINT: &str = "ask only for scopes the client is allowed in the IAM";

/// The hint an error of this kind got when it was recorded in the file cache
/// (the pauses record the kinds only; each of these has one hint).
pub(crate) fn recorded_hint(kind: ErrorKind, error_description: Option<&str>) -> Option<&'static str> {
    match kind {
        ErrorKind::InvalidClient if error_description.is_some_and(is_service_account_refusal) => {
            Some(SERVICE_ACCOUNT_HINT)
        }
        ErrorKind::InvalidClient => Some(CREDENTIALS_HINT),
        ErrorKind::InvalidScope => Some(SCOPE_HINT),
        // Recorded only for a 404 (a configuration error found before a request has no pause).
        ErrorKind::InvalidConfig => Some(TOKEN_URL_HINT),
        _ => None,
    }
}

fn oauth_error(map: &Map<String, Value>) -> Option<OAuthErrorBody> {
    let error = map.get("error")?;
    let text = |v: &Value| match v {
        Value::String(s) => sanitize(s, 300),
        other => sanitize(&other.to_string(), 300),
    };
    Some(OAuthErrorBody {
        error: text(error),
        error_description: map.get("error_description").map(text),
        error_uri: map.get("error_uri").map(text),
    })
}

fn oauth_failure(status: u16, body: OAuthErrorBody, retry_after: Option<Duration>) -> Error {
    let detail = match &body.error_description {
        Some(d) => format!("{}: {d}", body.error),
        None => body.error.clone(),
    };
    let (kind, what, hint) = match kind_of_code(&body.error) {
        // Keycloak's "Client not enabled to retrieve service account": the credentials are fine.
        Some(ErrorKind::InvalidClient)
            if body
                .error_description
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("service account")) =>
        {
            (
                ErrorKind::InvalidClient,
                "refused the client credentials grant for this client",
                Some(SERVICE_ACCOUNT_HINT),
            )
        }
        Some(ErrorKind::InvalidClient) => {
            (ErrorKind::InvalidClient, "rejected the client credentials", Some(CREDENTIALS_HINT))
        }
        Some(ErrorKind::InvalidScope) => (ErrorKind::InvalidScope, "refused the requested scope", Some(SCOPE_HINT)),
        _ if status == 429 => (ErrorKind::RateLimited, "is rate limiting this client", None),
        Some(ErrorKind::Server) => (ErrorKind::Server, "failed", None),
        _ if status >= 500 || status == 408 => (ErrorKind::Server, "failed", None),
        // A code of the server's own on a 401 or 403: the credentials were refused.
        _ if status == 401 || status == 403 => {
            (ErrorKind::InvalidClient, "rejected the client credentials", Some(CREDENTIALS_HINT))
        }
        _ if status == 404 => (ErrorKind::InvalidConfig, "was not found", Some(TOKEN_URL_HINT)),
        _ => (ErrorKind::Rejected, "refused the request", None),
    };
    let mut e = Error::new(kind, format!("token endpoint {what} (HTTP {status}, {detail})"))
        .with_status(status)
        .with_retry_after(retry_after)
        .with_oauth(Some(body));
    if let Some(h) = hint {
        e = e.with_hint(h);
    }
    e
}

pub(crate) fn describe_body(answer: &Answer<'_>) -> String {
    let ct = answer.content_type.map(|c| sanitize(c.split(';').next().unwrap_or(c).trim(), 60));
    match (answer.body.len(), ct) {
        (0, _) => "an empty body".into(),
        (n, Some(ct)) => format!("{n} bytes of {ct}"),
        (n, None) => format!("{n} bytes without a content type"),
    }
}

fn protocol(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Protocol, msg)
}

fn token_from(mut map: Map<String, Value>, t: &Timing) -> Result<Token, Error> {
    let access_token = match map.remove("access_token") {
        Some(Value::String(s)) => Zeroizing::new(s),
        Some(_) => return Err(protocol("token endpoint answer has an access_token that is not a string")),
        None => return Err(protocol("token endpoint answer has no access_token")),
    };
    if access_token.is_empty() {
        return Err(protocol("token endpoint answer has an empty access_token"));
    }
    // A token goes into an HTTP header and a C string: visible ASCII only.
    if !access_token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(protocol(
            "token endpoint answer has an access_token with characters not allowed in an HTTP header",
        ));
    }
    let token_type = match map.remove("token_type") {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("dpop") && t.dpop => s,
        // RFC 9449 section 5: a server that does not do DPoP ignores the proof and issues a
        // Bearer token. That token is not bound: a DPoP client refuses it rather than
        // silently losing the protection it was configured for.
        Some(Value::String(s)) if s.eq_ignore_ascii_case("bearer") && t.dpop => {
            return Err(protocol(
                "token endpoint issued a Bearer token to a DPoP client: the server ignored the DPoP proof, so the token is not bound to the key",
            )
            .with_hint("enable DPoP for the client on the server (Keycloak: \"OAuth 2.0 DPoP Bound Access Tokens\" in the client's advanced settings), or turn DPoP off in oauth2cc"))
        }
        Some(Value::String(s)) if s.eq_ignore_ascii_case("bearer") => s,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("dpop") => {
            return Err(protocol("token endpoint issued a DPoP-bound token to a client that sent no DPoP proof"))
        }
        Some(Value::String(s)) => {
            return Err(protocol(format!(
                "token endpoint issued a {:?} token; oauth2cc supports only Bearer and DPoP tokens",
                sanitize(&s, 30)
            )))
        }
        Some(_) => return Err(protocol("token endpoint answer has a token_type that is not a string")),
        None => return Err(protocol("token endpoint answer has no token_type (RFC 6749 §5.1 requires it)")),
    };
    let scope = match map.remove("scope") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let lifetime = match map.remove("expires_in") {
        Some(v) => parse_expires_in(&v)?,
        None => match jwt_exp(&access_token) {
            Some(exp) => {
                let now = t.sent_at_system.duration_since(UNIX_EPOCH).unwrap_or_default();
                let exp = Duration::from_secs(exp);
                if exp < now + MIN_LIFETIME {
                    return Err(protocol(
                        "token endpoint issued a token whose JWT exp is already past or less than a second away (check the clocks)",
                    ));
                }
                exp - now
            }
            None => t.default_lifetime,
        },
    }
    .min(MAX_LIFETIME);
    let fraction = jitter::uniform(t.renew_after.0, t.renew_after.1);
    let renew_at = t.sent_at + lifetime.mul_f64(fraction);
    Ok(Token {
        access_token,
        token_type,
        scope,
        requested_scope: None,
        requested_at: t.sent_at,
        expires_at: t.sent_at + lifetime,
        renew_at,
        fresh_until_ns: crate::clock::fast_limits_ns(renew_at, t.sent_at + lifetime),
        fork_generation: crate::fork::generation(),
        expires_at_system: t.sent_at_system + lifetime,
        extra: map,
    })
}

/// A lifetime that rounds to zero whole seconds is no lifetime.
const MIN_LIFETIME: Duration = Duration::from_millis(500);

/// `expires_in` as a JSON number or a numeric string, in seconds; must not
/// round to zero (at least 0.5 s).
fn parse_expires_in(v: &Value) -> Result<Duration, Error> {
    let secs: f64 = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => {
            s.trim().parse().map_err(|_| protocol(format!("expires_in {:?} is not a number", sanitize(s, 30))))?
        }
        other => return Err(protocol(format!("expires_in must be a number, got {}", json_type(other)))),
    };
    if !secs.is_finite() {
        return Err(protocol("expires_in is not a finite number"));
    }
    if secs < MIN_LIFETIME.as_secs_f64() {
        return Err(protocol(format!(
            "expires_in is {}: a lifetime of zero seconds, the token would be expired on arrival",
            sanitize(&secs.to_string(), 30)
        )));
    }
    Ok(Duration::from_secs_f64(secs.min(MAX_LIFETIME.as_secs_f64())))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(h: &str, now: SystemTime) -> Option<Duration> {
    let h = h.trim();
    if !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still a number of seconds: the longest wait (capped by the caller).
        return Some(h.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = parse_http_date(h)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(s: &str) -> Option<SystemTime> {
    let (_, rest) = s.split_once(", ")?;
    let f: Vec<&str> = rest.split(' ').collect();
    if f.len() != 5 || f[4] != "GMT" {
        return None;
    }
    let day: u64 = f[0].parse().ok()?;
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == f[1])? as u64 + 1;
    // IMF-fixdate years have four digits, which keeps the arithmetic below small;
    // it is checked all the same, and a date past `SystemTime`'s range is ignored.
    if f[2].len() != 4 {
        return None;
    }
    let year: i64 = f[2].parse().ok()?;
    let hms: Vec<u64> = f[3].split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if hms.len() != 3 || !(1..=31).contains(&day) || hms[0] > 23 || hms[1] > 59 || hms[2] > 60 || year < 1970 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m as i64 + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era.checked_mul(146_097)?.checked_add(doe)?.checked_sub(719_468)?;
    let secs = u64::try_from(days).ok()?.checked_mul(86_400)?.checked_add(hms[0] * 3600 + hms[1] * 60 + hms[2])?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 10); // 10 s before the date below
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + Duration::from_secs(60)),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        // delta-seconds too large for any integer type: as long as can be (the caller caps it at 1 h).
        assert_eq!(parse_retry_after("99999999999999999999999", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after(" 18446744073709551616 ", now), Some(Duration::MAX));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(951_825_600))
        );
        // The last HTTP date is far but representable; longer years are not IMF-fixdate.
        assert!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap() > Duration::from_secs(1 << 37));
        for far in ["Fri, 31 Dec 300000000000 23:59:59 GMT", "Fri, 31 Dec 9223372036854775807 23:59:59 GMT"] {
            assert_eq!(parse_retry_after(far, now), None, "{far}");
        }
    }

    #[test]
    fn expires_in_forms() {
        assert_eq!(parse_expires_in(&Value::from(300)).unwrap(), Duration::from_secs(300));
        assert_eq!(parse_expires_in(&Value::from("300")).unwrap(), Duration::from_secs(300));
        assert_eq!(parse_expires_in(&Value::from(1.5)).unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_expires_in(&Value::from(1e300)).unwrap(), MAX_LIFETIME);
        assert_eq!(parse_expires_in(&Value::from(0.5)).unwrap(), Duration::from_millis(500));
        for bad in [
            Value::from(0),
            Value::from(-5),
            Value::from(1e-10),
            Value::from("1e-10"),
            Value::from(0.49),
            Value::from(f64::MIN_POSITIVE),
            Value::from("abc"),
            Value::Null,
            Value::Bool(true),
        ] {
            assert_eq!(parse_expires_in(&bad).unwrap_err().kind(), ErrorKind::Protocol, "{bad}");
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn timing() -> Timing {
            Timing {
                sent_at: Instant::now(),
                sent_at_system: SystemTime::now(),
                default_lifetime: Duration::from_secs(60),
                renew_after: (0.8, 0.9),
                dpop: false,
            }
        }

        proptest! {
            #[test]
            fn any_answer_gives_a_token_or_a_short_error(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..300)) {
                let a = Answer { status, content_type: Some("application/json"), retry_after: None, body: &body };
                match parse(&a, &timing()) {
                    Ok(t) => prop_assert!(t.renew_at() < t.expires_at()),
                    Err(e) => prop_assert!(e.to_string().len() < 1024),
                }
            }

            #[test]
            fn valid_answers_give_their_lifetime(
                token in "[!-~]{1,64}",
                secs in 1u64..200_000,
                as_string in any::<bool>(),
                ttype in prop_oneof![Just("Bearer"), Just("bearer"), Just("BEARER")],
            ) {
                let expires = if as_string { serde_json::json!(secs.to_string()) } else { serde_json::json!(secs) };
                let body = serde_json::json!({"access_token": token, "token_type": ttype, "expires_in": expires}).to_string();
                let t = parse(&Answer { status: 200, content_type: None, retry_after: None, body: body.as_bytes() }, &timing()).unwrap();
                prop_assert_eq!(t.access_token(), token.as_str());
                prop_assert_eq!(t.lifetime(), Duration::from_secs(secs).min(MAX_LIFETIME));
                let f = (t.renew_at() - t.requested_at()).as_secs_f64() / t.lifetime().as_secs_f64();
                prop_assert!((0.8 - 1e-9..=0.9 + 1e-9).contains(&f));
            }

            #[test]
            fn non_json_bodies_are_described_not_echoed(body in "[a-z]{40,200}", status in prop_oneof![Just(200u16), Just(401), Just(500)]) {
                let a = Answer { status, content_type: Some("text/html"), retry_after: None, body: body.as_bytes() };
                let e = parse(&a, &timing()).unwrap_err();
                prop_assert!(!e.to_string().contains(&body[..40]));
            }
        }
    }
}
