//! What a user's CSV or TSV file looks like, learnt from its bytes before polars parses it.
//!
//! Spreadsheets save tables that polars either refuses with a long dump or reads wrongly: a
//! UTF-8 byte-order mark glued to the first column name, `;` between cells (Excel in a
//! European locale, with decimal commas), trailing blank lines read as rows of nothing, a
//! Latin-1 byte, an id beyond 64 bits. This module finds each of them, names the line, row
//! and column, and tells the reader how to parse the rest (the [`Layout`]). The user's file
//! is only ever read.

use std::io::Read;
use std::path::Path;

use crate::error::StatsError;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// The records a separator is judged on: the header and this many rows after it.
const SAMPLE_ROWS: usize = 20;

/// How a delimited file is to be parsed, and what in it needs care.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The header's names, as polars will name the columns.
    pub names: Vec<String>,
    pub separator: u8,
    /// The file starts with a UTF-8 byte-order mark, which is not part of the first name.
    pub bom: bool,
    /// Data rows, without the blank lines at the end of the file.
    pub rows: usize,
    /// Numbers are written `1,5` (a `;`- or tab-separated file from a decimal-comma locale).
    pub decimal_comma: bool,
    /// Columns (by index) holding a whole number too large for 64 bits: read as text, so
    /// that the loader reads the value (or names the bad id) instead of polars refusing it.
    pub wide_integers: Vec<usize>,
}

/// One record: the physical line it starts on (1-based) and its fields as byte ranges,
/// quotes included, a trailing `\r` excluded.
#[derive(Default)]
struct Record {
    line: usize,
    fields: Vec<(usize, usize)>,
}

/// Walks the records of `bytes` (BOM already removed): quotes hide separators and newlines.
struct Records<'a> {
    bytes: &'a [u8],
    separator: u8,
    pos: usize,
    line: usize,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8], separator: u8) -> Self {
        Records {
            bytes,
            separator,
            pos: 0,
            line: 1,
        }
    }

    /// The next record into `record`; false at the end of the bytes.
    fn next_into(&mut self, record: &mut Record) -> bool {
        if self.pos >= self.bytes.len() {
            return false;
        }
        record.line = self.line;
        record.fields.clear();
        let mut quoted = false;
        let mut start = self.pos;
        let mut i = self.pos;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => quoted = !quoted,
                b'\n' => {
                    self.line += 1;
                    if !quoted {
                        break;
                    }
                }
                b if b == self.separator && !quoted => {
                    record.fields.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        let end = if i > start && self.bytes[i - 1] == b'\r' {
            i - 1
        } else {
            i
        };
        record.fields.push((start, end));
        self.pos = i + 1;
        true
    }
}

impl Record {
    /// A line of nothing but spaces (and tabs, unless they separate).
    fn is_blank(&self, bytes: &[u8], separator: u8) -> bool {
        self.fields.len() == 1 && {
            let (s, e) = self.fields[0];
            bytes[s..e]
                .iter()
                .all(|&b| b == b' ' || (b == b'\t' && separator != b'\t'))
        }
    }
}

/// A field's text: outer quotes removed, doubled quotes made single.
fn unquote(field: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if field.len() >= 2 && field[0] == b'"' && field[field.len() - 1] == b'"' {
        let inner = &field[1..field.len() - 1];
        if inner.windows(2).any(|w| w == b"\"\"") {
            let text = String::from_utf8_lossy(inner).replace("\"\"", "\"");
            return std::borrow::Cow::Owned(text.into_bytes());
        }
        return std::borrow::Cow::Borrowed(inner);
    }
    std::borrow::Cow::Borrowed(field)
}

fn separator_name(separator: u8) -> &'static str {
    match separator {
        b',' => "comma",
        b';' => ";",
        b'\t' => "tab",
        _ => "?",
    }
}

/// The separator of a delimited file: `preferred` (the extension's) unless it does not fit
/// and `;`, `,` or tab does. A separator fits when it cuts the header into at least two
/// names and every sampled row into as many fields.
pub fn detect_separator(bytes: &[u8], preferred: u8) -> u8 {
    let fits = |separator: u8| {
        let mut records = Records::new(bytes, separator);
        let mut record = Record::default();
        let mut header = None;
        let mut seen = 0;
        while seen <= SAMPLE_ROWS && records.next_into(&mut record) {
            if record.is_blank(bytes, separator) {
                continue;
            }
            // A last record without its newline may be cut by the end of a sample: it says
            // nothing.
            if records.pos > bytes.len() && seen > 0 {
                break;
            }
            match header {
                None if record.fields.len() < 2 => return false,
                None => header = Some(record.fields.len()),
                Some(n) if n != record.fields.len() => return false,
                Some(_) => {}
            }
            seen += 1;
        }
        header.is_some()
    };
    [preferred, b';', b',', b'\t']
        .into_iter()
        .find(|s| fits(*s))
        .unwrap_or(preferred)
}

/// The header names and separator of a delimited file, from its first records only (a
/// cohort can be gigabytes; its header is what a catalogue needs).
pub fn read_header(path: &Path, preferred: u8) -> Result<(Vec<String>, u8), StatsError> {
    let file = path.display().to_string();
    let mut reader = std::fs::File::open(path).map_err(|e| StatsError::io(path, e))?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut quoted = false;
    let mut newlines = 0usize;
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| StatsError::io(path, e))?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => newlines += 1,
                _ => {}
            }
        }
        bytes.extend_from_slice(&chunk[..n]);
        if newlines > SAMPLE_ROWS + 1 {
            break;
        }
    }
    refuse_utf16(&bytes, &file)?;
    let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(StatsError::Input {
            file,
            message: "the file is empty (no header, no rows)".into(),
        });
    }
    let separator = detect_separator(body, preferred);
    Ok((header_names(body, separator, &file)?, separator))
}

/// Excel's "Unicode text" is UTF-16, with its own byte-order mark: every other byte is zero,
/// which would otherwise be reported as one baffling bad byte.
fn refuse_utf16(bytes: &[u8], file: &str) -> Result<(), StatsError> {
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(StatsError::Input {
            file: file.to_string(),
            message: "the file is UTF-16 text (Excel's \"Unicode Text\"): save it as \"CSV UTF-8\""
                .into(),
        });
    }
    Ok(())
}

/// The names of the first record, each checked to be UTF-8.
fn header_names(body: &[u8], separator: u8, file: &str) -> Result<Vec<String>, StatsError> {
    let mut records = Records::new(body, separator);
    let mut record = Record::default();
    records.next_into(&mut record);
    if record.is_blank(body, separator) {
        // polars would take the blank line for the header.
        return Err(StatsError::Input {
            file: file.to_string(),
            message: "line 1 is blank: the header must be the first line".into(),
        });
    }
    record
        .fields
        .iter()
        .enumerate()
        .map(|(k, &(s, e))| {
            let text = unquote(&body[s..e]);
            String::from_utf8(text.into_owned()).map_err(|error| {
                let byte = error.as_bytes()[error.utf8_error().valid_up_to()];
                StatsError::Input {
                    file: file.to_string(),
                    message: format!(
                        "line {} (the header), column {}: {}",
                        record.line,
                        k + 1,
                        not_utf8(byte, record.line)
                    ),
                }
            })
        })
        .collect()
}

/// The message for text that is not UTF-8: its first bad byte and the line it is on.
fn not_utf8(byte: u8, line: usize) -> String {
    format!(
        "the text is not valid UTF-8 (byte 0x{byte:02X} on line {line} of the file; a Latin-1 \
         or Windows-1252 export?): save the file as UTF-8"
    )
}

/// The line of byte `at`, counting from byte `from` on line `line`.
fn line_of(body: &[u8], line: usize, from: usize, at: usize) -> usize {
    line + body[from..at].iter().filter(|b| **b == b'\n').count()
}

/// How a number cell is written.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Comma,
    Point,
}

/// `1,5` or `1.5` (optionally signed, with an exponent), or neither.
fn decimal_mark(text: &[u8]) -> Option<Mark> {
    let text = text
        .strip_prefix(b"-")
        .or(text.strip_prefix(b"+"))
        .unwrap_or(text);
    let mantissa = match text.iter().position(|b| *b == b'e' || *b == b'E') {
        Some(e) => {
            let exp = &text[e + 1..];
            let exp = exp
                .strip_prefix(b"-")
                .or(exp.strip_prefix(b"+"))
                .unwrap_or(exp);
            if exp.is_empty() || !exp.iter().all(u8::is_ascii_digit) {
                return None;
            }
            &text[..e]
        }
        None => text,
    };
    let at = mantissa.iter().position(|b| *b == b',' || *b == b'.')?;
    let (whole, fraction) = (&mantissa[..at], &mantissa[at + 1..]);
    let digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    (!fraction.is_empty() && digits(whole) && digits(fraction)).then(|| {
        if mantissa[at] == b',' {
            Mark::Comma
        } else {
            Mark::Point
        }
    })
}

/// A whole number too large for 64 bits.
fn is_wide_integer(text: &[u8]) -> bool {
    let digits = text
        .strip_prefix(b"-")
        .or(text.strip_prefix(b"+"))
        .unwrap_or(text);
    digits.len() >= 19
        && digits.iter().all(u8::is_ascii_digit)
        && std::str::from_utf8(text)
            .ok()
            .is_some_and(|t| t.parse::<i64>().is_err())
}

/// Checks a delimited file's text before parsing, so that every problem names the line, row
/// or column: an empty file, a header without rows, text that is not UTF-8, a ragged row,
/// a blank line inside the table, decimal commas mixed with decimal points. `bytes` is the
/// whole file.
pub fn inspect(bytes: &[u8], preferred: u8, file: &str) -> Result<Layout, StatsError> {
    let input = |message: String| StatsError::Input {
        file: file.to_string(),
        message,
    };
    refuse_utf16(bytes, file)?;
    let bom = bytes.starts_with(BOM);
    let body = if bom { &bytes[BOM.len()..] } else { bytes };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(input("the file is empty (no header, no rows)".into()));
    }
    let separator = detect_separator(body, preferred);
    if separator != preferred {
        tracing::info!(
            file,
            separator = separator_name(separator),
            "the file is not separated as its extension says; read by its own separator"
        );
    }
    let names = header_names(body, separator, file)?;
    let bad_utf8 = std::str::from_utf8(body).err().map(|e| e.valid_up_to());

    let mut records = Records::new(body, separator);
    let mut record = Record::default();
    records.next_into(&mut record);
    let mut rows = 0usize;
    let mut blank_after: Option<usize> = None;
    let mut first_mark: [Option<(usize, usize, String)>; 2] = [None, None];
    let mut wide = vec![false; names.len()];
    while records.next_into(&mut record) {
        if record.is_blank(body, separator) {
            blank_after.get_or_insert(record.line);
            continue;
        }
        if let Some(line) = blank_after {
            return Err(input(format!(
                "line {line} is blank but rows follow it: delete the blank line (blank lines are \
                 ignored only at the end of the file, so that row numbers stay those of the file)"
            )));
        }
        rows += 1;
        let (start, end) = (record.fields[0].0, record.fields[record.fields.len() - 1].1);
        if let Some(at) = bad_utf8.filter(|at| (start..=end).contains(at)) {
            let column = record
                .fields
                .iter()
                .position(|&(_, e)| at <= e)
                .unwrap_or(0);
            return Err(StatsError::InputAt {
                file: file.to_string(),
                row: rows,
                column: names.get(column).cloned().unwrap_or_default(),
                message: not_utf8(body[at], line_of(body, record.line, start, at)),
            });
        }
        if record.fields.len() != names.len() {
            return Err(input(format!(
                "line {} has {} fields but the header has {} (a ragged row: check for a missing or extra separator)",
                record.line,
                record.fields.len(),
                names.len()
            )));
        }
        for (k, &(s, e)) in record.fields.iter().enumerate() {
            let text = unquote(&body[s..e]);
            let text = text.trim_ascii();
            if separator != b',' {
                if let Some(mark) = decimal_mark(text) {
                    first_mark[mark as usize].get_or_insert_with(|| {
                        (rows, k, String::from_utf8_lossy(text).into_owned())
                    });
                }
            }
            if !wide[k] && is_wide_integer(text) {
                wide[k] = true;
            }
        }
    }
    if let Some(at) = bad_utf8 {
        // Not in a row (in the whitespace of a blank line).
        return Err(input(not_utf8(body[at], line_of(body, 1, 0, at))));
    }
    if rows == 0 {
        return Err(input("the table has a header but no rows".into()));
    }
    let decimal_comma = match &first_mark {
        [Some((cr, ck, ct)), Some((pr, pk, pt))] => {
            return Err(input(format!(
                "the file is {}-separated and mixes decimal commas (row {cr}, column '{}': '{ct}') \
                 with decimal points (row {pr}, column '{}': '{pt}'), so a number such as 1.234 \
                 could mean either; save it again with one decimal mark",
                separator_name(separator),
                names[*ck],
                names[*pk]
            )));
        }
        [Some(_), None] => true,
        _ => false,
    };
    Ok(Layout {
        names,
        separator,
        bom,
        rows,
        decimal_comma,
        wide_integers: (0..wide.len()).filter(|k| wide[*k]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &[u8]) -> Result<Layout, String> {
        inspect(text, b',', "f.csv").map_err(|e| e.to_string())
    }

    #[test]
    fn separators_are_detected_and_decimal_commas_read_or_refused() {
        assert_eq!(detect_separator(b"a,b\n1,2\n", b','), b',');
        assert_eq!(detect_separator(b"a;b\n1,5;2\n3;4,25\n", b','), b';');
        assert_eq!(detect_separator(b"a\tb\n1\t2\n", b','), b'\t');
        // A comma inside a quoted name or a `;` inside a coding cell does not mislead.
        assert_eq!(detect_separator(b"\"a;x\",b\n1,\"1=a;2=b\"\n", b','), b',');
        let l = layout(b"a;b\n1,5;2\n3;4,25\n").unwrap();
        assert_eq!((l.separator, l.decimal_comma, l.rows), (b';', true, 2));
        let l = layout(b"a;b\n1.5;2\n").unwrap();
        assert!(!l.decimal_comma);
        let e = layout(b"a;b\n1,5;2\n3;1.234\n").unwrap_err();
        assert!(
            e.contains("row 1, column 'a': '1,5'") && e.contains("row 2, column 'b': '1.234'"),
            "{e}"
        );
    }

    #[test]
    fn boms_blank_tails_quoted_names_and_wide_numbers() {
        let l = layout(b"\xef\xbb\xbfa,b\n1,2\n\n \r\n").unwrap();
        assert_eq!((l.bom, l.rows), (true, 1));
        let e = layout(b"a,b\n1,2\n\n3,4\n").unwrap_err();
        assert!(e.contains("line 3 is blank"), "{e}");
        let names =
            header_names(b"\"Waist, cm\",\"x\ny\",\"q\"\"\"\r\n1,2,3\n", b',', "f").unwrap();
        assert_eq!(names, ["Waist, cm", "x\ny", "q\""]);
        let l = layout(b"id,v\n99999999999999999999,1\n2,9223372036854775807\n").unwrap();
        assert_eq!(l.wide_integers, [0]);
        let e = layout(b"id,name\n1,ok\n2,caf\xe9\n").unwrap_err();
        assert!(
            e.contains("row 2, column 'name'") && e.contains("0xE9") && e.contains("line 3"),
            "{e}"
        );
        let e = layout(b"id,caf\xe9\n1,2\n").unwrap_err();
        assert!(e.contains("line 1 (the header), column 2"), "{e}");
        let e = layout(b"\xff\xfei\x00d\x00").unwrap_err();
        assert!(e.contains("UTF-16"), "{e}");
    }
}
