//! Loading a cohort for analysis: the table, its dictionary, UK Biobank missing codes and the
//! Bai 2020 cleaning rules, with a flow log saying what happened to every column and why.

pub mod split;

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use crate::data::io::read_table;
use crate::error::StatsError;

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

/// A numeric column; missing values are NaN. Text categories are stored as codes 1..=L with
/// their labels in `levels`.
#[derive(Debug, Clone)]
pub struct NumericColumn {
    pub name: String,
    pub values: Vec<f64>,
    pub value_type: ValueType,
    pub levels: Option<Vec<String>>,
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

const ID_CANDIDATES: [&str; 5] = ["eid", "f.eid", "id", "participant_id", "IID"];

/// UK Biobank column styles to one canonical form: `f.21001.2.0` (R exports) and
/// `x21001_2_0` (PHESANT) become the Showcase form `21001-2.0`; other names are unchanged.
pub fn canonical_column_name(name: &str) -> String {
    let parse = |body: &str, sep: char| -> Option<String> {
        let parts: Vec<&str> = body.split(sep).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            Some(format!("{}-{}.{}", parts[0], parts[1], parts[2]))
        } else {
            None
        }
    };
    if let Some(body) = name.strip_prefix("f.") {
        if let Some(c) = parse(body, '.') {
            return c;
        }
    }
    if let Some(body) = name.strip_prefix('x') {
        if let Some(c) = parse(body, '_') {
            return c;
        }
    }
    name.to_string()
}

/// The participant id column: the one named by the user, else the dictionary's `id` role,
/// else the first of the usual names that `exists`.
fn id_column_of(
    named: Option<&str>,
    dictionary: Option<&Dictionary>,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(id) = named {
        return Some(canonical_column_name(id));
    }
    if let Some(e) = dictionary.and_then(|d| d.entries.iter().find(|e| e.role == Role::Id)) {
        return Some(canonical_column_name(&e.column));
    }
    ID_CANDIDATES
        .iter()
        .map(|c| canonical_column_name(c))
        .find(|c| exists(c))
}

fn no_id_message() -> String {
    format!("no participant id column: name it with --id, or give it the role 'id' in the dictionary (looked for {})", ID_CANDIDATES.join(", "))
}

/// The columns of a table and what the dictionary says of them, known before any data is
/// read: enough to resolve the column lists of a command.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Canonical column names, in file order.
    pub columns: Vec<String>,
    /// The names as spelled in the file.
    pub raw_names: Vec<String>,
    pub dictionary: Option<Dictionary>,
    /// The participant id column (canonical).
    pub id: String,
}

impl Catalog {
    /// Reads the header (or Parquet schema) and the dictionary.
    pub fn open(
        data: &Path,
        dictionary: Option<&Path>,
        id_column: Option<&str>,
    ) -> Result<Self, StatsError> {
        let dictionary = dictionary.map(Dictionary::read_csv).transpose()?;
        Catalog::new(
            crate::data::io::read_column_names(data)?,
            dictionary,
            id_column,
            &data.display().to_string(),
        )
    }

    pub fn new(
        raw_names: Vec<String>,
        dictionary: Option<Dictionary>,
        id_column: Option<&str>,
        file: &str,
    ) -> Result<Self, StatsError> {
        let columns: Vec<String> = raw_names.iter().map(|n| canonical_column_name(n)).collect();
        let id = id_column_of(id_column, dictionary.as_ref(), |c| {
            columns.iter().any(|x| x == c)
        })
        .ok_or_else(|| StatsError::Input {
            file: file.to_string(),
            message: no_id_message(),
        })?;
        Ok(Catalog {
            columns,
            raw_names,
            dictionary,
            id,
        })
    }

    pub fn role(&self, column: &str) -> Role {
        if column == self.id {
            return Role::Id;
        }
        self.entry(column).map(|e| e.role).unwrap_or(Role::Factor)
    }

    pub fn entry(&self, column: &str) -> Option<&DictionaryEntry> {
        self.dictionary
            .as_ref()?
            .entries
            .iter()
            .find(|e| canonical_column_name(&e.column) == column)
    }
}

/// One column, converted, typed and judged by the cleaning rules.
struct Converted {
    /// A dictionary entry for a column the dictionary did not describe.
    entry: Option<DictionaryEntry>,
    flow: FlowEntry,
    column: Option<NumericColumn>,
}

#[allow(clippy::too_many_arguments)]
fn convert_column(
    series: &Column,
    column: &str,
    declared: Option<ValueType>,
    role: Role,
    options: &LoadOptions,
    given_dictionary: bool,
    file: &str,
    n: usize,
) -> Result<Converted, StatsError> {
    let column = column.to_string();
    let (mut values, levels) = numeric_values(series, &column, declared, file)?;
    let coded = match declared {
        Some(t) => t != ValueType::Continuous,
        None => levels.is_none() && crate::data::typing::is_whole(&values),
    };
    let mut recoded = 0usize;
    if options.negative_codes_to_missing && coded && levels.is_none() {
        for v in values.iter_mut() {
            let negative = *v < 0.0;
            recoded += negative as usize;
            *v = if negative { f64::NAN } else { *v };
        }
    }
    let value_type = match (declared, &levels) {
        (Some(t), _) => t,
        (None, Some(_)) => ValueType::Categorical,
        (None, None) => crate::data::typing::infer_numeric(&values),
    };
    let missing = values.iter().filter(|v| v.is_nan()).count();
    let missing_share = missing as f64 / n.max(1) as f64;
    let mut kept = true;
    let mut reason = if given_dictionary && declared.is_none() {
        format!("kept; not in the dictionary, typed {value_type} from its values")
    } else {
        String::from("kept")
    };
    if role == Role::Factor {
        if missing_share > options.rules.max_missing {
            kept = false;
            reason = format!(
                "{:.1}% missing (more than {:.0}%)",
                100.0 * missing_share,
                100.0 * options.rules.max_missing
            );
        } else if values.iter().all(|v| v.is_nan()) {
            kept = false;
            reason = "no values".into();
        } else if let Some(share) = dominant_share(&values, options.rules.max_identical) {
            kept = false;
            reason = format!(
                "{:.1}% of values identical (at least {:.0}%)",
                100.0 * share,
                100.0 * options.rules.max_identical
            );
        }
    }
    let entry = declared.is_none().then(|| DictionaryEntry {
        column: column.clone(),
        field_id: None,
        description: String::new(),
        category: String::new(),
        value_type,
        coding: String::new(),
        role,
    });
    let flow = FlowEntry {
        column: column.clone(),
        role,
        kept,
        recoded_to_missing: recoded,
        missing_share,
        reason,
    };
    let column = kept.then_some(NumericColumn {
        name: column,
        values,
        value_type,
        levels,
    });
    Ok(Converted {
        entry,
        flow,
        column,
    })
}

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
        let format = crate::data::io::TableFormat::from_path(data)?;
        if matches!(
            format,
            crate::data::io::TableFormat::Csv | crate::data::io::TableFormat::Tsv
        ) {
            crate::data::io::check_delimited(data)?;
        }
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
        let mut names: Vec<String> = Vec::with_capacity(raw_names.len());
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, raw) in raw_names.iter().enumerate() {
            let name = canonical_column_name(raw);
            if let Some(first) = by_name.insert(name.clone(), i) {
                return Err(input_error(format!(
                    "columns '{}' and '{}' both name '{name}'",
                    raw_names[first], raw
                )));
            }
            names.push(name);
        }
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
        for (k, entry) in dictionary.entries.iter().enumerate() {
            if entry.role != Role::Id && !by_name.contains_key(&entry.column) {
                return Err(input_error(format!(
                    "column '{}' (dictionary row {}) is not in the data",
                    entry.column,
                    k + 2
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

/// The values of a primitive chunked array as f64 (NaN where null), chunk by chunk.
macro_rules! chunk_values {
    ($ca:expr, $to_f64:expr) => {{
        let to_f64 = $to_f64;
        let mut out: Vec<f64> = Vec::with_capacity($ca.len());
        for array in $ca.downcast_iter() {
            let values = array.values().as_slice();
            let start = out.len();
            out.extend(values.iter().map(|&v| to_f64(v)));
            if let Some(validity) = array.validity().filter(|v| v.unset_bits() > 0) {
                // The nulls, found 64 at a time in the validity bits.
                let converted = &mut out[start..];
                let mut words = validity.chunks::<u64>();
                let mut at = 0;
                for word in words.by_ref() {
                    let mut nulls = !word;
                    while nulls != 0 {
                        converted[at + nulls.trailing_zeros() as usize] = f64::NAN;
                        nulls &= nulls - 1;
                    }
                    at += 64;
                }
                let tail = words.remainder();
                for bit in 0..words.remainder_len() {
                    if tail & (1u64 << bit) == 0 {
                        converted[at + bit] = f64::NAN;
                    }
                }
            }
        }
        out
    }};
}

/// The values of a column as numbers (NaN = missing). Text columns that are numbers apart
/// from a few cells are an error naming the first bad cell; genuinely textual columns become
/// categories (codes 1..=L in sorted label order).
fn numeric_values(
    series: &Column,
    column: &str,
    declared: Option<ValueType>,
    file: &str,
) -> Result<(Vec<f64>, Option<Vec<String>>), StatsError> {
    let at = |row: usize, message: String| StatsError::InputAt {
        file: file.to_string(),
        row: row + 1,
        column: column.to_string(),
        message,
    };
    // Float64 and Int64 (all a Parquet file of numbers holds) straight from their buffers:
    // the same values as the cast below (Int64 to Float64 is `as f64`), without an iterator
    // of options per value.
    if let Ok(ca) = series.f64() {
        return Ok((chunk_values!(ca, |v: f64| v), None));
    }
    if let Ok(ca) = series.i64() {
        return Ok((chunk_values!(ca, |v: i64| v as f64), None));
    }
    if series.dtype() != &DataType::String {
        let cast = series
            .cast(&DataType::Float64)
            .map_err(|e| StatsError::Input {
                file: file.into(),
                message: format!("column '{column}': {e}"),
            })?;
        let ca = cast.f64().map_err(|e| StatsError::Input {
            file: file.into(),
            message: e.to_string(),
        })?;
        return Ok((ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect(), None));
    }
    let ca = series.str().map_err(|e| StatsError::Input {
        file: file.into(),
        message: e.to_string(),
    })?;
    let mut values = Vec::with_capacity(ca.len());
    let mut first_bad: Option<(usize, String)> = None;
    let mut bad = 0usize;
    let mut present = 0usize;
    for (row, v) in ca.iter().enumerate() {
        match v.map(str::trim) {
            None | Some("") | Some("NA") | Some("NaN") | Some("nan") => values.push(f64::NAN),
            Some(text) => {
                present += 1;
                match text.parse::<f64>() {
                    Ok(x) => values.push(x),
                    Err(_) => {
                        bad += 1;
                        if first_bad.is_none() {
                            first_bad = Some((row, text.to_string()));
                        }
                        values.push(f64::NAN);
                    }
                }
            }
        }
    }
    let Some((row, text)) = first_bad else {
        return Ok((values, None));
    };
    let numeric_declared = matches!(declared, Some(t) if t != ValueType::Categorical);
    if numeric_declared || (bad as f64) < 0.05 * present as f64 {
        return Err(at(
            row,
            format!(
                "'{text}' is not a number ({bad} such cells in this column){}",
                if numeric_declared {
                    "; the dictionary declares it numeric"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut labels: Vec<String> = ca
        .iter()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "NA")
        .collect();
    labels.sort();
    labels.dedup();
    if labels.len() > crate::data::typing::MAX_TEXT_LEVELS && declared.is_none() {
        return Err(StatsError::Input { file: file.into(), message: format!("column '{column}' is free text ({} distinct values); give it a dictionary entry or leave it out", labels.len()) });
    }
    let codes: HashMap<&str, f64> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), (i + 1) as f64))
        .collect();
    let values = ca
        .iter()
        .map(|v| {
            v.map(str::trim)
                .and_then(|t| codes.get(t).copied())
                .unwrap_or(f64::NAN)
        })
        .collect();
    Ok((values, Some(labels)))
}

/// Share of the most common present value, when that share is at least `floor` (None when
/// no value reaches it, or nothing is present). Only a value above half the present values
/// can reach the floor: the Boyer-Moore majority candidate, so one pass finds it and a second
/// counts it; no hashing of every value of every column. Most columns of codes are settled
/// before that by counting their first present value: it is either that majority, or so
/// common that no other value can reach the floor.
fn dominant_share(values: &[f64], floor: f64) -> Option<f64> {
    debug_assert!(floor > 0.5);
    let total = values.iter().filter(|v| !v.is_nan()).count();
    let first = values.iter().copied().find(|v| !v.is_nan())?;
    let count_of = |c: f64| values.iter().filter(|v| **v == c).count();
    let share_of = |count: usize| count as f64 / total as f64;
    let count = count_of(first);
    if share_of(count) >= floor {
        return Some(share_of(count));
    }
    if share_of(total - count) < floor {
        return None;
    }
    let mut candidate = f64::NAN;
    let mut votes = 0usize;
    for &v in values.iter().filter(|v| !v.is_nan()) {
        if votes == 0 {
            candidate = v;
            votes = 1;
        } else if v == candidate {
            votes += 1;
        } else {
            votes -= 1;
        }
    }
    let share = share_of(count_of(candidate));
    (share >= floor).then_some(share)
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

/// Sums of [`probe_r_all`], kept between calls.
#[derive(Default)]
struct ProbeSums {
    n: Vec<f64>,
    sa: Vec<f64>,
    sb: Vec<f64>,
    sab: Vec<f64>,
    saa: Vec<f64>,
    sbb: Vec<f64>,
}

/// [`pairwise_r`] of `a` against every column from `first` on of the row-major `rows` (row
/// stride `stride`, as many rows as `a`), written to `out`. Each column's sums are exactly
/// those of `pairwise_r`, in the same row order: a row where `a` is missing is skipped, and
/// one where the other column is missing adds +0.0, which leaves a sum unchanged (the sums
/// start at +0.0 and so are never -0.0). Running along a row of `rows` vectorises.
fn probe_r_all(
    a: &[f64],
    rows: &[f64],
    stride: usize,
    first: usize,
    sums: &mut ProbeSums,
    out: &mut Vec<Option<(f64, usize)>>,
) {
    assert!(first <= stride && rows.len() >= a.len() * stride);
    let m = stride - first;
    let ProbeSums {
        n,
        sa,
        sb,
        sab,
        saa,
        sbb,
    } = sums;
    for v in [&mut *n, &mut *sa, &mut *sb, &mut *sab, &mut *saa, &mut *sbb] {
        v.clear();
        v.resize(m, 0.0);
    }
    let (n, sa, sb) = (&mut n[..m], &mut sa[..m], &mut sb[..m]);
    for (t, &x) in a.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        let ys = &rows[t * stride + first..(t + 1) * stride];
        for (((y, n), sa), sb) in ys.iter().zip(&mut *n).zip(&mut *sa).zip(&mut *sb) {
            // Masks rather than selects, so that the loop vectorises.
            let keep = (!y.is_nan() as u64).wrapping_neg();
            *n += f64::from_bits(1.0f64.to_bits() & keep);
            *sa += f64::from_bits(x.to_bits() & keep);
            *sb += f64::from_bits(y.to_bits() & keep);
        }
    }
    // The means, in place of the sums.
    for ((sa, sb), n) in sa.iter_mut().zip(sb.iter_mut()).zip(&*n) {
        *sa /= *n;
        *sb /= *n;
    }
    let (ma, mb) = (&*sa, &*sb);
    let (sab, saa, sbb) = (&mut sab[..m], &mut saa[..m], &mut sbb[..m]);
    for (t, &x) in a.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        let ys = &rows[t * stride + first..(t + 1) * stride];
        let (ma, mb, ys) = (&ma[..m], &mb[..m], &ys[..m]);
        for j in 0..m {
            let y = ys[j];
            let keep = (!y.is_nan() as u64).wrapping_neg();
            let (dx, dy) = (x - ma[j], y - mb[j]);
            sab[j] += f64::from_bits((dx * dy).to_bits() & keep);
            saa[j] += f64::from_bits((dx * dx).to_bits() & keep);
            sbb[j] += f64::from_bits((dy * dy).to_bits() & keep);
        }
    }
    out.clear();
    out.extend((0..m).map(|j| {
        let count = n[j] as usize;
        if count < 3 || saa[j] <= 0.0 || sbb[j] <= 0.0 {
            None
        } else {
            Some((sab[j] / (saa[j] * sbb[j]).sqrt(), count))
        }
    }));
}

const FULL_LANES: usize = 4;

/// [`pairwise_r`] of `L` pairs of columns at once, each lane with exactly its arithmetic
/// in the same order (a row where either value is missing adds +0.0, which leaves a sum
/// unchanged: the sums start at +0.0 and so are never -0.0).
#[allow(clippy::needless_range_loop)] // lanes by index
fn pairwise_r_lanes<const L: usize>(
    a_cols: [&[f64]; L],
    bs: [&[f64]; L],
) -> [Option<(f64, usize)>; L] {
    let len = a_cols[0].len();
    assert!(a_cols.iter().chain(&bs).all(|c| c.len() == len));
    let (mut n, mut sa, mut sb) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
    for i in 0..len {
        for l in 0..L {
            let (x, y) = (a_cols[l][i], bs[l][i]);
            let keep = ((!x.is_nan() & !y.is_nan()) as u64).wrapping_neg();
            n[l] += f64::from_bits(1.0f64.to_bits() & keep);
            sa[l] += f64::from_bits(x.to_bits() & keep);
            sb[l] += f64::from_bits(y.to_bits() & keep);
        }
    }
    let ma: [f64; L] = std::array::from_fn(|l| sa[l] / n[l]);
    let mb: [f64; L] = std::array::from_fn(|l| sb[l] / n[l]);
    let (mut sab, mut saa, mut sbb) = ([0.0f64; L], [0.0f64; L], [0.0f64; L]);
    for i in 0..len {
        for l in 0..L {
            let (x, y) = (a_cols[l][i], bs[l][i]);
            let keep = ((!x.is_nan() & !y.is_nan()) as u64).wrapping_neg();
            let (dx, dy) = (x - ma[l], y - mb[l]);
            sab[l] += f64::from_bits((dx * dy).to_bits() & keep);
            saa[l] += f64::from_bits((dx * dx).to_bits() & keep);
            sbb[l] += f64::from_bits((dy * dy).to_bits() & keep);
        }
    }
    std::array::from_fn(|l| {
        let count = n[l] as usize;
        if count < 3 || saa[l] <= 0.0 || sbb[l] <= 0.0 {
            None
        } else {
            Some((sab[l] / (saa[l] * sbb[l]).sqrt(), count))
        }
    })
}

/// [`pairwise_r`] computed over `rows` only: the ascending positions where one of the two
/// columns is present (a superset of those where both are), so the same sums in the same
/// order.
pub fn pairwise_r_at(a: &[f64], b: &[f64], rows: &[u32]) -> Option<(f64, usize)> {
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for &i in rows {
        let (x, y) = (a[i as usize], b[i as usize]);
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
    for &i in rows {
        let (x, y) = (a[i as usize], b[i as usize]);
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
        .map(|c| c.values.len().min(128))
        .unwrap_or(0);
    // The probe rows of every factor, row-major (probe x factors), so that the probe check of
    // one column against several later ones reads them side by side.
    let nf = factor_idx.len();
    let mut probe_rows = vec![0.0; probe * nf];
    for (j, &c) in factor_idx.iter().enumerate() {
        for (t, &v) in columns[c].values[..probe].iter().enumerate() {
            probe_rows[t * nf + j] = v;
        }
    }
    // All duplicate pairs, found in parallel (the pair scan is quadratic in the number of
    // factors), then dropped greedily in column order, exactly as a sequential scan would.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let columns_ref: &[NumericColumn] = columns;
    let mut pairs: Vec<(usize, usize, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let factor_idx = &factor_idx;
                let probe_rows = &probe_rows;
                scope.spawn(move || {
                    let mut found = Vec::new();
                    // Pairs the probe cannot rule out get the full check.
                    let mut candidates: Vec<usize> = Vec::new();
                    let mut dense: Vec<(usize, usize)> = Vec::new();
                    let (mut sums, mut quick) = (ProbeSums::default(), Vec::new());
                    let check =
                        |found: &mut Vec<(usize, usize, f64)>, a, b, full: Option<(f64, usize)>| {
                            if let Some((r, _)) = full {
                                if r.abs() > threshold {
                                    found.push((a, b, r));
                                }
                            }
                        };
                    // The present rows of the columns checked so far that are mostly missing.
                    let mut sparse_rows: HashMap<usize, Option<Vec<u32>>> = HashMap::new();
                    let sparse_of = |c: usize| -> Option<Vec<u32>> {
                        let values = &columns_ref[c].values;
                        let present = values.iter().filter(|v| !v.is_nan()).count();
                        (present * 4 <= values.len()).then(|| {
                            (0..values.len() as u32)
                                .filter(|&i| !values[i as usize].is_nan())
                                .collect()
                        })
                    };
                    // Too little overlap in the probe rows to judge: do the full check.
                    let ruled_out =
                        |quick: Option<(f64, usize)>| matches!(quick, Some((r, _)) if r.abs() <= 0.99);
                    for a_pos in (t..nf).step_by(threads) {
                        let a = factor_idx[a_pos];
                        let a_probe = &columns_ref[a].values[..probe];
                        probe_r_all(a_probe, probe_rows, nf, a_pos + 1, &mut sums, &mut quick);
                        for (&q, &b) in quick.iter().zip(&factor_idx[a_pos + 1..]) {
                            if !ruled_out(q) {
                                candidates.push(b);
                            }
                        }
                        for &b in &candidates {
                            // A pair with a sparse column is checked on that column's present
                            // rows only (the same rows, in the same order); the others
                            // several pairs at a time.
                            for c in [a, b] {
                                sparse_rows.entry(c).or_insert_with(|| sparse_of(c));
                            }
                            let rows = match (
                                sparse_rows[&a].as_deref(),
                                sparse_rows[&b].as_deref(),
                            ) {
                                (Some(x), Some(y)) => Some(if x.len() <= y.len() { x } else { y }),
                                (x, y) => x.or(y),
                            };
                            match rows {
                                Some(rows) => check(
                                    &mut found,
                                    a,
                                    b,
                                    pairwise_r_at(
                                        &columns_ref[a].values,
                                        &columns_ref[b].values,
                                        rows,
                                    ),
                                ),
                                None => dense.push((a, b)),
                            }
                        }
                        candidates.clear();
                    }
                    for chunk in dense.chunks(FULL_LANES) {
                        // The last chunk is padded with its first pair (computed twice, kept once).
                        let pair = |l: usize| chunk[if l < chunk.len() { l } else { 0 }];
                        let a_cols: [&[f64]; FULL_LANES] =
                            std::array::from_fn(|l| columns_ref[pair(l).0].values.as_slice());
                        let b_cols: [&[f64]; FULL_LANES] =
                            std::array::from_fn(|l| columns_ref[pair(l).1].values.as_slice());
                        let full = pairwise_r_lanes(a_cols, b_cols);
                        for (&(a, b), r) in chunk.iter().zip(full) {
                            check(&mut found, a, b, r);
                        }
                    }
                    found
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    pairs.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut dropped: Vec<(usize, String)> = Vec::new();
    for (a, b, r) in pairs {
        if dropped.iter().any(|(d, _)| *d == a || *d == b) {
            continue;
        }
        dropped.push((
            b,
            format!("near-duplicate of '{}' (r = {:.6})", columns[a].name, r),
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn lanes_compute_pairwise_r_bit_for_bit() {
        let mut state = 42u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let n = 300;
        // Columns with every kind of missingness, including nearly empty and constant ones.
        let columns: Vec<Vec<f64>> = (0..12)
            .map(|j| {
                let missing = [0.0, 0.05, 0.5, 0.97][j % 4];
                (0..n)
                    .map(|_| {
                        let (u, v) = (next(), next());
                        if u < missing {
                            f64::NAN
                        } else if j == 5 {
                            3.0
                        } else {
                            1e3 * (j as f64) + v
                        }
                    })
                    .collect()
            })
            .collect();
        let stride = columns.len();
        let mut rows = vec![0.0; n * stride];
        for (j, c) in columns.iter().enumerate() {
            for (t, &v) in c.iter().enumerate() {
                rows[t * stride + j] = v;
            }
        }
        let bits = |r: Option<(f64, usize)>| r.map(|(r, n)| (r.to_bits(), n));
        for a in &columns {
            for first in 0..=stride - 4 {
                let mut lanes = Vec::new();
                probe_r_all(
                    a,
                    &rows,
                    stride,
                    first,
                    &mut ProbeSums::default(),
                    &mut lanes,
                );
                let full = pairwise_r_lanes::<4>(
                    [&a[..]; 4],
                    std::array::from_fn(|l| &columns[first + l][..]),
                );
                for l in 0..4 {
                    let direct = pairwise_r(a, &columns[first + l]);
                    assert_eq!(bits(lanes[l]), bits(direct));
                    assert_eq!(bits(full[l]), bits(direct));
                    let b = &columns[first + l];
                    let rows: Vec<u32> =
                        (0..n as u32).filter(|&i| !b[i as usize].is_nan()).collect();
                    assert_eq!(bits(pairwise_r_at(a, b, &rows)), bits(direct));
                }
            }
        }
    }
    #[test]
    fn dominant_share_agrees_with_counting() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for case in 0..400 {
            let len = 1 + next() % 60;
            let rare = [0.0, 0.02, 0.3, 0.6][case % 4];
            let values: Vec<f64> = (0..len)
                .map(|_| match next() % 1000 {
                    u if (u as f64) < 1000.0 * rare => (next() % 5) as f64,
                    u if u % 7 == 0 => f64::NAN,
                    _ => 9.0,
                })
                .collect();
            let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let best = present
                .iter()
                .map(|x| present.iter().filter(|y| *y == x).count())
                .max()
                .map(|c| c as f64 / present.len() as f64);
            let expected = best.filter(|share| *share >= 0.95);
            assert_eq!(dominant_share(&values, 0.95), expected, "{values:?}");
        }
    }
    #[test]
    fn numeric_values_match_the_option_iterator() {
        // Nulls in several chunks of more and less than 64 values, and a slice at an offset.
        let ints: Vec<Option<i64>> = (0..300)
            .map(|i| {
                if i % 7 == 3 || (100..180).contains(&i) {
                    None
                } else {
                    Some(i - 150)
                }
            })
            .collect();
        let floats: Vec<Option<f64>> = ints.iter().map(|v| v.map(|x| x as f64 / 3.0)).collect();
        let mut a = Series::new("a".into(), &ints[..130]);
        a.append(&Series::new("a".into(), &ints[130..])).unwrap();
        let mut b = Series::new("b".into(), &floats[..65]);
        b.append(&Series::new("b".into(), &floats[65..])).unwrap();
        for series in [a.clone(), b.clone(), a.slice(13, 250), b.slice(67, 200)] {
            let column = Column::from(series.clone());
            let (values, levels) = numeric_values(&column, "x", None, "f").unwrap();
            assert!(levels.is_none());
            let cast = series.cast(&DataType::Float64).unwrap();
            let expected: Vec<f64> = cast
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect();
            assert_eq!(values.len(), expected.len());
            for (x, y) in values.iter().zip(&expected) {
                assert_eq!(x.to_bits(), y.to_bits());
            }
        }
    }
}

/// The near-duplicate check before the rewrite (main at 10aaecb), kept to check that the same
/// pairs are found with the same r.
#[cfg(test)]
mod reference {
    use super::{pairwise_r, Dictionary, FlowEntry, NumericColumn, Role};

    /// Drops the later of any two factor columns with |r| above the threshold. A cheap check on
    /// the first rows screens candidate pairs so the full check runs only on likely duplicates.
    pub fn old_drop_near_duplicates(
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
            .map(|c| c.values.len().min(128))
            .unwrap_or(0);
        // All duplicate pairs, found in parallel (the pair scan is quadratic in the number of
        // factors), then dropped greedily in column order, exactly as a sequential scan would.
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8);
        let columns_ref: &[NumericColumn] = columns;
        let mut pairs: Vec<(usize, usize, f64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let factor_idx = &factor_idx;
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        for a_pos in (t..factor_idx.len()).step_by(threads) {
                            let a = factor_idx[a_pos];
                            for &b in &factor_idx[a_pos + 1..] {
                                let quick = pairwise_r(
                                    &columns_ref[a].values[..probe],
                                    &columns_ref[b].values[..probe],
                                );
                                // Too little overlap in the probe rows to judge: do the full check.
                                if matches!(quick, Some((r, _)) if r.abs() <= 0.99) {
                                    continue;
                                }
                                if let Some((r, _)) =
                                    pairwise_r(&columns_ref[a].values, &columns_ref[b].values)
                                {
                                    if r.abs() > threshold {
                                        found.push((a, b, r));
                                    }
                                }
                            }
                        }
                        found
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        pairs.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut dropped: Vec<(usize, String)> = Vec::new();
        for (a, b, r) in pairs {
            if dropped.iter().any(|(d, _)| *d == a || *d == b) {
                continue;
            }
            dropped.push((
                b,
                format!("near-duplicate of '{}' (r = {:.6})", columns[a].name, r),
            ));
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
}

#[cfg(test)]
mod near_duplicates_as_before {
    use super::*;
    use crate::data::dictionary::DictionaryEntry;

    #[test]
    fn same_pairs_dropped_with_the_same_reasons() {
        let n = 3000;
        let mut state = 5u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let mut values: Vec<Vec<f64>> = Vec::new();
        for j in 0..40 {
            let missing = [0.0, 0.05, 0.5, 0.8, 0.97][j % 5];
            let column: Vec<f64> = (0..n)
                .map(|i| {
                    let u = next();
                    if u < missing {
                        f64::NAN
                    } else if j % 7 == 3 {
                        (i % 3) as f64
                    } else {
                        next()
                    }
                })
                .collect();
            values.push(column);
        }
        // Near-duplicates (dense and sparse, exact and noisy, negated), a chain of three.
        for (from, to, noise) in [
            (0, 10, 0.0),
            (2, 12, 1e-6),
            (3, 13, 1e-7),
            (4, 14, 0.0),
            (1, 21, 1e-3),
            (10, 30, 0.0),
            (8, 38, -1.0),
        ] {
            let source = values[from].clone();
            values[to] = source
                .iter()
                .map(|v| if noise < 0.0 { -v } else { v + noise * next() })
                .collect();
        }
        let columns: Vec<NumericColumn> = values
            .into_iter()
            .enumerate()
            .map(|(j, values)| NumericColumn {
                name: format!("f{j}"),
                values,
                value_type: ValueType::Continuous,
                levels: None,
            })
            .collect();
        let dictionary = Dictionary {
            entries: columns
                .iter()
                .map(|c| DictionaryEntry {
                    column: c.name.clone(),
                    field_id: None,
                    description: String::new(),
                    category: String::new(),
                    value_type: ValueType::Continuous,
                    coding: String::new(),
                    role: Role::Factor,
                })
                .collect(),
        };
        let flow: Vec<FlowEntry> = columns
            .iter()
            .map(|c| FlowEntry {
                column: c.name.clone(),
                role: Role::Factor,
                kept: true,
                recoded_to_missing: 0,
                missing_share: 0.0,
                reason: "kept".into(),
            })
            .collect();
        let (mut new_columns, mut new_flow) = (columns.clone(), flow.clone());
        drop_near_duplicates(&mut new_columns, &mut new_flow, &dictionary, 0.9999);
        let (mut old_columns, mut old_flow) = (columns, flow);
        reference::old_drop_near_duplicates(&mut old_columns, &mut old_flow, &dictionary, 0.9999);
        assert_eq!(new_flow, old_flow);
        let names = |c: &[NumericColumn]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&new_columns), names(&old_columns));
        assert!(
            new_flow.iter().filter(|f| !f.kept).count() >= 4,
            "{new_flow:?}"
        );
    }
}
