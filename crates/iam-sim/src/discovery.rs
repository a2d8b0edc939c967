//! The realm's authorization server metadata, as Keycloak publishes it:
//! OpenID Connect Discovery 1.0 at `/realms/R/.well-known/openid-configuration`,
//! and RFC 8414 at `/.well-known/oauth-authorization-server/realms/R` (§3.1's
//! path insertion) and `/realms/R/.well-known/oauth-authorization-server`
//! (Keycloak's own spelling). The issuer is `scheme://Host/realms/R` (with
//! `/auth` when asked under it), from the request's `Host` as Keycloak does.
//! Faults: queued ones (the token endpoint's kinds), members replaced or
//! removed, and the OpenID document withheld (an RFC 8414-only server).

use crate::faults::Fault;
use crate::http::{Ending, Request, Response};
use crate::state::State;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::time::Duration;

/// What a test changed in the published metadata.
#[derive(Default)]
pub(crate) struct DiscoveryState {
    pub(crate) faults: VecDeque<(Duration, Fault)>,
    /// Members replacing the published ones; `null` removes a member.
    pub(crate) members: Map<String, Value>,
    /// Answer 404 at the OpenID path, as a plain OAuth server would.
    pub(crate) no_openid_configuration: bool,
}

/// Which document a path asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    OpenId,
    Rfc8414,
}

/// The realm prefix (`/realms/R` or `/auth/realms/R`) and the kind of a
/// metadata path, or None when the path is not one.
fn parse_path(path: &str) -> Option<(&str, Kind)> {
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        return Some((prefix, Kind::OpenId));
    }
    if let Some(prefix) = path.strip_prefix("/.well-known/oauth-authorization-server") {
        return Some((prefix, Kind::Rfc8414));
    }
    path.strip_suffix("/.well-known/oauth-authorization-server").map(|p| (p, Kind::Rfc8414))
}

/// The answer to a metadata request, or None when `req` is not one.
pub(crate) fn discovery(st: &State, req: &Request) -> Option<Response> {
    let (prefix, kind) = parse_path(&req.path)?;
    let realm = prefix.strip_prefix("/auth").unwrap_or(prefix).strip_prefix("/realms/")?;
    {
        let mut s = st.stats.lock();
        s.discovery_requests += 1;
        s.discovery_paths.push(req.path.clone());
    }
    if realm != st.cfg.realm {
        return Some(Response::json(404, &json!({"error": "Realm does not exist"})));
    }
    let (fault, members, no_openid) = {
        let mut d = st.discovery.lock();
        (d.faults.pop_front(), d.members.clone(), d.no_openid_configuration)
    };
    if let Some((delay, _)) = &fault {
        std::thread::sleep(*delay);
    }
    if kind == Kind::OpenId && no_openid {
        return Some(Response::new(404, "text/html", "<html><body>Not Found</body></html>"));
    }
    if let Some(r) = fault.and_then(|(_, f)| faulty(f)) {
        return Some(r);
    }
    let host = req.header("host").unwrap_or("127.0.0.1");
    let scheme = if st.cfg.tls_names.is_some() { "https" } else { "http" };
    let issuer = format!("{scheme}://{host}{prefix}");
    let oidc = format!("{issuer}/protocol/openid-connect");
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "introspection_endpoint": format!("{oidc}/token/introspect"),
        "jwks_uri": format!("{oidc}/certs"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported":
            ["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth", "client_secret_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "HS256"],
        "tls_client_certificate_bound_access_tokens": true,
        "mtls_endpoint_aliases": {
            "token_endpoint": format!("{oidc}/token"),
        },
    });
    let obj = doc.as_object_mut().expect("an object");
    if kind == Kind::Rfc8414 {
        obj.remove("jwks_uri");
    }
    for (k, v) in members {
        match v {
            Value::Null => obj.remove(&k),
            v => obj.insert(k, v),
        };
    }
    Some(Response::json(200, &doc))
}

/// The answer a queued fault makes instead of the document (None: answer normally).
fn faulty(fault: Fault) -> Option<Response> {
    Some(match fault {
        Fault::Status { status, retry_after, body } => {
            let mut r = match body {
                Some(b) => Response::new(status, "application/json", b),
                None => Response::new(status, "text/html", format!("<html><body><h1>{status}</h1></body></html>")),
            };
            if let Some(ra) = retry_after {
                r = r.with_header("Retry-After", ra);
            }
            r
        }
        Fault::MalformedJson => Response::new(200, "application/json", "{\"issuer\":\"http://"),
        Fault::Html => Response::new(200, "text/html", "<!DOCTYPE html><html><body>Sign in</body></html>"),
        Fault::HugeBody => {
            let mut b = String::from("{\"padding\":\"");
            b.push_str(&"A".repeat(2 * 1024 * 1024));
            b.push_str("\"}");
            Response::new(200, "application/json", b)
        }
        Fault::Close => {
            let mut r = Response::new(200, "application/json", "");
            r.ending = Ending::CloseSilently;
            r
        }
        Fault::CloseMidBody => {
            let mut r = Response::new(200, "application/json", format!("{{\"issuer\":\"{}\"}}", "x".repeat(2000)));
            r.ending = Ending::CloseMidBody;
            r
        }
        Fault::Delay(d) => {
            std::thread::sleep(d);
            return None;
        }
        _ => return None,
    })
}
