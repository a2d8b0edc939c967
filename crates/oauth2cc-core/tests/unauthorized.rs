//! Reacting to an API's 401/403, with
//! the simulator's protected API producing the challenges.

mod common;
use common::*;
use oauth2cc_core::Unauthorized;

fn call(sim: &Sim, path: &str, token: Option<&str>) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = agent.get(format!("{}{path}", sim.base_url()));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let r = req.call().unwrap();
    (r.status().as_u16(), r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()))
}

#[test]
fn invalid_token_renews_and_the_retry_succeeds() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let old = c.token().unwrap();
    sim.revoke_all();
    let (status, www) = call(&sim, "/api/echo", Some(old.access_token()));
    assert_eq!(status, 401);
    let outcome = c.handle_unauthorized(old.access_token(), www.as_deref());
    assert!(outcome.should_retry(), "{outcome:?}");
    let new = c.token().unwrap();
    assert_ne!(new.access_token(), old.access_token());
    assert_eq!(call(&sim, "/api/echo", Some(new.access_token())).0, 200);
    assert_eq!(requests(&sim), 2);
}

#[test]
fn a_thousand_reports_of_the_same_old_token_cause_one_renewal() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let old = c.token().unwrap().access_token().to_string();
    sim.revoke_all();
    let (_, www) = call(&sim, "/api/echo", Some(&old));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (c, old, www) = (c.clone(), old.clone(), www.clone());
            std::thread::spawn(move || {
                for _ in 0..125 {
                    assert!(c.handle_unauthorized(&old, www.as_deref()).should_retry());
                    assert_ne!(c.token().unwrap().access_token(), old);
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(requests(&sim), 2);
}

#[test]
fn insufficient_scope_and_no_detail_do_not_renew() {
    let sim = sim();
    let c = client(&sim, "svc", "s3cret-value");
    let t = c.token().unwrap();
    let (status, www) = call(&sim, "/api/scope/orders:write", Some(t.access_token()));
    assert_eq!(status, 403);
    match c.handle_unauthorized(t.access_token(), www.as_deref()) {
        Unauthorized::InsufficientScope { scope, description } => {
            assert_eq!(scope.as_deref(), Some("orders:write"));
            assert!(description.is_some());
        }
        other => panic!("{other:?}"),
    }
    let (status, www) = call(&sim, "/api/echo", None);
    assert_eq!((status, www.as_deref()), (401, Some("Bearer realm=\"iam-sim\"")));
    let outcome = c.handle_unauthorized(t.access_token(), www.as_deref());
    assert_eq!(outcome, Unauthorized::NoDetail);
    assert!(outcome.describe().contains("would not help"));
    assert_eq!(c.token().unwrap().access_token(), t.access_token());
    assert_eq!(requests(&sim), 1);
}
