//! Reading and writing tables by file extension (CSV, TSV, Parquet).

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::error::StatsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Tsv,
    Parquet,
}

impl TableFormat {
    /// The format implied by a path's extension.
    pub fn from_path(path: &Path) -> Result<Self, StatsError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(TableFormat::Csv),
            "tsv" | "tab" | "txt" => Ok(TableFormat::Tsv),
            "parquet" | "pq" => Ok(TableFormat::Parquet),
            _ => Err(StatsError::Input {
                file: path.display().to_string(),
                message: "unknown table format: use a .csv, .tsv or .parquet extension".into(),
            }),
        }
    }

    /// The separator a delimited format's extension promises (a file may use another).
    pub fn separator(self) -> u8 {
        match self {
            TableFormat::Tsv => b'\t',
            _ => b',',
        }
    }
}

pub fn write_table(df: &mut DataFrame, path: &Path) -> Result<(), StatsError> {
    let format = TableFormat::from_path(path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
    }
    let file = File::create(path).map_err(|e| StatsError::io(path, e))?;
    let result = match format {
        TableFormat::Csv => CsvWriter::new(file).finish(df),
        TableFormat::Tsv => CsvWriter::new(file).with_separator(b'\t').finish(df),
        TableFormat::Parquet => ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map(|_| ()),
    };
    result.map_err(|e| StatsError::polars_in(path, e))
}

/// Reads back a table this program wrote (associations, classification, predictions): any of
/// the formats `read_table` takes, with exactly the `expected` columns in that order.
pub fn read_table_with_columns(path: &Path, expected: &[&str]) -> Result<DataFrame, StatsError> {
    read_table_with_columns_then(path, expected, None)
}

/// As [`read_table_with_columns`], also accepting one given column after them, which is
/// left out of the frame (an export's `description`).
pub fn read_table_with_columns_then(
    path: &Path,
    expected: &[&str],
    last: Option<&str>,
) -> Result<DataFrame, StatsError> {
    let mut df = read_table(path)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    exactly_then(expected, last)(&names).map_err(|message| StatsError::Input {
        file: path.display().to_string(),
        message,
    })?;
    if names.len() > expected.len() {
        df = df.select(expected.iter().copied())?;
    }
    Ok(df)
}

/// A column as text; empty cells become "".
pub fn text_column(df: &DataFrame, name: &str) -> Result<Vec<String>, StatsError> {
    let c = df.column(name)?.cast(&DataType::String)?;
    Ok(c.str()?
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect())
}

/// A column as numbers; empty cells become NaN.
pub fn number_column(df: &DataFrame, name: &str) -> Result<Vec<f64>, StatsError> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

pub fn read_table(path: &Path) -> Result<DataFrame, StatsError> {
    read_table_columns(path, None)
}

/// The column names of a table, from its header or Parquet schema, without reading the data.
pub fn read_column_names(path: &Path) -> Result<Vec<String>, StatsError> {
    let format = TableFormat::from_path(path)?;
    if !path.exists() {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    match format {
        TableFormat::Parquet => {
            let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
            let schema = ParquetReader::new(file)
                .schema()
                .map_err(|e| StatsError::polars_in(path, e))?;
            Ok(schema.iter_names().map(|n| n.to_string()).collect())
        }
        TableFormat::Csv | TableFormat::Tsv => {
            Ok(super::sniff::read_header(path, format.separator())?.0)
        }
    }
}

/// Reads a table, only the named columns (as spelled in the file) when `columns` is given.
pub fn read_table_columns(
    path: &Path,
    columns: Option<&[String]>,
) -> Result<DataFrame, StatsError> {
    read_checked(path, columns, None)
}

/// [`read_table_columns`] with, for CSV and TSV, the types of [`read_table_typed`].
fn read_checked(
    path: &Path,
    columns: Option<&[String]>,
    typed: Option<&[(String, DataType)]>,
) -> Result<DataFrame, StatsError> {
    let format = TableFormat::from_path(path)?;
    if !path.exists() {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    let df = match format {
        TableFormat::Parquet => {
            let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
            ParquetReader::new(file)
                .with_columns(columns.map(|c| c.to_vec()))
                .finish()
                .map_err(|e| StatsError::polars_in(path, e))?
        }
        TableFormat::Csv | TableFormat::Tsv => read_delimited(path, format, columns, typed)?,
    };
    if df.height() == 0 {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: "the table has no rows".into(),
        });
    }
    Ok(df)
}

/// Reads a whole table with the types given per column (as spelled in the file), every other
/// column of a CSV or TSV file as text, with no pass to infer types: a wide extract whose
/// types the Showcase gives is read once, not twice. Text keeps codes such as ICD-9's `0389`
/// whole. A Parquet file's columns have the types it was written with.
pub fn read_table_typed(
    path: &Path,
    types: &[(String, DataType)],
) -> Result<DataFrame, StatsError> {
    read_checked(path, None, Some(types))
}

/// Reads a CSV or TSV file as its text says ([`super::sniff::inspect`]): its own separator,
/// decimal commas, no byte-order mark, no blank tail, wide whole numbers as text.
fn read_delimited(
    path: &Path,
    format: TableFormat,
    columns: Option<&[String]>,
    typed: Option<&[(String, DataType)]>,
) -> Result<DataFrame, StatsError> {
    let mut bytes = std::fs::read(path).map_err(|e| StatsError::io(path, e))?;
    let checked = std::time::Instant::now();
    let layout = super::sniff::inspect(&bytes, format.separator(), &path.display().to_string())?;
    tracing::debug!(
        seconds = checked.elapsed().as_secs_f64(),
        rows = layout.rows,
        "checked the text of the table"
    );
    // Columns given a type are read as such (all others as text, without inference); wide
    // whole numbers always as text.
    let overwrite: Vec<(&str, DataType)> = layout
        .wide_integers
        .iter()
        .map(|k| (layout.names[*k].as_str(), DataType::String))
        .chain(typed.into_iter().flatten().filter_map(|(name, t)| {
            let wide = layout
                .wide_integers
                .iter()
                .any(|k| layout.names[*k] == *name);
            (!wide).then_some((name.as_str(), t.clone()))
        }))
        .collect();
    let wide: Option<SchemaRef> = (!overwrite.is_empty()).then(|| {
        Arc::new(Schema::from_iter(
            overwrite
                .iter()
                .map(|(name, t)| Field::new((*name).into(), t.clone())),
        ))
    });
    let options = CsvReadOptions::default()
        .with_has_header(true)
        .with_columns(columns.map(|c| c.iter().map(|n| PlSmallStr::from(n.as_str())).collect()))
        .with_infer_schema_length(if typed.is_some() { Some(0) } else { None })
        .with_n_rows(Some(layout.rows))
        .with_schema_overwrite(wide)
        .map_parse_options(|o| {
            o.with_separator(layout.separator)
                .with_decimal_comma(layout.decimal_comma)
        });
    if layout.bom {
        // The byte-order mark is left out in memory: the user's file is never rewritten.
        bytes.drain(..3);
        options
            .into_reader_with_file_handle(std::io::Cursor::new(bytes))
            .finish()
    } else {
        drop(bytes);
        options
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
    }
    .map_err(|e| StatsError::polars_in(path, e))
}

/// A header check for `delimited::read_rows` (and the frames read here): exactly these
/// columns, in this order.
pub(crate) fn exactly<'a>(
    expected: &'a [&'a str],
) -> impl FnOnce(&[&str]) -> Result<(), String> + 'a {
    exactly_then(expected, None)
}

/// As [`exactly`], also accepting one given column after them (an export's `description`,
/// which readers of the table itself ignore).
pub(crate) fn exactly_then<'a>(
    expected: &'a [&'a str],
    last: Option<&'a str>,
) -> impl FnOnce(&[&str]) -> Result<(), String> + 'a {
    move |names| {
        let with_last = last.is_some()
            && names.len() == expected.len() + 1
            && names[..expected.len()] == *expected
            && names.last().copied() == last;
        if names == expected || with_last {
            Ok(())
        } else {
            Err(format!(
                "expected the columns {} (got {})",
                expected.join(", "),
                names.join(", ")
            ))
        }
    }
}
