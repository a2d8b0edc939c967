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

/// A simulator serving HTTPS for `names`, and a file holding its CA.
pub fn tls_sim(names: &[&str]) -> (Sim, std::path::PathBuf) {
    let sim = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("svc", "s3cret-value")],
        tls_names: Some(names.iter().map(|s| s.to_string()).collect()),
        ..SimConfig::default()
    })
    .expect("start TLS simulator");
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("oauth2cc-test-ca-{}-{n}.pem", std::process::id()));
    std::fs::write(&path, sim.ca_pem().unwrap()).unwrap();
    (sim, path)
}

/// A local HTTP CONNECT proxy; returns its URL and a log of CONNECT targets.
pub fn connect_proxy() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 2 {
                    line.clear();
                }
                let target = first.split(' ').nth(1).unwrap_or_default().to_string();
                log.lock().unwrap().push(first.trim().to_string());
                let mut client = client;
                let Ok(upstream) = std::net::TcpStream::connect(&target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                let mut up_w = upstream.try_clone().unwrap();
                let to_server = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut reader, &mut up_w);
                    let _ = up_w.shutdown(std::net::Shutdown::Write);
                });
                let (mut up_r, mut client_w) = (upstream, client);
                let _ = std::io::copy(&mut up_r, &mut client_w);
                let _ = client_w.shutdown(std::net::Shutdown::Write);
                let _ = to_server.join();
            });
        }
    });
    (url, seen)
}

static LOG_LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        // oauth2cc's own lines, as the C and Python bindings forward them (the
        // HTTP library's trace lines hold bytes of the exchange; they are not ours).
        if oauth2cc_core::is_oauth2cc_log_target(r.target()) {
            LOG_LINES.lock().unwrap().push(format!("{} {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}

/// Collects oauth2cc's log lines in this test process, at every level (the first
/// call installs the logger; later ones do nothing). See [`log_lines`].
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// The lines [`capture_logs`] collected so far, as "LEVEL message".
pub fn log_lines() -> Vec<String> {
    LOG_LINES.lock().unwrap().clone()
}
