//! The Python mapping is derived from the core's table of outcomes
//! (crates/oauth2cc-core/src/outcome.rs): bindings/python/src/errors.rs creates
//! one exception class per row (its `python_class`, with its `name` as the
//! class's `kind`) and holds no name of its own. What Python ends up with is
//! checked by bindings/python/tests/test_boundary.py.

use oauth2cc_core::{ErrorKind, OUTCOMES};
use std::collections::HashSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_pyo3_binding_takes_names_and_classes_from_the_table() {
    let src = read("bindings/python/src/errors.rs");
    assert!(src.contains("OUTCOMES") && src.contains("kind.name()"), "errors.rs reads the table");
    for o in OUTCOMES {
        for value in [Some(o.name), o.python_class].into_iter().flatten() {
            assert!(
                !src.contains(&format!("\"{value}\"")),
                "errors.rs spells {value:?} itself; take it from the table: {o:?}"
            );
        }
    }
}

#[test]
fn every_kind_has_one_python_class() {
    let mut classes = HashSet::new();
    for k in ErrorKind::all() {
        let class = k.outcome().python_class.unwrap_or_else(|| panic!("{k:?} has no Python class"));
        assert!(classes.insert(class), "{class} is used twice");
        assert!(class.ends_with("Error") && class != "TimeoutError", "{class}: no builtin's name");
    }
}
