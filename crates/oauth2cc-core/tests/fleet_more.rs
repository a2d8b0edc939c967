//! Fleet mode: discovery (an issuer instead of a token URL), the Redis
//! transports (`rediss://`, `redis+unix://`), a password file with an ACL
//! user, and a leaseholder killed mid-request. Against real redis-server
//! processes and the simulator.

mod common;
#[path = "common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use common::*;
use redis_server::RedisServer;

#[test]
fn a_fleet_with_discovery_shares_one_token() {
    let Some(redis) = RedisServer::start() else { return };
    let sim = sim();
    let cfg = || Config::new("", "svc", "s3cret-value").issuer(sim.issuer()).shared_cache_url(redis.url());
    let a = Client::new(cfg()).unwrap();
    let t = a.token().unwrap();
    let b = Client::new(cfg()).unwrap();
    assert_eq!(b.token().unwrap().access_token(), t.access_token());
    assert!(b.shared_cache_status().unwrap().token_from_shared_cache);
    assert_eq!(requests(&sim), 1);
    // Budgeted on the issuer's host: the same budget as a client naming the token URL there.
    let c = Client::new(config(&sim, "short", "short-secret").shared_cache_url(redis.url())).unwrap();
    c.token().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*").query(&mut redis.conn()).unwrap();
    assert_eq!(keys.iter().filter(|k| k.contains(":budget:")).count(), 1, "{keys:?}");
}

/// Two clients (two "processes" as far as Redis is concerned: each its own
/// client) through `url`: one token request, the second reads it from Redis.
fn two_share(sim: &Sim, cfg: impl Fn() -> Config) {
    let before = requests(sim);
    let a = Client::new(cfg()).unwrap();
    let t = a.token().unwrap();
    assert!(a.shared_cache_status().unwrap().available);
    let b = Client::new(cfg()).unwrap();
    assert_eq!(b.token().unwrap().access_token(), t.access_token());
    let s = b.shared_cache_status().unwrap();
    assert!(s.available && s.token_from_shared_cache, "{s:?}");
    assert_eq!(requests(sim), before + 1);
}

/// Whether the server binary was built with TLS (it links OpenSSL).
fn server_has_tls() -> bool {
    let bin = std::env::var_os("REDIS_SERVER").map(std::path::PathBuf::from).or_else(|| {
        let path = std::env::var_os("PATH")?;
        ["redis-server", "valkey-server"]
            .iter()
            .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
            .find(|p| p.is_file())
    });
    let Some(bytes) = bin.and_then(|b| std::fs::read(b).ok()) else { return false };
    bytes.windows(11).any(|w| w == b"SSL_CTX_new")
}

#[test]
fn rediss_with_the_ca_file_shares_tokens() {
    if !server_has_tls() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("redis-server has no TLS support and CI=true");
        }
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(b"\n!!!!!!!! SKIPPED: redis-server without TLS: rediss:// NOT tested\n\n");
        return;
    }
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Some(_redis) = RedisServer::start_with(|dir| {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        vec![
            "--tls-port".into(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            p("server.pem"),
            "--tls-key-file".into(),
            p("server.key"),
            "--tls-ca-cert-file".into(),
            p("ca.pem"),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    }) else {
        return;
    };
    let sim = sim();
    let ca = _redis.dir.join("ca.pem");
    let url = format!("rediss://127.0.0.1:{tls_port}");
    two_share(&sim, || config(&sim, "svc", "s3cret-value").ca_file(&ca).shared_cache_url(url.as_str()));
    // Without the CA the server is not trusted: standalone, tokens still served.
    let c = Client::new(config(&sim, "short", "short-secret").shared_cache_url(url.as_str())).unwrap();
    c.token().unwrap();
    assert!(!c.shared_cache_status().unwrap().available);
}

#[test]
fn redis_over_a_unix_socket_shares_tokens() {
    let Some(redis) = RedisServer::start_with(|dir| {
        vec![
            "--unixsocket".into(),
            dir.join("redis.sock").to_string_lossy().into_owned(),
            "--unixsocketperm".into(),
            "700".into(),
        ]
    }) else {
        return;
    };
    let sim = sim();
    let url = format!("redis+unix://{}", redis.dir.join("redis.sock").display());
    two_share(&sim, || config(&sim, "svc", "s3cret-value").shared_cache_url(url.as_str()));
}

#[test]
fn a_password_file_with_an_acl_user_is_used_and_never_shown() {
    let Some(redis) = RedisServer::start() else { return };
    const PW: &str = "fleet-pw-7f3a9c";
    let mut conn = redis.conn();
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("fleet")
        .arg("on")
        .arg(format!(">{PW}"))
        .arg("~oauth2cc:*")
        .arg("+@all")
        .query(&mut conn)
        .unwrap();
    // No anonymous access from here on: only the password opens Redis.
    let _: () = redis::cmd("ACL").arg("SETUSER").arg("default").arg("off").query(&mut conn).unwrap();
    drop(conn);
    let dir = std::env::temp_dir().join(format!("oauth2cc-fleet-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (good, bad) = (dir.join("good"), dir.join("bad"));
    std::fs::write(&good, format!("{PW}\n")).unwrap();
    std::fs::write(&bad, "wrong-pw-1d2e\n").unwrap();
    capture_logs();
    let sim = sim();
    let url = format!("redis://fleet@127.0.0.1:{}", redis.port);
    two_share(&sim, || {
        config(&sim, "svc", "s3cret-value").shared_cache_url(url.as_str()).shared_cache_password_file(&good)
    });
    // A wrong password: standalone (tokens served), and the password is nowhere.
    let c = Client::new(
        config(&sim, "short", "short-secret").shared_cache_url(url.as_str()).shared_cache_password_file(&bad),
    )
    .unwrap();
    c.token().unwrap();
    let status = c.shared_cache_status().unwrap();
    assert!(!status.available);
    let shown = format!("{c:?} {:?} {status:?} {}", c.config(), log_lines().join("\n"));
    assert!(shown.contains("working standalone"), "{shown}");
    // The reason in words an operator can act on (not the client library's "Extension").
    assert!(shown.contains("authentication failed"), "{shown}");
    for pw in [PW, "wrong-pw-1d2e"] {
        assert!(!shown.contains(pw), "the password is shown: {shown}");
    }
    // A missing password file is a configuration error naming the file, not its content.
    let e = Client::new(
        config(&sim, "svc", "s3cret-value").shared_cache_url(url.as_str()).shared_cache_password_file(dir.join("none")),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}

/// The child side of the lease test: one client asking once (FLEET_LEASE_CHILD set).
#[test]
fn lease_child() {
    let Some(url) = std::env::var_os("FLEET_LEASE_CHILD") else { return };
    let c = Client::new(
        Config::new(std::env::var("FLEET_TOKEN_URL").unwrap(), "svc", "s3cret-value")
            .shared_cache_url(url.to_str().unwrap())
            .timeout(Duration::from_millis(std::env::var("FLEET_LEASE_TIMEOUT_MS").unwrap().parse().unwrap())),
    )
    .unwrap();
    let _ = c.token();
}

/// Runs `lease_child` (timeout `timeout_ms`) until its request has reached the
/// IAM, which the test made slow, so that it holds the lease; then SIGKILLs it.
fn kill_leaseholder_mid_request(redis: &RedisServer, sim: &Sim, timeout_ms: u64) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["lease_child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("FLEET_LEASE_CHILD", redis.url())
        .env("FLEET_TOKEN_URL", sim.token_url())
        .env("FLEET_LEASE_TIMEOUT_MS", timeout_ms.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while requests(sim) < 1 {
        assert!(Instant::now() < until, "the child sent no request");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn a_leaseholder_with_an_hour_long_timeout_holds_the_lease_for_seconds_not_an_hour() {
    let Some(redis) = RedisServer::start() else { return };
    let sim = sim();
    sim.push_fault(Fault::Delay(Duration::from_secs(10)), 1);
    kill_leaseholder_mid_request(&redis, &sim, 3_600_000);
    let leases: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*:lease").query(&mut redis.conn()).unwrap();
    assert_eq!(leases.len(), 1);
    let ttl: i64 = redis::cmd("PTTL").arg(&leases[0]).query(&mut redis.conn()).unwrap();
    // A dead leaseholder blocks the fleet's cold hosts for at most the lease's
    // cap (16 s), whatever the timeout it was configured with.
    assert!(ttl > 0 && ttl <= 16_000, "lease TTL {ttl} ms");
}

#[test]
fn a_leaseholder_killed_mid_request_is_taken_over_and_nobody_waits_past_its_deadline() {
    let Some(redis) = RedisServer::start() else { return };
    let sim = sim();
    // The leaseholder's request hangs at the IAM (it is killed meanwhile).
    sim.push_fault(Fault::Delay(Duration::from_secs(4)), 1);
    kill_leaseholder_mid_request(&redis, &sim, 2000);
    let leases: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*:lease").query(&mut redis.conn()).unwrap();
    assert_eq!(leases.len(), 1, "the dead child's lease is still there");
    let cfg = |timeout: u64| {
        config(&sim, "svc", "s3cret-value").shared_cache_url(redis.url()).timeout(Duration::from_millis(timeout))
    };
    std::thread::scope(|s| {
        // A host with a short deadline waits for the lease and gives up at its deadline.
        let short = s.spawn(|| {
            let t0 = Instant::now();
            let r = Client::new(cfg(500)).unwrap().token();
            (r.map(|_| ()).map_err(|e| e.kind()), t0.elapsed())
        });
        // A host with a long deadline takes over once the lease has expired (about 3 s).
        let t0 = Instant::now();
        let long = Client::new(cfg(15_000)).unwrap();
        long.token().unwrap();
        let took = t0.elapsed();
        assert!(took < Duration::from_secs(15), "waited past its deadline: {took:?}");
        assert!(long.shared_cache_status().unwrap().requests == 1, "the long host did not take over");
        let (r, short_took) = short.join().unwrap();
        assert_eq!(r, Err(ErrorKind::Timeout));
        // Its deadline is 500 ms; slack for a loaded machine, far below the lease's 3 s.
        assert!(short_took < Duration::from_millis(2500), "{short_took:?}");
    });
    assert_eq!(requests(&sim), 2);
}
