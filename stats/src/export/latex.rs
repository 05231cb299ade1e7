//! The LaTeX exports: `longtable`s with booktabs rules that break across pages and repeat
//! their header, sized to the document's `\linewidth`, so they compile in a plain `article`
//! without an overfull box at every type size (checked by `tests/latex_export.rs` with
//! pdflatex).
//!
//! How they fit: every column but the first has a width fixed in `em` (so it shrinks with
//! the type size), and the first takes what is left of `\linewidth`. What goes in a fixed
//! column is known to fit it: ids and model names may break inside a word, an estimate puts
//! its CI on the next line, p-values are short. The first column's text (the model as fitted,
//! or the disease) is abbreviated on purpose at a word boundary with an ellipsis, to a
//! budget of characters from the page and type size, and wraps in its column; a word too
//! long for the column gets break points. Character widths are those of Computer Modern
//! (pdflatex's default), rounded up.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::tables::{
    abbreviate, by_family, description, effect, family_note, fixed, p_parts, sig3, split_note,
    top_hits, WideClassification,
};
use crate::classify::ClassificationRow;
use crate::phewas::rows::AssociationRow;
use crate::phewas::{Interval, Scale};

/// The type size of a LaTeX table, as the size command that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum LatexSize {
    /// The document's own size.
    #[default]
    Normal,
    Small,
    Footnotesize,
    Scriptsize,
}

impl LatexSize {
    /// The command that sets it, none for the document's size.
    fn command(self) -> Option<&'static str> {
        match self {
            LatexSize::Normal => None,
            LatexSize::Small => Some("\\small"),
            LatexSize::Footnotesize => Some("\\footnotesize"),
            LatexSize::Scriptsize => Some("\\scriptsize"),
        }
    }

    /// Its em in points in a 10 pt document: Computer Modern's smaller optical sizes are
    /// drawn wider, so their em is more than their size (8.5 pt at `\footnotesize`); glyphs
    /// keep their width in em.
    fn em_points(self) -> f64 {
        match self {
            LatexSize::Normal => 10.0,
            LatexSize::Small => 9.25,
            LatexSize::Footnotesize => 8.5,
            LatexSize::Scriptsize => 7.97,
        }
    }
}

/// How the LaTeX tables are laid out: portrait at the document's size by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatexOptions {
    /// In a `landscape` environment (pdflscape): the pages of the table turned, `\linewidth`
    /// the page's height.
    pub landscape: bool,
    pub size: LatexSize,
}

impl LatexOptions {
    /// The width of the first column in `em` of the table's type in a 10 pt `article` (the
    /// line 345 pt, 550 pt on a landscape page), for budgets of characters: the line less the
    /// fixed columns and the space between columns.
    fn rest_em(self, fixed_em: f64, columns: usize) -> f64 {
        let line_pt = if self.landscape { 550.0 } else { 345.0 };
        let gaps_pt = 2.0 * TABCOLSEP_PT * (columns as f64 - 1.0);
        (line_pt - gaps_pt) / self.size.em_points() - fixed_em
    }
}

/// The space on either side of a column (LaTeX's default is 6 pt).
const TABCOLSEP_PT: f64 = 4.0;

/// Escapes text for LaTeX's text mode: the ten special characters, and `<`, `>` and `|`,
/// which the default OT1 font encoding prints as other glyphs. Other characters beyond
/// Latin-1 that pdflatex would stop at are written as LaTeX commands, or `?`.
pub fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '…' => out.push_str("\\ldots{}"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '×' => out.push_str("$\\times$"),
            '±' => out.push_str("$\\pm$"),
            '≤' => out.push_str("$\\leq$"),
            '≥' => out.push_str("$\\geq$"),
            '°' => out.push_str("$^\\circ$"),
            '²' => out.push_str("$^2$"),
            '³' => out.push_str("$^3$"),
            'µ' | 'μ' => out.push_str("$\\mu$"),
            'α' => out.push_str("$\\alpha$"),
            'β' => out.push_str("$\\beta$"),
            'γ' => out.push_str("$\\gamma$"),
            'δ' => out.push_str("$\\delta$"),
            '÷' => out.push_str("$\\div$"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            // Latin-1 letters: pdflatex's utf8 input writes them with accents.
            c if ('\u{c0}'..='\u{ff}').contains(&c) => out.push(c),
            c if c.is_whitespace() || c.is_ascii_control() => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// The widths of `a`..`z` and `A`..`Z` in Computer Modern Roman 10 pt, in thousandths of
/// an em.
const LOWER: [u16; 26] = [
    500, 556, 444, 556, 444, 306, 500, 556, 278, 306, 528, 278, 833, 556, 500, 556, 528, 392, 394,
    389, 556, 528, 722, 528, 528, 444,
];
const UPPER: [u16; 26] = [
    750, 708, 722, 764, 681, 653, 785, 750, 361, 514, 778, 625, 917, 750, 778, 681, 778, 736, 556,
    722, 750, 750, 1028, 750, 750, 611,
];

/// The width of a character as printed (escaped) in Computer Modern 10 pt, in em, rounded
/// up; 1 em for what is not listed.
fn char_em(c: char) -> f64 {
    let thousandths = match c {
        'a'..='z' => LOWER[c as usize - 'a' as usize],
        'A'..='Z' => UPPER[c as usize - 'A' as usize],
        '0'..='9' | '/' | '"' | '*' | '$' | '{' | '}' | '\\' | '~' | '^' => 500,
        '.' | ',' | ';' | ':' | '\'' | '!' | '`' | '|' | '[' | ']' => 278,
        '-' | ' ' => 334,
        '_' => 360,
        '(' | ')' => 389,
        '?' => 473,
        '%' | '#' => 834,
        '&' | '<' | '>' | '+' | '=' | '@' => 778,
        '…' => 1334,
        _ => 1000,
    };
    f64::from(thousandths) / 1000.0
}

/// `text` escaped, with a break point (a penalty, so a break between words comes first)
/// wherever a run of characters without a space would get wider than `width_em`.
fn breakable(text: &str, width_em: f64) -> String {
    let limit = width_em * 0.97;
    let mut out = String::with_capacity(text.len() + 16);
    let mut run = 0.0;
    for c in text.chars() {
        if c.is_whitespace() {
            out.push(' ');
            run = 0.0;
            continue;
        }
        let w = char_em(c);
        if run > 0.0 && run + w > limit {
            out.push_str("\\penalty5000\\relax ");
            run = 0.0;
        }
        run += w;
        out.push_str(&latex_escape(&c.to_string()));
    }
    out
}

/// A number as sig3 or fixed wrote it, in LaTeX: minus signs (an exponent stays `e-5`, short
/// enough for its column), `--` without a value.
fn tex_number(text: &str) -> String {
    if text == "--" {
        return text.into();
    }
    text.replace('-', "$-$")
}

/// A formula (`a ~ b`) in LaTeX: each side escaped, the tilde as `$\sim$`.
fn tex_formula(text: &str) -> String {
    text.split(" ~ ")
        .map(latex_escape)
        .collect::<Vec<_>>()
        .join(" $\\sim$ ")
}

/// A p-value in the papers' style: `0.031`, `$1.2{\times}10^{-8}$`, `--`.
pub fn p_latex(p: f64) -> String {
    match p_parts(p) {
        None => "--".into(),
        Some((m, None)) => m,
        Some((m, Some(e))) => format!("${m}{{\\times}}10^{{{e}}}$"),
    }
}

/// An estimate over its 95% CI: `0.0523\newline (0.0312, 0.0734)`.
fn estimate_cell(i: Option<Interval>, number: fn(f64) -> String) -> String {
    match i {
        None => "--".into(),
        Some(i) => format!(
            "{}\\newline ({}, {})",
            tex_number(&number(i.estimate)),
            tex_number(&number(i.low)),
            tex_number(&number(i.high))
        ),
    }
}

/// A column of a table: its width in em of the table's type at 10 pt, or the rest of the
/// line.
#[derive(Clone, Copy)]
enum Width {
    Em(f64),
    Rest,
}

/// The widths in em of the fixed columns, added up.
fn fixed_em(widths: &[Width]) -> f64 {
    widths
        .iter()
        .map(|w| match w {
            Width::Em(em) => *em,
            Width::Rest => 0.0,
        })
        .sum()
}

/// The column spec of a table as wide as `\linewidth`: ragged-right text, then right-aligned
/// numbers from `numbers_from` on, no space outside the first and last column.
fn column_spec(widths: &[Width], numbers_from: usize) -> String {
    let gaps = 2 * (widths.len() - 1);
    let mut spec = String::from("@{}");
    for (k, w) in widths.iter().enumerate() {
        // Text breaks between words and where `breakable` allows, never by hyphenation,
        // whose breaks would fall between the allowed ones.
        let align = if k < numbers_from {
            "\\raggedright\\hyphenpenalty=10000\\exhyphenpenalty=10000"
        } else {
            "\\raggedleft"
        };
        let width = match w {
            Width::Em(em) => format!("{em}em"),
            Width::Rest => format!(
                "\\dimexpr\\linewidth-{:.2}em-{gaps}\\tabcolsep\\relax",
                fixed_em(widths)
            ),
        };
        let _ = write!(spec, ">{{{align}\\arraybackslash}}p{{{width}}}");
    }
    spec.push_str("@{}");
    spec
}

/// The comment a file starts with: what it holds, the packages it needs and how to use it.
fn preamble_comment(what: &str, options: LatexOptions) -> String {
    let packages = if options.landscape {
        "booktabs,longtable,array,pdflscape"
    } else {
        "booktabs,longtable,array"
    };
    format!(
        "% {what}. Written by meshagents (study export).\n\
% Needs in the preamble: \\usepackage{{{packages}}}\n\
% Use: \\input{{this file}} in the document's body, outside any table or figure\n\
% environment (a longtable breaks across pages by itself). Sized to \\linewidth; for\n\
% more room: study export --latex-landscape, --latex-size small|footnotesize|scriptsize.\n"
    )
}

/// Opens what surrounds the tables: the landscape pages, the group that keeps the column
/// spacing and type size to the tables.
fn open(s: &mut String, options: LatexOptions) {
    if options.landscape {
        s.push_str("\\begin{landscape}\n");
    }
    let _ = writeln!(
        s,
        "\\begingroup\n\\setlength{{\\tabcolsep}}{{{TABCOLSEP_PT}pt}}"
    );
    if let Some(size) = options.size.command() {
        let _ = writeln!(s, "{size}");
    }
}

fn close(s: &mut String, options: LatexOptions) {
    s.push_str("\\endgroup\n");
    if options.landscape {
        s.push_str("\\end{landscape}\n");
    }
}

/// One longtable: caption and header on its first page, "(continued)" and the header on the
/// next ones, a "continued" line at the foot of each page but the last, whose foot is
/// `last_foot` (e.g. a note) after the bottom rule. `body` is the rows, already LaTeX.
fn longtable(
    s: &mut String,
    (spec, columns): (&str, usize),
    (caption, label): (&str, &str),
    header: &[&str],
    body: &str,
    last_foot: Option<&str>,
) {
    let header = header.join(" & ");
    let _ = writeln!(s, "\\begin{{longtable}}{{{spec}}}");
    let _ = writeln!(s, "\\caption{{{caption}}}\\label{{{label}}}\\\\");
    let _ = writeln!(s, "\\toprule\n{header} \\\\\n\\midrule\n\\endfirsthead");
    let _ = writeln!(
        s,
        "\\caption[]{{(continued)}}\\\\\n\\toprule\n{header} \\\\\n\\midrule\n\\endhead"
    );
    let _ = writeln!(
        s,
        "\\midrule\n\\multicolumn{{{columns}}}{{@{{}}r@{{}}}}{{\\emph{{continued on the next page}}}} \\\\\n\\endfoot"
    );
    s.push_str("\\bottomrule\n");
    if let Some(note) = last_foot {
        let _ = writeln!(
            s,
            "\\multicolumn{{{columns}}}{{@{{}}p{{\\linewidth}}@{{}}}}{{\\footnotesize {note}}} \\\\"
        );
    }
    s.push_str("\\endlastfoot\n");
    s.push_str(body);
    s.push_str("\\end{longtable}\n");
}

/// The columns of an association table: the model as fitted, then fixed: the factor's id
/// over its model, n, the estimate over its CI, p and q.
const ASSOCIATION_WIDTHS: [Width; 6] = [
    Width::Rest,
    Width::Em(5.0),
    Width::Em(3.8),
    Width::Em(5.5),
    Width::Em(5.0),
    Width::Em(5.0),
];

/// One row of an association table in LaTeX.
fn association_cells(
    r: &AssociationRow,
    labels: &BTreeMap<String, String>,
    (rest_em, budget): (f64, usize),
) -> [String; 6] {
    let phenotype = abbreviate(&r.phenotype, (budget / 3).max(24));
    let named = match description(labels, &r.factor) {
        "" => r.factor.as_str(),
        d => d,
    };
    let rest = budget.saturating_sub(phenotype.chars().count() + 3).max(24);
    let named = abbreviate(named, rest);
    let fitted = r
        .formula_with(&breakable(&phenotype, rest_em), &breakable(&named, rest_em))
        .replace(" ~ ", " $\\sim$ ");
    let n = match (r.scale(), r.n_cases) {
        (Scale::LogOdds, Some(cases)) => format!("{}\\newline ({cases})", r.n),
        _ => r.n.to_string(),
    };
    [
        fitted,
        format!(
            "{}\\newline \\textit{{{}}}",
            breakable(&r.factor, 5.0),
            breakable(&r.model, 5.0)
        ),
        n,
        estimate_cell(effect(r), sig3),
        p_latex(r.p),
        p_latex(r.q_bh),
    ]
}

/// The top `top_n` hits per phenotype (by p) as one longtable per model family (linear
/// models with the standardised β, logistic ones with the odds ratio), each row the model as
/// fitted with the factor's description (from `labels`, abbreviated), the factor's id over
/// its model, n (and cases), the estimate over its 95% CI, p and q.
pub fn associations_latex(
    rows: &[AssociationRow],
    top_n: usize,
    labels: &BTreeMap<String, String>,
    options: LatexOptions,
) -> String {
    let hits = top_hits(rows, top_n);
    let mut s = preamble_comment(
        &format!("Top {top_n} associations per phenotype by p, a longtable per model family"),
        options,
    );
    let families = by_family(&hits);
    if families.is_empty() {
        s.push_str("No association was tested.\n");
        return s;
    }
    let rest_em = options.rest_em(fixed_em(&ASSOCIATION_WIDTHS), ASSOCIATION_WIDTHS.len());
    // The model as fitted in about three lines of its column: the phenotype in a few words,
    // the factor's description in what is left.
    let budget = (rest_em / 0.5 * 3.0).max(30.0) as usize;
    let spec = column_spec(&ASSOCIATION_WIDTHS, 2);
    open(&mut s, options);
    for (scale, mine) in families {
        let mut body = String::new();
        let mut last: Option<&str> = None;
        for r in mine {
            if last.is_some_and(|ph| ph != r.phenotype) {
                body.push_str("\\addlinespace\n");
            }
            last = Some(&r.phenotype);
            let cells = association_cells(r, labels, (rest_em, budget));
            let _ = writeln!(body, "{} \\\\", cells.join(" & "));
        }
        let (n_title, estimate_title, label) = match scale {
            Scale::StandardisedBeta => ("$n$", "$\\beta$ (95\\% CI)", "tab:associations-linear"),
            Scale::LogOdds => (
                "$n$\\newline (cases)",
                "OR (95\\% CI)",
                "tab:associations-logistic",
            ),
        };
        let caption = format!(
            "Top {top_n} associations per phenotype by $p$, {}: {}. $q$: Benjamini--Hochberg.",
            tex_formula(scale.family()),
            latex_escape(family_note(scale))
        );
        longtable(
            &mut s,
            (&spec, ASSOCIATION_WIDTHS.len()),
            (&caption, label),
            &[
                "Model fitted",
                "Factor\\newline \\textit{model}",
                n_title,
                estimate_title,
                "$p$",
                "$q$",
            ],
            &body,
            None,
        );
    }
    close(&mut s, options);
    s
}

/// The classification table, wide: one row per disease (per disease and classifier when
/// there are several: the disease as a heading over its classifiers), each arm's AUC over
/// its 95% CI side by side, DeLong's paired p, and under the table who was scored.
pub fn classification_latex(rows: &[ClassificationRow], options: LatexOptions) -> String {
    let mut s = preamble_comment(
        "Disease classification, out-of-fold AUC per arm side by side (a longtable)",
        options,
    );
    let wide = WideClassification::from_rows(rows);
    if wide.rows.is_empty() {
        s.push_str("No disease was evaluated.\n");
        return s;
    }
    let by_classifier = wide.classifiers.len() > 1;
    let mut widths = vec![Width::Rest, Width::Em(4.4)];
    widths.extend(wide.arms.iter().map(|_| Width::Em(6.2)));
    widths.push(Width::Em(5.0));
    let rest_em = options.rest_em(fixed_em(&widths), widths.len());
    let budget = (rest_em / 0.5 * 2.0).max(20.0) as usize;
    let mut body = String::new();
    let mut last: Option<&str> = None;
    for w in &wide.rows {
        let first_of_disease = last != Some(w.disease.as_str());
        last = Some(&w.disease);
        let first = if by_classifier {
            if first_of_disease {
                let _ = writeln!(
                    body,
                    "\\multicolumn{{{}}}{{@{{}}>{{\\raggedright\\arraybackslash}}p{{\\linewidth}}@{{}}}}{{\\textit{{{}}}}} \\\\",
                    widths.len(),
                    breakable(&w.disease, rest_em)
                );
            }
            breakable(&w.classifier, rest_em)
        } else {
            breakable(&abbreviate(&w.disease, budget), rest_em)
        };
        let mut cells = vec![first, breakable(&format!("{}/{}", w.n_cases, w.n), 4.4)];
        cells.extend(w.auc.iter().map(|a| estimate_cell(*a, |v| fixed(v, 3))));
        cells.push(p_latex(w.delong_p));
        let _ = writeln!(body, "{} \\\\", cells.join(" & "));
    }
    let mut header = vec![
        if by_classifier {
            "Classifier"
        } else {
            "Disease"
        }
        .to_string(),
        "Cases/$n$".to_string(),
    ];
    header.extend(
        wide.arms
            .iter()
            .map(|a| format!("AUC {} (95\\% CI)", latex_escape(a))),
    );
    header.push("DeLong $p$".into());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let classifier = match wide.classifiers.as_slice() {
        [one] => format!(" (classifier: {})", latex_escape(one)),
        _ => String::new(),
    };
    let caption = format!(
        "Disease classification{classifier}: out-of-fold AUC with DeLong's 95\\% CI per arm; DeLong $p$: paired test between the arms."
    );
    let note = split_note(rows).map(|n| latex_escape(&n));
    open(&mut s, options);
    longtable(
        &mut s,
        (&column_spec(&widths, 1), widths.len()),
        (&caption, "tab:classification"),
        &header,
        &body,
        note.as_deref(),
    );
    close(&mut s, options);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_escapes_every_special_character() {
        assert_eq!(
            latex_escape(r"a_b & 5% $x$ #1 {y} ~z ^w \ <>|"),
            r"a\_b \& 5\% \$x\$ \#1 \{y\} \textasciitilde{}z \textasciicircum{}w \textbackslash{} \textless{}\textgreater{}\textbar{}"
        );
        assert_eq!(
            latex_escape("µmol/L, 37°C, β…"),
            "$\\mu$mol/L, 37$^\\circ$C, $\\beta$\\ldots{}"
        );
        assert_eq!(latex_escape("café ☕"), "café ?");
    }

    #[test]
    fn numbers_in_latex() {
        assert_eq!(p_latex(2.5e-12), "$2.5{\\times}10^{-12}$");
        assert_eq!(p_latex(0.0312), "0.031");
        assert_eq!(p_latex(f64::NAN), "--");
        assert_eq!(tex_number("-0.0523"), "$-$0.0523");
        assert_eq!(tex_number("-1.23e-5"), "$-$1.23e$-$5");
        assert_eq!(tex_formula("b_1 ~ a"), "b\\_1 $\\sim$ a");
        assert_eq!(tex_number("--"), "--");
    }

    #[test]
    fn long_words_get_break_points_and_short_ones_none() {
        assert_eq!(breakable("900116-2.0", 5.0), "900116-2.0");
        let long = breakable("Physical_activity_minutes_per_week", 5.0);
        assert!(long.matches("\\penalty5000").count() >= 3, "{long}");
        assert!(long.contains("\\_"), "{long}");
        assert_eq!(breakable("a few short words", 5.0), "a few short words");
    }
}
