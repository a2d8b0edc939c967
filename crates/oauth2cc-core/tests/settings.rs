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
    for (k, _) in std::env::vars() {
        if k.starts_with("OAUTH2CC_") {
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
