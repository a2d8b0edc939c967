//! Settings from profiles and the environment (its own test binary: it sets
//! process-wide environment variables, so its tests take one lock).

mod common;
use common::*;
use oauth2cc_core::{SettingSource, Settings};
use std::path::PathBuf;
use std::sync::Mutex;

static ENV: Mutex<()> = Mutex::new(());

/// A clean environment for one test: no `OAUTH2CC_*`, no config file found
/// by default (HOME and XDG_CONFIG_HOME point at an empty directory).
fn clean(tag: &str) -> (std::sync::MutexGuard<'static, ()>, PathBuf) {
    let guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
    // vars_os: a test leaves a value that is not UTF-8 behind (vars() panics on it).
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OAUTH2CC_") {
            std::env::remove_var(k);
        }
    }
    let dir = std::env::temp_dir().join(format!("oauth2cc-settings-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("HOME", &dir);
    std::env::set_var("XDG_CONFIG_HOME", dir.join("xdg"));
    (guard, dir)
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn err(r: Result<Config, oauth2cc_core::Error>) -> String {
    let e = r.expect_err("an error");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    e.to_string()
}

#[test]
fn every_missing_setting_is_named_in_one_error() {
    let (_g, _dir) = clean("missing");
    let msg = err(Config::from_env(None));
    for name in ["OAUTH2CC_TOKEN_URL", "OAUTH2CC_CLIENT_ID", "OAUTH2CC_CLIENT_SECRET"] {
        assert!(msg.contains(name), "{name} not named: {msg}");
    }
    // Empty variables are unset too.
    std::env::set_var("OAUTH2CC_TOKEN_URL", "https://iam.example.com/t");
    std::env::set_var("OAUTH2CC_CLIENT_ID", "");
    std::env::set_var("OAUTH2CC_CLIENT_SECRET", "");
    let msg = err(Config::from_env(None));
    assert!(!msg.contains("OAUTH2CC_TOKEN_URL") && msg.contains("OAUTH2CC_CLIENT_ID"), "{msg}");
    assert!(msg.contains("OAUTH2CC_CLIENT_SECRET"), "{msg}");
}

#[test]
fn overrides_beat_the_environment_which_beats_the_profile() {
    let (_g, dir) = clean("precedence");
    let config = dir.join("xdg/oauth2cc/config");
    let (right, wrong) = (dir.join("right"), dir.join("wrong"));
    write(&right, "s3cret-value\n");
    write(&wrong, "wrong-secret\n");
    write(
        &config,
        &format!(
            "[default]\ntoken_url = http://127.0.0.1:1/t\nclient_id = svc\nscope = from-profile\naudience = prof\n\
             client_secret_file = {}\n\n[profile other]\nclient_id = other\n",
            wrong.display()
        ),
    );
    let s = Settings::load(None, None).unwrap();
    assert_eq!(s.get("scope"), Some("from-profile"));
    assert!(matches!(s.source("scope"), Some(SettingSource::Profile(..))));

    std::env::set_var("OAUTH2CC_SCOPE", "from-env");
    std::env::set_var("OAUTH2CC_AUDIENCE", ""); // empty: the profile's stays
    let mut s = Settings::load(None, None).unwrap();
    assert_eq!(s.get("scope"), Some("from-env"));
    assert_eq!(s.get("audience"), Some("prof"));
    s.set("scope", "from-flag").unwrap();
    s.set("client_id", "").unwrap(); // empty: the profile's stays
    assert_eq!(s.get("scope"), Some("from-flag"));
    assert_eq!(s.get("client_id"), Some("svc"));
    assert!(s.set("no_such_key", "x").is_err());

    // OAUTH2CC_PROFILE picks the section.
    std::env::set_var("OAUTH2CC_PROFILE", "other");
    assert_eq!(Settings::load(None, None).unwrap().get("client_id"), Some("other"));
    assert!(Settings::load(Some("missing"), None).is_err(), "a named profile that is missing");
    std::env::remove_var("OAUTH2CC_PROFILE");

    // The secret: the environment's secret beats the profile's file; a file
    // given as an override beats the environment's secret.
    let sim = sim();
    std::env::set_var("OAUTH2CC_TOKEN_URL", sim.token_url());
    std::env::set_var("OAUTH2CC_SCOPE", "orders:read");
    std::env::set_var("OAUTH2CC_CLIENT_SECRET", "s3cret-value");
    Client::new(Config::from_env(None).unwrap()).unwrap().token().expect("the environment's secret is used");
    std::env::set_var("OAUTH2CC_CLIENT_SECRET", "wrong-secret");
    let mut s = Settings::load(None, None).unwrap();
    s.set("client_secret_file", right.to_str().unwrap()).unwrap();
    let t = Client::new(s.config().unwrap()).unwrap().token().expect("the override's secret file is used");
    assert_eq!(t.granted_scope(), Some("profile email orders:read"));
}

#[test]
fn empty_proxy_means_no_proxy_and_values_are_checked_by_name() {
    let (_g, _dir) = clean("values");
    std::env::set_var("OAUTH2CC_TOKEN_URL", "https://iam.example.com/t");
    std::env::set_var("OAUTH2CC_CLIENT_ID", "svc");
    std::env::set_var("OAUTH2CC_CLIENT_SECRET", "s3cret-value");
    std::env::set_var("OAUTH2CC_PROXY", "");
    let cfg = format!("{:?}", Config::from_env(None).unwrap());
    assert!(cfg.contains("proxy: Disabled"), "{cfg}");
    std::env::remove_var("OAUTH2CC_PROXY");
    assert!(format!("{:?}", Config::from_env(None).unwrap()).contains("proxy: FromEnv"));

    for (var, bad) in [
        ("OAUTH2CC_TIMEOUT", "soon"),
        ("OAUTH2CC_CONNECT_TIMEOUT", "-1"),
        ("OAUTH2CC_AUTH_METHOD", "basic"),
        ("OAUTH2CC_ALLOW_INSECURE_HTTP", "maybe"),
        ("OAUTH2CC_MAX_REQUESTS_PER_SECOND", "many"),
    ] {
        std::env::set_var(var, bad);
        let msg = err(Config::from_env(None));
        assert!(msg.contains(var), "{var}: {msg}");
        std::env::remove_var(var);
    }
    std::env::set_var("OAUTH2CC_ALLOW_INSECURE_HTTP", "yes");
    std::env::set_var("OAUTH2CC_TIMEOUT", "2.5");
    let cfg = format!("{:?}", Config::from_env(None).unwrap());
    assert!(cfg.contains("allow_insecure_http: true") && cfg.contains("timeout: 2.5s"), "{cfg}");
    // The secret never appears in a message or a Debug.
    assert!(!cfg.contains("s3cret-value"));
}

/// Runs `f` on its own thread and waits at most 30 s for it, so a read that
/// blocks (a FIFO) or never ends (`/dev/zero`) fails the test instead of
/// hanging it.
fn within_time<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap_or_else(|_| panic!("{what}: still reading after 30 s"))
}

/// Creates a FIFO at `path`.
fn mkfifo(path: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

fn load_err(r: Result<Settings, oauth2cc_core::Error>) -> String {
    let e = r.expect_err("an error");
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    e.to_string()
}

#[test]
fn a_config_file_starting_with_a_byte_order_mark_is_read() {
    let (_g, dir) = clean("bom");
    let config = dir.join("xdg/oauth2cc/config");
    write(&config, "\u{feff}[default]\ntoken_url = https://iam.example.com/t\nclient_id = svc\n");
    let s = Settings::load(None, None).unwrap();
    assert_eq!(s.get("token_url"), Some("https://iam.example.com/t"));
    assert_eq!(s.get("client_id"), Some("svc"));
}

#[test]
fn a_variable_that_is_not_utf8_is_an_error_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let (_g, dir) = clean("utf8");
    let config = dir.join("xdg/oauth2cc/config");
    write(&config, "[default]\ntoken_url = https://iam.example.com/t\nclient_id = svc\n");
    let bad = std::ffi::OsStr::from_bytes(b"s3cret-value\xff");
    for var in ["OAUTH2CC_CLIENT_ID", "OAUTH2CC_SCOPE", "OAUTH2CC_PROFILE"] {
        std::env::set_var(var, bad);
        let msg = load_err(Settings::load(None, None));
        assert!(msg.contains(&format!("{var} is not valid UTF-8")), "{var}: {msg}");
        assert!(!msg.contains("s3cret"), "{var}: the value is echoed: {msg}");
        std::env::remove_var(var);
    }
    // The secret variable, read when the configuration is made.
    std::env::set_var("OAUTH2CC_CLIENT_SECRET", bad);
    let msg = err(Settings::load(None, None).unwrap().config());
    assert!(msg.contains("OAUTH2CC_CLIENT_SECRET is not valid UTF-8"), "{msg}");
    assert!(!msg.contains("s3cret"), "the secret is echoed: {msg}");
    std::env::remove_var("OAUTH2CC_CLIENT_SECRET");
}

#[test]
fn a_config_file_that_is_not_a_small_regular_file_is_refused() {
    let (_g, dir) = clean("cfgkind");
    // A device that never ends.
    let msg = within_time("/dev/zero", || load_err(Settings::load(None, Some(std::path::Path::new("/dev/zero")))));
    assert!(msg.contains("/dev/zero") && msg.contains("not a regular file"), "{msg}");
    // The same through OAUTH2CC_CONFIG.
    std::env::set_var("OAUTH2CC_CONFIG", "/dev/zero");
    let msg = within_time("OAUTH2CC_CONFIG=/dev/zero", || load_err(Settings::load(None, None)));
    assert!(msg.contains("/dev/zero"), "{msg}");
    std::env::remove_var("OAUTH2CC_CONFIG");
    // A FIFO nobody writes to: opening it must not wait for a writer.
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let f = fifo.clone();
    let msg = within_time("a FIFO", move || load_err(Settings::load(None, Some(&f))));
    assert!(msg.contains("fifo") && msg.contains("not a regular file"), "{msg}");
    // A directory.
    let msg = load_err(Settings::load(None, Some(&dir)));
    assert!(msg.contains("not a regular file"), "{msg}");
    // A regular file that is too large (over 1 MiB); its content is not shown.
    let big = dir.join("big");
    write(&big, &format!("[default]\n{}", "# s3cret-value padding\n".repeat(50_000)));
    let msg = load_err(Settings::load(None, Some(&big)));
    assert!(msg.contains("big") && msg.contains("larger than"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
}

#[test]
fn a_secret_file_that_is_not_a_small_regular_file_is_refused() {
    let (_g, dir) = clean("secretkind");
    std::env::set_var("OAUTH2CC_TOKEN_URL", "https://iam.example.com/t");
    std::env::set_var("OAUTH2CC_CLIENT_ID", "svc");
    let config_with = |file: &std::path::Path| {
        std::env::set_var("OAUTH2CC_CLIENT_SECRET_FILE", file);
        Settings::load(None, None).unwrap().config()
    };
    let msg = within_time("/dev/zero", move || err(config_with(std::path::Path::new("/dev/zero"))));
    assert!(msg.contains("/dev/zero") && msg.contains("not a regular file"), "{msg}");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let f = fifo.clone();
    let msg = within_time("a FIFO", move || err(config_with(&f)));
    assert!(msg.contains("fifo") && msg.contains("not a regular file"), "{msg}");
    // Over 64 KiB; the content is not shown.
    let big = dir.join("big");
    write(&big, &"s3cret-value".repeat(6_000));
    let msg = err(config_with(&big));
    assert!(msg.contains("big") && msg.contains("larger than"), "{msg}");
    assert!(!msg.contains("s3cret"), "{msg}");
    // A small regular file is still fine.
    let ok = dir.join("ok");
    write(&ok, "s3cret-value\n");
    config_with(&ok).expect("a small regular secret file");
}

#[test]
fn a_value_is_the_rest_of_its_line_verbatim_and_comments_are_whole_lines() {
    let (_g, dir) = clean("verbatim");
    let config = dir.join("xdg/oauth2cc/config");
    write(&config, "[default]\n# a comment\n  ; another\nclient_id =  svc  # not a comment  \nscope = a;b\n");
    let s = Settings::load(None, None).unwrap();
    assert_eq!(s.get("client_id"), Some("svc  # not a comment"));
    assert_eq!(s.get("scope"), Some("a;b"));
}

#[test]
fn every_new_setting_reaches_the_configuration_and_pem_text_stays_hidden() {
    let (_g, _dir) = clean("issue14");
    // An issuer stands in for the token URL; a key or certificate for the secret.
    std::env::set_var("OAUTH2CC_ISSUER", "https://iam.example.com/realms/demo");
    std::env::set_var("OAUTH2CC_CLIENT_ID", "svc");
    std::env::set_var("OAUTH2CC_AUTH_METHOD", "private_key_jwt");
    std::env::set_var(
        "OAUTH2CC_PRIVATE_KEY",
        "-----BEGIN PRIVATE KEY-----\nS3CRETKEYMATERIAL\n-----END PRIVATE KEY-----\n",
    );
    for (var, value) in [
        ("OAUTH2CC_SIGNING_ALG", "PS256"),
        ("OAUTH2CC_KEY_ID", "kid-7"),
        ("OAUTH2CC_ASSERTION_AUDIENCE", "https://iam.example.com/realms/demo"),
        ("OAUTH2CC_CLIENT_CERT", "/etc/svc/cert.pem"),
        ("OAUTH2CC_CLIENT_KEY", "/etc/svc/key.pem"),
        ("OAUTH2CC_DPOP", "yes"),
        ("OAUTH2CC_DPOP_KEY", "/etc/svc/dpop.pem"),
        ("OAUTH2CC_SHARED_CACHE_URL", "rediss://fleet:p4ssw0rd@redis.internal:6380/0"),
        ("OAUTH2CC_SHARED_CACHE_PASSWORD_FILE", "/etc/svc/redis-password"),
        ("OAUTH2CC_SHARED_CACHE_TIMEOUT", "0.02"),
    ] {
        std::env::set_var(var, value);
    }
    let cfg = Config::from_env(None).expect("no token URL and no secret needed");
    let shown = format!("{cfg:?}");
    for expected in [
        "PrivateKeyJwt",
        "Pem([redacted])",
        "\"PS256\"",
        "\"kid-7\"",
        "/etc/svc/cert.pem",
        "/etc/svc/key.pem",
        "dpop: true",
        "/etc/svc/dpop.pem",
        "issuer: Some(\"https://iam.example.com/realms/demo\")",
        "rediss://***@redis.internal:6380/0",
        "/etc/svc/redis-password",
        "20ms",
    ] {
        assert!(shown.contains(expected), "{expected} missing from {shown}");
    }
    assert!(!shown.contains("S3CRETKEYMATERIAL") && !shown.contains("p4ssw0rd"), "{shown}");
    // The Redis URL's password may also be a query parameter (`?pass=`, `?password=`).
    for url in ["redis+unix:///run/redis.sock?pass=QU3RYPASS", "redis://h:6379/0?password=QU3RYPASS&db=1"] {
        std::env::set_var("OAUTH2CC_SHARED_CACHE_URL", url);
        let shown = format!("{:?}", Config::from_env(None).unwrap());
        assert!(!shown.contains("QU3RYPASS"), "{shown}");
        let bad = url.replace("redis", "ftp");
        std::env::set_var("OAUTH2CC_SHARED_CACHE_URL", &bad);
        let e = Client::new(Config::from_env(None).unwrap()).expect_err("an ftp:// shared cache URL is refused");
        assert!(!e.to_string().contains("QU3RYPASS"), "{e}");
    }
    std::env::set_var("OAUTH2CC_SHARED_CACHE_URL", "rediss://fleet:p4ssw0rd@redis.internal:6380/0");
    // A path is a file; a bad flag value is named.
    std::env::set_var("OAUTH2CC_PRIVATE_KEY", "~/keys/svc.pem");
    assert!(format!("{:?}", Config::from_env(None).unwrap()).contains("File(\""));
    std::env::set_var("OAUTH2CC_DPOP", "maybe");
    assert!(err(Config::from_env(None)).contains("OAUTH2CC_DPOP"));
    // Without an issuer or a method that does without the secret, both are missing.
    std::env::remove_var("OAUTH2CC_DPOP");
    std::env::remove_var("OAUTH2CC_ISSUER");
    std::env::set_var("OAUTH2CC_AUTH_METHOD", "client_secret_jwt");
    let msg = err(Config::from_env(None));
    assert!(msg.contains("OAUTH2CC_ISSUER") && msg.contains("OAUTH2CC_CLIENT_SECRET"), "{msg}");
}
