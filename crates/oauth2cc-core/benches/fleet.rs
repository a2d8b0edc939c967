//! Fleet mode benchmarks (make bench), against a real redis-server and the
//! in-process simulator; prints JSON lines for bench/report.py:
//!
//! - a cached read with the fleet option on and off, interleaved in one run
//!   (goal: equal: a cached read never reaches Redis);
//! - the cold start of a process joining a warm fleet (the token is in
//!   Redis) versus a cold one (Redis empty: the process requests it), from
//!   spawn to exit, this binary re-executed as the process;
//! - requests per renewal for a fleet of 50 processes (goal 1).

#[path = "../tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use iam_sim::{ClientSpec, Sim, SimConfig};
use oauth2cc_core::{Client, Config};
use redis_server::RedisServer;
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn config(url: &str, id: &str, redis: Option<&str>) -> Config {
    let c = Config::new(url, id, "bench-secret").max_requests_per_second(50.0).timeout(Duration::from_secs(20));
    match redis {
        Some(r) => c.shared_cache_url(r),
        None => c,
    }
}

/// The child: one client; asks once (cold start), or every 20 ms until
/// FLEET_BENCH_RUN_MS has passed, printing the distinct tokens it saw.
fn child() {
    let var = |k: &str| std::env::var(k).unwrap();
    let c =
        Client::new(config(&var("FLEET_BENCH_URL"), &var("FLEET_BENCH_ID"), Some(&var("FLEET_BENCH_REDIS")))).unwrap();
    let run_ms: u64 = var("FLEET_BENCH_RUN_MS").parse().unwrap();
    if run_ms == 0 {
        c.token().unwrap();
        return;
    }
    let start: u64 = var("FLEET_BENCH_START_MS").parse().unwrap();
    std::thread::sleep(Duration::from_millis(start.saturating_sub(now_ms())));
    let end = Instant::now() + Duration::from_millis(run_ms);
    let mut seen = HashSet::new();
    let mut errors = 0;
    while Instant::now() < end {
        match c.token() {
            Ok(t) => {
                seen.insert(t.fingerprint());
            }
            Err(_) => errors += 1,
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("SEEN {} {errors}", seen.len());
}

fn spawn(sim: &Sim, redis: &RedisServer, id: &str, run_ms: u64, start_ms: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .env("FLEET_BENCH_CHILD", "1")
        .env("FLEET_BENCH_URL", sim.token_url())
        .env("FLEET_BENCH_ID", id)
        .env("FLEET_BENCH_REDIS", redis.url())
        .env("FLEET_BENCH_RUN_MS", run_ms.to_string())
        .env("FLEET_BENCH_START_MS", start_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn cached_read(sim: &Sim, redis: &RedisServer) {
    let off = Client::new(config(&sim.token_url(), "big", None)).unwrap();
    let on = Client::new(config(&sim.token_url(), "big", Some(&redis.url()))).unwrap();
    off.token().unwrap();
    on.token().unwrap();
    const CALLS: u32 = 2_000_000;
    let time = |c: &Client| {
        let mut buf = [0u8; 2048];
        let t0 = Instant::now();
        for _ in 0..CALLS {
            c.with_token(|t| {
                let s = t.access_token().as_bytes();
                buf[..s.len()].copy_from_slice(s);
            })
            .unwrap();
        }
        std::hint::black_box(&buf);
        t0.elapsed().as_nanos() as f64 / CALLS as f64
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        a.push(time(&off));
        b.push(time(&on));
    }
    let (off_ns, on_ns) = (median(a), median(b));
    println!(
        "{{\"bench\":\"fleet_cached_read\",\"off_ns\":{off_ns:.2},\"on_ns\":{on_ns:.2},\"ratio\":{:.3}}}",
        on_ns / off_ns
    );
}

fn cold_start(sim: &Sim, redis: &RedisServer) {
    const N: usize = 15;
    let flush = || {
        let _: () = redis::cmd("FLUSHALL").query(&mut redis.conn()).unwrap();
    };
    let once = || {
        let t0 = Instant::now();
        let out = spawn(sim, redis, "big", 0, 0).wait_with_output().unwrap();
        assert!(out.status.success());
        t0.elapsed().as_secs_f64() * 1000.0
    };
    // Interleaved: warm (the fleet holds the token), then cold (Redis empty).
    let (mut warm, mut cold) = (Vec::new(), Vec::new());
    let before = sim.stats().token_requests;
    for _ in 0..N {
        flush();
        Client::new(config(&sim.token_url(), "big", Some(&redis.url()))).unwrap().token().unwrap();
        warm.push(once());
        flush();
        cold.push(once());
    }
    let requests = sim.stats().token_requests - before;
    let (w, c) = (median(warm), median(cold));
    println!(
        "{{\"bench\":\"fleet_cold_start\",\"warm_ms\":{w:.2},\"cold_ms\":{c:.2},\"runs\":{N},\"requests\":{requests}}}"
    );
}

fn fleet_of_50(sim: &Sim, redis: &RedisServer) {
    const PROCS: usize = 50;
    const RUN_MS: u64 = 6000;
    let _: () = redis::cmd("FLUSHALL").query(&mut redis.conn()).unwrap();
    // Every process spawned before the common start (a cold start at once).
    let start = now_ms() + 3000;
    let children: Vec<_> = (0..PROCS).map(|_| spawn(sim, redis, "fleet50", RUN_MS, start)).collect();
    let (mut max_seen, mut errors) = (0u64, 0u64);
    for c in children {
        let out = c.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find_map(|l| l.strip_prefix("SEEN ")).expect("child printed no SEEN line");
        let mut parts = line.split(' ').map(|n| n.parse::<u64>().unwrap());
        max_seen = max_seen.max(parts.next().unwrap());
        errors += parts.next().unwrap();
    }
    let requests = sim.stats().token_requests_by_client.get("fleet50").copied().unwrap_or(0);
    // A process asking every 20 ms sees every token the fleet used: the
    // cold start's and one per renewal.
    println!(
        "{{\"bench\":\"fleet_50\",\"processes\":{PROCS},\"run_ms\":{RUN_MS},\"lifetime_s\":2,\"requests\":{requests},\
         \"tokens\":{max_seen},\"requests_per_token\":{:.3},\"errors\":{errors}}}",
        requests as f64 / max_seen.max(1) as f64
    );
}

fn main() {
    if std::env::var_os("FLEET_BENCH_CHILD").is_some() {
        child();
        return;
    }
    // `cargo test --benches` runs this with --test-free arguments too: only `cargo bench` (--bench) measures.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        eprintln!("fleet benchmarks skipped: no redis-server");
        return;
    };
    let sim = Sim::start(SimConfig {
        clients: vec![
            ClientSpec::new("big", "bench-secret").token_size(1024),
            ClientSpec::new("fleet50", "bench-secret").lifetime(2),
        ],
        rate_limit_per_sec: 0,
        ..SimConfig::default()
    })
    .unwrap();
    cached_read(&sim, &redis);
    cold_start(&sim, &redis);
    fleet_of_50(&sim, &redis);
}
