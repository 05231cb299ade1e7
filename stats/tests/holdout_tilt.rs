//! The tilt that selecting features on the evaluated participants gives, and its removal by a
//! hold-out. A disease with no phenotype effect (labels drawn independently of everything) is
//! added to a simulated cohort of 3,000; the 6 phenotypes most associated with it on the
//! discovery part are selected, as the panel would, and a leak-free cross-validated logistic
//! classifier is scored on the evaluated part. With `holdout = 0` (the paper's protocol) the
//! discovery part is the evaluated part and the mean AUC over 20 seeds is above 0.5; with the
//! default hold-out it is 0.5 within noise.

mod common;

use common::cleaned;
use meshagents_stats::classify::{evaluate, Arm, Classifier, ClassifyConfig, FeatureMatrix};
use meshagents_stats::cohort::split::{split_rows, DEFAULT_HOLDOUT};
use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::dictionary::{DictionaryEntry, Role, ValueType};
use meshagents_stats::data::transform::Transform;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::simulate::{simulate, SimulationConfig};
use polars::prelude::*;

const SEEDS: u64 = 20;
const SELECTED: usize = 6;
const PREVALENCE: f64 = 0.1;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A simulated cohort with one null disease per seed (`null_0` ..), labels independent of
/// every column.
fn cohort() -> AnalysisTable {
    let mut cohort = simulate(&SimulationConfig {
        n: 3_000,
        seed: 5,
        factors: 20,
        ..Default::default()
    })
    .unwrap();
    let n = cohort.data.height();
    for s in 0..SEEDS {
        let name = format!("null_{s}");
        let labels: Vec<i64> = (0..n as u64)
            .map(|i| {
                let u = (mix(mix(s + 1_000) ^ i) >> 11) as f64 / (1u64 << 53) as f64;
                i64::from(u < PREVALENCE)
            })
            .collect();
        cohort
            .data
            .with_column(Column::new(name.as_str().into(), labels))
            .unwrap();
        cohort.dictionary.entries.push(DictionaryEntry {
            column: name,
            field_id: None,
            description: "a disease with no phenotype effect".into(),
            category: "Disease outcomes".into(),
            value_type: ValueType::Binary,
            coding: "0=No;1=Yes".into(),
            role: Role::Disease,
        });
    }
    cleaned(&cohort)
}

/// AUC of the panel arm for the null disease of seed `s` under hold-out `share`.
fn panel_auc(table: &AnalysisTable, phenotypes: &[String], s: u64, share: f64) -> f64 {
    let disease = format!("null_{s}");
    let labels = table.column(&disease).unwrap();
    let split = split_rows(&table.ids, &[labels], share, s).unwrap();
    // The selection: the disease's association with every phenotype on the discovery part,
    // strongest 6 by p, as the panel's association screen reports them.
    let discovery = table.subset(&split.discovery);
    let request = PhewasRequest {
        phenotypes: phenotypes.to_vec(),
        factors: vec![disease.clone()],
        covariates: vec![],
        model: ModelChoice::Auto,
        transform: Transform::Auto,
        method: Method::Exact,
        threads: 2,
        dropped_covariates: Vec::new(),
    };
    let mut rows: Vec<_> = phewas::run(&discovery, &request, &|_| {})
        .unwrap()
        .rows
        .into_iter()
        .filter(|r| r.status == "ok")
        .collect();
    rows.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.phenotype.cmp(&b.phenotype)));
    let chosen: Vec<String> = rows
        .iter()
        .take(SELECTED)
        .map(|r| r.phenotype.clone())
        .collect();
    assert_eq!(chosen.len(), SELECTED);
    // Scored on the evaluated part only, with the leak-free CV inside it.
    let rows = &split.evaluated;
    let columns: Vec<Vec<f64>> = chosen
        .iter()
        .map(|c| {
            let v = table.column(c).unwrap();
            rows.iter().map(|&i| v[i]).collect()
        })
        .collect();
    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let features = FeatureMatrix::from_columns(chosen, &slices).unwrap();
    let y: Vec<bool> = rows.iter().map(|&i| labels[i] != 0.0).collect();
    let ids: Vec<String> = rows.iter().map(|&i| table.ids[i].to_string()).collect();
    let config = ClassifyConfig {
        seed: s,
        classifiers: vec![Classifier::Logistic],
        threads: 2,
        ..ClassifyConfig::default()
    };
    let arm = Arm {
        name: "panel",
        features: &features,
    };
    let (result, _) = evaluate(&disease, &[arm], &y, &ids, &config).unwrap();
    result[0].auc
}

fn mean_and_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn selection_on_the_evaluated_participants_tilts_the_auc_and_a_holdout_removes_it() {
    let table = cohort();
    let phenotypes = table.kept_with_role(Role::Imaging);
    assert!(
        phenotypes.len() > 3 * SELECTED,
        "{} phenotypes",
        phenotypes.len()
    );
    let run = |share: f64| -> Vec<f64> {
        (0..SEEDS)
            .map(|s| panel_auc(&table, &phenotypes, s, share))
            .collect()
    };
    let (leaky, leaky_se) = mean_and_se(&run(0.0));
    let (held, held_se) = mean_and_se(&run(DEFAULT_HOLDOUT));
    eprintln!(
        "mean panel AUC of a null disease over {SEEDS} seeds, {SELECTED} phenotypes selected: \
         holdout 0: {leaky:.4} (SE {leaky_se:.4}, margin above 0.5: {:.4} = {:.1} SE); \
         holdout {DEFAULT_HOLDOUT}: {held:.4} (SE {held_se:.4}, {:+.4} from 0.5 = {:.1} SE)",
        leaky - 0.5,
        (leaky - 0.5) / leaky_se,
        held - 0.5,
        (held - 0.5) / held_se
    );
    // The paper's protocol: the selection saw the test rows, and the AUC of a disease that
    // nothing predicts is clearly above chance.
    assert!(
        leaky - 0.5 > 4.0 * leaky_se && leaky - 0.5 > 0.01,
        "holdout 0: mean AUC {leaky:.4} (SE {leaky_se:.4}) is not above 0.5"
    );
    // Held out: chance, within noise.
    assert!(
        (held - 0.5).abs() < 3.0 * held_se,
        "holdout {DEFAULT_HOLDOUT}: mean AUC {held:.4} (SE {held_se:.4}) is not 0.5 within noise"
    );
    assert!(leaky > held);
}
