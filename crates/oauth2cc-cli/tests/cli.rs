//! The `oauth2cc` command against the simulator: the cross-process cache,
//! every exit status, and the secret kept out of arguments and output.

use iam_sim::{ClientSpec, Fault, Sim, SimConfig};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SECRET: &str = "cli-S3cret-value";

fn sim() -> Sim {
    Sim::start(SimConfig {
        clients: vec![
            ClientSpec::new("svc", SECRET).scopes(&["orders:read"]),
            ClientSpec::new("short", SECRET).lifetime(2),
        ],
        ..SimConfig::default()
    })
    .unwrap()
}

fn tmpdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("oauth2cc-cli-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    // Private, like ~/.cache/oauth2cc: used as is (a shared one gets an oauth2cc-UID inside).
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

/// The command with a clean environment: the simulator's URL, the secret in the environment.
fn cmd(sim: &Sim, cache: &Path, id: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oauth2cc"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cache)
        .env("OAUTH2CC_TOKEN_URL", sim.token_url())
        .env("OAUTH2CC_CLIENT_ID", id)
        .env("OAUTH2CC_CLIENT_SECRET", SECRET)
        .env("OAUTH2CC_CACHE_DIR", cache)
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> Output {
    let out = c.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(SECRET), "the secret appeared in the output");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn token_file(cache: &Path) -> PathBuf {
    std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "token"))
        .expect("a token file")
}

#[test]
fn twenty_processes_on_a_cold_cache_make_one_request() {
    let sim = sim();
    sim.push_fault(Fault::Delay(std::time::Duration::from_millis(300)), 1);
    let cache = tmpdir("cold");
    let children: Vec<_> = (0..20)
        .map(|_| cmd(&sim, &cache, "svc").arg("token").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap())
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    assert!(
        outs.iter().all(|o| o.status.success()),
        "{:?}",
        outs.iter().map(|o| String::from_utf8_lossy(&o.stderr).to_string()).collect::<Vec<_>>()
    );
    let first = stdout(&outs[0]);
    assert!(outs.iter().all(|o| stdout(o) == first));
    assert_eq!(sim.stats().token_requests, 1);
}

#[test]
fn a_hundred_invocations_within_the_lifetime_make_one_request() {
    let sim = sim();
    let cache = tmpdir("seq");
    let first = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    for _ in 0..99 {
        assert_eq!(stdout(&run(cmd(&sim, &cache, "svc").arg("token"))), first);
    }
    assert_eq!(sim.stats().token_requests, 1);
    let f = token_file(&cache);
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o700);
    assert!(!std::fs::read_to_string(&f).unwrap().contains(SECRET));
}

#[test]
fn corrupt_foreign_and_expired_files_are_replaced() {
    let sim = sim();
    let cache = tmpdir("bad");
    let t1 = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    let f = token_file(&cache);
    std::fs::write(&f, "{not json").unwrap();
    let t2 = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    assert_ne!(t1, t2);
    assert_eq!(sim.stats().token_requests, 2);
    // Readable by others: not trusted, replaced, and private again.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let t3 = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    assert_ne!(t2, t3);
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
    // A directory others can enter is never chmodded: a private oauth2cc-UID inside it is used.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_ne!(stdout(&run(cmd(&sim, &cache, "svc").arg("token"))), t3, "a new directory, a new key");
    assert_eq!(std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777, 0o755);
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&cache).unwrap());
    assert!(token_file(&cache.join(format!("oauth2cc-{uid}"))).exists());
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Expired in the file: a new request.
    let text = std::fs::read_to_string(&f).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["renew_at"] = serde_json::json!(1.0);
    v["expires_at"] = serde_json::json!(2.0);
    v["issued_at"] = serde_json::json!(0.0);
    std::fs::write(&f, v.to_string()).unwrap();
    let t4 = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    assert_ne!(t3, t4);
    assert_eq!(sim.stats().token_requests, 5);
}

#[test]
fn a_wrong_secret_pauses_every_later_process() {
    let sim = sim();
    let cache = tmpdir("wrong");
    for _ in 0..10 {
        let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_CLIENT_SECRET", "nope-not-it").arg("token"));
        assert_eq!(code(&o), 3);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("rejected the client credentials"), "{err}");
        // The later ones, served from the recorded pause, keep the hint.
        assert!(err.contains("hint: check the client id and secret"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert_eq!(sim.stats().token_requests, 1, "one failed login, not ten");
    // The right secret is another cache key: not paused.
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").arg("token"))), 0);
}

#[test]
fn every_exit_status() {
    let sim = sim();
    let cache = tmpdir("codes");
    let api = |p: &str| format!("{}{p}", sim.base_url());
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").arg("token"))), 0);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").arg("header"))), 0);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").arg("inspect"))), 0);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["request", "GET", &api("/api/echo")]))), 0);
    // 2: usage and configuration.
    for args in
        [vec![], vec!["fly"], vec!["--client-secret", SECRET, "token"], vec!["--bogus", "token"], vec!["request"]]
    {
        let o = run(cmd(&sim, &cache, "svc").args(&args));
        assert_eq!(code(&o), 2, "{args:?}");
    }
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").env_remove("OAUTH2CC_TOKEN_URL").arg("token"))), 2);
    assert_eq!(
        code(&run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", "http://iam.example.com/t").arg("token"))),
        2
    );
    // 3: rejected credentials or scope.
    assert_eq!(
        code(&run(cmd(&sim, &cache, "svc").arg("--no-cache").env("OAUTH2CC_CLIENT_SECRET", "bad").arg("token"))),
        3
    );
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["--no-cache", "--scope", "admin", "token"]))), 3);
    // 4 to 8: token endpoint failures.
    let fail = |f: Fault| {
        sim.push_fault(f, 1);
        code(&run(cmd(&sim, &cache, "short").args(["--no-cache", "token"])))
    };
    assert_eq!(fail(Fault::Status { status: 429, retry_after: Some("3".into()), body: None }), 4);
    assert_eq!(fail(Fault::Close), 5);
    assert_eq!(fail(Fault::Status { status: 500, retry_after: None, body: None }), 7);
    assert_eq!(fail(Fault::Html), 8);
    let down =
        run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", "http://127.0.0.1:1/t").args(["--no-cache", "token"]));
    assert_eq!(code(&down), 5);
    let tls = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("svc", SECRET)],
        tls_names: Some(vec!["127.0.0.1".into()]),
        ..SimConfig::default()
    })
    .unwrap();
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", tls.token_url()).args([
        "--no-cache",
        "--proxy",
        "",
        "token",
    ]));
    assert_eq!(code(&o), 6, "{}", String::from_utf8_lossy(&o.stderr));
    // 9 and 10: the API's own answer.
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["request", "GET", &api("/api/scope/orders:write")]))), 9);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["request", "GET", &api("/api/status/404")]))), 9);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["request", "GET", &api("/api/status/503")]))), 10);
    // Errors are one line with a hint, on stderr.
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "--scope", "admin", "token"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("oauth2cc: ") && err.contains("hint:"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn request_renews_and_resends_once_after_a_revocation() {
    let sim = sim();
    let cache = tmpdir("req");
    let old = stdout(&run(cmd(&sim, &cache, "svc").arg("token")));
    sim.revoke_all();
    let o = run(cmd(&sim, &cache, "svc").args([
        "request",
        "POST",
        &format!("{}/api/echo", sim.base_url()),
        "-H",
        "X-Test: yes",
        "-d",
        "twelve bytes",
    ]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let body: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((body["body_bytes"].as_u64(), body["x_test"].as_str()), (Some(12), Some("yes")));
    assert_ne!(stdout(&run(cmd(&sim, &cache, "svc").arg("token"))), old, "the new token is in the shared cache");
    assert_eq!(sim.stats().token_requests, 2);
}

#[test]
fn secret_from_a_file_stdin_or_a_profile_never_from_arguments() {
    let sim = sim();
    let cache = tmpdir("secret");
    let secret_file = cache.join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let f = run(cmd(&sim, &cache, "svc")
        .env_remove("OAUTH2CC_CLIENT_SECRET")
        .args(["--no-cache", "--client-secret-file"])
        .arg(&secret_file)
        .arg("token"));
    assert_eq!(code(&f), 0);
    let mut child = cmd(&sim, &cache, "svc")
        .env_remove("OAUTH2CC_CLIENT_SECRET")
        .args(["--no-cache", "--client-secret-stdin", "header"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{SECRET}\n").as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(stdout(&o).starts_with("Authorization: Bearer ey"));
    // A profile in the config file.
    let config = cache.join("config");
    std::fs::write(
        &config,
        format!("[default]\ntoken_url = http://127.0.0.1:1/wrong\n\n[profile ci]\ntoken_url = {}\nclient_id = svc\nclient_secret_file = {}\nscope = orders:read\n", sim.token_url(), secret_file.display()),
    )
    .unwrap();
    let p = run(Command::new(env!("CARGO_BIN_EXE_oauth2cc"))
        .env_clear()
        .env("HOME", &cache)
        .args(["--no-cache", "--config"])
        .arg(&config)
        .args(["--profile", "ci", "inspect"]));
    assert_eq!(code(&p), 0, "{}", String::from_utf8_lossy(&p.stderr));
    assert!(stdout(&p).contains("scope: profile email orders:read"));
    std::fs::write(&config, format!("[default]\nclient_secret = {SECRET}\n")).unwrap();
    let bad =
        run(Command::new(env!("CARGO_BIN_EXE_oauth2cc")).env_clear().args(["--config"]).arg(&config).arg("token"));
    assert_eq!(code(&bad), 2);
    // The secret on the command line is refused, and not echoed.
    let o = run(cmd(&sim, &cache, "svc").args(["--client-secret", SECRET, "token"]));
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("never pass the secret"));
}

#[test]
fn flags_beat_the_environment_which_beats_the_profile() {
    let sim = sim();
    let cache = tmpdir("precedence");
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let (right, wrong) = (cache.join("right"), cache.join("wrong"));
    std::fs::write(&right, format!("{SECRET}\n")).unwrap();
    std::fs::write(&wrong, "wrong-secret\n").unwrap();
    // A secret file named by a flag beats OAUTH2CC_CLIENT_SECRET.
    let o = run(cmd(&sim, &cache, "svc")
        .env("OAUTH2CC_CLIENT_SECRET", "wrong-secret")
        .args(["--no-cache", "--client-secret-file"])
        .arg(&right)
        .arg("token"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // OAUTH2CC_CLIENT_SECRET beats OAUTH2CC_CLIENT_SECRET_FILE's fallback only
    // at the same level: both are environment; the profile's file loses to both.
    let config = cache.join("config");
    std::fs::write(
        &config,
        format!("[default]\ntoken_url = http://127.0.0.1:1/wrong\nclient_secret_file = {}\n", wrong.display()),
    )
    .unwrap();
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "--config"]).arg(&config).arg("token"));
    assert_eq!(code(&o), 0, "the environment's URL and secret beat the profile's: {}", stderr(&o));
    let o = run(cmd(&sim, &cache, "svc")
        .env_remove("OAUTH2CC_CLIENT_SECRET")
        .env("OAUTH2CC_CLIENT_SECRET_FILE", &right)
        .args(["--no-cache", "--config"])
        .arg(&config)
        .arg("token"));
    assert_eq!(code(&o), 0, "the environment's secret file beats the profile's: {}", stderr(&o));
    // A flag beats the environment for an ordinary setting too.
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", "http://127.0.0.1:1/wrong").args([
        "--no-cache",
        "--token-url",
        &sim.token_url(),
        "token",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // OAUTH2CC_PROXY='' (no proxy) beats the profile's proxy. 0.0.0.0 is this
    // machine but not loopback, so a proxy would be used for it.
    std::fs::write(&config, "[default]\nproxy = http://127.0.0.1:1\n").unwrap();
    let url = sim.token_url().replace("127.0.0.1", "0.0.0.0");
    let via = |c: &mut Command| {
        code(&run(c
            .env("OAUTH2CC_TOKEN_URL", &url)
            .args(["--no-cache", "--allow-insecure-http", "--config"])
            .arg(&config)
            .arg("token")))
    };
    assert_eq!(via(&mut cmd(&sim, &cache, "svc")), 5, "the profile's (dead) proxy is used");
    assert_eq!(via(cmd(&sim, &cache, "svc").env("OAUTH2CC_PROXY", "")), 0, "OAUTH2CC_PROXY='' means no proxy");
}

#[test]
fn request_keeps_the_token_off_plain_http_and_reports_tls_failures_as_tls() {
    let sim = sim();
    let cache = tmpdir("request-rules");
    // 0.0.0.0 is this machine but not a loopback address: http:// to it needs the opt-in.
    let remote = sim.api_url().replace("127.0.0.1", "0.0.0.0");
    let o = run(cmd(&sim, &cache, "svc").args(["request", "GET", &remote]));
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("http://"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().api_requests, 0, "the Bearer token went over plain http");
    let o = run(cmd(&sim, &cache, "svc").args(["--allow-insecure-http", "request", "GET", &remote]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().api_requests, 1);
    // An API whose certificate is not trusted: the TLS status, not the network one.
    let tls = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("svc", SECRET)],
        tls_names: Some(vec!["127.0.0.1".into()]),
        ..SimConfig::default()
    })
    .unwrap();
    let o = run(cmd(&sim, &cache, "svc").args(["request", "GET", &tls.api_url()]));
    assert_eq!(code(&o), 6, "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_http_refusal_names_the_flag_and_the_variable_that_allow_it() {
    let sim = sim();
    let cache = tmpdir("insecure");
    let url = "http://iam.invalid/realms/test/protocol/openid-connect/token";
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", url).args(["--no-cache", "token"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("--allow-insecure-http") && err.contains("OAUTH2CC_ALLOW_INSECURE_HTTP"), "{err}");
    // The variable allows it: the request is tried (and fails on DNS, naming the host).
    let o = run(cmd(&sim, &cache, "svc")
        .env("OAUTH2CC_TOKEN_URL", url)
        .env("OAUTH2CC_ALLOW_INSECURE_HTTP", "1")
        .args(["--no-cache", "--proxy", "", "token"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 5, "{err}");
    assert!(err.contains("iam.invalid:80"), "{err}");
}

#[test]
fn a_refused_connection_names_the_host_and_port() {
    let sim = sim();
    let cache = tmpdir("refused");
    let url = "http://127.0.0.1:1/realms/test/protocol/openid-connect/token";
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", url).args(["--no-cache", "--proxy", "", "token"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 5, "{err}");
    assert!(err.contains("connection refused by the token endpoint 127.0.0.1:1"), "{err}");
}

#[test]
fn a_bare_403_is_the_credentials_status_and_a_404_the_configuration_status() {
    let sim = sim();
    let cache = tmpdir("403-404");
    sim.push_fault(Fault::Status { status: 403, retry_after: None, body: Some(String::new()) }, 1);
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "token"]));
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    let wrong_realm = format!("{}/realms/nope/protocol/openid-connect/token", sim.base_url());
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_TOKEN_URL", wrong_realm).args(["--no-cache", "token"]));
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("realm and path"));
}

#[test]
fn a_caught_panic_exits_1_with_one_line_and_no_backtrace() {
    let sim = sim();
    let cache = tmpdir("panic");
    // The core's test hook: token requests of this client id panic.
    let o = run(cmd(&sim, &cache, "svc")
        .env("OAUTH2CC_TEST_PANIC_CLIENT_ID", "svc")
        .env("RUST_BACKTRACE", "1")
        .args(["--no-cache", "token"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("internal error") && !err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn inspect_shows_the_granted_scope_and_what_is_missing() {
    let sim = sim();
    let cache = tmpdir("inspect-scope");
    sim.push_fault(Fault::Scope(Some("profile".into())), 1);
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "--scope", "orders:read", "inspect"]));
    let out = stdout(&o);
    assert_eq!(code(&o), 0);
    assert!(out.contains("granted_scope: profile\n"), "{out}");
    assert!(out.contains("missing_scope: orders:read"), "{out}");
    // No scope in the answer: the requested one was granted.
    sim.push_fault(Fault::Scope(None), 1);
    let out = stdout(&run(cmd(&sim, &cache, "svc").args(["--no-cache", "--scope", "orders:read", "inspect"])));
    assert!(out.contains("granted_scope: orders:read\n") && !out.contains("missing_scope"), "{out}");
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// One line on stderr, `oauth2cc: ...`, with a hint.
fn assert_one_line_with_hint(o: &Output, what: &str) {
    let err = stderr_of(o);
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("oauth2cc: ") && err.contains("; hint: "), "{what}: {err}");
}

#[test]
fn options_are_accepted_after_the_command_too() {
    let sim = sim();
    let cache = tmpdir("order");
    let api = format!("{}/api/echo", sim.base_url());
    // The same flag before and after the command means the same.
    for args in [["--scope", "admin", "--no-cache", "token"], ["token", "--scope", "admin", "--no-cache"]] {
        let o = run(cmd(&sim, &cache, "svc").args(args));
        assert_eq!(code(&o), 3, "{args:?}: {}", stderr_of(&o));
    }
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["token", "--no-cache"]))), 0);
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["header", "--scope=orders:read"]))), 0);
    let o = run(cmd(&sim, &cache, "svc").args(["inspect", "--no-cache", "--scope", "orders:read"]));
    assert!(stdout(&o).contains("orders:read"), "{}", stderr_of(&o));
    // Among request's own arguments, anywhere.
    for args in [
        vec!["request", "--no-cache", "POST", &api, "-H", "X-Test: yes", "-d", "abc"],
        vec!["request", "POST", "--no-cache", &api, "-d", "abc", "-H", "X-Test: yes"],
        vec!["request", "POST", &api, "-H", "X-Test: yes", "--scope", "orders:read", "--data", "abc"],
        vec!["--no-cache", "request", "POST", &api, "--header", "X-Test: yes", "-d", "abc", "--timeout", "10"],
    ] {
        let o = run(cmd(&sim, &cache, "svc").args(&args));
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr_of(&o));
        let body: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((body["body_bytes"].as_u64(), body["x_test"].as_str()), (Some(3), Some("yes")), "{args:?}");
    }
    // An option's value is taken as given, even when it looks like an option.
    let o = run(cmd(&sim, &cache, "svc").args(["request", "POST", &api, "-d", "--no-cache"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    let body: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(body["body_bytes"].as_u64(), Some(10));
    // Unknown options, before or after the command: named, one line, a hint.
    for args in [vec!["token", "--bogus"], vec!["--bogus", "token"], vec!["request", "GET", &api, "--bogus"]] {
        let o = run(cmd(&sim, &cache, "svc").args(&args));
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(stderr_of(&o).contains("unknown option --bogus") && stderr_of(&o).contains("--help"), "{args:?}");
        assert_one_line_with_hint(&o, &format!("{args:?}"));
    }
    // request's options belong to request.
    let o = run(cmd(&sim, &cache, "svc").args(["token", "-H", "X-Test: yes"]));
    assert_eq!(code(&o), 2);
    assert!(stderr_of(&o).contains("-H") && stderr_of(&o).contains("request"), "{}", stderr_of(&o));
    // A stray argument is named.
    let o = run(cmd(&sim, &cache, "svc").args(["token", "extra"]));
    assert_eq!(code(&o), 2);
    assert!(stderr_of(&o).contains("\"extra\""), "{}", stderr_of(&o));
}

#[test]
fn a_bad_http_method_is_a_usage_error_found_before_any_request() {
    let sim = sim();
    let cache = tmpdir("method");
    let api = format!("{}/api/echo", sim.base_url());
    for m in ["FETCH", "G ET", ""] {
        let o = run(cmd(&sim, &cache, "svc").args(["request", m, &api]));
        assert_eq!(code(&o), 2, "{m:?}: {}", stderr_of(&o));
        assert!(stderr_of(&o).contains("not an HTTP method"), "{}", stderr_of(&o));
        assert_one_line_with_hint(&o, m);
    }
    assert_eq!((sim.stats().token_requests, sim.stats().api_requests), (0, 0));
    // Lower case is fine.
    assert_eq!(code(&run(cmd(&sim, &cache, "svc").args(["request", "get", &api]))), 0);
}

#[test]
fn every_usage_error_is_one_line_with_a_hint() {
    let sim = sim();
    let cache = tmpdir("usage");
    let api = format!("{}/api/echo", sim.base_url());
    let missing = cache.join("missing");
    let missing = missing.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["fly"],
        vec!["--bogus", "token"],
        vec!["token", "extra"],
        vec!["--client-secret", SECRET, "token"],
        vec!["--scope"],
        vec!["request"],
        vec!["request", "GET"],
        vec!["request", "GET", &api, "-H", "no colon"],
        vec!["request", "GET", &api, "-H", "Authorization: Bearer x"],
        vec!["request", "GET", &api, "--data-file", missing],
        vec!["--timeout", "-1", "token"],
        vec!["--auth-method", "magic", "token"],
        vec!["--config", missing, "token"],
    ];
    for args in cases {
        let o = run(cmd(&sim, &cache, "svc").args(&args));
        assert_eq!(code(&o), 2, "{args:?}");
        assert_one_line_with_hint(&o, &format!("{args:?}"));
    }
    let o = run(cmd(&sim, &cache, "svc").env_remove("OAUTH2CC_TOKEN_URL").arg("token"));
    assert_one_line_with_hint(&o, "no token URL");
    let o = run(cmd(&sim, &cache, "svc").env("OAUTH2CC_ALLOW_INSECURE_HTTP", "maybe").arg("token"));
    assert_eq!(code(&o), 2);
    assert_one_line_with_hint(&o, "OAUTH2CC_ALLOW_INSECURE_HTTP=maybe");
}

#[test]
fn inspect_shows_the_expiry_in_iso_8601_utc_and_the_time_left() {
    let sim = sim();
    let cache = tmpdir("inspect");
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "inspect"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("expires_at: ")).expect("an expires_at line");
    // expires_at: 2009-02-13T23:31:30Z (unix 1234567890, in 4 min 59 s)
    let rest = line.trim_start_matches("expires_at: ");
    let (iso, rest) = rest.split_once(' ').unwrap();
    let unix: i64 = rest.trim_start_matches("(unix ").split(',').next().unwrap().parse().unwrap();
    // GNU date as the independent reference.
    let date = Command::new("date").args(["-u", "-d", &format!("@{unix}"), "+%Y-%m-%dT%H:%M:%SZ"]).output().unwrap();
    assert_eq!(iso, String::from_utf8_lossy(&date.stdout).trim(), "{line}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((unix - now - 300).abs() < 60, "the simulator's tokens live 300 s: {line}");
    assert!(line.contains(", in 4 min ") || line.contains(", in 5 min"), "{line}");
}

/// Every `OAUTH2CC_*` variable and every `--option` the command's code knows,
/// read from its sources, so a new one cannot be left out of the help.
fn names_in_the_code() -> Vec<String> {
    let mut names = Vec::new();
    for src in [
        include_str!("../src/main.rs"),
        include_str!("../src/settings.rs"),
        include_str!("../../oauth2cc-core/src/settings.rs"),
    ] {
        for (i, _) in src.match_indices('"') {
            let lit: String =
                src[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c)).collect();
            let closed = src[i + 1 + lit.len()..].starts_with('"');
            let option = lit.len() > 2 && lit.starts_with("--") && lit.as_bytes()[2].is_ascii_lowercase();
            let variable = lit.starts_with("OAUTH2CC_") && lit.len() > "OAUTH2CC_".len();
            if closed && (option || variable) && !names.contains(&lit) {
                names.push(lit);
            }
        }
    }
    names
}

#[test]
fn help_and_man_page_list_every_option_variable_and_exit_status() {
    let names = names_in_the_code();
    // The scan finds what it must (KEYS's names, and those handled apart from it).
    let mut must: Vec<&str> = vec!["--profile", "OAUTH2CC_PROFILE", "--config", "OAUTH2CC_CONFIG", "--no-cache"];
    must.extend(["--allow-insecure-http", "OAUTH2CC_ALLOW_INSECURE_HTTP", "OAUTH2CC_CLIENT_SECRET", "--data-file"]);
    must.extend(["--token-url", "OAUTH2CC_TOKEN_URL", "--cache-dir", "OAUTH2CC_CACHE_DIR", "--client-secret-stdin"]);
    for m in must {
        assert!(names.iter().any(|n| n == m), "the scan of the sources misses {m}: {names:?}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_oauth2cc")).arg("--help").env_clear().output().unwrap();
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    let man = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/oauth2cc.1")).unwrap();
    // roff escapes the minus signs of options.
    let man = man.replace("\\-", "-");
    let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let word = |text: &str, n: &str| {
        text.match_indices(n).any(|(i, _)| {
            let before = text[..i].chars().next_back().filter(|_| !n.starts_with('-'));
            !part(text[i + n.len()..].chars().next()) && !part(before)
        })
    };
    for n in &names {
        assert!(word(&help, n), "--help does not mention {n}");
        assert!(word(&man, n), "packaging/oauth2cc.1 does not mention {n}");
    }
    // Every exit status, 0 to 10, in both.
    let exit_section =
        |text: &str| text[text.find("EXIT STATUS").or_else(|| text.find("Exit status")).unwrap()..].to_string();
    let (h, m) = (exit_section(&help), exit_section(&man));
    for status in 0..=10 {
        let s = status.to_string();
        assert!(word(&h, &s), "--help's exit statuses miss {status}");
        assert!(word(&m, &s), "the man page's exit statuses miss {status}");
    }
}

/// `--dpop`: `request` sends `Authorization: DPoP` and a proof the simulator
/// verifies, resends once when the API rotates its nonce, and `inspect`
/// shows the token type. With `--dpop-key` the key (and so the cached token)
/// survives from one process to the next; a generated key does not, so the
/// cache does not hand its bound token to another process's key.
#[test]
fn dpop_request_inspect_and_key_file() {
    let sim = sim();
    let cache = tmpdir("dpop");
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys/p256.pkcs8.pem");
    let key = key.to_str().unwrap();
    let echo = format!("{}/api/echo", sim.base_url());
    let o = run(cmd(&sim, &cache, "svc").args(["--dpop-key", key, "request", "GET", &echo]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().dpop_proofs_ok, 2, "the token request's proof and the API call's");
    sim.set_dpop(iam_sim::DpopSwitches { require_nonce: true, rotate_now: true, ..Default::default() });
    let api_before = sim.stats().api_requests;
    let o = run(cmd(&sim, &cache, "svc").args(["--dpop-key", key, "request", "GET", &echo]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().api_requests, api_before + 2, "one use_dpop_nonce, one resend");
    assert_eq!(sim.stats().token_requests, 1, "the second process reused the token bound to the same key");
    let o = run(cmd(&sim, &cache, "svc").args(["--dpop-key", key, "inspect"]));
    assert!(stdout(&o).contains("token_type: DPoP"), "{}", stdout(&o));
    // A never-settling API: one resend, then the command reports and stops.
    sim.set_dpop(iam_sim::DpopSwitches { rotate_always: true, ..Default::default() });
    let api_before = sim.stats().api_requests;
    let o = run(cmd(&sim, &cache, "svc").args(["--dpop", "--dpop-key", key, "request", "GET", &echo]));
    assert_eq!(code(&o), 9, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().api_requests, api_before + 2);
    // A generated key per process: its own token.
    sim.set_dpop(iam_sim::DpopSwitches::default());
    let before = sim.stats().token_requests;
    let o = run(cmd(&sim, &cache, "svc").args(["--dpop", "request", "GET", &echo]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(sim.stats().token_requests > before);
}

#[test]
fn an_issuer_instead_of_a_token_url_from_a_flag_the_environment_or_a_profile() {
    let sim = sim();
    let cache = tmpdir("issuer");
    let without_url = |c: &mut Command| {
        c.env_remove("OAUTH2CC_TOKEN_URL");
    };
    let mut c = cmd(&sim, &cache, "svc");
    without_url(&mut c);
    let o = run(c.args(["--no-cache", "--issuer", &sim.issuer(), "token"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    assert!(sim.check_token(&stdout(&o)).is_ok());

    let mut c = cmd(&sim, &cache, "svc");
    without_url(&mut c);
    let o = run(c.env("OAUTH2CC_ISSUER", sim.issuer()).args(["--no-cache", "inspect"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    assert!(stdout(&o).contains(&format!("token_endpoint: {} (discovered)", sim.token_url())), "{}", stdout(&o));

    let config = cache.join("config");
    std::fs::write(&config, format!("[default]\nissuer = {}\n", sim.issuer())).unwrap();
    let mut c = cmd(&sim, &cache, "svc");
    without_url(&mut c);
    let o = run(c.args(["--no-cache", "--config", config.to_str().unwrap(), "token"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    assert_eq!(sim.stats().discovery_requests, 3, "one per process (no file cache)");

    // With the file cache, a later process reuses the token: no document, no token request.
    let before = (sim.stats().discovery_requests, sim.stats().token_requests);
    for _ in 0..2 {
        let mut c = cmd(&sim, &cache, "svc");
        without_url(&mut c);
        assert_eq!(code(&run(c.args(["--issuer", &sim.issuer(), "token"]))), 0);
    }
    assert_eq!((sim.stats().discovery_requests, sim.stats().token_requests), (before.0 + 1, before.1 + 1));

    // A flag beats the environment: --issuer over OAUTH2CC_TOKEN_URL.
    let o = run(cmd(&sim, &cache, "svc").args(["--no-cache", "--issuer", &sim.issuer(), "token"]));
    assert_eq!(code(&o), 0, "{}", stderr_of(&o));
    assert_eq!(sim.stats().discovery_requests, 5);

    // The published issuer has no trailing slash: refused, exit status 2, no token request.
    let before = sim.stats().token_requests;
    let mut c = cmd(&sim, &cache, "svc");
    without_url(&mut c);
    let o = run(c.args(["--no-cache", "--issuer", &format!("{}/", sim.issuer()), "token"]));
    assert_eq!(code(&o), 2, "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("names issuer"), "{}", stderr_of(&o));
    assert_eq!(sim.stats().token_requests, before);
}
