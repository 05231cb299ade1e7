//! The validation, export and report stages on a small simulated cohort with a panel that
//! chose phenotypes per disease: both arms are evaluated on the same folds, the paired DeLong
//! p is on both rows, every export and figure is written, and the report embeds the figures
//! and states the paper-style summary.

use meshagents_stats::classify::{read_classification, ClassifyConfig};
use meshagents_stats::cohort::{AnalysisTable, CleaningRules};
use meshagents_stats::data::dictionary::Role;
use meshagents_stats::data::io::write_table;
use meshagents_stats::data::transform::Transform;
use meshagents_stats::export::ExportFormat;
use meshagents_stats::phewas::rows_to_frame;
use meshagents_stats::phewas::{self, Method, ModelChoice, PhewasRequest};
use meshagents_stats::simulate::{simulate, write_cohort, OutputFormat, SimulationConfig};
use meshagents_workflows::validation::{
    classify_diseases, export_study, study_report, EXPERT_ARM, PANEL_ARM,
};

#[test]
fn panel_and_expert_arms_exports_figures_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let mut cohort = simulate(&SimulationConfig {
        n: 1200,
        seed: 3,
        factors: 60,
        ..Default::default()
    })
    .unwrap();
    write_cohort(&mut cohort, &out.join("cohort"), OutputFormat::Parquet).unwrap();
    let table = AnalysisTable::load(
        &out.join("cohort/cohort.parquet"),
        &out.join("cohort/dictionary.csv"),
        &CleaningRules::default(),
    )
    .unwrap();
    // A panel that picked the planted phenotypes of two diseases.
    let truth = &cohort.truth;
    let diseases: Vec<&String> = truth.disease_phenotypes.keys().take(2).collect();
    let mut chosen = serde_json::Map::new();
    for d in &diseases {
        chosen.insert(
            d.to_string(),
            serde_json::json!(truth.disease_phenotypes[*d]),
        );
    }
    let decisions = serde_json::json!({
        "confounders": ["age", "sex"],
        "phenotypes": [],
        "disease_phenotypes": chosen,
        "agreement": 0.9,
    });
    let config = ClassifyConfig {
        classifiers: vec![
            meshagents_stats::classify::Classifier::Logistic,
            meshagents_stats::classify::Classifier::Lda,
        ],
        threads: 2,
        ..ClassifyConfig::default()
    };
    let result = classify_diseases(&table, None, &decisions, &config, out).unwrap();
    assert_eq!(
        result.evaluated.len() + result.skipped.len(),
        table.kept_with_role(Role::Disease).len()
    );
    // The expert set of domain.md names real columns of the cohort: none is left out.
    assert!(
        result.missing_features.is_empty(),
        "{:?}",
        result.missing_features
    );
    let rows = read_classification(&out.join("classification.csv")).unwrap();
    for d in &diseases {
        if !result.evaluated.contains(d) {
            continue;
        }
        for c in ["logistic", "lda"] {
            let panel = rows
                .iter()
                .find(|r| &&r.disease == d && r.arm == PANEL_ARM && r.classifier == c)
                .unwrap();
            let expert = rows
                .iter()
                .find(|r| &&r.disease == d && r.arm == EXPERT_ARM && r.classifier == c)
                .unwrap();
            assert!(panel.delong_p.is_finite() && panel.delong_p == expert.delong_p);
            assert_eq!((panel.n, panel.n_cases), (expert.n, expert.n_cases));
        }
    }
    // Diseases the panel chose nothing for have the expert arm only, with no paired test.
    let other = rows
        .iter()
        .find(|r| !diseases.contains(&&r.disease))
        .unwrap();
    assert_eq!(other.arm, EXPERT_ARM);
    assert!(other.delong_p.is_nan());

    // A small association table, then every export and figure.
    let request = PhewasRequest {
        phenotypes: table
            .kept_with_role(Role::Imaging)
            .into_iter()
            .take(6)
            .collect(),
        factors: table.kept_with_role(Role::Factor),
        covariates: vec!["age".into(), "sex".into()],
        model: ModelChoice::Auto,
        transform: Transform::Auto,
        method: Method::Exact,
        threads: 2,
    };
    let associations = phewas::run(&table, &request, &|_| {}).unwrap().rows;
    write_table(
        &mut rows_to_frame(&associations).unwrap(),
        &out.join("associations.csv"),
    )
    .unwrap();
    let written = export_study(
        out,
        out,
        &ExportFormat::ALL,
        true,
        Some(&table.dictionary),
        3,
    )
    .unwrap();
    assert!(
        !written
            .iter()
            .any(|w| w.to_str() == Some("associations.csv")),
        "the study's own CSV is not rewritten"
    );
    for f in [
        "associations.tsv",
        "associations.parquet",
        "associations.md",
        "associations.tex",
        "classification.parquet",
        "classification.tex",
        "plots/manhattan.png",
        "plots/volcano.svg",
        "plots/qq.png",
        "plots/forest.png",
        "plots/roc.png",
    ] {
        assert!(
            written.iter().any(|w| w.to_str() == Some(f)),
            "{f} not written: {written:?}"
        );
        assert!(out.join(f).metadata().unwrap().len() > 0, "{f} empty");
    }

    let flow = vec![("participants".to_string(), "1200".to_string())];
    let dropped = vec![("x".to_string(), "91.0% missing (more than 90%)".to_string())];
    let report = || {
        study_report(
            out,
            "Test study",
            "n = 1200",
            &flow,
            &dropped,
            &decisions,
            Some(&table.dictionary),
            &[],
        )
        .unwrap()
    };
    let files = report();
    assert_eq!(files.len(), 2);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        5,
        "five figures embedded"
    );
    assert!(
        !html.contains("src=\"plots/"),
        "self-contained: no linked figure"
    );
    assert!(
        html.contains("AUC difference panel - expert"),
        "the paper's summary"
    );
    assert!(html.contains("recall higher with panel for"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("![Manhattan plot](plots/manhattan.png)"),
        "{md}"
    );
    // Factors are named by what they are, with their id.
    let top = associations
        .iter()
        .filter(|r| r.status == "ok" && r.bonferroni < 0.05)
        .min_by(|a, b| a.p.total_cmp(&b.p))
        .expect("a Bonferroni hit");
    let description = &table.dictionary.get(&top.factor).unwrap().description;
    assert!(
        html.contains(&format!(
            "{description} <span class=\"id\">({})</span>",
            top.factor
        )),
        "the top hit's factor {} is shown as {description}",
        top.factor
    );
    assert!(
        md.contains(&format!("{description} ({})", top.factor)),
        "{md}"
    );
    // Same inputs, same bytes.
    report();
    assert_eq!(
        html,
        std::fs::read_to_string(out.join("report.html")).unwrap()
    );
}
