//! A token cache shared by processes through files, for short-lived processes
//! (scripts, cron jobs, the `oauth2cc` command) that would otherwise each
//! request a token and together exceed the IAM's per-IP limit.
//!
//! One file per cache key in a directory only the user can enter (0700), each
//! file 0600, written to a temporary file and renamed into place. The key is
//! an HMAC-SHA-256 of the token URL, client id, secret, scope, audience,
//! resource and auth method under a random per-user key (`hmac.key`, 0600, in
//! the same directory), so neither a file's name nor its content lets anyone
//! without that key test guesses of the secret. The directory is used as
//! given only when the user owns it and nobody else may enter it; otherwise
//! a private `oauth2cc-<uid>` inside it is used (see `private_dir`). The
//! permissions of a directory the library did not create are never changed. An advisory
//! lock (`flock` on a `.lock` file beside it) makes processes that start at
//! once send one request. The file holds the token and its absolute
//! (wall-clock) expiry and renewal point, never the secret. A file that is
//! corrupt, foreign (another owner, readable by others, another key) or of
//! another version is ignored and replaced. Failed requests are
//! recorded too, with the backoff they call for (every kind of failure), so
//! that the next processes pause instead of retrying.

use crate::backoff::Policy;
use crate::binding::Binding;
use crate::cache::Failed;
use crate::config::Config;
use crate::deferred::say;
use crate::error::{Error, ErrorKind};
use crate::token::Token;
use serde_json::{json, Map, Value};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// 2: file names and keys are HMAC-SHA-256 under the per-user key (1 was FNV-1a).
const FORMAT: u64 = 2;
/// The per-user key of the cache key HMAC; its name depends on nothing secret.
const KEY_FILE: &str = "hmac.key";
const KEY_LEN: usize = 32;
/// Files larger than this are not ours.
const MAX_FILE: u64 = 256 * 1024;

pub(crate) struct FileCache {
    dir: PathBuf,
    /// The name of the pause and lock files (the credential's).
    key: String,
    /// The name of the token file: `key`, or with a DPoP key its identity
    /// too; None when no other client could use the token (a generated key).
    token_key: Option<String>,
}

fn now_unix() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64()
}

/// A 64-bit hash of the parts, each followed by a separator byte. Only for
/// unique temporary names: never for anything derived from the secret (see `cache_key`).
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
    /// `binding`: the identity of the key tokens are bound to (see binding.rs).
    /// `key_thumbprint`: the `private_key_jwt` key's, so that another key
    /// (a rotation, a fix after a rejection) is another configuration, as another secret is.
    pub fn new(dir: &Path, cfg: &Config, binding: &Binding, key_thumbprint: Option<&str>) -> Result<FileCache, Error> {
        let dir = private_dir(dir)?;
        let hmac = hmac_key(&dir)?;
        let key = cache_key(&hmac, cfg, binding, key_thumbprint);
        let token_key = binding.shares_tokens().then(|| match binding.token_part() {
            Some(part) => {
                let mut ctx = ring::hmac::Context::with_key(&hmac);
                ctx.update(key.as_bytes());
                ctx.update(b"dpop");
                ctx.update(part);
                ctx.sign().as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            None => key.clone(),
        });
        Ok(FileCache { dir, key, token_key })
    }

    /// The token file, if tokens are shared.
    fn token_path(&self) -> Option<PathBuf> {
        self.token_key.as_ref().map(|k| self.dir.join(format!("{k}.token")))
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
        let result = match fetch() {
            Ok(t) => {
                self.write_token(&t, policy.renew_after);
                let _ = fs::remove_file(self.pause_path());
                Ok(t)
            }
            // The pause recorded for the others is this process's too (the
            // cache's backoff waits at least as long): one wait, not two draws.
            Err(e) => {
                let wait = self.write_pause(&e, policy, pause.map_or(0, |(_, n)| n) + 1);
                Err(e.with_retry_after(Some(wait)))
            }
        };
        drop(lock);
        result.map_err(|error| Failed { error, usable: valid.map(Box::new) })
    }

    /// Removes the shared token if it is still `token` (the API rejected it),
    /// so that no process keeps reading it back.
    pub fn invalidate(&self, token: &str) {
        if let Some(t) = self.read_token() {
            if t.access_token() == token {
                if let Some(p) = self.token_path() {
                    let _ = fs::remove_file(p);
                }
            }
        }
    }

    /// The token file's contents if the file is ours, else None (and a foreign file is removed).
    fn read_json(&self, path: &Path, key: &str) -> Option<Map<String, Value>> {
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
            && map.get("key").and_then(Value::as_str) == Some(key);
        ours.then_some(map)
    }

    fn read_token(&self) -> Option<Token> {
        let m = self.read_json(&self.token_path()?, self.token_key.as_deref()?)?;
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
        let (Some(path), Some(key)) = (self.token_path(), self.token_key.as_deref()) else { return };
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
            "key": key,
            "access_token": t.access_token(),
            "token_type": t.token_type(),
            "scope": t.granted_scope(),
            "issued_at": issued,
            "renew_at": renew,
            "expires_at": expires,
        });
        self.write_atomically(&path, &v);
    }

    /// Records a failure, the `failures`-th in a row, with the backoff it
    /// calls for, so that the next processes wait instead of retrying.
    /// Records `e`'s pause for the other processes; returns how long it lasts.
    fn write_pause(&self, e: &Error, policy: &Policy, failures: u32) -> Duration {
        let wait = crate::backoff::delay_after(e, failures, policy);
        let mut m = crate::error::record(e);
        m.insert("format".into(), json!(FORMAT));
        m.insert("key".into(), json!(self.key));
        m.insert("failures".into(), json!(failures));
        m.insert("until".into(), json!(now_unix() + wait.as_secs_f64()));
        let v = Value::Object(m);
        self.write_atomically(&self.pause_path(), &v);
        wait
    }

    /// The last failure recorded by a process and how many in a row; the error
    /// has a `retry_after` while its pause lasts.
    fn read_pause(&self) -> Option<(Error, u32)> {
        let m = self.read_json(&self.pause_path(), &self.key)?;
        let failures = m.get("failures").and_then(Value::as_u64).unwrap_or(1).min(u32::MAX as u64) as u32;
        let left = m.get("until").and_then(Value::as_f64).filter(|x| x.is_finite())? - now_unix();
        let left =
            (left > 0.0).then(|| Duration::from_secs_f64(left.min(crate::backoff::MAX_RETRY_AFTER.as_secs_f64())));
        let mut e = crate::error::from_record(&m, "another process")?;
        if left.is_some() {
            e = e.during_pause(left);
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

/// The directory to keep the files in: `dir` itself when this user owns it
/// and nobody else may enter it (it is created 0700 when missing); else a
/// private `oauth2cc-<uid>` inside it, when `dir` belongs to this user or
/// root and nobody else can replace entries in it (not writable by others,
/// or sticky like /tmp); else a configuration error.
fn private_dir(dir: &Path) -> Result<PathBuf, Error> {
    let shown = dir.display();
    let meta = match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)
                    .map_err(|e| Error::config(format!("cannot create cache directory {shown}: {e}")))?;
            }
            make_private_dir(dir)?;
            return Ok(dir.to_path_buf());
        }
        Err(e) => return Err(Error::config(format!("cache directory {shown}: {e}"))),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(Error::config(format!("cache directory {shown} is not a directory")));
    }
    if meta.uid() == euid() && meta.mode() & 0o077 == 0 {
        return Ok(dir.to_path_buf());
    }
    let replaceable_by_others = meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0;
    if !(meta.uid() == euid() || meta.uid() == 0) || replaceable_by_others {
        return Err(Error::config(format!(
            "cache directory {shown} is not safe for the token cache: it belongs to another user or others can \
             replace its entries (writable without the sticky bit); use a directory of your own"
        )));
    }
    let sub = dir.join(format!("oauth2cc-{}", euid()));
    make_private_dir(&sub)?;
    Ok(sub)
}

/// Creates `dir` with mode 0700 unless it exists, then checks that it is a
/// directory (not a symlink) of this user that nobody else may enter.
fn make_private_dir(dir: &Path) -> Result<(), Error> {
    let shown = dir.display();
    use std::os::unix::fs::DirBuilderExt as _;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::config(format!("cannot create cache directory {shown}: {e}")))
        }
        _ => {}
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::config(format!("cache directory {shown}: {e}")))?;
    if !meta.is_dir() || meta.uid() != euid() || meta.mode() & 0o077 != 0 {
        return Err(Error::config(format!(
            "cache directory {shown} is not a private directory of this user (it is a symlink, belongs to \
             another user or others may enter it); remove it or choose another cache directory"
        )));
    }
    Ok(())
}

/// The per-user HMAC key from `dir/hmac.key`, created with random bytes on
/// first use. A key file that is not a regular 0600 file of this user holding
/// exactly 32 bytes is replaced (the cached tokens are then requested anew).
fn hmac_key(dir: &Path) -> Result<ring::hmac::Key, Error> {
    let path = dir.join(KEY_FILE);
    for _ in 0..3 {
        match read_key(&path) {
            Ok(Some(k)) => return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k.as_ref())),
            Ok(None) => {}
            Err(why) => {
                log::warn!("oauth2cc: replacing cache key file {} ({why})", path.display());
                let _ = fs::remove_file(&path);
            }
        }
        create_key(dir, &path)?;
    }
    Err(Error::config(format!("cannot set up the cache key file {}", path.display())))
}

/// The key, None when there is no key file, or why the file is not acceptable.
fn read_key(path: &Path) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, &'static str> {
    let mut f = match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err("not a readable regular file"),
    };
    let meta = f.metadata().map_err(|_| "cannot stat it")?;
    if !meta.is_file() || meta.uid() != euid() || meta.mode() & 0o077 != 0 || meta.len() != KEY_LEN as u64 {
        return Err("wrong type, owner, permissions or size");
    }
    let mut key = zeroize::Zeroizing::new(Vec::with_capacity(KEY_LEN));
    Read::by_ref(&mut f).take(KEY_LEN as u64 + 1).read_to_end(&mut key).map_err(|_| "cannot read it")?;
    if key.len() != KEY_LEN {
        return Err("wrong size");
    }
    Ok(Some(key))
}

/// Writes a fresh random key to a temporary file and links it into place, so
/// that the key file appears complete or not at all; a key another process
/// linked first wins.
fn create_key(dir: &Path, path: &Path) -> Result<(), Error> {
    use ring::rand::SecureRandom as _;
    let mut key = zeroize::Zeroizing::new([0u8; KEY_LEN]);
    ring::rand::SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| Error::new(ErrorKind::Internal, "no random bytes for the cache key"))?;
    let tmp = dir.join(format!(".{KEY_FILE}.{}.{:x}.tmp", std::process::id(), hash(&[&now_unix().to_string()])));
    let made = (|| -> std::io::Result<()> {
        let mut f =
            OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(&tmp)?;
        f.write_all(key.as_ref())?;
        f.sync_all()?;
        match fs::hard_link(&tmp, path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    })();
    let _ = fs::remove_file(&tmp);
    made.map_err(|e| Error::config(format!("cannot create the cache key file {}: {e}", path.display())))
}

/// The name of a configuration's files: HMAC-SHA-256 (first 128 bits, hex)
/// of its parts, each preceded by its length so that no two configurations share an input.
fn cache_key(key: &ring::hmac::Key, cfg: &Config, binding: &Binding, key_thumbprint: Option<&str>) -> String {
    let mut ctx = ring::hmac::Context::with_key(key);
    binding.identify(cfg, &mut |b| ctx.update(b));
    // Unlike the fleet's keys, the credential too (hidden by the HMAC): another
    // secret or private_key_jwt key is another configuration, whose pauses and
    // tokens are its own.
    for part in [cfg.client_secret.expose(), "private_key_jwt key", key_thumbprint.unwrap_or_default()] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    ctx.sign().as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every kind, as stored in a pause file.
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
