//! The command's flags, layered on the core's settings (a profile of the
//! config file, then the environment: see `oauth2cc_core::Settings`). The
//! secret never comes from a flag's value (other users can read command lines
//! in `ps`): `--client-secret-stdin` reads it, `--client-secret-file` names a
//! file, which beats `OAUTH2CC_CLIENT_SECRET`.

use crate::Failure;
use oauth2cc_core::{Config, Settings};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

/// The flags that set a core setting, by its key.
pub const FLAGS: &[(&str, &str)] = &[
    ("token_url", "--token-url"),
    ("client_id", "--client-id"),
    ("client_secret_file", "--client-secret-file"),
    ("auth_method", "--auth-method"),
    ("scope", "--scope"),
    ("audience", "--audience"),
    ("resource", "--resource"),
    ("ca_file", "--ca-file"),
    ("proxy", "--proxy"),
    ("timeout", "--timeout"),
    ("connect_timeout", "--connect-timeout"),
    ("cache_dir", "--cache-dir"),
    ("private_key", "--private-key"),
    ("signing_alg", "--signing-alg"),
    ("key_id", "--key-id"),
    ("assertion_audience", "--assertion-audience"),
    ("client_cert", "--client-cert"),
    ("client_key", "--client-key"),
    ("dpop_key", "--dpop-key"),
    ("issuer", "--issuer"),
    ("shared_cache_url", "--shared-cache"),
    ("shared_cache_password_file", "--shared-cache-password-file"),
    ("shared_cache_timeout", "--shared-cache-timeout"),
];

/// What the command line says beyond the core's sources.
pub struct Flags<'a> {
    pub values: HashMap<&'static str, String>,
    pub profile: Option<&'a str>,
    pub config: Option<&'a str>,
    pub secret_from_stdin: bool,
    pub no_cache: bool,
    pub allow_insecure_http: bool,
}

/// The client configuration: the core's settings with the flags on top; the
/// file cache on by default (`--no-cache` turns it off).
pub fn config(flags: Flags<'_>) -> Result<Config, Failure> {
    let mut s = Settings::load(flags.profile, flags.config.map(Path::new))?;
    for (key, value) in flags.values {
        s.set(key, value)?;
    }
    if flags.allow_insecure_http {
        s.set("allow_insecure_http", "1")?;
    }
    if flags.no_cache {
        s.unset("cache_dir");
    }
    if flags.secret_from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read the secret from standard input: {e}")))?;
        let secret = line.trim_end_matches(['\r', '\n']);
        if secret.is_empty() {
            return Err(Failure::usage("the client secret from standard input is empty"));
        }
        s.set_secret(secret);
    }
    let mut cfg = s.config()?;
    if !flags.no_cache && s.get("cache_dir").is_none() {
        if let Some(d) = oauth2cc_core::default_cache_dir() {
            cfg = cfg.cache_dir(d);
        }
    }
    Ok(cfg)
}
