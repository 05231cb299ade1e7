//! The study report: one self-contained HTML file (inline CSS, figures embedded as base64
//! PNG, so it can be mailed or archived alone) and the same content in Markdown (figures
//! linked by relative path). It assembles what a study already wrote: its configuration, the
//! data-flow counts, the panel's decisions (`decisions.json`, read as plain JSON so the
//! report does not depend on the panel's types), the association and classification tables
//! and the figures. The output is a pure function of these inputs: no timestamps.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use meshagents_stats::classify::{compare_arms, ArmComparison};
use meshagents_stats::export::{markdown_escape, top_hits};
use meshagents_stats::phewas::AssociationRow;
use serde_json::{json, Value};

use crate::report_numbers::{classification_cells, classification_markdown};
use crate::report_tables::{
    association_cells, associations_markdown, by_family, configuration, key_values,
    key_values_markdown, named, named_list,
};
use crate::WorkflowError;

pub use crate::report_input::{Figure, ReportInput};

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

/// A path as seen from `base` (the report's directory) when it lies under it.
fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

const CSS: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1600px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;border-bottom:2px solid #0072B2;padding-bottom:.2em}h2{font-size:1.3em;margin-top:1.8em;color:#0072B2}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f6f9}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}div.table{overflow-x:auto;max-width:100%}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444}.summary{background:#eef6fb;border-left:4px solid #0072B2;padding:.5em 1em}
details{margin:.5em 0}code{font-size:.9em}span.n{white-space:nowrap}th.n{text-align:right;white-space:nowrap}h3{font-size:1.1em}";

/// Key/value rows (`[key, value]` pairs) as an HTML table that scrolls in its own box,
/// escaped: the template's `key_value_table` filter.
fn key_value_table(rows: impl Iterator<Item = (String, String)>) -> String {
    let mut s = String::from(
        "<div class=\"table\"><table class=\"kv\">\n<tr><th>Key</th><th>Value</th></tr>\n",
    );
    for (key, value) in rows {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            html_escape(&key),
            html_escape(&value)
        );
    }
    s.push_str("</table></div>");
    s
}

/// Text with every number in it kept on one line (`<span class="n">`), escaped: a sentence
/// may wrap between words, never inside `1.2×10⁻⁸` or `0.05/2306`. A number is a word that
/// starts with a digit (or a sign before one), without the brackets and punctuation around it.
fn numbers_unbroken(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = word
            .trim_start_matches(['(', '['])
            .trim_end_matches([')', ']', ',', '.', ';', ':']);
        let mut chars = core.chars();
        let numeric = match chars.next() {
            Some(c) if c.is_ascii_digit() => true,
            Some('+' | '-' | '<' | '−') => chars.next().is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        };
        if numeric && !core.is_empty() {
            let start = word.find(core).unwrap_or(0);
            out.push_str(&html_escape(&word[..start]));
            out.push_str("<span class=\"n\">");
            out.push_str(&html_escape(core));
            out.push_str("</span>");
            out.push_str(&html_escape(&word[start + core.len()..]));
        } else {
            out.push_str(&html_escape(word));
        }
    }
    out
}

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
        std::fs::write(path, text).map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    }
    Ok(())
}

/// The HTML report as a string (figures read from disk and embedded).
pub fn render_html(input: &ReportInput) -> Result<String, WorkflowError> {
    let d = input.decisions;
    let labels = input.labels;
    // Headline: the paper's summary of the validation.
    let comparisons = compare_arms(input.classification, input.arms.0, input.arms.1);
    let validation =
        (comparisons.iter().any(|c| c.diseases > 0) || input.protocol.is_some()).then(|| {
            json!({
                "protocol": input.protocol,
                "comparisons": comparisons
                    .iter()
                    .filter(|c| c.diseases > 0)
                    .map(comparison_sentence)
                    .collect::<Vec<_>>(),
                "skipped": input.skipped.iter()
                    .map(|(disease, reason)| json!({"disease": disease, "reason": reason}))
                    .collect::<Vec<_>>(),
            })
        });
    let proposals: Vec<Value> = proposals_of(d)
        .iter()
        .map(|p| {
            json!({
                "round": if p.round == 0 { "proposals".to_string() } else { p.round.to_string() },
                "agent": p.agent,
                "variable": named(labels, &p.variable),
                "status": p.status,
                "adopted": if p.adopted { "yes" } else { "no" },
                // Long reasons (a real model's) are cut at a word, with an ellipsis.
                "reason": meshagents_stats::export::abbreviate(&p.reason, 400),
            })
        })
        .collect();
    let agreement = d.get("agreement").filter(|v| !v.is_null());
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
    let hits = significant_top_hits(input.associations, input.top_n);
    let tables: Vec<Value> = by_family(&hits)
        .iter()
        .map(|t| {
            let (text, numbers) = t.header();
            json!({
                "heading": t.heading(),
                "text_headers": text,
                "number_headers": numbers,
                "rows": t.rows.iter().map(|r| {
                    let (text, numbers) = association_cells(r, labels);
                    json!({"text": text, "numbers": numbers})
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    let classification = (!input.classification.is_empty()).then(|| {
        let (header, rows) = classification_cells(input.classification);
        json!({"header": header, "rows": rows})
    });
    let mut figures = Vec::with_capacity(input.figures.len());
    for f in input.figures {
        let bytes = std::fs::read(&f.png).map_err(|err| {
            WorkflowError::io(format!("{}: a figure of the report", f.png.display()), err)
        })?;
        figures.push(json!({
            "title": f.title,
            "caption": f.caption,
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        }));
    }
    let context = json!({
        "title": input.title,
        "css": CSS,
        "methods": crate::report_methods::methods(input),
        "validation": validation,
        "config_text": input.config_text.trim_end(),
        "config": configuration(input.config_text),
        "flow": input.flow_counts.iter()
            .map(|(what, count)| json!({"what": what, "count": count}))
            .collect::<Vec<_>>(),
        "dropped": dropped_by_reason(input.dropped).into_iter()
            .map(|(reason, count, examples)| json!({"reason": reason, "count": count, "examples": named_list(labels, &examples)}))
            .collect::<Vec<_>>(),
        "backend": d.get("backend").and_then(Value::as_str),
        "confounders": strings(&d["confounders"]).len(),
        "adjusted_for": named_list(labels, &strings(&d["confounders"])),
        "seeds": named_list(labels, &strings(&d["proposals"]["seeds"])),
        "proposals": proposals,
        "phenotypes": strings(&d["phenotypes"]).len(),
        "phenotypes_named": named_list(labels, &strings(&d["phenotypes"])),
        "disease_phenotypes": d["disease_phenotypes"].as_object().into_iter().flatten()
            .map(|(disease, list)| json!({"disease": named(labels, disease), "phenotypes": named_list(labels, &strings(list))}))
            .collect::<Vec<_>>(),
        "truth": truth_lines(d),
        "agreement_percent": agreement.and_then(Value::as_f64).map(|v| format!("{:.0}", 100.0 * v)),
        "agreement": agreement.filter(|v| v.as_f64().is_none()).map(key_values),
        "provenance": d.get("provenance").filter(|v| !v.is_null()).map(key_values),
        "associations": {
            "pairs": input.associations.len(),
            "tested": tested,
            "bonferroni": bonferroni,
            "top_n": input.top_n,
            "tables": tables,
        },
        "classification": classification,
        "figures": figures,
    });
    template_environment()
        .and_then(|env| env.get_template("report.html")?.render(context))
        .map_err(|e| WorkflowError::Invalid(format!("the report template: {e:#}")))
}

/// The report's template environment. Values are escaped by `html_escape` (the escaping the
/// report has always used: `'` as `&#39;`, `/` left alone), not minijinja's own, so that a
/// report is byte-identical to the one the same study wrote before the template existed.
fn template_environment() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
            let text = match value.as_str() {
                Some(s) => html_escape(s),
                None => html_escape(&value.to_string()),
            };
            out.write_str(&text).map_err(minijinja::Error::from)
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("key_value_table", |rows: Vec<Vec<String>>| {
        let pairs = rows
            .into_iter()
            .filter_map(|r| match <[String; 2]>::try_from(r) {
                Ok([key, value]) => Some((key, value)),
                Err(_) => None,
            });
        minijinja::Value::from_safe_string(key_value_table(pairs))
    });
    env.add_filter("numbers", |text: String| {
        minijinja::Value::from_safe_string(numbers_unbroken(&text))
    });
    env.add_template("report.html", include_str!("../templates/report.html"))?;
    Ok(env)
}

/// The top hits of each phenotype among the pairs significant after Bonferroni (5 %): a
/// co-author reads the table as a list of findings, so a pair that is not one has no place in
/// it, even when it ranks among its phenotype's best.
fn significant_top_hits(rows: &[AssociationRow], top_n: usize) -> Vec<AssociationRow> {
    let significant: Vec<AssociationRow> = rows
        .iter()
        .filter(|r| r.status == "ok" && r.bonferroni < 0.05)
        .cloned()
        .collect();
    top_hits(&significant, top_n).into_iter().cloned().collect()
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
    let _ = writeln!(s, "\n## Methods\n");
    for paragraph in crate::report_methods::methods(input) {
        let _ = writeln!(s, "{paragraph}\n");
    }
    let _ = writeln!(s, "## Study configuration\n");
    match configuration(input.config_text) {
        Some(rows) => s.push_str(&key_values_markdown(&rows)),
        None => {
            let _ = writeln!(s, "```\n{}\n```", input.config_text.trim_end());
        }
    }
    let _ = writeln!(s, "\n## Data flow\n");
    for (what, count) in input.flow_counts {
        let _ = writeln!(s, "- {what}: {count}");
    }
    let labels = input.labels;
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
                markdown_escape(reason),
                markdown_escape(&named_list(labels, examples))
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
        named_list(labels, &confounders)
    );
    let mut proposals = proposals_of(d);
    if !proposals.is_empty() {
        let _ = writeln!(
            s,
            "\nProposals (seed list: {}):\n",
            named_list(labels, &strings(&d["proposals"]["seeds"]))
        );
        for p in &mut proposals {
            p.variable = named(labels, &p.variable);
        }
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
            named_list(labels, &phenotypes)
        );
    }
    if let Some(map) = d["disease_phenotypes"]
        .as_object()
        .filter(|m| !m.is_empty())
    {
        for (disease, list) in map {
            let _ = writeln!(
                s,
                "- {}: {}",
                named(labels, disease),
                named_list(labels, &strings(list))
            );
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
    let agreement = d.get("agreement").filter(|v| !v.is_null());
    if let Some(v) = agreement.and_then(Value::as_f64) {
        let _ = writeln!(
            s,
            "- Agreement: {:.0} % of votes agree with the decision.",
            100.0 * v
        );
    } else if let Some(v) = agreement {
        let _ = writeln!(
            s,
            "\n### Agreement\n\n{}",
            key_values_markdown(&key_values(v))
        );
    }
    if let Some(v) = d.get("provenance").filter(|v| !v.is_null()) {
        let _ = writeln!(
            s,
            "\n### Provenance (who proposed what, and the chair's summary)\n\n{}",
            key_values_markdown(&key_values(v))
        );
    }
    let _ = writeln!(
        s,
        "\n## Associations (top {} per phenotype, significant after Bonferroni 5 %)\n",
        input.top_n
    );
    let _ = writeln!(s, "Adjusted for: {}.\n", named_list(labels, &confounders));
    let shown = significant_top_hits(input.associations, input.top_n);
    if shown.is_empty() {
        let _ = writeln!(s, "No pair is significant after Bonferroni (5 %).");
    } else {
        s.push_str(&associations_markdown(&shown, labels));
    }
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
#[path = "report_tests.rs"]
mod tests;
