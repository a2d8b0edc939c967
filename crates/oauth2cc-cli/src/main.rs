//! `oauth2cc`: OAuth 2.0 client-credentials tokens for shell scripts and
//! short-lived processes, shared between processes through a file cache.

mod settings;

use oauth2cc_core::{Client, ResponseAction};
use settings::FLAGS;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: oauth2cc [OPTIONS] COMMAND [OPTIONS]

Commands:
  token                         print the access token
  header                        print 'Authorization: Bearer <token>'
  request METHOD URL [-H 'Name: value']... [-d DATA | --data-file FILE]
                                call an API with the token; on 401 invalid_token
                                renew and resend once; print the response body.
                                METHOD: GET HEAD POST PUT PATCH DELETE OPTIONS TRACE
    -H, --header 'Name: value'  an extra request header (not Authorization)
    -d, --data DATA             the request body
    --data-file FILE            the request body from FILE ('-' for standard input)
  inspect                       the token's type, scope (as granted), expiry (ISO 8601 UTC and
                                time left), JWT claims (never the token's
                                signature or the secret) and, with --shared-cache,
                                whether the token came from the shared cache

Options go before or after the command, or among request's arguments; a value
follows as the next argument or after '=' (--scope=a). Each setting also comes
from the environment, or from a profile in the config file; a flag beats the
environment, which beats the profile:
  --token-url URL               OAUTH2CC_TOKEN_URL
  --client-id ID                OAUTH2CC_CLIENT_ID
  --client-secret-file FILE     OAUTH2CC_CLIENT_SECRET_FILE
  --client-secret-stdin         the secret from the first line of standard input
                                (or OAUTH2CC_CLIENT_SECRET: the secret itself)
  --auth-method METHOD          OAUTH2CC_AUTH_METHOD: client_secret_basic (default),
                                client_secret_basic_raw, client_secret_post,
                                client_secret_jwt, private_key_jwt, tls_client_auth,
                                self_signed_tls_client_auth
  --private-key FILE            OAUTH2CC_PRIVATE_KEY (PEM file, or PEM text in the
                                variable): signs private_key_jwt assertions
  --signing-alg ALG             OAUTH2CC_SIGNING_ALG (HS256/384/512, RS256/384/512,
                                PS256/384/512, ES256, ES384, EdDSA; default from
                                the method and key)
  --key-id KID                  OAUTH2CC_KEY_ID (the assertion's kid)
  --assertion-audience AUD      OAUTH2CC_ASSERTION_AUDIENCE (default the token URL)
  --client-cert FILE            OAUTH2CC_CLIENT_CERT (PEM; mutual TLS)
  --client-key FILE             OAUTH2CC_CLIENT_KEY (PEM key of --client-cert)
  --dpop                        OAUTH2CC_DPOP=1: DPoP-bound tokens (RFC 9449)
  --dpop-key FILE               OAUTH2CC_DPOP_KEY (PEM EC P-256 key; default: generated)
  --issuer URL                  OAUTH2CC_ISSUER: find the token URL by discovery
  --shared-cache URL            OAUTH2CC_SHARED_CACHE_URL (redis://, rediss://,
                                redis+unix://): share tokens, budget and pauses
                                with other hosts
  --shared-cache-password-file FILE
                                OAUTH2CC_SHARED_CACHE_PASSWORD_FILE
  --shared-cache-timeout SECS   OAUTH2CC_SHARED_CACHE_TIMEOUT (default 0.05)
  --scope S                     OAUTH2CC_SCOPE (space-separated scopes)
  --audience A                  OAUTH2CC_AUDIENCE
  --resource R                  OAUTH2CC_RESOURCE (RFC 8707)
  --ca-file FILE                OAUTH2CC_CA_FILE (trusted besides the system store)
  --proxy URL                   OAUTH2CC_PROXY ('' for none; default: ALL_PROXY,
                                HTTPS_PROXY, HTTP_PROXY, minus NO_PROXY)
  --timeout SECS                OAUTH2CC_TIMEOUT (default 15)
  --connect-timeout SECS        OAUTH2CC_CONNECT_TIMEOUT (default 5)
  --cache-dir DIR               OAUTH2CC_CACHE_DIR (default $XDG_CACHE_HOME/oauth2cc
                                or ~/.cache/oauth2cc)
  --no-cache                    do not share tokens with other processes
  --allow-insecure-http         OAUTH2CC_ALLOW_INSECURE_HTTP=1: allow http:// to a host that is
                                not loopback (the token URL and request's API URL)
  (no flag)                     OAUTH2CC_MAX_REQUESTS_PER_SECOND: token requests per
                                second at most (default 10, at most 50)
  --profile NAME                OAUTH2CC_PROFILE: a [profile NAME] of the config file
                                ([default] without one)
  --config FILE                 OAUTH2CC_CONFIG (default $XDG_CONFIG_HOME/oauth2cc/config
                                or ~/.config/oauth2cc/config)
  -h, --help                    this text
  --version                     the version

The secret is never taken as a command-line argument (--client-secret and
--secret are refused): other users can read those with ps. An empty value
(variable, profile key or flag) counts as not given, except OAUTH2CC_PROXY=''
(no proxy). Every missing setting is named in one error.

Exit status:
  0 success              5 network error or timeout     9  the API answered 4xx
  1 internal error       6 TLS error                    10 the API answered 5xx
  2 usage/configuration  7 the token endpoint failed (5xx)
  3 credentials or scope rejected                       8  malformed answer (token
  4 rate limited (retry later)                             endpoint, or the API)
Errors are one line on stderr, with a hint where one helps.

More: man oauth2cc";

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
        // The exit status of each kind is in the core's table of outcomes
        // (crates/oauth2cc-core/src/outcome.rs).
        Failure { code: e.kind().exit_status(), message: e.to_string() }
    }
}

fn main() -> ExitCode {
    // A bug (a panic) is exit status 1 with one line, never a backtrace.
    let result = oauth2cc_core::catch_silently(|| run(std::env::args().skip(1).collect()));
    match result.unwrap_or_else(|e| Err(Failure::from(e))) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            // One line, with a hint: usage and configuration errors without
            // advice of their own point at --help.
            let hint = if f.code == 2 && !f.message.contains("; hint: ") { HELP_HINT } else { "" };
            eprintln!("oauth2cc: {}{hint}", f.message.replace(['\n', '\r'], " "));
            ExitCode::from(f.code)
        }
    }
}

const HELP_HINT: &str = "; hint: see 'oauth2cc --help'";

/// The methods `request` sends (RFC 9110's, PATCH, without CONNECT).
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

/// `request`'s own options, which take a value each.
const REQUEST_OPTIONS: &[&str] = &["-H", "--header", "-d", "--data", "--data-file"];

struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

/// The command line: options are taken before and after the command, and
/// among `request`'s arguments; an option's value is the next argument (or
/// follows `=`) as given, even when it starts with `-`.
#[derive(Default)]
struct Args {
    flags: HashMap<&'static str, String>,
    profile: Option<String>,
    config: Option<String>,
    secret_stdin: bool,
    no_cache: bool,
    insecure: bool,
    /// The command and its arguments.
    words: Vec<String>,
    /// `request`'s options, in order: (name, value).
    request_options: Vec<(String, String)>,
}

enum Parsed {
    Run(Args),
    /// --help or --version: print this and exit 0.
    Print(String),
}

fn parse_args(args: Vec<String>) -> Result<Parsed, Failure> {
    let mut a = Args::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let takes_no_value = |n: &str| match &inline {
            Some(_) => Err(Failure::usage(format!("{n} takes no value"))),
            None => Ok(true),
        };
        let mut value = |n: &str| -> Result<String, Failure> {
            inline.clone().or_else(|| it.next()).ok_or_else(|| Failure::usage(format!("{n} needs a value")))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Parsed::Print(USAGE.to_string())),
            "--version" => return Ok(Parsed::Print(format!("oauth2cc {}", env!("CARGO_PKG_VERSION")))),
            "--client-secret" | "--secret" => {
                return Err(Failure::usage(
                    "never pass the secret on the command line (other users can read it with ps); \
                     use OAUTH2CC_CLIENT_SECRET, --client-secret-file or --client-secret-stdin",
                ))
            }
            "--client-secret-stdin" => a.secret_stdin = takes_no_value(&name)?,
            "--no-cache" => a.no_cache = takes_no_value(&name)?,
            "--allow-insecure-http" => a.insecure = takes_no_value(&name)?,
            "--dpop" => {
                takes_no_value(&name)?;
                a.flags.insert("dpop", "1".to_string());
            }
            "--profile" => a.profile = Some(value("--profile")?),
            "--config" => a.config = Some(value("--config")?),
            n if REQUEST_OPTIONS.contains(&n) => {
                let v = value(n)?;
                a.request_options.push((n.to_string(), v));
            }
            n if n.starts_with('-') && n.len() > 1 => match FLAGS.iter().find(|(_, flag)| *flag == n) {
                Some((key, flag)) => {
                    a.flags.insert(key, value(flag)?);
                }
                None => return Err(Failure::usage(format!("unknown option {n}"))),
            },
            _ => a.words.push(arg),
        }
    }
    Ok(Parsed::Run(a))
}

fn run(args: Vec<String>) -> Result<u8, Failure> {
    let mut a = match parse_args(args)? {
        Parsed::Print(text) => {
            // Not println!: it panics when the reader has gone (oauth2cc --help | grep -q).
            let _ = writeln!(std::io::stdout(), "{text}");
            return Ok(0);
        }
        Parsed::Run(a) => a,
    };
    if a.words.is_empty() {
        return Err(Failure::usage("no command given (token, header, request, inspect)"));
    }
    let command = a.words.remove(0);
    let request = match command.as_str() {
        "token" | "header" | "inspect" => {
            if let Some(w) = a.words.first() {
                return Err(Failure::usage(format!("{command} takes no arguments, got {w:?}")));
            }
            if let Some((n, _)) = a.request_options.first() {
                return Err(Failure::usage(format!("{n} is an option of 'oauth2cc request', not of {command}")));
            }
            None
        }
        "request" => Some(parse_request(a.words, a.request_options)?),
        other => return Err(Failure::usage(format!("unknown command {other:?} (token, header, request, inspect)"))),
    };
    let cfg = settings::config(settings::Flags {
        values: a.flags,
        profile: a.profile.as_deref(),
        config: a.config.as_deref(),
        secret_from_stdin: a.secret_stdin,
        no_cache: a.no_cache,
        allow_insecure_http: a.insecure,
    })?;
    let client = Client::new(cfg)?;
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
        _ => return perform(&client, request.expect("parsed above"), &mut out),
    }
    Ok(0)
}

fn io_failure(e: std::io::Error) -> Failure {
    Failure { code: 1, message: format!("cannot write the output: {e}") }
}

/// `request METHOD URL`, with its options (already separated from the global ones).
fn parse_request(words: Vec<String>, options: Vec<(String, String)>) -> Result<Request, Failure> {
    let mut words = words.into_iter();
    let (Some(method), Some(url)) = (words.next(), words.next()) else {
        return Err(Failure::usage("request needs METHOD and URL (oauth2cc request GET https://api.example.com/x)"));
    };
    if let Some(extra) = words.next() {
        return Err(Failure::usage(format!("request takes one METHOD and one URL; {extra:?} is one too many")));
    }
    let method = method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(Failure::usage(format!(
            "{method:?} is not an HTTP method; hint: use one of {}",
            METHODS.join(", ")
        )));
    }
    let (mut headers, mut body) = (Vec::new(), None);
    for (name, v) in options {
        match name.as_str() {
            "-H" | "--header" => {
                let (n, val) = v.split_once(':').ok_or_else(|| {
                    Failure::usage(format!("header {v:?} is not 'Name: value'; hint: -H 'Accept: application/json'"))
                })?;
                if n.trim().eq_ignore_ascii_case("authorization") {
                    return Err(Failure::usage(
                        "oauth2cc sets the Authorization header itself; hint: drop -H 'Authorization: ...'",
                    ));
                }
                headers.push((n.trim().to_string(), val.trim().to_string()));
            }
            "-d" | "--data" => body = Some(v.into_bytes()),
            _ => {
                let mut buf = Vec::new();
                let read = if v == "-" {
                    std::io::stdin().read_to_end(&mut buf)
                } else {
                    std::fs::File::open(&v).and_then(|mut file| file.read_to_end(&mut buf))
                };
                read.map_err(|e| {
                    Failure::usage(format!(
                        "cannot read {v}: {e}; hint: --data-file takes a readable file, or - for stdin"
                    ))
                })?;
                body = Some(buf);
            }
        }
    }
    Ok(Request { method, url, headers, body })
}

/// Sends the request; what the answer means is the core's rule
/// (`Client::handle_response`): on `Retry` renew and resend once.
fn perform(client: &Client, req: Request, out: &mut impl Write) -> Result<u8, Failure> {
    let api_req = oauth2cc_core::ApiRequest { method: req.method, url: req.url, headers: req.headers, body: req.body };
    for attempt in 0..2 {
        let token = client.token()?;
        // The core checks the URL (https rule) and sends with the client's trust and proxy.
        let resp = client.call_api(&api_req, token.access_token())?;
        let (status, body) = (resp.status, resp.body);
        let fields: Vec<&str> = resp.www_authenticate.iter().map(String::as_str).collect();
        // With DPoP the core sent `Authorization: DPoP` and a proof, and reads the answer's nonce.
        let nonce = resp.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("dpop-nonce")).map(|(_, v)| v.as_str());
        let outcome = client.handle_dpop_response(&api_req.url, status, token.access_token(), &fields, nonce);
        let retry = matches!(outcome, Ok(ResponseAction::Retry | ResponseAction::RetryWithNonce));
        if retry && attempt == 0 {
            continue;
        }
        out.write_all(&body).map_err(io_failure)?;
        let _ = out.flush();
        match outcome {
            Ok(ResponseAction::Proceed) => {}
            Ok(ResponseAction::Retry) => {
                eprintln!("oauth2cc: HTTP {status}: the API rejected a freshly renewed token too")
            }
            Ok(ResponseAction::RetryWithNonce) => {
                eprintln!("oauth2cc: HTTP {status}: the API asked for a new DPoP nonce again after the resend")
            }
            Err(e) => eprintln!("oauth2cc: {e}"),
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
    let left = t.expires_in().as_secs();
    let mut lines = vec![
        format!("token_type: {}", t.token_type()),
        format!("scope: {}", t.scope().unwrap_or("(none given)")),
        format!("granted_scope: {}", t.granted_scope().unwrap_or("(unknown: none requested, none given)")),
        format!("expires_at: {} (unix {exp}, in {})", iso8601_utc(exp as i64), duration_words(left)),
        format!("expires_in: {:.0} s", t.expires_in().as_secs_f64()),
        format!("renews_in: {:.0} s", t.renew_at().saturating_duration_since(std::time::Instant::now()).as_secs_f64()),
        format!("fingerprint: {}", t.fingerprint()),
    ];
    if let Some(endpoint) = client.token_endpoint().filter(|_| client.config().issuer_str().is_some()) {
        lines.push(format!("token_endpoint: {endpoint} (discovered)"));
    }
    if !t.missing_scopes().is_empty() {
        lines.push(format!("missing_scope: {} (requested, not granted)", t.missing_scopes().join(" ")));
    }
    // Fleet mode: where the token came from, and whether Redis answered.
    if let Some(f) = client.shared_cache_status() {
        let state = if f.available { "available" } else { "unavailable: working standalone" };
        lines.push(format!("shared_cache: {} ({state})", f.url));
        let source = if f.token_from_shared_cache { "the shared cache" } else { "requested by this process" };
        lines.push(format!("token_source: {source}"));
    }
    let claims = t.jwt_claims();
    match claims {
        Some(c) => lines
            .push(format!("claims: {}", serde_json::to_string_pretty(&c).unwrap_or_default().replace('\n', "\n  "))),
        None => lines.push("claims: (not a JWT)".into()),
    }
    writeln!(out, "{}", lines.join("\n")).map_err(io_failure)
}

/// `2026-11-29T17:35:38Z` for Unix seconds.
fn iso8601_utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The proleptic Gregorian date of a day count from 1970-01-01
/// (Howard Hinnant's civil_from_days: 400-year eras starting in March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of the era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year from March 1st
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `1 h 2 min 3 s`, `4 min 59 s`, `12 s`.
fn duration_words(secs: u64) -> String {
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, s) => format!("{h} h {m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_gnu_date_across_leap_years_and_centuries() {
        // 1970, 2000-02-29 (a leap century), 2100-03-01 (not one), year ends, before 1970.
        let samples = [0, 951_782_399, 951_782_400, 951_868_800, 4_107_542_400, 4_107_628_799, 1_796_060_138]
            .into_iter()
            .chain([-1, -86_400 * 366, 253_402_300_799, 1_234_567_890, 1_709_164_800]);
        for secs in samples {
            let date = std::process::Command::new("date")
                .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
                .output()
                .unwrap();
            assert_eq!(iso8601_utc(secs), String::from_utf8_lossy(&date.stdout).trim(), "{secs}");
        }
        assert_eq!(iso8601_utc(1_234_567_890), "2009-02-13T23:31:30Z");
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(12), "12 s");
        assert_eq!(duration_words(299), "4 min 59 s");
        assert_eq!(duration_words(3600 * 26 + 61), "26 h 1 min 1 s");
    }
}
