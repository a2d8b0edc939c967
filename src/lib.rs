//! The C ABI of oauth2cc: `liboauth2cc.so`, `liboauth2cc.a` and `oauth2cc.h`.
//! One module per C concept; every exported body runs inside
//! [`boundary::guard`], which turns panics into `OAUTH_ERR_INTERNAL`.

#![allow(non_camel_case_types)]

pub mod api_response;
mod boundary;
pub mod client;
pub mod client_cert;
pub mod dpop;
pub mod last_error;
pub mod logging;
pub mod options;
pub mod stats;
pub mod status;
pub mod version;

pub use api_response::*;
pub use client::*;
pub use dpop::*;
pub use last_error::*;
pub use logging::*;
pub use options::*;
pub use stats::*;
pub use status::*;
pub use version::*;
