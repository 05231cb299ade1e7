//! The CSV and TSV text of the tables meshagents writes and reads back itself (the
//! association table, `classification.csv`, `predictions.csv`, `dictionary.csv`), through the
//! csv crate. Each table's owner lists the cells of a row ([`write_rows`]) and reads its rows
//! into a serde struct ([`read_rows`]); their Parquet forms and the user's cohort stay with
//! polars (`io`).
//!
//! Until issue 18 these files were written by polars' CSV writer, and a study's files must
//! keep their bytes (a rerun, a resumed study and a fork compare them by hash), so the cells
//! are printed as polars printed them:
//! - a number by zmij, the printer of polars' writer (shortest round trip: `1.0`, `0.05`,
//!   `1e-20`, `1e+300`, `-0.0`, `inf`), a whole number in decimal;
//! - a missing value (NaN in the rows, `None` in a count) as an empty cell;
//! - text as it is, unless it is empty or holds the separator, a quote, `\n` or `\r`: then
//!   in quotes, with quotes doubled. An empty text is `""` so that it differs from a missing
//!   value; that one rule is why text is quoted here and the csv crate writes every cell as
//!   given (its own quoting writes an empty field as nothing).

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::io::TableFormat;
pub(crate) use super::io::{exactly, exactly_then};
use crate::error::StatsError;

/// One cell of a row, as it is printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    /// A number; `None` is an empty cell (NaN is printed `NaN`).
    Number(Option<f64>),
    /// A whole number; `None` is an empty cell.
    Count(Option<u64>),
}

impl Cell<'_> {
    /// A number whose NaN means "no value" (a skipped row, a test not run): an empty cell.
    pub(crate) fn value(v: f64) -> Self {
        Cell::Number((!v.is_nan()).then_some(v))
    }

    /// The cell's text before quoting: what the file holds for a number, the text itself.
    pub(crate) fn plain(&self) -> String {
        match *self {
            Cell::Text(text) => text.to_string(),
            Cell::Number(None) | Cell::Count(None) => String::new(),
            Cell::Number(Some(v)) => zmij::Buffer::new().format(v).to_string(),
            Cell::Count(Some(v)) => v.to_string(),
        }
    }

    /// The cell as written between two separators.
    fn written(&self, separator: u8) -> String {
        match *self {
            Cell::Text(text) => quoted(text, separator),
            _ => self.plain(),
        }
    }
}

/// Polars' rule for text (`QuoteStyle::Necessary`): the csv crate's, but for the empty text.
fn quoted(text: &str, separator: u8) -> String {
    let special = |b: &u8| *b == separator || matches!(b, b'"' | b'\n' | b'\r');
    if !text.is_empty() && !text.as_bytes().iter().any(special) {
        return text.to_string();
    }
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The separator of a CSV or TSV table; a Parquet path is an error (`write_rows` and the
/// readers send Parquet to polars before they get here).
fn separator(path: &Path) -> Result<u8, StatsError> {
    match TableFormat::from_path(path)? {
        TableFormat::Csv => Ok(b','),
        TableFormat::Tsv => Ok(b'\t'),
        TableFormat::Parquet => Err(StatsError::Input {
            file: path.display().to_string(),
            message: "a Parquet file is not a delimited table".into(),
        }),
    }
}

/// Writes one of our tables, row by row, to a CSV or TSV path (by extension).
pub(crate) struct TableWriter {
    path: PathBuf,
    separator: u8,
    csv: csv::Writer<File>,
    fields: Vec<String>,
}

impl TableWriter {
    /// Creates the file (and its folder) and writes the header.
    pub(crate) fn create(path: &Path, columns: &[&str]) -> Result<Self, StatsError> {
        let separator = separator(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StatsError::io(parent, e))?;
        }
        let file = File::create(path).map_err(|e| StatsError::io(path, e))?;
        let csv = csv::WriterBuilder::new()
            .delimiter(separator)
            .quote_style(csv::QuoteStyle::Never)
            .from_writer(file);
        let mut writer = TableWriter {
            path: path.to_path_buf(),
            separator,
            csv,
            fields: Vec::with_capacity(columns.len()),
        };
        let header: Vec<Cell> = columns.iter().map(|c| Cell::Text(c)).collect();
        writer.row(&header)?;
        Ok(writer)
    }

    pub(crate) fn row(&mut self, cells: &[Cell]) -> Result<(), StatsError> {
        self.fields.clear();
        self.fields
            .extend(cells.iter().map(|c| c.written(self.separator)));
        self.csv
            .write_record(&self.fields)
            .map_err(|e| csv_error(&self.path, None, e))
    }

    /// Flushes the csv writer's buffer to the file: an error here is an error of the write.
    pub(crate) fn finish(mut self) -> Result<(), StatsError> {
        self.csv.flush().map_err(|e| StatsError::io(&self.path, e))
    }
}

/// Writes one of our tables to `path` by extension: CSV or TSV cell by cell, as `cells` lists
/// a row (in the order of `columns`), Parquet as the data frame `frame` builds, by polars.
pub(crate) fn write_rows<R, const N: usize>(
    path: &Path,
    columns: &[&str; N],
    rows: &[R],
    cells: impl for<'r> Fn(&'r R) -> [Cell<'r>; N],
    frame: impl FnOnce(&[R]) -> Result<polars::prelude::DataFrame, StatsError>,
) -> Result<(), StatsError> {
    if TableFormat::from_path(path)? == TableFormat::Parquet {
        return super::io::write_table(&mut frame(rows)?, path);
    }
    let mut out = TableWriter::create(path, columns)?;
    for r in rows {
        out.row(&cells(r))?;
    }
    out.finish()
}

/// Reads a CSV or TSV table (by extension) into rows of `R`, matched to the header by name.
/// `check_header` sees the header first and says what is wrong with it. A cell that does not
/// parse is an error naming the file, the row (the header is row 1) and the column.
pub(crate) fn read_rows<R: DeserializeOwned>(
    path: &Path,
    check_header: impl FnOnce(&[&str]) -> Result<(), String>,
) -> Result<Vec<R>, StatsError> {
    let file = File::open(path).map_err(|e| StatsError::io(path, e))?;
    Ok(read_records(path, file, None, check_header)?
        .into_iter()
        .map(|(_, row)| row)
        .collect())
}

/// [`read_rows`], each row with the line of the file it starts on (blank lines, which the
/// csv crate skips, still count, so the number is the one an editor or a spreadsheet shows).
pub(crate) fn read_rows_at<R: DeserializeOwned>(
    path: &Path,
    check_header: impl FnOnce(&[&str]) -> Result<(), String>,
) -> Result<Vec<(usize, R)>, StatsError> {
    // In memory, to count the lines before each row: the csv crate's own line count leaves
    // out the blank lines it skips.
    let bytes = std::fs::read(path).map_err(|e| StatsError::io(path, e))?;
    read_records(path, bytes.as_slice(), Some(&bytes), check_header)
}

/// The rows of `source` (the text of `path`); with `text` (the same bytes), each with its
/// line, else with 0.
fn read_records<R: DeserializeOwned>(
    path: &Path,
    source: impl std::io::Read,
    text: Option<&[u8]>,
    check_header: impl FnOnce(&[&str]) -> Result<(), String>,
) -> Result<Vec<(usize, R)>, StatsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(path)?)
        .from_reader(source);
    let header = reader
        .headers()
        .map_err(|e| csv_error(path, None, e))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    check_header(&names).map_err(|message| StatsError::Input {
        file: path.display().to_string(),
        message,
    })?;
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, Some(&header), e))?
    {
        let row = record.deserialize(Some(&header)).map_err(|e| {
            let at = record.position().map(|p| p.record() as usize + 1);
            cell_error(path, at, &header, &record, e)
        })?;
        let Some(bytes) = text else {
            rows.push((0, row));
            continue;
        };
        // The position is where the reader started: before the blank lines it skipped.
        let mut at = record.position().map_or(counted_to, |p| p.byte() as usize);
        while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        let at = at.clamp(counted_to, bytes.len());
        line += bytes[counted_to..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = at;
        rows.push((line, row));
    }
    Ok(rows)
}

/// A cell that did not parse into its column's type: the row, the column and the text.
fn cell_error(
    path: &Path,
    row: Option<usize>,
    header: &csv::StringRecord,
    record: &csv::StringRecord,
    error: csv::Error,
) -> StatsError {
    let csv::ErrorKind::Deserialize { err, .. } = error.kind() else {
        return csv_error(path, Some(header), error);
    };
    let Some(field) = err.field().map(|f| f as usize) else {
        return csv_error(path, Some(header), error);
    };
    StatsError::InputAt {
        file: path.display().to_string(),
        row: row.unwrap_or(0),
        column: header.get(field).unwrap_or_default().to_string(),
        message: format!(
            "'{}' is not a valid value ({})",
            record.get(field).unwrap_or_default(),
            err.kind()
        ),
    }
}

/// A csv error other than a cell's: a ragged row, bad UTF-8, I/O.
fn csv_error(path: &Path, header: Option<&csv::StringRecord>, error: csv::Error) -> StatsError {
    let file = path.display().to_string();
    let row = |pos: &Option<csv::Position>| pos.as_ref().map_or(0, |p| p.record() as usize + 1);
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => StatsError::Input {
            file,
            message: format!(
                "row {} has {len} fields but the header has {expected_len} (a ragged row: \
                 check for a missing or extra separator)",
                row(pos)
            ),
        },
        csv::ErrorKind::Utf8 { pos, err } => match header.and_then(|h| h.get(err.field())) {
            Some(column) => StatsError::InputAt {
                file,
                row: row(pos),
                column: column.to_string(),
                message: "the text is not valid UTF-8".into(),
            },
            None => StatsError::Input {
                file,
                message: format!("row {}: the text is not valid UTF-8", row(pos)),
            },
        },
        _ => StatsError::Csv {
            file,
            source: error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column, CsvWriter, DataFrame, SerWriter};

    const TEXTS: [&str; 10] = [
        "ok",
        "",
        " padded ",
        "a,b",
        "tab\there",
        "say \"hi\"",
        "two\nlines",
        "cr\rhere",
        "#hash",
        "naïve",
    ];
    const NUMBERS: [f64; 20] = [
        1.0,
        0.05,
        -2.5,
        123456789.0,
        1e15,
        1e16,
        1.5e16,
        1e-5,
        1e-7,
        1e-20,
        2.5e-12,
        1e300,
        0.1 + 0.2,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::NAN,
        f64::MIN_POSITIVE,
        5e-324,
        f64::MAX,
    ];

    fn text(i: usize) -> &'static str {
        TEXTS[i % TEXTS.len()]
    }

    fn count(i: usize) -> Option<u64> {
        (i % 3 != 1).then_some(i as u64 * 1_000_003)
    }

    fn ours(path: &Path) -> Vec<u8> {
        let mut out = TableWriter::create(path, &["text", "number", "count", "score"]).unwrap();
        for (i, v) in NUMBERS.iter().enumerate() {
            let row = [
                Cell::Text(text(i)),
                Cell::value(*v),
                Cell::Count(count(i)),
                Cell::Number(Some(*v)),
            ];
            out.row(&row).unwrap();
        }
        out.finish().unwrap();
        std::fs::read(path).unwrap()
    }

    fn polars(path: &Path) -> Vec<u8> {
        let n = NUMBERS.len();
        let mut df = DataFrame::new_infer_height(vec![
            Column::new("text".into(), (0..n).map(text).collect::<Vec<_>>()),
            Column::new(
                "number".into(),
                NUMBERS
                    .iter()
                    .map(|v| (!v.is_nan()).then_some(*v))
                    .collect::<Vec<_>>(),
            ),
            Column::new("count".into(), (0..n).map(count).collect::<Vec<_>>()),
            Column::new("score".into(), NUMBERS.to_vec()),
        ])
        .unwrap();
        let mut bytes = Vec::new();
        let separator = if path.extension().is_some_and(|e| e == "tsv") {
            b'\t'
        } else {
            b','
        };
        CsvWriter::new(&mut bytes)
            .with_separator(separator)
            .finish(&mut df)
            .unwrap();
        bytes
    }

    /// The files were polars' until issue 18: the same cells must give the same bytes.
    #[test]
    fn cells_are_printed_as_polars_printed_them() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["t.csv", "t.tsv"] {
            let path = dir.path().join(name);
            let (ours, polars) = (ours(&path), polars(&path));
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&polars),
                "{name}"
            );
        }
    }

    /// The edge cases, pinned as bytes (so a change of zmij or polars shows here too).
    #[test]
    fn edge_cases_as_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let csv = String::from_utf8(ours(&dir.path().join("t.csv"))).unwrap();
        let expected = "\
text,number,count,score
ok,1.0,0,1.0
\"\",0.05,,0.05
 padded ,-2.5,2000006,-2.5
\"a,b\",123456789.0,3000009,123456789.0
tab\there,1000000000000000.0,,1000000000000000.0
\"say \"\"hi\"\"\",1e+16,5000015,1e+16
\"two\nlines\",1.5e+16,6000018,1.5e+16
\"cr\rhere\",0.00001,,0.00001
#hash,1e-7,8000024,1e-7
naïve,1e-20,9000027,1e-20
ok,2.5e-12,,2.5e-12
\"\",1e+300,11000033,1e+300
 padded ,0.30000000000000004,12000036,0.30000000000000004
\"a,b\",inf,,inf
tab\there,-inf,14000042,-inf
\"say \"\"hi\"\"\",-0.0,15000045,-0.0
\"two\nlines\",,,NaN
\"cr\rhere\",2.2250738585072014e-308,17000051,2.2250738585072014e-308
#hash,5e-324,18000054,5e-324
naïve,1.7976931348623157e+308,,1.7976931348623157e+308
";
        assert_eq!(csv, expected);
        let tsv = String::from_utf8(ours(&dir.path().join("t.tsv"))).unwrap();
        assert!(tsv.contains("\na,b\t123456789.0\t"), "{tsv}");
        assert!(
            tsv.contains("\n\"tab\there\"\t1000000000000000.0\t"),
            "{tsv}"
        );
    }

    /// The TUI's Markdown export printed cells as polars cast them to text; `plain` keeps that.
    #[test]
    fn plain_cells_are_polars_text_casts() {
        use polars::prelude::DataType;
        let numbers = Column::new("v".into(), NUMBERS.to_vec());
        let numbers = numbers.cast(&DataType::String).unwrap();
        let cast: Vec<Option<&str>> = numbers.str().unwrap().iter().collect();
        for (v, text) in NUMBERS.iter().zip(cast) {
            assert_eq!(Cell::Number(Some(*v)).plain(), text.unwrap_or(""), "{v:e}");
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Record {
        text: String,
        number: Option<f64>,
        count: Option<u64>,
        score: f64,
    }

    #[test]
    fn what_is_written_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["t.csv", "t.tsv"] {
            let path = dir.path().join(name);
            ours(&path);
            let rows: Vec<Record> =
                read_rows(&path, exactly(&["text", "number", "count", "score"])).unwrap();
            assert_eq!(rows.len(), NUMBERS.len());
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(r.text, text(i), "{name} row {i}");
                assert_eq!(r.count, count(i), "{name} row {i}");
                let v = NUMBERS[i];
                assert_eq!(
                    r.number.map(f64::to_bits),
                    (!v.is_nan()).then(|| v.to_bits())
                );
                assert_eq!(r.score.is_nan(), v.is_nan());
                if !v.is_nan() {
                    assert_eq!(r.score.to_bits(), v.to_bits(), "{name} row {i}");
                }
            }
        }
    }

    #[test]
    fn bad_input_names_file_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        let read = |text: &str| {
            std::fs::write(&path, text).unwrap();
            read_rows::<Record>(&path, exactly(&["text", "number", "count", "score"]))
                .unwrap_err()
                .to_string()
        };
        let file = path.display().to_string();
        assert_eq!(
            read("text,number,count,score\na,1,2,3\nb,x,2,3\n"),
            format!(
                "{file}: row 3, column 'number': 'x' is not a valid value (invalid float literal)"
            )
        );
        assert_eq!(
            read("text,number,count,score\na,1,-2,3\n"),
            format!(
                "{file}: row 2, column 'count': '-2' is not a valid value (invalid digit found in string)"
            )
        );
        assert_eq!(
            read("text,number,count,score\na,1,2,3\nb,1,2\n"),
            format!(
                "{file}: row 3 has 3 fields but the header has 4 (a ragged row: check for a \
                 missing or extra separator)"
            )
        );
        assert_eq!(
            read("text,count,score\n"),
            format!(
                "{file}: expected the columns text, number, count, score (got text, count, score)"
            )
        );
    }
}
