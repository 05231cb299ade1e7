//! Exports round-trip (CSV, TSV and Parquet read back equal to what was written, the
//! description a last column after the 18 of the contract), Markdown and LaTeX carry the top
//! hits per model family with escaped text, rounded numbers and descriptions, the
//! classification is wide, and every plot writes a valid, non-empty SVG and PNG. Lambda is
//! checked against its definition on p-values with a known answer.

use std::collections::BTreeMap;

use meshagents_stats::classify::{read_classification, ClassificationRow, PredictionRow};
use meshagents_stats::export::{
    associations_latex, associations_markdown, classification_wide, export_associations,
    export_classification, markdown_escape, p_text, top_hits, CellStyle, ExportFormat,
    ExportOptions, LatexOptions,
};
use meshagents_stats::figures;
use meshagents_stats::phewas::{read_associations, AssociationRow};

fn association(phenotype: &str, factor: &str, category: &str, p: f64, beta: f64) -> AssociationRow {
    AssociationRow {
        phenotype: phenotype.into(),
        factor: factor.into(),
        category: category.into(),
        model: "linear".into(),
        n: 1000,
        n_cases: None,
        n_controls: None,
        beta,
        se: 0.1,
        ci_low: beta - 0.196,
        ci_high: beta + 0.196,
        stat: beta / 0.1,
        p,
        neg_log10_p: -p.log10(),
        q_bh: (p * 40.0).min(1.0),
        bonferroni: (p * 40.0).min(1.0),
        status: "ok".into(),
        note: String::new(),
    }
}

fn table() -> Vec<AssociationRow> {
    let mut rows = Vec::new();
    let categories = ["Diet", "Alcohol & smoking", "Physical_activity"];
    for (k, ph) in ["LVEDV", "AAo distensibility"].iter().enumerate() {
        for f in 0..20 {
            let p = 10f64.powf(-(((f * 7 + k * 3) % 23) as f64) * 0.5) * 0.9;
            rows.push(association(
                ph,
                &format!("field_{f}"),
                categories[f % 3],
                p,
                0.05 * (f as f64 - 9.5),
            ));
        }
    }
    let mut skipped = association("LVEDV", "empty_field", "Diet", f64::NAN, f64::NAN);
    skipped.status = "skipped".into();
    skipped.note = "no variation, 100% missing".into();
    skipped.n_cases = Some(3);
    rows.push(skipped);
    rows
}

/// Equal, with NaN equal to NaN (an empty cell reads back as NaN).
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

/// Descriptions of some of [`table`]'s factors, with characters LaTeX and CSV treat apart.
fn labels() -> BTreeMap<String, String> {
    (0..20)
        .filter(|f| f % 4 != 3)
        .map(|f| {
            (
                format!("field_{f}"),
                format!("Description of field {f}: 5% of time_spent & \"more\", at length"),
            )
        })
        .collect()
}

fn options(top_n: usize) -> ExportOptions {
    ExportOptions {
        top_n,
        factor_labels: labels(),
        latex: LatexOptions::default(),
    }
}

#[test]
fn association_table_round_trips_through_csv_tsv_and_parquet() {
    let rows = table();
    let dir = tempfile::tempdir().unwrap();
    let written = export_associations(
        &rows,
        dir.path(),
        "associations",
        &ExportFormat::ALL,
        &options(3),
    )
    .unwrap();
    assert_eq!(written.len(), 5);
    for ext in ["tsv", "parquet"] {
        // The 19th column (the descriptions) is not the study's table: its reader reads the
        // exported file as the 18 columns.
        let path = dir.path().join(format!("associations.{ext}"));
        let back = read_associations(&path).unwrap();
        assert_eq!(format!("{back:?}"), format!("{rows:?}"), "{ext}");
    }
    // What the study's own writer writes reads back whole.
    for ext in ["csv", "tsv", "parquet"] {
        let path = dir.path().join(format!("own.{ext}"));
        meshagents_stats::phewas::write_associations(&rows, &path).unwrap();
        let back = read_associations(&path).unwrap();
        assert_eq!(back.len(), rows.len(), "{ext}");
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(
                (&a.phenotype, &a.factor, &a.category, &a.status, &a.note),
                (&b.phenotype, &b.factor, &b.category, &b.status, &b.note),
                "{ext}"
            );
            assert_eq!(
                (a.n, a.n_cases, a.n_controls),
                (b.n, b.n_cases, b.n_controls),
                "{ext}"
            );
            for (x, y) in [
                (a.beta, b.beta),
                (a.se, b.se),
                (a.ci_low, b.ci_low),
                (a.p, b.p),
                (a.q_bh, b.q_bh),
                (a.neg_log10_p, b.neg_log10_p),
            ] {
                assert!(same(x, y), "{ext}: {x} vs {y}");
            }
        }
    }
    // Each line of the exported CSV is the study's own line, byte for byte, then the
    // description (quoted where it holds the separator or a quote, empty where none is known).
    let plain = dir.path().join("plain.csv");
    meshagents_stats::phewas::write_associations(&rows, &plain).unwrap();
    let plain = std::fs::read_to_string(plain).unwrap();
    let exported = std::fs::read_to_string(dir.path().join("associations.csv")).unwrap();
    let labels = labels();
    let mut lines = exported.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{},description", plain.lines().next().unwrap())
    );
    for ((line, own), row) in lines.zip(plain.lines().skip(1)).zip(&rows) {
        let description = labels
            .get(&row.factor)
            .map(|d| format!("\"{}\"", d.replace('"', "\"\"")))
            .unwrap_or_else(|| "\"\"".into());
        assert_eq!(line, format!("{own},{description}"));
    }
}

#[test]
fn classification_table_round_trips() {
    let rows: Vec<ClassificationRow> = ["panel", "expert"]
        .iter()
        .enumerate()
        .map(|(k, arm)| ClassificationRow {
            disease: "hypertension".into(),
            arm: arm.to_string(),
            classifier: "logistic".into(),
            n: 3000,
            n_cases: 812,
            auc: 0.7123456789012345 + k as f64 * 0.01,
            auc_ci_low: 0.69,
            auc_ci_high: 0.73,
            delong_p: if k == 0 { 0.0123 } else { f64::NAN },
            recall: 0.66,
            precision: 0.41,
            f1: 0.5,
            balanced_accuracy: 0.65,
            split: if k == 0 { "holdout" } else { "all" }.into(),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    export_classification(
        &rows,
        dir.path(),
        "classification",
        &ExportFormat::ALL,
        LatexOptions::default(),
    )
    .unwrap();
    for ext in ["csv", "tsv", "parquet"] {
        let back = read_classification(&dir.path().join(format!("classification.{ext}"))).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(
                (&a.disease, &a.arm, &a.classifier, a.n, a.n_cases, &a.split),
                (&b.disease, &b.arm, &b.classifier, b.n, b.n_cases, &b.split)
            );
            assert!(
                same(a.auc, b.auc) && same(a.delong_p, b.delong_p),
                "{ext}: {a:?} {b:?}"
            );
        }
    }
    // Wide: one row per disease with both arms side by side, as a longtable.
    let tex = std::fs::read_to_string(dir.path().join("classification.tex")).unwrap();
    assert!(
        tex.starts_with("% ") && tex.contains("\\usepackage{booktabs,longtable,array}"),
        "{tex}"
    );
    assert!(
        tex.contains("\\begin{longtable}") && tex.contains("\\endhead"),
        "{tex}"
    );
    let data: Vec<&str> = tex
        .lines()
        .filter(|l| l.starts_with("hypertension"))
        .collect();
    assert_eq!(data.len(), 1, "{tex}");
    assert_eq!(
        data[0],
        "hypertension & 812/3000 & 0.712\\newline (0.690, 0.730) & 0.722\\newline (0.690, 0.730) & 0.012 \\\\"
    );
    // The split, which the narrow tables leave out as a column, is said under them.
    assert!(
        tex.contains("{\\footnotesize Rows scored on the held-out participants: 1 of 2"),
        "{tex}"
    );
    let md = std::fs::read_to_string(dir.path().join("classification.md")).unwrap();
    assert!(
        md.starts_with("| Disease | Classifier | Cases / n | AUC panel (95% CI) | AUC expert (95% CI) | DeLong p |"),
        "{md}"
    );
    assert!(md.contains("| hypertension | logistic | 812 / 3000 | 0.712 (0.690, 0.730) | 0.722 (0.690, 0.730) | 0.012 |"), "{md}");
    assert!(
        md.trim_end().ends_with("the others on all participants."),
        "{md}"
    );
    // The wide cells are one function, for any format.
    let style = CellStyle {
        text: markdown_escape,
        p: p_text,
    };
    let (header, cells) = classification_wide(&rows, &style);
    assert_eq!(header.len(), 6);
    assert_eq!(cells.len(), 1);
}

/// [`table`] with the first factors of each phenotype fitted by logistic regression (a
/// binary factor): `factor ~ phenotype`, with cases.
fn mixed_table() -> Vec<AssociationRow> {
    let mut rows = table();
    for r in rows
        .iter_mut()
        .filter(|r| r.factor == "field_9" || r.factor == "field_16")
    {
        r.model = "logistic".into();
        r.n_cases = Some(120);
        r.n_controls = Some(880);
    }
    rows
}

#[test]
fn markdown_and_latex_hold_the_top_hits_per_model_family_escaped() {
    let rows = mixed_table();
    let hits = top_hits(&rows, 3);
    assert_eq!(hits.len(), 6);
    // Per phenotype, ascending p, and only tested rows.
    assert!(hits[..3].iter().all(|r| r.phenotype == "LVEDV"));
    assert!(hits[0].p <= hits[1].p && hits[1].p <= hits[2].p);
    let logistic = hits.iter().filter(|r| r.model == "logistic").count();
    assert!(logistic > 0 && logistic < 6, "both families among the hits");

    let md = associations_markdown(&rows, 3, &labels());
    // A table per family, each headed by what its effect is; the same six hits in all.
    assert!(
        md.starts_with("**Linear models (phenotype ~ factor)**: standardised β"),
        "{md}"
    );
    assert!(
        md.contains("**Logistic models (factor ~ phenotype)**: odds ratio (OR)"),
        "{md}"
    );
    assert!(
        md.contains("| β (95% CI) |") && md.contains("| OR (95% CI) |"),
        "{md}"
    );
    let data: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Model fitted"))
        .collect();
    assert_eq!(data.len(), 6, "{md}");
    for r in &hits {
        let line = data
            .iter()
            .find(|l| l.contains(&format!("| {} |", r.factor)) && l.contains(&r.phenotype))
            .unwrap_or_else(|| panic!("{} {} in {md}", r.phenotype, r.factor));
        // The model as fitted, with the description where known; numbers to 3 digits.
        let named = labels().get(&r.factor).cloned().unwrap_or(r.factor.clone());
        assert!(
            line.starts_with(&format!("| {} |", r.formula_with(&r.phenotype, &named))),
            "{line}"
        );
        let shown = match r.odds_ratio() {
            Some(or) => format!(
                "{} ({}, {})",
                meshagents_stats::export::sig3(or.estimate),
                meshagents_stats::export::sig3(or.low),
                meshagents_stats::export::sig3(or.high)
            ),
            None => format!(
                "{} ({}, {})",
                meshagents_stats::export::sig3(r.beta),
                meshagents_stats::export::sig3(r.ci_low),
                meshagents_stats::export::sig3(r.ci_high)
            ),
        };
        assert!(
            line.contains(&format!("| {shown} | {} |", p_text(r.p))),
            "{line}"
        );
        if r.model == "logistic" {
            assert!(line.contains(&format!("| {} (120) |", r.n)), "{line}");
        }
    }

    let tex = associations_latex(&rows, 3, &labels(), LatexOptions::default());
    assert_eq!(
        tex.matches("\\begin{longtable}").count(),
        2,
        "a longtable per family"
    );
    assert!(
        tex.contains("\\endfirsthead") && tex.contains("\\endhead") && tex.contains("\\bottomrule")
    );
    assert!(tex.contains("OR (95\\% CI)") && tex.contains("$\\beta$ (95\\% CI)"));
    assert!(tex.contains("field\\_"), "underscores escaped");
    assert!(!tex.contains("field_"), "no raw underscore");
    let wide = LatexOptions {
        landscape: true,
        ..LatexOptions::default()
    };
    let landscape = associations_latex(&rows, 3, &labels(), wide);
    assert!(
        landscape.contains("5\\% of time\\_spent \\&") && landscape.contains("\\begin{landscape}"),
        "descriptions escaped: {landscape}"
    );
    assert!(!tex.contains("empty"), "skipped rows are not hits");
    // Every data row has 6 cells (5 unescaped ampersands).
    for line in tex
        .lines()
        .filter(|l| l.ends_with("\\\\") && l.contains(" $\\sim$ ") && !l.starts_with("\\caption"))
    {
        let cells = line.replace("\\&", "").matches('&').count();
        assert_eq!(cells, 5, "{line}");
    }
}

fn assert_valid_plot(files: &figures::PlotFiles) {
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "{}",
        files.svg.display()
    );
    assert!(svg.contains("<text"), "the SVG has text");
    let png = std::fs::read(&files.png).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{}", files.png.display());
    assert!(
        png.len() > 5_000,
        "{} is suspiciously small",
        files.png.display()
    );
}

#[test]
fn every_plot_writes_valid_svg_and_png() {
    let rows = table();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let mut labels = BTreeMap::new();
    labels.insert("field_0".to_string(), "Pork intake & more_text".to_string());
    let options = figures::ManhattanOptions {
        factor_labels: labels.clone(),
        ..Default::default()
    };
    assert_valid_plot(&figures::manhattan(&rows, &out.join("manhattan"), &options).unwrap());
    assert_valid_plot(
        &figures::volcano(&rows, &out.join("volcano"), "Volcano", 5, &labels).unwrap(),
    );
    let (files, lambda) = figures::qq(&rows, &out.join("qq"), "QQ").unwrap();
    assert_valid_plot(&files);
    assert!(lambda.is_finite() && lambda > 0.0);
    assert_valid_plot(&figures::forest(&rows, &out.join("forest"), 10, &labels).unwrap());
    let mut predictions = Vec::new();
    for (d, disease) in ["hypertension", "diabetes"].iter().enumerate() {
        for arm in ["panel", "expert"] {
            for i in 0..60 {
                predictions.push(PredictionRow {
                    disease: disease.to_string(),
                    arm: arm.into(),
                    classifier: "logistic".into(),
                    fold: i % 5,
                    id: i.to_string(),
                    label: i % 3 == 0,
                    score: ((i * 37 + d * 11) % 60) as f64 / 60.0
                        + if i % 3 == 0 { 0.3 } else { 0.0 },
                });
            }
        }
    }
    assert_valid_plot(&figures::roc(&predictions, "logistic", &out.join("roc")).unwrap());
    // The same input gives byte-identical files.
    let again = figures::qq(&rows, &out.join("qq2"), "QQ").unwrap().0;
    assert_eq!(
        std::fs::read(&files.svg).unwrap(),
        std::fs::read(&again.svg).unwrap()
    );
    assert_eq!(
        std::fs::read(&files.png).unwrap(),
        std::fs::read(&again.png).unwrap()
    );
}

#[test]
fn genomic_inflation_by_definition() {
    // Uniform p-values on a fine grid: lambda is 1 up to the grid's resolution.
    let p: Vec<f64> = (0..10_001).map(|i| (i as f64 + 0.5) / 10_001.0).collect();
    let lambda = figures::genomic_inflation(&p).unwrap();
    assert!((lambda - 1.0).abs() < 1e-3, "{lambda}");
    // The median p is 0.5 -> chi2 = qnorm(0.25)^2 = 0.45494; a set whose median p is
    // 0.0455 (chi2 = 4.0, z = 2) gives lambda = 4 / 0.454936423 = 8.7925.
    let z2 = [0.0455002638963584, 0.01, 0.9];
    let lambda = figures::genomic_inflation(&z2).unwrap();
    assert!(
        (lambda - 4.0 / 0.454_936_423_119_572_7).abs() < 1e-6,
        "{lambda}"
    );
}

#[test]
fn roc_curve_steps_through_tied_scores() {
    let curve = figures::roc_curve(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]);
    assert_eq!(curve, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
}
