//! A cohort ready for statistics (numeric columns by name, its dictionary and the flow log),
//! and the rules and options it is loaded under. Plain data that the other files of the room
//! build on; this file imports none of them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::dictionary::{Dictionary, Role, ValueType};

/// Cleaning thresholds of Bai et al. 2020.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CleaningRules {
    /// Drop a field when more than this share of its values is missing.
    pub max_missing: f64,
    /// Drop a field when its most common value has at least this share.
    pub max_identical: f64,
    /// Drop the second of two fields whose |Pearson r| exceeds this.
    pub duplicate_r: f64,
}

impl Default for CleaningRules {
    fn default() -> Self {
        CleaningRules {
            max_missing: 0.90,
            max_identical: 0.95,
            duplicate_r: 0.9999,
        }
    }
}

/// What happened to one column on its way into the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowEntry {
    pub column: String,
    pub role: Role,
    pub kept: bool,
    /// Values turned into missing because they were negative UK Biobank codes.
    pub recoded_to_missing: usize,
    /// Values turned into missing because no model can use them (infinite, or beyond
    /// [`super::clean::MAX_USABLE`]).
    #[serde(default)]
    pub unusable_to_missing: usize,
    pub missing_share: f64,
    pub reason: String,
}

/// How to read a cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// The participant id column (default: the dictionary's `id` role, else `eid`, `f.eid`,
    /// `id`, `participant_id` or `IID`).
    pub id_column: Option<String>,
    /// Turn negative values of coded (whole-number, non-continuous) fields into missing.
    pub negative_codes_to_missing: bool,
    pub rules: CleaningRules,
    /// Load only these columns (canonical names) besides the id; `None` loads every column.
    /// Reading fewer columns of a wide extract saves both time and memory.
    pub columns: Option<Vec<String>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            id_column: None,
            negative_codes_to_missing: true,
            rules: CleaningRules::default(),
            columns: None,
        }
    }
}

/// A numeric column; missing values are NaN. Text categories are stored as codes 1..=L with
/// their labels in `levels`.
#[derive(Debug, Clone)]
pub struct NumericColumn {
    pub name: String,
    pub values: Vec<f64>,
    pub value_type: ValueType,
    pub levels: Option<Vec<String>>,
}

/// A cohort ready for statistics: numeric columns by name plus its dictionary and flow log.
#[derive(Debug, Clone)]
pub struct AnalysisTable {
    pub ids: Vec<i64>,
    pub columns: Vec<NumericColumn>,
    pub(super) index: HashMap<String, usize>,
    pub dictionary: Dictionary,
    pub flow: Vec<FlowEntry>,
}

impl AnalysisTable {
    pub fn n_rows(&self) -> usize {
        self.ids.len()
    }

    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.index
            .get(name)
            .map(|i| self.columns[*i].values.as_slice())
    }

    /// The table restricted to `rows` (indices, in the order given): the same columns,
    /// dictionary and flow log, so that what was decided about the columns on the whole cohort
    /// holds for the part. Used to let the panel look at the discovery part of a
    /// discovery/validation split ([`crate::cohort::split`]) only. Indices beyond the table are
    /// ignored.
    pub fn subset(&self, rows: &[usize]) -> AnalysisTable {
        let rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| i < self.n_rows())
            .collect();
        AnalysisTable {
            ids: rows.iter().map(|&i| self.ids[i]).collect(),
            columns: self
                .columns
                .iter()
                .map(|c| NumericColumn {
                    name: c.name.clone(),
                    values: rows.iter().map(|&i| c.values[i]).collect(),
                    value_type: c.value_type,
                    levels: c.levels.clone(),
                })
                .collect(),
            index: self.index.clone(),
            dictionary: self.dictionary.clone(),
            flow: self.flow.clone(),
        }
    }

    pub fn numeric_column(&self, name: &str) -> Option<&NumericColumn> {
        self.index.get(name).map(|i| &self.columns[*i])
    }

    /// Kept columns with a role, in dictionary order.
    pub fn kept_with_role(&self, role: Role) -> Vec<String> {
        self.dictionary
            .entries
            .iter()
            .filter(|e| e.role == role && self.index.contains_key(&e.column))
            .map(|e| e.column.clone())
            .collect()
    }

    /// Kept columns whose dictionary category (case-insensitive) is `category`.
    pub fn kept_in_category(&self, category: &str) -> Vec<String> {
        self.dictionary
            .entries
            .iter()
            .filter(|e| {
                e.category.eq_ignore_ascii_case(category) && self.index.contains_key(&e.column)
            })
            .map(|e| e.column.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::LoadOptions;

    #[test]
    fn subset_keeps_columns_and_picks_rows() {
        let df = polars::df!(
            "eid" => [10i64, 11, 12, 13],
            "x" => [1.0f64, 2.0, f64::NAN, 4.0],
            "y" => [0i64, 1, 0, 1]
        )
        .unwrap();
        let t = AnalysisTable::from_frame_with(df, None, &LoadOptions::default(), "t").unwrap();
        let part = t.subset(&[3, 1, 99]);
        assert_eq!(part.ids, vec![13, 11]);
        assert_eq!(part.column("x").unwrap(), &[4.0, 2.0]);
        assert_eq!(part.column("y").unwrap(), &[1.0, 1.0]);
        assert_eq!(part.dictionary, t.dictionary);
        assert_eq!(part.flow.len(), t.flow.len());
        assert_eq!(t.n_rows(), 4, "the whole table is unchanged");
    }
}
