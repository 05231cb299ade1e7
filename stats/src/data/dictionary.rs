//! The data dictionary: one row per column of a cohort, saying what the column is.
//!
//! The same `dictionary.csv` format is written by `simulate` and read by every analysis, so a
//! real UK Biobank extract can be described once by hand and then used exactly like the
//! simulated cohort.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::delimited::{read_rows_at, Cell, TableWriter};
use crate::error::StatsError;

/// How the values of a column are to be read (the PHESANT-like type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Continuous,
    Integer,
    Binary,
    Ordinal,
    Categorical,
}

/// What a column is for in a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Id,
    Imaging,
    Covariate,
    Factor,
    Disease,
}

macro_rules! text_enum {
    ($ty:ident, $what:literal, $($variant:ident => $text:literal),+ $(,)?) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!(
                        "unknown {} '{}' (expected one of: {})",
                        $what,
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(ValueType, "value_type",
    Continuous => "continuous", Integer => "integer", Binary => "binary",
    Ordinal => "ordinal", Categorical => "categorical");
text_enum!(Role, "role",
    Id => "id", Imaging => "imaging", Covariate => "covariate",
    Factor => "factor", Disease => "disease");

/// UK Biobank column styles to one canonical form: `f.21001.2.0` (R exports) and
/// `x21001_2_0` (PHESANT) become the Showcase form `21001-2.0`; other names are unchanged.
/// Here, not in `cohort`, because a dictionary must not describe one field twice under two
/// styles.
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

/// One row of `dictionary.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DictionaryEntry {
    pub column: String,
    /// UK Biobank field id when the column has one.
    pub field_id: Option<u32>,
    pub description: String,
    pub category: String,
    pub value_type: ValueType,
    /// Inline data-coding, `code=label` pairs separated by `;` (empty for measurements).
    pub coding: String,
    pub role: Role,
}

/// The dictionary of a cohort, in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dictionary {
    pub entries: Vec<DictionaryEntry>,
}

pub const DICTIONARY_COLUMNS: [&str; 7] = [
    "column",
    "field_id",
    "description",
    "category",
    "value_type",
    "coding",
    "role",
];

impl Dictionary {
    pub fn get(&self, column: &str) -> Option<&DictionaryEntry> {
        self.entries.iter().find(|e| e.column == column)
    }

    /// Columns with the given role, in dictionary order.
    pub fn columns_with_role(&self, role: Role) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.role == role)
            .map(|e| e.column.clone())
            .collect()
    }

    /// Writes `dictionary.csv` (by [`super::delimited`], as polars wrote it before).
    pub fn write_csv(&self, path: &Path) -> Result<(), StatsError> {
        let mut out = TableWriter::create(path, &DICTIONARY_COLUMNS)?;
        for e in &self.entries {
            out.row(&[
                Cell::Text(&e.column),
                Cell::Count(e.field_id.map(u64::from)),
                Cell::Text(&e.description),
                Cell::Text(&e.category),
                Cell::Text(e.value_type.as_str()),
                Cell::Text(&e.coding),
                Cell::Text(e.role.as_str()),
            ])?;
        }
        out.finish()
    }

    /// Reads a `dictionary.csv`: its columns by name, in any order, others ignored; blank
    /// lines ignored. Every problem names the file, the row (the line of the file: the header
    /// is row 1) and the column of the dictionary that is wrong.
    pub fn read_csv(path: &Path) -> Result<Self, StatsError> {
        let records: Vec<(usize, DictionaryRecord)> = read_rows_at(path, |names| {
            match DICTIONARY_COLUMNS.iter().find(|c| !names.contains(c)) {
                Some(required) => Err(format!(
                    "missing dictionary column '{required}' (expected columns: {})",
                    DICTIONARY_COLUMNS.join(", ")
                )),
                None => Ok(()),
            }
        })?;
        let file = path.display().to_string();
        let mut entries = Vec::with_capacity(records.len());
        let mut lines = Vec::with_capacity(records.len());
        let mut seen = std::collections::HashMap::new();
        for (line, record) in records {
            let at = |field: &str, message: String| StatsError::InputAt {
                file: file.clone(),
                row: line,
                column: field.to_string(),
                message,
            };
            if record.column.trim().is_empty() {
                return Err(at("column", "empty column name".into()));
            }
            let canonical = canonical_column_name(&record.column);
            if let Some((first, name)) =
                seen.insert(canonical.clone(), (line, record.column.clone()))
            {
                return Err(at(
                    "column",
                    if name == record.column {
                        format!("column '{name}' is described twice (rows {first} and {line})")
                    } else {
                        format!(
                            "rows {first} ('{name}') and {line} ('{}') both describe the column \
                             '{canonical}'",
                            record.column
                        )
                    },
                ));
            }
            let field_id = match record.field_id.trim() {
                "" => None,
                text => Some(text.parse::<u32>().map_err(|_| {
                    at(
                        "field_id",
                        format!("'{text}' is not a whole non-negative number"),
                    )
                })?),
            };
            let value_type = record
                .value_type
                .parse::<ValueType>()
                .map_err(|m| at("value_type", m))?;
            let role = record.role.parse::<Role>().map_err(|m| at("role", m))?;
            entries.push(DictionaryEntry {
                column: record.column,
                field_id,
                description: record.description,
                category: record.category,
                value_type,
                coding: record.coding,
                role,
            });
            lines.push(line);
        }
        let ids: Vec<usize> = (0..entries.len())
            .filter(|k| entries[*k].role == Role::Id)
            .collect();
        if let [first, second, ..] = ids[..] {
            return Err(StatsError::InputAt {
                file,
                row: lines[second],
                column: "role".into(),
                message: format!(
                    "rows {} ('{}') and {} ('{}') both have the role 'id', but a table has one \
                     participant id column: give one of them another role",
                    lines[first], entries[first].column, lines[second], entries[second].column
                ),
            });
        }
        Ok(Dictionary { entries })
    }
}

/// A row of `dictionary.csv` as it is read: text, checked and typed by [`Dictionary::read_csv`]
/// with messages of its own.
#[derive(Deserialize)]
struct DictionaryRecord {
    column: String,
    field_id: String,
    description: String,
    category: String,
    value_type: String,
    coding: String,
    role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_dictionaries_read_back_and_bad_cells_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dictionary.csv");
        let entry = |column: &str, field_id, coding: &str, role| DictionaryEntry {
            column: column.into(),
            field_id,
            description: "Age, at \"imaging\"".into(),
            category: String::new(),
            value_type: ValueType::Integer,
            coding: coding.into(),
            role,
        };
        let dictionary = Dictionary {
            entries: vec![
                entry("eid", None, "", Role::Id),
                entry("age", Some(21003), "1=a;2=b", Role::Covariate),
            ],
        };
        dictionary.write_csv(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "column,field_id,description,category,value_type,coding,role\n\
             eid,,\"Age, at \"\"imaging\"\"\",\"\",integer,\"\",id\n\
             age,21003,\"Age, at \"\"imaging\"\"\",\"\",integer,1=a;2=b,covariate\n"
        );
        assert_eq!(Dictionary::read_csv(&path).unwrap(), dictionary);

        // Columns by name, in any order, others ignored; values trimmed and case-blind.
        std::fs::write(
            &path,
            "role,column,extra,value_type,field_id,description,category,coding\n\
             Covariate ,age,x,CONTINUOUS, 21003 ,,,\n\
             factor,smoking,x,categorical,,,,\n\
             imaging,lvm,x,continuous,abc,,,\n",
        )
        .unwrap();
        let error = Dictionary::read_csv(&path).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "{}: row 4, column 'field_id': 'abc' is not a whole non-negative number",
                path.display()
            )
        );
        std::fs::write(
            &path,
            "column,field_id,description,category,value_type,role\n",
        )
        .unwrap();
        let error = Dictionary::read_csv(&path).unwrap_err().to_string();
        assert!(
            error.contains("missing dictionary column 'coding'"),
            "{error}"
        );
    }

    #[test]
    fn blank_lines_and_a_bom_are_ignored_and_rows_are_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dictionary.csv");
        let header = DICTIONARY_COLUMNS.join(",");
        let read = |text: String| {
            std::fs::write(&path, text).unwrap();
            Dictionary::read_csv(&path).map_err(|e| e.to_string())
        };
        let plain = read(format!(
            "{header}\neid,,,,integer,,id\nage,,,,continuous,,covariate\n"
        ))
        .unwrap();
        let spaced = read(format!(
            "\u{feff}{header}\r\n\r\neid,,,,integer,,id\n\nage,,,,continuous,,covariate\n\n\n"
        ))
        .unwrap();
        assert_eq!(plain, spaced);
        // A bad cell after a blank line is named by its line, as an editor shows it.
        let e = read(format!(
            "{header}\neid,,,,integer,,id\n\nage,,,,continuos,,covariate\n"
        ))
        .unwrap_err();
        assert!(e.contains("row 4, column 'value_type'"), "{e}");
    }

    #[test]
    fn one_id_row_and_one_row_per_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dictionary.csv");
        let header = DICTIONARY_COLUMNS.join(",");
        let read = |rows: &str| {
            std::fs::write(&path, format!("{header}\n{rows}")).unwrap();
            Dictionary::read_csv(&path).unwrap_err().to_string()
        };
        let e = read("eid,,,,integer,,id\nage,,,,continuous,,covariate\nIID,,,,integer,,id\n");
        assert!(
            e.contains("row 4, column 'role'")
                && e.contains("rows 2 ('eid') and 4 ('IID') both have the role 'id'"),
            "{e}"
        );
        let e = read("eid,,,,integer,,id\nage,,,,continuous,,covariate\nage,,,,integer,,factor\n");
        assert!(
            e.contains("column 'age' is described twice (rows 3 and 4)"),
            "{e}"
        );
        let e = read("eid,,,,integer,,id\nx21001_2_0,,,,continuous,,factor\nf.21001.2.0,,,,continuous,,factor\n");
        assert!(
            e.contains(
                "rows 3 ('x21001_2_0') and 4 ('f.21001.2.0') both describe the column '21001-2.0'"
            ),
            "{e}"
        );
    }
}
