//! Helpers shared by the tests of `stats`: reading the small reference CSV files, comparing
//! numbers with a relative tolerance, and cleaning a simulated cohort. Each test file uses
//! part of them.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use meshagents_stats::cohort::{AnalysisTable, CleaningRules, LoadOptions};
use meshagents_stats::phewas::AssociationRow;
use meshagents_stats::simulate::Cohort;

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

/// The column `input` of the fixture `name` through `f`, each value against the column
/// `expected` of its row within relative `rel` (an empty reference cell: NaN expected).
pub fn matches_by_row(
    name: &str,
    (input, expected): (&str, &str),
    rel: f64,
    f: impl Fn(&[f64]) -> Vec<f64>,
) {
    let reference = rows(name);
    let values: Vec<f64> = reference.iter().map(|r| num(&r[input])).collect();
    let actual = f(&values);
    assert_eq!(actual.len(), reference.len(), "{name}: one value a row");
    for (k, (got, r)) in actual.iter().zip(&reference).enumerate() {
        let want = num(&r[expected]);
        if want.is_nan() {
            assert!(got.is_nan(), "{expected}[{k}]: got {got:e}, reference NaN");
        } else {
            close(&format!("{expected}[{k}]"), *got, want, rel);
        }
    }
}

/// A simulated cohort as the default cleaning leaves it.
pub fn cleaned(c: &Cohort) -> AnalysisTable {
    AnalysisTable::from_frame(
        &c.data,
        c.dictionary.clone(),
        &CleaningRules::default(),
        "simulated",
    )
    .unwrap()
}

/// The fixture cohort `STEM_data.csv` with its dictionary `STEM_dictionary.csv`, loaded and
/// cleaned as `phewas` does by default.
pub fn fixture_table(stem: &str) -> AnalysisTable {
    AnalysisTable::load_with(
        &fixture_path(&format!("{stem}_data.csv")),
        Some(&fixture_path(&format!("{stem}_dictionary.csv"))),
        &LoadOptions::default(),
    )
    .unwrap()
}

/// The bits of a row's estimates (NaN equals NaN, which `PartialEq` on f64 does not give),
/// without the corrections, which depend on the whole family.
pub fn estimate_bits(r: &AssociationRow) -> [u64; 7] {
    [
        r.beta,
        r.se,
        r.ci_low,
        r.ci_high,
        r.stat,
        r.p,
        r.neg_log10_p,
    ]
    .map(f64::to_bits)
}
