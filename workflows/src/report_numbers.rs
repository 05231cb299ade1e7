//! How the study report writes numbers for a co-author: p and q values as `0.0123` or
//! `1.2×10⁻⁸` (never `5.55e-1`), and the report's classification table in Markdown, which uses
//! the same text as the HTML (Markdown renders Unicode). The exports keep their own formats (`stats::export`).

use std::fmt::Write as _;

use meshagents_stats::classify::ClassificationRow;
use meshagents_stats::export::{
    classification_wide, markdown_escape, markdown_table, split_note, CellStyle,
};

/// What a cell shows when there is no number (a skipped row, a categorical factor's test).
pub(crate) const NO_NUMBER: &str = "–";

/// A p or q value: 3 significant digits from 0.001 up (`0.0123`, `0.555`), below that two
/// significant digits times a power of ten with a superscript exponent (`1.2×10⁻⁸`). A p of
/// exactly 0 is an underflow of the smallest double, so it prints as `<1×10⁻³⁰⁸`.
pub(crate) fn p_value(p: f64) -> String {
    if !p.is_finite() {
        return NO_NUMBER.into();
    }
    if p <= 0.0 {
        return format!("<1×10{}", superscript(-308));
    }
    if p >= 0.001 {
        // `{:e}` rounds first, so 0.0099996 counts as 1.00e-2 and keeps 3 digits, not 4.
        let exponent = exponent_of(&format!("{p:.2e}"));
        let decimals = (2 - exponent).max(0) as usize;
        return format!("{p:.decimals$}");
    }
    let text = format!("{p:.1e}");
    let (mantissa, _) = text.split_once('e').unwrap_or((&text, ""));
    format!("{mantissa}×10{}", superscript(exponent_of(&text)))
}

fn exponent_of(scientific: &str) -> i32 {
    scientific
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0)
}

fn superscript(exponent: i32) -> String {
    exponent
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// Three decimals, or [`NO_NUMBER`].
pub(crate) fn num3(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        NO_NUMBER.into()
    }
}

/// The report's classification table, wide (`stats::export::classification_wide`): one row
/// per disease and classifier, each arm's AUC (95% CI) side by side and the DeLong p of the
/// two, as (header, rows of cells) in plain text; the HTML template escapes it.
pub(crate) fn classification_cells(rows: &[ClassificationRow]) -> (Vec<String>, Vec<Vec<String>>) {
    let style = CellStyle {
        text: str::to_string,
        p: p_value,
    };
    classification_wide(rows, &style)
}

/// The report's classification table in Markdown: the same cells as the HTML.
pub(crate) fn classification_markdown(rows: &[ClassificationRow]) -> String {
    let (header, cells) = classification_cells(rows);
    let escaped: Vec<String> = header.iter().map(|h| markdown_escape(h)).collect();
    // Disease and classifier are text; the rest are numbers, right-aligned.
    let columns: Vec<(&str, &str)> = escaped
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), if i < 2 { "---" } else { "---:" }))
        .collect();
    let mut s = markdown_table(
        &columns,
        cells
            .into_iter()
            .map(|row| row.iter().map(|c| markdown_escape(c)).collect()),
    );
    if let Some(note) = split_note(rows) {
        let _ = writeln!(s, "\n{note}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_p_values_read_as_a_paper_prints_them() {
        for (p, text) in [
            (0.0, "<1×10⁻³⁰⁸"),
            (1.0, "1.00"),
            (0.555, "0.555"),
            (0.0123, "0.0123"),
            (0.012349, "0.0123"),
            (0.0099996, "0.0100"),
            (0.001, "0.00100"),
            (0.000999, "1.0×10⁻³"),
            (0.00099996, "1.0×10⁻³"),
            (1.23e-8, "1.2×10⁻⁸"),
            (8.84e-26, "8.8×10⁻²⁶"),
            (9.96e-5, "1.0×10⁻⁴"),
            (1e-300, "1.0×10⁻³⁰⁰"),
            (f64::NAN, "–"),
            (f64::INFINITY, "–"),
        ] {
            assert_eq!(p_value(p), text, "p = {p:e}");
        }
        assert!(!p_value(5e-324).contains('e'));
    }
}
