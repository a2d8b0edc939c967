//! Criterion benchmarks (make bench): a cached read with 1, 2 and 8 threads,
//! and a full token request round trip against the in-process simulator with
//! the connection reused, the cost of one DPoP proof, and of signing one client
//! assertion (RS256, ES256, EdDSA, HS256).

use criterion::{criterion_group, criterion_main, Criterion};
use iam_sim::{ClientSpec, Sim, SimConfig};
use oauth2cc_core::{AuthMethod, Client, Config, KeySource};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn sim() -> Sim {
    Sim::start(SimConfig {
        clients: vec![ClientSpec::new("big", "big-secret").token_size(1024)],
        rate_limit_per_sec: 0,
        ..SimConfig::default()
    })
    .unwrap()
}

fn cached_read(c: &mut Criterion) {
    let sim = sim();
    let client = Client::new(Config::new(sim.token_url(), "big", "big-secret")).unwrap();
    client.token().unwrap();
    let mut g = c.benchmark_group("cached_read");
    for threads in [1usize, 2, 8] {
        g.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(Barrier::new(threads + 1));
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (client, barrier) = (client.clone(), barrier.clone());
                        std::thread::spawn(move || {
                            let mut buf = [0u8; 2048];
                            barrier.wait();
                            for _ in 0..iters {
                                client
                                    .with_token(|t| {
                                        let s = t.access_token().as_bytes();
                                        buf[..s.len()].copy_from_slice(s);
                                    })
                                    .unwrap();
                            }
                            std::hint::black_box(&buf);
                        })
                    })
                    .collect();
                barrier.wait();
                let start = Instant::now();
                handles.into_iter().for_each(|h| h.join().unwrap());
                start.elapsed()
            })
        });
    }
    g.finish();
}

fn round_trip(c: &mut Criterion) {
    let sim = sim();
    let client = Client::new(Config::new(sim.token_url(), "big", "big-secret")).unwrap();
    client.bench_round_trip().unwrap();
    c.bench_function("token_request_round_trip", |b| b.iter(|| client.bench_round_trip().unwrap()));
}

/// Signing one client assertion (RFC 7523): the cost `private_key_jwt` and
/// `client_secret_jwt` add to each token request.
fn client_assertion(c: &mut Criterion) {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys/");
    let mut g = c.benchmark_group("assertion");
    for (name, file) in
        [("RS256_2048", "rsa2048.pkcs8.pem"), ("ES256", "p256.pkcs8.pem"), ("EdDSA", "ed25519.pkcs8.pem")]
    {
        let cfg = Config::new("https://iam.example.com/token", "svc", "")
            .auth_method(AuthMethod::PrivateKeyJwt)
            .private_key(KeySource::File(format!("{keys}{file}").into()));
        let client = Client::new(cfg).unwrap();
        g.bench_function(name, |b| b.iter(|| client.bench_client_assertion().unwrap()));
    }
    let cfg = Config::new("https://iam.example.com/token", "svc", "s3cret-s3cret-s3cret-s3cret-s3cret")
        .auth_method(AuthMethod::ClientSecretJwt);
    let client = Client::new(cfg).unwrap();
    g.bench_function("HS256", |b| b.iter(|| client.bench_client_assertion().unwrap()));
    g.finish();
}

/// An API's 401 with a hostile 64 KiB `WWW-Authenticate` (an unterminated quoted
/// string full of commas: the worst case of the recovery parser, once quadratic).
fn hostile_www_authenticate(c: &mut Criterion) {
    let h = format!("Bearer error=\"invalid_token\", x=\"{}", ", ".repeat(32 * 1024));
    c.bench_function("www_authenticate_hostile_64k", |b| {
        b.iter(|| oauth2cc_core::classify_unauthorized(Some(std::hint::black_box(&h))))
    });
}

/// One DPoP proof for an API call (ES256 signature, SHA-256 `ath`, a random
/// `jti`, with a nonce known): the cost each DPoP API request adds. Goal < 50 µs.
fn dpop_proof(c: &mut Criterion) {
    let sim = sim();
    let client = Client::new(Config::new(sim.token_url(), "big", "big-secret").dpop(true)).unwrap();
    let token = "x".repeat(1024);
    let url = "https://api.example.com/orders/42?expand=lines";
    c.bench_function("dpop_proof", |b| b.iter(|| client.dpop_proof("GET", url, Some(&token)).unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = cached_read, round_trip, hostile_www_authenticate, dpop_proof, client_assertion
}
criterion_main!(benches);
