//! Covariates left out of given factors' pairs (`PhewasRequest::dropped_covariates`), on the
//! cohort of `fixtures/make_sex_dropped_fixtures.py`: `q1` is the sex-like covariate, `f1`,
//! `g1`, `c1` and `g2` are recorded in one of its groups and for a few of the other (so `q1`
//! varies in their pairs' rows), `f3` and `g3` in both. Linear and logistic pairs against
//! statsmodels fitted without `q1`; every model family against a run whose covariates leave
//! `q1` out; the other factors' rows as a run without drops gives them; and the errors.

mod common;

use common::{close, estimate_bits, fixture_table, num, rows};
use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{
    run, AssociationRow, CovariateDrop, Method, ModelChoice, PhewasRequest,
};

const REASON: &str = "the Showcase marks this field Sexed = Female";

fn table() -> AnalysisTable {
    fixture_table("sex_dropped")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

fn drop_q1(factors: &[&str]) -> Vec<CovariateDrop> {
    factors
        .iter()
        .map(|f| CovariateDrop {
            factor: f.to_string(),
            covariates: names(&["q1"]),
            reason: REASON.into(),
        })
        .collect()
}

fn request(factors: &[&str], covariates: &[&str], drops: Vec<CovariateDrop>) -> PhewasRequest {
    PhewasRequest {
        phenotypes: names(&["m1", "m2"]),
        factors: names(factors),
        covariates: names(covariates),
        model: ModelChoice::Auto,
        transform: Transform::None,
        method: Method::Exact,
        threads: 2,
        dropped_covariates: drops,
    }
}

const FACTORS: [&str; 6] = ["f3", "f1", "g3", "g1", "c1", "g2"];
const DROPPED: [&str; 4] = ["f1", "g1", "c1", "g2"];

/// The row of `phenotype` x `factor`.
fn row<'a>(rows: &'a [AssociationRow], phenotype: &str, factor: &str) -> &'a AssociationRow {
    rows.iter()
        .find(|r| r.phenotype == phenotype && r.factor == factor)
        .unwrap_or_else(|| panic!("no row {phenotype} x {factor}"))
}

/// The likelihood-ratio statistic and p-value a logistic row states at the end of its note.
fn likelihood_ratio(note: &str) -> (f64, f64) {
    let (_, tail) = note
        .split_once("LR chi2 = ")
        .expect("an LR test in the note");
    let (statistic, p) = tail.split_once(", LR p = ").expect("an LR p in the note");
    (statistic.parse().unwrap(), p.parse().unwrap())
}

/// Every field of two rows but the corrections (which depend on the whole family), to the bit.
fn same_fit(a: &AssociationRow, b: &AssociationRow) {
    assert_eq!(estimate_bits(a), estimate_bits(b), "{a:?}\n{b:?}");
    let rest = |r: &AssociationRow| {
        (
            r.phenotype.clone(),
            r.factor.clone(),
            r.category.clone(),
            r.model.clone(),
            r.n,
            r.n_cases,
            r.n_controls,
            r.status.clone(),
        )
    };
    assert_eq!(rest(a), rest(b));
}

/// The pairs of a factor recorded in one sex and for a few of the other, not adjusted for sex:
/// statsmodels' OLS and Logit without `q1` on the pair's complete rows give the reference (n,
/// cases exactly; estimates to 1e-8 relative, the tolerance of the other Logit fixtures), and
/// the note says which covariate is left out and why. Adjusted for every covariate the same
/// pairs are fitted with q1 (it varies in their rows, so no rule drops it by itself).
#[test]
fn dropped_covariate_pairs_match_statsmodels_fitted_without_it() {
    let table = table();
    let with_drops = run(
        &table,
        &request(&FACTORS, &["q2", "q1"], drop_q1(&DROPPED)),
        &|_| {},
    )
    .unwrap();
    let without = run(&table, &request(&FACTORS, &["q2", "q1"], vec![]), &|_| {}).unwrap();
    let note = format!("not adjusted for q1: {REASON}");
    for (reference, model) in [
        ("sex_dropped_reference.csv", "linear"),
        ("sex_dropped_logit_reference.csv", "logistic"),
    ] {
        for expected in rows(reference) {
            let ours = row(
                &with_drops.rows,
                &expected["phenotype"],
                &expected["factor"],
            );
            let what = |name: &str| format!("{} x {}: {name}", ours.phenotype, ours.factor);
            assert_eq!((ours.model.as_str(), ours.status.as_str()), (model, "ok"));
            assert_eq!(ours.n, num(&expected["n"]) as usize, "{}", what("n"));
            let mut numbers = vec![
                ("beta", ours.beta),
                ("se", ours.se),
                ("p", ours.p),
                ("ci_low", ours.ci_low),
                ("ci_high", ours.ci_high),
            ];
            if model == "logistic" {
                assert_eq!(ours.n_cases, Some(num(&expected["cases"]) as usize));
                let (lr, lr_p) = likelihood_ratio(&ours.note);
                numbers.extend([("lr", lr), ("lr_p", lr_p)]);
                assert!(
                    ours.note.starts_with(&format!("{note}; LR chi2 = ")),
                    "{ours:?}"
                );
            } else {
                assert_eq!(ours.note, note);
            }
            for (name, value) in numbers {
                close(&what(name), value, num(&expected[name]), 1e-8);
            }
            let adjusted = row(&without.rows, &ours.phenotype, &ours.factor);
            assert_eq!(adjusted.status, "ok");
            assert!(!adjusted.note.contains("q1"), "{adjusted:?}");
            assert_ne!(adjusted.beta, ours.beta);
        }
    }
    // The factors without drops: the rows of a run without any, to the bit, notes included.
    for other in ["f3", "g3"] {
        let mine: Vec<&AssociationRow> = with_drops
            .rows
            .iter()
            .filter(|r| r.factor == other)
            .collect();
        let theirs: Vec<&AssociationRow> =
            without.rows.iter().filter(|r| r.factor == other).collect();
        assert_eq!(mine.len(), 2);
        for (a, b) in mine.iter().zip(&theirs) {
            same_fit(a, b);
            assert_eq!(a.note, b.note);
        }
    }
    // The rows stay in the request's order (phenotype-major, factors as listed).
    let order = |rows: &[AssociationRow]| -> Vec<(String, String)> {
        rows.iter()
            .map(|r| (r.phenotype.clone(), r.factor.clone()))
            .collect()
    };
    assert_eq!(order(&with_drops.rows), order(&without.rows));
}

/// Every model family fits a factor with drops as a run whose covariate list leaves them out
/// fits it (the linear kernel, logistic, Firth's fit for the rare `g2`, the categorical levels
/// and their likelihood-ratio row, Bai 2020), and only the note's start differs.
#[test]
fn every_model_family_fits_a_dropped_factor_as_a_run_without_the_covariate() {
    let table = table();
    for method in [Method::Exact, Method::Bai2020] {
        let dropped = PhewasRequest {
            method,
            ..request(&FACTORS, &["q2", "q1"], drop_q1(&DROPPED))
        };
        let reduced = PhewasRequest {
            method,
            ..request(&DROPPED, &["q2"], vec![])
        };
        let with_drops = run(&table, &dropped, &|_| {}).unwrap();
        let expected = run(&table, &reduced, &|_| {}).unwrap();
        let mut models: Vec<&str> = Vec::new();
        for theirs in &expected.rows {
            let ours = row(&with_drops.rows, &theirs.phenotype, &theirs.factor);
            same_fit(ours, theirs);
            let note = format!("not adjusted for q1: {REASON}");
            match theirs.note.as_str() {
                "" => assert_eq!(ours.note, note),
                rest => assert_eq!(ours.note, format!("{note}; {rest}")),
            }
            assert_eq!(ours.status, "ok", "{ours:?}");
            models.push(&theirs.model);
        }
        models.sort_unstable();
        models.dedup();
        let families: &[&str] = match method {
            Method::Exact => &["categorical", "firth", "linear", "logistic"],
            Method::Bai2020 => &["bai2020"],
        };
        assert_eq!(models, families);
    }
}

/// A drop naming a covariate or a factor the run does not have is an error naming it, not a
/// run that quietly adjusts a field for what it should not.
#[test]
fn a_drop_naming_an_unknown_covariate_or_factor_is_an_error() {
    let table = table();
    let refused = |drops: Vec<CovariateDrop>| {
        run(&table, &request(&FACTORS, &["q2", "q1"], drops), &|_| {})
            .unwrap_err()
            .to_string()
    };
    let err = refused(vec![CovariateDrop {
        factor: "f1".into(),
        covariates: names(&["q1", "q9"]),
        reason: REASON.into(),
    }]);
    assert!(err.contains("'q9'") && err.contains("'f1'"), "{err}");
    assert!(err.contains("not a covariate of this run"), "{err}");
    let err = refused(drop_q1(&["f1", "f9"]));
    assert!(err.contains("'f9'"), "{err}");
    assert!(err.contains("not a factor of this run"), "{err}");

    // The same checks guard a shard of the run.
    let shard = meshagents_stats::phewas::Shard { index: 0, count: 2 };
    let err = meshagents_stats::phewas::run_shard(
        &table,
        &request(&FACTORS, &["q2"], drop_q1(&["f1"])),
        shard,
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("'q1'"), "{err}");
    assert!(err.contains("covariates: q2"), "{err}");
}

/// Two drops for one factor leave both covariates out and say both; a factor that is also a
/// covariate stays unfitted (a column plays one part), whatever its drops.
#[test]
fn drops_add_up_and_a_factor_adjusted_for_itself_stays_skipped() {
    let table = table();
    let mut drops = drop_q1(&["f1", "q2"]);
    drops.push(CovariateDrop {
        factor: "f1".into(),
        covariates: names(&["q2"]),
        reason: "another reason".into(),
    });
    let result = run(
        &table,
        &request(&["f1", "q2"], &["q2", "q1"], drops),
        &|_| {},
    )
    .unwrap();
    let unadjusted = run(&table, &request(&["f1"], &[], vec![]), &|_| {}).unwrap();
    for expected in &unadjusted.rows {
        let ours = row(&result.rows, &expected.phenotype, "f1");
        same_fit(ours, expected);
        assert_eq!(
            ours.note,
            format!("not adjusted for q1: {REASON}; not adjusted for q2: another reason")
        );
    }
    for ours in result.rows.iter().filter(|r| r.factor == "q2") {
        assert_eq!(ours.status, "skipped");
        assert!(ours.note.contains("'q2' is also a covariate"), "{ours:?}");
    }
}

/// Requests without drops keep the JSON they had before drops existed (journals hash it), and
/// that JSON still reads; one with drops carries them.
#[test]
fn a_request_without_drops_keeps_its_json() {
    let plain = request(&["f1"], &["q2", "q1"], vec![]);
    let json = serde_json::to_string(&plain).unwrap();
    assert!(!json.contains("dropped_covariates"), "{json}");
    assert_eq!(serde_json::from_str::<PhewasRequest>(&json).unwrap(), plain);
    let dropping = request(&["f1"], &["q2", "q1"], drop_q1(&["f1"]));
    let json = serde_json::to_string(&dropping).unwrap();
    assert!(
        json.ends_with(&format!(
            r#""dropped_covariates":[{{"factor":"f1","covariates":["q1"],"reason":"{REASON}"}}]}}"#
        )),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<PhewasRequest>(&json).unwrap(),
        dropping
    );
}
