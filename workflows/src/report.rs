//! The study report: one self-contained HTML file (inline CSS, figures embedded as base64
//! PNG, so it can be mailed or archived alone) and the same content in Markdown (figures
//! linked by relative path). It assembles what a study already wrote: its configuration, the
//! data-flow counts, the panel's decisions (`decisions.json`, read as plain JSON so the
//! report does not depend on the panel's types), the association and classification tables
//! and the figures. The output is a pure function of these inputs: no timestamps.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use meshagents_stats::classify::{compare_arms, ArmComparison, ClassificationRow};
use meshagents_stats::export::{associations_markdown, classification_markdown, top_hits};
use meshagents_stats::phewas::AssociationRow;
use serde_json::Value;

use crate::WorkflowError;

/// One figure of the report.
#[derive(Debug, Clone)]
pub struct Figure {
    pub title: String,
    pub caption: String,
    /// The PNG embedded in the HTML (and linked from the Markdown).
    pub png: PathBuf,
    /// The SVG, linked from both for editing.
    pub svg: Option<PathBuf>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub title: &'a str,
    /// The study configuration as the user wrote it (STUDY.toml or study.json text).
    pub config_text: &'a str,
    /// Data flow: (what, count) in reading order, e.g. ("participants", 3000).
    pub flow_counts: &'a [(String, String)],
    /// Every dropped column with its reason (the report groups them by reason).
    pub dropped: &'a [(String, String)],
    /// `decisions.json`: "confounders", "phenotypes", "disease_phenotypes", and optionally
    /// "agreement", "provenance", "backend".
    pub decisions: &'a Value,
    pub associations: &'a [AssociationRow],
    pub classification: &'a [ClassificationRow],
    /// The two arms compared in the paper's summary (A - B), e.g. ("panel", "expert").
    pub arms: (&'a str, &'a str),
    pub figures: &'a [Figure],
    /// Factor column -> description; the association tables show both when there is one.
    pub factor_labels: &'a std::collections::BTreeMap<String, String>,
    /// Hits per phenotype in the association table.
    pub top_n: usize,
    /// One sentence on the validation's protocol (held-out or not), shown with its summary.
    pub protocol: Option<String>,
    /// Diseases the validation could not evaluate, with the reason.
    pub skipped: &'a [(String, String)],
}

/// The panel scored against a simulated cohort's planted truth, when the workflow added the
/// scores (`truth_scores` with `confounders` and `disease_phenotypes`: recall, precision,
/// found, planted, missed).
fn truth_lines(d: &Value) -> Vec<String> {
    let Some(scores) = d.get("truth_scores") else {
        return vec![];
    };
    [
        ("confounders", "planted confounders"),
        (
            "disease_phenotypes",
            "planted disease-driving phenotypes (disease-phenotype pairs)",
        ),
    ]
    .iter()
    .filter_map(|(key, what)| {
        let s = scores.get(*key)?;
        Some(format!(
            "Against the {what}: recall {:.0} % ({} of {}), precision {:.0} %; missed: {}.",
            100.0 * s["recall"].as_f64()?,
            s["found"].as_u64()?,
            s["planted"].as_u64()?,
            100.0 * s["precision"].as_f64()?,
            s["missed"]
                .as_array()
                .filter(|m| !m.is_empty())
                .map(|m| m
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_else(|| "none".into())
        ))
    })
    .collect()
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The kind of a drop reason, without the figures particular to one column:
/// "96.8% of values identical (at least 95%)" -> "values identical (at least 95%)",
/// "near-duplicate of 'x' (r = 1.000000)" -> "near-duplicate".
fn reason_kind(reason: &str) -> String {
    let reason = reason.trim();
    if let Some((first, rest)) = reason.split_once(' ') {
        if first.ends_with('%') && first[..first.len() - 1].parse::<f64>().is_ok() {
            return rest.trim_start_matches("of ").to_string();
        }
    }
    for cut in [" of '", " with '", " (r ="] {
        if let Some(i) = reason.find(cut) {
            return reason[..i].to_string();
        }
    }
    reason.to_string()
}

/// Dropped columns grouped by the kind of reason: (kind, count, first few columns), by count
/// then kind so the order is stable.
fn dropped_by_reason(dropped: &[(String, String)]) -> Vec<(String, usize, Vec<String>)> {
    let mut groups: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for (column, reason) in dropped {
        groups.entry(reason_kind(reason)).or_default().push(column);
    }
    let mut out: Vec<(String, usize, Vec<String>)> = groups
        .into_iter()
        .map(|(reason, cols)| {
            (
                reason,
                cols.len(),
                cols.iter().take(6).map(|c| c.to_string()).collect(),
            )
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn comparison_sentence(c: &ArmComparison) -> String {
    format!(
        "{}: AUC difference {} - {} = {:+.3} ± {:.3} (mean ± SD over {} diseases); recall higher with {} for {} of {} diseases",
        c.classifier,
        c.arm_a,
        c.arm_b,
        c.mean_auc_difference,
        c.sd_auc_difference,
        c.diseases,
        c.arm_a,
        c.recall_improved,
        c.diseases
    )
}

/// Three decimals, or a dash when there is no number (a categorical factor's overall test).
fn num3(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "–".into()
    }
}

fn sci(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2e}")
    } else {
        "–".into()
    }
}

/// A path as seen from `base` (the report's directory) when it lies under it.
fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

const CSS: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;border-bottom:2px solid #0072B2;padding-bottom:.2em}h2{font-size:1.3em;margin-top:1.8em;color:#0072B2}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f6f9}td.n{text-align:right;font-variant-numeric:tabular-nums}span.id{color:#57606a;font-size:90%}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444}.summary{background:#eef6fb;border-left:4px solid #0072B2;padding:.5em 1em}
details{margin:.5em 0}code{font-size:.9em}";

/// Writes the HTML report to `html` and the Markdown report to `markdown`.
pub fn write_report(
    input: &ReportInput,
    html: &Path,
    markdown: &Path,
) -> Result<(), WorkflowError> {
    let h = render_html(input)?;
    let base = markdown.parent().unwrap_or(Path::new(""));
    let m = render_markdown(input, base);
    for (path, text) in [(html, h), (markdown, m)] {
        std::fs::write(path, text).map_err(|e| WorkflowError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// The HTML report as a string (figures read from disk and embedded).
pub fn render_html(input: &ReportInput) -> Result<String, WorkflowError> {
    let mut s = String::new();
    let e = html_escape;
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        e(input.title),
        e(input.title)
    );

    // Headline: the paper's summary of the validation.
    let comparisons = compare_arms(input.classification, input.arms.0, input.arms.1);
    if comparisons.iter().any(|c| c.diseases > 0) || input.protocol.is_some() {
        s.push_str("<div class=\"summary\"><p><strong>Validation.</strong></p>\n");
        if let Some(p) = &input.protocol {
            let _ = writeln!(s, "<p>{}</p>", e(p));
        }
        s.push_str("<ul>\n");
        for c in comparisons.iter().filter(|c| c.diseases > 0) {
            let _ = writeln!(s, "<li>{}</li>", e(&comparison_sentence(c)));
        }
        for (disease, reason) in input.skipped {
            let _ = writeln!(s, "<li>{}: not evaluated, {}</li>", e(disease), e(reason));
        }
        s.push_str("</ul></div>\n");
    }

    s.push_str("<h2>Study configuration</h2>\n");
    let _ = writeln!(s, "<pre>{}</pre>", e(input.config_text.trim_end()));

    s.push_str("<h2>Data flow</h2>\n<table>\n");
    for (what, count) in input.flow_counts {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            e(what),
            e(count)
        );
    }
    s.push_str("</table>\n");
    let groups = dropped_by_reason(input.dropped);
    if !groups.is_empty() {
        s.push_str("<p>Columns dropped, by reason (every column's fate is in <code>flow.csv</code>):</p>\n<table>\n<tr><th>Reason</th><th>Columns</th><th>Examples</th></tr>\n");
        for (reason, count, examples) in &groups {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"n\">{count}</td><td>{}</td></tr>",
                e(reason),
                e(&examples.join(", "))
            );
        }
        s.push_str("</table>\n");
    }

    s.push_str("<h2>Panel decisions</h2>\n");
    let d = input.decisions;
    if let Some(backend) = d.get("backend").and_then(Value::as_str) {
        let _ = writeln!(s, "<p>Backend: <code>{}</code></p>", e(backend));
    }
    let confounders = strings(&d["confounders"]);
    let _ = writeln!(
        s,
        "<p><strong>Confounders</strong> ({}): {}</p>",
        confounders.len(),
        if confounders.is_empty() {
            "none".to_string()
        } else {
            e(&confounders.join(", "))
        }
    );
    let proposals = proposals_of(d);
    if !proposals.is_empty() {
        let _ = writeln!(
            s,
            "<p><strong>Proposals</strong>: the agents searched the whole catalogue beyond the seed list ({}).</p>",
            e(&strings(&d["proposals"]["seeds"]).join(", "))
        );
        s.push_str("<table>\n<tr><th>Round</th><th>Agent</th><th>Variable</th><th>Status</th><th>Adopted</th><th>Reason</th></tr>\n");
        for p in &proposals {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if p.round == 0 { "proposals".to_string() } else { p.round.to_string() },
                e(&p.agent),
                e(&p.variable),
                e(&p.status),
                if p.adopted { "yes" } else { "no" },
                e(&p.reason.chars().take(240).collect::<String>())
            );
        }
        s.push_str("</table>\n");
    }
    let phenotypes = strings(&d["phenotypes"]);
    if !phenotypes.is_empty() {
        let _ = writeln!(
            s,
            "<p><strong>Phenotypes</strong> ({}): {}</p>",
            phenotypes.len(),
            e(&phenotypes.join(", "))
        );
    }
    if let Some(map) = d["disease_phenotypes"]
        .as_object()
        .filter(|m| !m.is_empty())
    {
        s.push_str("<table>\n<tr><th>Disease</th><th>Phenotypes chosen</th></tr>\n");
        for (disease, list) in map {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td></tr>",
                e(disease),
                e(&strings(list).join(", "))
            );
        }
        s.push_str("</table>\n");
    } else {
        s.push_str("<p>The panel chose no phenotypes per disease; the validation has the expert arm only.</p>\n");
    }
    for line in truth_lines(d) {
        let _ = writeln!(s, "<p>{}</p>", e(&line));
    }
    if let Some(agreement) = d.get("agreement").filter(|v| !v.is_null()) {
        if let Some(v) = agreement.as_f64() {
            let _ = writeln!(
                s,
                "<p>Agreement: {:.0} % of votes agree with the decision.</p>",
                100.0 * v
            );
        } else {
            let text = serde_json::to_string_pretty(agreement).unwrap_or_default();
            let _ = writeln!(
                s,
                "<details><summary>Agreement figures</summary><pre>{}</pre></details>",
                e(&text)
            );
        }
    }
    if let Some(provenance) = d.get("provenance").filter(|v| !v.is_null()) {
        let text = serde_json::to_string_pretty(provenance).unwrap_or_default();
        let _ = writeln!(
            s,
            "<details><summary>Provenance (who proposed what, and the chair's summary)</summary><pre>{}</pre></details>",
            e(&text)
        );
    }

    s.push_str("<h2>Associations</h2>\n");
    let tested = input
        .associations
        .iter()
        .filter(|r| r.status == "ok")
        .count();
    let bonferroni = input
        .associations
        .iter()
        .filter(|r| r.status == "ok" && r.bonferroni < 0.05)
        .count();
    let _ = writeln!(
        s,
        "<p>{} pairs, {tested} tested, {bonferroni} significant after Bonferroni (5 %). Top {} per phenotype among phenotypes with a Bonferroni hit:</p>",
        input.associations.len(),
        input.top_n
    );
    s.push_str("<table>\n<tr><th>Phenotype</th><th>Factor</th><th>Category</th><th>n</th><th>β (95% CI)</th><th>p</th><th>q</th></tr>\n");
    for r in significant_top_hits(input.associations, input.top_n) {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({}, {})</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e(&r.phenotype),
            match input.factor_labels.get(&r.factor) {
                Some(label) => format!("{} <span class=\"id\">({})</span>", e(label), e(&r.factor)),
                None => e(&r.factor),
            },
            e(&r.category),
            r.n,
            num3(r.beta),
            num3(r.ci_low),
            num3(r.ci_high),
            sci(r.p),
            sci(r.q_bh)
        );
    }
    s.push_str("</table>\n");

    if !input.classification.is_empty() {
        s.push_str("<h2>Disease classification</h2>\n<p>Out-of-fold results of stratified cross-validation; imputation, scaling and the decision threshold are learnt on training folds only. DeLong p compares the two arms on the same folds.</p>\n");
        s.push_str("<table>\n<tr><th>Disease</th><th>Arm</th><th>Classifier</th><th>Cases/n</th><th>AUC (95% CI)</th><th>DeLong p</th><th>Recall</th><th>Precision</th><th>F1</th><th>Bal. acc.</th></tr>\n");
        for r in input.classification {
            let p = if r.delong_p.is_finite() {
                format!("{:.3}", r.delong_p)
            } else {
                "–".into()
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}/{}</td><td class=\"n\">{:.3} ({:.3}, {:.3})</td><td class=\"n\">{p}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td><td class=\"n\">{:.3}</td></tr>",
                e(&r.disease),
                e(&r.arm),
                e(&r.classifier),
                r.n_cases,
                r.n,
                r.auc,
                r.auc_ci_low,
                r.auc_ci_high,
                r.recall,
                r.precision,
                r.f1,
                r.balanced_accuracy
            );
        }
        s.push_str("</table>\n");
    }

    if !input.figures.is_empty() {
        s.push_str("<h2>Figures</h2>\n");
    }
    for f in input.figures {
        let bytes = std::fs::read(&f.png).map_err(|err| WorkflowError::File {
            path: f.png.display().to_string(),
            message: format!("a figure of the report: {err}"),
        })?;
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        let _ = writeln!(
            s,
            "<figure><img alt=\"{}\" src=\"data:image/png;base64,{data}\"><figcaption><strong>{}.</strong> {}</figcaption></figure>",
            e(&f.title),
            e(&f.title),
            e(&f.caption)
        );
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

/// The top hits of the phenotypes that have at least one Bonferroni-significant factor (all
/// phenotypes' top hits would be a long list of noise).
fn significant_top_hits(rows: &[AssociationRow], top_n: usize) -> Vec<&AssociationRow> {
    let hits = top_hits(rows, top_n);
    let with_hit: std::collections::BTreeSet<&str> = hits
        .iter()
        .filter(|r| r.bonferroni < 0.05)
        .map(|r| r.phenotype.as_str())
        .collect();
    hits.into_iter()
        .filter(|r| with_hit.contains(r.phenotype.as_str()))
        .collect()
}

/// The Markdown report; figures are linked relative to `base` (the report's directory).
pub fn render_markdown(input: &ReportInput, base: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", input.title);
    let comparisons = compare_arms(input.classification, input.arms.0, input.arms.1);
    if let Some(p) = &input.protocol {
        let _ = writeln!(s, "{p}\n");
    }
    for c in comparisons.iter().filter(|c| c.diseases > 0) {
        let _ = writeln!(s, "- {}", comparison_sentence(c));
    }
    for (disease, reason) in input.skipped {
        let _ = writeln!(s, "- {disease}: not evaluated, {reason}");
    }
    let _ = writeln!(
        s,
        "\n## Study configuration\n\n```\n{}\n```\n",
        input.config_text.trim_end()
    );
    let _ = writeln!(s, "## Data flow\n");
    for (what, count) in input.flow_counts {
        let _ = writeln!(s, "- {what}: {count}");
    }
    let groups = dropped_by_reason(input.dropped);
    if !groups.is_empty() {
        let _ = writeln!(
            s,
            "\n| Dropped because | Columns | Examples |\n|---|---:|---|"
        );
        for (reason, count, examples) in &groups {
            let _ = writeln!(
                s,
                "| {} | {count} | {} |",
                reason.replace('|', "\\|"),
                examples.join(", ")
            );
        }
    }
    let d = input.decisions;
    let _ = writeln!(s, "\n## Panel decisions\n");
    let confounders = strings(&d["confounders"]);
    let _ = writeln!(
        s,
        "- Confounders ({}): {}",
        confounders.len(),
        if confounders.is_empty() {
            "none".into()
        } else {
            confounders.join(", ")
        }
    );
    let proposals = proposals_of(d);
    if !proposals.is_empty() {
        let _ = writeln!(
            s,
            "\nProposals (seed list: {}):\n",
            strings(&d["proposals"]["seeds"]).join(", ")
        );
        s.push_str(&meshagents_agents::transcript::proposals_markdown(
            &proposals,
        ));
        s.push('\n');
    }
    let phenotypes = strings(&d["phenotypes"]);
    if !phenotypes.is_empty() {
        let _ = writeln!(
            s,
            "- Phenotypes ({}): {}",
            phenotypes.len(),
            phenotypes.join(", ")
        );
    }
    if let Some(map) = d["disease_phenotypes"]
        .as_object()
        .filter(|m| !m.is_empty())
    {
        for (disease, list) in map {
            let _ = writeln!(s, "- {disease}: {}", strings(list).join(", "));
        }
    } else {
        let _ = writeln!(
            s,
            "- The panel chose no phenotypes per disease; the validation has the expert arm only."
        );
    }
    for line in truth_lines(d) {
        let _ = writeln!(s, "- {line}");
    }
    if let Some(v) = d.get("agreement").and_then(Value::as_f64) {
        let _ = writeln!(
            s,
            "- Agreement: {:.0} % of votes agree with the decision.",
            100.0 * v
        );
    }
    let _ = writeln!(s, "\n## Associations (top {} per phenotype)\n", input.top_n);
    let shown: Vec<AssociationRow> = significant_top_hits(input.associations, input.top_n)
        .into_iter()
        .map(|r| AssociationRow {
            factor: match input.factor_labels.get(&r.factor) {
                Some(label) => format!("{label} ({})", r.factor),
                None => r.factor.clone(),
            },
            ..r.clone()
        })
        .collect();
    s.push_str(&associations_markdown(&shown, input.top_n));
    if !input.classification.is_empty() {
        let _ = writeln!(s, "\n## Disease classification\n");
        s.push_str(&classification_markdown(input.classification));
    }
    if !input.figures.is_empty() {
        let _ = writeln!(s, "\n## Figures\n");
    }
    for f in input.figures {
        let _ = writeln!(s, "![{}]({})\n", f.title, relative(&f.png, base));
        let svg = f
            .svg
            .as_ref()
            .map(|p| format!(" ([SVG]({}))", relative(p, base)))
            .unwrap_or_default();
        let _ = writeln!(s, "*{}.* {}{svg}\n", f.title, f.caption);
    }
    s
}

/// The proposals `decisions.json` records (none for a study whose panel did not propose).
fn proposals_of(decisions: &Value) -> Vec<meshagents_agents::Proposal> {
    serde_json::from_value(decisions["proposals"]["items"].clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
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
}
