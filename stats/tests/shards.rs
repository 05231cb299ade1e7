//! Shards: any number of shards, written as Parquet parts, read back and merged, give exactly
//! the rows of a whole run (every value to the bit, the same order, the same corrections);
//! and a merge that lacks a shard or mixes runs is an error, not a silent partial table.

mod common;

use common::estimate_bits;
use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::parts::{read_shard, write_shard};
use meshagents_stats::phewas::{
    merge_shards, run, run_shard, CovariateDrop, Method, ModelChoice, PhewasRequest, Shard,
};
use meshagents_stats::simulate::{simulate, SimulationConfig};

fn setup() -> (AnalysisTable, PhewasRequest) {
    let cohort = simulate(&SimulationConfig {
        n: 1_500,
        seed: 11,
        factors: 320,
        ..Default::default()
    })
    .expect("simulate");
    let table = AnalysisTable::from_frame(
        &cohort.data,
        cohort.dictionary.clone(),
        &CleaningRules::default(),
        "simulated",
    )
    .expect("load");
    // Every factor the dictionary names, dropped ones included (they get `skipped` rows):
    // linear blocks, logistic and categorical factors all land in some shard.
    let factors: Vec<String> = cohort
        .dictionary
        .entries
        .iter()
        .filter(|e| e.role == Role::Factor)
        .map(|e| e.column.clone())
        .collect();
    let request = PhewasRequest {
        phenotypes: vec!["LVEDV".into(), "LVEF".into(), "AAo distensibility".into()],
        factors,
        covariates: vec!["age".into(), "sex".into()],
        model: ModelChoice::Auto,
        transform: Transform::Auto,
        method: Method::Exact,
        threads: 2,
        dropped_covariates: Vec::new(),
    };
    (table, request)
}

/// Bit-for-bit equality (NaN equals NaN), which `PartialEq` on f64 does not give.
fn same_bits(
    a: &[meshagents_stats::phewas::AssociationRow],
    b: &[meshagents_stats::phewas::AssociationRow],
) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let corrections =
            |r: &meshagents_stats::phewas::AssociationRow| [r.q_bh, r.bonferroni].map(f64::to_bits);
        assert_eq!(
            (estimate_bits(x), corrections(x)),
            (estimate_bits(y), corrections(y)),
            "{} x {}",
            x.phenotype,
            x.factor
        );
        assert_eq!(
            (
                &x.phenotype,
                &x.factor,
                &x.model,
                x.n,
                x.n_cases,
                &x.status,
                &x.note
            ),
            (
                &y.phenotype,
                &y.factor,
                &y.model,
                y.n,
                y.n_cases,
                &y.status,
                &y.note
            )
        );
    }
}

/// Merges `count` shards of `request` (each written as a part and read back).
fn merged(
    table: &AnalysisTable,
    request: &PhewasRequest,
    count: usize,
) -> meshagents_stats::phewas::PhewasResult {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for index in 0..count {
        let shard = Shard { index, count };
        let part = run_shard(table, request, shard, &|_| {}).expect("shard");
        // Raw p only: the correction needs the whole family.
        assert!(part.rows.iter().all(|(_, _, r)| r.q_bh.is_nan()));
        let path = dir.path().join(format!("{index}.parquet"));
        write_shard(&path, &part).expect("write part");
        parts.push(read_shard(&path, shard).expect("read part"));
    }
    merge_shards(request, parts).expect("merge")
}

#[test]
fn merged_shards_equal_a_whole_run_whatever_the_number_of_shards() {
    let (table, request) = setup();
    let whole = run(&table, &request, &|_| {}).expect("whole run");
    for count in [1, 2, 3, 7, 40] {
        let merged = merged(&table, &request, count);
        assert_eq!(merged.family_size, whole.family_size, "{count} shards");
        same_bits(&merged.rows, &whole.rows);
    }
}

#[test]
fn a_missing_shard_or_a_part_of_another_run_is_an_error() {
    let (table, request) = setup();
    let part = |index| run_shard(&table, &request, Shard { index, count: 3 }, &|_| {}).unwrap();
    let err = merge_shards(&request, vec![part(0), part(2)]).unwrap_err();
    assert!(err.to_string().contains("shard 1/3 is missing"), "{err}");
    let err = merge_shards(&request, vec![part(0), part(1), part(1)]).unwrap_err();
    assert!(err.to_string().contains("there twice"), "{err}");

    // A part read as another shard's is refused by name.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    write_shard(&path, &part(1)).unwrap();
    let err = read_shard(&path, Shard { index: 2, count: 3 }).unwrap_err();
    assert!(err.to_string().contains("p.parquet"), "{err}");

    // Parts of a run with other phenotypes do not merge into this one.
    let mut other = request.clone();
    other.phenotypes.swap(0, 1);
    let foreign: Vec<_> = (0..3)
        .map(|index| run_shard(&table, &other, Shard { index, count: 3 }, &|_| {}).unwrap())
        .collect();
    let err = merge_shards(&request, foreign).unwrap_err();
    assert!(err.to_string().contains("another run"), "{err}");

    for bad in ["3/3", "1", "a/2", "0/0"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Shard::parse("2/5").unwrap(), Shard { index: 2, count: 5 });
}

/// Factors fitted without some covariates (two covariate lists besides the run's own, over
/// linear blocks, logistic and categorical factors and factors dropped by cleaning) shard and
/// merge like the rest: every shard count gives the whole run's table. The factors without
/// drops keep the numbers of a run without any (only the corrections, over a family whose
/// other p-values changed, may differ).
#[test]
fn merged_shards_equal_a_whole_run_with_covariate_drops() {
    let (table, plain) = setup();
    let drops: Vec<CovariateDrop> = plain
        .factors
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 == 0 || i % 11 == 0)
        .map(|(i, factor)| CovariateDrop {
            factor: factor.clone(),
            covariates: if i % 11 == 0 {
                vec!["age".into(), "sex".into()]
            } else {
                vec!["sex".into()]
            },
            reason: "recorded in one sex".into(),
        })
        .collect();
    let request = PhewasRequest {
        dropped_covariates: drops.clone(),
        ..plain.clone()
    };
    let whole = run(&table, &request, &|_| {}).expect("whole run");
    for count in [1, 3, 7] {
        let merged = merged(&table, &request, count);
        assert_eq!(merged.family_size, whole.family_size, "{count} shards");
        same_bits(&merged.rows, &whole.rows);
    }
    let without = run(&table, &plain, &|_| {}).expect("run without drops");
    assert_eq!(whole.rows.len(), without.rows.len());
    let mut noted = 0;
    for (a, b) in whole.rows.iter().zip(&without.rows) {
        let name = b.factor.split('=').next().unwrap_or_default();
        if drops.iter().any(|d| d.factor == name) {
            assert!(a.note.starts_with("not adjusted for "), "{a:?}");
            noted += 1;
            continue;
        }
        assert_eq!(estimate_bits(a), estimate_bits(b), "{a:?}");
        assert_eq!(
            (&a.phenotype, &a.factor, &a.model, a.n, &a.status, &a.note),
            (&b.phenotype, &b.factor, &b.model, b.n, &b.status, &b.note)
        );
    }
    assert!(noted >= 3 * drops.len(), "{noted}");
}
