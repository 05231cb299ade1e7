//! Loading a cohort for analysis: the table, its dictionary, UK Biobank missing codes and the
//! Bai 2020 cleaning rules, with a flow log saying what happened to every column and why.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dictionary::{Dictionary, Role, ValueType};
use crate::error::StatsError;
use crate::io::read_table;

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
    pub missing_share: f64,
    pub reason: String,
}

/// A numeric column; missing values are NaN.
#[derive(Debug, Clone)]
pub struct NumericColumn {
    pub name: String,
    pub values: Vec<f64>,
}

/// A cohort ready for statistics: numeric columns by name plus its dictionary and flow log.
#[derive(Debug, Clone)]
pub struct AnalysisTable {
    pub ids: Vec<i64>,
    pub columns: Vec<NumericColumn>,
    index: HashMap<String, usize>,
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

    /// Kept columns with a role, in dictionary order.
    pub fn kept_with_role(&self, role: Role) -> Vec<String> {
        self.dictionary
            .entries
            .iter()
            .filter(|e| e.role == role && self.index.contains_key(&e.column))
            .map(|e| e.column.clone())
            .collect()
    }

    /// Loads `data` with `dictionary`, recodes negative codes in coded fields to missing and
    /// applies the cleaning rules to factor fields.
    pub fn load(data: &Path, dictionary: &Path, rules: &CleaningRules) -> Result<Self, StatsError> {
        let dictionary = Dictionary::read_csv(dictionary)?;
        let df = read_table(data)?;
        Self::from_frame(&df, dictionary, rules, &data.display().to_string())
    }

    pub fn from_frame(
        df: &DataFrame,
        dictionary: Dictionary,
        rules: &CleaningRules,
        file: &str,
    ) -> Result<Self, StatsError> {
        let input_error = |message: String| StatsError::Input {
            file: file.to_string(),
            message,
        };
        let id_column = dictionary
            .entries
            .iter()
            .find(|e| e.role == Role::Id)
            .ok_or_else(|| input_error("the dictionary names no column with role 'id'".into()))?
            .column
            .clone();
        let ids_series = df
            .column(&id_column)
            .map_err(|_| input_error(format!("id column '{id_column}' is not in the data")))?
            .cast(&DataType::Int64)
            .map_err(|e| input_error(format!("column '{id_column}': {e}")))?;
        let ids_ca = ids_series.i64().map_err(|e| input_error(e.to_string()))?;
        let mut ids = Vec::with_capacity(df.height());
        let mut seen = HashMap::with_capacity(df.height());
        for (row, id) in ids_ca.iter().enumerate() {
            let id = id.ok_or_else(|| StatsError::InputAt {
                file: file.into(),
                row: row + 2,
                column: id_column.clone(),
                message: "missing participant id".into(),
            })?;
            if let Some(first) = seen.insert(id, row) {
                return Err(StatsError::InputAt {
                    file: file.into(),
                    row: row + 2,
                    column: id_column.clone(),
                    message: format!(
                        "duplicate participant id {id} (first seen on row {})",
                        first + 2
                    ),
                });
            }
            ids.push(id);
        }

        let n = df.height();
        let mut columns = Vec::new();
        let mut flow = Vec::new();
        for entry in &dictionary.entries {
            if entry.role == Role::Id {
                continue;
            }
            let Ok(series) = df.column(&entry.column) else {
                return Err(input_error(format!(
                    "column '{}' is in the dictionary but not in the data",
                    entry.column
                )));
            };
            let cast = series
                .cast(&DataType::Float64)
                .map_err(|e| input_error(format!("column '{}': {e}", entry.column)))?;
            let ca = cast.f64().map_err(|e| input_error(e.to_string()))?;
            let coded = entry.value_type != ValueType::Continuous;
            let mut recoded = 0usize;
            let values: Vec<f64> = ca
                .iter()
                .map(|v| match v {
                    Some(x) if coded && x < 0.0 => {
                        recoded += 1;
                        f64::NAN
                    }
                    Some(x) => x,
                    None => f64::NAN,
                })
                .collect();
            let missing = values.iter().filter(|v| v.is_nan()).count();
            let missing_share = missing as f64 / n.max(1) as f64;
            let mut kept = true;
            let mut reason = String::from("kept");
            if entry.role == Role::Factor {
                if missing_share > rules.max_missing {
                    kept = false;
                    reason = format!(
                        "{:.1}% missing (more than {:.0}%)",
                        100.0 * missing_share,
                        100.0 * rules.max_missing
                    );
                } else if let Some(share) = most_common_share(&values) {
                    if share >= rules.max_identical {
                        kept = false;
                        reason = format!(
                            "{:.1}% of values identical (at least {:.0}%)",
                            100.0 * share,
                            100.0 * rules.max_identical
                        );
                    }
                } else {
                    kept = false;
                    reason = "no values".into();
                }
            }
            flow.push(FlowEntry {
                column: entry.column.clone(),
                role: entry.role,
                kept,
                recoded_to_missing: recoded,
                missing_share,
                reason,
            });
            if kept {
                columns.push(NumericColumn {
                    name: entry.column.clone(),
                    values,
                });
            }
        }
        drop_near_duplicates(&mut columns, &mut flow, &dictionary, rules.duplicate_r);
        let index = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        Ok(AnalysisTable {
            ids,
            columns,
            index,
            dictionary,
            flow,
        })
    }
}

fn most_common_share(values: &[f64]) -> Option<f64> {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    let mut total = 0usize;
    for v in values.iter().filter(|v| !v.is_nan()) {
        *counts.entry(v.to_bits()).or_default() += 1;
        total += 1;
    }
    let max = counts.values().copied().max()?;
    Some(max as f64 / total as f64)
}

/// Pearson r over rows where both are present.
pub fn pairwise_r(a: &[f64], b: &[f64]) -> Option<(f64, usize)> {
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if !x.is_nan() && !y.is_nan() {
            n += 1;
            sa += x;
            sb += y;
        }
    }
    if n < 3 {
        return None;
    }
    let (ma, mb) = (sa / n as f64, sb / n as f64);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if !x.is_nan() && !y.is_nan() {
            let (dx, dy) = (x - ma, y - mb);
            sab += dx * dy;
            saa += dx * dx;
            sbb += dy * dy;
        }
    }
    if saa <= 0.0 || sbb <= 0.0 {
        return None;
    }
    Some((sab / (saa * sbb).sqrt(), n))
}

/// Drops the later of any two factor columns with |r| above the threshold. A cheap check on
/// the first rows screens candidate pairs so the full check runs only on likely duplicates.
fn drop_near_duplicates(
    columns: &mut Vec<NumericColumn>,
    flow: &mut [FlowEntry],
    dictionary: &Dictionary,
    threshold: f64,
) {
    let is_factor = |name: &str| {
        dictionary
            .get(name)
            .map(|e| e.role == Role::Factor)
            .unwrap_or(false)
    };
    let factor_idx: Vec<usize> = (0..columns.len())
        .filter(|i| is_factor(&columns[*i].name))
        .collect();
    let probe = columns
        .first()
        .map(|c| c.values.len().min(400))
        .unwrap_or(0);
    let mut dropped: Vec<(usize, String)> = Vec::new();
    for (a_pos, &a) in factor_idx.iter().enumerate() {
        if dropped.iter().any(|(d, _)| *d == a) {
            continue;
        }
        for &b in &factor_idx[a_pos + 1..] {
            if dropped.iter().any(|(d, _)| *d == b) {
                continue;
            }
            let quick = pairwise_r(&columns[a].values[..probe], &columns[b].values[..probe]);
            if !matches!(quick, Some((r, _)) if r.abs() > 0.99) {
                continue;
            }
            if let Some((r, _)) = pairwise_r(&columns[a].values, &columns[b].values) {
                if r.abs() > threshold {
                    dropped.push((
                        b,
                        format!("near-duplicate of '{}' (r = {:.6})", columns[a].name, r),
                    ));
                }
            }
        }
    }
    for (index, reason) in &dropped {
        if let Some(f) = flow.iter_mut().find(|f| f.column == columns[*index].name) {
            f.kept = false;
            f.reason = reason.clone();
        }
    }
    let drop: std::collections::HashSet<usize> = dropped.into_iter().map(|(i, _)| i).collect();
    let mut k = 0;
    columns.retain(|_| {
        let keep = !drop.contains(&k);
        k += 1;
        keep
    });
}
