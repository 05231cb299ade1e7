//! Comparing a study with its fork (or any two studies): the Bonferroni hits gained and lost,
//! and the change in effect of every pair both fitted. [`compare`] is a pure function of the
//! two association tables (as `stats::phewas::read_associations` reads them).

use std::collections::HashMap;

use meshagents_stats::phewas::Scale;

use super::*;
use crate::model::ColumnLabel;

/// A pair is a hit when its Bonferroni-adjusted p is below this.
pub const HIT_LEVEL: f64 = 0.05;

/// What one study says of a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub model: String,
    pub scale: Scale,
    pub beta: f64,
    pub p: f64,
    pub bonferroni: f64,
}

impl Side {
    fn of(row: &AssociationRow) -> Side {
        Side {
            model: row.model.clone(),
            scale: row.scale(),
            beta: row.beta,
            p: row.p,
            bonferroni: row.bonferroni,
        }
    }

    pub fn hit(&self) -> bool {
        self.bonferroni < HIT_LEVEL
    }
}

/// A phenotype x factor pair in the two studies (`None`: not in that study's table).
#[derive(Debug, Clone, PartialEq)]
pub struct PairDiff {
    pub phenotype: String,
    pub factor: String,
    pub base: Option<Side>,
    pub other: Option<Side>,
}

impl PairDiff {
    /// β(other) - β(base), when both have a β on the same scale (a pair fitted linear in one
    /// study and logistic in the other has no difference to speak of).
    pub fn delta(&self) -> Option<f64> {
        let (a, b) = (self.base.as_ref()?, self.other.as_ref()?);
        let d = b.beta - a.beta;
        (a.scale == b.scale && d.is_finite()).then_some(d)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    pub base_hits: usize,
    pub other_hits: usize,
    /// Hits of the other study that are not hits of the base, by the other's p.
    pub gained: Vec<PairDiff>,
    /// Hits of the base that are not hits of the other study, by the base's p.
    pub lost: Vec<PairDiff>,
    /// Pairs with a β in both, by |Δβ| (largest first; pairs whose scale changed last).
    pub shared: Vec<PairDiff>,
}

/// Compares two association tables pair by pair (a pair is phenotype x factor).
pub fn compare(base: &[AssociationRow], other: &[AssociationRow]) -> Comparison {
    let key = |r: &AssociationRow| (r.phenotype.clone(), r.factor.clone());
    let mut pairs: Vec<PairDiff> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (rows, is_base) in [(base, true), (other, false)] {
        for r in rows {
            let i = *index.entry(key(r)).or_insert_with(|| {
                pairs.push(PairDiff {
                    phenotype: r.phenotype.clone(),
                    factor: r.factor.clone(),
                    base: None,
                    other: None,
                });
                pairs.len() - 1
            });
            let side = Some(Side::of(r));
            if is_base {
                pairs[i].base = side;
            } else {
                pairs[i].other = side;
            }
        }
    }
    let hit = |s: &Option<Side>| s.as_ref().is_some_and(Side::hit);
    let p_of = |s: &Option<Side>| s.as_ref().map_or(f64::NAN, |s| s.p);
    let mut gained: Vec<PairDiff> = pairs
        .iter()
        .filter(|d| hit(&d.other) && !hit(&d.base))
        .cloned()
        .collect();
    gained.sort_by(|a, b| p_of(&a.other).total_cmp(&p_of(&b.other)));
    let mut lost: Vec<PairDiff> = pairs
        .iter()
        .filter(|d| hit(&d.base) && !hit(&d.other))
        .cloned()
        .collect();
    lost.sort_by(|a, b| p_of(&a.base).total_cmp(&p_of(&b.base)));
    let finite = |s: &Option<Side>| s.as_ref().is_some_and(|s| s.beta.is_finite());
    let mut shared: Vec<PairDiff> = pairs
        .iter()
        .filter(|d| finite(&d.base) && finite(&d.other))
        .cloned()
        .collect();
    // Stable: ties keep the base table's order.
    shared.sort_by(|a, b| match (a.delta(), b.delta()) {
        (Some(x), Some(y)) => y.abs().total_cmp(&x.abs()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Comparison {
        base_hits: pairs.iter().filter(|d| hit(&d.base)).count(),
        other_hits: pairs.iter().filter(|d| hit(&d.other)).count(),
        gained,
        lost,
        shared,
    }
}

/// The lists the compare view shows, Tab cycling.
pub const COMPARE_TABS: [&str; 3] = ["gained", "lost", "Δβ"];

#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub base: PathBuf,
    pub other: PathBuf,
    pub comparison: Comparison,
    /// Descriptions of the columns, from both studies' dictionaries (the other's first).
    pub labels: HashMap<String, ColumnLabel>,
    pub tab: usize,
    pub selected: usize,
}

impl CompareView {
    pub fn new(
        base: PathBuf,
        other: PathBuf,
        base_table: &AssociationTable,
        other_table: &AssociationTable,
    ) -> CompareView {
        let mut labels = base_table.labels.clone();
        labels.extend(other_table.labels.clone());
        CompareView {
            base,
            other,
            comparison: compare(&base_table.rows, &other_table.rows),
            labels,
            tab: 0,
            selected: 0,
        }
    }

    /// The pairs of the tab shown.
    pub fn rows(&self) -> &[PairDiff] {
        match self.tab {
            0 => &self.comparison.gained,
            1 => &self.comparison.lost,
            _ => &self.comparison.shared,
        }
    }
}

impl App {
    pub(super) fn compare_key(&mut self, code: KeyCode) -> Vec<Effect> {
        let Some(c) = self.compare.as_mut() else {
            return self.back_to_list();
        };
        let last = c.rows().len().saturating_sub(1);
        match code {
            KeyCode::Esc | KeyCode::Backspace => return self.back_to_list(),
            KeyCode::Tab | KeyCode::Right => {
                c.tab = (c.tab + 1) % COMPARE_TABS.len();
                c.selected = 0;
            }
            KeyCode::BackTab | KeyCode::Left => {
                c.tab = (c.tab + COMPARE_TABS.len() - 1) % COMPARE_TABS.len();
                c.selected = 0;
            }
            KeyCode::Char(d @ '1'..='3') => {
                c.tab = usize::from(d as u8 - b'1');
                c.selected = 0;
            }
            KeyCode::Down | KeyCode::Char('j') => c.selected = (c.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => c.selected = c.selected.saturating_sub(1),
            KeyCode::PageDown => c.selected = (c.selected + 10).min(last),
            KeyCode::PageUp => c.selected = c.selected.saturating_sub(10),
            KeyCode::Home => c.selected = 0,
            KeyCode::End => c.selected = last,
            _ => {}
        }
        vec![]
    }
}
