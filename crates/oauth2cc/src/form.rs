//! application/x-www-form-urlencoded encoding (WHATWG URL §5.2), used for the
//! token request body and, per RFC 6749 §2.3.1, inside HTTP Basic credentials.

/// Appends `s` form-urlencoded to `out`: ASCII alphanumerics and `*-._` stay,
/// space becomes `+`, every other byte of the UTF-8 text becomes `%XX`.
pub(crate) fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// The length of `s` form-urlencoded, so buffers holding secrets can be
/// allocated once (a buffer that grows leaves copies in freed memory).
pub(crate) fn encoded_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' | b' ' => 1,
            _ => 3,
        })
        .sum()
}

#[cfg(test)]
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
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

    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(encode("a b:c%d+e/f&g=h#i~j"), "a+b%3Ac%25d%2Be%2Ff%26g%3Dh%23i%7Ej");
        assert_eq!(encode("AZaz09*-._"), "AZaz09*-._");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn encoded_len_is_exact() {
        for s in ["", "abc", "a b:c%d+e/f&g=h#i~j", "é", "AZaz09*-._"] {
            assert_eq!(encoded_len(s), encode(s).len(), "{s:?}");
        }
    }

    #[test]
    fn pairs_are_joined() {
        assert_eq!(
            encode_pairs([("grant_type", "client_credentials"), ("scope", "a b")]),
            "grant_type=client_credentials&scope=a+b"
        );
    }
}
