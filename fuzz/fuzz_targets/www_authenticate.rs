//! The WWW-Authenticate parser and the 401 classification: any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(challenges) = oauth2cc_core::parse_www_authenticate(&text) {
        for c in &challenges {
            assert!(!c.scheme.is_empty());
        }
    }
    let outcome = oauth2cc_core::classify_unauthorized(Some(&text));
    let _ = outcome.describe();
});
