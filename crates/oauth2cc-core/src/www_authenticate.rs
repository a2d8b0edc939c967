//! `WWW-Authenticate` (RFC 9110 section 11.6.1, formerly RFC 7235) and what an
//! API's 401 or 403 means for a Bearer client (RFC 6750 section 3).

use crate::error::sanitize;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme as sent (compare case-insensitively).
    pub scheme: String,
    /// A token68 (e.g. `Negotiate abc==`), when the challenge carries one.
    pub token68: Option<String>,
    /// Parameters in order; names lower-cased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter's value (name compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why a header could not be parsed completely, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub reason: &'static str,
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ows(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i - start
    }

    /// Skips spaces and commas; true if at least one comma was skipped.
    fn skip_ows_and_commas(&mut self) -> bool {
        let mut comma = false;
        while let Some(c @ (b' ' | b'\t' | b',')) = self.peek() {
            comma |= c == b',';
            self.i += 1;
        }
        comma
    }

    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn err(&self, reason: &'static str) -> ParseError {
        ParseError { position: self.i, reason }
    }

    /// A quoted-string, unescaped; the cursor is on the opening quote.
    fn quoted(&mut self) -> Result<String, ParseError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c) => out.push(c),
                        None => return Err(self.err("escape at end of header")),
                    }
                    self.i += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A token68 that ends the challenge (followed by the end or a comma).
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_token68_char) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
        let end = self.i;
        self.skip_ows();
        if matches!(self.peek(), None | Some(b',')) {
            Some(String::from_utf8_lossy(&self.s[start..end]).into_owned())
        } else {
            self.i = start;
            None
        }
    }

    /// Whether the cursor is at `name OWS "="` (a parameter, not a new challenge).
    fn at_param(&mut self) -> bool {
        let save = self.i;
        let is_param = self.token().is_some() && {
            self.skip_ows();
            self.peek() == Some(b'=')
        };
        self.i = save;
        is_param
    }
}

/// Parses a `WWW-Authenticate` value: several challenges, any case, quoted
/// strings with escapes, token68. Several header fields may be joined with ", ".
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, ParseError> {
    let mut out = Vec::new();
    parse_into(header, &mut out, &mut Cut::default())?;
    Ok(out)
}

/// What `header[..k]` would parse to, for the last comma `k` skipped so far
/// whose prefix parses: the first `challenges` of the output, the last of
/// them cut to `params` parameters when the comma came after a parameter.
#[derive(Clone, Copy, Default)]
struct Cut {
    challenges: usize,
    params: Option<usize>,
}

/// The parser. Each challenge is pushed when its scheme is read and filled in
/// place, so that [`Cut`] can record the state at every comma in O(1).
///
/// Why a comma's prefix parses exactly where `Cut` is recorded: every scan
/// except a quoted string stops at a comma, so until its cursor passes a comma
/// at `k` the parser reads `header` and `header[..k]` alike, a comma and the
/// end of input taking the same branches. A prefix ending inside a quoted
/// string is unterminated; one ending where a name, `=` or a value is expected
/// fails; one ending where [`Cursor::skip_ows_and_commas`] skips the comma
/// ends the input there, with the challenges (and parameters) read so far.
fn parse_into(header: &str, out: &mut Vec<Challenge>, cut: &mut Cut) -> Result<(), ParseError> {
    let mut c = Cursor { s: header.as_bytes(), i: 0 };
    loop {
        if c.skip_ows_and_commas() {
            *cut = Cut { challenges: out.len(), params: None };
        }
        if c.peek().is_none() {
            return Ok(());
        }
        let Some(scheme) = c.token() else { return Err(c.err("expected an auth scheme")) };
        out.push(Challenge { scheme, token68: None, params: Vec::new() });
        let ch = out.len() - 1;
        if c.skip_ows() > 0 && !matches!(c.peek(), None | Some(b',')) {
            // A token68 ends the challenge; `a=` before a comma is one, since a
            // parameter needs a value.
            out[ch].token68 = c.token68();
            if out[ch].token68.is_none() {
                loop {
                    c.skip_ows();
                    let Some(name) = c.token() else { return Err(c.err("expected a parameter name")) };
                    c.skip_ows();
                    if c.peek() != Some(b'=') {
                        return Err(c.err("expected '=' after a parameter name"));
                    }
                    c.i += 1;
                    c.skip_ows();
                    let value = match c.peek() {
                        Some(b'"') => c.quoted()?,
                        _ => c.token().ok_or_else(|| c.err("expected a parameter value"))?,
                    };
                    out[ch].params.push((name.to_ascii_lowercase(), value));
                    c.skip_ows();
                    match c.peek() {
                        None => break,
                        Some(b',') => {
                            c.skip_ows_and_commas();
                            *cut = Cut { challenges: out.len(), params: Some(out[ch].params.len()) };
                            if !c.at_param() {
                                break; // the next challenge starts here
                            }
                        }
                        Some(_) => return Err(c.err("unexpected character after a parameter")),
                    }
                }
            }
        }
    }
}

/// What an API's 401 (or 403) with this `WWW-Authenticate` means for a Bearer client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unauthorized {
    /// `error="invalid_token"`: the token expired early or was revoked (key
    /// rotation, not-before push). Drop it and retry the request once with a new one.
    InvalidToken { description: Option<String> },
    /// `error="insufficient_scope"`: a new token will not help; the client
    /// needs `scope` granted in the IAM.
    InsufficientScope { scope: Option<String>, description: Option<String> },
    /// `error="invalid_request"`: the API call itself is malformed.
    InvalidRequest { description: Option<String> },
    /// Another `error` value.
    OtherError { error: String, description: Option<String> },
    /// No error detail (or no Bearer challenge at all): the cause is likely
    /// elsewhere (wrong endpoint, a proxy, the server); a new token will not help.
    NoDetail,
}

impl Unauthorized {
    /// Whether the caller should renew the token and retry once.
    pub fn should_retry(&self) -> bool {
        matches!(self, Unauthorized::InvalidToken { .. })
    }

    /// A one-line description for errors and logs (server text trimmed).
    pub fn describe(&self) -> String {
        let d = |x: &Option<String>| x.as_deref().map(|s| format!(": {}", sanitize(s, 200))).unwrap_or_default();
        match self {
            Unauthorized::InvalidToken { description } => format!("the API rejected the token (invalid_token{})", d(description)),
            Unauthorized::InsufficientScope { scope, description } => format!(
                "the token lacks a scope the API requires (insufficient_scope{}{})",
                d(description),
                scope.as_deref().map(|s| format!("; required scope: {}", sanitize(s, 200))).unwrap_or_default()
            ),
            Unauthorized::InvalidRequest { description } => {
                format!("the API call is malformed (invalid_request{})", d(description))
            }
            Unauthorized::OtherError { error, description } => {
                format!("the API refused the call ({}{})", sanitize(error, 60), d(description))
            }
            Unauthorized::NoDetail => {
                "the API refused the call without an OAuth error; a new token would not help: check the API URL, proxies and the server".into()
            }
        }
    }
}

/// Classifies an API's `WWW-Authenticate` value (None when the header was absent).
/// The first Bearer challenge with an `error` decides; a header that is
/// malformed after a Bearer challenge still counts what was parsed.
///
/// Kept for existing callers; [`Client::handle_response`](crate::Client::handle_response)
/// is the rule to use (it also weighs the HTTP status and takes several header fields).
pub fn classify_unauthorized(www_authenticate: Option<&str>) -> Unauthorized {
    let Some(bearer) = bearer_error(www_authenticate.as_slice()) else { return Unauthorized::NoDetail };
    let description = bearer.param("error_description").map(String::from);
    match bearer.param("error").unwrap_or_default() {
        "invalid_token" => Unauthorized::InvalidToken { description },
        "insufficient_scope" => {
            Unauthorized::InsufficientScope { scope: bearer.param("scope").map(String::from), description }
        }
        "invalid_request" => Unauthorized::InvalidRequest { description },
        other => Unauthorized::OtherError { error: other.to_string(), description },
    }
}

/// The first Bearer challenge with an `error` parameter among every challenge
/// of every header field (each field parsed on its own, so that a malformed
/// field does not hide the others; within one field, what parsed before a
/// syntax error counts).
pub(crate) fn bearer_error(fields: &[&str]) -> Option<Challenge> {
    token_error(fields, &["bearer"])
}

/// The first challenge of one of `schemes` (lower case) that carries an
/// `error`, read as [`bearer_error`] reads them (a DPoP client also reads the
/// `DPoP` scheme's challenges, RFC 9449 section 7.1).
pub(crate) fn token_error(fields: &[&str], schemes: &[&str]) -> Option<Challenge> {
    fields
        .iter()
        // A line break cannot occur inside a field value: values joined with one are
        // fields of their own (the C ABI's way to pass several). Empty fields say nothing.
        .flat_map(|v| v.split(['\n', '\r']))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .flat_map(|h| parse_www_authenticate(h).unwrap_or_else(|_| partial_parse(h)))
        .find(|c| schemes.iter().any(|s| c.scheme.eq_ignore_ascii_case(s)) && c.param("error").is_some())
}

/// The challenges before the first syntax error: what the longest prefix
/// ending before a comma parses to, found in one pass (linear in the header).
fn partial_parse(h: &str) -> Vec<Challenge> {
    let mut out = Vec::new();
    let mut cut = Cut::default();
    if parse_into(h, &mut out, &mut cut).is_err() {
        out.truncate(cut.challenges);
        if let (Some(n), Some(last)) = (cut.params, out.last_mut()) {
            last.params.truncate(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<Challenge> {
        parse_www_authenticate(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    #[test]
    fn rfc_examples() {
        let c = p(r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param("realm"), Some("example"));
        assert_eq!(c[0].param("ERROR"), Some("invalid_token"));
        let c = p(r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("title"), Some(r#"Login to "apps""#));
        assert_eq!(c[0].param("type"), Some("1"));
        assert_eq!(c[1].scheme, "Basic");
        assert_eq!(c[1].param("realm"), Some("simple"));
    }

    #[test]
    fn token68_bare_schemes_and_odd_spacing() {
        let c = p("Negotiate abc+/=, Bearer");
        assert_eq!(c[0].token68.as_deref(), Some("abc+/="));
        assert_eq!(c[1].scheme, "Bearer");
        assert!(c[1].params.is_empty());
        let c = p(" ,bearer  error = invalid_token ,, scope=\"a b\",Basic");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(c[0].param("scope"), Some("a b"));
        assert_eq!(p("").len(), 0);
    }

    #[test]
    fn malformed_headers_are_errors() {
        for bad in ["Bearer error=\"x", "Bearer error=\"x\" junk", "=x", "Bearer a=b c", "Bearer a=b, c="] {
            assert!(parse_www_authenticate(bad).is_err(), "{bad:?}");
        }
        // By the grammar, `error=` alone is a token68 (a parameter needs a value).
        assert_eq!(p("Bearer error=")[0].token68.as_deref(), Some("error="));
    }

    #[test]
    fn classification() {
        let c = |h: &str| classify_unauthorized(Some(h));
        assert!(c(r#"Bearer realm="x", error="invalid_token""#).should_retry());
        assert!(c(r#"Basic realm="b", BEARER ERROR="invalid_token""#).should_retry());
        assert_eq!(
            c(r#"Bearer error="insufficient_scope", scope="orders:write""#),
            Unauthorized::InsufficientScope { scope: Some("orders:write".into()), description: None }
        );
        assert_eq!(
            c(r#"Bearer error="invalid_request", error_description="no""#),
            Unauthorized::InvalidRequest { description: Some("no".into()) }
        );
        assert!(matches!(c(r#"Bearer error="weird""#), Unauthorized::OtherError { .. }));
        assert_eq!(c(r#"Bearer realm="x""#), Unauthorized::NoDetail);
        assert_eq!(c(r#"Basic realm="x", error="invalid_token""#), Unauthorized::NoDetail, "not a Bearer challenge");
        assert_eq!(classify_unauthorized(None), Unauthorized::NoDetail);
        assert!(c(r#"Bearer error="invalid_token", Junk ="#).should_retry(), "a valid prefix still counts");
    }

    #[test]
    fn a_hostile_header_of_1_mib_is_classified_in_linear_time() {
        // A quoted string that never ends, full of commas: every comma prefix
        // fails only at its end, so the former recovery, which re-parsed each
        // one, was quadratic (2.3 s for 64 KiB in release, hours for 1 MiB).
        let commas = ", ".repeat(1 << 19);
        for (h, expected) in [
            (format!("Bearer error=\"invalid_token\", x=\"{commas}"), true),
            (format!("Basic realm=\"{commas}"), false),
        ] {
            let start = std::time::Instant::now();
            assert_eq!(classify_unauthorized(Some(&h)).should_retry(), expected);
            let spent = start.elapsed();
            assert!(spent < std::time::Duration::from_secs(2), "{spent:?}");
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn token() -> impl Strategy<Value = String> {
            "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
        }

        fn challenge() -> impl Strategy<Value = Challenge> {
            let value = prop_oneof![token(), "[ -~]{0,20}"];
            let params = prop::collection::vec((token(), value), 0..4);
            (token(), prop_oneof![Just(None), "[A-Za-z0-9._~+/-]{1,20}=?".prop_map(Some)], params).prop_map(
                |(scheme, t68, params)| {
                    let params: Vec<(String, String)> =
                        params.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
                    let token68 = if params.is_empty() { t68 } else { None };
                    Challenge { scheme, token68, params }
                },
            )
        }

        fn render(cs: &[Challenge]) -> String {
            cs.iter()
                .map(|c| {
                    let mut s = c.scheme.clone();
                    if let Some(t) = &c.token68 {
                        s += " ";
                        s += t;
                    } else if !c.params.is_empty() {
                        let ps: Vec<String> = c
                            .params
                            .iter()
                            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                            .collect();
                        s += " ";
                        s += &ps.join(", ");
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join(", ")
        }

        /// The former quadratic recovery: the longest comma prefix that parses.
        fn partial_parse_reference(h: &str) -> Vec<Challenge> {
            let mut end = h.len();
            while end > 0 {
                end = h[..end].rfind(',').unwrap_or(0);
                if let Ok(c) = parse_www_authenticate(&h[..end]) {
                    return c;
                }
            }
            Vec::new()
        }

        /// Header-like text: mostly the characters the grammar cares about.
        fn headerish() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just(",".to_string()),
                Just(", ".to_string()),
                Just(" ".to_string()),
                Just("=".to_string()),
                Just("\"".to_string()),
                Just("\\".to_string()),
                Just("Bearer".to_string()),
                Just("error=\"invalid_token\"".to_string()),
                "[a-z]{1,3}",
                "[ -~]",
            ];
            prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
            #[test]
            fn one_pass_recovery_matches_the_longest_parsing_comma_prefix(s in headerish()) {
                if parse_www_authenticate(&s).is_err() {
                    prop_assert_eq!(partial_parse(&s), partial_parse_reference(&s), "{:?}", s);
                }
            }
        }

        proptest! {
            #[test]
            fn rendered_challenges_parse_back(cs in prop::collection::vec(challenge(), 1..4)) {
                prop_assert_eq!(parse_www_authenticate(&render(&cs)).unwrap(), cs);
            }

            #[test]
            fn any_text_parses_or_fails_without_panicking(s in "\\PC{0,80}") {
                let _ = parse_www_authenticate(&s);
                let _ = classify_unauthorized(Some(&s)).describe();
            }

            #[test]
            fn a_bearer_invalid_token_is_found_among_other_challenges(
                before in prop::collection::vec(challenge(), 0..3),
                after in prop::collection::vec(challenge(), 0..3),
            ) {
                let before: Vec<Challenge> = before.into_iter().filter(|c| !c.scheme.eq_ignore_ascii_case("bearer")).collect();
                let mut h = render(&before);
                if !h.is_empty() { h += ", "; }
                h += "Bearer realm=\"r\", error=\"invalid_token\"";
                if !after.is_empty() { h += ", "; h += &render(&after); }
                prop_assert!(classify_unauthorized(Some(&h)).should_retry(), "{}", h);
            }
        }
    }
}
