//! A token cache shared by processes through files, for short-lived processes
//! (scripts, cron jobs, the `oauth2cc` command) that would otherwise each
//! request a token and together exceed the IAM's per-IP limit.
//!
//! One file per cache key (token URL, client id, a hash of the secret, scope,
//! audience, resource) in a directory only the user can enter (0700), each
//! file 0600, written to a temporary file and renamed into place. An advisory
//! lock (`flock` on a `.lock` file beside it) makes processes that start at
//! once send one request. The file holds the token and its absolute
//! (wall-clock) expiry and renewal point, never the secret. A file that is
//! corrupt, foreign (another owner, readable by others, another key) or of
//! another version is ignored and replaced. Failed requests are
//! recorded too, with the backoff they call for (every kind of failure), so
//! that the next processes pause instead of retrying.

use crate::backoff::Policy;
use crate::cache::Failed;
use crate::config::Config;
use crate::deferred::say;
use crate::error::{Error, ErrorKind, OAuthErrorBody};
use crate::token::Token;
use serde_json::{json, Map, Value};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const FORMAT: u64 = 1;
/// Files larger than this are not ours.
const MAX_FILE: u64 = 256 * 1024;

pub(crate) struct FileCache {
    dir: PathBuf,
    key: String,
}

fn now_unix() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64()
}

/// A 64-bit hash of the parts, each followed by a separator byte.
fn hash(parts: &[&str]) -> u64 {
    crate::secret::fnv1a64(parts.iter().flat_map(|p| p.bytes().chain(std::iter::once(0xff))))
}

/// The default directory: `$XDG_CACHE_HOME/oauth2cc`, else `~/.cache/oauth2cc`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("oauth2cc"));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".cache").join("oauth2cc"))
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

impl FileCache {
    pub fn new(dir: &Path, cfg: &Config) -> Result<FileCache, Error> {
        let shown = dir.display();
        fs::create_dir_all(dir).map_err(|e| Error::config(format!("cannot create cache directory {shown}: {e}")))?;
        let meta = fs::symlink_metadata(dir).map_err(|e| Error::config(format!("cache directory {shown}: {e}")))?;
        if !meta.is_dir() {
            return Err(Error::config(format!("cache directory {shown} is not a directory")));
        }
        if meta.uid() != euid() {
            return Err(Error::config(format!("cache directory {shown} belongs to another user")));
        }
        if meta.mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::config(format!("cannot make cache directory {shown} private: {e}")))?;
        }
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let secret_hash = format!("{:016x}", hash(&["secret", cfg.client_secret.expose()]));
        let key = format!(
            "{:016x}",
            hash(&[
                &cfg.token_url,
                &cfg.client_id,
                &secret_hash,
                &opt(&cfg.scope),
                &opt(&cfg.audience),
                &opt(&cfg.resource),
                cfg.auth_method.as_str()
            ])
        );
        Ok(FileCache { dir: dir.to_path_buf(), key })
    }

    fn token_path(&self) -> PathBuf {
        self.dir.join(format!("{}.token", self.key))
    }

    fn pause_path(&self) -> PathBuf {
        self.dir.join(format!("{}.pause", self.key))
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.key))
    }

    /// A valid token from the files or from `fetch`, called by one process at
    /// a time. A failure (of `fetch`, or one recorded by another process and
    /// still pausing requests) is returned as one, with the valid token if the
    /// file holds one, so that the caller counts it and backs off.
    pub fn get(
        &self,
        fetch: &dyn Fn() -> Result<Token, Error>,
        policy: &Policy,
        deadline: Instant,
    ) -> Result<Token, Failed> {
        // One read: fresh is returned, valid (due for renewal) is kept in hand.
        let valid = match self.read_token() {
            Some(t) if Instant::now() < t.renew_at => return Ok(t),
            cached => cached.filter(|t| Instant::now() < t.expires_at),
        };
        let lock = match &valid {
            // Someone else renewing is fine: we have a token to use meanwhile.
            Some(_) => match Lock::try_take(&self.lock_path())? {
                Some(l) => l,
                None => return Ok(valid.unwrap()),
            },
            None => Lock::take(&self.lock_path(), deadline)?,
        };
        // Another process may have renewed while we waited for the lock.
        if let Some(t) = self.read_token().filter(|t| Instant::now() < t.renew_at) {
            return Ok(t);
        }
        let pause = self.read_pause();
        if let Some((e, _)) = pause.as_ref().filter(|(e, _)| e.retry_after().is_some()) {
            return Err(Failed { error: e.clone(), usable: valid.map(Box::new) });
        }
        let result = fetch();
        match &result {
            Ok(t) => {
                self.write_token(t, policy.renew_after);
                let _ = fs::remove_file(self.pause_path());
            }
            Err(e) => self.write_pause(e, policy, pause.map_or(0, |(_, n)| n) + 1),
        }
        drop(lock);
        result.map_err(|error| Failed { error, usable: valid.map(Box::new) })
    }

    /// Removes the shared token if it is still `token` (the API rejected it),
    /// so that no process keeps reading it back.
    pub fn invalidate(&self, token: &str) {
        if let Some(t) = self.read_token() {
            if t.access_token() == token {
                let _ = fs::remove_file(self.token_path());
            }
        }
    }

    /// The token file's contents if the file is ours, else None (and a foreign file is removed).
    fn read_json(&self, path: &Path) -> Option<Map<String, Value>> {
        let mut f = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.uid() != euid() || meta.mode() & 0o077 != 0 || meta.len() > MAX_FILE {
            say!(
                log::Level::Warn,
                "oauth2cc: ignoring and replacing cache file {} (wrong owner, permissions or size)",
                path.display()
            );
            let _ = fs::remove_file(path);
            return None;
        }
        let mut text = String::new();
        f.read_to_string(&mut text).ok()?;
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => {
                say!(log::Level::Warn, "oauth2cc: ignoring corrupt cache file {}", path.display());
                return None;
            }
        };
        let map = match v {
            Value::Object(m) => m,
            _ => return None,
        };
        let ours = map.get("format").and_then(Value::as_u64) == Some(FORMAT)
            && map.get("key").and_then(Value::as_str) == Some(self.key.as_str());
        ours.then_some(map)
    }

    fn read_token(&self) -> Option<Token> {
        let m = self.read_json(&self.token_path())?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
        let f = |k: &str| m.get(k).and_then(Value::as_f64).filter(|x| x.is_finite());
        let (token, token_type) = (s("access_token")?, s("token_type")?);
        let (issued, expires, renew) = (f("issued_at")?, f("expires_at")?, f("renew_at")?);
        if token.is_empty()
            || !token.bytes().all(|b| (0x21..=0x7e).contains(&b))
            || !(issued <= renew && renew <= expires)
        {
            return None;
        }
        // An expired token, or one whose lifetime rounds to zero, is not served.
        if now_unix() >= expires || expires - issued < 0.5 {
            return None;
        }
        Some(Token::from_wall_clock(token, token_type, s("scope"), issued, renew, expires))
    }

    fn write_token(&self, t: &Token, renew_after: (f64, f64)) {
        let now_i = Instant::now();
        let now = now_unix();
        let at = |i: Instant| {
            if i >= now_i {
                now + (i - now_i).as_secs_f64()
            } else {
                now - (now_i - i).as_secs_f64()
            }
        };
        let issued = at(t.requested_at());
        let expires = at(t.expires_at());
        // A fresh random renewal point per file, in the same window.
        let renew = issued + (expires - issued) * crate::jitter::uniform(renew_after.0, renew_after.1);
        let v = json!({
            "format": FORMAT,
            "key": self.key,
            "access_token": t.access_token(),
            "token_type": t.token_type(),
            "scope": t.scope(),
            "issued_at": issued,
            "renew_at": renew,
            "expires_at": expires,
        });
        self.write_atomically(&self.token_path(), &v);
    }

    /// Records a failure, the `failures`-th in a row, with the backoff it
    /// calls for, so that the next processes wait instead of retrying.
    fn write_pause(&self, e: &Error, policy: &Policy, failures: u32) {
        let wait = crate::backoff::delay_after(e, failures, policy);
        let o = e.oauth();
        let v = json!({
            "format": FORMAT,
            "key": self.key,
            "kind": kind_name(e.kind()),
            "message": e.message(),
            "status": e.status(),
            "error": o.map(|o| o.error.clone()),
            "error_description": o.and_then(|o| o.error_description.clone()),
            "failures": failures,
            "until": now_unix() + wait.as_secs_f64(),
        });
        self.write_atomically(&self.pause_path(), &v);
    }

    /// The last failure recorded by a process and how many in a row; the error
    /// has a `retry_after` while its pause lasts.
    fn read_pause(&self) -> Option<(Error, u32)> {
        let m = self.read_json(&self.pause_path())?;
        let failures = m.get("failures").and_then(Value::as_u64).unwrap_or(1).min(u32::MAX as u64) as u32;
        let left = m.get("until").and_then(Value::as_f64).filter(|x| x.is_finite())? - now_unix();
        let kind = kind_from(m.get("kind").and_then(Value::as_str)?)?;
        let msg = m.get("message").and_then(Value::as_str).unwrap_or_default();
        let left =
            (left > 0.0).then(|| Duration::from_secs_f64(left.min(crate::backoff::MAX_RETRY_AFTER.as_secs_f64())));
        let mut e = Error::new(kind, format!("{} (recorded by another process)", crate::error::sanitize(msg, 300)))
            .with_retry_after(left);
        if let Some(s) = m.get("status").and_then(Value::as_u64) {
            e = e.with_status(s as u16);
        }
        if let Some(err) = m.get("error").and_then(Value::as_str) {
            e = e.with_oauth(Some(OAuthErrorBody {
                error: err.to_string(),
                error_description: m.get("error_description").and_then(Value::as_str).map(String::from),
                error_uri: None,
            }));
        }
        Some((e, failures))
    }

    fn write_atomically(&self, path: &Path, v: &Value) {
        let tmp =
            self.dir.join(format!(".{}.{}.{:x}.tmp", self.key, std::process::id(), hash(&[&now_unix().to_string()])));
        let written = (|| -> std::io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(v.to_string().as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            say!(log::Level::Warn, "oauth2cc: cannot write cache file {}: {e}", path.display());
        }
    }
}

/// Every kind, as stored in a pause file.
const KIND_NAMES: [(ErrorKind, &str); 11] = [
    (ErrorKind::RateLimited, "rate_limited"),
    (ErrorKind::InvalidClient, "invalid_client"),
    (ErrorKind::InvalidScope, "invalid_scope"),
    (ErrorKind::Rejected, "rejected"),
    (ErrorKind::InvalidConfig, "invalid_config"),
    (ErrorKind::Network, "network"),
    (ErrorKind::Timeout, "timeout"),
    (ErrorKind::Tls, "tls"),
    (ErrorKind::Server, "server"),
    (ErrorKind::Protocol, "protocol"),
    (ErrorKind::Internal, "internal"),
];

fn kind_name(k: ErrorKind) -> &'static str {
    KIND_NAMES.iter().find(|(x, _)| *x == k).map_or("internal", |(_, n)| n)
}

fn kind_from(s: &str) -> Option<ErrorKind> {
    KIND_NAMES.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
}

/// An exclusive `flock` on a lock file, released on drop.
struct Lock(File);

impl Lock {
    fn open(path: &Path) -> Result<File, Error> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| Error::config(format!("cannot open cache lock {}: {e}", path.display())))
    }

    fn try_take(path: &Path) -> Result<Option<Lock>, Error> {
        let f = Lock::open(path)?;
        // SAFETY: a valid descriptor.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        Ok((rc == 0).then_some(Lock(f)))
    }

    fn take(path: &Path, deadline: Instant) -> Result<Lock, Error> {
        loop {
            if let Some(l) = Lock::try_take(path)? {
                return Ok(l);
            }
            if Instant::now() >= deadline {
                return Err(Error::new(ErrorKind::Timeout, "timed out waiting for another process's token request"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // SAFETY: a valid descriptor; closing would release it too.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}
