//! The opt-in cross-process cache, from the library (the command's tests
//! cover processes; here two clients stand for two processes).

mod common;
use common::*;

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("oauth2cc-fc-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn clients_sharing_a_cache_dir_share_the_token() {
    let sim = sim();
    let d = dir("share");
    let a = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    let b = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    assert_eq!(a.token().unwrap().access_token(), b.token().unwrap().access_token());
    assert_eq!(requests(&sim), 1);
    // Another scope or secret is another key.
    let c = Client::new(config(&sim, "svc", "s3cret-value").scope("orders:read").cache_dir(&d)).unwrap();
    assert_ne!(c.token().unwrap().access_token(), a.token().unwrap().access_token());
    assert_eq!(requests(&sim), 2);
    // Invalidation reaches the file: the other client does not read the old token back.
    let old = a.token().unwrap();
    assert!(a.invalidate(old.access_token()));
    let fresh = Client::new(config(&sim, "svc", "s3cret-value").cache_dir(&d)).unwrap();
    assert_ne!(fresh.token().unwrap().access_token(), old.access_token());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn without_a_cache_dir_nothing_is_shared() {
    let sim = sim();
    let a = client(&sim, "svc", "s3cret-value");
    let b = client(&sim, "svc", "s3cret-value");
    assert_ne!(a.token().unwrap().access_token(), b.token().unwrap().access_token());
    assert_eq!(requests(&sim), 2);
}

#[test]
fn a_cache_dir_that_is_a_file_is_a_configuration_error() {
    let f = dir("file");
    std::fs::write(&f, "x").unwrap();
    let e = Client::new(Config::new("https://h/t", "svc", "s").cache_dir(&f)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    let _ = std::fs::remove_file(&f);
}

#[test]
fn an_error_recorded_by_another_process_keeps_its_hint() {
    let sim = sim();
    let d = dir("pause-hint");
    let a = Client::new(config(&sim, "svc", "wrong-secret").cache_dir(&d)).unwrap();
    let first = a.token().unwrap_err();
    assert_eq!(first.kind(), ErrorKind::InvalidClient);
    let hint = first.hint().expect("a credentials hint");
    // Another client (process) with the same key is served the recorded error.
    let b = Client::new(config(&sim, "svc", "wrong-secret").cache_dir(&d)).unwrap();
    let again = b.token().unwrap_err();
    assert!(again.message().contains("recorded by another process"), "{again}");
    assert_eq!((again.kind(), again.hint()), (ErrorKind::InvalidClient, Some(hint)), "{again}");
    assert_eq!(requests(&sim), 1);
    // The same for a refused scope.
    let scoped = || Client::new(config(&sim, "svc", "s3cret-value").scope("admin").cache_dir(&d)).unwrap();
    let first = scoped().token().unwrap_err();
    let again = scoped().token().unwrap_err();
    assert_eq!(first.kind(), ErrorKind::InvalidScope, "{first}");
    assert!(again.message().contains("recorded by another process"), "{again}");
    assert_eq!((again.kind(), again.hint()), (first.kind(), first.hint()), "{again}");
    assert!(first.hint().is_some());
    assert_eq!(requests(&sim), 2);
    let _ = std::fs::remove_dir_all(&d);
}
