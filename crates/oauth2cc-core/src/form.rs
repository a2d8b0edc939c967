//! application/x-www-form-urlencoded encoding (WHATWG URL §5.2), used for the
//! token request body and, per RFC 6749 §2.3.1, inside HTTP Basic credentials.

/// Appends `s` form-urlencoded to `out`: ASCII alphanumerics and `*-._` stay,
/// space becomes `+`, every other byte of the UTF-8 text becomes `%XX`.
pub(crate) fn encode_into(out: &mut String, s: &str) {
    encode_with(out, s, "+")
}

/// Form-urlencoding for the id and secret inside HTTP Basic credentials
/// (RFC 6749 §2.3.1), except that a space becomes `%20`: form decoders read
/// `%20` as a space too, and servers that only percent-decode Basic
/// credentials (common in Python frameworks) would read `+` as a plus.
pub(crate) fn encode_basic_into(out: &mut String, s: &str) {
    encode_with(out, s, "%20")
}

fn encode_with(out: &mut String, s: &str, space: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push_str(space),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// The length of `s` after [`encode_into`] (`basic`: after [`encode_basic_into`]),
/// so buffers holding secrets can be allocated once (a buffer that grows
/// leaves copies in freed memory).
pub(crate) fn encoded_len(s: &str, basic: bool) -> usize {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => 1,
            b' ' if !basic => 1,
            _ => 3,
        })
        .sum()
}

/// Builds `k1=v1&k2=v2` from pairs.
pub(crate) fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &str) -> String {
        let mut out = String::new();
        encode_into(&mut out, s);
        out
    }

    fn encode_basic(s: &str) -> String {
        let mut out = String::new();
        encode_basic_into(&mut out, s);
        out
    }

    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(encode("a b:c%d+e/f&g=h#i~j"), "a+b%3Ac%25d%2Be%2Ff%26g%3Dh%23i%7Ej");
        assert_eq!(encode("AZaz09*-._"), "AZaz09*-._");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn encoded_len_is_exact() {
        for s in ["", "abc", "a b:c%d+e/f&g=h#i~j", "é", "AZaz09*-._"] {
            assert_eq!(encoded_len(s, false), encode(s).len(), "{s:?}");
            assert_eq!(encoded_len(s, true), encode_basic(s).len(), "{s:?}");
        }
    }

    #[test]
    fn basic_credentials_encode_a_space_as_percent_20() {
        assert_eq!(encode_basic("a b:c%d+e/f=g é"), "a%20b%3Ac%25d%2Be%2Ff%3Dg%20%C3%A9");
    }

    #[test]
    fn pairs_are_joined() {
        assert_eq!(
            encode_pairs([("grant_type", "client_credentials"), ("scope", "a b")]),
            "grant_type=client_credentials&scope=a+b"
        );
    }
}
