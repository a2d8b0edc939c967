//! Sets the soname of liboauth2cc.so and, when asked, generates oauth2cc.h.
//!
//! `make header` runs the build with OAUTH2CC_HEADER_OUT=include/oauth2cc.h;
//! `make check-header` generates to a temporary file and compares.

fn main() {
    // Cargo never sets a soname on a cdylib; without one, programs record the
    // unversioned file name and break on an incompatible upgrade.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liboauth2cc.so.{}", soname_major());
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-env-changed=OAUTH2CC_HEADER_OUT");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    let Ok(out) = std::env::var("OAUTH2CC_HEADER_OUT") else { return };
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml");
    // The version string comes from Cargo.toml, so the header cannot disagree with it.
    let version = std::env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    let after = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!(
        "{after}\n\n/* The version of this header; oauth_version() gives the linked library's. */\n#define OAUTH2CC_VERSION \"{version}\""
    ));
    let mut text = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("generate oauth2cc.h")
        .write(&mut text);
    // cbindgen ends `#endif` and `}` lines with // comments; C89 knows only /* */.
    let text = String::from_utf8(text).expect("header is UTF-8");
    let text: String = text
        .lines()
        .map(|line| match line.split_once("//") {
            Some((code, comment)) if line.starts_with('#') || line.starts_with('}') => {
                format!("{}/* {} */\n", code, comment.trim())
            }
            _ => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&out, text).expect("write oauth2cc.h");
}

/// `soname-major` of `[package.metadata.oauth2cc]` in Cargo.toml, its one definition.
fn soname_major() -> u32 {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let manifest = std::fs::read_to_string(format!("{dir}/Cargo.toml")).expect("Cargo.toml");
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("soname-major = ")?.trim().parse().ok())
        .expect("Cargo.toml: [package.metadata.oauth2cc] soname-major = N")
}
