//! The data dictionary: one row per column of a cohort, saying what the column is.
//!
//! The same `dictionary.csv` format is written by `simulate` and read by every analysis, so a
//! real UK Biobank extract can be described once by hand and then used exactly like the
//! simulated cohort.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

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

    pub fn to_dataframe(&self) -> Result<DataFrame, StatsError> {
        let text = |f: &dyn Fn(&DictionaryEntry) -> String| -> Vec<String> {
            self.entries.iter().map(f).collect()
        };
        let field_ids: Vec<Option<u32>> = self.entries.iter().map(|e| e.field_id).collect();
        let columns = vec![
            Column::new("column".into(), text(&|e| e.column.clone())),
            Column::new("field_id".into(), field_ids),
            Column::new("description".into(), text(&|e| e.description.clone())),
            Column::new("category".into(), text(&|e| e.category.clone())),
            Column::new("value_type".into(), text(&|e| e.value_type.to_string())),
            Column::new("coding".into(), text(&|e| e.coding.clone())),
            Column::new("role".into(), text(&|e| e.role.to_string())),
        ];
        Ok(DataFrame::new_infer_height(columns)?)
    }

    pub fn write_csv(&self, path: &Path) -> Result<(), StatsError> {
        let mut df = self.to_dataframe()?;
        let file = std::fs::File::create(path).map_err(|e| StatsError::io(path, e))?;
        CsvWriter::new(file)
            .finish(&mut df)
            .map_err(|e| StatsError::polars_in(path, e))?;
        Ok(())
    }

    /// Reads a `dictionary.csv`. Every problem names the file, the row (1-based, header is
    /// row 1) and the column of the dictionary that is wrong.
    pub fn read_csv(path: &Path) -> Result<Self, StatsError> {
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| StatsError::polars_in(path, e))?;
        for required in DICTIONARY_COLUMNS {
            if df.column(required).is_err() {
                return Err(StatsError::Input {
                    file: path.display().to_string(),
                    message: format!(
                        "missing dictionary column '{required}' (expected columns: {})",
                        DICTIONARY_COLUMNS.join(", ")
                    ),
                });
            }
        }
        let get = |name: &str| -> Result<Vec<Option<String>>, StatsError> {
            let col = df
                .column(name)
                .and_then(|c| c.cast(&DataType::String))
                .map_err(|e| StatsError::polars_in(path, e))?;
            let ca = col.str().map_err(|e| StatsError::polars_in(path, e))?;
            Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
        };
        let columns = get("column")?;
        let field_ids = get("field_id")?;
        let descriptions = get("description")?;
        let categories = get("category")?;
        let value_types = get("value_type")?;
        let codings = get("coding")?;
        let roles = get("role")?;
        let mut entries = Vec::with_capacity(columns.len());
        let mut seen = std::collections::HashSet::new();
        for row in 0..columns.len() {
            let at = |field: &str, message: String| StatsError::InputAt {
                file: path.display().to_string(),
                row: row + 2,
                column: field.to_string(),
                message,
            };
            let column = columns[row]
                .clone()
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| at("column", "empty column name".into()))?;
            if !seen.insert(column.clone()) {
                return Err(at(
                    "column",
                    format!("column '{column}' is described twice"),
                ));
            }
            let field_id = match field_ids[row].as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(text.parse::<u32>().map_err(|_| {
                    at(
                        "field_id",
                        format!("'{text}' is not a whole non-negative number"),
                    )
                })?),
            };
            let value_type = value_types[row]
                .as_deref()
                .unwrap_or("")
                .parse::<ValueType>()
                .map_err(|m| at("value_type", m))?;
            let role = roles[row]
                .as_deref()
                .unwrap_or("")
                .parse::<Role>()
                .map_err(|m| at("role", m))?;
            entries.push(DictionaryEntry {
                column,
                field_id,
                description: descriptions[row].clone().unwrap_or_default(),
                category: categories[row].clone().unwrap_or_default(),
                value_type,
                coding: codings[row].clone().unwrap_or_default(),
                role,
            });
        }
        Ok(Dictionary { entries })
    }
}
