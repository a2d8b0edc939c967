//! The validity period of a DER X.509 certificate (RFC 5280 §4.1.2.5), read
//! by a small bounds-checked walker: rustls and webpki expose no getter for it.
//! Used to refuse, when the client is created, a client certificate that has
//! expired or is not yet valid (issue 14): sent anyway, the server refuses it
//! as invalid_client and the failed login counts against the caller's address.
//!
//! Only the path Certificate → TBSCertificate → validity is walked; nothing is
//! allocated, every length is checked against what remains, and malformed
//! input is an error, never a panic.

use std::fmt;

/// A point in time read from a certificate, in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Time {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Time {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub(crate) fn unix(&self) -> i64 {
        let days = days_from_civil(self.year as i64, self.month as i64, self.day as i64);
        days * 86_400 + (self.hour * 3600 + self.minute * 60 + self.second) as i64
    }
}

/// ISO 8601, UTC: `2026-01-31T23:59:59Z`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A certificate's `notBefore` and `notAfter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) not_before: Time,
    pub(crate) not_after: Time,
}

/// Where `now` (seconds since the epoch) stands against a validity period.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    Valid,
    NotYetValid,
    Expired,
}

impl Validity {
    /// Both ends inclusive (RFC 5280 §4.1.2.5).
    pub(crate) fn at(&self, now: i64) -> Standing {
        if now < self.not_before.unix() {
            Standing::NotYetValid
        } else if now > self.not_after.unix() {
            Standing::Expired
        } else {
            Standing::Valid
        }
    }
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xa0; // [0] EXPLICIT, constructed
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// Reads the validity period of a DER certificate. The error says what was
/// wrong in words, never quoting the input.
pub(crate) fn validity(der: &[u8]) -> Result<Validity, &'static str> {
    let (cert, _) = element(der, SEQUENCE)?;
    let (mut tbs, _) = element(cert, SEQUENCE)?;
    if tbs.first() == Some(&VERSION) {
        tbs = element(tbs, VERSION)?.1;
    }
    let (_, rest) = element(tbs, INTEGER)?; // serialNumber
    let (_, rest) = element(rest, SEQUENCE)?; // signature AlgorithmIdentifier
    let (_, rest) = element(rest, SEQUENCE)?; // issuer Name
    let (validity, _) = element(rest, SEQUENCE)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, rest) = time(rest)?;
    if !rest.is_empty() {
        return Err("unexpected data after notAfter");
    }
    Ok(Validity { not_before, not_after })
}

/// One TLV of tag `tag` at the start of `input`: (its content, what follows).
fn element(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), &'static str> {
    let (&t, rest) = input.split_first().ok_or("truncated")?;
    if t != tag {
        return Err("unexpected structure");
    }
    let (&first, mut rest) = rest.split_first().ok_or("truncated")?;
    let len = match first {
        n if n < 0x80 => n as usize,
        0x80 => return Err("indefinite length (not DER)"),
        n => {
            let count = (n & 0x7f) as usize;
            if count > 4 {
                return Err("length too large");
            }
            if rest.len() < count {
                return Err("truncated");
            }
            let (bytes, after) = rest.split_at(count);
            rest = after;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize)
        }
    };
    if rest.len() < len {
        return Err("truncated");
    }
    Ok(rest.split_at(len))
}

/// A Time (UTCTime or GeneralizedTime) at the start of `input`.
fn time(input: &[u8]) -> Result<(Time, &[u8]), &'static str> {
    match input.first() {
        Some(&UTC_TIME) => {
            let (v, rest) = element(input, UTC_TIME)?;
            Ok((parse_utc_time(v)?, rest))
        }
        Some(&GENERALIZED_TIME) => {
            let (v, rest) = element(input, GENERALIZED_TIME)?;
            Ok((parse_generalized_time(v)?, rest))
        }
        Some(_) => Err("a validity time is neither UTCTime nor GeneralizedTime"),
        None => Err("truncated"),
    }
}

/// `YYMMDDHHMMSSZ`; YY 50–99 is 19YY, 00–49 is 20YY (RFC 5280 §4.1.2.5.1).
pub(crate) fn parse_utc_time(v: &[u8]) -> Result<Time, &'static str> {
    if v.len() != 13 || v[12] != b'Z' {
        return Err("a UTCTime is not YYMMDDHHMMSSZ");
    }
    let yy = two_digits(&v[0..2])?;
    let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
    civil(year, &v[2..12])
}

/// `YYYYMMDDHHMMSSZ`, no fraction (RFC 5280 §4.1.2.5.2).
pub(crate) fn parse_generalized_time(v: &[u8]) -> Result<Time, &'static str> {
    if v.len() != 15 || v[14] != b'Z' {
        return Err("a GeneralizedTime is not YYYYMMDDHHMMSSZ");
    }
    let year = two_digits(&v[0..2])? * 100 + two_digits(&v[2..4])?;
    civil(year, &v[4..14])
}

/// `MMDDHHMMSS` of `year`, each field in its range.
fn civil(year: u32, v: &[u8]) -> Result<Time, &'static str> {
    let month = two_digits(&v[0..2])?;
    let day = two_digits(&v[2..4])?;
    let hour = two_digits(&v[4..6])?;
    let minute = two_digits(&v[6..8])?;
    let second = two_digits(&v[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err("a validity date does not exist");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("a validity time of day is out of range");
    }
    Ok(Time { year, month, day, hour, minute, second })
}

fn two_digits(v: &[u8]) -> Result<u32, &'static str> {
    match v {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Ok(((a - b'0') * 10 + (b - b'0')) as u32),
        _ => Err("a validity time holds a non-digit"),
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> String {
        let v = s.as_bytes();
        match v.len() {
            13 => parse_utc_time(v).map(|t| t.to_string()).unwrap_or_else(|e| e.to_string()),
            _ => parse_generalized_time(v).map(|t| t.to_string()).unwrap_or_else(|e| e.to_string()),
        }
    }

    #[test]
    fn utc_time_years_50_to_99_are_19xx_and_00_to_49_are_20xx() {
        assert_eq!(t("500101000000Z"), "1950-01-01T00:00:00Z");
        assert_eq!(t("991231235959Z"), "1999-12-31T23:59:59Z");
        assert_eq!(t("000101000000Z"), "2000-01-01T00:00:00Z");
        assert_eq!(t("491231235959Z"), "2049-12-31T23:59:59Z");
        assert_eq!(t("260229120000Z"), "a validity date does not exist");
        assert_eq!(t("240229120000Z"), "2024-02-29T12:00:00Z");
    }

    #[test]
    fn generalized_time_has_four_digit_years() {
        assert_eq!(t("20500101000000Z"), "2050-01-01T00:00:00Z");
        assert_eq!(t("99991231235959Z"), "9999-12-31T23:59:59Z");
        assert_eq!(t("19700101000000Z"), "1970-01-01T00:00:00Z");
        assert_eq!(t("21000229000000Z"), "a validity date does not exist");
        assert_eq!(t("20000229000000Z"), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn only_z_is_accepted_and_no_fractions_or_offsets() {
        assert!(parse_utc_time(b"2601011200Z").is_err(), "no seconds");
        assert!(parse_utc_time(b"260101120000+0100").is_err());
        assert!(parse_utc_time(b"260101120000z").is_err());
        assert!(parse_utc_time(b"2601011200000").is_err());
        assert!(parse_generalized_time(b"20260101120000.5Z").is_err());
        assert!(parse_generalized_time(b"20260101120000").is_err());
        assert!(parse_generalized_time(b"20260101120000+0000").is_err());
        assert!(parse_generalized_time(b"2026010112000 Z").is_err());
        assert!(parse_utc_time(b"261301000000Z").is_err(), "month 13");
        assert!(parse_utc_time(b"260100000000Z").is_err(), "day 0");
        assert!(parse_utc_time(b"260101240000Z").is_err(), "hour 24");
        assert!(parse_utc_time(b"260101006000Z").is_err(), "minute 60");
        assert!(parse_utc_time(b"260101000060Z").is_err(), "second 60");
        assert!(parse_utc_time(b"-60101000000Z").is_err());
    }

    #[test]
    fn seconds_since_the_epoch() {
        let at = |s: &str| parse_generalized_time(s.as_bytes()).unwrap().unix();
        assert_eq!(at("19700101000000Z"), 0);
        assert_eq!(at("19691231235959Z"), -1);
        assert_eq!(at("20000301000000Z"), 951_868_800);
        assert_eq!(at("20260101000000Z"), 1_767_225_600);
        assert_eq!(at("20600101000000Z"), 2_840_140_800);
        assert_eq!(parse_utc_time(b"500101000000Z").unwrap().unix(), -631_152_000);
    }

    /// A real certificate (made by rcgen), with a UTCTime and a GeneralizedTime.
    fn real() -> Vec<u8> {
        static DER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        DER.get_or_init(make_real).clone()
    }

    fn make_real() -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
        p.not_before = rcgen::date_time_ymd(2020, 5, 17);
        p.not_after = rcgen::date_time_ymd(2051, 3, 1);
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn reads_the_validity_of_a_real_certificate() {
        let v = validity(&real()).unwrap();
        assert_eq!(v.not_before.to_string(), "2020-05-17T00:00:00Z");
        assert_eq!(v.not_after.to_string(), "2051-03-01T00:00:00Z");
        assert_eq!(v.at(v.not_before.unix() - 1), Standing::NotYetValid);
        assert_eq!(v.at(v.not_before.unix()), Standing::Valid);
        assert_eq!(v.at(v.not_after.unix()), Standing::Valid);
        assert_eq!(v.at(v.not_after.unix() + 1), Standing::Expired);
    }

    /// Every truncation and every single-bit flip of a real certificate: an
    /// answer (Ok or Err), never a panic.
    #[test]
    fn malformed_der_is_an_error_never_a_panic() {
        let der = real();
        for n in 0..der.len() {
            assert!(validity(&der[..n]).is_err(), "truncated to {n}");
        }
        for i in 0..der.len() {
            for bit in 0..8 {
                let mut d = der.clone();
                d[i] ^= 1 << bit;
                let _ = validity(&d);
            }
        }
        for bad in
            [&[][..], &[0x30], &[0x30, 0x80], &[0x30, 0x85, 1, 1, 1, 1, 1], &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]]
        {
            assert!(validity(bad).is_err());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = validity(&bytes);
        }

        #[test]
        fn arbitrary_bytes_after_a_valid_prefix_never_panic(cut in 0usize..400, tail in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let der = real();
            let mut d = der[..cut.min(der.len())].to_vec();
            d.extend_from_slice(&tail);
            let _ = validity(&d);
        }
    }
}
