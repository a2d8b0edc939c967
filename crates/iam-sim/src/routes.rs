//! The URL table: the token endpoint (with and without `/auth`), OpenID
//! discovery, the protected API and the simulator's own `/sim/*` controls.

use crate::api::api;
use crate::faults::Fault;
use crate::http::{Request, Response};
use crate::state::State;
use crate::stats::Stats;
use crate::token_endpoint::token_endpoint;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) fn route(st: &State, req: &Request) -> Response {
    let path = req.path.as_str();
    let realm_prefix = |p: &str| -> Option<String> {
        let p = p.strip_prefix("/auth").unwrap_or(p);
        let rest = p.strip_prefix("/realms/")?;
        let (realm, tail) = rest.split_once('/')?;
        (tail == "protocol/openid-connect/token").then(|| realm.to_string())
    };
    if let Some(realm) = realm_prefix(path) {
        if req.method != "POST" {
            return Response::json(
                405,
                &json!({"error": "RESTEASY003650: No resource method found for GET, return 405 with Allow header"}),
            )
            .with_header("Allow", "POST, OPTIONS");
        }
        if realm != st.cfg.realm {
            return Response::json(404, &json!({"error": "Realm does not exist"}));
        }
        return token_endpoint(st, req);
    }
    // OpenID discovery, for clients that want it (msal in the benchmarks).
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        let realm = prefix.strip_prefix("/auth").unwrap_or(prefix).strip_prefix("/realms/").unwrap_or_default();
        if realm == st.cfg.realm {
            let host = req.header("host").unwrap_or("127.0.0.1");
            let scheme = if st.cfg.tls_names.is_some() { "https" } else { "http" };
            let issuer = format!("{scheme}://{host}{prefix}");
            return Response::json(
                200,
                &json!({
                    "issuer": issuer,
                    "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
                    "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
                    "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
                    "grant_types_supported": ["client_credentials"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                }),
            );
        }
    }
    match (req.method.as_str(), path) {
        ("GET", "/sim/stats") => Response::json(200, &st.stats.lock().to_json()),
        ("POST", "/sim/reset") => {
            *st.stats.lock() = Stats::default();
            st.faults.lock().clear();
            Response::json(200, &json!({"ok": true}))
        }
        ("POST", "/sim/revoke") => {
            for t in st.issued.lock().values_mut() {
                t.revoked = true;
            }
            Response::json(200, &json!({"ok": true}))
        }
        ("POST", "/sim/dpop") => {
            // {"require_nonce": bool, "rotate_now": bool, "rotate_always": bool}
            let v: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
            let nonce = crate::dpop::set(
                st,
                crate::dpop::DpopSwitches {
                    require_nonce: flag("require_nonce"),
                    rotate_now: flag("rotate_now"),
                    rotate_always: flag("rotate_always"),
                },
            );
            Response::json(200, &json!({"nonce": nonce}))
        }
        ("POST", "/sim/faults") => {
            let parsed: Result<Value, _> = serde_json::from_slice(&req.body);
            let v = match parsed {
                Ok(v) => v,
                Err(e) => return Response::json(400, &json!({"error": format!("bad JSON: {e}")})),
            };
            match Fault::from_json(&v) {
                Ok(f) => {
                    let count = v.get("count").and_then(Value::as_u64).unwrap_or(1);
                    let delay = Duration::from_millis(v.get("delay_ms").and_then(Value::as_u64).unwrap_or(0));
                    let mut q = st.faults.lock();
                    for _ in 0..count {
                        q.push_back((delay, f.clone()));
                    }
                    Response::json(200, &json!({"queued": q.len()}))
                }
                Err(e) => Response::json(400, &json!({"error": e})),
            }
        }
        (_, p) if p.starts_with("/api/") => api(st, req),
        _ => Response::new(404, "text/plain", "not found"),
    }
}
