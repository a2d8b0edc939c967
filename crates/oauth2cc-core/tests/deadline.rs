//! One deadline per call: a call that needs a token returns within the
//! request timeout (plus the time to parse an answer), whether it waits for a
//! budget slot, for its own request, for another thread's request or for
//! another process's (the file cache lock).

mod common;
use common::*;

#[test]
fn every_call_ends_by_its_timeout_against_an_iam_that_never_answers() {
    let sim = sim();
    sim.push_fault(Fault::Delay(Duration::from_secs(60)), 100);
    let timeout = Duration::from_secs(2);
    // 4 requests per second: the 5th..12th distinct clients wait for a budget slot.
    let cfg = || config(&sim, "svc", "s3cret-value").max_requests_per_second(4.0).timeout(timeout);
    let dir = std::env::temp_dir().join(format!("oauth2cc-deadline-{}", std::process::id()));
    let mut clients: Vec<Client> = (0..12).map(|_| Client::new(cfg()).unwrap()).collect();
    // Four threads share one client: three wait for the leader's request.
    let shared = Client::new(cfg()).unwrap();
    clients.extend((0..4).map(|_| shared.clone()));
    // Two "processes" share a file cache: one waits for the other's lock.
    clients.extend((0..2).map(|_| Client::new(cfg().cache_dir(&dir)).unwrap()));
    let start = Arc::new(std::sync::Barrier::new(clients.len()));
    let handles: Vec<_> = clients
        .into_iter()
        .map(|c| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let t = Instant::now();
                let r = c.token();
                (r.map(|_| ()).map_err(|e| e.kind()), t.elapsed())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let _ = std::fs::remove_dir_all(&dir);
    for (i, (r, took)) in results.iter().enumerate() {
        assert_eq!(*r, Err(ErrorKind::Timeout), "call {i}");
        assert!(*took <= timeout + Duration::from_secs(1), "call {i} blocked {took:?} with a {timeout:?} timeout");
    }
}
