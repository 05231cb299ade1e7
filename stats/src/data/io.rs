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
    let df = read_table(path)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    if names != expected {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: format!(
                "expected the columns {} (got {})",
                expected.join(", "),
                names.join(", ")
            ),
        });
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
            use std::io::BufRead;
            let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
            let mut header = String::new();
            std::io::BufReader::new(file)
                .read_line(&mut header)
                .map_err(|e| StatsError::io(path, e))?;
            let separator = if format == TableFormat::Tsv {
                '\t'
            } else {
                ','
            };
            let header = header.trim_end_matches(['\n', '\r']);
            if header.trim().is_empty() {
                return Err(StatsError::Input {
                    file: path.display().to_string(),
                    message: "the file is empty (no header, no rows)".into(),
                });
            }
            Ok(split_line(header, separator))
        }
    }
}

/// Splits one line of a delimited table on `separator`, honouring double quotes (`""` inside
/// quotes is one quote), as this program's writers quote fields.
pub fn split_line(line: &str, separator: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// Reads a table, only the named columns (as spelled in the file) when `columns` is given.
pub fn read_table_columns(
    path: &Path,
    columns: Option<&[String]>,
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
        }
        TableFormat::Csv | TableFormat::Tsv => CsvReadOptions::default()
            .with_has_header(true)
            .with_columns(columns.map(|c| c.iter().map(|n| PlSmallStr::from(n.as_str())).collect()))
            .with_infer_schema_length(None)
            .map_parse_options(|o| {
                o.with_separator(if format == TableFormat::Tsv {
                    b'\t'
                } else {
                    b','
                })
            })
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish()),
    }
    .map_err(|e| StatsError::polars_in(path, e))?;
    if df.height() == 0 {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: "the table has no rows".into(),
        });
    }
    Ok(df)
}

/// Checks a delimited file's shape before parsing, so errors can name the line: an empty
/// file, a header without rows, or a row with more or fewer fields than the header.
pub fn check_delimited(path: &Path) -> Result<(), StatsError> {
    let format = TableFormat::from_path(path)?;
    let separator = if format == TableFormat::Tsv {
        b'\t'
    } else {
        b','
    };
    let bytes = std::fs::read(path).map_err(|e| StatsError::io(path, e))?;
    let file = path.display().to_string();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(StatsError::Input {
            file,
            message: "the file is empty (no header, no rows)".into(),
        });
    }
    let mut expected: Option<usize> = None;
    let mut line = 1usize;
    let mut fields = 1usize;
    let mut in_quotes = false;
    let mut line_has_content = false;
    let mut rows = 0usize;
    let mut finish_line = |line: usize,
                           fields: usize,
                           has_content: bool|
     -> Result<(), StatsError> {
        if !has_content {
            return Ok(());
        }
        match expected {
            None => expected = Some(fields),
            Some(e) if e != fields => {
                return Err(StatsError::Input {
                    file: file.clone(),
                    message: format!("line {line} has {fields} fields but the header has {e} (a ragged row: check for a missing or extra separator)"),
                })
            }
            Some(_) => rows += 1,
        }
        Ok(())
    };
    for &b in &bytes {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                line_has_content = true;
            }
            b'\n' if !in_quotes => {
                finish_line(line, fields, line_has_content)?;
                line += 1;
                fields = 1;
                line_has_content = false;
            }
            b'\r' if !in_quotes => {}
            s if s == separator && !in_quotes => {
                fields += 1;
                line_has_content = true;
            }
            _ => line_has_content = true,
        }
    }
    finish_line(line, fields, line_has_content)?;
    if rows == 0 {
        return Err(StatsError::Input {
            file: path.display().to_string(),
            message: "the table has a header but no rows".into(),
        });
    }
    Ok(())
}
