//! Properties of the cohort simulator: determinism, consistency of the dictionary and truth
//! with the data, the physical identities, realistic ranges, and that the planted structure
//! is recoverable.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::cleaned;
use meshagents_stats::cohort::AnalysisTable;
use meshagents_stats::data::dictionary::{DictionaryEntry, Role, ValueType};
use meshagents_stats::models::ols::first_coefficient;
use meshagents_stats::simulate::{
    simulate, write_cohort, Cohort, OutputFormat, Scenario, SimulationConfig, CATEGORIES,
    LIFESTYLE, MEDIATOR_CATEGORY, MEDIATOR_EFFECTS, MEDIATOR_FIELD_ID, SES_EFFECTS, SES_FIELD_ID,
};
use polars::prelude::*;

fn cohort(n: usize, seed: u64) -> Cohort {
    simulate(&SimulationConfig {
        n,
        seed,
        factors: 320,
        ..Default::default()
    })
    .expect("simulate")
}

fn scenario_cohort(n: usize, seed: u64, scenario: Scenario) -> Cohort {
    simulate(&SimulationConfig {
        n,
        seed,
        factors: 320,
        scenario,
    })
    .expect("simulate")
}

fn f64_column(df: &DataFrame, name: &str) -> Vec<f64> {
    let col = df
        .column(name)
        .unwrap_or_else(|_| panic!("column {name}"))
        .cast(&DataType::Float64)
        .unwrap();
    col.f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_files_in_both_formats() {
    for format in [OutputFormat::Parquet, OutputFormat::Csv] {
        let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        for dir in &dirs {
            write_cohort(&mut cohort(1500, 7), dir.path(), format).unwrap();
        }
        for file in [
            format!("cohort.{}", format.extension()),
            "dictionary.csv".into(),
            "truth.json".into(),
        ] {
            let a = std::fs::read(dirs[0].path().join(&file)).unwrap();
            let b = std::fs::read(dirs[1].path().join(&file)).unwrap();
            assert!(!a.is_empty(), "{file} is empty");
            assert!(a == b, "{file} differs between two runs with the same seed");
        }
    }
    let other = tempfile::tempdir().unwrap();
    let same = tempfile::tempdir().unwrap();
    write_cohort(&mut cohort(1500, 8), other.path(), OutputFormat::Csv).unwrap();
    write_cohort(&mut cohort(1500, 7), same.path(), OutputFormat::Csv).unwrap();
    assert_ne!(
        std::fs::read(other.path().join("cohort.csv")).unwrap(),
        std::fs::read(same.path().join("cohort.csv")).unwrap(),
        "another seed must give other data"
    );
}

#[test]
fn dictionary_and_truth_name_real_columns_with_the_right_roles() {
    let c = cohort(2000, 1);
    let data_columns: Vec<String> = c
        .data
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let dict_columns: Vec<String> = c
        .dictionary
        .entries
        .iter()
        .map(|e| e.column.clone())
        .collect();
    assert_eq!(
        data_columns, dict_columns,
        "the dictionary describes exactly the data's columns, in order"
    );
    let role_of = |name: &str| {
        c.dictionary
            .get(name)
            .unwrap_or_else(|| panic!("truth names unknown column '{name}'"))
            .role
    };

    let t = &c.truth;
    for name in t
        .confounders
        .iter()
        .chain(&t.mediators)
        .chain(&t.confounder_proxies)
    {
        assert_eq!(role_of(name), Role::Covariate, "{name}");
    }
    assert_eq!(t.confounders, vec!["age", "sex", "height", "weight"]);
    for a in &t.direct_associations {
        assert_eq!(role_of(&a.phenotype), Role::Imaging);
        assert_eq!(role_of(&a.factor), Role::Factor);
    }
    for m in &t.mediated_associations {
        assert_eq!(role_of(&m.factor), Role::Factor);
        assert_eq!(role_of(&m.mediator), Role::Covariate);
        m.phenotypes
            .iter()
            .for_each(|p| assert_eq!(role_of(p), Role::Imaging));
    }
    for f in t.confounded_only.iter().chain(&t.null_factors) {
        assert_eq!(role_of(f), Role::Factor);
    }
    assert!(t.disease_phenotypes.len() >= 9);
    for (disease, phenotypes) in &t.disease_phenotypes {
        assert_eq!(role_of(disease), Role::Disease);
        assert!(!phenotypes.is_empty());
        phenotypes
            .iter()
            .for_each(|p| assert_eq!(role_of(p), Role::Imaging));
        t.disease_factors[disease]
            .iter()
            .for_each(|f| assert_eq!(role_of(f), Role::Factor));
    }

    // Shape of the catalogue.
    let by_role = |role: Role| {
        c.dictionary
            .entries
            .iter()
            .filter(|e| e.role == role)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_role(Role::Imaging).len(), 82);
    let factors = by_role(Role::Factor);
    assert!(factors.len() >= 300, "{} factors", factors.len());
    let categories: BTreeSet<&str> = factors.iter().map(|e| e.category.as_str()).collect();
    assert_eq!(
        categories,
        CATEGORIES.iter().copied().collect::<BTreeSet<_>>()
    );
    let types: HashSet<ValueType> = factors.iter().map(|e| e.value_type).collect();
    assert_eq!(types.len(), 5, "all five value types occur: {types:?}");
    for name in [
        "LVEDV",
        "LAV max",
        "AAo distensibility",
        "WT_AHA_16",
        "WT_Global",
        "Ecc_Global",
        "Err_AHA_1",
        "Ell_6",
        "Ell_Global",
    ] {
        assert_eq!(role_of(name), Role::Imaging, "{name}");
    }
    for name in [
        "age",
        "sex",
        "height",
        "weight",
        "bmi",
        "bsa",
        "sbp",
        "dbp",
        "heart_rate",
    ] {
        assert_eq!(role_of(name), Role::Covariate, "{name}");
    }
    // Every truth factor class is populated, and every factor is classified exactly once.
    let classified: usize = t.confounded_only.len()
        + t.null_factors.len()
        + t.direct_associations
            .iter()
            .map(|a| &a.factor)
            .collect::<HashSet<_>>()
            .len()
        + t.mediated_associations
            .iter()
            .filter(|m| m.mediator == "sbp")
            .count();
    assert_eq!(classified, factors.len());
    assert!(
        t.null_factors.len() > factors.len() / 2,
        "most factors are null"
    );
    assert!(!t.confounded_only.is_empty() && t.near_duplicates.len() >= 2);
}

#[test]
fn coded_fields_carry_negative_codes_and_missingness_differs_per_field() {
    let c = cohort(4000, 3);
    let mut with_codes = 0;
    let mut missing_shares = BTreeSet::new();
    for e in c
        .dictionary
        .entries
        .iter()
        .filter(|e| e.role == Role::Factor)
    {
        let values = f64_column(&c.data, &e.column);
        if matches!(
            e.value_type,
            ValueType::Categorical | ValueType::Ordinal | ValueType::Binary
        ) && values.iter().any(|v| *v == -1.0 || *v == -3.0)
        {
            with_codes += 1;
            assert!(
                e.coding.contains("-3=Prefer not to answer") || e.coding.contains("-1=Do not know"),
                "{} codes not documented",
                e.column
            );
        }
        let missing = values.iter().filter(|v| v.is_nan()).count() as f64 / values.len() as f64;
        missing_shares.insert((missing * 100.0).round() as i64);
    }
    assert!(
        with_codes > 100,
        "only {with_codes} coded fields use negative codes"
    );
    assert!(
        missing_shares.len() > 30,
        "missingness should vary per field: {missing_shares:?}"
    );
    assert!(
        missing_shares.iter().any(|m| *m > 90),
        "a few fields are more than 90% missing"
    );
}

#[test]
fn imaging_identities_and_ranges_hold() {
    let c = cohort(6000, 11);
    let col = |name: &str| f64_column(&c.data, name);
    let (edv, esv, sv, ef, co, hr) = (
        col("LVEDV"),
        col("LVESV"),
        col("LVSV"),
        col("LVEF"),
        col("LVCO"),
        col("heart_rate"),
    );
    let (sbp, dbp, sex) = (col("sbp"), col("dbp"), col("sex"));
    let (amax, amin, adist) = (
        col("AAo max area"),
        col("AAo min area"),
        col("AAo distensibility"),
    );
    let wt_global = col("WT_Global");
    let segments: Vec<Vec<f64>> = (1..=16).map(|s| col(&format!("WT_AHA_{s}"))).collect();
    let mut checked = 0;
    for i in 0..edv.len() {
        if edv[i].is_nan() {
            continue;
        }
        checked += 1;
        assert!((sv[i] - (edv[i] - esv[i])).abs() < 1e-9);
        assert!((ef[i] - 100.0 * sv[i] / edv[i]).abs() < 1e-9);
        if !hr[i].is_nan() {
            assert!((co[i] - sv[i] * hr[i] / 1000.0).abs() < 1e-9);
        }
        if !amax[i].is_nan() && !sbp[i].is_nan() {
            let expected = 1000.0 * (amax[i] - amin[i]) / (amin[i] * (sbp[i] - dbp[i]));
            assert!(
                (adist[i] - expected).abs() < 1e-9 * expected.abs().max(1.0),
                "distensibility identity at row {i}"
            );
        }
        if !wt_global[i].is_nan() {
            let mean = segments.iter().map(|s| s[i]).sum::<f64>() / 16.0;
            assert!(
                (wt_global[i] - mean).abs() < 0.1,
                "global wall thickness is the mean of its segments"
            );
        }
    }
    assert!(checked > 5000);
    // Sex-specific means near the published UK Biobank figures (domain.md).
    let mean_by_sex = |values: &[f64], male: bool| {
        let v: Vec<f64> = values
            .iter()
            .zip(&sex)
            .filter(|(v, s)| !v.is_nan() && (**s == 1.0) == male)
            .map(|(v, _)| *v)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    for (name, men, women, tol) in [
        ("LVEDV", 166.0, 124.0, 8.0),
        ("LVEF", 58.0, 61.0, 1.5),
        ("LVM", 100.0, 72.0, 6.0),
        ("RVEDV", 182.0, 130.0, 9.0),
        ("LAV max", 73.0, 67.0, 6.0),
        ("AAo max area", 1000.0, 850.0, 60.0),
    ] {
        let values = col(name);
        let (m, w) = (mean_by_sex(&values, true), mean_by_sex(&values, false));
        assert!(
            (m - men).abs() < tol,
            "{name} men mean {m:.1}, expected about {men}"
        );
        assert!(
            (w - women).abs() < tol,
            "{name} women mean {w:.1}, expected about {women}"
        );
    }
    let mean = |values: &[f64]| {
        let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!((mean(&col("age")) - 63.0).abs() < 1.0);
    assert!((mean(&wt_global) - 6.0).abs() < 0.6);
    assert!((mean(&col("Ecc_Global")) + 21.0).abs() < 1.5);
    assert!((mean(&col("Err_Global")) - 38.0).abs() < 3.0);
    assert!((mean(&col("Ell_Global")) + 19.0).abs() < 1.5);
}

#[test]
fn planted_direct_associations_are_detectable_at_20000_and_nulls_are_quiet() {
    let c = cohort(20_000, 2026);
    let table = cleaned(&c);
    let confounders: Vec<&[f64]> = c
        .truth
        .confounders
        .iter()
        .map(|n| table.column(n).unwrap())
        .collect();
    let factors = table.kept_with_role(Role::Factor).len();
    let bonferroni = 0.05 / (82.0 * factors as f64);
    let fit = |phenotype: &str, factor: &str| {
        let mut predictors = vec![table
            .column(factor)
            .unwrap_or_else(|| panic!("{factor} dropped by cleaning"))];
        predictors.extend(confounders.iter().copied());
        first_coefficient(table.column(phenotype).unwrap(), &predictors).unwrap()
    };
    let planted: Vec<_> = c
        .truth
        .direct_associations
        .iter()
        .filter(|a| a.kind == "planted")
        .collect();
    assert!(planted.len() >= 10);
    for a in planted {
        let f = fit(&a.phenotype, &a.factor);
        assert!(
            f.p < bonferroni,
            "planted {} ~ {} not detected: p = {:e}",
            a.phenotype,
            a.factor,
            f.p
        );
    }
    // Null factors: at p < 0.001, about 0.1% of null pairs are expected to be hits.
    let phenotypes = [
        "LVEDV",
        "LVEF",
        "LVM",
        "LAV max",
        "AAo distensibility",
        "WT_Global",
    ];
    let nulls: Vec<&String> = c
        .truth
        .null_factors
        .iter()
        .filter(|f| table.column(f).is_some())
        .collect();
    let mut hits = 0;
    let mut tested = 0;
    for p in phenotypes {
        for f in &nulls {
            tested += 1;
            if fit(p, f).p < 0.001 {
                hits += 1;
            }
        }
    }
    assert!(tested > 1000);
    assert!(
        (hits as f64) < 0.006 * tested as f64,
        "{hits} of {tested} null pairs significant at 0.001"
    );
}

/// FNV-1a, 64 bit: a stable, dependency-free fingerprint of a file's bytes (std's hasher may
/// change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The files of the default (baseline) structure are pinned to the bytes the generator wrote
/// before causal scenarios existed: studies, benchmarks and validation reports made with an
/// earlier build must be reproducible with a later one.
#[test]
fn baseline_output_is_pinned_to_the_pre_scenario_bytes() {
    let dir = tempfile::tempdir().unwrap();
    write_cohort(&mut cohort(1500, 7), dir.path(), OutputFormat::Csv).unwrap();
    let hashes: Vec<(String, u64)> = ["cohort.csv", "dictionary.csv", "truth.json"]
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.path().join(f)).unwrap();
            (f.to_string(), fnv1a(&bytes))
        })
        .collect();
    let expected = [
        ("cohort.csv", 0x7b3e_3b3d_adbf_ea63u64),
        ("dictionary.csv", 0x83c1_403a_c8ca_1716u64),
        ("truth.json", 0x9893_21a4_f868_f5fbu64),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(f, h)| (f.to_string(), *h)).collect();
    assert_eq!(
        hashes, expected,
        "baseline bytes changed (fnv1a of cohort.csv, dictionary.csv, truth.json)"
    );
}

/// The bytes of the three files of a cohort written as CSV.
fn written(cohort: &mut Cohort) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    write_cohort(cohort, dir.path(), OutputFormat::Csv).unwrap();
    ["cohort.csv", "dictionary.csv", "truth.json"]
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .collect()
}

#[test]
fn every_scenario_is_deterministic_and_baseline_is_the_default() {
    assert_eq!(SimulationConfig::default().scenario, Scenario::Baseline);
    let default = written(&mut cohort(800, 5));
    for scenario in Scenario::ALL {
        let a = written(&mut scenario_cohort(800, 5, scenario));
        let b = written(&mut scenario_cohort(800, 5, scenario));
        assert!(a == b, "{scenario}: same seed, different bytes");
        if scenario == Scenario::Baseline {
            assert!(
                a == default,
                "an explicit baseline differs from the default"
            );
            let truth = String::from_utf8(a[2].clone()).unwrap();
            assert!(
                !truth.contains("\"scenario\""),
                "baseline truth names no scenario"
            );
            assert!(!truth.contains("confounded_factors"));
        } else {
            assert!(a[0] != default[0], "{scenario} leaves the data unchanged");
            let truth: meshagents_stats::simulate::Truth = serde_json::from_slice(&a[2]).unwrap();
            assert_eq!(truth.generator.scenario, scenario.name());
        }
        assert_eq!(scenario.name().parse::<Scenario>().unwrap(), scenario);
    }
    let unknown = "collider".parse::<Scenario>().unwrap_err().to_string();
    assert!(
        unknown.contains("factor-confounder") && unknown.contains("mediator"),
        "{unknown}"
    );
    // Old truth files (no scenario) read as baseline.
    let truth: meshagents_stats::simulate::Truth = serde_json::from_slice(&default[2]).unwrap();
    assert_eq!(truth.generator.scenario, "baseline");
    assert!(truth.confounded_factors.is_empty());
}

/// `y ~ x + adjust`: the p-value of `x`.
fn p_of(y: &[f64], x: &[f64], adjust: &[&[f64]]) -> f64 {
    let mut predictors = vec![x];
    predictors.extend_from_slice(adjust);
    first_coefficient(y, &predictors).unwrap().p
}

/// A column the cleaning kept.
fn column_of<'a>(table: &'a AnalysisTable, name: &str) -> &'a [f64] {
    table
        .column(name)
        .unwrap_or_else(|| panic!("{name} dropped"))
}

/// The adjustment every association of these tests starts from.
fn usual_adjustment(table: &AnalysisTable) -> Vec<&[f64]> {
    ["age", "sex", "height", "weight"]
        .iter()
        .map(|n| column_of(table, n))
        .collect()
}

/// Each `(phenotype, field, p before)` is no longer associated once `adjusted` for `given`:
/// Bonferroni at 1 % over the pairs, so with no association left a false alarm is unlikely.
fn assert_no_longer_associated(
    table: &AnalysisTable,
    pairs: &[(&str, &str, f64)],
    adjusted: &[&[f64]],
    given: &str,
) {
    let threshold = 0.01 / pairs.len() as f64;
    for (phenotype, field, before) in pairs {
        let after = p_of(
            column_of(table, phenotype),
            column_of(table, field),
            adjusted,
        );
        assert!(
            after > threshold,
            "{phenotype} ~ {field}: p = {before:e}, still {after:e} given {given}"
        );
    }
}

/// The column of the field `field_id` a scenario plants, and its entry: a factor of
/// `category`.
fn planted_factor<'a>(
    c: &'a Cohort,
    field_id: u32,
    category: &str,
) -> (String, &'a DictionaryEntry) {
    let column = format!("{field_id}-2.0");
    let entry = c
        .dictionary
        .get(&column)
        .unwrap_or_else(|| panic!("the field {column}"));
    assert_eq!(entry.role, Role::Factor, "{column}");
    assert_eq!(entry.category, category, "{column}");
    (column, entry)
}

#[test]
fn factor_confounder_is_one_factor_field_that_confounds_a_third_of_lifestyle() {
    let c = scenario_cohort(20_000, 31, Scenario::FactorConfounder);
    let (ses, entry) = planted_factor(&c, SES_FIELD_ID, "Education and employment");
    assert_eq!(entry.value_type, ValueType::Continuous);
    let t = &c.truth;
    assert_eq!(t.confounders, vec!["age", "sex", "height", "weight", &ses]);
    assert_eq!(t.mediators, vec!["sbp", "heart_rate"]);
    let missing = f64_column(&c.data, &ses)
        .iter()
        .filter(|v| v.is_nan())
        .count() as f64
        / 20_000.0;
    assert!((0.005..0.03).contains(&missing), "ses missing {missing}");

    // It drives about a third of the lifestyle fields, among them planted exposures.
    let lifestyle: Vec<&str> = c
        .dictionary
        .entries
        .iter()
        .filter(|e| e.role == Role::Factor && LIFESTYLE.contains(&e.category.as_str()))
        .map(|e| e.column.as_str())
        .collect();
    let driven = &t.confounded_factors[&ses];
    let share = driven.len() as f64 / lifestyle.len() as f64;
    assert!(
        (0.28..0.4).contains(&share),
        "ses drives {share:.2} of lifestyle"
    );
    assert!(driven.iter().all(|f| lifestyle.contains(&f.as_str())));
    for exposure in ["22040-2.0", "1558-2.0"] {
        assert!(driven.contains(&exposure.to_string()), "{exposure}");
        assert!(t.direct_associations.iter().any(|a| a.factor == exposure));
    }
    let driven_only: Vec<&String> = driven
        .iter()
        .filter(|f| t.confounded_only.contains(f))
        .collect();
    assert!(
        driven_only.len() + 2 == driven.len(),
        "the rest are confounded-only"
    );

    let table = cleaned(&c);
    let col = |name: &str| column_of(&table, name);
    let base = usual_adjustment(&table);
    let mut with_ses = base.clone();
    with_ses.push(col(&ses));
    // Its phenotypes: strongly associated with the field after the usual adjustment, and
    // listed as its direct associations.
    for (phenotype, _) in SES_EFFECTS {
        let p = p_of(col(phenotype), col(&ses), &base);
        assert!(p < 1e-20, "{phenotype} ~ ses field: p = {p:e}");
        assert!(t
            .direct_associations
            .iter()
            .any(|a| a.factor == ses && a.phenotype == *phenotype && a.kind == "planted"));
    }
    // Confounding: driven items are associated with its phenotypes after age, sex, height and
    // weight, and no longer once the ses field is added.
    let mut pairs = Vec::new();
    for field in driven_only.iter().filter(|f| table.column(f).is_some()) {
        for (phenotype, _) in SES_EFFECTS {
            let before = p_of(col(phenotype), col(field), &base);
            if before < 1e-8 {
                pairs.push((*phenotype, field.as_str(), before));
            }
        }
    }
    assert!(pairs.len() >= 20, "only {} confounded pairs", pairs.len());
    assert_no_longer_associated(&table, &pairs, &with_ses, "ses");
    // It confounds a planted effect too: activity's slope on LVEDV moves by far more than 10 %.
    let slope = |adjust: &[&[f64]]| {
        let mut predictors = vec![col("22040-2.0")];
        predictors.extend_from_slice(adjust);
        first_coefficient(col("LVEDV"), &predictors).unwrap().beta
    };
    let (before, after) = (slope(&base), slope(&with_ses));
    assert!(
        (before - after).abs() > 0.25 * after.abs(),
        "activity -> LVEDV {before} vs {after} given ses"
    );
}

#[test]
fn mediator_is_a_later_factor_caused_by_lifestyle_and_causing_phenotypes() {
    let c = scenario_cohort(20_000, 37, Scenario::Mediator);
    let (crp, _) = planted_factor(&c, MEDIATOR_FIELD_ID, MEDIATOR_CATEGORY);
    assert!(!CATEGORIES.contains(&MEDIATOR_CATEGORY));
    let t = &c.truth;
    assert_eq!(t.confounders, vec!["age", "sex", "height", "weight"]);
    assert_eq!(t.mediators, vec!["sbp", "heart_rate", crp.as_str()]);
    assert!(t.confounded_factors.is_empty());
    let through: Vec<&str> = t
        .mediated_associations
        .iter()
        .filter(|m| m.mediator == crp)
        .map(|m| m.factor.as_str())
        .collect();
    let lifestyle = c
        .dictionary
        .entries
        .iter()
        .filter(|e| e.role == Role::Factor && LIFESTYLE.contains(&e.category.as_str()))
        .count();
    assert!(
        through.len() * 3 > lifestyle,
        "{} of {lifestyle} lifestyle fields cause the mediator",
        through.len()
    );
    for exposure in ["22040-2.0", "1558-2.0", "20116-2.0"] {
        assert!(through.contains(&exposure), "{exposure}");
    }

    let table = cleaned(&c);
    let col = |name: &str| column_of(&table, name);
    let base = usual_adjustment(&table);
    let log_crp: Vec<f64> = col(&crp).iter().map(|v| v.ln()).collect();
    for (phenotype, _) in MEDIATOR_EFFECTS {
        let p = p_of(col(phenotype), &log_crp, &base);
        assert!(p < 1e-20, "{phenotype} ~ log CRP: p = {p:e}");
    }
    // Associated with many lifestyle fields, and those reach its phenotypes through it.
    let kept: Vec<&str> = through
        .iter()
        .copied()
        .filter(|f| table.column(f).is_some())
        .collect();
    let associated = kept
        .iter()
        .filter(|f| p_of(&log_crp, col(f), &base) < 1e-6)
        .count();
    assert!(
        associated * 2 > kept.len() && associated >= 30,
        "{associated} of {} mediator causes associated with it",
        kept.len()
    );
    let mut with_crp = base.clone();
    with_crp.push(&log_crp);
    // Causes with no direct effect reach its phenotypes only through it.
    let mut pairs = Vec::new();
    for field in kept
        .iter()
        .filter(|f| !t.direct_associations.iter().any(|a| a.factor == **f))
    {
        for (phenotype, _) in MEDIATOR_EFFECTS {
            let before = p_of(col(phenotype), col(field), &base);
            if before < 1e-6 {
                pairs.push((*phenotype, *field, before));
            }
        }
    }
    assert!(pairs.len() >= 10, "only {} mediated pairs", pairs.len());
    assert_no_longer_associated(&table, &pairs, &with_crp, "log CRP");
}
