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
        dropped_covariates: Vec::new(),
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
    let named = |column: &str| match table.dictionary.get(column) {
        Some(e) if !e.description.is_empty() => format!("{} ({column})", e.description),
        _ => column.to_string(),
    };
    let formula = top.formula_with(&named(&top.phenotype), &named(&top.factor));
    assert!(
        formula.contains(&table.dictionary.get(&top.factor).unwrap().description),
        "{formula}"
    );
    assert!(
        html.contains(&format!("<tr><td>{}</td>", escape(&formula))),
        "the top hit reads as the model fitted, with descriptions: {formula}"
    );
    assert!(md.contains(&format!("| {formula} |")), "{md}");
    let formulas: Vec<(String, &meshagents_stats::phewas::AssociationRow)> = associations
        .iter()
        .map(|r| {
            (
                escape(&r.formula_with(&named(&r.phenotype), &named(&r.factor))),
                r,
            )
        })
        .collect();
    numbers_read_as_a_paper_prints_them(&html, &md, &formulas);
    // A Methods paragraph whose numbers are the run's own.
    let tested = associations.iter().filter(|r| r.status == "ok").count();
    let hits = associations
        .iter()
        .filter(|r| r.status == "ok" && r.bonferroni < 0.05)
        .count();
    let sentence = format!(
        "Of {} pairs, {tested} could be tested; p-values were corrected over those {tested} by Bonferroni and by Benjamini-Hochberg, and {hits} pairs were significant after Bonferroni (p &lt; 0.05/{tested}).",
        associations.len()
    );
    let prose = html
        .replace("<span class=\"n\">", "")
        .replace("</span>", "");
    assert!(
        html.contains("<h2>Methods</h2>") && prose.contains(&sentence),
        "{sentence}"
    );
    assert!(
        html.contains("(p &lt; <span class=\"n\">0.05/"),
        "numbers in the Methods are kept whole"
    );
    assert!(
        md.contains("## Methods") && md.contains(&sentence.replace("&lt;", "<")),
        "{md}"
    );
    // Same inputs, same bytes.
    report();
    assert_eq!(
        html,
        std::fs::read_to_string(out.join("report.html")).unwrap()
    );
}

/// As the report escapes text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `a digit, e, -, a digit` (`5.55e-1`): the exponent form a co-author should never see. The
/// embedded figures are base64, which has no `-`.
fn has_e_exponent(text: &str) -> bool {
    text.as_bytes()
        .windows(4)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'e' && w[2] == b'-' && w[3].is_ascii_digit())
}

/// The report prints p and q as 0.0123 / 1.2×10⁻⁸, keeps numbers on one line, writes each
/// row as the model fitted with its model's name, one table per model family, lists only pairs
/// significant after Bonferroni in its top-hits tables, and never prints a DeLong p as 0.000.
/// `formulas`: each association's model as the report writes it (escaped), with its row.
fn numbers_read_as_a_paper_prints_them(
    html: &str,
    md: &str,
    formulas: &[(String, &meshagents_stats::phewas::AssociationRow)],
) {
    assert!(!has_e_exponent(html), "{html}");
    assert!(!has_e_exponent(md), "{md}");
    assert!(
        formulas.iter().any(|(_, r)| r.status == "ok" && r.p < 1e-3),
        "the cohort has a tiny p"
    );
    assert!(html.contains("<td class=\"n\">") && html.contains("×10⁻"));
    assert!(md.contains("×10⁻"), "{md}");
    assert!(
        html.contains("td.n{") && html.contains("white-space:nowrap"),
        "numeric cells do not wrap"
    );
    assert!(!html.contains("max-width:1100px"));
    assert!(html.contains("<div class=\"table\"><table>"));
    // Every row of the top-hits tables: significant after Bonferroni, with its model, in the
    // table of its family.
    let mut shown = 0;
    for (heading, part) in html
        .split("<h3>")
        .skip(1)
        .map(|t| t.split_once("</h3>").unwrap())
    {
        let table = part.split_once("</table>").unwrap().0;
        assert!(table.contains("<th>Model</th>"), "{table}");
        for line in table.lines().filter(|l| l.starts_with("<tr><td>")) {
            let cells: Vec<&str> = line["<tr><td>".len()..]
                .split("</td><td")
                .map(|c| {
                    c.trim_start_matches(" class=\"n\">")
                        .trim_start_matches('>')
                })
                .collect();
            let (_, row) = formulas
                .iter()
                .find(|(f, _)| f == cells[0])
                .unwrap_or_else(|| panic!("no association reads {}", cells[0]));
            assert!(row.bonferroni < 0.05, "not significant: {line}");
            assert_eq!(cells[2], row.model, "{line}");
            assert_eq!(
                heading.starts_with("Logistic"),
                row.scale() == meshagents_stats::phewas::Scale::LogOdds,
                "{heading}: {line}"
            );
            shown += 1;
        }
    }
    assert!(shown > 0, "{html}");
    assert!(md.contains("| Model |"), "{md}");
    // The DeLong p column (the sixth) of the classification table.
    let classification = html
        .split_once("<th>DeLong p</th>")
        .expect("a classification table")
        .1
        .split_once("</table>")
        .unwrap()
        .0;
    let mut delong = 0;
    for line in classification.lines().filter(|l| l.starts_with("<tr><td>")) {
        let p = line.split("<td").nth(6).unwrap();
        assert!(!p.contains(">0.000<"), "{line}");
        delong += usize::from(!p.contains('–'));
    }
    assert!(delong > 0, "{classification}");
}
