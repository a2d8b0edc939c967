//! One owner for the API-response rule (ARCHITECTURE.md "One owner for every rule"):
//! no wrapper compares the OAuth `error` values an API sends; they ask the
//! core (`Client::handle_response`, `oauth_handle_response`).
//!
//! What counts: one of the values as a quoted string (`"invalid_token"`,
//! `'insufficient_scope'`, `\"invalid_request\"`) on a line of code. Comments,
//! Python docstrings and prose inside longer strings (help texts) do not count.

use std::path::{Path, PathBuf};

const VALUES: &[&str] = &["invalid_token", "insufficient_scope", "invalid_request"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| ["rs", "c", "h", "hpp", "py", "pyi"].iter().any(|e| x == *e)) {
            out.push(p);
        }
    }
}

/// The code of `text` with comments (and Python docstrings) blanked out, line by line.
fn code_lines(text: &str, python: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false; // inside /* */ or a """ docstring
    for line in text.lines() {
        let mut code = String::new();
        let mut rest = line;
        loop {
            let (open, close) = if python { ("\"\"\"", "\"\"\"") } else { ("/*", "*/") };
            if in_block {
                match rest.find(close) {
                    Some(i) => {
                        rest = &rest[i + close.len()..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_comment = if python { "#" } else { "//" };
                let cut = rest.find(line_comment).unwrap_or(rest.len());
                match rest[..cut].find(open) {
                    Some(i) => {
                        code.push_str(&rest[..i]);
                        rest = &rest[i + open.len()..];
                        in_block = true;
                    }
                    None => {
                        code.push_str(&rest[..cut]);
                        break;
                    }
                }
            }
        }
        out.push(code);
    }
    out
}

fn offenders(dirs: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for dir in dirs {
        let mut list = Vec::new();
        files(&root().join(dir), &mut list);
        for f in list {
            let text = std::fs::read_to_string(&f).unwrap();
            let python = f.extension().is_some_and(|x| x == "py" || x == "pyi");
            for (n, line) in code_lines(&text, python).iter().enumerate() {
                for v in VALUES {
                    if ["\"", "'", "\\\""].iter().any(|q| line.contains(&format!("{q}{v}"))) {
                        found.push(format!(
                            "{}:{}: {}",
                            f.strip_prefix(root()).unwrap_or(&f).display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn the_command_line_the_c_abi_and_the_c_and_cpp_wrappers_hold_no_oauth_error_rule() {
    let found = offenders(&["crates/oauth2cc-cli/src", "src", "bindings/c", "bindings/cpp"]);
    assert!(found.is_empty(), "ask the core instead:\n{}", found.join("\n"));
}

#[test]
fn the_python_wrappers_hold_no_oauth_error_rule() {
    let found = offenders(&["bindings/python/python", "bindings/python/src"]);
    assert!(found.is_empty(), "ask the core instead:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_a_rule_and_ignores_comments() {
    let c = "if (strstr(www, \"insufficient_scope\")) {} /* \"invalid_token\" */\n// \"invalid_request\"";
    assert_eq!(code_lines(c, false).iter().filter(|l| l.contains("\"insufficient_scope")).count(), 1);
    assert!(!code_lines(c, false).iter().any(|l| l.contains("invalid_token") || l.contains("invalid_request")));
    let py = "\"\"\"Docs: \"invalid_token\".\"\"\"\nif u.kind == 'invalid_token':  # \"insufficient_scope\"\n";
    let lines = code_lines(py, true);
    assert!(
        !lines[0].contains("invalid_token")
            && lines[1].contains("'invalid_token'")
            && !lines[1].contains("insufficient")
    );
}
