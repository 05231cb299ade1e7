//! The results screen's state (sorting, filtering, the selected row) and keys.

use super::filter::{Query, SearchIndex};
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    P,
    Beta,
    Phenotype,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::P => "p",
            SortKey::Beta => "|beta|",
            SortKey::Phenotype => "phenotype",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResultsView {
    pub dir: PathBuf,
    pub table: AssociationTable,
    pub sort: SortKey,
    pub filter: String,
    pub editing_filter: bool,
    pub selected: usize,
    pub manhattan: bool,
    /// Shows the classification table (`classification.csv`) instead of the associations.
    pub classification: bool,
    /// The selected row of the classification table.
    pub class_selected: usize,
    /// Indices into `table.rows`, filtered and sorted.
    pub visible: Vec<usize>,
    /// The filter `visible` was computed for (its malformed terms are shown).
    pub query: Query,
    /// Every row index, sorted: filtering keeps this order, so a keystroke never re-sorts.
    order: Vec<usize>,
    /// What the filter searches, one per row, built when the table loads.
    index: SearchIndex,
}

impl ResultsView {
    pub fn new(dir: PathBuf, table: AssociationTable) -> Self {
        let index = SearchIndex::new(&table.rows, &table.labels);
        let mut v = ResultsView {
            dir,
            table,
            sort: SortKey::P,
            filter: String::new(),
            editing_filter: false,
            selected: 0,
            manhattan: false,
            classification: false,
            class_selected: 0,
            visible: Vec::new(),
            query: Query::default(),
            order: Vec::new(),
            index,
        };
        v.recompute();
        v
    }

    /// Sorts every row and applies the filter again (after a change of sort).
    pub fn recompute(&mut self) {
        let rows = &self.table.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        // No value (NaN: a skipped or failed row) sorts last.
        let key_f = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
        match self.sort {
            SortKey::P => order.sort_by(|&a, &b| key_f(rows[a].p).total_cmp(&key_f(rows[b].p))),
            SortKey::Beta => order.sort_by(|&a, &b| {
                let m = |r: &AssociationRow| {
                    if r.beta.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        r.beta.abs()
                    }
                };
                m(&rows[b]).total_cmp(&m(&rows[a]))
            }),
            SortKey::Phenotype => order.sort_by(|&a, &b| {
                (&rows[a].phenotype, &rows[a].factor).cmp(&(&rows[b].phenotype, &rows[b].factor))
            }),
        }
        self.order = order;
        self.query = Query::parse(&self.filter);
        self.visible = self.filtered(&self.order);
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// Applies `self.filter` after it changed. When the new query keeps only rows the
    /// previous one kept (typing on: `atr` -> `atri`, another word), only the rows shown are
    /// filtered again; otherwise (a deleted character, a bound widened) all of them.
    pub fn refilter(&mut self) {
        let query = Query::parse(&self.filter);
        if query == self.query {
            return;
        }
        let narrows = query.narrows(&self.query);
        self.query = query;
        self.visible = if narrows {
            self.filtered(&self.visible)
        } else {
            self.filtered(&self.order)
        };
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// The rows of `from` (in its order) that the current query keeps.
    fn filtered(&self, from: &[usize]) -> Vec<usize> {
        let matcher = self.query.matcher();
        if matcher.is_empty() {
            return from.to_vec();
        }
        let hit = (from.len() == self.order.len())
            .then(|| matcher.rows_with_first_word(&self.index))
            .flatten();
        match hit {
            Some(hit) => from
                .iter()
                .copied()
                .filter(|&i| hit[i] && matcher.matches(&self.index, i))
                .collect(),
            None => from
                .iter()
                .copied()
                .filter(|&i| matcher.matches(&self.index, i))
                .collect(),
        }
    }

    /// The rows a full pass over the table keeps for the current filter, in sort order: what
    /// the incremental path must equal.
    pub fn refiltered_from_scratch(&self) -> Vec<usize> {
        self.filtered(&self.order)
    }

    /// The dictionary's description of a column, or "".
    pub fn description(&self, column: &str) -> &str {
        self.table
            .labels
            .get(column)
            .map_or("", |l| l.description.as_str())
    }

    pub fn current(&self) -> Option<&AssociationRow> {
        self.visible
            .get(self.selected)
            .map(|&i| &self.table.rows[i])
    }
}

impl App {
    pub(super) fn results_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(r) = self.results.as_mut() else {
            return self.back_to_list();
        };
        if r.editing_filter {
            if !edit_line(&mut r.filter, &mut r.editing_filter, code) {
                return vec![];
            }
            r.selected = 0;
            r.refilter();
            return vec![];
        }
        if r.classification {
            let n = r.table.classification.len();
            match code {
                KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('c') => r.classification = false,
                KeyCode::Down | KeyCode::Char('j') => {
                    r.class_selected = (r.class_selected + 1).min(n.saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    r.class_selected = r.class_selected.saturating_sub(1)
                }
                KeyCode::PageDown => {
                    r.class_selected = (r.class_selected + 10).min(n.saturating_sub(1))
                }
                KeyCode::PageUp => r.class_selected = r.class_selected.saturating_sub(10),
                _ => {}
            }
            return vec![];
        }
        let n = r.visible.len();
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Char('c') => {
                if r.table.classification.is_empty() {
                    self.status =
                        "no classification.csv in this study (the validation has not run)".into();
                } else {
                    r.classification = true;
                    r.class_selected = 0;
                }
            }
            KeyCode::Down | KeyCode::Char('j') => {
                r.selected = (r.selected + 1).min(n.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => r.selected = r.selected.saturating_sub(1),
            KeyCode::PageDown => r.selected = (r.selected + 10).min(n.saturating_sub(1)),
            KeyCode::PageUp => r.selected = r.selected.saturating_sub(10),
            KeyCode::Home => r.selected = 0,
            KeyCode::End => r.selected = n.saturating_sub(1),
            KeyCode::Char('s') => {
                r.sort = match r.sort {
                    SortKey::P => SortKey::Beta,
                    SortKey::Beta => SortKey::Phenotype,
                    SortKey::Phenotype => SortKey::P,
                };
                r.recompute();
                self.status = format!("sorted by {}", r.sort.label());
            }
            KeyCode::Char('/') => r.editing_filter = true,
            KeyCode::Char('m') => r.manhattan = !r.manhattan,
            KeyCode::Char('x') => self.dialog = Some(Dialog::Export),
            KeyCode::Char('l') => return vec![Effect::LoadPanel(r.dir.clone())],
            _ => {}
        }
        vec![]
    }
}
