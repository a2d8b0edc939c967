//! The command in fleet mode: cron jobs on many hosts share one token through
//! Redis, and `oauth2cc inspect` says where the token came from.

#[path = "../../oauth2cc-core/tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use iam_sim::{ClientSpec, Sim, SimConfig};
use std::process::{Command, Stdio};

const SECRET: &str = "cli-fleet-S3cret";

fn inspect(sim: &Sim, url: &str, home: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_oauth2cc"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("OAUTH2CC_TOKEN_URL", sim.token_url())
        .env("OAUTH2CC_CLIENT_ID", "svc")
        .env("OAUTH2CC_CLIENT_SECRET", SECRET)
        .env("OAUTH2CC_SHARED_CACHE_URL", url)
        .args(["--no-cache", "inspect"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(SECRET) && !text.contains("redis-pw"), "{text}");
    text
}

#[test]
fn runs_on_two_hosts_share_one_token_and_inspect_says_so() {
    let Some(redis) = redis_server::RedisServer::start() else { return };
    let sim = Sim::start(SimConfig { clients: vec![ClientSpec::new("svc", SECRET)], ..SimConfig::default() }).unwrap();
    let home = std::env::temp_dir().join(format!("oauth2cc-cli-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let first = inspect(&sim, &redis.url(), &home);
    assert!(first.contains("shared_cache: redis://127.0.0.1:"), "{first}");
    assert!(first.contains("token_source: requested by this process"), "{first}");
    let second = inspect(&sim, &redis.url(), &home);
    assert!(second.contains("token_source: the shared cache"), "{second}");
    assert_eq!(sim.stats().token_requests, 1);
    // Redis down: standalone, and said so (the URL without its password).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = inspect(&sim, &format!("redis://u:redis-pw@127.0.0.1:{port}"), &home);
    assert!(down.contains("unavailable") && down.contains("token_source: requested by this process"), "{down}");
}
