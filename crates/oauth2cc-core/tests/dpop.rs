//! DPoP (RFC 9449) against the simulator, which verifies every proof on its
//! own (signature with the header's jwk, htm, htu, iat, jti replay, ath,
//! nonce, cnf.jkt binding): bound tokens obtained and used, server nonces at
//! the token endpoint and the API retried once and never in a loop, the
//! budget and deadline kept by the retry, keys from PEM files.

mod common;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use iam_sim::DpopSwitches;
use oauth2cc_core::{ApiRequest, ResponseAction};
use serde_json::Value;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys").join(name)
}

fn dpop_client(sim: &Sim) -> Client {
    Client::new(config(sim, "svc", "s3cret-value").dpop(true)).expect("DPoP client")
}

fn get(url: &str) -> ApiRequest {
    ApiRequest { method: "GET".into(), url: url.into(), ..Default::default() }
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[test]
fn a_dpop_client_gets_a_bound_token_and_uses_it() {
    let sim = sim();
    let c = dpop_client(&sim);
    let t = c.token().unwrap();
    assert_eq!(t.token_type(), "DPoP");
    assert_eq!(sim.token_jkt(t.access_token()).as_deref(), c.dpop_thumbprint(), "cnf.jkt is this client's key");
    let r = c.call_api(&get(&sim.api_url()), t.access_token()).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        c.handle_dpop_response(&sim.api_url(), r.status, t.access_token(), &[], None),
        Ok(ResponseAction::Proceed)
    );
    let s = sim.stats();
    assert_eq!((s.dpop_tokens_issued, s.dpop_proofs_ok, s.dpop_refused), (1, 2, 0));
    // The same token without its key is useless: as a Bearer token it is refused.
    assert_eq!(sim.check_token(t.access_token()), Ok("svc".into()));
    let bearer = Client::new(config(&sim, "svc", "s3cret-value")).unwrap();
    let r = bearer.call_api(&get(&sim.api_url()), t.access_token()).unwrap();
    assert_eq!(r.status, 401);
}

#[test]
fn the_proof_verifies_with_ring_and_carries_the_claims() {
    let sim = sim();
    let c = dpop_client(&sim);
    let url = format!("{}?page=2#frag", sim.api_url());
    let proof = c.dpop_proof("PATCH", &url, Some("the-token")).unwrap();
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3);
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwk = &header["jwk"];
    assert!(jwk.get("d").is_none(), "no private part in the header");
    let coord = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().unwrap()).unwrap();
    let point = [vec![4u8], coord("x"), coord("y")].concat();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("the signature verifies with the jwk");
    assert_eq!(claims["htm"], "PATCH");
    assert_eq!(claims["htu"], sim.api_url().as_str(), "no query, no fragment");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(claims["iat"].as_u64().unwrap().abs_diff(now) <= 5);
    let ath = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, b"the-token"));
    assert_eq!(claims["ath"], ath.as_str());
    assert!(claims.get("nonce").is_none(), "no nonce known yet");
    // A fresh jti every time.
    let other = decode(c.dpop_proof("PATCH", &url, Some("the-token")).unwrap().split('.').nth(1).unwrap());
    assert_ne!(other["jti"], claims["jti"]);
    assert!(URL_SAFE_NO_PAD.decode(claims["jti"].as_str().unwrap()).unwrap().len() >= 16);
    // No DPoP: a configuration error, not a proof.
    let bearer = client(&sim, "svc", "s3cret-value");
    assert_eq!(bearer.dpop_proof("GET", &url, None).unwrap_err().kind(), ErrorKind::InvalidConfig);
}

#[test]
fn a_replayed_proof_is_refused_by_the_server() {
    let sim = sim();
    let c = dpop_client(&sim);
    let t = c.token().unwrap();
    let proof = c.dpop_proof("GET", &sim.api_url(), Some(t.access_token())).unwrap();
    let send = |p: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        agent
            .get(sim.api_url())
            .header("Authorization", format!("DPoP {}", t.access_token()))
            .header("DPoP", p)
            .call()
            .unwrap()
    };
    assert_eq!(send(&proof).status().as_u16(), 200);
    let again = send(&proof);
    assert_eq!(again.status().as_u16(), 401);
    let www = again.headers().get("www-authenticate").unwrap().to_str().unwrap().to_string();
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    assert_eq!(sim.stats().dpop_replays, 1);
    // The rule: not a nonce request, not an expired token: an error, the cache left alone.
    let e = c.handle_dpop_response(&sim.api_url(), 401, t.access_token(), &[&www], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiRejected);
    assert_eq!(c.token().unwrap().access_token(), t.access_token());
}

#[test]
fn the_token_endpoint_nonce_is_retried_once_with_the_new_nonce() {
    let sim = sim();
    sim.set_dpop(DpopSwitches { require_nonce: true, ..Default::default() });
    let c = dpop_client(&sim);
    let t = c.token().unwrap();
    assert_eq!(t.token_type(), "DPoP");
    let s = sim.stats();
    assert_eq!((s.token_requests, s.tokens_issued, s.dpop_refused), (2, 1, 1), "one refusal, one retry");
    assert_eq!(c.stats().token_requests, 2, "the retry counts as a token request");
    // The API shares the origin: the nonce learnt at the token endpoint works there at once.
    let r = c.call_api(&get(&sim.api_url()), t.access_token()).unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn a_server_that_keeps_rotating_its_nonce_gets_two_requests_not_a_loop() {
    let sim = sim();
    sim.set_dpop(DpopSwitches { rotate_always: true, ..Default::default() });
    let c = dpop_client(&sim);
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("use_dpop_nonce"));
    assert_eq!(sim.stats().token_requests, 2, "one retry, no loop");
}

#[test]
fn the_nonce_retry_takes_a_budget_slot_within_the_deadline() {
    let sim = sim();
    sim.set_dpop(DpopSwitches { require_nonce: true, ..Default::default() });
    // One request per second and a 300 ms deadline: the retry cannot get a slot in time.
    let c = Client::new(
        config(&sim, "svc", "s3cret-value").dpop(true).max_requests_per_second(1.0).timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(sim.stats().token_requests, 1, "the retry was not sent outside the budget");
}

#[test]
fn the_api_nonce_is_retried_once_through_the_rule_without_renewal() {
    let sim = sim();
    sim.set_dpop(DpopSwitches { require_nonce: true, ..Default::default() });
    let c = dpop_client(&sim);
    let t = c.token().unwrap();
    let requests = sim.stats().token_requests;
    sim.set_dpop(DpopSwitches { require_nonce: true, rotate_now: true, ..Default::default() });
    let url = sim.api_url();
    let r = c.call_api(&get(&url), t.access_token()).unwrap();
    assert_eq!(r.status, 401);
    let www: Vec<&str> = r.www_authenticate.iter().map(String::as_str).collect();
    let nonce = r.headers.iter().find(|(n, _)| n == "dpop-nonce").map(|(_, v)| v.as_str());
    assert!(nonce.is_some());
    let action = c.handle_dpop_response(&url, r.status, t.access_token(), &www, nonce);
    assert_eq!(action, Ok(ResponseAction::RetryWithNonce));
    let same = c.token().unwrap();
    assert_eq!(same.access_token(), t.access_token(), "the cache is left alone");
    let r = c.call_api(&get(&url), same.access_token()).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(sim.stats().token_requests, requests, "no token request for a nonce");
    // Without the nonce at hand, a resend would fail the same way: an error.
    let e = c.handle_dpop_response(&url, 401, t.access_token(), &www, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiRejected);
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("use_dpop_nonce"));
}

#[test]
fn a_bearer_token_for_a_dpop_client_is_refused() {
    let sim = sim();
    sim.push_fault(Fault::TokenType("Bearer".into()), 1);
    let c = dpop_client(&sim);
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("ignored the DPoP proof"), "{e}");
    assert!(e.hint().unwrap_or_default().contains("DPoP Bound Access Tokens"), "{e:?}");
    // And a Bearer client never accepts a DPoP token type.
    let sim = sim_with(vec![]);
    sim.push_fault(Fault::TokenType("DPoP".into()), 1);
    assert_eq!(client(&sim, "svc", "s3cret-value").token().unwrap_err().kind(), ErrorKind::Protocol);
}

#[test]
fn a_client_that_requires_dpop_is_refused_without_a_proof() {
    let sim = sim_with(vec![ClientSpec::new("bound", "bound-secret").dpop(true)]);
    let e = client(&sim, "bound", "bound-secret").token().unwrap_err();
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("invalid_dpop_proof"));
    let t = Client::new(config(&sim, "bound", "bound-secret").dpop(true)).unwrap().token().unwrap();
    assert_eq!(t.token_type(), "DPoP");
}

#[test]
fn a_key_file_gives_the_same_key_to_every_client_and_survives_secret_changes() {
    let sim = sim();
    for name in ["p256.pkcs8.pem", "p256.sec1.pem"] {
        let a = Client::new(config(&sim, "svc", "s3cret-value").dpop_key(fixture(name))).unwrap();
        let b = Client::new(config(&sim, "svc", "s3cret-value").dpop_key(fixture(name))).unwrap();
        assert!(a.is_dpop());
        assert_eq!(a.dpop_thumbprint(), b.dpop_thumbprint(), "{name}");
        let t = a.token().unwrap();
        assert_eq!(sim.token_jkt(t.access_token()).as_deref(), a.dpop_thumbprint());
    }
    let generated = dpop_client(&sim);
    let before = generated.dpop_thumbprint().unwrap().to_string();
    generated.set_secret("s3cret-value").unwrap();
    assert_eq!(generated.dpop_thumbprint(), Some(before.as_str()), "the key is kept");
    assert_ne!(dpop_client(&sim).dpop_thumbprint(), Some(before.as_str()), "a generated key per client");
}

#[test]
fn a_wrong_key_file_is_refused_when_the_client_is_created() {
    let sim = sim();
    for name in ["rsa2048.pkcs8.pem", "p384.pkcs8.pem", "ed25519.pkcs8.pem", "does-not-exist.pem"] {
        let e = Client::new(config(&sim, "svc", "s3cret-value").dpop_key(fixture(name))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{name}: {e}");
        assert!(e.to_string().contains("DPoP key"), "{name}: {e}");
        assert!(!e.to_string().contains("BEGIN"), "{name}: no key material in errors");
    }
    assert_eq!(sim.stats().token_requests, 0);
}

#[test]
fn every_dpop_case_of_the_shared_table() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/api_response_cases.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let sim = sim();
    let c = dpop_client(&sim);
    let mut ran = 0;
    for case in v["cases"].as_array().unwrap().iter().filter(|c| c.get("dpop").is_some()) {
        ran += 1;
        let name = case["name"].as_str().unwrap();
        let status = case["status"].as_u64().unwrap() as u16;
        let fields: Vec<&str> =
            case["www_authenticate"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let nonce = case["dpop"].get("nonce").and_then(Value::as_str);
        let used = c.token().unwrap();
        let before = sim.stats().token_requests;
        let got = c.handle_dpop_response(&sim.api_url(), status, used.access_token(), &fields, nonce);
        match (&got, case["outcome"].as_str().unwrap()) {
            (Ok(ResponseAction::Proceed), "proceed") => {}
            (Ok(ResponseAction::RetryWithNonce), "retry_with_nonce") => {
                assert_eq!(c.token().unwrap().access_token(), used.access_token(), "{name}: kept");
                let proof = c.dpop_proof("GET", &sim.api_url(), Some(used.access_token())).unwrap();
                assert_eq!(decode(proof.split('.').nth(1).unwrap())["nonce"], nonce.unwrap(), "{name}");
            }
            (Ok(ResponseAction::Retry), "retry") => {
                assert_ne!(c.token().unwrap().access_token(), used.access_token(), "{name}: dropped");
                assert_eq!(sim.stats().token_requests, before + 1, "{name}");
            }
            (Err(e), want) => {
                assert_eq!(e.kind().name(), want, "{name}: {e:?}");
                assert_eq!(e.oauth().map(|o| o.error.as_str()), case.get("error").and_then(Value::as_str), "{name}");
            }
            (got, want) => panic!("{name}: expected {want}, got {got:?}"),
        }
    }
    assert!(ran >= 4, "the table lost its DPoP cases");
}

#[test]
fn a_client_from_an_issuer_binds_its_tokens_too() {
    // The transport made after discovery carries the client's key.
    let sim = sim();
    let issuer = format!("{}/realms/test", sim.base_url());
    let c = Client::new(Config::new("", "svc", "s3cret-value").issuer(issuer).dpop(true)).unwrap();
    let t = c.token().unwrap();
    assert_eq!(t.token_type(), "DPoP");
    assert_eq!(sim.token_jkt(t.access_token()).as_deref(), c.dpop_thumbprint());
}

#[test]
fn a_nonce_the_client_cannot_use_is_no_reason_to_resend() {
    let sim = sim();
    let c = dpop_client(&sim);
    let t = c.token().unwrap();
    let www = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
    let huge = "n".repeat(5000);
    for (url, nonce) in [
        (sim.api_url(), huge.as_str()),
        (sim.api_url(), " "),
        (sim.api_url(), "bad nonce"),
        ("not a url".into(), "ok-nonce"),
    ] {
        let got = c.handle_dpop_response(&url, 401, t.access_token(), &[www], Some(nonce));
        let e = got.expect_err("a resend with a nonce that is not kept would fail the same way");
        assert_eq!(e.kind(), ErrorKind::ApiRejected, "{url} {:.20}: {e}", nonce);
    }
    // A usable one is kept and worth one resend.
    assert_eq!(
        c.handle_dpop_response(&sim.api_url(), 401, t.access_token(), &[www], Some("n-OK_1.2~")).unwrap(),
        ResponseAction::RetryWithNonce
    );
}
