//! DPoP (RFC 9449) as an authorization server and a resource server check
//! it, written from the RFC independently of the client's code: the proof's
//! ES256 signature against the `jwk` in its own header (ring), `typ`, `htm`,
//! `htu`, `iat`, `jti` replay, `ath`, the server nonce, and the token's
//! `cnf.jkt` binding (the RFC 7638 thumbprint of the proof key).
//!
//! Switches (`Sim::set_dpop`, `POST /sim/dpop`): require a nonce, rotate it,
//! or rotate it on every answer (a server that never settles; the client
//! must retry once and stop).

use crate::http::{Request, Response};
use crate::state::{next_random, State};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How far a proof's `iat` may be from the server's clock.
const IAT_WINDOW: u64 = 60;
/// How long a `jti` is remembered (longer than the `iat` window).
const JTI_MEMORY: Duration = Duration::from_secs(300);

/// The DPoP switches and what the server remembers.
#[derive(Default)]
pub(crate) struct DpopState {
    /// Answer `use_dpop_nonce` to proofs without the current nonce.
    pub(crate) require_nonce: bool,
    /// Issue a new nonce with every answer (and so reject every proof's
    /// nonce as stale): the client must retry once, then give up.
    pub(crate) rotate_always: bool,
    pub(crate) nonce: String,
    /// `jti` values seen, and when (replay detection).
    pub(crate) seen: HashMap<String, Instant>,
}

/// The DPoP switches, for `Sim::set_dpop` and `POST /sim/dpop`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DpopSwitches {
    /// Proofs must carry the server's current nonce (`DPoP-Nonce`).
    pub require_nonce: bool,
    /// Pick a new nonce now (the one clients hold becomes stale).
    pub rotate_now: bool,
    /// Pick a new nonce with every answer.
    pub rotate_always: bool,
}

pub(crate) fn set(st: &State, s: DpopSwitches) -> String {
    let mut d = st.dpop.lock();
    d.require_nonce = s.require_nonce || s.rotate_always;
    d.rotate_always = s.rotate_always;
    if s.rotate_now || d.nonce.is_empty() {
        d.nonce = fresh_nonce(st);
    }
    d.nonce.clone()
}

fn fresh_nonce(st: &State) -> String {
    format!("n-{:016x}{:016x}", next_random(st), next_random(st))
}

/// Why a proof was refused: the `error` code and a description.
pub(crate) struct Refusal {
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

fn refuse(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal { error, description: description.into() }
}

/// A checked proof: the RFC 7638 thumbprint of its key.
pub(crate) struct Proof {
    pub(crate) jkt: String,
}

/// The URL the request was sent to, as `htu` must name it (no query, no fragment).
fn request_url(st: &State, req: &Request) -> String {
    let scheme = if st.cfg.tls_names.is_some() { "https" } else { "http" };
    let host = req.header("host").unwrap_or("127.0.0.1");
    format!("{scheme}://{host}{}", req.path)
}

fn b64(s: &str) -> Result<Vec<u8>, Refusal> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| refuse("invalid_dpop_proof", "a part of the proof is not base64url"))
}

fn sha256_b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// RFC 7638 thumbprint of a P-256 JWK: SHA-256 of `{"crv","kty","x","y"}` in that order.
pub(crate) fn thumbprint(jwk: &Value) -> Option<String> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let canonical = format!(r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#, s("crv")?, s("kty")?, s("x")?, s("y")?);
    Some(sha256_b64(canonical.as_bytes()))
}

/// Checks the `DPoP` header of `req`: one proof, signed by the key in its
/// header, for this method and URL, recent, never seen before, with the
/// current nonce when one is required, and (for resource requests) with the
/// `ath` of `access_token`.
pub(crate) fn check(st: &State, req: &Request, access_token: Option<&str>) -> Result<Proof, Refusal> {
    let proofs: Vec<&str> = req.headers.iter().filter(|(n, _)| n == "dpop").map(|(_, v)| v.as_str()).collect();
    let proof = match proofs.as_slice() {
        [] => return Err(refuse("invalid_dpop_proof", "DPoP proof is missing")),
        [one] => one.trim(),
        _ => return Err(refuse("invalid_dpop_proof", "more than one DPoP header")),
    };
    let mut parts = proof.split('.');
    let (Some(h), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(refuse("invalid_dpop_proof", "the DPoP proof is not a compact JWS"));
    };
    let header: Value =
        serde_json::from_slice(&b64(h)?).map_err(|_| refuse("invalid_dpop_proof", "the proof's header is not JSON"))?;
    let claims: Value = serde_json::from_slice(&b64(c)?)
        .map_err(|_| refuse("invalid_dpop_proof", "the proof's claims are not JSON"))?;
    if header["typ"] != "dpop+jwt" {
        return Err(refuse("invalid_dpop_proof", "typ is not dpop+jwt"));
    }
    if header["alg"] != "ES256" {
        return Err(refuse("invalid_dpop_proof", "the simulator accepts ES256 proofs only"));
    }
    let jwk = &header["jwk"];
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" || jwk.get("d").is_some() {
        return Err(refuse("invalid_dpop_proof", "jwk is not a public P-256 key"));
    }
    let coord = |k: &str| -> Result<Vec<u8>, Refusal> {
        let v = b64(jwk[k].as_str().unwrap_or_default())?;
        if v.len() != 32 {
            return Err(refuse("invalid_dpop_proof", "a jwk coordinate is not 32 bytes"));
        }
        Ok(v)
    };
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    let signed = &proof[..h.len() + 1 + c.len()];
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(signed.as_bytes(), &b64(sig)?)
        .map_err(|_| refuse("invalid_dpop_proof", "the proof's signature does not verify with its jwk"))?;
    if claims["htm"] != req.method.as_str() {
        return Err(refuse("invalid_dpop_proof", "htm does not match the request method"));
    }
    if claims["htu"] != request_url(st, req).as_str() {
        return Err(refuse("invalid_dpop_proof", "htu does not match the request URL"));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    match claims["iat"].as_u64() {
        Some(iat) if iat.abs_diff(now) <= IAT_WINDOW => {}
        _ => return Err(refuse("invalid_dpop_proof", "iat is missing or too far from the server's clock")),
    }
    let Some(jti) = claims["jti"].as_str().filter(|j| j.len() >= 16) else {
        return Err(refuse("invalid_dpop_proof", "jti is missing or too short"));
    };
    if let Some(token) = access_token {
        if claims["ath"] != sha256_b64(token.as_bytes()).as_str() {
            return Err(refuse("invalid_dpop_proof", "ath does not match the access token"));
        }
    }
    let jkt = thumbprint(jwk).ok_or_else(|| refuse("invalid_dpop_proof", "jwk lacks a member"))?;
    let mut d = st.dpop.lock();
    if d.rotate_always {
        // A server that never settles: whatever nonce the proof carries is already stale.
        d.nonce = fresh_nonce(st);
    }
    if d.require_nonce && claims["nonce"] != d.nonce.as_str() {
        return Err(refuse("use_dpop_nonce", "Authorization server requires nonce in DPoP proof"));
    }
    // Replay: checked last, so that a proof refused for its nonce is not
    // remembered (the client's retry carries a fresh jti anyway).
    d.seen.retain(|_, t| t.elapsed() < JTI_MEMORY);
    if d.seen.insert(jti.to_string(), Instant::now()).is_some() {
        st.stats.lock().dpop_replays += 1;
        return Err(refuse("invalid_dpop_proof", "the proof's jti was used before (replay)"));
    }
    Ok(Proof { jkt })
}

/// The `DPoP-Nonce` header every answer carries while nonces are required
/// (a new one each time when rotating always).
pub(crate) fn with_nonce(st: &State, r: Response) -> Response {
    let nonce = {
        let mut d = st.dpop.lock();
        if !d.require_nonce {
            return r;
        }
        if d.rotate_always || d.nonce.is_empty() {
            d.nonce = fresh_nonce(st);
        }
        d.nonce.clone()
    };
    r.with_header("DPoP-Nonce", nonce)
}

/// The token endpoint's refusal of a proof (RFC 9449 section 8: 400).
pub(crate) fn token_refusal(st: &State, why: Refusal) -> Response {
    st.stats.lock().dpop_refused += 1;
    with_nonce(st, Response::json(400, &json!({"error": why.error, "error_description": why.description})))
}

/// A resource server's refusal (RFC 9449 section 7.1: 401 with a DPoP challenge).
pub(crate) fn api_refusal(st: &State, why: Refusal) -> Response {
    st.stats.lock().dpop_refused += 1;
    let r = Response::json(401, &json!({"error": why.error})).with_header(
        "WWW-Authenticate",
        format!("DPoP algs=\"ES256\", error=\"{}\", error_description=\"{}\"", why.error, why.description),
    );
    with_nonce(st, r)
}

/// A resource request's DPoP side (RFC 9449 section 7): a DPoP-bound token
/// must come with the `DPoP` scheme and a proof by its key (with `ath`); a
/// proof-less Bearer presentation of a bound token is refused, and so is the
/// `DPoP` scheme for a token that is not bound. Tokens the simulator does
/// not know are left to the usual check (`invalid_token`).
pub(crate) fn check_presentation(st: &State, req: &Request, dpop_scheme: bool, token: &str) -> Result<(), Response> {
    let bound = match st.issued.lock().get(token) {
        Some(t) => t.jkt.clone(),
        None => return Ok(()),
    };
    match (bound, dpop_scheme) {
        (None, false) => Ok(()),
        (None, true) => Err(api_refusal(st, refuse("invalid_token", "the token is not DPoP-bound"))),
        (Some(_), false) => {
            Err(api_refusal(st, refuse("invalid_token", "a DPoP-bound token was presented as a Bearer token")))
        }
        (Some(jkt), true) => {
            let proof = check(st, req, Some(token)).map_err(|why| api_refusal(st, why))?;
            if proof.jkt != jkt {
                return Err(api_refusal(
                    st,
                    refuse("invalid_dpop_proof", "the proof's key is not the token's (cnf.jkt)"),
                ));
            }
            st.stats.lock().dpop_proofs_ok += 1;
            Ok(())
        }
    }
}
