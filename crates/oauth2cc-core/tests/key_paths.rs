//! Options that name a key, certificate or password FILE, given key material
//! instead (PEM text, a damaged PEM, a key's base64 body): the error says what
//! is wrong without repeating the value.

mod common;
use common::*;
use oauth2cc_core::KeySource;

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every run of 12 characters of the key's base64 body.
fn leaks(text: &str, key: &str) -> Option<String> {
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let chars: Vec<char> = body.chars().collect();
    chars.windows(12).map(|w| w.iter().collect::<String>()).find(|w| text.contains(w.as_str()))
}

#[test]
fn key_material_given_where_a_file_is_expected_is_never_repeated() {
    let sim = sim();
    for key_name in ["p256.pkcs8.pem", "ed25519.pkcs8.pem", "rsa2048.pkcs8.pem"] {
        let key = pem(key_name);
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        let damaged = key.replacen("-----BEGIN", "----BEGIN", 1);
        let base = || Config::new(sim.token_url(), "svc", "s3cret-value");
        let cases: Vec<(&str, Config)> = vec![
            ("dpop_key as PEM text", base().dpop(true).dpop_key(&key)),
            ("client_cert as PEM text", base().client_cert(&key).client_key("/nonexistent/k.pem")),
            ("client_key as PEM text", base().client_cert("/nonexistent/c.pem").client_key(&key)),
            (
                "shared_cache_password_file as PEM text",
                base().shared_cache_url("redis://127.0.0.1:1").shared_cache_password_file(&key),
            ),
            (
                "private_key damaged PEM",
                base().auth_method(AuthMethod::PrivateKeyJwt).private_key(KeySource::from_path_or_pem(&damaged)),
            ),
            (
                "private_key base64 body alone",
                base().auth_method(AuthMethod::PrivateKeyJwt).private_key(KeySource::from_path_or_pem(&body)),
            ),
        ];
        for (what, cfg) in cases {
            let e = Client::new(cfg).err().unwrap_or_else(|| panic!("{what}: accepted"));
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{what}: {e}");
            let shown = format!("{e} {e:?} {}", e.hint().unwrap_or_default());
            assert_eq!(leaks(&shown, &key), None, "{key_name}, {what}: {shown}");
        }
    }
}

#[test]
fn a_ca_file_that_is_a_device_or_a_fifo_is_refused_without_reading_it_to_the_end() {
    let dir = std::env::temp_dir().join(format!("oauth2cc-ca-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("ca.fifo");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for ca in [std::path::PathBuf::from("/dev/zero"), fifo.clone()] {
        let (tx, rx) = std::sync::mpsc::channel();
        let shown = ca.display().to_string();
        std::thread::spawn(move || {
            let r = Client::new(Config::new("https://iam.example.com/t", "svc", "s").ca_file(ca)).map(|_| ());
            let _ = tx.send(r.map_err(|e| e.kind()));
        });
        let r = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{shown}: still reading"));
        assert_eq!(r, Err(ErrorKind::InvalidConfig), "{shown}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
