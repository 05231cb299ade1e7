//! The report's tables that are not plain lists: the association hits, one table per model
//! family (a log odds ratio and a standardised β are not on one scale, so they are never in
//! one column), and nested JSON or TOML (the configuration, the agreement, the provenance)
//! laid out as key/value rows a co-author can read. Both the HTML and the Markdown report
//! take their cells from here, so the two say the same.

use std::collections::BTreeMap;

use meshagents_stats::export::{markdown_escape, markdown_table};
use meshagents_stats::phewas::{AssociationRow, Scale};
use serde_json::Value;

use crate::report_numbers::{num3, p_value, NO_NUMBER};

/// What a list, a table or an adjustment set that holds nothing says.
pub(crate) const NONE: &str = "none";

/// A column as a reader knows it: its description with the id after it, or the id alone when
/// the dictionary describes nothing (or the description is the id: "Sex" for `sex`).
pub(crate) fn named(labels: &BTreeMap<String, String>, column: &str) -> String {
    match labels.get(column) {
        Some(label) if !label.eq_ignore_ascii_case(column) => format!("{label} ({column})"),
        Some(label) => label.clone(),
        _ => column.to_string(),
    }
}

/// Columns named, joined with semicolons (descriptions hold commas: "Weight, kg"), or
/// [`NONE`].
pub(crate) fn named_list(labels: &BTreeMap<String, String>, columns: &[String]) -> String {
    if columns.is_empty() {
        return NONE.into();
    }
    columns
        .iter()
        .map(|c| named(labels, c))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The hits of one model family, in the order given.
pub(crate) struct FamilyTable<'a> {
    pub scale: Scale,
    pub rows: Vec<&'a AssociationRow>,
}

impl FamilyTable<'_> {
    /// "Linear models (phenotype ~ factor)".
    pub fn heading(&self) -> String {
        let family = self.scale.family();
        let mut chars = family.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// The header of the effect column: the family's own scale.
    pub fn effect_header(&self) -> &'static str {
        match self.scale {
            Scale::StandardisedBeta => "standardised β (95% CI)",
            Scale::LogOdds => "OR per SD (95% CI)",
        }
    }

    pub fn n_header(&self) -> &'static str {
        match self.scale {
            Scale::StandardisedBeta => "n",
            Scale::LogOdds => "n (cases)",
        }
    }

    /// Text columns first (left-aligned), then the numbers: the header of both reports.
    pub fn header(&self) -> ([&'static str; 3], [&'static str; 4]) {
        (
            ["Association (model as fitted)", "Category", "Model"],
            [self.n_header(), self.effect_header(), "p", "q (BH)"],
        )
    }
}

/// The rows split by model family, in [`Scale::ALL`]'s order; a family without rows has no
/// table.
pub(crate) fn by_family(rows: &[AssociationRow]) -> Vec<FamilyTable<'_>> {
    meshagents_stats::phewas::by_family(rows)
        .into_iter()
        .map(|(scale, rows)| FamilyTable { scale, rows })
        .collect()
}

/// One row's cells: the model as fitted with the columns named, then its category, model,
/// n, effect on its family's scale (OR for a logistic row), p and q.
pub(crate) fn association_cells(
    r: &AssociationRow,
    labels: &BTreeMap<String, String>,
) -> ([String; 3], [String; 4]) {
    let n = match (r.scale(), r.n_cases) {
        (Scale::LogOdds, Some(cases)) => format!("{} ({cases})", r.n),
        _ => r.n.to_string(),
    };
    let effect = match r.odds_ratio() {
        Some(or) => interval(or.estimate, or.low, or.high),
        None if r.scale() == Scale::LogOdds => NO_NUMBER.into(),
        None => interval(r.beta, r.ci_low, r.ci_high),
    };
    (
        [
            r.formula_with(&named(labels, &r.phenotype), &named(labels, &r.factor)),
            r.category.clone(),
            r.model.clone(),
        ],
        [n, effect, p_value(r.p), p_value(r.q_bh)],
    )
}

fn interval(estimate: f64, low: f64, high: f64) -> String {
    if estimate.is_finite() {
        format!("{} ({}, {})", num3(estimate), num3(low), num3(high))
    } else {
        NO_NUMBER.into()
    }
}

/// The association hits in Markdown: a heading and a table per model family.
pub(crate) fn associations_markdown(
    rows: &[AssociationRow],
    labels: &BTreeMap<String, String>,
) -> String {
    let mut s = String::new();
    for table in by_family(rows) {
        let (text, numbers) = table.header();
        let header: Vec<(&str, &str)> = text
            .iter()
            .map(|t| (*t, "---"))
            .chain(numbers.iter().map(|n| (*n, "---:")))
            .collect();
        s.push_str(&format!("### {}\n\n", table.heading()));
        s.push_str(&markdown_table(
            &header,
            table.rows.iter().map(|r| {
                let (text, numbers) = association_cells(r, labels);
                text.iter()
                    .map(|t| markdown_escape(t))
                    .chain(numbers)
                    .collect()
            }),
        ));
        s.push('\n');
    }
    s
}

/// A nested value as key/value rows: objects flattened into dotted paths (`config.n`), list
/// items numbered from 1 (`items.2.variable`), lists of plain values joined with commas,
/// fractions rounded to three decimals, and an empty list or object read as [`NONE`].
pub(crate) fn key_values(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten("", value, &mut out);
    out
}

fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                flatten(&child(key), v, out);
            }
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&child(&(i + 1).to_string()), v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => out.push((
            path.to_string(),
            items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        )),
        Value::Array(_) | Value::Object(_) => out.push((path.to_string(), NONE.into())),
        v => out.push((path.to_string(), scalar(v))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => NO_NUMBER.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => fraction(f),
            _ => n.to_string(),
        },
        v => v.to_string(),
    }
}

/// A fraction at three decimals without trailing zeros (0.657, 3.8, 1); below 0.001 as
/// `1.2×10⁻⁸` so no exponent form reaches the report.
fn fraction(f: f64) -> String {
    if f != 0.0 && f.abs() < 0.001 {
        let sign = if f < 0.0 { "-" } else { "" };
        return format!("{sign}{}", p_value(f.abs()));
    }
    let text = format!("{f:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// The study's configuration as key/value rows: `study.json` (JSON) or a `STUDY.toml`, in the
/// order written; `None` for text that is neither, which the report then shows as written.
pub(crate) fn configuration(text: &str) -> Option<Vec<(String, String)>> {
    parse_configuration(text).map(|v| key_values(&v))
}

/// The configuration's text as a value: JSON (`study.json`) or TOML (`STUDY.toml`); `None`
/// when it is neither, or not a table.
pub(crate) fn parse_configuration(text: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(text)
        .ok()
        .or_else(|| toml::from_str(text).ok())?;
    value.is_object().then_some(value)
}

/// Key/value rows as a two-column Markdown table.
pub(crate) fn key_values_markdown(rows: &[(String, String)]) -> String {
    markdown_table(
        &[("Key", "---"), ("Value", "---")],
        rows.iter()
            .map(|(k, v)| vec![markdown_escape(k), markdown_escape(v)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_values_read_as_dotted_keys() {
        let v = json!({
            "study": "demo",
            "config": {"n": 3000, "holdout": 0.3, "covariates": [], "extra": {}},
            "rounds": [{"round": 1, "answered": ["a", "b"], "kappa": 0.6571428571428573, "stability": null}],
            "tiny": 1.5e-9,
            "flag": true,
        });
        assert_eq!(
            key_values(&v),
            [
                ("study", "demo"),
                ("config.n", "3000"),
                ("config.holdout", "0.3"),
                ("config.covariates", "none"),
                ("config.extra", "none"),
                ("rounds.1.round", "1"),
                ("rounds.1.answered", "a, b"),
                ("rounds.1.kappa", "0.657"),
                ("rounds.1.stability", "–"),
                ("tiny", "1.5×10⁻⁹"),
                ("flag", "true"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(fraction(1.0), "1");
        assert_eq!(fraction(-0.0001), "-1.0×10⁻⁴");
    }

    #[test]
    fn a_study_toml_keeps_its_order_and_other_text_is_not_a_table() {
        let rows = configuration(
            "name = \"x\"\nphenotypes = \"imaging\"\n\n[panel]\nbackend = \"embedded\"\n",
        )
        .unwrap();
        let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "phenotypes", "panel.backend"]);
        assert!(configuration("n = 1200 and more").is_none());
    }

    #[test]
    fn columns_are_named_by_their_description() {
        let labels: BTreeMap<String, String> = [("f1".to_string(), "Smoking".to_string())].into();
        assert_eq!(named(&labels, "f1"), "Smoking (f1)");
        assert_eq!(named(&labels, "f2"), "f2");
        let labels: BTreeMap<String, String> = [("sex".to_string(), "Sex".to_string())].into();
        assert_eq!(named(&labels, "sex"), "Sex");
        assert_eq!(named_list(&labels, &[]), "none");
    }
}
