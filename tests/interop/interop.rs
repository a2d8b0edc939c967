//! oauth2cc against oidc-provider, an OpenID Certified authorization server
//! nobody on this team wrote (tests/interop/README.md). Each test starts its
//! own server (node tests/interop/server.mjs) and stops it when done, also
//! on failure; the server also exits when its standard input closes.

use oauth2cc_core::{AuthMethod, Client, Config, ErrorKind};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

mod jwt_auth;

const ODD_ID: &str = "svc:a%b+c/d e&f=g#h~i";
const ODD_SECRET: &str = "s:e%c+r/e t&=#~";
/// No non-ASCII: RFC 6749 Appendix A allows only VSCHAR (%x20-7E) in a
/// secret, and oidc-provider enforces it (the simulator tests cover non-ASCII).
const SPACED_SECRET: &str = "a b+c/d=e%f:g~";

mod packages;
use packages::{dir, ensure_packages};

struct OidcProvider {
    child: Child,
    base: String,
}

impl OidcProvider {
    fn start() -> OidcProvider {
        ensure_packages();
        let mut child = Command::new("node")
            .arg("server.mjs")
            .args(["--short-ttl", "3"])
            .current_dir(dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed to run the interop tests");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("oidc-provider did not start within 30 s");
            }
        };
        let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line:?}")).into();
        OidcProvider { child, base }
    }

    fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    fn client(&self, id: &str, secret: &str, method: AuthMethod) -> Client {
        Client::new(Config::new(self.token_url(), id, secret).auth_method(method)).unwrap()
    }

    fn stat(&self, name: &str) -> u64 {
        let body = ureq::get(format!("{}/test/stats", self.base)).call().unwrap().body_mut().read_to_string().unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v[name].as_u64().unwrap()
    }

    /// Calls the protected route: the status and the WWW-Authenticate header.
    fn api(&self, token: &str) -> (u16, Option<String>) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let r = agent
            .get(format!("{}/api/echo", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap();
        (r.status().as_u16(), r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()))
    }

    fn revoke_all(&self) {
        ureq::post(format!("{}/test/revoke-all", self.base)).send_empty().unwrap();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn each_auth_method_obtains_a_working_token() {
    let op = OidcProvider::start();
    for (id, secret, method) in [
        ("basic-client", "basic-secret", AuthMethod::ClientSecretBasic),
        ("post-client", "post-secret", AuthMethod::ClientSecretPost),
    ] {
        let t = op.client(id, secret, method).token().unwrap();
        assert_eq!(op.api(t.access_token()).0, 200, "{id}");
        assert_eq!(t.token_type(), "Bearer");
        // Unlike Keycloak, oidc-provider grants no scope unless one is asked for.
        assert_eq!(t.scope(), None);
        assert!((299..=300).contains(&t.lifetime().as_secs()), "{:?}", t.lifetime());
    }
}

#[test]
fn special_characters_work_with_basic_and_post() {
    let op = OidcProvider::start();
    let basic = op.client(ODD_ID, ODD_SECRET, AuthMethod::ClientSecretBasic).token().unwrap();
    assert_eq!(op.api(basic.access_token()).0, 200);
    let post = op.client("odd-post", ODD_SECRET, AuthMethod::ClientSecretPost).token().unwrap();
    assert_eq!(op.api(post.access_token()).0, 200);
}

#[test]
fn a_secret_with_a_space_and_reserved_characters_works_with_basic() {
    // The space goes out as %20 inside Basic; a form decoder reads it as a space.
    let op = OidcProvider::start();
    let t = op.client("spaced-client", SPACED_SECRET, AuthMethod::ClientSecretBasic).token().unwrap();
    assert_eq!(op.api(t.access_token()).0, 200);
}

#[test]
fn raw_basic_is_rejected_by_this_rfc_conforming_server() {
    let op = OidcProvider::start();
    let e = op.client("odd-secret", ODD_SECRET, AuthMethod::ClientSecretBasicRaw).token().unwrap_err();
    // "%c+" is not valid percent-encoding: the server cannot even decode the header.
    assert_eq!((e.kind(), e.status()), (ErrorKind::Rejected, Some(400)), "{e}");
    assert_eq!(e.oauth().unwrap().error, "invalid_request");
    // The same credentials, encoded as RFC 6749 section 2.3.1 says, work.
    assert!(op.client("odd-secret", ODD_SECRET, AuthMethod::ClientSecretBasic).token().is_ok());
}

#[test]
fn a_wrong_secret_is_invalid_client_without_a_retry_loop() {
    let op = OidcProvider::start();
    let c = op.client("basic-client", "not-the-secret", AuthMethod::ClientSecretBasic);
    for _ in 0..20 {
        let e = c.token().unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidClient, Some(401)), "{e}");
        assert_eq!(e.oauth().unwrap().error, "invalid_client");
        assert!(!format!("{e} {e:?}").contains("not-the-secret"));
    }
    assert_eq!(op.stat("token_requests"), 1);
}

#[test]
fn a_scope_the_client_may_not_have_is_invalid_scope_with_its_description() {
    let op = OidcProvider::start();
    let c = Client::new(Config::new(op.token_url(), "basic-client", "basic-secret").scope("admin")).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::InvalidScope, Some(400)), "{e}");
    assert_eq!(e.oauth().unwrap().error_description.as_deref(), Some("requested scope is not allowed"));
    let ok = Client::new(Config::new(op.token_url(), "basic-client", "basic-secret").scope("api:write")).unwrap();
    assert_eq!(ok.token().unwrap().scope(), Some("api:write"));
}

#[test]
fn a_short_lived_token_is_renewed_at_80_to_90_percent_and_never_seen_expired() {
    let op = OidcProvider::start();
    let c = op.client("short-client", "short-secret", AuthMethod::ClientSecretBasic); // 3 s tokens
    let first = c.token().unwrap();
    let start = first.requested_at();
    let stop_at = start + Duration::from_millis(4000);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            let base = op.base.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let mut seen = vec![];
                while Instant::now() < stop_at {
                    let t = c.token().unwrap();
                    if seen.last().map(|(s, _): &(String, Instant)| s != t.access_token()).unwrap_or(true) {
                        seen.push((t.access_token().to_string(), Instant::now()));
                    }
                    let r = agent
                        .get(format!("{base}/api/echo"))
                        .header("Authorization", format!("Bearer {}", t.access_token()))
                        .call()
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    std::thread::sleep(Duration::from_millis(20));
                }
                seen
            })
        })
        .collect();
    for h in handles {
        let seen = h.join().unwrap();
        assert_eq!(seen.len(), 2, "one renewal in 4 s of a 3 s lifetime");
        let at = (seen[1].1 - start).as_secs_f64();
        assert!((2.4..2.95).contains(&at), "renewed at {at:.3} s, expected 2.4-2.7 s");
    }
    assert_eq!(op.stat("api_expired"), 0);
    assert_eq!(op.stat("token_requests"), 2);
}

#[test]
fn a_revoked_token_is_replaced_with_exactly_one_request() {
    let op = OidcProvider::start();
    let c = op.client("basic-client", "basic-secret", AuthMethod::ClientSecretBasic);
    let old = c.token().unwrap();
    assert_eq!(op.api(old.access_token()).0, 200);
    op.revoke_all();
    let (status, challenge) = op.api(old.access_token());
    assert_eq!(status, 401);
    assert!(challenge.unwrap().contains("error=\"invalid_token\""));
    // Eight callers saw the 401 with the same token at once.
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (c, b, old) = (c.clone(), barrier.clone(), old.access_token().to_string());
            std::thread::spawn(move || {
                b.wait();
                c.invalidate(&old);
                c.token().unwrap().access_token().to_string()
            })
        })
        .collect();
    let fresh: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(fresh.iter().all(|t| t == &fresh[0] && t != old.access_token()));
    assert_eq!(op.api(&fresh[0]).0, 200);
    assert_eq!(op.stat("token_requests"), 2);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_an_error() {
    // oidc-provider (Node) closes idle keep-alive connections after 5 s.
    let op = OidcProvider::start();
    let c = op.client("basic-client", "basic-secret", AuthMethod::ClientSecretBasic);
    let t1 = c.token().unwrap();
    std::thread::sleep(Duration::from_millis(6000));
    c.invalidate(t1.access_token());
    let t2 = c.token().unwrap();
    assert_ne!(t1.access_token(), t2.access_token());
}

// ---- DPoP (RFC 9449): oidc-provider issues and binds the tokens; server.mjs's /api/dpop
// verifies each proof and the binding with jose, independently of oauth2cc ----

impl OidcProvider {
    fn dpop_client(&self, id: &str) -> Client {
        Client::new(Config::new(self.token_url(), id, "dpop-secret").dpop(true)).unwrap()
    }

    fn dpop_switch(&self, body: &str) {
        ureq::post(format!("{}/test/dpop", self.base)).content_type("application/json").send(body).unwrap();
    }

    /// One API call as every wrapper makes it: the core's rule decides, one resend at most.
    fn call_dpop(&self, c: &Client) -> (u16, usize) {
        let url = format!("{}/api/dpop", self.base);
        let req = oauth2cc_core::ApiRequest { method: "GET".into(), url: url.clone(), ..Default::default() };
        for attempt in 0..2 {
            let t = c.token().unwrap();
            let r = c.call_api(&req, t.access_token()).unwrap();
            let www: Vec<&str> = r.www_authenticate.iter().map(String::as_str).collect();
            let nonce = r.headers.iter().find(|(n, _)| n == "dpop-nonce").map(|(_, v)| v.as_str());
            match c.handle_dpop_response(&url, r.status, t.access_token(), &www, nonce) {
                Ok(oauth2cc_core::ResponseAction::Proceed) => return (r.status, attempt + 1),
                Ok(_) if attempt == 0 => continue,
                _ => return (r.status, attempt + 1),
            }
        }
        unreachable!()
    }
}

#[test]
fn dpop_token_obtained_cached_renewed_and_used_on_the_protected_route() {
    let op = OidcProvider::start();
    let c = op.dpop_client("dpop-short"); // 3 s tokens
    let first = c.token().unwrap();
    assert_eq!(first.token_type(), "DPoP");
    assert_eq!(op.call_dpop(&c), (200, 1));
    assert_eq!(c.token().unwrap().access_token(), first.access_token(), "cached");
    assert_eq!(op.stat("token_requests"), 1);
    // Renewed at 80-90 % of 3 s; wait for the condition, not a fixed time.
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.token().unwrap().access_token() == first.access_token() {
        assert!(Instant::now() < deadline, "not renewed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(op.call_dpop(&c), (200, 1), "the renewed token is bound to the same key");
    assert_eq!(op.stat("token_requests"), 2);
    assert_eq!(op.stat("dpop_ok"), 2);
    // Without DPoP, the bound client gets no token (oidc-provider refuses it), and no retry loop.
    let bearer = op.client("dpop-client", "dpop-secret", AuthMethod::ClientSecretBasic);
    let e = bearer.token().unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(bearer.token().is_err());
    assert_eq!(op.stat("token_requests"), 3);
}

#[test]
fn dpop_server_nonces_are_retried_once_without_a_loop() {
    let op = OidcProvider::start();
    // The token endpoint requires its nonce: one use_dpop_nonce, one retry.
    op.dpop_switch(r#"{"token_endpoint_nonce": true}"#);
    let c = op.dpop_client("dpop-client");
    assert_eq!(c.token().unwrap().token_type(), "DPoP");
    assert_eq!(op.stat("token_requests"), 2);
    // The API requires its own nonce, then rotates it: each time one resend with the new one.
    op.dpop_switch(r#"{"api_nonce": true}"#);
    assert_eq!(op.call_dpop(&c), (200, 2));
    assert_eq!(op.call_dpop(&c), (200, 1), "the nonce is remembered");
    op.dpop_switch(r#"{"api_nonce": true, "rotate_api_nonce": true}"#);
    assert_eq!(op.call_dpop(&c), (200, 2));
    assert_eq!(op.stat("dpop_nonce_refusals"), 2);
    assert_eq!(op.stat("token_requests"), 2, "a nonce needs no new token");
}

#[test]
fn a_replayed_dpop_proof_is_refused() {
    let op = OidcProvider::start();
    let c = op.dpop_client("dpop-client");
    let t = c.token().unwrap();
    let url = format!("{}/api/dpop", op.base);
    let proof = c.dpop_proof("GET", &url, Some(t.access_token())).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let send = || {
        agent
            .get(&url)
            .header("Authorization", format!("DPoP {}", t.access_token()))
            .header("DPoP", &proof)
            .call()
            .unwrap()
    };
    assert_eq!(send().status().as_u16(), 200);
    let again = send();
    assert_eq!(again.status().as_u16(), 401);
    let www = again.headers().get("www-authenticate").unwrap().to_str().unwrap().to_string();
    assert!(www.contains("invalid_dpop_proof"), "{www}");
    assert_eq!(op.stat("dpop_replays"), 1);
    let e = c.handle_dpop_response(&url, 401, t.access_token(), &[&www], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiRejected);
    // The token endpoint refuses a replayed proof too (oidc-provider's own replay detection).
    let form = "grant_type=client_credentials";
    let token_proof = c.dpop_proof("POST", &op.token_url(), None).unwrap();
    let post = || {
        agent
            .post(op.token_url())
            .header("Authorization", "Basic ZHBvcC1jbGllbnQ6ZHBvcC1zZWNyZXQ=")
            .header("DPoP", &token_proof)
            .content_type("application/x-www-form-urlencoded")
            .send(form)
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post(), 200);
    assert_eq!(post(), 400);
}

#[test]
fn a_client_from_the_issuer_discovers_the_token_endpoint_and_gets_a_working_token() {
    let op = OidcProvider::start();
    // oidc-provider lists client_secret_basic among its methods: picked, as basic-client is registered with it.
    let c = Client::new(Config::new("", "basic-client", "basic-secret").issuer(&op.base)).unwrap();
    let t = c.token().unwrap();
    assert_eq!(op.api(t.access_token()).0, 200);
    assert_eq!(c.token_endpoint(), Some(op.token_url()));
    // A client registered for client_secret_post says so: an explicit method is used as given.
    let c = Client::new(
        Config::new("", "post-client", "post-secret").issuer(&op.base).auth_method(AuthMethod::ClientSecretPost),
    )
    .unwrap();
    assert_eq!(op.api(c.token().unwrap().access_token()).0, 200);
    assert_eq!(op.stat("token_requests"), 2);
}

#[test]
fn an_issuer_that_is_not_the_published_one_is_refused_without_a_token_request() {
    let op = OidcProvider::start();
    // The same server by another name: its metadata names http://127.0.0.1:PORT.
    let other_name = op.base.replace("127.0.0.1", "localhost");
    let c = Client::new(Config::new("", "basic-client", "basic-secret").issuer(other_name)).unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    assert!(e.message().contains("names issuer"), "{e}");
    assert_eq!(c.token().unwrap_err().kind(), ErrorKind::InvalidConfig);
    assert_eq!(op.stat("token_requests"), 0);
}
