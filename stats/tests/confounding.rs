//! The confounder screen against refitted models: every number it reports about a candidate
//! (which informative pairs it moves by more than 10 %, the median move where it is associated
//! with the factor) is recomputed here by fitting `phenotype ~ factor + set` and
//! `phenotype ~ factor + set + candidate` with ordinary least squares for every pair, which is
//! what "adding the candidate" means. On complete data the screen's correlation shortcut
//! (Frisch-Waugh-Lovell) must agree with those fits.

use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::confounding::{screen, ConfoundingEvidence, ScreenRequest};
use meshagents_stats::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use meshagents_stats::models::ols::first_coefficient;
use polars::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

struct Data {
    table: AnalysisTable,
    phenotypes: Vec<String>,
    factors: Vec<String>,
}

fn entry(column: &str, role: Role, category: &str, value_type: ValueType) -> DictionaryEntry {
    DictionaryEntry {
        column: column.into(),
        field_id: None,
        description: String::new(),
        category: category.into(),
        value_type,
        coding: String::new(),
        role,
    }
}

/// `z` confounds the first six factors and the first three phenotypes; `a` is a confounder
/// the set already holds; `w` is noise; `m` is never observed; `g` is categorical.
fn data(n: usize, seed: u64) -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = || -> f64 { StandardNormal.sample(&mut rng) };
    let z: Vec<f64> = (0..n).map(|_| draw()).collect();
    let a: Vec<f64> = (0..n).map(|_| draw()).collect();
    let w: Vec<f64> = (0..n).map(|_| draw()).collect();
    let mut columns = vec![
        Column::new("eid".into(), (0..n as i64).collect::<Vec<_>>()),
        Column::new("a".into(), a.clone()),
        Column::new("z".into(), z.clone()),
        Column::new("w".into(), w.clone()),
        Column::new("m".into(), vec![None::<f64>; n]),
        Column::new(
            "g".into(),
            (0..n).map(|i| (i % 3) as i64 + 1).collect::<Vec<_>>(),
        ),
    ];
    let mut entries = vec![
        entry("eid", Role::Id, "Identifier", ValueType::Integer),
        entry(
            "a",
            Role::Covariate,
            "Primary demographics",
            ValueType::Continuous,
        ),
        entry(
            "z",
            Role::Covariate,
            "Education and employment",
            ValueType::Continuous,
        ),
        entry("w", Role::Covariate, "Diet", ValueType::Continuous),
        entry("m", Role::Covariate, "Diet", ValueType::Continuous),
        entry(
            "g",
            Role::Covariate,
            "Primary demographics",
            ValueType::Categorical,
        ),
    ];
    // Noise, plus `signal` where `on`; every value draws its noise either way.
    let mut noisy = |on: bool, signal: &dyn Fn(usize) -> f64| -> Vec<f64> {
        (0..n)
            .map(|i| {
                let e = draw();
                if on {
                    signal(i) + e
                } else {
                    e
                }
            })
            .collect()
    };
    let mut factors = Vec::new();
    let mut x0 = Vec::new();
    for j in 0..10 {
        let name = format!("x{j}");
        let x = noisy(j < 6, &|i| 0.5 * z[i] + 0.3 * a[i]);
        if j == 0 {
            x0 = x.clone();
        }
        columns.push(Column::new(name.as_str().into(), x));
        entries.push(entry(&name, Role::Factor, "Diet", ValueType::Continuous));
        factors.push(name);
    }
    let mut phenotypes = Vec::new();
    for k in 0..4 {
        let name = format!("y{k}");
        let y = noisy(k < 3, &|i| 0.4 * z[i] + 0.4 * a[i] + 0.2 * x0[i]);
        columns.push(Column::new(name.as_str().into(), y));
        entries.push(entry(
            &name,
            Role::Imaging,
            "Left ventricle",
            ValueType::Continuous,
        ));
        phenotypes.push(name);
    }
    let df = DataFrame::new_infer_height(columns).unwrap();
    let table = AnalysisTable::from_frame(
        &df,
        Dictionary { entries },
        &CleaningRules::default(),
        "test",
    )
    .unwrap();
    Data {
        table,
        phenotypes,
        factors,
    }
}

fn request(d: &Data, set: &[&str], candidates: &[&str]) -> ScreenRequest {
    ScreenRequest {
        phenotypes: d.phenotypes.clone(),
        factors: d.factors.clone(),
        adjusted_for: set.iter().map(|s| s.to_string()).collect(),
        candidates: candidates.iter().map(|s| s.to_string()).collect(),
        max_pairs: 20_000,
        seed: 1,
        order: [("a", 0), ("z", 0), ("w", 1), ("x0", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .chain(d.factors.iter().map(|f| (f.clone(), 1)))
            .collect(),
    }
}

/// (pairs moved, pairs looked at, median move over the pairs whose factor it is associated
/// with) by refitting both models for every informative pair.
fn refitted(
    d: &Data,
    set: &[&str],
    candidate: &str,
    informative_r: f64,
) -> (usize, usize, Option<f64>) {
    let t = &d.table;
    let col = |n: &str| t.column(n).unwrap();
    let z = col(candidate);
    let base: Vec<&[f64]> = set.iter().map(|s| col(s)).collect();
    let (mut moved, mut looked, mut associated) = (0, 0, Vec::new());
    for p in &d.phenotypes {
        for f in &d.factors {
            if f == candidate {
                continue;
            }
            let y = col(p);
            let x = col(f);
            let mut crude_predictors = vec![x];
            crude_predictors.extend(base.iter().copied());
            let crude = first_coefficient(y, &crude_predictors).unwrap();
            let partial_r = crude.t / (crude.t * crude.t + crude.df as f64).sqrt();
            if partial_r.abs() < informative_r {
                continue;
            }
            looked += 1;
            let mut adjusted_predictors = crude_predictors.clone();
            adjusted_predictors.push(z);
            let adjusted = first_coefficient(y, &adjusted_predictors).unwrap();
            let change = ((adjusted.beta - crude.beta) / crude.beta).abs();
            // Is the candidate associated with the factor after the set? Partial r of x on z.
            let mut xz = vec![z];
            xz.extend(base.iter().copied());
            let fit = first_coefficient(x, &xz).unwrap();
            let r_xz = fit.t / (fit.t * fit.t + fit.df as f64).sqrt();
            if r_xz.abs() >= 0.1 {
                associated.push(change);
                if change > 0.10 {
                    moved += 1;
                }
            }
        }
    }
    associated.sort_by(f64::total_cmp);
    let median = (!associated.is_empty()).then(|| {
        let n = associated.len();
        if n % 2 == 1 {
            associated[n / 2]
        } else {
            0.5 * (associated[n / 2 - 1] + associated[n / 2])
        }
    });
    (moved, looked, median)
}

fn find<'a>(list: &'a [ConfoundingEvidence], name: &str) -> &'a ConfoundingEvidence {
    list.iter().find(|e| e.variable == name).unwrap()
}

#[test]
fn agrees_with_refitted_models_with_and_without_a_set() {
    let d = data(3000, 11);
    for set in [vec![], vec!["a"]] {
        let result = screen(&d.table, &request(&d, &set, &["z", "w", "x0"])).unwrap();
        for candidate in ["z", "w", "x0"] {
            let e = find(&result.candidates, candidate);
            let (moved, looked, median) =
                refitted(&d, &set, candidate, result.pairs.informative_abs_r);
            assert_eq!(e.status, "ok");
            assert_eq!(
                (e.pairs_moved, e.pairs_screened),
                (moved, looked),
                "{candidate} given {set:?}"
            );
            match (e.median_move_associated, median) {
                (Some(a), Some(b)) => {
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                        "{candidate}: {a} vs {b}"
                    )
                }
                (a, b) => assert_eq!(a, b, "{candidate}"),
            }
        }
        // The planted confounder moves a large share of pairs; noise moves none.
        assert!(
            find(&result.candidates, "z").share_moved > 0.5,
            "{result:?}"
        );
        assert_eq!(find(&result.candidates, "w").pairs_moved, 0);
    }
}

#[test]
fn members_are_judged_as_left_out_and_added_back() {
    let d = data(2000, 3);
    let with = screen(&d.table, &request(&d, &["a", "z"], &["w"])).unwrap();
    let without_z = screen(&d.table, &request(&d, &["a"], &["z"])).unwrap();
    let member = find(&with.members, "z");
    let candidate = find(&without_z.candidates, "z");
    assert_eq!(member.position, "member");
    assert_eq!(member.pairs_moved, candidate.pairs_moved);
    assert_eq!(
        member.median_move_associated,
        candidate.median_move_associated
    );
    assert!(member.r2_with_set < 0.05, "z is independent of a");
}

#[test]
fn bad_candidates_get_a_status_not_numbers() {
    let d = data(1000, 5);
    let result = screen(
        &d.table,
        &request(&d, &["a"], &["m", "g", "nonexistent", "x3"]),
    )
    .unwrap();
    let m = find(&result.candidates, "m");
    assert_eq!(m.status, "no data");
    assert_eq!(m.pairs_moved, 0);
    assert!(find(&result.candidates, "g")
        .status
        .starts_with("not screened"));
    assert!(find(&result.candidates, "nonexistent")
        .status
        .starts_with("not screened"));
    // A factor as candidate: its own pairs are not among those it is judged on.
    let x3 = find(&result.candidates, "x3");
    let own = own_informative(&d, &result.pairs.informative_abs_r, &["a"], "x3");
    assert!(own > 0, "x3 has informative pairs of its own");
    assert_eq!(x3.pairs_screened, result.pairs.informative - own);
    // An unknown adjustment variable is an error naming it.
    let err = screen(&d.table, &request(&d, &["nope"], &["z"])).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

/// Informative pairs whose factor is `factor`.
fn own_informative(d: &Data, r: &f64, set: &[&str], factor: &str) -> usize {
    let t = &d.table;
    let base: Vec<&[f64]> = set.iter().map(|s| t.column(s).unwrap()).collect();
    d.phenotypes
        .iter()
        .filter(|p| {
            let mut predictors = vec![t.column(factor).unwrap()];
            predictors.extend(base.iter().copied());
            let c = first_coefficient(t.column(p).unwrap(), &predictors).unwrap();
            (c.t / (c.t * c.t + c.df as f64).sqrt()).abs() >= *r
        })
        .count()
}

#[test]
fn mediator_risk_is_the_share_of_moved_factors_earlier_in_the_order() {
    let d = data(2000, 8);
    let mut req = request(&d, &["a"], &["z"]);
    // Put z after every factor: all the pairs it moves have their factor earlier.
    req.order.insert("z".into(), 2);
    let late = screen(&d.table, &req).unwrap();
    assert_eq!(find(&late.candidates, "z").mediator_risk, Some(1.0));
    let early = screen(&d.table, &request(&d, &["a"], &["z"])).unwrap();
    assert_eq!(find(&early.candidates, "z").mediator_risk, Some(0.0));
}

#[test]
fn samples_pairs_when_there_are_too_many_and_says_so() {
    let d = data(1000, 2);
    let mut req = request(&d, &[], &["z"]);
    req.max_pairs = 17;
    let a = screen(&d.table, &req).unwrap();
    assert!(a.pairs.sampled);
    assert_eq!((a.pairs.total, a.pairs.screened), (40, 17));
    let b = screen(&d.table, &req).unwrap();
    assert_eq!(a, b, "the sample is seeded");
}
