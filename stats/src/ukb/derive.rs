//! From an extract as UK Biobank delivers it (one column per field, instance and array) to one
//! column per variable a PheWAS tests, described by the Showcase: an instance chosen per field,
//! array readings averaged, multi-valued fields expanded into one binary factor per code, and
//! diseases built from code lists. The result is an ordinary cohort (a frame and its
//! `dictionary.csv`), so everything downstream reads it like the simulator's.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::diseases::{checked, Diseases};
use super::expand::{disease_labels, expand_codes, Attendance, CodeColumn};
use super::extract::{field_parts, pick, Extract, FieldNote, Instances, Pick, UkbOptions};
use super::showcase::{Codings, Sexed, Showcase, ShowcaseField, ShowcaseType};
use crate::cohort::{canonical_names, id_column_of, no_id_message, numeric_values};
use crate::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use crate::error::StatsError;

/// The files of an extract.
#[derive(Debug, Clone, Copy)]
pub struct UkbSources<'a> {
    pub data: &'a Path,
    pub showcase: &'a Path,
    pub codings: Option<&'a Path>,
    /// A `dictionary.csv` whose entries replace the Showcase's, by column name: how imaging
    /// phenotypes and covariates are named.
    pub overlay: Option<&'a Path>,
    pub id_column: Option<&'a str>,
}

/// An extract made into a cohort.
#[derive(Debug, Clone)]
pub struct Derived {
    pub frame: DataFrame,
    pub dictionary: Dictionary,
    pub notes: Vec<FieldNote>,
    /// Columns of fields the Showcase marks as recorded for one sex.
    pub sexed: Vec<(String, Sexed)>,
    /// Things the user should know that do not stop the derivation.
    pub warnings: Vec<String>,
}

/// One item of the extract, in the order of its first column.
enum Item {
    Field(u32),
    Other(usize),
}

/// Derives the cohort of an extract (see the module doc).
pub fn derive(
    sources: &UkbSources,
    diseases: &Diseases,
    options: &UkbOptions,
) -> Result<Derived, StatsError> {
    let patterns = checked(diseases)?;
    let showcase = Showcase::read(sources.showcase)?;
    let mut warnings = Vec::new();
    let codings = match sources.codings {
        Some(path) => Codings::read(path)?,
        None => {
            warnings
                .push("no codings file: the levels of coded fields keep their codes".to_string());
            Codings::default()
        }
    };
    let overlay = sources.overlay.map(Dictionary::read_csv).transpose()?;
    // The Showcase gives each column's type, so the extract is read without a pass to infer
    // them: measures as numbers, everything else as text (codes of multi-valued fields keep
    // their leading zeros, ICD-9's `0389`), converted where it is used.
    let types: Vec<(String, DataType)> = crate::data::io::read_column_names(sources.data)?
        .into_iter()
        .filter_map(|raw| {
            let field = field_parts(&crate::data::dictionary::canonical_column_name(&raw))
                .and_then(|(f, _, _)| showcase.get(f))?;
            matches!(
                field.value_type,
                ShowcaseType::Integer | ShowcaseType::Continuous
            )
            .then_some((raw, DataType::Float64))
        })
        .collect();
    let started = std::time::Instant::now();
    let df = crate::data::io::read_table_typed(sources.data, &types)?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        rows = df.height(),
        columns = df.width(),
        "read the extract"
    );
    let file = sources.data.display().to_string();
    let raw: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let names = canonical_names(&raw, &file)?;
    let id = id_column_of(sources.id_column, overlay.as_ref(), |c| {
        names.iter().any(|n| n == c)
    })
    .ok_or_else(|| StatsError::Input {
        file: file.clone(),
        message: no_id_message(),
    })?;
    let id_index = names
        .iter()
        .position(|n| *n == id)
        .ok_or_else(|| StatsError::Input {
            file: file.clone(),
            message: format!("id column '{id}' is not in the data"),
        })?;

    let mut fields: HashMap<u32, Instances> = HashMap::new();
    let mut items = Vec::new();
    for (k, name) in names.iter().enumerate() {
        if k == id_index {
            continue;
        }
        match field_parts(name) {
            Some((field, instance, array)) => {
                let entry = fields.entry(field).or_default();
                if entry.is_empty() {
                    items.push(Item::Field(field));
                }
                entry.entry(instance).or_default().push((array, k));
            }
            None => items.push(Item::Other(k)),
        }
    }
    for instances in fields.values_mut() {
        for arrays in instances.values_mut() {
            arrays.sort_unstable();
        }
    }
    let extract = Extract::new(df, file, names, fields);
    // Who attended each instance, and the diseases' labels, before any column is released.
    let attendance = Attendance::of_all(&extract);
    let labels = disease_labels(&extract, &patterns, diseases, &mut warnings)?;
    let mut out = Builder {
        extract: &extract,
        codings: &codings,
        options,
        attendance,
        columns: vec![numbers_where_possible(&extract.column(id_index))],
        entries: vec![DictionaryEntry {
            column: id.clone(),
            field_id: None,
            description: "Participant identifier".into(),
            category: "Identifier".into(),
            value_type: ValueType::Integer,
            coding: String::new(),
            role: Role::Id,
        }],
        notes: Vec::new(),
        sexed: Vec::new(),
        warnings,
        missing_codings: Vec::new(),
    };
    let overlaid = |name: &str| {
        overlay
            .as_ref()
            .is_some_and(|o| o.entries.iter().any(|e| e.column == name))
    };
    // Fields are independent: derived on every core, then taken in the extract's order, so
    // the cohort is the same whatever the number of threads.
    let described: Vec<&ShowcaseField> = items
        .iter()
        .filter_map(|item| match item {
            Item::Field(field) => showcase.get(*field),
            Item::Other(_) => None,
        })
        .collect();
    let mut derived = out.derive_all(&described);
    for item in items {
        match item {
            Item::Other(k) => out.pass_through(k),
            Item::Field(field) => match showcase.get(field) {
                Some(_) => {
                    let fields = derived
                        .remove(&field)
                        .expect("every described field is derived");
                    out.absorb(fields?);
                }
                None => {
                    // A field the Showcase does not know is kept only where the overlay
                    // describes its columns one by one.
                    let instances = &extract.fields[&field];
                    let mut kept = false;
                    for &(_, k) in instances.values().flatten() {
                        if overlaid(&extract.names[k]) {
                            out.pass_through(k);
                            kept = true;
                        }
                    }
                    if !kept {
                        out.skip(field, format!("field {field} is not in the Showcase file"));
                    }
                }
            },
        }
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "derived the fields"
    );
    for label in labels {
        out.disease(label);
    }
    out.finish(overlay)
}

/// What deriving one field made, in order: columns and notes.
enum Made {
    Column(Box<(Column, DictionaryEntry, Sexed, String)>),
    Note(FieldNote),
}

/// One field's derivation, made apart from the others (on its own thread) and taken into the
/// cohort in the extract's order.
#[derive(Default)]
struct FieldOut {
    made: Vec<Made>,
    /// The field's coding, when the codings file lacks it.
    missing_coding: Option<u32>,
}

impl FieldOut {
    fn skip(&mut self, field: u32, why: String) {
        self.made.push(Made::Note(FieldNote {
            column: field.to_string(),
            field_id: Some(field),
            kept: false,
            note: why,
        }));
    }

    fn push(&mut self, column: Column, entry: DictionaryEntry, sexed: Sexed, note: String) {
        self.made
            .push(Made::Column(Box::new((column, entry, sexed, note))));
    }
}

pub(crate) struct Builder<'a> {
    extract: &'a Extract,
    codings: &'a Codings,
    options: &'a UkbOptions,
    attendance: Attendance,
    columns: Vec<Column>,
    entries: Vec<DictionaryEntry>,
    notes: Vec<FieldNote>,
    sexed: Vec<(String, Sexed)>,
    warnings: Vec<String>,
    missing_codings: Vec<u32>,
}

/// A column read as text (the extract is read without inferring types) as numbers when every
/// value is one: whole numbers as integers (ids among them), others as floats; text stays text.
fn numbers_where_possible(column: &Column) -> Column {
    let Ok(text) = column.str() else {
        return column.clone();
    };
    let mut numbers = Vec::with_capacity(text.len());
    for cell in text.iter() {
        match cell.map(str::trim).filter(|t| !t.is_empty()) {
            None => numbers.push(None),
            Some(t) => match t.parse::<f64>() {
                Ok(x) if x.is_finite() => numbers.push(Some(x)),
                _ => return column.clone(),
            },
        }
    }
    let whole = numbers
        .iter()
        .flatten()
        .all(|x| x.fract() == 0.0 && x.abs() < 9.0e15);
    if whole {
        let ints: Vec<Option<i64>> = numbers.iter().map(|x| x.map(|x| x as i64)).collect();
        Column::new(column.name().clone(), ints)
    } else {
        Column::new(column.name().clone(), numbers)
    }
}

impl Builder<'_> {
    fn skip(&mut self, field: u32, why: String) {
        self.notes.push(FieldNote {
            column: field.to_string(),
            field_id: Some(field),
            kept: false,
            note: why,
        });
    }

    fn pass_through(&mut self, k: usize) {
        self.columns
            .push(numbers_where_possible(&self.extract.column(k)));
    }

    fn push(&mut self, column: Column, entry: DictionaryEntry, sexed: Sexed, note: String) {
        if sexed != Sexed::Unisex {
            self.sexed.push((entry.column.clone(), sexed));
        }
        self.notes.push(FieldNote {
            column: entry.column.clone(),
            field_id: entry.field_id,
            kept: true,
            note,
        });
        self.columns.push(column);
        self.entries.push(entry);
    }

    /// Each field derived on its own, on as many threads as there are cores.
    fn derive_all(&self, fields: &[&ShowcaseField]) -> HashMap<u32, Result<FieldOut, StatsError>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(fields.len().max(1));
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        fields
                            .iter()
                            .skip(t)
                            .step_by(threads)
                            .map(|field| (field.field_id, self.field(field)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a field's derivation does not panic"))
                .collect()
        })
    }

    /// One field's columns and notes; its columns of the extract are released after.
    fn field(&self, field: &ShowcaseField) -> Result<FieldOut, StatsError> {
        let mut out = FieldOut::default();
        let derived = self.derive_field(field, &mut out);
        self.extract.release(field.field_id);
        derived.map(|_| out)
    }

    /// Takes a field's columns and notes, in the order they were made.
    fn absorb(&mut self, out: FieldOut) {
        if let Some(coding) = out.missing_coding {
            if !self.missing_codings.contains(&coding) {
                self.missing_codings.push(coding);
            }
        }
        for made in out.made {
            match made {
                Made::Column(made) => {
                    let (column, entry, sexed, note) = *made;
                    self.push(column, entry, sexed, note)
                }
                Made::Note(note) => self.notes.push(note),
            }
        }
    }

    fn derive_field(&self, field: &ShowcaseField, out: &mut FieldOut) -> Result<(), StatsError> {
        let instances = &self.extract.fields[&field.field_id];
        if matches!(
            field.value_type,
            ShowcaseType::Date | ShowcaseType::Time | ShowcaseType::Text | ShowcaseType::Compound
        ) {
            out.skip(
                field.field_id,
                format!("{} field: not analysed", field.value_type.as_str()),
            );
            return Ok(());
        }
        let pick = match pick(field, instances, self.options) {
            Ok(p) => p,
            Err(why) => {
                out.skip(field.field_id, why);
                return Ok(());
            }
        };
        if let Some(coding) = field.coding {
            if !self.codings.has(coding) {
                out.missing_coding = Some(coding);
            }
        }
        if field.value_type == ShowcaseType::CategoricalMultiple {
            let (codes, notes) = expand_codes(
                self.extract,
                self.codings,
                &self.attendance,
                self.options.min_cases,
                field,
                pick,
            )?;
            out.made.extend(notes.into_iter().map(Made::Note));
            for code in codes {
                self.code_column(field, code, out);
            }
            return Ok(());
        }
        self.single(field, instances, pick, out)
    }

    /// A field with one value per participant and instance (its arrays averaged, or the
    /// first one with a value for a categorical field).
    fn single(
        &self,
        field: &ShowcaseField,
        instances: &Instances,
        pick: Pick,
        out: &mut FieldOut,
    ) -> Result<(), StatsError> {
        let categorical = field.value_type == ShowcaseType::CategoricalSingle;
        let declared = if categorical {
            ValueType::Categorical
        } else {
            ValueType::Continuous
        };
        let name = format!("{}-{}.0", field.field_id, pick.primary);
        // Per instance: the values and the number of arrays, or the column that holds text
        // codes (a categorical field coded by text, such as an ICD-10 code).
        type AtInstance = Option<Result<(Vec<f64>, usize), String>>;
        let values_at = |instance: u32| -> Result<AtInstance, StatsError> {
            let Some(arrays) = instances.get(&instance) else {
                return Ok(None);
            };
            let mut sum: Option<Vec<f64>> = None;
            let mut count = vec![0u32; self.extract.height];
            for &(_, k) in arrays {
                let (values, levels) = numeric_values(
                    &self.extract.column(k),
                    &self.extract.names[k],
                    Some(declared),
                    &self.extract.file,
                )?;
                if levels.is_some() {
                    return Ok(Some(Err(self.extract.names[k].clone())));
                }
                let sum = sum.get_or_insert_with(|| vec![0.0; values.len()]);
                for (row, v) in values.into_iter().enumerate() {
                    // A categorical field takes its first array with a value; a measure,
                    // the mean of its readings.
                    if v.is_nan() || (categorical && count[row] > 0) {
                        continue;
                    }
                    sum[row] += v;
                    count[row] += 1;
                }
            }
            let values = sum
                .unwrap_or_default()
                .into_iter()
                .zip(&count)
                .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
                .collect();
            Ok(Some(Ok((values, arrays.len()))))
        };
        let text_codes = |column: String| {
            format!("column '{column}' holds text codes: a categorical field coded by text is not analysed")
        };
        let (mut values, arrays) = match values_at(pick.primary)? {
            Some(Ok(v)) => v,
            Some(Err(column)) => {
                out.skip(field.field_id, text_codes(column));
                return Ok(());
            }
            None => unreachable!("the primary instance has columns"),
        };
        let mut notes = vec![format!(
            "field {} at instance {}",
            field.field_id, pick.primary
        )];
        if field.instances <= 1 {
            notes[0].push_str(" (recorded once)");
        }
        if arrays > 1 && !categorical {
            notes.push(format!("mean of {arrays} array columns"));
        }
        if let Some(f) = pick.fallback {
            let earlier = match values_at(f)? {
                Some(Ok((earlier, _))) => earlier,
                Some(Err(column)) => {
                    out.skip(field.field_id, text_codes(column));
                    return Ok(());
                }
                None => unreachable!("the fallback instance has columns"),
            };
            let mut taken = 0usize;
            for (v, e) in values.iter_mut().zip(earlier) {
                if v.is_nan() && !e.is_nan() {
                    *v = e;
                    taken += 1;
                }
            }
            notes.push(format!("{taken} participants from instance {f}"));
        }
        let whole = values.iter().all(|v| v.is_nan() || v.fract() == 0.0);
        let value_type = match field.value_type {
            ShowcaseType::Integer if arrays == 1 || whole => ValueType::Integer,
            ShowcaseType::CategoricalSingle => self.categorical_type(field, &values),
            _ => ValueType::Continuous,
        };
        let coding = match value_type {
            ValueType::Continuous => String::new(),
            _ => self.inline_coding(field, &values),
        };
        let title = match field.units.as_str() {
            "" => field.title.clone(),
            units => format!("{}, {units}", field.title),
        };
        let column = Column::new(
            name.as_str().into(),
            values
                .iter()
                .map(|v| (!v.is_nan()).then_some(*v))
                .collect::<Vec<_>>(),
        );
        out.push(
            column,
            DictionaryEntry {
                column: name,
                field_id: Some(field.field_id),
                description: title,
                category: field.category.clone(),
                value_type,
                coding,
                role: Role::Factor,
            },
            field.sexed,
            notes.join("; "),
        );
        Ok(())
    }

    /// Binary when the field's coding (or, without one, its data) has exactly two
    /// non-negative levels: UK Biobank's negative codes are non-answers.
    fn categorical_type(&self, field: &ShowcaseField, values: &[f64]) -> ValueType {
        let from_coding: Option<usize> = field.coding.filter(|c| self.codings.has(*c)).map(|c| {
            self.codings
                .values(c)
                .iter()
                .filter(|(v, _)| v.parse::<f64>().is_ok_and(|x| x >= 0.0))
                .count()
        });
        let levels = from_coding.unwrap_or_else(|| {
            let mut seen: Vec<f64> = values
                .iter()
                .copied()
                .filter(|v| !v.is_nan() && *v >= 0.0)
                .collect();
            seen.sort_by(f64::total_cmp);
            seen.dedup();
            seen.len()
        });
        if levels == 2 {
            ValueType::Binary
        } else {
            ValueType::Categorical
        }
    }

    /// `code=meaning;...` for the codes a coded field holds (and the negative codes of its
    /// coding, so cleaning knows them), in the dictionary's inline form.
    fn inline_coding(&self, field: &ShowcaseField, values: &[f64]) -> String {
        let Some(coding) = field.coding.filter(|c| self.codings.has(*c)) else {
            return String::new();
        };
        let mut seen: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        seen.sort_by(f64::total_cmp);
        seen.dedup();
        self.codings
            .values(coding)
            .iter()
            .filter(|(v, _)| {
                v.parse::<f64>()
                    .is_ok_and(|x| x < 0.0 || seen.binary_search_by(|s| s.total_cmp(&x)).is_ok())
            })
            .map(|(v, m)| format!("{v}={}", m.replace(';', ",")))
            .collect::<Vec<_>>()
            .join(";")
    }

    fn code_column(&self, field: &ShowcaseField, code: CodeColumn, out: &mut FieldOut) {
        let meaning = field
            .coding
            .and_then(|c| self.codings.meaning(c, &code.code))
            .map(str::to_string)
            .unwrap_or_else(|| format!("code {}", code.code));
        let name = format!("{}#{}", field.field_id, code.code);
        let column = Column::new(name.as_str().into(), code.values);
        out.push(
            column,
            DictionaryEntry {
                column: name,
                field_id: Some(field.field_id),
                description: format!("{meaning} ({})", field.title),
                category: field.category.clone(),
                value_type: ValueType::Binary,
                coding: "0=No;1=Yes".into(),
                role: Role::Factor,
            },
            field.sexed,
            code.note,
        );
    }

    fn disease(&mut self, label: super::expand::DiseaseLabel) {
        // A code-built label replaces a column of the same name (a hand-made label).
        if let Some(k) = self
            .columns
            .iter()
            .position(|c| c.name().as_str() == label.name)
        {
            self.columns.remove(k);
            self.entries.retain(|e| e.column != label.name);
            self.warnings.push(format!(
                "[diseases.{}] replaces the column '{}' of the extract",
                label.name, label.name
            ));
        }
        let column = Column::new(label.name.as_str().into(), label.values);
        self.push(
            column,
            DictionaryEntry {
                column: label.name,
                field_id: None,
                description: label.description,
                category: "Diseases (defined by codes)".into(),
                value_type: ValueType::Binary,
                coding: "0=No;1=Yes".into(),
                role: Role::Disease,
            },
            Sexed::Unisex,
            label.note,
        );
    }

    fn finish(mut self, overlay: Option<Dictionary>) -> Result<Derived, StatsError> {
        for coding in &self.missing_codings {
            self.warnings.push(format!(
                "coding {coding} is not in the codings file: the levels of its fields keep their codes"
            ));
        }
        // The overlay's entries win, but a derived field id is kept: it is how the sex
        // covariate (field 31) is recognised.
        for entry in overlay.map(|o| o.entries).unwrap_or_default() {
            let column = crate::data::dictionary::canonical_column_name(&entry.column);
            match self.entries.iter_mut().find(|e| e.column == column) {
                Some(e) => {
                    let field_id = e.field_id;
                    *e = DictionaryEntry { column, ..entry };
                    e.field_id = e.field_id.or(field_id);
                }
                None if self.columns.iter().any(|c| c.name().as_str() == column) => {
                    self.entries.push(DictionaryEntry { column, ..entry })
                }
                None => self.warnings.push(format!(
                    "the dictionary describes '{column}', which is neither a column of the extract nor derived from one"
                )),
            }
        }
        let frame =
            DataFrame::new(self.extract.height, self.columns).map_err(|e| StatsError::Polars {
                context: format!("{}: the derived cohort", self.extract.file),
                source: e,
            })?;
        for w in &self.warnings {
            tracing::warn!("{w}");
        }
        Ok(Derived {
            frame,
            dictionary: Dictionary {
                entries: self.entries,
            },
            notes: self.notes,
            sexed: self.sexed,
            warnings: self.warnings,
        })
    }
}

/// The files of a derived cohort, in the folder they are written to.
pub const COHORT_FILE: &str = "cohort.parquet";
pub const DICTIONARY_FILE: &str = "dictionary.csv";
pub const FIELDS_FILE: &str = "fields.csv";

impl Derived {
    /// Writes `cohort.parquet`, `dictionary.csv` and `fields.csv` (every field and derived
    /// column: kept or not, recorded for one sex or not, and why) into `dir`.
    pub fn write(&mut self, dir: &Path) -> Result<(), StatsError> {
        std::fs::create_dir_all(dir).map_err(|e| StatsError::io(dir, e))?;
        let started = std::time::Instant::now();
        // Snappy, not the zstd of our other tables: thousands of columns, written once and
        // read by the next step, where zstd's smaller file is not worth its time.
        let path = dir.join(COHORT_FILE);
        let file = std::fs::File::create(&path).map_err(|e| StatsError::io(&path, e))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .finish(&mut self.frame)
            .map_err(|e| StatsError::polars_in(&path, e))?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "wrote the derived cohort"
        );
        self.dictionary.write_csv(&dir.join(DICTIONARY_FILE))?;
        write_fields(&dir.join(FIELDS_FILE), &self.notes, &self.sexed)
    }
}

/// `fields.csv`.
pub fn write_fields(
    path: &Path,
    notes: &[FieldNote],
    sexed: &[(String, Sexed)],
) -> Result<(), StatsError> {
    use crate::data::delimited::{Cell, TableWriter};
    let mut out = TableWriter::create(path, &["column", "field_id", "kept", "sexed", "note"])?;
    for n in notes {
        let sex = sexed
            .iter()
            .find(|(c, _)| *c == n.column)
            .map_or("", |(_, s)| match s {
                Sexed::Female => "female",
                Sexed::Male => "male",
                Sexed::Unisex => "",
            });
        out.row(&[
            Cell::Text(&n.column),
            Cell::Count(n.field_id.map(u64::from)),
            Cell::Text(if n.kept { "true" } else { "false" }),
            Cell::Text(sex),
            Cell::Text(&n.note),
        ])?;
    }
    out.finish()
}
