//! The interop suites' shared setup: where the oidc-provider package lives,
//! and `npm ci` once per test binary when it is missing.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// `npm ci` once per test run, when the packages are missing.
pub fn ensure_packages() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if dir().join("node_modules/oidc-provider/package.json").exists() {
            return;
        }
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir())
            .status()
            .expect("npm must be installed to run the interop tests");
        assert!(st.success(), "npm ci failed in tests/interop");
    });
}
