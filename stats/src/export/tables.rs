//! What the paper tables hold, whatever they are written in: the hits chosen per phenotype,
//! split by the family of the model fitted (a standardised β and a log odds ratio are never
//! one column), how a number is rounded, how a description is abbreviated, and the wide
//! classification table (one row per disease and classifier, the arms side by side). The
//! Markdown and LaTeX writers (and the HTML report) differ only in how they escape and lay
//! out these cells.

use std::collections::BTreeMap;

use crate::classify::ClassificationRow;
use crate::phewas::rows::AssociationRow;
use crate::phewas::{Interval, Scale};
pub use crate::text::abbreviate;

/// A number to 3 significant digits: `0.0523`, `1.23`, `123`, `1.23e-5` (outside
/// 0.001..10000), `--` without a value. Rounding happens first, so 9.996 is `10.0`.
pub fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return "--".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = |a: f64| a.log10().floor() as i32;
    let e = magnitude(v.abs());
    let scale = 10f64.powi(2 - e);
    let rounded = (v.abs() * scale).round() / scale;
    let e = magnitude(rounded);
    if (-3..4).contains(&e) {
        let decimals = (2 - e).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.2e}")
    }
}

/// A number with `digits` decimals; `--` for NaN (a skipped row, an arm not evaluated).
pub fn fixed(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "--".into()
    }
}

/// A p-value in the papers' style: 3 decimals down to 0.001, then (mantissa, exponent) of
/// mantissa x 10^exponent with one decimal; `None` without a value.
pub fn p_parts(p: f64) -> Option<(String, Option<i32>)> {
    if !p.is_finite() {
        return None;
    }
    if p >= 0.001 {
        return Some((format!("{p:.3}"), None));
    }
    if p <= 0.0 {
        return Some(("0".into(), None));
    }
    let exponent = p.log10().floor() as i32;
    let mut mantissa = p / 10f64.powi(exponent);
    let mut exponent = exponent;
    // 9.96e-5 rounds to "10.0": carry into the exponent.
    if (mantissa * 10.0).round() >= 100.0 {
        mantissa /= 10.0;
        exponent += 1;
    }
    Some((format!("{mantissa:.1}"), Some(exponent)))
}

/// A p-value as plain text: `0.031`, `1.2e-8`, `--`.
pub fn p_text(p: f64) -> String {
    match p_parts(p) {
        None => "--".into(),
        Some((m, None)) => m,
        Some((m, Some(e))) => format!("{m}e{e}"),
    }
}

/// An estimate and its 95% interval, each written by `number`: `0.0523 (0.0312, 0.0734)`.
pub fn with_ci(i: Interval, number: fn(f64) -> String) -> String {
    format!(
        "{} ({}, {})",
        number(i.estimate),
        number(i.low),
        number(i.high)
    )
}

/// The effect a row shows on its own scale: the standardised β for a linear row, the odds
/// ratio (exp of the log odds and of its bounds) for a logistic one; `None` without an
/// estimate.
pub fn effect(r: &AssociationRow) -> Option<Interval> {
    match r.scale() {
        Scale::LogOdds => r.odds_ratio(),
        Scale::StandardisedBeta => r.beta.is_finite().then_some(Interval {
            estimate: r.beta,
            low: r.ci_low,
            high: r.ci_high,
        }),
    }
}

/// The title of a table of one family's effect column.
pub fn effect_title(scale: Scale) -> &'static str {
    match scale {
        Scale::StandardisedBeta => "β (95% CI)",
        Scale::LogOdds => "OR (95% CI)",
    }
}

/// The sentence under a family's heading that says what its effect column is.
pub fn family_note(scale: Scale) -> &'static str {
    match scale {
        Scale::StandardisedBeta => "standardised β of the factor with its 95% CI",
        Scale::LogOdds => "odds ratio (OR) of the factor per unit of the transformed phenotype (per SD under zscore or rint) with its 95% CI",
    }
}

/// [`Scale::family`] with a capital letter, as a heading.
pub fn family_heading(scale: Scale) -> String {
    let family = scale.family();
    let mut chars = family.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The top `top_n` tested rows (status ok) of each phenotype by p (ties by factor name), in
/// the phenotypes' order of first appearance.
pub fn top_hits(rows: &[AssociationRow], top_n: usize) -> Vec<&AssociationRow> {
    let mut phenotypes: Vec<&str> = Vec::new();
    for r in rows {
        if !phenotypes.contains(&r.phenotype.as_str()) {
            phenotypes.push(&r.phenotype);
        }
    }
    let mut out = Vec::new();
    for ph in phenotypes {
        let mut mine: Vec<&AssociationRow> = rows
            .iter()
            .filter(|r| r.phenotype == ph && r.status == "ok" && r.p.is_finite())
            .collect();
        mine.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.factor.cmp(&b.factor)));
        out.extend(mine.into_iter().take(top_n));
    }
    out
}

/// `rows` split by the scale of their estimate ([`crate::phewas::by_family`]).
pub fn by_family<'a>(rows: &[&'a AssociationRow]) -> Vec<(Scale, Vec<&'a AssociationRow>)> {
    crate::phewas::by_family(rows.iter().copied())
}

/// The factor's description from `labels` (column -> dictionary description), or "".
pub fn description<'a>(labels: &'a BTreeMap<String, String>, factor: &str) -> &'a str {
    labels.get(factor).map(String::as_str).unwrap_or("")
}

/// Which participants the rows were scored on, in one sentence (the `split` column of
/// `classification.csv`, which the Markdown and LaTeX tables leave out to stay narrow).
pub fn split_note(rows: &[ClassificationRow]) -> Option<String> {
    let held_out = rows.iter().filter(|r| r.split == "holdout").count();
    match (held_out, rows.len()) {
        (_, 0) => None,
        (h, n) if h == n => Some(
            "Scored on the held-out participants, whom the panel's selection never saw.".into(),
        ),
        (0, _) => {
            Some("Scored on all participants: the panel's selection saw them (holdout = 0).".into())
        }
        (h, n) => Some(format!(
            "Rows scored on the held-out participants: {h} of {n}; the others on all participants."
        )),
    }
}

/// The classification table in wide form: one row per disease and classifier, the arms side
/// by side (in their order of first appearance), with the paired DeLong p between them.
#[derive(Debug, Clone, PartialEq)]
pub struct WideClassification {
    /// The arms, in their order of first appearance (`panel`, `expert`).
    pub arms: Vec<String>,
    /// The classifiers, in their order of first appearance.
    pub classifiers: Vec<String>,
    pub rows: Vec<WideRow>,
}

/// One disease under one classifier, every arm's AUC side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct WideRow {
    pub disease: String,
    pub classifier: String,
    pub n: usize,
    pub n_cases: usize,
    /// AUC with DeLong's 95% CI per arm of [`WideClassification::arms`]; `None` for an arm
    /// that was not evaluated for this disease.
    pub auc: Vec<Option<Interval>>,
    /// DeLong's paired test between the arms; NaN with one arm.
    pub delong_p: f64,
}

impl WideClassification {
    /// Gathers the long rows of `classification.csv` (one per disease, arm and classifier)
    /// into wide rows, in the order each disease and classifier first appears.
    pub fn from_rows(rows: &[ClassificationRow]) -> Self {
        let mut arms: Vec<String> = Vec::new();
        let mut classifiers: Vec<String> = Vec::new();
        for r in rows {
            if !arms.contains(&r.arm) {
                arms.push(r.arm.clone());
            }
            if !classifiers.contains(&r.classifier) {
                classifiers.push(r.classifier.clone());
            }
        }
        let mut out: Vec<WideRow> = Vec::new();
        for r in rows {
            let at = match out
                .iter()
                .position(|w| w.disease == r.disease && w.classifier == r.classifier)
            {
                Some(at) => at,
                None => {
                    out.push(WideRow {
                        disease: r.disease.clone(),
                        classifier: r.classifier.clone(),
                        n: r.n,
                        n_cases: r.n_cases,
                        auc: vec![None; arms.len()],
                        delong_p: f64::NAN,
                    });
                    out.len() - 1
                }
            };
            let arm = arms.iter().position(|a| *a == r.arm).unwrap_or(0);
            let w = &mut out[at];
            w.auc[arm] = Some(Interval {
                estimate: r.auc,
                low: r.auc_ci_low,
                high: r.auc_ci_high,
            });
            if w.delong_p.is_nan() {
                w.delong_p = r.delong_p;
            }
        }
        WideClassification {
            arms,
            classifiers,
            rows: out,
        }
    }
}

/// How a format writes a cell: text escaped for it, and a p-value.
#[derive(Debug, Clone, Copy)]
pub struct CellStyle {
    pub text: fn(&str) -> String,
    pub p: fn(f64) -> String,
}

/// An AUC with its interval, 3 decimals each; `--` for an arm not evaluated.
pub fn auc_cell(auc: Option<Interval>) -> String {
    auc.map(|i| with_ci(i, |v| fixed(v, 3)))
        .unwrap_or_else(|| "--".into())
}

/// The wide classification table as (header cells, row cells), written in `style`:
/// disease, classifier, cases / n, `AUC <arm> (95% CI)` per arm, DeLong p. What the
/// Markdown and LaTeX exports print, and what the HTML report can print.
pub fn classification_wide(
    rows: &[ClassificationRow],
    style: &CellStyle,
) -> (Vec<String>, Vec<Vec<String>>) {
    let wide = WideClassification::from_rows(rows);
    let mut header: Vec<String> = ["Disease", "Classifier", "Cases / n"]
        .iter()
        .map(|h| (style.text)(h))
        .collect();
    header.extend(
        wide.arms
            .iter()
            .map(|a| (style.text)(&format!("AUC {a} (95% CI)"))),
    );
    header.push((style.text)("DeLong p"));
    let cells = wide
        .rows
        .iter()
        .map(|w| {
            let mut cells = vec![
                (style.text)(&w.disease),
                (style.text)(&w.classifier),
                format!("{} / {}", w.n_cases, w.n),
            ];
            cells.extend(w.auc.iter().map(|a| auc_cell(*a)));
            cells.push((style.p)(w.delong_p));
            cells
        })
        .collect();
    (header, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.052345), "0.0523");
        assert_eq!(sig3(-1.2345), "-1.23");
        assert_eq!(sig3(123.45), "123");
        assert_eq!(sig3(9.996), "10.0");
        assert_eq!(sig3(0.0009996), "0.00100");
        assert_eq!(sig3(1.234e-5), "1.23e-5");
        assert_eq!(sig3(123456.0), "1.23e5");
        assert_eq!(sig3(f64::NAN), "--");
    }

    #[test]
    fn p_values_in_paper_style() {
        assert_eq!(p_text(0.0312), "0.031");
        assert_eq!(p_text(1.23e-8), "1.2e-8");
        assert_eq!(p_text(9.96e-5), "1.0e-4");
        assert_eq!(p_text(f64::NAN), "--");
    }
}
