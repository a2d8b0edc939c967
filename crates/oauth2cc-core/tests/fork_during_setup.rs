//! A `fork()` while another thread sets a client up (the first client of a
//! process loads the system trust store, which takes milliseconds): the child
//! must be able to create clients of its own, not wait forever for a
//! one-time initialisation its parent's thread will never finish in it.
#![cfg(unix)]

use oauth2cc_core::{Client, Config};
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "OAUTH2CC_FORK_SETUP_DELAY_US";

fn https_client() {
    let _ = Client::new(Config::new("https://127.0.0.1:9/realms/t/protocol/openid-connect/token", "id", "secret"));
}

/// Runs in a fresh process (a re-run of this test binary): one thread creates
/// the process's first https client while the main thread forks after `delay`.
fn fork_while_the_first_client_is_set_up(delay: Duration) -> ! {
    let setup = std::thread::spawn(https_client);
    std::thread::sleep(delay);
    // SAFETY: the child only creates a client and exits; alarm ends it if it hangs.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: plain libc calls in the child.
        unsafe { libc::alarm(10) };
        https_client();
        // SAFETY: leaves the child without running the parent's atexit handlers.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    setup.join().unwrap();
    let hung = libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGALRM;
    std::process::exit(if hung {
        3
    } else if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        4
    });
}

#[test]
fn a_child_forked_during_the_first_client_setup_can_create_clients() {
    if let Ok(us) = std::env::var(CHILD) {
        fork_while_the_first_client_is_set_up(Duration::from_micros(us.parse().unwrap()));
    }
    let me = std::env::current_exe().unwrap();
    // Delays spread over the trust store's loading time, each in a new process.
    for us in [0, 200, 500, 1000, 2000, 3000, 5000, 8000, 12000, 20000] {
        let status = Command::new(&me)
            .args(["--exact", "a_child_forked_during_the_first_client_setup_can_create_clients", "--nocapture"])
            .env(CHILD, us.to_string())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "fork {us} µs into the setup: the child hung (3) or failed");
    }
}
