//! `oauth2cc --auth-method private_key_jwt --private-key FILE` (and
//! `OAUTH2CC_PRIVATE_KEY`, `--signing-alg`, `--key-id`) against the
//! simulator, which checks the assertion with the test keys' public JWKs.

use iam_sim::{AuthMethod, ClientSpec, Sim, SimConfig};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/keys")
}

fn sim() -> Sim {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(keys().join("public.jwks.json")).unwrap()).unwrap();
    let jwks = ["rsa2048", "p256", "ed25519"].iter().map(|k| all[k].clone()).collect();
    Sim::start(SimConfig {
        clients: vec![ClientSpec::new("key-svc", "").methods(&[AuthMethod::PrivateKeyJwt]).jwks(jwks)],
        ..SimConfig::default()
    })
    .unwrap()
}

fn cache_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oauth2cc-cli-jwt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

/// `oauth2cc` with a clean environment and no client secret at all.
fn cmd(sim: &Sim, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oauth2cc"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cache)
        .env("OAUTH2CC_TOKEN_URL", sim.token_url())
        .env("OAUTH2CC_CLIENT_ID", "key-svc")
        .env("OAUTH2CC_CACHE_DIR", cache)
        .args(["--auth-method", "private_key_jwt"])
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let o: Output = c.output().unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    (o.status.code().unwrap_or(-1), out, err)
}

#[test]
fn private_key_flag_and_variable() {
    let sim = sim();
    let cache = cache_dir("ok");
    let key = keys().join("p256.sec1.pem");
    let (code, token, err) = run(cmd(&sim, &cache).arg("--private-key").arg(&key).arg("token"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(sim.check_token(token.trim()), Ok("key-svc".into()));
    assert_eq!(sim.stats().last_method.as_deref(), Some("private_key_jwt"));
    // PEM text in the variable, PS256 and a chosen kid; no file cache, so a request.
    let pem = std::fs::read_to_string(keys().join("rsa2048.pkcs1.pem")).unwrap();
    let (code, _, err) = run(cmd(&sim, &cache).env("OAUTH2CC_PRIVATE_KEY", &pem).args([
        "--no-cache",
        "--signing-alg",
        "PS256",
        "--key-id",
        "cli-key",
        "token",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(&pem[40..80]));
    assert_eq!(sim.stats().token_requests, 2);
}

#[test]
fn a_bad_key_is_a_usage_error_before_any_request() {
    let sim = sim();
    let cache = cache_dir("bad");
    for (key, alg, want) in [
        ("missing.pem", None, "cannot read"),
        ("rsa1024.pkcs8.pem", None, "refused"),
        ("p256.pkcs8.pem", Some("RS256"), "does not fit"),
    ] {
        let mut c = cmd(&sim, &cache);
        c.arg("--private-key").arg(keys().join(key));
        if let Some(a) = alg {
            c.args(["--signing-alg", a]);
        }
        let (code, _, err) = run(c.arg("token"));
        assert_eq!(code, 2, "{key}: {err}");
        assert!(err.contains(want), "{want:?} in {err}");
        assert!(!err.contains("MII"), "no key bytes: {err}");
    }
    assert_eq!(sim.stats().token_requests, 0);
}

#[test]
fn a_wrong_key_is_paused_but_the_right_key_is_not() {
    let sim = sim();
    let cache = cache_dir("wrong");
    let wrong = keys().join("rsa2048-other.pkcs8.pem");
    for _ in 0..3 {
        let (code, _, err) = run(cmd(&sim, &cache).arg("--private-key").arg(&wrong).arg("token"));
        assert_eq!(code, 3, "{err}");
    }
    assert_eq!(sim.stats().token_requests, 1, "the pause is shared through the cache directory");
    // Another key is another configuration (as another secret is): not paused.
    let (code, _, err) = run(cmd(&sim, &cache).arg("--private-key").arg(keys().join("ed25519.pkcs8.pem")).arg("token"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(sim.stats().token_requests, 2);
}
