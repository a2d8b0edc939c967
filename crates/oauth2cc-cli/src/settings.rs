//! Where the command's settings come from, weakest first: a profile in the
//! config file, the environment, then flags. The secret never comes from a
//! flag's value (other users can read command lines in `ps`): it comes from
//! `OAUTH2CC_CLIENT_SECRET`, a file, or standard input, with the same order:
//! `--client-secret-stdin` or `--client-secret-file`, then
//! `OAUTH2CC_CLIENT_SECRET`, then `OAUTH2CC_CLIENT_SECRET_FILE`, then the
//! profile's `client_secret_file`. An empty environment variable counts as
//! unset, except `OAUTH2CC_PROXY` where `''` means no proxy.

use crate::Failure;
use oauth2cc_core::{AuthMethod, Config};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Default, Debug)]
pub struct Settings {
    pub values: HashMap<&'static str, String>,
    /// The keys whose value came from a flag.
    pub from_flags: Vec<&'static str>,
    pub secret_from_stdin: bool,
    pub no_cache: bool,
    pub allow_insecure_http: bool,
}

/// Settings a profile, the environment or a flag may give, with their names in each.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("token_url", "OAUTH2CC_TOKEN_URL", "--token-url"),
    ("client_id", "OAUTH2CC_CLIENT_ID", "--client-id"),
    ("client_secret_file", "OAUTH2CC_CLIENT_SECRET_FILE", "--client-secret-file"),
    ("auth_method", "OAUTH2CC_AUTH_METHOD", "--auth-method"),
    ("scope", "OAUTH2CC_SCOPE", "--scope"),
    ("audience", "OAUTH2CC_AUDIENCE", "--audience"),
    ("resource", "OAUTH2CC_RESOURCE", "--resource"),
    ("ca_file", "OAUTH2CC_CA_FILE", "--ca-file"),
    ("proxy", "OAUTH2CC_PROXY", "--proxy"),
    ("timeout", "OAUTH2CC_TIMEOUT", "--timeout"),
    ("connect_timeout", "OAUTH2CC_CONNECT_TIMEOUT", "--connect-timeout"),
    ("cache_dir", "OAUTH2CC_CACHE_DIR", "--cache-dir"),
];

fn usage(msg: impl Into<String>) -> Failure {
    Failure::usage(msg)
}

/// The config file: `--config`, `OAUTH2CC_CONFIG`, or `$XDG_CONFIG_HOME/oauth2cc/config`
/// (`~/.config/oauth2cc/config`).
pub fn config_file(flag: Option<&str>) -> Option<PathBuf> {
    if let Some(f) = flag {
        return Some(PathBuf::from(f));
    }
    if let Some(f) = std::env::var_os("OAUTH2CC_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(f));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("oauth2cc").join("config"))
}

/// Reads `[profile NAME]` (or `[default]`) from an INI-style file of `key = value` lines.
pub fn read_profile(path: &Path, name: &str, explicit: bool) -> Result<HashMap<String, String>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(HashMap::new()),
        Err(e) => return Err(usage(format!("cannot read config file {}: {e}", path.display()))),
    };
    let wanted = if name == "default" { "default".to_string() } else { format!("profile {name}") };
    let mut section = String::new();
    let mut found = false;
    let mut out = HashMap::new();
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
            return Err(usage(format!("{}:{}: expected key = value", path.display(), n + 1)));
        };
        if section != wanted {
            continue;
        }
        let k = k.trim();
        if k == "client_secret" {
            return Err(usage(format!(
                "{}:{}: put the secret in a file and name it with client_secret_file",
                path.display(),
                n + 1
            )));
        }
        if !KEYS.iter().any(|(key, _, _)| *key == k) {
            return Err(usage(format!("{}:{}: unknown setting {k:?}", path.display(), n + 1)));
        }
        out.insert(k.to_string(), v.trim().to_string());
    }
    if explicit && !found {
        return Err(usage(format!("profile {name:?} is not in {}", path.display())));
    }
    Ok(out)
}

impl Settings {
    /// A setting's value, if any source gave one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Layers profile, environment and flags.
    pub fn resolve(
        flags: HashMap<&'static str, String>,
        profile: Option<&str>,
        config: Option<&str>,
    ) -> Result<Settings, Failure> {
        let mut s = Settings::default();
        let profile_name = profile.map(String::from).or_else(|| std::env::var("OAUTH2CC_PROFILE").ok());
        if let Some(path) = config_file(config) {
            let explicit = config.is_some() || profile_name.is_some();
            let name = profile_name.as_deref().unwrap_or("default");
            for (k, v) in read_profile(&path, name, explicit)? {
                if let Some((key, _, _)) = KEYS.iter().find(|(key, _, _)| *key == k) {
                    s.values.insert(key, v);
                }
            }
        }
        for (key, env, _) in KEYS {
            if let Ok(v) = std::env::var(env) {
                if !v.is_empty() || *key == "proxy" {
                    s.values.insert(key, v);
                }
            }
        }
        s.from_flags = flags.keys().copied().collect();
        s.values.extend(flags);
        Ok(s)
    }

    fn secret(&self) -> Result<String, Failure> {
        if self.secret_from_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| usage(format!("cannot read the secret from standard input: {e}")))?;
            return nonempty(line.trim_end_matches(['\r', '\n']).to_string(), "standard input");
        }
        // A secret file named by a flag beats the secret in the environment.
        if !self.from_flags.contains(&"client_secret_file") {
            if let Ok(v) = std::env::var("OAUTH2CC_CLIENT_SECRET") {
                if !v.is_empty() {
                    return Ok(v);
                }
            }
        }
        if let Some(f) = self.get("client_secret_file") {
            let path = expand_home(f);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| usage(format!("cannot read the secret file {}: {e}", path.display())))?;
            return nonempty(text.trim_end_matches(['\r', '\n']).to_string(), "the secret file");
        }
        Err(usage(
            "no client secret: set OAUTH2CC_CLIENT_SECRET or OAUTH2CC_CLIENT_SECRET_FILE, or use --client-secret-file or --client-secret-stdin",
        ))
    }

    /// The client configuration these settings describe.
    pub fn config(&self) -> Result<Config, Failure> {
        let need = |k: &str, env: &str, flag: &str| {
            self.get(k).map(String::from).ok_or_else(|| usage(format!("no {k}: use {flag} or {env}, or a profile")))
        };
        let url = need("token_url", "OAUTH2CC_TOKEN_URL", "--token-url")?;
        let id = need("client_id", "OAUTH2CC_CLIENT_ID", "--client-id")?;
        let mut cfg = Config::new(url, id, self.secret()?).allow_insecure_http(self.allow_insecure_http);
        if let Some(m) = self.get("auth_method") {
            cfg = cfg.auth_method(m.parse::<AuthMethod>().map_err(|e| usage(e.to_string()))?);
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
        if let Some(v) = self.values.get("proxy") {
            cfg = if v.is_empty() { cfg.no_proxy() } else { cfg.proxy(v.clone()) };
        }
        if let Some(v) = self.get("timeout") {
            cfg = cfg.timeout(seconds("timeout", v)?);
        }
        if let Some(v) = self.get("connect_timeout") {
            cfg = cfg.connect_timeout(seconds("connect timeout", v)?);
        }
        if !self.no_cache {
            let dir = self.get("cache_dir").map(expand_home).or_else(oauth2cc_core::default_cache_dir);
            if let Some(d) = dir {
                cfg = cfg.cache_dir(d);
            }
        }
        Ok(cfg)
    }
}

fn nonempty(s: String, from: &str) -> Result<String, Failure> {
    if s.is_empty() {
        Err(usage(format!("the client secret from {from} is empty")))
    } else {
        Ok(s)
    }
}

fn seconds(what: &str, v: &str) -> Result<Duration, Failure> {
    match v.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() && s < 1e6 => Ok(Duration::from_secs_f64(s)),
        _ => Err(usage(format!("{what} must be a positive number of seconds, got {v:?}"))),
    }
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// A yes/no environment variable (1/true/yes/on, 0/false/no/off; unset or empty is no).
pub fn env_flag(name: &str) -> Result<bool, Failure> {
    match std::env::var(name).unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "off" => Ok(false),
        "1" | "true" | "yes" | "on" => Ok(true),
        other => Err(Failure::usage(format!("{name} must be 1 or 0 (true/false), not {other:?}"))),
    }
}
