//! oauth2cc: OAuth 2.0 access tokens with the client credentials grant
//! (RFC 6749 §4.4), kept in a thread-safe cache and renewed before they expire.
//!
//! ```no_run
//! use oauth2cc_core::{Client, Config};
//!
//! let config = Config::new(
//!     "https://iam.example.com/auth/realms/demo/protocol/openid-connect/token",
//!     "my-service",
//!     "s3cret",
//! );
//! let client = Client::new(config)?;
//! let token = client.token()?; // fetched once, then served from the cache
//! println!("Authorization: Bearer {}", token.access_token());
//! # Ok::<(), oauth2cc_core::Error>(())
//! ```
//!
//! The cache renews a token once a random point between 80 % and 90 % of its
//! lifetime has passed, with at most one request in flight per client.

mod api_response;
mod assertion;
mod backoff;
mod binding;
mod cache;
mod cert_validity;
mod client;
mod client_cert;
mod clock;
mod config;
mod deferred;
mod discovery;
mod dpop;
mod endpoint;
mod error;
#[cfg(unix)]
mod file_cache;
mod fleet;
mod fork;
mod form;
mod jitter;
// Shared by the client assertion (RFC 7523) and DPoP (RFC 9449).
mod jose;
mod keys;
mod outcome;
mod panic;
mod proxy;
mod response;
mod secret;
mod settings;
mod stats;
mod token;
mod transport;
mod wipe;
mod www_authenticate;

pub use api_response::ResponseAction;
pub use client::Client;
pub use config::{AuthMethod, Config, KeySource};
pub use deferred::is_oauth2cc_log_target;
pub use error::{Error, ErrorKind, OAuthErrorBody};
#[cfg(unix)]
pub use file_cache::default_cache_dir;
#[doc(hidden)]
pub use fleet::set_host_clock_offset_for_tests;
pub use fleet::SharedCacheStatus;
pub use outcome::{outcome_named, outcome_of_status, Outcome, OUTCOMES};
#[doc(hidden)]
pub use panic::catch_silently;
pub use secret::Secret;
pub use settings::{Settings, Source as SettingSource};
pub use stats::Stats;
pub use token::Token;
pub use transport::{ApiRequest, ApiResponse, MAX_API_BODY_BYTES};
pub use www_authenticate::{classify_unauthorized, parse_www_authenticate, Challenge, ParseError, Unauthorized};

/// Largest token endpoint answer that is read (1 MiB).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// The token endpoint answer parser, for the fuzz targets in `fuzz/`.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn fuzz_token_response(status: u16, content_type: Option<&str>, retry_after: Option<&str>, body: &[u8]) {
    let timing = response::Timing {
        sent_at: std::time::Instant::now(),
        sent_at_system: std::time::SystemTime::now(),
        default_lifetime: std::time::Duration::from_secs(60),
        renew_after: (0.8, 0.9),
        dpop: false,
    };
    match response::parse(&response::Answer { status, content_type, retry_after, body }, &timing) {
        Ok(t) => {
            assert!(!t.access_token().is_empty() && t.lifetime() > std::time::Duration::ZERO);
            assert!(t.renew_at() < t.expires_at());
        }
        Err(e) => assert!(e.to_string().len() < 2048, "error messages stay short"),
    }
}
