//! Loading a table for analysis: the columns wanted, read (Parquet in batches of columns,
//! each converted and released), the ids checked, every column cleaned, then the
//! near-duplicates dropped.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::catalog::{
    canonical_column_name, canonical_names, id_column_of, no_id_message, Catalog,
};
use super::clean::{convert_column, Converted};
use super::near_duplicates::drop_near_duplicates;
use super::table::{AnalysisTable, CleaningRules, LoadOptions};
use crate::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use crate::data::io::read_table;
use crate::error::StatsError;

/// Where the columns of a table come from: a frame in memory, or a Parquet file read in
/// batches of columns on demand.
struct ColumnSource {
    /// Column names as spelled in the file.
    names: Vec<String>,
    height: usize,
    slots: Vec<Option<Column>>,
    fetched: Vec<bool>,
    parquet: Option<std::path::PathBuf>,
}

const PARQUET_BATCH: usize = 64;

impl ColumnSource {
    fn frame(df: DataFrame) -> Self {
        let names = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>();
        let height = df.height();
        let slots: Vec<Option<Column>> = df.into_columns().into_iter().map(Some).collect();
        let fetched = vec![true; slots.len()];
        ColumnSource {
            names,
            height,
            slots,
            fetched,
            parquet: None,
        }
    }

    fn parquet(path: &Path, names: Vec<String>) -> Result<Self, StatsError> {
        let first = names.first().cloned().into_iter().collect::<Vec<_>>();
        let height = crate::data::io::read_table_columns(path, Some(&first))?.height();
        let count = names.len();
        Ok(ColumnSource {
            names,
            height,
            slots: vec![None; count],
            fetched: vec![false; count],
            parquet: Some(path.to_path_buf()),
        })
    }

    fn fetch(&mut self, index: usize) -> Result<(), StatsError> {
        let Some(path) = self.parquet.clone() else {
            return Ok(());
        };
        if self.fetched[index] {
            return Ok(());
        }
        let batch: Vec<usize> = (index..self.names.len())
            .filter(|i| !self.fetched[*i])
            .take(PARQUET_BATCH)
            .collect();
        let names: Vec<String> = batch.iter().map(|i| self.names[*i].clone()).collect();
        let df = crate::data::io::read_table_columns(&path, Some(&names))?;
        for (column, i) in df.into_columns().into_iter().zip(batch) {
            self.slots[i] = Some(column);
            self.fetched[i] = true;
        }
        Ok(())
    }

    /// A copy of a column (cheap: polars columns share their buffers).
    fn get(&mut self, index: usize) -> Result<Column, StatsError> {
        self.fetch(index)?;
        self.slots[index].clone().ok_or_else(|| {
            StatsError::Invalid(format!(
                "column '{}' was already consumed",
                self.names[index]
            ))
        })
    }

    /// Moves a column out, so its memory is released once it has been converted.
    fn take(&mut self, index: usize) -> Result<Option<Column>, StatsError> {
        self.fetch(index)?;
        Ok(self.slots[index].take())
    }
}

/// 2^63: the first whole number an `i64` cannot hold.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// Digits, maybe signed: a whole number however large (a CSV reader gives an id beyond 64
/// bits as this text).
fn is_whole(text: &str) -> bool {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn too_large(id: &str) -> String {
    format!(
        "participant id '{id}' is too large: ids must be whole numbers from {} to {}",
        i64::MIN,
        i64::MAX
    )
}

impl AnalysisTable {
    /// Loads `data` with `dictionary`, recodes negative codes in coded fields to missing and
    /// applies the cleaning rules to factor fields.
    pub fn load(data: &Path, dictionary: &Path, rules: &CleaningRules) -> Result<Self, StatsError> {
        let options = LoadOptions {
            rules: *rules,
            ..LoadOptions::default()
        };
        Self::load_with(data, Some(dictionary), &options)
    }

    /// Loads a table (CSV, TSV or Parquet) with an optional dictionary. Without one, every
    /// column other than the id is typed by [`crate::data::typing`] and given the role `factor`.
    pub fn load_with(
        data: &Path,
        dictionary: Option<&Path>,
        options: &LoadOptions,
    ) -> Result<Self, StatsError> {
        let dictionary = dictionary.map(Dictionary::read_csv).transpose()?;
        let catalog = Catalog::new(
            crate::data::io::read_column_names(data)?,
            dictionary,
            options.id_column.as_deref(),
            &data.display().to_string(),
        )?;
        Self::load_catalog(data, &catalog, options)
    }

    /// Loads `data` described by an already-read `catalog` (its header and dictionary):
    /// `options.columns` (or every column) plus the id.
    pub fn load_catalog(
        data: &Path,
        catalog: &Catalog,
        options: &LoadOptions,
    ) -> Result<Self, StatsError> {
        // A CSV or TSV file's text is checked as it is read (`data::sniff`), before polars
        // parses it, so that its errors name the line, row and column.
        let format = crate::data::io::TableFormat::from_path(data)?;
        let started = std::time::Instant::now();
        let mut dictionary = catalog.dictionary.clone();
        let raw: Vec<String> = match &options.columns {
            None => catalog.raw_names.clone(),
            Some(wanted) => {
                let wanted: std::collections::HashSet<&str> = wanted
                    .iter()
                    .map(String::as_str)
                    .chain([catalog.id.as_str()])
                    .collect();
                if let Some(d) = dictionary.as_mut() {
                    d.entries.retain(|e| {
                        e.role == Role::Id
                            || wanted.contains(canonical_column_name(&e.column).as_str())
                    });
                }
                catalog
                    .raw_names
                    .iter()
                    .zip(&catalog.columns)
                    .filter(|(_, c)| wanted.contains(c.as_str()))
                    .map(|(r, _)| r.clone())
                    .collect()
            }
        };
        // Parquet is read in batches of columns, each converted and released before the next
        // is read, so the raw table never sits in memory beside the converted one.
        let source = match (format, &options.columns) {
            (crate::data::io::TableFormat::Parquet, _) => ColumnSource::parquet(data, raw)?,
            (_, None) => ColumnSource::frame(read_table(data)?),
            (_, Some(_)) => {
                ColumnSource::frame(crate::data::io::read_table_columns(data, Some(&raw))?)
            }
        };
        let table = Self::from_source(source, dictionary, options, &data.display().to_string())?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            rows = table.n_rows(),
            columns = table.columns.len(),
            "loaded the table"
        );
        Ok(table)
    }

    pub fn from_frame(
        df: &DataFrame,
        dictionary: Dictionary,
        rules: &CleaningRules,
        file: &str,
    ) -> Result<Self, StatsError> {
        let options = LoadOptions {
            rules: *rules,
            ..LoadOptions::default()
        };
        Self::from_frame_with(df.clone(), Some(dictionary), &options, file)
    }

    /// Takes the frame by value: each column is released as soon as it is converted, so the
    /// peak memory is about one copy of the data, not two.
    pub fn from_frame_with(
        df: DataFrame,
        dictionary: Option<Dictionary>,
        options: &LoadOptions,
        file: &str,
    ) -> Result<Self, StatsError> {
        Self::from_source(ColumnSource::frame(df), dictionary, options, file)
    }

    fn from_source(
        mut source: ColumnSource,
        dictionary: Option<Dictionary>,
        options: &LoadOptions,
        file: &str,
    ) -> Result<Self, StatsError> {
        let input_error = |message: String| StatsError::Input {
            file: file.to_string(),
            message,
        };
        // Data rows are reported as 1-based rows of the table (for CSV, the header is line 1
        // and data row r is line r + 1).
        let at = |row: usize, column: &str, message: String| StatsError::InputAt {
            file: file.to_string(),
            row: row + 1,
            column: column.to_string(),
            message,
        };

        // Canonical column names, refusing two columns that mean the same field.
        let raw_names = source.names.clone();
        let names = canonical_names(&raw_names, file)?;
        let by_name: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let given_dictionary = dictionary.is_some();
        let mut dictionary = dictionary.unwrap_or_default();
        for entry in &mut dictionary.entries {
            entry.column = canonical_column_name(&entry.column);
        }

        let id_column = id_column_of(options.id_column.as_deref(), Some(&dictionary), |c| {
            by_name.contains_key(c)
        })
        .ok_or_else(|| input_error(no_id_message()))?;
        let id_index = *by_name
            .get(&id_column)
            .ok_or_else(|| input_error(format!("id column '{id_column}' is not in the data")))?;
        let id_series = source.get(id_index)?;
        // A float column casts to whole numbers by truncation: 12.5 would silently become
        // participant 12. Ids are whole numbers or an error naming the row.
        if id_series.dtype().is_float() {
            let cast = id_series
                .cast(&DataType::Float64)
                .map_err(|e| input_error(e.to_string()))?;
            let floats = cast.f64().map_err(|e| input_error(e.to_string()))?;
            let fractional = floats.iter().enumerate().find_map(|(row, v)| {
                v.filter(|v| v.fract() != 0.0 || !v.is_finite() || v.abs() >= I64_BOUND)
                    .map(|v| (row, v))
            });
            if let Some((row, value)) = fractional {
                return Err(at(
                    row,
                    &id_column,
                    if value.is_finite() && value.fract() == 0.0 {
                        too_large(&value.to_string())
                    } else {
                        format!("participant id '{value}' is not a whole number")
                    },
                ));
            }
        }
        let ids_series = id_series.cast(&DataType::Int64).map_err(|e| {
            input_error(format!(
                "column '{id_column}': participant ids must be whole numbers ({e})"
            ))
        })?;
        let ids_ca = ids_series.i64().map_err(|e| input_error(e.to_string()))?;
        let original = id_series.cast(&DataType::String).ok();
        let mut ids = Vec::with_capacity(source.height);
        let mut seen = HashMap::with_capacity(source.height);
        for (row, id) in ids_ca.iter().enumerate() {
            let id = match id {
                Some(id) => id,
                None => {
                    let text = original
                        .as_ref()
                        .and_then(|c| c.str().ok().and_then(|s| s.get(row).map(str::to_string)));
                    return Err(at(
                        row,
                        &id_column,
                        match text {
                            Some(t) if is_whole(&t) => too_large(t.trim()),
                            Some(t) => format!("participant id '{t}' is not a whole number"),
                            None => "missing participant id".into(),
                        },
                    ));
                }
            };
            if let Some(first) = seen.insert(id, row) {
                return Err(at(
                    row,
                    &id_column,
                    format!(
                        "duplicate participant id {id} (first seen on row {})",
                        first + 1
                    ),
                ));
            }
            ids.push(id);
        }

        // Every dictionary column must exist; data columns without an entry are described by
        // the typing tree.
        // (No dictionary row in the message: the entries here may be a selection of them.)
        for entry in &dictionary.entries {
            if entry.role != Role::Id && !by_name.contains_key(&entry.column) {
                return Err(input_error(format!(
                    "the dictionary describes column '{}', which is not in the data",
                    entry.column
                )));
            }
        }
        let described: std::collections::HashSet<String> = dictionary
            .entries
            .iter()
            .map(|e| e.column.clone())
            .collect();
        let mut undescribed = Vec::new();
        for name in &names {
            if *name != id_column && !described.contains(name) {
                undescribed.push(name.clone());
            }
        }
        if !dictionary.entries.iter().any(|e| e.role == Role::Id) {
            dictionary.entries.insert(
                0,
                DictionaryEntry {
                    column: id_column.clone(),
                    field_id: None,
                    description: "Participant identifier".into(),
                    category: String::new(),
                    value_type: ValueType::Integer,
                    coding: String::new(),
                    role: Role::Id,
                },
            );
        }

        let n = source.height;
        let mut columns = Vec::new();
        let mut flow = Vec::new();
        let mut pending: Vec<(String, Option<ValueType>, Role)> = dictionary
            .entries
            .iter()
            .filter(|e| e.role != Role::Id)
            .map(|e| (e.column.clone(), Some(e.value_type), e.role))
            .collect();
        pending.extend(undescribed.iter().map(|c| (c.clone(), None, Role::Factor)));
        // Columns are converted in parallel a batch at a time (taking them from the source
        // stays sequential: Parquet is read in batches), then recorded in dictionary order.
        let threads = std::thread::available_parallelism()
            .map(|t| t.get())
            .unwrap_or(1)
            .min(8);
        for chunk in pending.chunks(64) {
            let mut taken = Vec::with_capacity(chunk.len());
            for (column, declared, role) in chunk {
                if let Some(series) = source.take(by_name[column])? {
                    taken.push((series, column.clone(), *declared, *role));
                }
            }
            let per_thread = taken.len().div_ceil(threads).max(1);
            let converted: Vec<Result<Converted, StatsError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = taken
                    .chunks(per_thread)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter()
                                .map(|(series, column, declared, role)| {
                                    convert_column(
                                        series,
                                        column,
                                        *declared,
                                        *role,
                                        options,
                                        given_dictionary,
                                        file,
                                        n,
                                    )
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            for item in converted {
                let Converted {
                    entry,
                    flow: flow_entry,
                    column,
                } = item?;
                if let Some(entry) = entry {
                    dictionary.entries.push(entry);
                }
                flow.push(flow_entry);
                if let Some(column) = column {
                    columns.push(column);
                }
            }
        }
        let started = std::time::Instant::now();
        drop_near_duplicates(
            &mut columns,
            &mut flow,
            &dictionary,
            options.rules.duplicate_r,
        );
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "near-duplicate check"
        );
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
