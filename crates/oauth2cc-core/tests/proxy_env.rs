//! Proxy settings from the environment (its own test binary with one test:
//! it sets process-wide environment variables).

mod common;
use common::*;

const PROXY_VARS: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

fn set_no_proxy(v: Option<&str>) {
    std::env::remove_var("no_proxy");
    match v {
        Some(v) => std::env::set_var("NO_PROXY", v),
        None => std::env::remove_var("NO_PROXY"),
    }
}

/// A token, then one API call with it, through the client's own agents.
fn token_and_api_call(cfg: Config, api_url: &str) {
    let c = Client::new(cfg).expect("client");
    let t = c.token().expect("token");
    let req = oauth2cc_core::ApiRequest { method: "GET".into(), url: api_url.into(), ..Default::default() };
    assert_eq!(c.call_api(&req, t.access_token()).expect("API call").status, 200);
}

#[test]
fn loopback_and_no_proxy_hosts_never_reach_the_proxy() {
    let sim = sim();
    let port = sim.addr().port();
    // Tunnels what it is asked for and records every CONNECT.
    let (proxy, seen) = connect_proxy();
    let seen = || seen.lock().unwrap().clone();
    for v in PROXY_VARS {
        std::env::set_var(v, &proxy);
    }
    set_no_proxy(None);

    // Loopback: by address, by name, with the explicit proxy option too.
    let by_name = sim.token_url().replace("127.0.0.1", "localhost");
    let by_name_api = sim.api_url().replace("127.0.0.1", "localhost");
    token_and_api_call(config(&sim, "svc", "s3cret-value"), &sim.api_url());
    token_and_api_call(Config::new(by_name, "svc", "s3cret-value"), &by_name_api);
    token_and_api_call(config(&sim, "svc", "s3cret-value").proxy(&proxy), &sim.api_url());
    assert_eq!(seen(), Vec::<String>::new(), "the proxy saw a loopback destination (and the secret, in clear)");
    assert_eq!(sim.stats().api_requests, 3);
    assert_eq!(requests(&sim), 3);

    // 0.0.0.0 reaches this machine but is not a loopback address: proxied.
    let other = sim.token_url().replace("127.0.0.1", "0.0.0.0");
    let other_api = sim.api_url().replace("127.0.0.1", "0.0.0.0");
    let other_cfg = || Config::new(&other, "svc", "s3cret-value").allow_insecure_http(true);
    token_and_api_call(other_cfg(), &other_api);
    let connect = format!("CONNECT 0.0.0.0:{port} HTTP/1.1");
    assert_eq!(seen(), vec![connect.clone(), connect.clone()], "token request and API call both proxied");

    // Listed in NO_PROXY (by address, by CIDR block, by `*`): direct.
    for list in ["example.test, 0.0.0.0", ".example.test,0.0.0.0/8", "*"] {
        set_no_proxy(Some(list));
        token_and_api_call(other_cfg(), &other_api);
        token_and_api_call(other_cfg().proxy(&proxy), &other_api);
        assert_eq!(seen().len(), 2, "NO_PROXY={list:?} was not honoured: {:?}", seen());
    }
    // A list that does not name the host leaves it proxied; lower case `no_proxy` counts too.
    set_no_proxy(None);
    std::env::set_var("no_proxy", "example.test,10.0.0.0/8");
    token_and_api_call(other_cfg(), &other_api);
    assert_eq!(seen().len(), 4, "{:?}", seen());
    std::env::set_var("no_proxy", "0.0.0.0");
    token_and_api_call(other_cfg(), &other_api);
    assert_eq!(seen().len(), 4, "{:?}", seen());

    // `no_proxy()` ignores the environment's proxy.
    set_no_proxy(None);
    token_and_api_call(other_cfg().no_proxy(), &other_api);
    assert_eq!(seen().len(), 4, "{:?}", seen());
    for v in PROXY_VARS {
        std::env::remove_var(v);
    }
}
