//! Settings from the `OAUTH2CC_*` environment and the config file's profiles:
//! the one place that reads them, for the command line, Python's
//! `Client.from_env()` and C's `oauth_client_new_from_env`.
//!
//! Precedence, weakest first: a profile of the config file, the environment,
//! then overrides (the command line's flags, Python's keywords). The secret
//! has its own order: a secret given directly ([`Settings::set_secret`]),
//! then a `client_secret_file` given as an override, then
//! `OAUTH2CC_CLIENT_SECRET`, then `client_secret_file` from the environment
//! (`OAUTH2CC_CLIENT_SECRET_FILE`) or the profile. A profile never holds the
//! secret itself.
//!
//! One rule for empty values, in every source: an empty value counts as not
//! given (a weaker source's value stays), except `proxy`, where an empty
//! value means "no proxy" (environment variables included).
//!
//! The config file is `OAUTH2CC_CONFIG`, or `$XDG_CONFIG_HOME/oauth2cc/config`
//! (`~/.config/oauth2cc/config`): `[default]` and `[profile NAME]` sections of
//! `key = value` lines (lines starting with `#` or `;` are comments; the rest
//! of a line after `=` is the value, verbatim but for the spaces around it: a
//! `#` after a value is part of it); the keys are those of [`KEYS`]. A
//! leading byte order mark is skipped. The config file must be a regular
//! file of at most 1 MiB, a secret file one of at most 64 KiB (a device, a
//! FIFO or a larger file is a configuration error, never read to its end).
//! A variable that is not UTF-8 is a configuration error naming it. The profile is the one named by the caller, else
//! `OAUTH2CC_PROFILE`, else `[default]` if the file has one. A named profile
//! that is missing, or a config file named explicitly that is missing, is an error.

use crate::config::{AuthMethod, Config, KeySource};
use crate::error::{sanitize, Error};
use crate::secret::Secret;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The largest config file read (a larger one is refused, not truncated).
const MAX_CONFIG_FILE: u64 = 1 << 20;

/// The largest secret file read (a larger one is refused, not truncated).
pub(crate) const MAX_SECRET_FILE: u64 = 64 << 10;

/// Every setting: its key (in a profile, and for [`Settings::set`]) and its
/// environment variable.
pub const KEYS: &[(&str, &str)] = &[
    ("token_url", "OAUTH2CC_TOKEN_URL"),
    ("client_id", "OAUTH2CC_CLIENT_ID"),
    ("client_secret_file", "OAUTH2CC_CLIENT_SECRET_FILE"),
    ("auth_method", "OAUTH2CC_AUTH_METHOD"),
    ("scope", "OAUTH2CC_SCOPE"),
    ("audience", "OAUTH2CC_AUDIENCE"),
    ("resource", "OAUTH2CC_RESOURCE"),
    ("ca_file", "OAUTH2CC_CA_FILE"),
    ("proxy", "OAUTH2CC_PROXY"),
    ("timeout", "OAUTH2CC_TIMEOUT"),
    ("connect_timeout", "OAUTH2CC_CONNECT_TIMEOUT"),
    ("max_requests_per_second", "OAUTH2CC_MAX_REQUESTS_PER_SECOND"),
    ("allow_insecure_http", "OAUTH2CC_ALLOW_INSECURE_HTTP"),
    ("cache_dir", "OAUTH2CC_CACHE_DIR"),
    ("private_key", "OAUTH2CC_PRIVATE_KEY"),
    ("signing_alg", "OAUTH2CC_SIGNING_ALG"),
    ("key_id", "OAUTH2CC_KEY_ID"),
    ("assertion_audience", "OAUTH2CC_ASSERTION_AUDIENCE"),
    ("client_cert", "OAUTH2CC_CLIENT_CERT"),
    ("client_key", "OAUTH2CC_CLIENT_KEY"),
    ("dpop", "OAUTH2CC_DPOP"),
    ("dpop_key", "OAUTH2CC_DPOP_KEY"),
    ("issuer", "OAUTH2CC_ISSUER"),
    ("shared_cache_url", "OAUTH2CC_SHARED_CACHE_URL"),
    ("shared_cache_password_file", "OAUTH2CC_SHARED_CACHE_PASSWORD_FILE"),
    ("shared_cache_timeout", "OAUTH2CC_SHARED_CACHE_TIMEOUT"),
];

/// The variable that holds the secret itself (never a profile key).
pub const SECRET_VARIABLE: &str = "OAUTH2CC_CLIENT_SECRET";

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A profile of the config file: the file and the section.
    Profile(PathBuf, String),
    Environment,
    /// Given by the program (a flag, a keyword argument).
    Override,
}

/// The layered settings. [`Settings::load`] reads the profile and the
/// environment; [`Settings::set`] layers overrides on top; [`Settings::config`]
/// makes the client configuration, listing every missing required setting at once.
#[derive(Debug, Default)]
pub struct Settings {
    values: HashMap<&'static str, (String, Source)>,
    secret: Option<Secret>,
}

fn key_of(name: &str) -> Option<&'static str> {
    KEYS.iter().find(|(k, _)| *k == name).map(|(k, _)| *k)
}

fn env_of(key: &str) -> &'static str {
    KEYS.iter().find(|(k, _)| *k == key).map_or("", |(_, e)| *e)
}

/// Whether a value counts as given (see the module's rule for empty values).
fn given(key: &str, value: &str) -> bool {
    !value.is_empty() || key == "proxy"
}

/// A variable's value: `None` when unset; an error naming the variable (never
/// its value: it may be the secret) when it is not UTF-8.
fn var(name: &str) -> Result<Option<String>, Error> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) => v.into_string().map(Some).map_err(|_| Error::config(format!("{name} is not valid UTF-8"))),
    }
}

/// Why [`read_small_file`] failed.
pub(crate) enum FileError {
    Io(std::io::Error),
    NotRegular,
    TooLarge(u64),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Io(e) => write!(f, "{e}"),
            FileError::NotRegular => f.write_str("not a regular file"),
            FileError::TooLarge(cap) => write!(f, "larger than {} KiB", cap >> 10),
        }
    }
}

/// The bytes of the regular file `path`, at most `cap` of them. Opened once,
/// without waiting (`O_NONBLOCK`: opening a FIFO would otherwise block until a
/// writer comes; `O_NOCTTY`: a terminal never becomes ours), and checked on
/// the opened handle (no swap between the check and the read); a device,
/// FIFO or directory is refused, as is a file larger than `cap` (never read
/// past `cap + 1` bytes, so `/dev/zero` cannot exhaust memory). The buffer is
/// wiped on drop (it may hold the secret).
pub(crate) fn read_small_file(path: &Path, cap: u64) -> Result<Zeroizing<Vec<u8>>, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(FileError::Io)?;
    let meta = file.metadata().map_err(FileError::Io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular);
    }
    // Room for the whole file and the byte that shows it is too large, so the
    // buffer is not reallocated (which would leave unwiped copies behind).
    let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len().min(cap) as usize + 1));
    file.take(cap + 1).read_to_end(&mut bytes).map_err(FileError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge(cap));
    }
    Ok(bytes)
}

/// The config file: `explicit`, else `OAUTH2CC_CONFIG`, else
/// `$XDG_CONFIG_HOME/oauth2cc/config` (`~/.config/oauth2cc/config`).
pub fn config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(f) = explicit {
        return Some(f.to_path_buf());
    }
    if let Some(f) = std::env::var_os("OAUTH2CC_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(f));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("oauth2cc").join("config"))
}

/// The `key = value` pairs of `[profile NAME]` (or `[default]`) in `path`.
/// A missing file is no profile unless `explicit`; a missing section is an
/// error when `explicit`.
pub fn read_profile(path: &Path, name: &str, explicit: bool) -> Result<Vec<(&'static str, String)>, Error> {
    let shown = path.display();
    let bytes = match read_small_file(path, MAX_CONFIG_FILE) {
        Ok(b) => b,
        Err(FileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(Vec::new()),
        Err(e) => return Err(Error::config(format!("cannot read config file {shown}: {e}"))),
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::config(format!("cannot read config file {shown}: not valid UTF-8")))?;
    // A byte order mark (some Windows editors write one) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let wanted = if name == "default" { "default".to_string() } else { format!("profile {name}") };
    let mut section = String::new();
    let mut found = false;
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            found |= section == wanted;
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::config(format!("{shown}:{}: expected key = value", n + 1)));
        };
        if section != wanted {
            continue;
        }
        let k = k.trim();
        if k == "client_secret" {
            return Err(Error::config(format!(
                "{shown}:{}: put the secret in a file and name it with client_secret_file",
                n + 1
            )));
        }
        let Some(key) = key_of(k) else {
            return Err(Error::config(format!("{shown}:{}: unknown setting {:?}", n + 1, sanitize(k, 40))));
        };
        out.push((key, v.trim().to_string()));
    }
    if explicit && !found {
        return Err(Error::config(format!("profile {:?} is not in {shown}", sanitize(name, 60))));
    }
    Ok(out)
}

impl Settings {
    /// The profile (`profile`, else `OAUTH2CC_PROFILE`, else `[default]`) of
    /// the config file (`config_file`, else as [`config_file`] finds it), with
    /// the environment layered on top.
    pub fn load(profile: Option<&str>, config_file: Option<&Path>) -> Result<Settings, Error> {
        let mut s = Settings::default();
        let profile = match profile {
            Some(p) => Some(p.to_string()),
            None => var("OAUTH2CC_PROFILE")?,
        };
        let profile = profile.filter(|p| !p.is_empty());
        if let Some(path) = self::config_file(config_file) {
            let explicit = config_file.is_some() || profile.is_some();
            let name = profile.as_deref().unwrap_or("default");
            for (key, v) in read_profile(&path, name, explicit)? {
                if given(key, &v) {
                    s.values.insert(key, (v, Source::Profile(path.clone(), name.to_string())));
                }
            }
        }
        for (key, env) in KEYS {
            if let Some(v) = var(env)? {
                if given(key, &v) {
                    s.values.insert(key, (v, Source::Environment));
                }
            }
        }
        Ok(s)
    }

    /// Overrides a setting (a flag, a keyword argument); an empty value is
    /// ignored, except for `proxy` (no proxy). An unknown key is an error.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> Result<(), Error> {
        let key = key_of(key).ok_or_else(|| Error::config(format!("unknown setting {:?}", sanitize(key, 40))))?;
        let value = value.into();
        if given(key, &value) {
            self.values.insert(key, (value, Source::Override));
        }
        Ok(())
    }

    /// Forgets a setting from every source (the command line's `--no-cache`).
    pub fn unset(&mut self, key: &str) {
        self.values.remove(key);
    }

    /// The secret itself (standard input, a keyword argument): beats every other source.
    pub fn set_secret(&mut self, secret: impl Into<Secret>) {
        self.secret = Some(secret.into());
    }

    /// A setting's value, if a source gave one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }

    /// Where a setting's value came from.
    pub fn source(&self, key: &str) -> Option<&Source> {
        self.values.get(key).map(|(_, s)| s)
    }

    /// How to name a setting in a message: its variable, its profile line, or its key.
    fn named(&self, key: &str) -> String {
        match self.source(key) {
            Some(Source::Environment) => env_of(key).to_string(),
            Some(Source::Profile(path, name)) => format!("{key} (profile {name:?} of {})", path.display()),
            _ => key.to_string(),
        }
    }

    fn secret(&self) -> Result<Option<Secret>, Error> {
        if let Some(s) = &self.secret {
            return nonempty(s.expose().to_string(), "as given").map(Some);
        }
        let file_from_override = matches!(self.source("client_secret_file"), Some(Source::Override));
        if !file_from_override {
            if let Some(v) = var(SECRET_VARIABLE)?.filter(|v| !v.is_empty()) {
                return Ok(Some(Secret::new(v)));
            }
        }
        let Some(f) = self.get("client_secret_file") else { return Ok(None) };
        let path = expand_home(f);
        let cannot = |why: &dyn std::fmt::Display| {
            Error::config(format!(
                "cannot read the secret file {} ({}): {why}",
                path.display(),
                self.named("client_secret_file")
            ))
        };
        let bytes = read_small_file(&path, MAX_SECRET_FILE).map_err(|e| cannot(&e))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| cannot(&"not valid UTF-8"))?;
        nonempty(text.trim_end_matches(['\r', '\n']).to_string(), "the secret file").map(Some)
    }

    /// The client configuration these settings describe. Every missing
    /// required setting (token URL, client id, secret) is named in one error.
    /// Defaults are [`Config::new`]'s; no cache directory unless one is set.
    pub fn config(&self) -> Result<Config, Error> {
        let mut missing = Vec::new();
        let url = self.get("token_url").filter(|v| !v.is_empty());
        let issuer = self.get("issuer").filter(|v| !v.is_empty());
        // Two ways to the token endpoint: the one from the stronger source wins
        // (a --issuer flag over a profile's token_url); from one source, both is an error.
        let rank = |key: &str| match self.source(key) {
            Some(Source::Profile(..)) => 1,
            Some(Source::Environment) => 2,
            Some(Source::Override) => 3,
            None => 0,
        };
        let (url, issuer) = match (url, issuer) {
            (Some(u), Some(_)) if rank("token_url") > rank("issuer") => (Some(u), None),
            (Some(_), Some(i)) if rank("issuer") > rank("token_url") => (None, Some(i)),
            pair => pair,
        };
        let id = self.get("client_id").filter(|v| !v.is_empty());
        let method = match self.get("auth_method") {
            Some(m) => Some(m.parse::<AuthMethod>().map_err(|e| self.invalid("auth_method", e.message()))?),
            None => None,
        };
        // The secret is needed unless the method does without it: named so,
        // or left to discovery with a key or a certificate to offer.
        let needs_secret = match method {
            Some(m) => m.uses_secret(),
            None => self.get("private_key").is_none() && self.get("client_cert").is_none(),
        };
        if url.is_none() && issuer.is_none() {
            missing.push("token_url (OAUTH2CC_TOKEN_URL) or issuer (OAUTH2CC_ISSUER)");
        }
        if id.is_none() {
            missing.push("client_id (OAUTH2CC_CLIENT_ID)");
        }
        let secret = self.secret();
        if needs_secret && matches!(secret, Ok(None)) {
            missing.push("the client secret (OAUTH2CC_CLIENT_SECRET or OAUTH2CC_CLIENT_SECRET_FILE)");
        }
        if !missing.is_empty() {
            return Err(Error::config(format!("missing settings: {}", missing.join(", "))).with_hint(
                "set them in the environment (the variables named), in a profile of the config file, or with the caller's own settings (command-line flags, keyword arguments); never the secret itself in a profile",
            ));
        }
        let Some(id) = id else { unreachable!("checked above") };
        let secret = secret?.unwrap_or_else(|| Secret::new(""));
        let mut cfg = Config::new(url.unwrap_or_default(), id, secret);
        if let Some(m) = method {
            cfg = cfg.auth_method(m);
        }
        if let Some(v) = self.get("private_key") {
            cfg = cfg.private_key(match KeySource::from_path_or_pem(v) {
                KeySource::File(_) => KeySource::File(expand_home(v)),
                pem => pem,
            });
        }
        if let Some(v) = self.get("signing_alg") {
            cfg = cfg.signing_alg(v);
        }
        if let Some(v) = self.get("key_id") {
            cfg = cfg.key_id(v);
        }
        if let Some(v) = self.get("assertion_audience") {
            cfg = cfg.assertion_audience(v);
        }
        if let Some(v) = self.get("client_cert") {
            cfg = cfg.client_cert(expand_home(v));
        }
        if let Some(v) = self.get("client_key") {
            cfg = cfg.client_key(expand_home(v));
        }
        if let Some(v) = self.get("dpop") {
            cfg = cfg.dpop(self.flag("dpop", v)?);
        }
        if let Some(v) = self.get("dpop_key") {
            cfg = cfg.dpop_key(expand_home(v));
        }
        if let Some(v) = issuer {
            cfg = cfg.issuer(v);
        }
        if let Some(v) = self.get("shared_cache_url") {
            cfg = cfg.shared_cache_url(v);
        }
        if let Some(v) = self.get("shared_cache_password_file") {
            cfg = cfg.shared_cache_password_file(expand_home(v));
        }
        if let Some(v) = self.get("shared_cache_timeout") {
            cfg = cfg.shared_cache_timeout(self.seconds("shared_cache_timeout", v)?);
        }
        if let Some(v) = self.get("scope") {
            cfg = cfg.scope(v);
        }
        if let Some(v) = self.get("audience") {
            cfg = cfg.audience(v);
        }
        if let Some(v) = self.get("resource") {
            cfg = cfg.resource(v);
        }
        if let Some(v) = self.get("ca_file") {
            cfg = cfg.ca_file(expand_home(v));
        }
        if let Some(v) = self.get("proxy") {
            cfg = if v.is_empty() { cfg.no_proxy() } else { cfg.proxy(v) };
        }
        if let Some(v) = self.get("timeout") {
            cfg = cfg.timeout(self.seconds("timeout", v)?);
        }
        if let Some(v) = self.get("connect_timeout") {
            cfg = cfg.connect_timeout(self.seconds("connect_timeout", v)?);
        }
        if let Some(v) = self.get("max_requests_per_second") {
            let rate = v.trim().parse::<f64>().map_err(|_| self.invalid("max_requests_per_second", "not a number"))?;
            cfg = cfg.max_requests_per_second(rate);
        }
        if let Some(v) = self.get("allow_insecure_http") {
            cfg = cfg.allow_insecure_http(self.flag("allow_insecure_http", v)?);
        }
        if let Some(v) = self.get("cache_dir") {
            cfg = cfg.cache_dir(expand_home(v));
        }
        Ok(cfg)
    }

    fn invalid(&self, key: &str, why: &str) -> Error {
        let v = self.get(key).unwrap_or_default();
        Error::config(format!("{} is not valid ({v:?}): {why}", self.named(key)))
    }

    fn seconds(&self, key: &str, v: &str) -> Result<Duration, Error> {
        match v.trim().parse::<f64>() {
            Ok(s) if s > 0.0 && s.is_finite() && s < 1e6 => Ok(Duration::from_secs_f64(s)),
            _ => Err(self.invalid(key, "need a positive number of seconds")),
        }
    }

    fn flag(&self, key: &str, v: &str) -> Result<bool, Error> {
        match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(key, "need 1 or 0 (true/false, yes/no, on/off)")),
        }
    }
}

impl Config {
    /// The configuration from a profile and the environment (see
    /// [`Settings`]): `profile` None means `OAUTH2CC_PROFILE`, or `[default]`.
    pub fn from_env(profile: Option<&str>) -> Result<Config, Error> {
        Settings::load(profile, None)?.config()
    }
}

fn nonempty(s: String, from: &str) -> Result<Secret, Error> {
    if s.is_empty() {
        Err(Error::config(format!("the client secret from {from} is empty")))
    } else {
        Ok(Secret::new(s))
    }
}

/// `~/x` with `$HOME` for `~`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}
