//! Fleet mode against a real redis-server and the simulator, with separate
//! OS processes standing in for hosts: this test binary re-executed with
//! FLEET_CHILD set runs `fleet_child` only, several threads asking for tokens,
//! and prints one RESULT line. Token lifetimes, cool-downs and runs are short
//! (seconds) so that the suite stays fast.

mod common;
#[path = "common/redis_server.rs"]
mod redis_server;

use common::*;
use redis_server::RedisServer;
use std::collections::HashSet;
use std::process::{Command, Stdio};

/// One stand-in host's settings.
#[derive(Clone)]
struct Host {
    token_url: String,
    redis: Option<String>,
    /// Client ids, one client (and one thread) each; `threads` threads per client.
    ids: Vec<String>,
    secret: String,
    threads: usize,
    /// 0: each thread asks once; else ask every 10 ms for this long.
    run_ms: u64,
    cool_down_ms: u64,
    rate: f64,
    clock_offset_ms: i64,
    /// The shared cache timeout in ms; 0 for the library's default (50 ms).
    redis_timeout_ms: u64,
    /// Wall-clock ms at which every host starts asking (a cold start at once).
    start_at_ms: u64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Host {
    fn new(sim: &Sim, redis: &RedisServer, id: &str, secret: &str) -> Host {
        Host {
            token_url: sim.token_url(),
            redis: Some(redis.url()),
            ids: vec![id.to_string()],
            secret: secret.to_string(),
            threads: 3,
            run_ms: 0,
            cool_down_ms: 60_000,
            rate: 10.0,
            clock_offset_ms: 0,
            // Generous: these tests are about sharing while Redis answers, and
            // a loaded machine must not push a host into the standalone
            // fallback (tested on its own with the default 50 ms below).
            redis_timeout_ms: 1000,
            start_at_ms: now_ms() + 700,
        }
    }

    fn spawn(&self) -> std::process::Child {
        let exe = std::env::current_exe().unwrap();
        Command::new(exe)
            .args(["fleet_child", "--exact", "--nocapture", "--test-threads", "1"])
            .env("FLEET_CHILD", "1")
            .env("FLEET_TOKEN_URL", &self.token_url)
            .env("FLEET_REDIS", self.redis.clone().unwrap_or_default())
            .env("FLEET_IDS", self.ids.join(","))
            .env("FLEET_SECRET", &self.secret)
            .env("FLEET_THREADS", self.threads.to_string())
            .env("FLEET_RUN_MS", self.run_ms.to_string())
            .env("FLEET_COOL_DOWN_MS", self.cool_down_ms.to_string())
            .env("FLEET_RATE", self.rate.to_string())
            .env("FLEET_CLOCK_OFFSET_MS", self.clock_offset_ms.to_string())
            .env("FLEET_REDIS_TIMEOUT_MS", self.redis_timeout_ms.to_string())
            .env("FLEET_START_AT_MS", self.start_at_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    }
}

#[derive(Debug, Default)]
struct Report {
    ok: u64,
    errors: Vec<String>,
    max_ms: u64,
    tokens: HashSet<String>,
    from_fleet: u64,
}

fn wait(children: Vec<std::process::Child>) -> Vec<Report> {
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text
                .lines()
                .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
                .unwrap_or_else(|| panic!("child printed no RESULT: {text}"));
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            Report {
                ok: v["ok"].as_u64().unwrap(),
                errors: v["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect(),
                max_ms: v["max_ms"].as_u64().unwrap(),
                tokens: v["tokens"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect(),
                from_fleet: v["from_fleet"].as_u64().unwrap(),
            }
        })
        .collect()
}

fn run(hosts: &[Host]) -> Vec<Report> {
    wait(hosts.iter().map(Host::spawn).collect())
}

/// The child side: `hosts` spawns this test with FLEET_CHILD set.
#[test]
fn fleet_child() {
    if std::env::var_os("FLEET_CHILD").is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let num = |k: &str| var(k).parse::<u64>().unwrap();
    oauth2cc_core::set_host_clock_offset_for_tests(var("FLEET_CLOCK_OFFSET_MS").parse().unwrap());
    let (threads, run_ms) = (num("FLEET_THREADS") as usize, num("FLEET_RUN_MS"));
    let clients: Vec<Client> = var("FLEET_IDS")
        .split(',')
        .map(|id| {
            let mut c = Config::new(var("FLEET_TOKEN_URL"), id, var("FLEET_SECRET"))
                .credential_cool_down(Duration::from_millis(num("FLEET_COOL_DOWN_MS")))
                .max_requests_per_second(var("FLEET_RATE").parse().unwrap())
                .timeout(Duration::from_secs(20));
            if !var("FLEET_REDIS").is_empty() {
                c = c.shared_cache_url(var("FLEET_REDIS"));
            }
            if num("FLEET_REDIS_TIMEOUT_MS") > 0 {
                c = c.shared_cache_timeout(Duration::from_millis(num("FLEET_REDIS_TIMEOUT_MS")));
            }
            Client::new(c).unwrap()
        })
        .collect();
    let start = num("FLEET_START_AT_MS");
    std::thread::sleep(Duration::from_millis(start.saturating_sub(now_ms())));
    let end = Instant::now() + Duration::from_millis(run_ms);
    let report = std::sync::Mutex::new(Report::default());
    std::thread::scope(|s| {
        for c in &clients {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let t0 = Instant::now();
                    let r = c.token();
                    let ms = t0.elapsed().as_millis() as u64;
                    {
                        let mut rep = report.lock().unwrap();
                        rep.max_ms = rep.max_ms.max(ms);
                        match r {
                            Ok(t) => {
                                rep.ok += 1;
                                rep.tokens.insert(t.fingerprint());
                            }
                            Err(e) => rep.errors.push(format!("{:?}: {e}", e.kind())),
                        }
                    }
                    if Instant::now() >= end {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                });
            }
        }
    });
    let rep = report.into_inner().unwrap();
    let from_fleet =
        clients.iter().filter(|c| c.shared_cache_status().is_some_and(|s| s.token_from_shared_cache)).count();
    let standalone = clients.iter().filter(|c| c.shared_cache_status().is_some_and(|s| !s.available)).count();
    if standalone > 0 {
        eprintln!("fleet_child: {standalone} clients saw Redis fail");
    }
    let v = serde_json::json!({
        "ok": rep.ok, "errors": rep.errors, "max_ms": rep.max_ms,
        "tokens": rep.tokens.iter().collect::<Vec<_>>(), "from_fleet": from_fleet,
    });
    println!("RESULT {v}");
}

fn redis() -> Option<RedisServer> {
    RedisServer::start()
}

fn requests_for(sim: &Sim, id: &str) -> u64 {
    sim.stats().token_requests_by_client.get(id).copied().unwrap_or(0)
}

fn no_errors(reports: &[Report]) {
    for r in reports {
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.ok > 0);
    }
}

#[test]
fn a_cold_fleet_makes_one_request_and_renews_once() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("fleet", "fleet-secret").lifetime(2)]);
    let host = Host { run_ms: 2600, ..Host::new(&sim, &redis, "fleet", "fleet-secret") };
    let reports = run(&vec![host; 4]);
    no_errors(&reports);
    // The cold start (1) and one renewal at 80-90 % of 2 s (1); the next is past the run.
    assert_eq!(requests_for(&sim, "fleet"), 2, "{reports:?}");
    let all: HashSet<&String> = reports.iter().flat_map(|r| &r.tokens).collect();
    assert_eq!(all.len(), 2, "every host used the fleet's two tokens");
    assert!(reports.iter().map(|r| r.from_fleet).sum::<u64>() >= 3, "{reports:?}");
}

#[test]
fn two_hundred_cold_clients_stay_within_the_fleet_budget() {
    let Some(redis) = redis() else { return };
    let ids: Vec<String> = (0..200).map(|i| format!("many-{i}")).collect();
    let sim = sim_with(ids.iter().map(|id| ClientSpec::new(id, "many-secret")).collect());
    // 50 per second each: alone, the four would send 200 at once (and get 429s).
    // What is tested is the fleet's budget while Redis answers: a Redis
    // timeout generous enough that a loaded machine does not make a host
    // fall back to standalone (its own 50 per second; the fallback has its own tests).
    let base = Host { threads: 1, rate: 50.0, redis_timeout_ms: 2000, ..Host::new(&sim, &redis, "x", "many-secret") };
    let hosts: Vec<Host> = ids.chunks(50).map(|c| Host { ids: c.to_vec(), ..base.clone() }).collect();
    let reports = run(&hosts);
    no_errors(&reports);
    let s = sim.stats();
    assert_eq!((s.token_requests, s.rate_limited), (200, 0));
    let times = sim.token_request_times();
    let worst = times.iter().map(|t| times.iter().filter(|u| *u >= t && **u < *t + Duration::from_secs(1)).count());
    assert!(worst.clone().max().unwrap() <= 50, "a sliding second held {:?}", worst.max());
}

#[test]
fn a_wrong_secret_makes_one_request_per_cool_down() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("fleet-bad", "the-right-one")]);
    let host =
        Host { run_ms: 3300, cool_down_ms: 1000, threads: 2, ..Host::new(&sim, &redis, "fleet-bad", "a-wrong-one") };
    let start = host.start_at_ms;
    let reports = run(&vec![host; 5]);
    for r in &reports {
        assert_eq!(r.ok, 0);
        assert!(r.errors.iter().all(|e| e.starts_with("InvalidClient")), "{:?}", r.errors);
    }
    // One at the start, then one per cool-down: at most one more for timing slack.
    let elapsed = now_ms() - start;
    let n = requests_for(&sim, "fleet-bad");
    assert!(n >= 2 && n <= elapsed / 1000 + 2, "{n} requests in {elapsed} ms");
}

#[test]
fn a_retry_after_seen_by_one_host_holds_every_host() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("fleet-429", "s-429")]);
    sim.push_fault(Fault::Status { status: 429, retry_after: Some("2".into()), body: None }, 1);
    let host = Host { run_ms: 3000, ..Host::new(&sim, &redis, "fleet-429", "s-429") };
    let reports = run(&vec![host; 4]);
    let times = sim.token_request_times();
    assert_eq!(times.len(), 2, "the 429, then one request after its Retry-After");
    assert!(times[1] - times[0] >= Duration::from_millis(1900), "{:?}", times[1] - times[0]);
    assert!(reports.iter().all(|r| r.ok > 0), "{reports:?}");
}

#[test]
fn hosts_with_skewed_clocks_renew_once() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("fleet-skew", "skew-secret").lifetime(2)]);
    let host = Host { run_ms: 2600, ..Host::new(&sim, &redis, "fleet-skew", "skew-secret") };
    let hosts: Vec<Host> =
        [-180_000, 0, 180_000].iter().map(|&o| Host { clock_offset_ms: o, ..host.clone() }).collect();
    let reports = run(&hosts);
    no_errors(&reports);
    assert_eq!(requests_for(&sim, "fleet-skew"), 2, "{reports:?}");
}

#[test]
fn redis_killed_then_restarted_hosts_keep_serving_and_share_again() {
    let Some(mut redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("fleet-kill", "kill-secret").lifetime(2)]);
    let host = Host { run_ms: 6500, threads: 2, ..Host::new(&sim, &redis, "fleet-kill", "kill-secret") };
    let start = host.start_at_ms;
    let children: Vec<_> = (0..3).map(|_| host.spawn()).collect();
    let at = |ms: u64| std::thread::sleep(Duration::from_millis((start + ms).saturating_sub(now_ms())));
    at(1000);
    redis.kill();
    at(3000);
    redis.restart();
    // Rejoined within a second; from then on one request per renewal.
    at(4300);
    let before = requests_for(&sim, "fleet-kill");
    at(6300);
    let after = requests_for(&sim, "fleet-kill");
    let reports = wait(children);
    no_errors(&reports);
    for r in &reports {
        // The fallback is immediate (the deadline is 20 s): no call waits for Redis.
        assert!(r.max_ms < 2000, "a call took {} ms", r.max_ms);
    }
    assert!(after - before <= 2, "{} requests in 2 s after the restart (3 hosts alone: 3 or more)", after - before);
}

#[test]
fn entries_are_unreadable_and_unforgeable_without_the_credential() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![ClientSpec::new("sealed", "sealed-secret")]);
    let cfg = |secret: &str| config(&sim, "sealed", secret).shared_cache_url(redis.url());
    let a = Client::new(cfg("sealed-secret")).unwrap();
    let token = a.token().unwrap();
    let mut conn = redis.conn();
    let keys: Vec<String> = redis::cmd("KEYS").arg("oauth2cc:*:token").query(&mut conn).unwrap();
    assert_eq!(keys.len(), 1);
    let raw: Vec<u8> = redis::cmd("GET").arg(&keys[0]).query(&mut conn).unwrap();
    let at = token.access_token().as_bytes();
    assert!(!raw.windows(16).any(|w| at.windows(16).any(|x| x == w)), "the token is readable in Redis");
    // Another credential does not open the entry: it sends its own (failing) request.
    let b = Client::new(cfg("not-the-secret")).unwrap();
    assert_eq!(b.token().unwrap_err().kind(), ErrorKind::InvalidClient);
    assert_eq!(requests(&sim), 2);
    // A tampered entry is ignored and replaced.
    let mut bad = raw.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    let _: () = redis::cmd("SET").arg(&keys[0]).arg(bad).query(&mut conn).unwrap();
    let c = Client::new(cfg("sealed-secret")).unwrap();
    let t2 = c.token().unwrap();
    assert_ne!(t2.access_token(), token.access_token());
    assert_eq!(requests(&sim), 3);
    assert!(!c.shared_cache_status().unwrap().token_from_shared_cache);
    let d = Client::new(cfg("sealed-secret")).unwrap();
    assert_eq!(d.token().unwrap().access_token(), t2.access_token(), "the replacement is shared");
    assert!(d.shared_cache_status().unwrap().token_from_shared_cache);
    assert_eq!(requests(&sim), 3);
}

#[test]
fn a_dead_redis_costs_nothing_and_is_logged_without_credentials() {
    // No server on this port: the client works standalone at once.
    let sim = sim_with(vec![]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://admin:hunter2-pw@127.0.0.1:{port}");
    capture_logs();
    let c = Client::new(config(&sim, "svc", "s3cret-value").shared_cache_url(url.as_str())).unwrap();
    let t0 = Instant::now();
    c.token().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(2));
    let status = c.shared_cache_status().unwrap();
    assert!(!status.available && !status.url.contains("hunter2"), "{status:?}");
    let lines = log_lines();
    assert!(lines.iter().any(|l| l.contains("working standalone")), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains("hunter2") && !l.contains("s3cret")), "{lines:?}");
    assert!(!format!("{c:?}{:?}", c.config()).contains("hunter2"));
}

#[test]
fn a_slow_flushed_or_full_redis_is_worked_around_within_the_timeout() {
    let Some(redis) = redis() else { return };
    let sim = sim_with(vec![]);
    let cfg = || config(&sim, "svc", "s3cret-value").shared_cache_url(redis.url());
    // Slow: Redis busy for 3 s. The call falls back at the 50 ms timeout.
    let busy = {
        let mut conn = redis.conn();
        std::thread::spawn(move || redis::cmd("DEBUG").arg("SLEEP").arg(3).query::<()>(&mut conn))
    };
    std::thread::sleep(Duration::from_millis(200));
    let a = Client::new(cfg()).unwrap();
    let t0 = Instant::now();
    a.token().unwrap();
    assert!(t0.elapsed() < Duration::from_millis(1500), "{:?}", t0.elapsed());
    assert!(!a.shared_cache_status().unwrap().available);
    busy.join().unwrap().unwrap();
    // Flushed: the next process requests one token and shares it again (after the rejoin pause).
    let _: () = redis::cmd("FLUSHALL").query(&mut redis.conn()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let before = requests(&sim);
    let b = Client::new(cfg()).unwrap();
    b.token().unwrap();
    assert!(b.shared_cache_status().unwrap().available);
    let c = Client::new(cfg()).unwrap();
    c.token().unwrap();
    assert!(c.shared_cache_status().unwrap().token_from_shared_cache);
    assert_eq!(requests(&sim), before + 1);
    // Full (OOM on writes): tokens still come, standalone.
    let _: () = redis::cmd("FLUSHALL").query(&mut redis.conn()).unwrap();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("1").query(&mut redis.conn()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let d = Client::new(cfg()).unwrap();
    d.token().unwrap();
    assert!(!d.shared_cache_status().unwrap().available);
}
