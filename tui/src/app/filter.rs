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

use memchr::memmem::Finder;

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

    /// The query made ready to test rows: each substring's searcher is built once, not once
    /// per row.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            terms: self
                .terms
                .iter()
                .map(|t| match t {
                    Term::Word(w) => Test::Word(Finder::new(w.as_bytes())),
                    Term::Num(field, cmp, x) => Test::Num(*field, *cmp, *x),
                    Term::Text(field, s) => Test::Text(*field, Finder::new(s.as_bytes())),
                })
                .collect(),
        }
    }
}

enum Test<'q> {
    Word(Finder<'q>),
    Num(NumField, Cmp, f64),
    Text(TextField, Finder<'q>),
}

/// A [`Query`] ready to test rows of a [`SearchIndex`].
pub struct Matcher<'q> {
    terms: Vec<Test<'q>>,
}

impl Matcher<'_> {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// For a pass over every row: the rows whose text holds the query's first word, from one
    /// scan of the whole index (a vectorised search over one buffer, rather than a search
    /// started in each row); `None` when the query has no word.
    pub fn rows_with_first_word(&self, index: &SearchIndex) -> Option<Vec<bool>> {
        let word = self.terms.iter().find_map(|t| match t {
            Test::Word(w) => Some(w),
            _ => None,
        })?;
        let ends = &index.text.ends;
        let mut hit = vec![false; ends.len()];
        let mut row = 0;
        for pos in word.find_iter(index.text.buf.as_bytes()) {
            while ends[row] <= pos {
                row += 1;
            }
            hit[row] = true;
        }
        Some(hit)
    }

    /// Whether row `i` of the indexed table passes every term.
    pub fn matches(&self, index: &SearchIndex, i: usize) -> bool {
        self.terms.iter().all(|t| match t {
            Test::Word(w) => w.find(index.text.get(i).as_bytes()).is_some(),
            Test::Num(field, cmp, x) => {
                let v = match field {
                    NumField::P => index.p[i],
                    NumField::Q => index.q[i],
                };
                // NaN compares false either way: a row without the value is left out.
                match cmp {
                    Cmp::Lt => v < *x,
                    Cmp::Le => v <= *x,
                    Cmp::Gt => v > *x,
                    Cmp::Ge => v >= *x,
                }
            }
            Test::Text(field, s) => {
                let text = match field {
                    TextField::Model => index.model.get(i),
                    TextField::Category => index.category.get(i),
                    TextField::Status => index.status.get(i),
                };
                s.find(text.as_bytes()).is_some()
            }
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

/// One text per row, stored end to end: a pass over 200,000 rows reads one buffer rather
/// than 200,000 allocations scattered over the heap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    buf: String,
    ends: Vec<usize>,
}

impl Texts {
    /// Each text is followed by a line break: a term holds no whitespace, so a match in the
    /// whole buffer lies within one row's text.
    fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.ends.push(self.buf.len());
        self.buf.push('\n');
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        &self.buf[start..self.ends[i]]
    }
}

/// What the filter searches, per row, lower-cased once when the table loads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchIndex {
    /// Phenotype, factor, their descriptions, categories, model and status, one per line (a
    /// word holds no whitespace, so it never matches across two fields).
    pub text: Texts,
    /// The table's category and the dictionary's.
    pub category: Texts,
    pub model: Texts,
    pub status: Texts,
    pub p: Vec<f64>,
    pub q: Vec<f64>,
}

impl SearchIndex {
    pub fn new(rows: &[AssociationRow], labels: &HashMap<String, ColumnLabel>) -> SearchIndex {
        let empty = ColumnLabel::default();
        let mut index = SearchIndex::default();
        for r in rows {
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
            index.text.push(&text);
            index.category.push(&category);
            index.model.push(&r.model.to_lowercase());
            index.status.push(&r.status.to_lowercase());
            index.p.push(r.p);
            index.q.push(r.q_bh);
        }
        index
    }
}
