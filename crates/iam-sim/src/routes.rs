//! The URL table: the token endpoint (with and without `/auth`, and its
//! `token/mtls` alias path), OpenID
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
    let realm_prefix = |p: &str| -> Option<(String, bool)> {
        let p = p.strip_prefix("/auth").unwrap_or(p);
        let rest = p.strip_prefix("/realms/")?;
        let (realm, tail) = rest.split_once('/')?;
        let alias = tail == "protocol/openid-connect/token/mtls";
        (tail == "protocol/openid-connect/token" || alias).then(|| (realm.to_string(), alias))
    };
    // `token/mtls`: the token endpoint under another path, for a test that
    // publishes it as `mtls_endpoint_aliases.token_endpoint` (counted apart).
    if let Some((realm, alias)) = realm_prefix(path) {
        if alias {
            st.stats.lock().mtls_alias_token_requests += 1;
        }
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
    if let Some(r) = crate::discovery::discovery(st, req) {
        return r;
    }
    match (req.method.as_str(), path) {
        ("GET", "/sim/stats") => Response::json(200, &st.stats.lock().to_json()),
        ("POST", "/sim/reset") => {
            *st.stats.lock() = Stats::default();
            st.faults.lock().clear();
            *st.discovery.lock() = Default::default();
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
        ("POST", "/sim/discovery") => {
            // {"members": {...}} replaces published members (null removes one);
            // {"openid_configuration": false} withholds the OpenID document.
            let v: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let mut d = st.discovery.lock();
            if let Some(m) = v.get("members").and_then(Value::as_object) {
                d.members.extend(m.clone());
            }
            if let Some(b) = v.get("openid_configuration").and_then(Value::as_bool) {
                d.no_openid_configuration = !b;
            }
            Response::json(200, &json!({"ok": true}))
        }
        (_, p) if p.starts_with("/api/") => api(st, req),
        _ => Response::new(404, "text/plain", "not found"),
    }
}
