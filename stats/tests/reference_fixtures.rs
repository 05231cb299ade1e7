//! OLS and Benjamini-Hochberg against statsmodels reference values (see
//! `fixtures/make_fixtures.py`, which wrote the CSV files read here).

mod common;

use common::{close as assert_close, matches_by_row, num as number, rows};
use meshagents_stats::models::ols::first_coefficient;
use meshagents_stats::phewas::benjamini_hochberg;

#[test]
fn ols_matches_statsmodels() {
    let data = rows("ols_data.csv");
    let column = |name: &str| -> Vec<f64> { data.iter().map(|r| number(&r[name])).collect() };
    let reference = rows("ols_reference.csv");
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
    matches_by_row("bh_reference.csv", ("p", "q_bh"), 1e-12, benjamini_hochberg);
}
