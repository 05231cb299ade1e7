//! OLS and Benjamini-Hochberg against statsmodels reference values (see
//! `fixtures/make_fixtures.py`, which wrote the CSV files read here).

use std::collections::HashMap;
use std::path::PathBuf;

use meshagents_stats::association::benjamini_hochberg;
use meshagents_stats::ols::first_coefficient;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rows of a small CSV without quoted fields; comment lines start with '#'.
fn rows(text: &str) -> Vec<HashMap<String, String>> {
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

fn number(text: &str) -> f64 {
    if text.is_empty() {
        f64::NAN
    } else {
        text.parse()
            .unwrap_or_else(|_| panic!("not a number: {text}"))
    }
}

fn assert_close(what: &str, actual: f64, expected: f64, rel: f64) {
    let scale = expected.abs().max(1e-300);
    assert!(
        ((actual - expected) / scale).abs() <= rel,
        "{what}: got {actual:e}, statsmodels {expected:e} (relative error {:e})",
        ((actual - expected) / scale).abs()
    );
}

#[test]
fn ols_matches_statsmodels() {
    let data = rows(&fixture("ols_data.csv"));
    let column = |name: &str| -> Vec<f64> { data.iter().map(|r| number(&r[name])).collect() };
    let reference = rows(&fixture("ols_reference.csv"));
    assert_eq!(reference.len(), 4);
    for case in reference {
        let first: usize = case["first_row"].parse().unwrap();
        let last: usize = case["last_row"].parse().unwrap();
        let y = column(&case["outcome"])[first..last].to_vec();
        let predictors: Vec<Vec<f64>> = case["predictors"]
            .split(';')
            .map(|p| column(p)[first..last].to_vec())
            .collect();
        let refs: Vec<&[f64]> = predictors.iter().map(Vec::as_slice).collect();
        let fit = first_coefficient(&y, &refs).unwrap();
        let name = &case["case"];
        assert_eq!(fit.n, case["n"].parse::<usize>().unwrap(), "{name}: n");
        for (what, actual, tol) in [
            ("beta", fit.beta, 1e-9),
            ("se", fit.se, 1e-9),
            ("t", fit.t, 1e-9),
            ("p", fit.p, 1e-8),
            ("ci_low", fit.ci_low, 1e-9),
            ("ci_high", fit.ci_high, 1e-9),
        ] {
            assert_close(&format!("{name} {what}"), actual, number(&case[what]), tol);
        }
    }
}

#[test]
fn benjamini_hochberg_matches_statsmodels() {
    let reference = rows(&fixture("bh_reference.csv"));
    let p: Vec<f64> = reference.iter().map(|r| number(&r["p"])).collect();
    let q = benjamini_hochberg(&p);
    for (k, r) in reference.iter().enumerate() {
        assert_close(&format!("q[{k}]"), q[k], number(&r["q_bh"]), 1e-12);
    }
}
