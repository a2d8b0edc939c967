//! Proxy settings from the environment (its own test binary: it sets
//! process-wide environment variables).

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// A stand-in proxy: records the first request line and answers 502.
fn fake_proxy() -> (String, std::thread::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let mut rest = String::new();
        while r.read_line(&mut rest).unwrap() > 2 {
            rest.clear();
        }
        let mut s = s;
        let _ = s.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        line
    });
    (url, h)
}

#[test]
fn proxy_comes_from_the_environment_unless_disabled() {
    let sim = sim();
    let (proxy, seen) = fake_proxy();
    std::env::set_var("HTTP_PROXY", &proxy);
    std::env::set_var("ALL_PROXY", &proxy);
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let via_env = Client::new(config(&sim, "svc", "s3cret-value")).unwrap();
    let direct = Client::new(config(&sim, "svc", "s3cret-value").no_proxy()).unwrap();
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("ALL_PROXY");

    let e = via_env.token().unwrap_err();
    let line = seen.join().unwrap();
    assert!(line.contains(&sim.addr().port().to_string()), "the proxy was asked for the simulator: {line:?}");
    assert!(matches!(e.kind(), ErrorKind::Server | ErrorKind::Network), "{e}");
    assert_eq!(requests(&sim), 0, "nothing reached the IAM directly");

    assert!(direct.token().is_ok());
    assert_eq!(requests(&sim), 1);
}
