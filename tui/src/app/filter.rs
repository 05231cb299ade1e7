//! The results screen's filter: the query language (words and field terms) and the search
//! index built once per table, so each keystroke costs one pass over the rows still shown.
//!
//! A query is whitespace-separated terms, all of which must hold (AND):
//! - a word: a case-insensitive substring of the row's phenotype, factor id, their dictionary
//!   descriptions, the factor's category, the model or the status;
//! - `p<X`, `p<=X`, `p>X`, `p>=X` and the same with `q` (the BH q value); a row without the
//!   value (skipped, failed) fails a numeric term;
//! - `model:TEXT`, `category:TEXT`, `status:TEXT`: a case-insensitive substring of that field
//!   (`category` is the table's category and the dictionary's).
//!
//! A malformed term (`q<abc`, `model:`) filters nothing out and is reported, so a half-typed
//! term never empties the table.

use std::collections::HashMap;

use meshagents_stats::phewas::AssociationRow;

use crate::model::ColumnLabel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumField {
    P,
    Q,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Model,
    Category,
    Status,
}

/// One term of a query; text is lower-cased.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Word(String),
    Num(NumField, Cmp, f64),
    Text(TextField, String),
}

/// A parsed filter: the terms that apply and the ones that could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
    /// One message per malformed term, naming it.
    pub errors: Vec<String>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let mut q = Query::default();
        for token in text.split_whitespace() {
            match parse_term(token) {
                Ok(t) => q.terms.push(t),
                Err(e) => q.errors.push(e),
            }
        }
        // Cheapest first: a row failing a bound skips the substring searches.
        q.terms.sort_by_key(|t| match t {
            Term::Num(..) => 0,
            Term::Text(..) => 1,
            Term::Word(_) => 2,
        });
        q
    }

    /// Whether every row this query keeps is kept by `old` too, so that filtering `old`'s
    /// matches gives the same rows as filtering all of them. Typing one more character
    /// usually narrows (`atr` -> `atri`, `q<0.5` -> `q<0.05`), but not always (`q<0.0` ->
    /// `q<0.05`, or the word `p` becoming the unfinished `p<`), hence a check on the terms
    /// rather than on the text.
    pub fn narrows(&self, old: &Query) -> bool {
        old.terms
            .iter()
            .all(|o| self.terms.iter().any(|n| implies(n, o)))
    }

    pub fn matches(&self, row: &AssociationRow, index: &RowIndex) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Word(w) => index.text.contains(w.as_str()),
            Term::Num(field, cmp, x) => {
                let v = match field {
                    NumField::P => row.p,
                    NumField::Q => row.q_bh,
                };
                // NaN compares false either way: a row without the value is left out.
                match cmp {
                    Cmp::Lt => v < *x,
                    Cmp::Le => v <= *x,
                    Cmp::Gt => v > *x,
                    Cmp::Ge => v >= *x,
                }
            }
            Term::Text(field, s) => match field {
                TextField::Model => index.model.contains(s.as_str()),
                TextField::Category => index.category.contains(s.as_str()),
                TextField::Status => index.status.contains(s.as_str()),
            },
        })
    }
}

/// Term `new` keeps only rows that term `old` keeps.
fn implies(new: &Term, old: &Term) -> bool {
    match (new, old) {
        (Term::Word(n), Term::Word(o)) => n.contains(o.as_str()),
        (Term::Text(nf, n), Term::Text(of, o)) => nf == of && n.contains(o.as_str()),
        (Term::Num(nf, nc, nx), Term::Num(of, oc, ox)) if nf == of => {
            let upper = |c: &Cmp| matches!(c, Cmp::Lt | Cmp::Le);
            if upper(nc) != upper(oc) {
                return false;
            }
            let strict_or_same =
                nc == oc || matches!((nc, oc), (Cmp::Lt, Cmp::Le) | (Cmp::Gt, Cmp::Ge));
            if upper(nc) {
                nx < ox || (nx == ox && strict_or_same)
            } else {
                nx > ox || (nx == ox && strict_or_same)
            }
        }
        _ => false,
    }
}

fn parse_term(token: &str) -> Result<Term, String> {
    let lower = token.to_lowercase();
    for (prefix, field) in [
        ("model:", TextField::Model),
        ("category:", TextField::Category),
        ("status:", TextField::Status),
    ] {
        if let Some(value) = lower.strip_prefix(prefix) {
            if value.is_empty() {
                return Err(format!("{token}: a value is missing after ':'"));
            }
            return Ok(Term::Text(field, value.to_string()));
        }
    }
    let field = match lower.as_bytes().first() {
        Some(b'p') => Some(NumField::P),
        Some(b'q') => Some(NumField::Q),
        _ => None,
    };
    if let Some(field) = field {
        let rest = &lower[1..];
        let op = [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ]
        .into_iter()
        .find_map(|(s, c)| rest.strip_prefix(s).map(|v| (c, v)));
        if let Some((cmp, value)) = op {
            return match value.parse::<f64>() {
                Ok(x) if !x.is_nan() => Ok(Term::Num(field, cmp, x)),
                _ if value.is_empty() => Err(format!("{token}: a number is missing")),
                _ => Err(format!("{token}: '{value}' is not a number")),
            };
        }
    }
    Ok(Term::Word(lower))
}

/// What the filter searches in one row, lower-cased once when the table loads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowIndex {
    /// Phenotype, factor, their descriptions, categories, model and status, one per line (a
    /// word holds no whitespace, so it never matches across two fields).
    pub text: String,
    pub category: String,
    pub model: String,
    pub status: String,
}

/// One [`RowIndex`] per row of the table.
pub fn build_index(
    rows: &[AssociationRow],
    labels: &HashMap<String, ColumnLabel>,
) -> Vec<RowIndex> {
    let empty = ColumnLabel::default();
    rows.iter()
        .map(|r| {
            let factor = labels.get(&r.factor).unwrap_or(&empty);
            let phenotype = labels.get(&r.phenotype).unwrap_or(&empty);
            let category = format!("{}\n{}", r.category, factor.category).to_lowercase();
            let text = [
                r.phenotype.as_str(),
                &phenotype.description,
                &r.factor,
                &factor.description,
                &category,
                &r.model,
                &r.status,
            ]
            .join("\n")
            .to_lowercase();
            RowIndex {
                text,
                category,
                model: r.model.to_lowercase(),
                status: r.status.to_lowercase(),
            }
        })
        .collect()
}
