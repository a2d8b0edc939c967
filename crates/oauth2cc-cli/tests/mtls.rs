//! `--client-cert` / `--client-key`: the token request and the `request`
//! command present the certificate (mutual TLS, RFC 8705). The HTTPS
//! simulator binds a token to the certificate it was requested with and its
//! API refuses the token without that certificate.

use iam_sim::{ClientSpec, Sim, SimConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SECRET: &str = "cli-S3cret-value";

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oauth2cc-cli-mtls-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

fn cmd(sim: &Sim, home: &Path, ca: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oauth2cc"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("OAUTH2CC_TOKEN_URL", sim.token_url())
        .env("OAUTH2CC_CLIENT_ID", "svc")
        .env("OAUTH2CC_CLIENT_SECRET", SECRET)
        .env("OAUTH2CC_CACHE_DIR", home)
        .env("OAUTH2CC_PROXY", "")
        .arg("--ca-file")
        .arg(ca)
        .stdin(Stdio::null());
    c
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn request_presents_the_client_certificate_and_bound_tokens_are_not_shared_without_it() {
    let sim = Sim::start(SimConfig {
        clients: vec![ClientSpec::new("svc", SECRET)],
        tls_names: Some(vec!["127.0.0.1".into()]),
        ..SimConfig::default()
    })
    .unwrap();
    let home = dir("request");
    let (ca, cert, key) = (home.join("ca.pem"), home.join("client.pem"), home.join("client.key"));
    let (cert_pem, key_pem) = sim.client_identity_pem().unwrap();
    std::fs::write(&ca, sim.ca_pem().unwrap()).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let with_cert = |c: &mut Command| {
        c.arg("--client-cert").arg(&cert).arg("--client-key").arg(&key);
    };
    let mut c = cmd(&sim, &home, &ca);
    with_cert(&mut c);
    let o = c.args(["request", "GET", &sim.api_url()]).output().unwrap();
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"ok\":true"));
    // The token (bound) from the cache, through the token command, is refused without the certificate.
    let mut c = cmd(&sim, &home, &ca);
    with_cert(&mut c);
    let o = c.arg("token").output().unwrap();
    ok(&o);
    let bound = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(sim.stats().token_requests, 1);
    assert!(sim.check_token(&bound).is_ok());
    // Without the flags, another cache entry: a token of its own, not the bound one.
    let o = cmd(&sim, &home, &ca).args(["request", "GET", &sim.api_url()]).output().unwrap();
    ok(&o);
    assert_eq!(sim.stats().api_unbound_tokens, 0, "a bound token was sent without its certificate");
    assert_eq!(sim.stats().token_requests, 2);
    // A key that is not the certificate's: the configuration status, before any request.
    let o = cmd(&sim, &home, &ca)
        .arg("--client-cert")
        .arg(&cert)
        .arg("--client-key")
        .arg(&ca)
        .arg("token")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("client key file"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sim.stats().token_requests, 2);
    let _ = std::fs::remove_dir_all(&home);
}
