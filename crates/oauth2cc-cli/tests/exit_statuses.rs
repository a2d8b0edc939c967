//! README.md's exit status table is the core's table of outcomes
//! (crates/oauth2cc-core/src/outcome.rs), which the command line uses.

use oauth2cc_core::OUTCOMES;
use std::collections::BTreeMap;

#[test]
fn the_readme_exit_table_lists_each_outcome_under_its_exit_status() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("\nExit statuses").expect("README.md has an 'Exit statuses' table");
    let mut in_readme: BTreeMap<u8, Vec<String>> = BTreeMap::new();
    for line in readme[start..].lines().skip(1).skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Ok(exit) = cells[0].parse::<u8>() else { continue };
        let names = cells[2].split(',').map(|n| n.trim().trim_matches('`').to_string()).filter(|n| !n.is_empty());
        in_readme.entry(exit).or_default().extend(names);
    }
    let mut in_table: BTreeMap<u8, Vec<String>> = in_readme.keys().map(|k| (*k, Vec::new())).collect();
    for o in OUTCOMES {
        if let Some(exit) = o.exit_status {
            in_table.entry(exit).or_default().push(o.name.to_string());
        }
    }
    assert_eq!(in_readme, in_table);
}
