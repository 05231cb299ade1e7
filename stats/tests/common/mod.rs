//! Helpers shared by the fixture tests: reading the small reference CSV files and comparing
//! numbers with a relative tolerance.

use std::collections::HashMap;
use std::path::PathBuf;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Rows of a small CSV without quoted fields; comment lines start with '#'.
pub fn rows(name: &str) -> Vec<HashMap<String, String>> {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

pub fn num(text: &str) -> f64 {
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse()
            .unwrap_or_else(|_| panic!("not a number: {text}"))
    }
}

pub fn close(what: &str, actual: f64, expected: f64, rel: f64) {
    let err = ((actual - expected) / expected.abs().max(1e-300)).abs();
    assert!(
        err <= rel,
        "{what}: got {actual:e}, reference {expected:e} (relative error {err:e})"
    );
}
