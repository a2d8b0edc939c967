//! The token endpoint answer parser: any status, headers and body.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let split = (data[2] as usize).min(data.len() - 3);
    let (head, body) = data[3..].split_at(split);
    let head = String::from_utf8_lossy(head);
    let mut parts = head.splitn(2, '\n');
    let content_type = parts.next().filter(|s| !s.is_empty());
    let retry_after = parts.next();
    oauth2cc_core::fuzz_token_response(status, content_type, retry_after, body);
});
