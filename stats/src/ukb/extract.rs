//! The extract as the derivation sees it: its columns grouped by field and instance (and
//! released once derived), the instance each field is taken from, and the note of what was
//! done with it.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::showcase::ShowcaseField;

/// Which instance each field is taken from, and what is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UkbOptions {
    /// The instance fields are taken from (2: the first imaging visit).
    pub instance: u32,
    /// Taken for a participant missing at `instance`.
    pub instance_fallback: Option<u32>,
    /// A code of a multi-valued field is tested only when at least this many participants
    /// have it.
    pub min_cases: usize,
}

impl Default for UkbOptions {
    fn default() -> Self {
        UkbOptions {
            instance: 2,
            instance_fallback: None,
            min_cases: 20,
        }
    }
}

/// What happened to one field or derived column, for `flow.csv` and `fields.csv`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldNote {
    pub column: String,
    pub field_id: Option<u32>,
    pub kept: bool,
    pub note: String,
}

/// `FIELD-INSTANCE.ARRAY` (after canonicalisation) as numbers.
pub(crate) fn field_parts(name: &str) -> Option<(u32, u32, u32)> {
    let (field, rest) = name.split_once('-')?;
    let (instance, array) = rest.split_once('.')?;
    Some((
        field.parse().ok()?,
        instance.parse().ok()?,
        array.parse().ok()?,
    ))
}

/// The columns of one field: instance -> (array, column index), both sorted.
pub(crate) type Instances = BTreeMap<u32, Vec<(u32, usize)>>;

/// The extract's columns, each released once what it holds has been derived: a wide extract
/// and its derived cohort are never both whole in memory.
pub(crate) struct Extract {
    pub height: usize,
    pub file: String,
    pub names: Vec<String>,
    pub fields: HashMap<u32, Instances>,
    columns: std::sync::Mutex<Vec<Option<Column>>>,
}

impl Extract {
    pub(crate) fn new(
        df: DataFrame,
        file: String,
        names: Vec<String>,
        fields: HashMap<u32, Instances>,
    ) -> Self {
        Extract {
            height: df.height(),
            file,
            names,
            fields,
            columns: std::sync::Mutex::new(df.into_columns().into_iter().map(Some).collect()),
        }
    }

    /// A column (cheap: polars columns share their buffers).
    pub(crate) fn column(&self, index: usize) -> Column {
        self.columns
            .lock()
            .expect("no thread panics holding the columns")[index]
            .clone()
            .expect("a column is released only after its field is derived")
    }

    /// Releases the columns of a field at every instance.
    pub(crate) fn release(&self, field: u32) {
        let mut columns = self
            .columns
            .lock()
            .expect("no thread panics holding the columns");
        for &(_, k) in self.fields[&field].values().flatten() {
            columns[k] = None;
        }
    }
}

/// Where a field's values come from: the instance taken, and the one taken for participants
/// missing there.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pick {
    pub primary: u32,
    pub fallback: Option<u32>,
}

pub(crate) fn pick(
    field: &ShowcaseField,
    instances: &Instances,
    options: &UkbOptions,
) -> Result<Pick, String> {
    let present: Vec<u32> = instances.keys().copied().collect();
    if field.instances <= 1 {
        return Ok(Pick {
            primary: present[0],
            fallback: None,
        });
    }
    let fallback = options
        .instance_fallback
        .filter(|f| *f != options.instance && instances.contains_key(f));
    if instances.contains_key(&options.instance) {
        return Ok(Pick {
            primary: options.instance,
            fallback,
        });
    }
    if let Some(f) = fallback {
        return Ok(Pick {
            primary: f,
            fallback: None,
        });
    }
    let list = present
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!(
        "no instance {} in the extract (it has instance {list}){}",
        options.instance,
        match options.instance_fallback {
            None => format!("; --instance-fallback {} would take it", present[0]),
            Some(_) => String::new(),
        }
    ))
}
