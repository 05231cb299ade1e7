//! The results screen's state (sorting, filtering, the selected row, the factor's label, the
//! Manhattan cursor, a pending export) and keys.

use super::filter::{Query, SearchIndex, Term};
use super::manhattan::{ManhattanPlot, Move};
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    P,
    /// By |z| (`AssociationRow::z`), largest first: z is comparable across model families
    /// where a log odds ratio and a standardised beta are not.
    Effect,
    Phenotype,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::P => "p",
            SortKey::Effect => "effect (|z|)",
            SortKey::Phenotype => "phenotype",
        }
    }
}

/// How the rows name a factor (the detail pane always shows both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorLabel {
    Both,
    Id,
    Description,
}

impl FactorLabel {
    pub fn next(self) -> FactorLabel {
        match self {
            FactorLabel::Both => FactorLabel::Id,
            FactorLabel::Id => FactorLabel::Description,
            FactorLabel::Description => FactorLabel::Both,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FactorLabel::Both => "id and description",
            FactorLabel::Id => "id",
            FactorLabel::Description => "description",
        }
    }
}

/// An export waiting for a yes or no, because its file exists.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingExport {
    pub path: PathBuf,
    pub format: ExportFormat,
    pub rows: Vec<usize>,
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
    /// The chart of the rows shown, kept while `manhattan` is on; its cursor is `selected`.
    pub plot: ManhattanPlot,
    /// How the rows name a factor.
    pub factor_label: FactorLabel,
    /// An export whose file exists, until y or n.
    pub pending_export: Option<PendingExport>,
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
            plot: ManhattanPlot::default(),
            factor_label: FactorLabel::Both,
            pending_export: None,
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
            SortKey::Effect => order.sort_by(|&a, &b| {
                let m = |r: &AssociationRow| {
                    let z = r.z().abs();
                    if z.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        z
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
        self.refresh_plot();
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
        self.refresh_plot();
    }

    /// Lays the chart out again for the rows shown (only while it is shown: a keystroke in
    /// the table's filter does not pay for it).
    fn refresh_plot(&mut self) {
        self.plot = if self.manhattan {
            ManhattanPlot::new(&self.table.rows, &self.visible)
        } else {
            ManhattanPlot::default()
        };
    }

    /// Shows or hides the chart; shown, its cursor is the selected row, or the highest point
    /// when that row is not drawn.
    fn toggle_manhattan(&mut self) {
        self.manhattan = !self.manhattan;
        self.refresh_plot();
        if self.manhattan && self.plot.point_at(self.selected).is_none() {
            self.move_cursor(Move::Top);
        }
    }

    /// Moves the Manhattan cursor, which selects its row.
    pub fn move_cursor(&mut self, m: Move) {
        if let Some(shown) = self.plot.step(self.selected, m) {
            self.selected = shown;
        }
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

    /// How the rows name `factor`: its id, its description, or both (the id alone when the
    /// dictionary does not describe it).
    pub fn factor_name(&self, factor: &str) -> String {
        match (self.factor_label, self.description(factor)) {
            (FactorLabel::Id, _) | (_, "") => factor.to_string(),
            (FactorLabel::Description, d) => d.to_string(),
            (FactorLabel::Both, d) => format!("{factor}  {d}"),
        }
    }

    /// The file an export of the rows shown goes to.
    pub fn export_path(&self, format: ExportFormat) -> PathBuf {
        self.dir.join(export_file_name(&self.filter, format))
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

/// The file an export goes to: `associations.SLUG.EXT` after the filter (see [`filter_slug`]),
/// or `associations.export.EXT` without one.
pub fn export_file_name(filter: &str, format: ExportFormat) -> String {
    let slug = filter_slug(filter);
    let middle = if slug.is_empty() { "export" } else { &slug };
    format!("associations.{middle}.{}", format.extension())
}

/// A filter as part of a file name: ASCII letters, digits, `.`, `-` and `_` only. Field terms
/// are each a part (`q<0.05` -> `q-lt-0.05`, `model:logistic` -> `model-logistic`), runs of
/// words one part (`atrial fib` -> `atrial-fib`), parts joined by `_`, at most 80 characters.
pub fn filter_slug(filter: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for token in filter.split_whitespace() {
        let slug = token_slug(token);
        if slug.is_empty() {
            continue;
        }
        let field = matches!(
            Query::parse(token).terms.first(),
            Some(Term::Num(..) | Term::Text(..))
        );
        if field {
            if !words.is_empty() {
                parts.push(words.join("-"));
                words.clear();
            }
            parts.push(slug);
        } else {
            words.push(slug);
        }
    }
    if !words.is_empty() {
        parts.push(words.join("-"));
    }
    let mut slug = parts.join("_");
    if slug.len() > 80 {
        slug.truncate(80);
        slug = slug.trim_end_matches(['-', '_', '.']).to_string();
    }
    slug
}

fn token_slug(token: &str) -> String {
    let spelled = token
        .to_lowercase()
        .replace("<=", "-le-")
        .replace(">=", "-ge-")
        .replace('<', "-lt-")
        .replace('>', "-gt-")
        .replace(':', "-");
    let mut out = String::new();
    for c in spelled.chars() {
        // A dot only inside a number (`0.05`, `1e-8` keeps its sign as a dash), so that no
        // part reads as a file extension or a parent folder.
        let c = if c.is_ascii_alphanumeric()
            || (c == '.' && out.ends_with(|d: char| d.is_ascii_digit()))
        {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches(['-', '.']).to_string()
}

impl App {
    /// Exports the rows shown in `format` to the file named after the filter; the runtime
    /// asks back ([`Msg::ExportExists`]) before it overwrites a file.
    pub(super) fn export_rows(&mut self, format: ExportFormat) -> Vec<Effect> {
        match self.results.as_ref() {
            Some(r) => vec![Effect::Export {
                path: r.export_path(format),
                format,
                rows: r.visible.clone(),
                overwrite: false,
            }],
            None => vec![],
        }
    }

    /// The export's file exists: ask in the status line.
    pub(super) fn export_exists(&mut self, pending: PendingExport) -> Vec<Effect> {
        if let Some(r) = self.results.as_mut() {
            self.status = format!("{} exists: overwrite it? y/n", pending.path.display());
            r.pending_export = Some(pending);
        }
        vec![]
    }

    pub(super) fn results_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(r) = self.results.as_mut() else {
            return self.back_to_list();
        };
        if let Some(pending) = r.pending_export.take() {
            return match code {
                KeyCode::Char('y') => {
                    self.status = format!("overwriting {}", pending.path.display());
                    vec![Effect::Export {
                        path: pending.path,
                        format: pending.format,
                        rows: pending.rows,
                        overwrite: true,
                    }]
                }
                KeyCode::Char('n') | KeyCode::Esc => {
                    self.status = format!(
                        "export cancelled: {} left as it was",
                        pending.path.display()
                    );
                    vec![]
                }
                _ => {
                    r.pending_export = Some(pending);
                    vec![]
                }
            };
        }
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
        if r.manhattan {
            let m = match code {
                KeyCode::Left | KeyCode::Char('h') => Some(Move::Left),
                KeyCode::Right => Some(Move::Right),
                KeyCode::Up | KeyCode::Char('k') => Some(Move::Up),
                KeyCode::Down | KeyCode::Char('j') => Some(Move::Down),
                KeyCode::Home => Some(Move::Top),
                _ => None,
            };
            if let Some(m) = m {
                r.move_cursor(m);
                return vec![];
            }
        }
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
                    SortKey::P => SortKey::Effect,
                    SortKey::Effect => SortKey::Phenotype,
                    SortKey::Phenotype => SortKey::P,
                };
                r.recompute();
                self.status = format!("sorted by {}", r.sort.label());
            }
            KeyCode::Char('/') => r.editing_filter = true,
            KeyCode::Char('m') => r.toggle_manhattan(),
            KeyCode::Char('d') => {
                r.factor_label = r.factor_label.next();
                self.status = format!("factors shown by {}", r.factor_label.label());
            }
            KeyCode::Char('x') => self.dialog = Some(Dialog::Export),
            KeyCode::Char('l') => return vec![Effect::LoadPanel(r.dir.clone())],
            _ => {}
        }
        vec![]
    }
}
