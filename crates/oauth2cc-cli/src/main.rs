//! `oauth2cc`: OAuth 2.0 client-credentials tokens for shell scripts and
//! short-lived processes, shared between processes through a file cache.

mod settings;

use base64::Engine as _;
use oauth2cc_core::{Client, ErrorKind, Unauthorized};
use settings::{Settings, KEYS};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: oauth2cc [OPTIONS] COMMAND

Commands:
  token                         print the access token
  header                        print 'Authorization: Bearer <token>'
  request METHOD URL [-H 'Name: value']... [-d DATA | --data-file FILE]
                                call an API with the token; on 401 invalid_token
                                renew and resend once; print the response body
  inspect                       the token's type, scope (as granted), expiry and JWT claims
                                (never the token's signature or the secret)

Options (each also from the environment, or from a profile in the config file;
a flag beats the environment, which beats the profile):
  --token-url URL               OAUTH2CC_TOKEN_URL
  --client-id ID                OAUTH2CC_CLIENT_ID
  --client-secret-file FILE     OAUTH2CC_CLIENT_SECRET_FILE (or OAUTH2CC_CLIENT_SECRET)
  --client-secret-stdin         read the secret from the first line of standard input
  --auth-method METHOD          OAUTH2CC_AUTH_METHOD: client_secret_basic (default),
                                client_secret_basic_raw, client_secret_post
  --scope S / --audience A / --resource R    OAUTH2CC_SCOPE / _AUDIENCE / _RESOURCE
  --ca-file FILE                OAUTH2CC_CA_FILE (trusted besides the system store)
  --proxy URL                   OAUTH2CC_PROXY ('' for none; default: HTTPS_PROXY etc.)
  --timeout SECS                OAUTH2CC_TIMEOUT (15); --connect-timeout SECS (5)
  --cache-dir DIR               OAUTH2CC_CACHE_DIR (default ~/.cache/oauth2cc)
  --no-cache                    do not share tokens with other processes
  --allow-insecure-http         OAUTH2CC_ALLOW_INSECURE_HTTP=1: allow http:// to a host that is
                                not loopback (the token URL and request's API URL)
  --profile NAME                OAUTH2CC_PROFILE: a [profile NAME] of the config file
  --config FILE                 OAUTH2CC_CONFIG (default ~/.config/oauth2cc/config)
  -h, --help / --version

The secret is never taken as a command-line argument: other users can read
those with ps.

Exit status:
  0 success              5 network error or timeout     9  the API answered 4xx
  1 internal error       6 TLS error                    10 the API answered 5xx
  2 usage/configuration  7 the token endpoint failed (5xx)
  3 credentials or scope rejected                       8  malformed answer from
  4 rate limited (retry later)                             the token endpoint";

/// An exit status and a one-line message for stderr.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }
}

impl From<oauth2cc_core::Error> for Failure {
    fn from(e: oauth2cc_core::Error) -> Failure {
        let code = match e.kind() {
            ErrorKind::InvalidConfig => 2,
            ErrorKind::InvalidClient | ErrorKind::InvalidScope | ErrorKind::Rejected => 3,
            ErrorKind::RateLimited => 4,
            ErrorKind::Network | ErrorKind::Timeout => 5,
            ErrorKind::Tls => 6,
            ErrorKind::Server => 7,
            ErrorKind::Protocol => 8,
            _ => 1,
        };
        Failure { code, message: e.to_string() }
    }
}

fn main() -> ExitCode {
    // A bug (a panic) is exit status 1 with one line, never a backtrace.
    let result = oauth2cc_core::catch_silently(|| run(std::env::args().skip(1).collect()));
    match result.unwrap_or_else(|e| Err(Failure::from(e))) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("oauth2cc: {}", f.message);
            if f.code == 2 && !f.message.contains("usage") {
                eprintln!("oauth2cc: see 'oauth2cc --help'");
            }
            ExitCode::from(f.code)
        }
    }
}

struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

fn run(args: Vec<String>) -> Result<u8, Failure> {
    let mut flags: HashMap<&'static str, String> = HashMap::new();
    let (mut profile, mut config, mut command) = (None, None, None);
    let (mut secret_stdin, mut no_cache, mut insecure) = (false, false, false);
    let mut rest: Vec<String> = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if command.is_some() {
            rest.push(a);
            continue;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |n: &str| -> Result<String, Failure> {
            inline.clone().or_else(|| it.next()).ok_or_else(|| Failure::usage(format!("{n} needs a value")))
        };
        match name.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            "--version" => {
                println!("oauth2cc {}", env!("CARGO_PKG_VERSION"));
                return Ok(0);
            }
            "--client-secret" | "--secret" => {
                return Err(Failure::usage(
                    "never pass the secret on the command line (other users can read it with ps); \
                     use OAUTH2CC_CLIENT_SECRET, --client-secret-file or --client-secret-stdin",
                ))
            }
            "--client-secret-stdin" => secret_stdin = true,
            "--no-cache" => no_cache = true,
            "--allow-insecure-http" => insecure = true,
            "--profile" => profile = Some(value("--profile")?),
            "--config" => config = Some(value("--config")?),
            n if n.starts_with('-') => match KEYS.iter().find(|(_, _, flag)| *flag == n) {
                Some((key, _, flag)) => {
                    flags.insert(key, value(flag)?);
                }
                None => return Err(Failure::usage(format!("unknown option {n}"))),
            },
            _ => command = Some(a),
        }
    }
    let Some(command) = command else {
        return Err(Failure::usage("no command given (token, header, request, inspect)"));
    };
    let request = match command.as_str() {
        "token" | "header" | "inspect" if rest.is_empty() => None,
        "token" | "header" | "inspect" => return Err(Failure::usage(format!("{command} takes no arguments"))),
        "request" => Some(parse_request(rest)?),
        other => return Err(Failure::usage(format!("unknown command {other:?} (token, header, request, inspect)"))),
    };
    let mut settings = Settings::resolve(flags, profile.as_deref(), config.as_deref())?;
    settings.secret_from_stdin = secret_stdin;
    settings.no_cache = no_cache;
    settings.allow_insecure_http = insecure || settings::env_flag("OAUTH2CC_ALLOW_INSECURE_HTTP")?;
    let cfg = settings.config()?;
    let client = Client::new(cfg.clone())?;
    let mut out = std::io::stdout().lock();
    match command.as_str() {
        "token" => {
            let t = client.token()?;
            writeln!(out, "{}", t.access_token()).map_err(io_failure)?;
        }
        "header" => {
            let t = client.token()?;
            writeln!(out, "Authorization: Bearer {}", t.access_token()).map_err(io_failure)?;
        }
        "inspect" => inspect(&client, &mut out)?,
        _ => return perform(&client, &cfg, request.expect("parsed above"), &mut out),
    }
    Ok(0)
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure { code: 1, message: format!("cannot write the output: {e}") }
}

fn parse_request(args: Vec<String>) -> Result<Request, Failure> {
    let mut it = args.into_iter();
    let method = it.next().ok_or_else(|| Failure::usage("request needs METHOD and URL"))?.to_ascii_uppercase();
    let url = it.next().ok_or_else(|| Failure::usage("request needs METHOD and URL"))?;
    let (mut headers, mut body) = (Vec::new(), None);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| Failure::usage(format!("{a} needs a value")));
        match a.as_str() {
            "-H" | "--header" => {
                let h = value()?;
                let (n, v) =
                    h.split_once(':').ok_or_else(|| Failure::usage(format!("header {h:?} is not 'Name: value'")))?;
                if n.trim().eq_ignore_ascii_case("authorization") {
                    return Err(Failure::usage("oauth2cc sets the Authorization header itself"));
                }
                headers.push((n.trim().to_string(), v.trim().to_string()));
            }
            "-d" | "--data" => body = Some(value()?.into_bytes()),
            "--data-file" => {
                let f = value()?;
                let mut buf = Vec::new();
                let read = if f == "-" {
                    std::io::stdin().read_to_end(&mut buf)
                } else {
                    std::fs::File::open(&f).and_then(|mut file| file.read_to_end(&mut buf))
                };
                read.map_err(|e| Failure::usage(format!("cannot read {f}: {e}")))?;
                body = Some(buf);
            }
            other => return Err(Failure::usage(format!("unknown request option {other:?}"))),
        }
    }
    Ok(Request { method, url, headers, body })
}

/// Sends the request; on 401 invalid_token renews and resends once.
fn perform(client: &Client, cfg: &oauth2cc_core::Config, req: Request, out: &mut impl Write) -> Result<u8, Failure> {
    // The token goes only where the secret may go: https, or http to loopback unless allowed.
    cfg.check_api_url(&req.url)?;
    let agent = oauth2cc_core::api_agent(cfg)?;
    let method: ureq::http::Method =
        req.method.parse().map_err(|_| Failure::usage(format!("{:?} is not an HTTP method", req.method)))?;
    for attempt in 0..2 {
        let token = client.token()?;
        let mut builder = ureq::http::Request::builder().method(method.clone()).uri(&req.url);
        for (n, v) in &req.headers {
            builder = builder.header(n, v);
        }
        builder = builder.header("Authorization", format!("Bearer {}", token.access_token()));
        let http_req = builder
            .body(req.body.clone().unwrap_or_default())
            .map_err(|e| Failure::usage(format!("bad request: {e}")))?;
        let mut resp = agent.run(http_req).map_err(|e| oauth2cc_core::api_call_error(&e, &req.url))?;
        let status = resp.status().as_u16();
        let www = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(String::from);
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| oauth2cc_core::api_call_error(&e, &req.url))?;
        let outcome = match status {
            401 => Some(client.handle_unauthorized(token.access_token(), www.as_deref())),
            403 if www.as_deref().is_some_and(|w| w.contains("insufficient_scope")) => {
                Some(client.handle_unauthorized(token.access_token(), www.as_deref()))
            }
            _ => None,
        };
        if let Some(u) = &outcome {
            if u.should_retry() && attempt == 0 {
                continue;
            }
        }
        out.write_all(&body).map_err(io_failure)?;
        let _ = out.flush();
        if let Some(u) = outcome {
            let why = match u {
                Unauthorized::InvalidToken { .. } => "the API rejected a freshly renewed token too".to_string(),
                other => other.describe(),
            };
            eprintln!("oauth2cc: HTTP {status}: {why}");
        }
        return Ok(match status {
            400..=499 => 9,
            500..=599 => 10,
            _ => 0,
        });
    }
    unreachable!("the loop returns on its second pass")
}

fn inspect(client: &Client, out: &mut impl Write) -> Result<(), Failure> {
    let t = client.token()?;
    let exp = t.expires_at_system().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut lines = vec![
        format!("token_type: {}", t.token_type()),
        format!("scope: {}", t.scope().unwrap_or("(none given)")),
        format!("granted_scope: {}", t.granted_scope().unwrap_or("(unknown: none requested, none given)")),
        format!("expires_at: {exp} (unix seconds)"),
        format!("expires_in: {:.0} s", t.expires_in().as_secs_f64()),
        format!("renews_in: {:.0} s", t.renew_at().saturating_duration_since(std::time::Instant::now()).as_secs_f64()),
        format!("fingerprint: {}", t.fingerprint()),
    ];
    if !t.missing_scopes().is_empty() {
        lines.push(format!("missing_scope: {} (requested, not granted)", t.missing_scopes().join(" ")));
    }
    let mut parts = t.access_token().split('.');
    let claims = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok()),
        _ => None,
    };
    match claims {
        Some(c) => lines
            .push(format!("claims: {}", serde_json::to_string_pretty(&c).unwrap_or_default().replace('\n', "\n  "))),
        None => lines.push("claims: (not a JWT)".into()),
    }
    writeln!(out, "{}", lines.join("\n")).map_err(io_failure)
}
