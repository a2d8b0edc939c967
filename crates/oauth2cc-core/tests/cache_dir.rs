//! The file cache's directory and keyed file names: never chmod a directory
//! the library did not create, use a private per-user subdirectory of a shared
//! one, and name files with an HMAC under a per-user key.

mod common;
use common::*;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn fresh_dir(tag: &str, mode: u32) -> PathBuf {
    let d = std::env::temp_dir().join(format!("oauth2cc-cd-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir(&d).unwrap();
    fs::set_permissions(&d, fs::Permissions::from_mode(mode)).unwrap();
    d
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

/// This process's effective uid, as the owner of a directory it just made.
fn my_uid() -> u32 {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = fresh_dir(&format!("uid-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)), 0o700);
    let uid = fs::metadata(&d).unwrap().uid();
    let _ = fs::remove_dir(&d);
    uid
}

fn token_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".token"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_shared_sticky_directory_keeps_its_mode_and_gets_a_private_subdirectory() {
    let sim = sim();
    let d = fresh_dir("sticky", 0o1777);
    let c = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    c.token().unwrap();
    assert_eq!(mode(&d), 0o1777, "the shared directory was chmodded");
    let sub = d.join(format!("oauth2cc-{}", my_uid()));
    assert_eq!(mode(&sub), 0o700);
    assert_eq!(token_files(&sub).len(), 1, "the token lives in the private subdirectory");
    assert!(token_files(&d).is_empty());
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_readable_directory_is_not_chmodded() {
    let sim = sim();
    for m in [0o755, 0o750, 0o705] {
        let d = fresh_dir(&format!("readable-{m:o}"), m);
        let c = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
        c.token().unwrap();
        assert_eq!(mode(&d), m, "the directory was chmodded");
        let sub = d.join(format!("oauth2cc-{}", my_uid()));
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(token_files(&sub).len(), 1);
        let _ = fs::remove_dir_all(&d);
    }
}

#[test]
fn a_missing_directory_is_created_private_and_a_private_one_is_used_as_is() {
    let parent = fresh_dir("missing", 0o755);
    let d = parent.join("a").join("cache");
    Client::new(Config::new("https://h/t", "svc", "s").cache_dir(&d)).unwrap();
    assert_eq!(mode(&d), 0o700);
    assert!(d.join("hmac.key").exists(), "used directly, no subdirectory");
    assert!(!d.join(format!("oauth2cc-{}", my_uid())).exists());
    let _ = fs::remove_dir_all(&parent);
}

#[test]
fn unsafe_directories_and_subdirectories_are_refused() {
    let cfg = |d: &Path| Config::new("https://h/t", "svc", "s").cache_dir(d);
    let refused = |d: &Path, why: &str| {
        let e = Client::new(cfg(d)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{why}: {e}");
        assert!(e.to_string().contains("cache directory"), "{why}: {e}");
    };
    // World-writable without the sticky bit: anyone could swap the subdirectory.
    let open = fresh_dir("open", 0o777);
    refused(&open, "world-writable, not sticky");
    assert_eq!(mode(&open), 0o777);
    let _ = fs::remove_dir_all(&open);

    let shared = fresh_dir("shared", 0o1777);
    let sub = shared.join(format!("oauth2cc-{}", my_uid()));
    // A symlink planted where the private subdirectory goes.
    let elsewhere = fresh_dir("elsewhere", 0o700);
    std::os::unix::fs::symlink(&elsewhere, &sub).unwrap();
    refused(&shared, "symlinked subdirectory");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the symlink");
    fs::remove_file(&sub).unwrap();
    // A subdirectory others may enter.
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
    refused(&shared, "subdirectory open to others");
    assert_eq!(mode(&sub), 0o755, "not chmodded either");
    // A subdirectory of another user: needs root to make one.
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
    if my_uid() == 0 {
        std::os::unix::fs::chown(&sub, Some(65534), Some(65534)).unwrap();
        refused(&shared, "subdirectory of another user");
        // And a private directory of another user given directly.
        refused(&sub, "another user's private directory");
    } else {
        eprintln!("not root: cannot make a directory of another user; ownership branch not tested");
    }
    let _ = fs::remove_dir_all(&shared);
    let _ = fs::remove_dir_all(&elsewhere);
}

#[test]
fn file_names_depend_on_a_per_user_key_not_only_on_the_configuration() {
    let sim = sim();
    let (a, b) = (fresh_dir("key-a", 0o700), fresh_dir("key-b", 0o700));
    for d in [&a, &b] {
        Client::new(config(&sim, "svc", "s3cret-value").cache_dir(d)).unwrap().token().unwrap();
        let key = d.join("hmac.key");
        assert_eq!(mode(&key), 0o600);
        assert_eq!(fs::metadata(&key).unwrap().len(), 32);
    }
    let (na, nb) = (token_files(&a), token_files(&b));
    assert_eq!((na.len(), nb.len()), (1, 1));
    assert_ne!(na, nb, "the same configuration under two keys must give two names");
    assert_ne!(fs::read(a.join("hmac.key")).unwrap(), fs::read(b.join("hmac.key")).unwrap());
    // The same key, the same name: a second client finds the first one's file.
    let again = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&a)).unwrap();
    again.token().unwrap();
    assert_eq!(requests(&sim), 2);
    assert_eq!(token_files(&a), na);
    let _ = fs::remove_dir_all(&a);
    let _ = fs::remove_dir_all(&b);
}

#[test]
fn a_tampered_or_foreign_key_file_is_replaced() {
    let sim = sim();
    let d = fresh_dir("tampered", 0o700);
    let key = d.join("hmac.key");
    Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap().token().unwrap();
    let original = fs::read(&key).unwrap();

    type Tamper<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let mut tampers: Vec<Tamper> = vec![
        ("readable by others", Box::new(|| fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap())),
        ("too short", Box::new(|| fs::write(&key, b"short").unwrap())),
        (
            "a symlink",
            Box::new(|| {
                let other = d.join("other");
                fs::write(&other, [7u8; 32]).unwrap();
                fs::set_permissions(&other, fs::Permissions::from_mode(0o600)).unwrap();
                fs::remove_file(&key).unwrap();
                std::os::unix::fs::symlink(&other, &key).unwrap();
            }),
        ),
    ];
    if my_uid() == 0 {
        tampers.push(("another user's", Box::new(|| std::os::unix::fs::chown(&key, Some(65534), None).unwrap())));
    } else {
        eprintln!("not root: cannot give the key file to another user; that case is not tested");
    }
    for (what, tamper) in tampers {
        tamper();
        let before = token_files(&d).len();
        Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap().token().unwrap();
        let meta = fs::symlink_metadata(&key).unwrap();
        assert!(meta.is_file(), "{what}: not replaced by a regular file");
        assert_eq!((meta.mode() & 0o777, meta.len(), meta.uid()), (0o600, 32, my_uid()), "{what}");
        assert_ne!(fs::read(&key).unwrap(), original, "{what}: a new random key");
        assert_eq!(token_files(&d).len(), before + 1, "{what}: files are named under the new key");
    }
    let _ = fs::remove_dir_all(&d);
}
