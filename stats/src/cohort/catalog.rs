//! What is known of a table before any data is read: its columns under one canonical naming
//! (UK Biobank's column styles), the participant id column, and the dictionary.

use std::path::Path;

pub use crate::data::dictionary::canonical_column_name;
use crate::data::dictionary::{Dictionary, DictionaryEntry, Role};
use crate::error::StatsError;

pub(super) const ID_CANDIDATES: [&str; 5] = ["eid", "f.eid", "id", "participant_id", "IID"];

/// The participant id column: the one named by the user, else the dictionary's `id` role,
/// else the first of the usual names that `exists`.
pub(crate) fn id_column_of(
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

pub(crate) fn no_id_message() -> String {
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

/// The canonical name of each header cell, refusing two cells for one field: a reader would
/// rename or drop one of them, and a list naming the field would silently get whichever it
/// kept.
pub(crate) fn canonical_names(raw_names: &[String], file: &str) -> Result<Vec<String>, StatsError> {
    let columns: Vec<String> = raw_names.iter().map(|n| canonical_column_name(n)).collect();
    let mut first_of: std::collections::HashMap<&str, usize> = Default::default();
    for (k, name) in columns.iter().enumerate() {
        if let Some(first) = first_of.insert(name, k) {
            return Err(StatsError::Input {
                file: file.to_string(),
                message: format!(
                    "header columns {} ('{}') and {} ('{}') both name '{name}'; rename or remove one",
                    first + 1,
                    raw_names[first],
                    k + 1,
                    raw_names[k]
                ),
            });
        }
    }
    Ok(columns)
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
        let columns = canonical_names(&raw_names, file)?;
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
