//! The protected API: bearer tokens checked by looking them up, RFC 6750
//! challenges on 401/403.

use crate::http::{Request, Response};
use crate::state::State;
use crate::token_endpoint::form_decode;
use serde_json::json;
use std::time::Instant;

const REALM_CHALLENGE: &str = "Bearer realm=\"iam-sim\"";

pub(crate) fn validate(st: &State, token: &str, need_scope: Option<&str>) -> Result<String, Response> {
    let issued = st.issued.lock();
    let invalid = |why: &str| {
        Response::json(401, &json!({"error": "invalid_token"})).with_header(
            "WWW-Authenticate",
            format!("{REALM_CHALLENGE}, error=\"invalid_token\", error_description=\"{why}\""),
        )
    };
    let Some(t) = issued.get(token) else {
        return Err(invalid("The access token is unknown"));
    };
    if t.revoked {
        st.stats.lock().api_revoked_tokens += 1;
        return Err(invalid("The access token was revoked"));
    }
    if Instant::now() >= t.expires {
        st.stats.lock().api_expired_tokens += 1;
        return Err(invalid("The access token expired"));
    }
    if let Some(s) = need_scope {
        if !t.scopes.iter().any(|x| x == s) {
            return Err(Response::json(403, &json!({"error": "insufficient_scope"})).with_header(
                "WWW-Authenticate",
                format!("{REALM_CHALLENGE}, error=\"insufficient_scope\", error_description=\"The request requires higher privileges\", scope=\"{s}\""),
            ));
        }
    }
    Ok(t.client.clone())
}

/// `/api/echo` accepts any valid token; `/api/scope/NAME` also needs scope NAME;
/// `/api/deny` answers 401 with a bare challenge whatever the token (a
/// misrouted call: a new token would not help); `/api/deny-twice` does the
/// same with two `WWW-Authenticate` header fields (Basic, then Bearer).
/// `/api/respond/NNN?www=V&www=W` answers a valid token with status NNN and
/// one `WWW-Authenticate` field per `www` (form-urlencoded), every time: an
/// API answering what the case table (tests/api_response_cases.json) says.
pub(crate) fn api(st: &State, req: &Request) -> Response {
    st.stats.lock().api_requests += 1;
    if req.path == "/api/deny" {
        return Response::json(401, &json!({"error": "unauthorized"})).with_header("WWW-Authenticate", REALM_CHALLENGE);
    }
    if req.path == "/api/deny-twice" {
        return Response::json(401, &json!({"error": "unauthorized"}))
            .with_header("WWW-Authenticate", "Basic realm=\"iam-sim\"")
            .with_header("WWW-Authenticate", REALM_CHALLENGE);
    }
    let presented = req.header("authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        let dpop = scheme.eq_ignore_ascii_case("dpop");
        (dpop || scheme.eq_ignore_ascii_case("bearer")).then(|| (dpop, rest.trim().to_string()))
    });
    let Some((dpop_scheme, token)) = presented else {
        return Response::json(401, &json!({"error": "unauthorized"})).with_header("WWW-Authenticate", REALM_CHALLENGE);
    };
    if let Err(r) = crate::dpop::check_presentation(st, req, dpop_scheme, &token) {
        return r;
    }
    // RFC 8705 section 3: a certificate-bound token comes with its certificate.
    if let Err(r) = crate::mtls::check(st, &token, req) {
        return r;
    }
    let need_scope = req.path.strip_prefix("/api/scope/");
    if let Some(code) = req.path.strip_prefix("/api/respond/") {
        let Ok(code) = code.parse::<u16>() else {
            return Response::json(400, &json!({"error": "the status after /api/respond/ is not a number"}));
        };
        return match validate(st, &token, None) {
            Ok(_) => {
                let mut r = Response::json(code, &json!({"status": code}));
                for pair in req.query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if k == "www" {
                        r = r.with_header("WWW-Authenticate", form_decode(v).unwrap_or_default());
                    }
                }
                r
            }
            Err(r) => r,
        };
    }
    // `/api/status/NNN`: a valid token gets status NNN (an API failing on its own).
    let forced = req.path.strip_prefix("/api/status/").and_then(|s| s.parse::<u16>().ok());
    match validate(st, &token, need_scope) {
        Ok(_) if forced.is_some() => {
            let code = forced.unwrap_or(500);
            Response::json(code, &json!({"status": code}))
        }
        Ok(client) => {
            st.stats.lock().api_ok += 1;
            Response::json(
                200,
                &json!({
                    "ok": true, "client": client, "method": req.method, "path": req.path,
                    "body_bytes": req.body.len(), "x_test": req.header("x-test"),
                    "authorization_headers": req.headers.iter().filter(|(n, _)| n == "authorization").count(),
                }),
            )
        }
        Err(r) => r,
    }
}
