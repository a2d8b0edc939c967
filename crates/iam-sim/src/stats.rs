//! The counters served by `GET /sim/stats` and returned by `Sim::stats`.

use crate::state::State;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Counters, as served by `GET /sim/stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub token_requests: u64,
    pub token_requests_by_client: HashMap<String, u64>,
    pub tokens_issued: u64,
    pub token_in_flight: u64,
    pub token_max_in_flight: u64,
    pub rate_limited: u64,
    pub api_requests: u64,
    pub api_ok: u64,
    /// API calls that presented a token the simulator had issued but which had expired.
    pub api_expired_tokens: u64,
    pub api_revoked_tokens: u64,
    /// Certificate-bound tokens that came without their certificate.
    pub api_unbound_tokens: u64,
    /// The last token request's form parameters, `client_secret` left out.
    pub last_params: Vec<(String, String)>,
    /// The last token request's `Accept` header.
    pub last_accept: Option<String>,
    /// The last token request's auth method as the simulator read it.
    pub last_method: Option<String>,
    /// Why the last refused client assertion was refused.
    pub last_assertion_error: Option<String>,
    /// Metadata requests (OpenID Connect Discovery and RFC 8414), and their paths in order.
    pub discovery_requests: u64,
    pub discovery_paths: Vec<String>,
    /// Token requests sent to the realm's mTLS alias path
    /// (`.../protocol/openid-connect/token/mtls`; also counted in `token_requests`).
    pub mtls_alias_token_requests: u64,
    /// DPoP-bound tokens issued (token_type DPoP, `cnf.jkt`).
    pub dpop_tokens_issued: u64,
    /// DPoP proofs accepted, at the token endpoint and the API.
    pub dpop_proofs_ok: u64,
    /// DPoP proofs refused (any reason, `use_dpop_nonce` included).
    pub dpop_refused: u64,
    /// Proofs refused because their `jti` was seen before.
    pub dpop_replays: u64,
}

impl Stats {
    pub fn to_json(&self) -> Value {
        json!({
            "token_requests": self.token_requests,
            "token_requests_by_client": self.token_requests_by_client,
            "tokens_issued": self.tokens_issued,
            "token_in_flight": self.token_in_flight,
            "token_max_in_flight": self.token_max_in_flight,
            "rate_limited": self.rate_limited,
            "api_requests": self.api_requests,
            "api_ok": self.api_ok,
            "api_expired_tokens": self.api_expired_tokens,
            "api_revoked_tokens": self.api_revoked_tokens,
            "api_unbound_tokens": self.api_unbound_tokens,
            "last_params": self.last_params.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "last_accept": self.last_accept,
            "last_method": self.last_method,
            "last_assertion_error": self.last_assertion_error,
            "discovery_requests": self.discovery_requests,
            "discovery_paths": self.discovery_paths,
            "mtls_alias_token_requests": self.mtls_alias_token_requests,
            "dpop_tokens_issued": self.dpop_tokens_issued,
            "dpop_proofs_ok": self.dpop_proofs_ok,
            "dpop_refused": self.dpop_refused,
            "dpop_replays": self.dpop_replays,
        })
    }
}

/// Counts a token request in flight until dropped.
pub(crate) struct InFlight<'a>(pub(crate) &'a State);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.stats.lock().token_in_flight -= 1;
    }
}
