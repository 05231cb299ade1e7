//! The report's rendering: escaping, the association tables per model family, "none", and
//! numbers kept whole.

use super::*;

#[test]
fn drop_reasons_group_by_kind() {
    assert_eq!(
        reason_kind("96.8% of values identical (at least 95%)"),
        "values identical (at least 95%)"
    );
    assert_eq!(
        reason_kind("91.3% missing (more than 90%)"),
        "missing (more than 90%)"
    );
    assert_eq!(
        reason_kind("near-duplicate of '23101-2.0' (r = 1.000000)"),
        "near-duplicate"
    );
    let groups = dropped_by_reason(&[
        ("a".into(), "91.3% missing (more than 90%)".into()),
        ("b".into(), "95.0% missing (more than 90%)".into()),
        ("c".into(), "near-duplicate of 'x' (r = 1.000000)".into()),
    ]);
    assert_eq!(
        groups[0],
        (
            "missing (more than 90%)".to_string(),
            2,
            vec!["a".to_string(), "b".to_string()]
        )
    );
    assert_eq!(groups[1].1, 1);
}

#[test]
fn html_is_escaped() {
    assert_eq!(html_escape("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
}

#[test]
fn the_template_escapes_every_value_it_is_given() {
    let decisions = json!({
        "backend": "<script>",
        "confounders": ["a&b"],
        "disease_phenotypes": {"<d>": ["x'y"]},
    });
    let input = ReportInput {
        title: "Study <1> & 'two'",
        config_text: "name = \"<x>\"\n\n",
        flow_counts: &[("rows <read>".into(), "3".into())],
        dropped: &[],
        decisions: &decisions,
        associations: &[],
        classification: &[],
        arms: ("panel", "expert"),
        figures: &[],
        labels: &Default::default(),
        top_n: 3,
        protocol: Some("held out <30%>".into()),
        skipped: &[],
    };
    let html = render_html(&input).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
    assert!(html.ends_with("</body>\n</html>\n"));
    assert!(html.contains("<title>Study &lt;1&gt; &amp; &#39;two&#39;</title>"));
    assert!(
        html.contains("<p>held out <span class=\"n\">&lt;30%&gt;</span></p>\n<ul>\n</ul></div>\n")
    );
    assert!(html.contains("<tr><td><code>name</code></td><td>&lt;x&gt;</td></tr>\n"));
    assert!(html.contains("<p>Backend: <code>&lt;script&gt;</code></p>"));
    assert!(html.contains("<strong>Confounders</strong> (1): a&amp;b</p>"));
    assert!(html.contains("<tr><td>&lt;d&gt;</td><td>x&#39;y</td></tr>"));
    assert!(!html.contains("<script>") && !html.contains("{{") && !html.contains("{%"));
    // The CSS is ours and goes in unescaped.
    assert!(html.contains("font-family:-apple-system,'Segoe UI'"));
}

/// A report of associations and decisions alone.
fn tables_only<'a>(
    associations: &'a [AssociationRow],
    decisions: &'a Value,
    labels: &'a std::collections::BTreeMap<String, String>,
) -> ReportInput<'a> {
    ReportInput {
        title: "t",
        config_text: "",
        flow_counts: &[],
        dropped: &[],
        decisions,
        associations,
        classification: &[],
        arms: ("panel", "expert"),
        figures: &[],
        labels,
        top_n: 3,
        protocol: None,
        skipped: &[],
    }
}

fn row(phenotype: &str, factor: &str, model: &str, p: f64, bonferroni: f64) -> AssociationRow {
    AssociationRow {
        phenotype: phenotype.into(),
        factor: factor.into(),
        category: "Diet".into(),
        model: model.into(),
        n: 100,
        n_cases: None,
        n_controls: None,
        beta: 0.5,
        se: 0.1,
        ci_low: 0.3,
        ci_high: 0.7,
        stat: 5.0,
        p,
        neg_log10_p: -p.log10(),
        q_bh: p * 2.0,
        bonferroni,
        status: "ok".into(),
        note: String::new(),
    }
}

#[test]
fn the_top_hits_table_lists_only_significant_pairs_with_their_model() {
    // LVM's top 3 by p hold one Bonferroni hit and two pairs that are not (q = 0.555 was
    // in the table once); LVEF has no hit at all.
    let associations = [
        row("LVM", "hit", "linear", 1.23e-8, 1e-6),
        row("LVM", "weakfactor", "logistic", 0.2775, 1.0),
        row("LVM", "weakerfactor", "linear", 0.4, 1.0),
        row("LVEF", "nohitfactor", "linear", 0.01, 0.6),
        row("LVEF", "underflow", "logistic", 0.0, 0.0),
    ];
    let decisions = json!({});
    let labels = Default::default();
    let input = tables_only(&associations, &decisions, &labels);
    let html = render_html(&input).unwrap();
    assert!(html.contains(
        "<tr><td>LVM ~ hit</td><td>Diet</td><td>linear</td><td class=\"n\">100</td><td class=\"n\">0.500 (0.300, 0.700)</td><td class=\"n\">1.2×10⁻⁸</td><td class=\"n\">2.5×10⁻⁸</td></tr>"
    ), "{html}");
    // A logistic row reads as fitted (factor ~ phenotype) with its odds ratio, in a table
    // of its own after the linear one.
    assert!(html.contains("<tr><td>underflow ~ LVEF</td><td>Diet</td><td>logistic</td><td class=\"n\">100</td><td class=\"n\">1.649 (1.350, 2.014)</td><td class=\"n\">&lt;1×10⁻³⁰⁸</td>"), "{html}");
    let linear = html
        .find("<h3>Linear models (phenotype ~ factor)</h3>")
        .unwrap();
    let logistic = html
        .find("<h3>Logistic models (factor ~ phenotype)</h3>")
        .unwrap();
    assert!(linear < html.find("LVM ~ hit").unwrap());
    assert!(logistic > html.find("LVM ~ hit").unwrap());
    assert!(logistic < html.find("underflow ~ LVEF").unwrap());
    assert!(html[logistic..].contains("<th class=\"n\">OR per SD (95% CI)</th>"));
    assert!(html[linear..logistic].contains("<th class=\"n\">standardised β (95% CI)</th>"));
    assert!(html.contains("among the pairs significant after Bonferroni"));
    for absent in ["weakfactor", "weakerfactor", "nohitfactor", "0.555"] {
        assert!(!html.contains(absent), "{absent} in {html}");
    }
    let md = render_markdown(&input, Path::new(""));
    assert!(
        md.contains(
            "| LVM ~ hit | Diet | linear | 100 | 0.500 (0.300, 0.700) | 1.2×10⁻⁸ | 2.5×10⁻⁸ |"
        ),
        "{md}"
    );
    assert!(md.contains("### Logistic models (factor ~ phenotype)\n\n| Association (model as fitted) | Category | Model | n (cases) | OR per SD (95% CI) | p | q (BH) |"), "{md}");
    assert!(md.contains("| underflow ~ LVEF | Diet | logistic | 100 | 1.649 (1.350, 2.014) | <1×10⁻³⁰⁸ | <1×10⁻³⁰⁸ |"), "{md}");
    for absent in ["weakfactor", "weakerfactor", "nohitfactor", "0.555"] {
        assert!(!md.contains(absent), "{absent} in {md}");
    }
    // No significant pair: a sentence, not an empty table.
    let input = ReportInput {
        associations: &associations[1..4],
        ..input
    };
    let html = render_html(&input).unwrap();
    assert!(
        html.contains("0 significant after Bonferroni (5 %).</p>\n")
            && !html.contains("<th>Model</th>")
    );
    assert!(render_markdown(&input, Path::new(""))
        .contains("No pair is significant after Bonferroni (5 %)."));
}

#[test]
fn an_empty_adjustment_set_reads_none_and_columns_carry_their_descriptions() {
    let associations = [row("LVM", "f1", "logistic", 1e-9, 1e-7)];
    let decisions = json!({
        "backend": "embedded",
        "confounders": [],
        "agreement": {"confounders": [{"round": 1, "answered": ["a", "b"], "kappa": 0.5}]},
        "disease_phenotypes": {"d1": []},
    });
    let labels: std::collections::BTreeMap<String, String> = [
        (
            "f1".to_string(),
            "Atrial fibrillation, self-reported".to_string(),
        ),
        ("LVM".to_string(), "LV mass".to_string()),
    ]
    .into();
    let input = ReportInput {
        config_text: "{\"study\": \"s\", \"config\": {\"covariates\": [], \"n\": 10}}",
        ..tables_only(&associations, &decisions, &labels)
    };
    let html = render_html(&input).unwrap();
    assert!(
        html.contains("<strong>Confounders</strong> (0): none</p>"),
        "{html}"
    );
    assert!(html.contains("adjusted for none."), "{html}");
    assert!(html.contains("<tr><td>d1</td><td>none</td></tr>"), "{html}");
    assert!(html.contains("<tr><td><code>config.covariates</code></td><td>none</td></tr>"));
    assert!(html.contains("<tr><td><code>confounders.1.answered</code></td><td>a, b</td></tr>"));
    assert!(html.contains("so the adjustment set was none."), "{html}");
    assert!(html.contains(
        "<td>Atrial fibrillation, self-reported (f1) ~ LV mass (LVM)</td><td>Diet</td><td>logistic</td>"
    ));
    let md = render_markdown(&input, Path::new(""));
    assert!(md.contains("- Confounders (0): none\n"), "{md}");
    assert!(md.contains("Adjusted for: none."), "{md}");
    assert!(md.contains("| config.covariates | none |"), "{md}");
    assert!(md.contains("so the adjustment set was none."), "{md}");
    assert!(md
        .contains("| Atrial fibrillation, self-reported (f1) ~ LV mass (LVM) | Diet | logistic |"));
}

#[test]
fn numbers_in_prose_stay_whole() {
    assert_eq!(
        numbers_unbroken("p < 0.05/2306), 1.2×10⁻⁸. Bai (2020) a-1"),
        "p &lt; <span class=\"n\">0.05/2306</span>), <span class=\"n\">1.2×10⁻⁸</span>. Bai (<span class=\"n\">2020</span>) a-1"
    );
    assert_eq!(
        numbers_unbroken("+0.012 ± x"),
        "<span class=\"n\">+0.012</span> ± x"
    );
}

/// The Methods, word for word, for a small run: every number is the input's (2 phenotypes,
/// 2 factors, 1 dropped column, 3 tested pairs of 4, 2 Bonferroni hits, 2 rounds of 2 agents).
#[test]
fn the_methods_read_word_for_word() {
    let mut skipped = row("LVEF", "f2", "linear", f64::NAN, f64::NAN);
    skipped.status = "skipped".into();
    let associations = [
        row("LVM", "f1", "linear", 1e-9, 1e-8),
        row("LVM", "f2", "logistic", 1e-7, 1e-6),
        row("LVEF", "f1", "linear", 0.2, 1.0),
        skipped,
    ];
    let decisions = json!({
        "backend": "embedded",
        "confounders": ["age", "sex"],
        "agreement": {"confounders": [
            {"round": 1, "answered": ["a", "b"], "kappa": 0.5},
            {"round": 2, "answered": ["a", "b"], "kappa": 0.75},
        ]},
    });
    let labels = Default::default();
    let input = ReportInput {
        config_text: "name = \"s\"\ntransform = \"rint\"\n",
        flow_counts: &[("participants".into(), "1200".into())],
        dropped: &[("x".into(), "91.0% missing (more than 90%)".into())],
        ..tables_only(&associations, &decisions, &labels)
    };
    assert_eq!(
        crate::report_methods::methods(&input),
        [
            "The cohort held 1200 participants. 2 imaging phenotypes were tested against 2 non-imaging factors; 1 column was left out by the cleaning rules of Bai et al. (2020) (mostly missing, mostly one value, or a near-duplicate of another column), and negative UK Biobank codes (do not know, prefer not to answer) were read as missing.",
            "The covariates were chosen by a panel of 2 expert agents (embedded backend) that debated the candidate confounders with the discovery data's evidence over 2 rounds (Fleiss' kappa of the last round 0.75); it adjusted for age and sex.",
            "Each phenotype-factor pair was fitted with the model its factor's type calls for: linear regression of the phenotype on the factor (2 pairs) and logistic regression of the binary factor on the phenotype (Firth's penalised likelihood when events were few or the data separated) (1 pair). Variables were rank-based inverse normal transformed. Of 4 pairs, 3 could be tested; p-values were corrected over those 3 by Bonferroni and by Benjamini-Hochberg, and 2 pairs were significant after Bonferroni (p < 0.05/3).",
        ]
    );
}
