//! TLS: the CA file is trusted, an unknown CA and a
//! name mismatch are refused, a proxy is used through CONNECT.

mod common;
use common::*;

fn tls_client(sim: &Sim, host: &str, ca: Option<&std::path::Path>) -> Client {
    let url = format!("https://{host}:{}/realms/test/protocol/openid-connect/token", sim.addr().port());
    let mut cfg = Config::new(url, "svc", "s3cret-value").no_proxy();
    if let Some(ca) = ca {
        cfg = cfg.ca_file(ca);
    }
    Client::new(cfg).unwrap()
}

#[test]
fn the_ca_file_is_trusted() {
    let (sim, ca) = tls_sim(&["localhost", "127.0.0.1"]);
    let t = tls_client(&sim, "127.0.0.1", Some(&ca)).token().unwrap();
    assert_eq!(sim.check_token(t.access_token()), Ok("svc".into()));
    assert!(tls_client(&sim, "localhost", Some(&ca)).token().is_ok());
}

#[test]
fn an_unknown_ca_is_refused() {
    let (sim, _ca) = tls_sim(&["127.0.0.1"]);
    let e = tls_client(&sim, "127.0.0.1", None).token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.hint().unwrap().contains("CA file"));
    // Another simulator's CA does not help either.
    let (_other, other_ca) = tls_sim(&["127.0.0.1"]);
    let e = tls_client(&sim, "127.0.0.1", Some(&other_ca)).token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn a_name_mismatch_is_refused() {
    let (sim, ca) = tls_sim(&["iam.example.test"]);
    let e = tls_client(&sim, "127.0.0.1", Some(&ca)).token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().to_lowercase().contains("name") || e.to_string().contains("NotValidForName"), "{e}");
    assert_eq!(requests(&sim), 0);
}

#[test]
fn a_proxy_is_used_through_connect() {
    // 0.0.0.0 reaches this machine without being a loopback address (never proxied).
    let (sim, ca) = tls_sim(&["0.0.0.0"]);
    let (proxy, seen) = connect_proxy();
    let url = format!("https://0.0.0.0:{}/realms/test/protocol/openid-connect/token", sim.addr().port());
    let c = Client::new(Config::new(url, "svc", "s3cret-value").ca_file(&ca).proxy(&proxy)).unwrap();
    assert!(c.token().is_ok());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec![format!("CONNECT 0.0.0.0:{} HTTP/1.1", sim.addr().port())]);
}
