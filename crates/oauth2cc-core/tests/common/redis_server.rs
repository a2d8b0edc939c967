//! A real `redis-server` (or `valkey-server`) for the fleet tests: started on
//! a free port in a temporary directory, with no persistence, and killed on
//! drop. `make test` installs redis-server when it is missing. A test calls
//! [`RedisServer::start`]: None (and a loud message) only when no server
//! binary exists and this is not CI; under CI=true a missing server fails.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    bin: PathBuf,
    /// More arguments (TLS, a Unix socket), kept for a restart.
    extra: Vec<String>,
}

/// `REDIS_SERVER`, else `redis-server` or `valkey-server` on the PATH.
fn server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REDIS_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["redis-server", "valkey-server"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    /// A running server, or None when the tests must be skipped (no server
    /// binary, not in CI). Panics in CI without one.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(|_| Vec::new())
    }

    /// Like [`RedisServer::start`], with more arguments made from the
    /// server's temporary directory (its files: certificates, a socket).
    pub fn start_with(extra: impl Fn(&std::path::Path) -> Vec<String>) -> Option<RedisServer> {
        let Some(bin) = server_binary() else {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("redis-server not found and CI=true: `make test` installs it (apt-get install redis-server)");
            }
            // Straight to the stream, past the test harness's capture of eprintln!.
            use std::io::Write as _;
            let _ = std::io::stderr().write_all(
                b"\n!!!!!!!! SKIPPED: no redis-server or valkey-server on PATH (REDIS_SERVER names one).\n\
                  !!!!!!!! The fleet tests did NOT run. `make test` installs redis-server.\n\n",
            );
            return None;
        };
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("oauth2cc-redis-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let extra = extra(&dir);
        let mut s = RedisServer { child: None, port: 0, dir, bin, extra };
        // Port 0 is not supported by redis: a free port, again if another process took it first.
        for _ in 0..10 {
            s.port = free_port();
            if s.spawn() {
                return Some(s);
            }
        }
        panic!("redis-server did not start (10 ports tried)");
    }

    /// Starts the server on `self.port`; false if it did not answer PING.
    fn spawn(&mut self) -> bool {
        let child = Command::new(&self.bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"])
            // DEBUG SLEEP stands in for a slow or busy server (Redis 7 and Valkey).
            .args(["--enable-debug-command", "yes"])
            .args(&self.extra)
            .arg("--dir")
            .arg(&self.dir)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.as_mut().unwrap().try_wait() {
                self.child = None;
                return false; // exited: most likely the port was taken
            }
            if self.ping() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
        false
    }

    pub fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else { return false };
        let Ok(mut c) = client.get_connection_with_timeout(Duration::from_millis(200)) else { return false };
        redis::cmd("PING").query::<String>(&mut c).is_ok_and(|p| p == "PONG")
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A connection for a test's own commands.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection_with_timeout(Duration::from_secs(2)).unwrap()
    }

    /// Kills the server (SIGKILL: no goodbye to its clients).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing is persisted).
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not restart on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
