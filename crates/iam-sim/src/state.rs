//! The state shared by every connection: the configuration, registered
//! clients, counters, queued faults, issued tokens and the rate limiter's window.

use crate::config::{ClientSpec, SimConfig};
use crate::faults::Fault;
use crate::stats::Stats;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A token the simulator issued, as the protected API looks it up.
pub(crate) struct Issued {
    pub(crate) client: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires: Instant,
    pub(crate) revoked: bool,
    /// The client certificate (DER) the token is bound to (RFC 8705 `x5t#S256`):
    /// the one presented with the token request, if any.
    pub(crate) bound_to: Option<Arc<Vec<u8>>>,
    /// The `cnf.jkt` of a DPoP-bound token (RFC 9449 section 6.1).
    pub(crate) jkt: Option<String>,
}

/// Everything the handlers share, behind one `Arc`.
pub(crate) struct State {
    pub(crate) cfg: SimConfig,
    pub(crate) clients: Mutex<HashMap<String, ClientSpec>>,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) faults: Mutex<VecDeque<(Duration, Fault)>>,
    pub(crate) discovery: Mutex<crate::discovery::DiscoveryState>,
    pub(crate) issued: Mutex<HashMap<String, Issued>>,
    pub(crate) recent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// When each token request arrived (after its body was read), in order.
    pub(crate) arrivals: Mutex<Vec<Instant>>,
    /// Chance (0..1) that a token request without a queued fault fails at random.
    pub(crate) failure_rate: Mutex<f64>,
    /// Client assertion `jti`s seen, with their `exp` (unix seconds), per client: replays are refused.
    pub(crate) seen_jti: Mutex<HashMap<(String, String), u64>>,
    pub(crate) seq: AtomicU64,
    pub(crate) rng: Mutex<u64>,
    pub(crate) dpop: Mutex<crate::dpop::DpopState>,
}

pub(crate) fn next_random(st: &State) -> u64 {
    let mut s = st.rng.lock();
    // xorshift64*
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    s.wrapping_mul(0x2545_F491_4F6C_DD1D)
}
