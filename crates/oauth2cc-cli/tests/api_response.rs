//! `oauth2cc request` over the shared case table (tests/api_response_cases.json),
//! against the simulator's `/api/respond/NNN` route: the command line asks the
//! core's rule and only translates its answer to output and exit status.

use iam_sim::{ClientSpec, Sim, SimConfig};
use serde_json::Value;
use std::process::{Command, Stdio};

const SECRET: &str = "cli-S3cret-value";

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/api_response_cases.json"))
        .expect("tests/api_response_cases.json");
    serde_json::from_str::<Value>(&text).unwrap()["cases"].as_array().unwrap().clone()
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The simulator URL that answers a valid token as `case` says.
pub fn respond_url(sim: &Sim, case: &Value) -> String {
    let www: Vec<String> = case["www_authenticate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("www={}", form_encode(v.as_str().unwrap())))
        .collect();
    format!("{}/api/respond/{}?{}", sim.base_url(), case["status"], www.join("&"))
}

#[test]
fn every_case_of_the_shared_table() {
    let sim = Sim::start(SimConfig { clients: vec![ClientSpec::new("svc", SECRET)], ..SimConfig::default() }).unwrap();
    // A DPoP client's cases (the command line's DPoP requests are tested in tests/cli.rs).
    for case in cases().into_iter().filter(|c| c.get("dpop").is_none()) {
        let name = case["name"].as_str().unwrap();
        let status = case["status"].as_u64().unwrap();
        let expected = case["outcome"].as_str().unwrap();
        let before = sim.stats();
        let out = Command::new(env!("CARGO_BIN_EXE_oauth2cc"))
            .env_clear()
            .env("OAUTH2CC_TOKEN_URL", sim.token_url())
            .env("OAUTH2CC_CLIENT_ID", "svc")
            .env("OAUTH2CC_CLIENT_SECRET", SECRET)
            .args(["--no-cache", "request", "GET", &respond_url(&sim, &case)])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let after = sim.stats();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let api_calls = after.api_requests - before.api_requests;
        let token_requests = after.token_requests - before.token_requests;
        let code = out.status.code().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("\"status\":{status}")), "{name}: body printed");
        match expected {
            "proceed" => {
                let want = match status {
                    400..=499 => 9,
                    500..=599 => 10,
                    _ => 0,
                };
                assert_eq!((code, api_calls, token_requests), (want, 1, 1), "{name}: {stderr}");
                assert!(stderr.is_empty(), "{name}: {stderr}");
            }
            "retry" => {
                // The simulator answers the renewed token the same way: one resend, then give up.
                assert_eq!((code, api_calls, token_requests), (9, 2, 2), "{name}: {stderr}");
                assert!(stderr.contains("freshly renewed token"), "{name}: {stderr}");
            }
            kind => {
                let exit = oauth2cc_core::outcome_named(kind).and_then(|o| o.exit_status).expect(kind);
                assert_eq!((code, api_calls, token_requests), (i32::from(exit), 1, 1), "{name}: {stderr}");
                for field in ["scope", "error_description"] {
                    if let Some(v) = case.get(field).and_then(Value::as_str) {
                        assert!(stderr.contains(v), "{name}: {field} {v:?} in {stderr}");
                    }
                }
                assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
            }
        }
    }
}
