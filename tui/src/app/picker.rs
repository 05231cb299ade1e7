//! The wizard's column picker: the dictionary's roles, categories and single columns, found by
//! typing (every word must match the id, description, category or role), ticked with Space.
//! Its picks are a LIST as STUDY.toml takes it: role and category names, and column names.

use std::collections::HashSet;

use super::*;
use crate::model::{DictColumn, WizardDictionary};

/// One thing a picker offers: a whole role, a category, or one column.
#[derive(Debug, Clone, PartialEq)]
pub struct PickItem {
    /// The name that goes into the LIST (a role, a category or a column).
    pub name: String,
    pub description: String,
    pub category: String,
    pub role: String,
    pub kind: PickKind,
    /// The columns it stands for (indices into the dictionary's columns).
    pub columns: Vec<usize>,
    /// Lower-case text the search looks in.
    haystack: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    Role,
    Category,
    Column,
}

/// The items of a dictionary: the roles (the CLI's defaults are roles), the categories, then
/// the columns, each in the dictionary's order.
pub(super) fn items(dictionary: &WizardDictionary) -> Vec<PickItem> {
    let columns = &dictionary.columns;
    let of = |keep: &dyn Fn(&DictColumn) -> bool| -> Vec<usize> {
        (0..columns.len()).filter(|&i| keep(&columns[i])).collect()
    };
    let mut items: Vec<PickItem> = dictionary
        .categories
        .iter()
        .map(|c| {
            let (kind, members, description) = if c.whole_role {
                (
                    PickKind::Role,
                    of(&|col| col.role == c.name),
                    format!("every {} column", c.name),
                )
            } else {
                (
                    PickKind::Category,
                    of(&|col| col.category == c.name),
                    format!("category, mostly {}", c.role),
                )
            };
            PickItem {
                name: c.name.clone(),
                description,
                category: if c.whole_role {
                    String::new()
                } else {
                    c.name.clone()
                },
                role: c.role.clone(),
                kind,
                columns: members,
                haystack: String::new(),
            }
        })
        .collect();
    items.extend(columns.iter().enumerate().map(|(i, c)| PickItem {
        name: c.name.clone(),
        description: c.description.clone(),
        category: c.category.clone(),
        role: c.role.clone(),
        kind: PickKind::Column,
        columns: vec![i],
        haystack: String::new(),
    }));
    for item in &mut items {
        item.haystack = [&item.name, &item.description, &item.category, &item.role]
            .map(|s| s.to_lowercase())
            .join("\n");
    }
    items
}

/// The role of the columns a page is about (they are listed first among the columns).
fn page_role(page: Assign) -> &'static str {
    match page {
        Assign::Phenotype => "imaging",
        Assign::Factor => "factor",
        _ => "covariate",
    }
}

/// One page of the picker: what is ticked, the search typed, and the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// The items in the order this page lists them (roles, categories, columns; in each,
    /// those of the page's role first).
    pub order: Vec<usize>,
    /// Ticked, per item.
    pub picked: Vec<bool>,
    pub search: String,
    /// Positions in `order` that the search shows.
    pub visible: Vec<usize>,
    /// The cursor, an index into `visible`.
    pub selected: usize,
}

impl Picker {
    /// A page with the CLI's default ticked: its whole role (`imaging`, `factor`,
    /// `covariate`).
    pub(super) fn new(items: &[PickItem], page: Assign) -> Picker {
        let role = page_role(page);
        // The page's own role first (the cursor starts on it), then each kind's items of
        // the page's role before the others.
        let rank = |it: &PickItem| {
            let kind = match it.kind {
                PickKind::Role => 0,
                PickKind::Category => 2,
                PickKind::Column => 4,
            };
            kind + usize::from(it.role != role)
        };
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| rank(&items[i]));
        let picked = items
            .iter()
            .map(|it| it.kind == PickKind::Role && Assign::from_role(&it.name) == page)
            .collect();
        let mut picker = Picker {
            order,
            picked,
            search: String::new(),
            visible: Vec::new(),
            selected: 0,
        };
        picker.set_search(String::new(), items);
        picker
    }

    /// The items shown, as indices into the items.
    pub fn shown(&self) -> impl Iterator<Item = usize> + '_ {
        self.visible.iter().map(|&k| self.order[k])
    }

    pub(super) fn set_search(&mut self, search: String, items: &[PickItem]) {
        let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
        self.visible = (0..self.order.len())
            .filter(|&k| {
                let hay = &items[self.order[k]].haystack;
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        self.search = search;
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// A key on the page: letters (and digits, punctuation) type the search, Space ticks
    /// the item under the cursor, arrows move. Enter, Esc and Tab are the wizard's.
    pub(super) fn key(&mut self, code: KeyCode, items: &[PickItem]) {
        let last = self.visible.len().saturating_sub(1);
        match code {
            KeyCode::Down => self.selected = (self.selected + 1).min(last),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => self.selected = (self.selected + 10).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = last,
            KeyCode::Char(' ') => {
                if let Some(&k) = self.visible.get(self.selected) {
                    let i = self.order[k];
                    self.picked[i] = !self.picked[i];
                }
            }
            KeyCode::Backspace => {
                let mut s = self.search.clone();
                s.pop();
                self.set_search(s, items);
            }
            KeyCode::Char(c) => {
                let s = format!("{}{c}", self.search);
                self.selected = 0;
                self.set_search(s, items);
            }
            _ => {}
        }
    }

    /// The ticked items' names in the items' order, comma-separated.
    pub fn list(&self, items: &[PickItem]) -> String {
        items
            .iter()
            .zip(&self.picked)
            .filter(|(_, &on)| on)
            .map(|(it, _)| it.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// (items ticked, distinct columns they cover).
    pub fn counts(&self, items: &[PickItem]) -> (usize, usize) {
        let mut columns = HashSet::new();
        let mut n = 0;
        for (it, _) in items.iter().zip(&self.picked).filter(|(_, &on)| on) {
            n += 1;
            columns.extend(it.columns.iter().copied());
        }
        (n, columns.len())
    }
}
