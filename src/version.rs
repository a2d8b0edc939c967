//! The library's version, as macros in the header and at run time.

use std::ffi::c_char;
use std::os::raw::c_int;

/// The version of the header, matching the package version (checked by a test).
pub const OAUTH2CC_VERSION_MAJOR: c_int = 0;
pub const OAUTH2CC_VERSION_MINOR: c_int = 1;
pub const OAUTH2CC_VERSION_PATCH: c_int = 0;
// OAUTH2CC_VERSION, the string, is written into the header by build.rs.

/// The version of the linked library, e.g. "0.1.0"; never NULL, owned by the
/// library. Compare it with `OAUTH2CC_VERSION` to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn oauth_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_macros_match_the_package_version() {
        assert_eq!(OAUTH2CC_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(OAUTH2CC_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(OAUTH2CC_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    }
}
