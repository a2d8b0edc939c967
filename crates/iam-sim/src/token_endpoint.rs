//! The realm's token endpoint: form decoding, client authentication, the
//! per-IP rate limit, the queued faults applied, and token issuance.

use crate::assertion;
use crate::config::{AuthMethod, BasicDecoding, ClientSpec};
use crate::faults::{random_fault, Fault};
use crate::http::{Ending, Request, Response};
use crate::state::{next_random, Issued, State};
use crate::stats::InFlight;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Decodes application/x-www-form-urlencoded text (`+` is a space).
pub(crate) fn form_decode(s: &str) -> Option<String> {
    decode(s, true)
}

/// Decodes percent-escapes; `+` is a space only when `plus_is_space`.
fn decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((form_decode(k)?, form_decode(v)?))
        })
        .collect()
}

pub(crate) fn kc_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(status, &json!({"error": error, "error_description": description}))
}

/// Who the request says it is, and whether the credentials match, per accepted method.
fn authenticate(
    st: &State,
    req: &Request,
    form: &[(String, String)],
) -> (Option<String>, Result<ClientSpec, Response>) {
    let form_get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let unauthorized = || kc_error(401, "unauthorized_client", "Invalid client or Invalid client credentials");
    if form_get("client_assertion_type").is_some() || form_get("client_assertion").is_some() {
        return authenticate_jwt(st, req, form, basic.is_some());
    }
    let clients = st.clients.lock();
    if let Some(raw) = basic {
        if form_get("client_secret").is_some() {
            return (None, Err(kc_error(400, "invalid_request", "Multiple client authentication methods")));
        }
        let (rid, rsecret) = raw.split_once(':').unwrap_or((raw.as_str(), ""));
        // Try the RFC 6749 form-urlencoded reading first, then the raw one.
        let plus_is_space = st.cfg.basic_decoding == BasicDecoding::Form;
        let decoded = (decode(rid, plus_is_space), decode(rsecret, plus_is_space));
        let candidates = [
            (AuthMethod::Basic, decoded.0.clone(), decoded.1.clone()),
            (AuthMethod::BasicRaw, Some(rid.to_string()), Some(rsecret.to_string())),
        ];
        let mut claimed = None;
        for (method, id, secret) in candidates {
            let (Some(id), Some(secret)) = (id, secret) else { continue };
            if let Some(c) = clients.get(&id) {
                claimed.get_or_insert_with(|| id.clone());
                if c.methods.contains(&method) && c.secret == secret {
                    return (Some(id), Ok(c.clone()));
                }
            }
        }
        return match claimed {
            Some(id) => (Some(id), Err(unauthorized())),
            None => (
                decoded.0.or(Some(rid.to_string())),
                Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")),
            ),
        };
    }
    let Some(id) = form_get("client_id") else {
        return (None, Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")));
    };
    let Some(c) = clients.get(&id) else {
        return (Some(id), Err(kc_error(401, "invalid_client", "Invalid client or Invalid client credentials")));
    };
    match form_get("client_secret") {
        Some(s) if c.methods.contains(&AuthMethod::Post) && s == c.secret => (Some(id), Ok(c.clone())),
        // A client registered without a secret is authenticated by the
        // certificate it presents (tls_client_auth; any certificate will do).
        None if c.secret.is_empty() && req.client_cert.is_some() => (Some(id), Ok(c.clone())),
        _ => (Some(id), Err(unauthorized())),
    }
}

/// `client_secret_jwt` / `private_key_jwt`: the client is the assertion's
/// `sub` (and `client_id` in the form, when sent, must match it).
fn authenticate_jwt(
    st: &State,
    req: &Request,
    form: &[(String, String)],
    has_basic: bool,
) -> (Option<String>, Result<ClientSpec, Response>) {
    let form_get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let refused = |who: Option<String>, why: String| {
        st.stats.lock().last_assertion_error = Some(why.clone());
        let description = format!("Client authentication with signed JWT failed: {why}");
        (who, Err(kc_error(401, "invalid_client", &description)))
    };
    if has_basic || form_get("client_secret").is_some() {
        return (None, Err(kc_error(400, "invalid_request", "Multiple client authentication methods")));
    }
    if form_get("client_assertion_type") != Some(assertion::JWT_BEARER) {
        return refused(None, "client_assertion_type is missing or not jwt-bearer".into());
    }
    let Some(jws) = form_get("client_assertion") else {
        return refused(None, "client_assertion is missing".into());
    };
    let sub = match assertion::parse(jws) {
        Ok(p) => p.claims.get("sub").and_then(Value::as_str).map(String::from),
        Err(why) => return refused(form_get("client_id").map(String::from), why),
    };
    let Some(id) = sub else {
        return refused(form_get("client_id").map(String::from), "no sub".into());
    };
    if form_get("client_id").is_some_and(|c| c != id) {
        return refused(Some(id), "client_id differs from the assertion's sub".into());
    }
    let Some(client) = st.clients.lock().get(&id).cloned() else {
        return refused(Some(id), "unknown client".into());
    };
    match assertion::check(st, req, &client, jws) {
        Ok(()) => (Some(id), Ok(client)),
        Err(why) => refused(Some(id), why),
    }
}

fn method_used(req: &Request, form: Option<&Vec<(String, String)>>) -> &'static str {
    let assertion = form.and_then(|f| f.iter().find(|(k, _)| k == "client_assertion"));
    match (req.header("authorization"), assertion) {
        (Some(_), _) => "basic",
        (None, Some((_, jws))) => {
            match assertion::parse(jws).ok().and_then(|p| p.header["alg"].as_str().and_then(assertion::method_of)) {
                Some(AuthMethod::SecretJwt) => "client_secret_jwt",
                _ => "private_key_jwt",
            }
        }
        (None, None) => "post",
    }
}

fn rate_limited(st: &State, ip: IpAddr) -> bool {
    let now = Instant::now();
    st.arrivals.lock().push(now);
    let limit = st.cfg.rate_limit_per_sec as usize;
    if limit == 0 {
        return false;
    }
    let mut recent = st.recent.lock();
    let q = recent.entry(ip).or_default();
    while q.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
        q.pop_front();
    }
    if q.len() >= limit {
        return true;
    }
    q.push_back(now);
    false
}

pub(crate) fn token_endpoint(st: &State, req: &Request) -> Response {
    let _in_flight = {
        let mut s = st.stats.lock();
        s.token_in_flight += 1;
        s.token_max_in_flight = s.token_max_in_flight.max(s.token_in_flight);
        InFlight(st)
    };
    let form = parse_form(&req.body);
    let (who, auth) = match &form {
        Some(f) => authenticate(st, req, f),
        None => (None, Err(kc_error(400, "invalid_request", "Malformed form body"))),
    };
    {
        let mut s = st.stats.lock();
        s.token_requests += 1;
        *s.token_requests_by_client.entry(who.unwrap_or_else(|| "?".into())).or_default() += 1;
        s.last_params = form.iter().flatten().filter(|(k, _)| k != "client_secret").cloned().collect();
        s.last_accept = req.header("accept").map(String::from);
        s.last_method = auth.as_ref().ok().map(|_| method_used(req, form.as_ref()).into());
    }
    if rate_limited(st, req.peer.ip()) {
        st.stats.lock().rate_limited += 1;
        return Response::new(429, "text/html", "<html><body>Too Many Requests</body></html>")
            .with_header("Retry-After", "1");
    }
    let (delay, fault) = match st.faults.lock().pop_front() {
        Some((d, f)) => (d, Some(f)),
        None => random_fault(st),
    };
    std::thread::sleep(delay);
    match &fault {
        Some(Fault::Status { status, retry_after, body }) => {
            let mut r = match body {
                Some(b) => Response::new(*status, "application/json", b.clone()),
                None if *status < 500 => kc_error(*status, "temporarily_unavailable", "Injected fault"),
                None => Response::new(
                    *status,
                    "text/html",
                    format!("<html><body><h1>{status}</h1>Injected fault</body></html>"),
                ),
            };
            if let Some(ra) = retry_after {
                r = r.with_header("Retry-After", ra.clone());
            }
            return r;
        }
        Some(Fault::Delay(d)) => std::thread::sleep(*d),
        Some(Fault::MalformedJson) => {
            return Response::new(200, "application/json", "{\"access_token\":\"eyJhbGciOi");
        }
        Some(Fault::Html) => {
            return Response::new(
                200,
                "text/html;charset=utf-8",
                "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>login</form></body></html>",
            );
        }
        Some(Fault::HugeBody) => {
            let mut b = String::from("{\"access_token\":\"");
            b.push_str(&"A".repeat(2 * 1024 * 1024));
            b.push_str("\",\"token_type\":\"Bearer\",\"expires_in\":300}");
            return Response::new(200, "application/json", b);
        }
        Some(Fault::Close) => {
            let mut r = Response::new(200, "application/json", "");
            r.ending = Ending::CloseSilently;
            return r;
        }
        Some(Fault::CloseMidBody) => {
            let mut r = Response::new(
                200,
                "application/json",
                format!("{{\"access_token\":\"{}\",\"token_type\":\"Bearer\"}}", "x".repeat(2000)),
            );
            r.ending = Ending::CloseMidBody;
            return r;
        }
        _ => {}
    }
    let form = match form {
        Some(f) => f,
        None => return kc_error(400, "invalid_request", "Malformed form body"),
    };
    let client = match auth {
        Ok(c) => c,
        Err(r) => return r,
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match get("grant_type") {
        None => return kc_error(400, "invalid_request", "Missing form parameter: grant_type"),
        Some("client_credentials") => {}
        Some(_) => return kc_error(400, "unsupported_grant_type", "Unsupported grant_type"),
    }
    let mut scopes = client.default_scopes.clone();
    if let Some(asked) = get("scope") {
        for s in asked.split(' ').filter(|s| !s.is_empty()) {
            if !client.scopes.iter().any(|x| x == s) && !client.default_scopes.iter().any(|x| x == s) {
                return kc_error(400, "invalid_scope", &format!("Invalid scopes: {asked}"));
            }
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
    }
    if matches!(fault, Some(Fault::ErrorIn200)) {
        return Response::json(
            200,
            &json!({"error": "invalid_request", "error_description": "Injected error in a 200 answer"}),
        );
    }
    // DPoP (RFC 9449): a proof binds the token to its key; a client that requires it must send one.
    let jkt = if client.dpop || req.header("dpop").is_some() {
        match crate::dpop::check(st, req, None) {
            Ok(p) => Some(p.jkt),
            Err(why) => return crate::dpop::token_refusal(st, why),
        }
    } else {
        None
    };
    let token = issue(st, &client, &scopes, get("audience"), get("resource"), jkt.as_deref());
    crate::mtls::bind(st, &token, req);
    let scope = scopes.join(" ");
    let retry_after_on_200 = match &fault {
        Some(Fault::RetryAfterOn200(v)) => Some(v.clone()),
        _ => None,
    };
    let mut answer = json!({
        "access_token": token,
        "expires_in": client.lifetime_secs,
        "refresh_expires_in": 0,
        "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
        "not-before-policy": 0,
        "scope": scope,
    });
    match fault {
        Some(Fault::ExpiresIn(None)) => {
            answer.as_object_mut().map(|o| o.remove("expires_in"));
        }
        Some(Fault::ExpiresIn(Some(v))) => answer["expires_in"] = v,
        Some(Fault::TokenType(t)) => answer["token_type"] = Value::String(t),
        Some(Fault::Scope(None)) => {
            answer.as_object_mut().map(|o| o.remove("scope"));
        }
        Some(Fault::Scope(Some(s))) => answer["scope"] = Value::String(s),
        _ => {}
    }
    {
        let mut s = st.stats.lock();
        s.tokens_issued += 1;
        if jkt.is_some() {
            s.dpop_tokens_issued += 1;
            s.dpop_proofs_ok += 1;
        }
    }
    let r = match retry_after_on_200 {
        Some(v) => Response::json(200, &answer).with_header("Retry-After", v),
        None => Response::json(200, &answer),
    };
    if jkt.is_some() {
        crate::dpop::with_nonce(st, r)
    } else {
        r
    }
}

/// Issues a JWT-shaped token. The signature is random bytes: the simulator
/// validates tokens by looking them up, as an introspecting resource server would.
fn issue(
    st: &State,
    c: &ClientSpec,
    scopes: &[String],
    audience: Option<&str>,
    resource: Option<&str>,
    jkt: Option<&str>,
) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let seq = st.seq.fetch_add(1, Ordering::Relaxed);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"iam-sim"}"#);
    let mut claims = json!({
        "exp": now + c.lifetime_secs,
        "iat": now,
        "jti": format!("{seq:08x}-{:016x}", next_random(st)),
        "iss": format!("iam-sim/realms/{}", st.cfg.realm),
        "sub": c.id,
        "typ": "Bearer",
        "azp": c.id,
        "scope": scopes.join(" "),
    });
    if let Some(a) = audience {
        claims["aud"] = Value::String(a.into());
    }
    if let Some(r) = resource {
        claims["resource"] = Value::String(r.into());
    }
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
        claims["typ"] = Value::String("DPoP".into());
    }
    let sig: Vec<u8> = (0..32).flat_map(|_| next_random(st).to_le_bytes()).collect();
    let sig = URL_SAFE_NO_PAD.encode(sig);
    if c.opaque {
        let token = format!("opaque-{seq:08x}-{}", &sig[..40]);
        remember(st, &token, c, scopes, jkt);
        return token;
    }
    let mut payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let natural = header.len() + payload.len() + sig.len() + 2;
    if c.token_size > natural {
        // Pad with a claim; base64 grows 4/3, so aim a little under and trim.
        let fill = (c.token_size - natural) * 3 / 4;
        claims["pad"] = Value::String("p".repeat(fill.saturating_sub(12)));
        payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    }
    let token = format!("{header}.{payload}.{sig}");
    remember(st, &token, c, scopes, jkt);
    token
}

fn remember(st: &State, token: &str, c: &ClientSpec, scopes: &[String], jkt: Option<&str>) {
    st.issued.lock().insert(
        token.to_string(),
        Issued {
            client: c.id.clone(),
            scopes: scopes.to_vec(),
            expires: Instant::now() + Duration::from_secs(c.lifetime_secs),
            revoked: false,
            jkt: jkt.map(String::from),
            bound_to: None,
        },
    );
}
