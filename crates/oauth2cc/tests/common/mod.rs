#![allow(dead_code)]
#![allow(unused_imports)]
//! Shared test rig: a simulator per test, with the clients the tests use.

pub use iam_sim::{AuthMethod as SimMethod, ClientSpec, Fault, Sim, SimConfig};
pub use oauth2cc_core::{AuthMethod, Client, Config, ErrorKind};
#[allow(unused_imports)]
pub use std::sync::Arc;
pub use std::time::{Duration, Instant};

/// id and secret with every character RFC 6749 §2.3.1 form-urlencoding changes.
pub const ODD_ID: &str = "svc:a%b+c/d e&f=g#h~i";
pub const ODD_SECRET: &str = "s:e%c+r/e t&=#~é";

pub fn sim() -> Sim {
    sim_with(vec![])
}

pub fn sim_with(extra: Vec<ClientSpec>) -> Sim {
    let mut clients = vec![
        ClientSpec::new("svc", "s3cret-value").scopes(&["orders:read", "orders:write"]),
        ClientSpec::new("short", "short-secret").lifetime(2),
        ClientSpec::new("odd-both", ODD_SECRET).methods(&[SimMethod::Basic, SimMethod::Post]),
        ClientSpec::new(ODD_ID, ODD_SECRET).methods(&[SimMethod::Basic, SimMethod::Post]),
        ClientSpec::new("raw-only", ODD_SECRET).methods(&[SimMethod::BasicRaw]),
        ClientSpec::new("post-only", "post-secret").methods(&[SimMethod::Post]),
        ClientSpec::new("opaque", "opaque-secret").opaque(true),
    ];
    clients.extend(extra);
    Sim::start(SimConfig { clients, ..SimConfig::default() }).expect("start simulator")
}

pub fn config(sim: &Sim, id: &str, secret: &str) -> Config {
    Config::new(sim.token_url(), id, secret)
}

pub fn client(sim: &Sim, id: &str, secret: &str) -> Client {
    Client::new(config(sim, id, secret)).expect("client")
}

pub fn requests(sim: &Sim) -> u64 {
    sim.stats().token_requests
}

pub fn param(sim: &Sim, name: &str) -> Option<String> {
    sim.stats().last_params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}
