//! Fault injection: the faults a test can queue for the next token requests,
//! and the random failures of `Sim::set_failure_rate`.

use crate::state::{next_random, State};
use serde_json::Value;
use std::time::Duration;

/// One injected fault, applied to the next `count` token requests.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer with this status, an optional `Retry-After` and an optional body
    /// (default: a Keycloak-like JSON error for 4xx, an HTML page for 5xx).
    Status { status: u16, retry_after: Option<String>, body: Option<String> },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// A 200 whose body is truncated JSON.
    MalformedJson,
    /// A 200 whose body is an HTML login page.
    Html,
    /// A 200 with a 2 MiB body.
    HugeBody,
    /// Close the connection without an answer.
    Close,
    /// Send the head and half the body, then close.
    CloseMidBody,
    /// Answer normally, but with this `expires_in` (None: the field left out).
    ExpiresIn(Option<Value>),
    /// Answer normally, but with this `token_type`.
    TokenType(String),
    /// A 200 whose JSON carries an `error`.
    ErrorIn200,
    /// Answer normally, but with this `scope` (None: the field left out), as
    /// a server that narrows what it grants does.
    Scope(Option<String>),
    /// Answer normally, with this `Retry-After` header on the 200.
    RetryAfterOn200(String),
}

impl Fault {
    /// Parses the JSON form used by `POST /sim/faults`.
    pub fn from_json(v: &Value) -> Result<Fault, String> {
        let kind = v.get("kind").and_then(Value::as_str).ok_or("fault without \"kind\"")?;
        Ok(match kind {
            "status" => Fault::Status {
                status: v.get("status").and_then(Value::as_u64).ok_or("status fault without \"status\"")? as u16,
                retry_after: v.get("retry_after").map(|r| match r {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
                body: v.get("body").and_then(Value::as_str).map(String::from),
            },
            "delay" => {
                Fault::Delay(Duration::from_millis(v.get("ms").and_then(Value::as_u64).ok_or("delay without \"ms\"")?))
            }
            "malformed_json" => Fault::MalformedJson,
            "html" => Fault::Html,
            "huge_body" => Fault::HugeBody,
            "close" => Fault::Close,
            "close_mid_body" => Fault::CloseMidBody,
            "expires_in" => Fault::ExpiresIn(v.get("value").cloned().filter(|x| !x.is_null())),
            "token_type" => Fault::TokenType(v.get("value").and_then(Value::as_str).unwrap_or("mac").into()),
            "error_200" => Fault::ErrorIn200,
            "scope" => Fault::Scope(v.get("value").and_then(Value::as_str).map(String::from)),
            "retry_after_on_200" => Fault::RetryAfterOn200(
                v.get("value").and_then(Value::as_str).ok_or("retry_after_on_200 without \"value\"")?.into(),
            ),
            other => return Err(format!("unknown fault kind {other:?}")),
        })
    }
}

pub(crate) fn random_fault(st: &State) -> (Duration, Option<Fault>) {
    let rate = *st.failure_rate.lock();
    if rate <= 0.0 || (next_random(st) >> 11) as f64 / (1u64 << 53) as f64 >= rate {
        return (Duration::ZERO, None);
    }
    let status = |s: u16| Fault::Status { status: s, retry_after: None, body: None };
    match next_random(st) % 5 {
        0 => (Duration::ZERO, Some(status(500))),
        1 => (Duration::ZERO, Some(status(503))),
        2 => (Duration::ZERO, Some(Fault::Close)),
        3 => (Duration::ZERO, Some(Fault::MalformedJson)),
        _ => (Duration::from_millis(200), Some(status(502))),
    }
}
