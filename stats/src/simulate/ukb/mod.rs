//! `simulate --ukb`: the simulated cohort in the shape UK Biobank delivers it, so that the
//! Showcase reader (`stats::ukb`) can be run on a cohort whose truth is known.
//!
//! - `ukb.csv`: `eid`, then every field with a UK Biobank id as `FIELD-INSTANCE.ARRAY`
//!   columns, then the columns without one (imaging, `bsa`) under their simulator names.
//!   Instance 2 (the imaging visit) holds exactly the plain cohort's values, so deriving the
//!   cohort at instance 2 gives it back; instance 0 holds an earlier, perturbed and partly
//!   missing copy, so that the choice of instance and the fallback matter. Fields UK Biobank
//!   records once ([`SINGLE_INSTANCE`]) are at instance 0 only.
//! - The disease labels are not columns: each case gets codes of its disease in the
//!   multi-valued fields 20002 (self-report) and/or 41270 (ICD-10), no control gets any, and
//!   STUDY.toml defines the diseases by the same codes (`codes`).
//! - `Data_Dictionary_Showcase.tsv` and `Codings.tsv` describe every field (`showcase`);
//!   `dictionary.csv` is the overlay naming imaging and covariates; `truth.json` is the plain
//!   truth with every column renamed to its `ukb.csv` name.
//!
//! Everything is drawn from streams of its own after the cohort is made: the plain cohort's
//! draws, and so its files, do not change.

mod codes;
mod showcase;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::diseases::diseases;
use super::world::normal;
use super::{round_to, stream, Cohort, SimulationConfig, DICTIONARY_FILE, TRUTH_FILE};
use crate::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use crate::error::StatsError;
use crate::ukb::SEX_FIELD;
pub use codes::study_toml;

pub const DATA_FILE: &str = "ukb.csv";
pub const SHOWCASE_FILE: &str = "Data_Dictionary_Showcase.tsv";
pub const CODINGS_FILE: &str = "Codings.tsv";
pub const STUDY_FILE: &str = "STUDY.toml";
/// The files `--ukb` writes besides `dictionary.csv` and `truth.json`.
pub const FILES: [&str; 4] = [DATA_FILE, SHOWCASE_FILE, CODINGS_FILE, STUDY_FILE];

/// The imaging visit, where the plain cohort's values are written.
pub const IMAGING_INSTANCE: u32 = 2;
/// Fields UK Biobank records once (sex; the indices of the recruitment address): one
/// instance, 0.
pub const SINGLE_INSTANCE: [u32; 3] = [SEX_FIELD, 189, 26414];
/// Fields measured twice at each visit (automated blood pressure and pulse): two array
/// columns whose mean is the value.
pub const TWO_READINGS: [u32; 3] = [4080, 4079, 102];
const AGE_FIELD: u32 = 21003;

// Streams of `--ukb` only (the plain cohort's stop below 1 000 + factors).
const STREAM_UKB: u64 = 900_000_001;
const STREAM_UKB_CODES: u64 = 900_000_002;

/// Paths of the files `write_ukb` writes.
#[derive(Debug, Clone)]
pub struct UkbFiles {
    pub data: PathBuf,
    pub showcase: PathBuf,
    pub codings: PathBuf,
    pub dictionary: PathBuf,
    pub study: PathBuf,
    pub truth: PathBuf,
}

impl UkbFiles {
    pub fn paths(&self) -> [&Path; 6] {
        [
            &self.data,
            &self.showcase,
            &self.codings,
            &self.dictionary,
            &self.study,
            &self.truth,
        ]
    }
}

/// A field's coding: the simulator's inline one (`1=Yes;0=No`), given an id when written, or
/// a UK Biobank coding whose excerpt `codes` holds.
#[derive(Debug, Clone, PartialEq)]
enum Coding {
    None,
    Inline(String),
    Known(u32),
}

/// One field of the Showcase and its columns in `ukb.csv`.
struct Field {
    id: u32,
    description: String,
    /// The simulator's category name (the last element of the Showcase path).
    category: String,
    value_type: &'static str,
    instances: u32,
    array: usize,
    coding: Coding,
    sexed: &'static str,
    /// The Showcase's Stability: `Complete`, or `Accruing` for records still being linked.
    stability: &'static str,
    /// (instance, array index, values).
    columns: Vec<(u32, usize, Column)>,
}

impl Field {
    fn column_name(&self, instance: u32, array: usize) -> String {
        format!("{}-{instance}.{array}", self.id)
    }
}

fn showcase_type(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Continuous => "Continuous",
        ValueType::Integer => "Integer",
        ValueType::Binary | ValueType::Ordinal | ValueType::Categorical => "Categorical single",
    }
}

/// Writes the six files of the UK Biobank layout into `dir` (created if needed).
pub fn write_ukb(
    cohort: &Cohort,
    config: &SimulationConfig,
    dir: &Path,
) -> Result<UkbFiles, StatsError> {
    std::fs::create_dir_all(dir).map_err(|e| StatsError::io(dir, e))?;
    let files = UkbFiles {
        data: dir.join(DATA_FILE),
        showcase: dir.join(SHOWCASE_FILE),
        codings: dir.join(CODINGS_FILE),
        dictionary: dir.join(DICTIONARY_FILE),
        study: dir.join(STUDY_FILE),
        truth: dir.join(TRUTH_FILE),
    };
    let layout = layout(cohort, config)?;
    let mut data = layout.frame()?;
    crate::data::io::write_table(&mut data, &files.data)?;
    showcase::write_showcase(&layout.fields, &files.showcase, &files.codings)?;
    layout.overlay.write_csv(&files.dictionary)?;
    std::fs::write(&files.study, study_toml(config)?)
        .map_err(|e| StatsError::io(&files.study, e))?;
    let truth = renamed_truth(cohort, &layout.renamed)?;
    std::fs::write(&files.truth, truth + "\n").map_err(|e| StatsError::io(&files.truth, e))?;
    Ok(files)
}

/// The cohort laid out as UK Biobank fields.
struct Layout {
    eid: Column,
    fields: Vec<Field>,
    /// Columns without a field id, under their simulator names.
    pass_through: Vec<Column>,
    overlay: Dictionary,
    /// Plain cohort column -> its `ukb.csv` name, where they differ.
    renamed: BTreeMap<String, String>,
}

impl Layout {
    /// `eid`, the fields' columns by field, instance and array, then the pass-through ones.
    fn frame(&self) -> Result<DataFrame, StatsError> {
        let mut columns: Vec<(u32, u32, usize, Column)> = Vec::new();
        for field in &self.fields {
            for (instance, array, column) in &field.columns {
                let name = field.column_name(*instance, *array);
                columns.push((
                    field.id,
                    *instance,
                    *array,
                    column.clone().with_name(name.into()),
                ));
            }
        }
        columns.sort_by_key(|(id, instance, array, _)| (*id, *instance, *array));
        let mut all = vec![self.eid.clone()];
        all.extend(columns.into_iter().map(|(_, _, _, c)| c));
        all.extend(self.pass_through.iter().cloned());
        Ok(DataFrame::new_infer_height(all)?)
    }
}

fn layout(cohort: &Cohort, config: &SimulationConfig) -> Result<Layout, StatsError> {
    let n = cohort.data.height();
    let mut rng = stream(config.seed, STREAM_UKB);
    // Years between the first visit and the imaging visit, shared by age and the visit dates.
    let gap: Vec<f64> = (0..n).map(|_| rng.gen_range(7.5..11.5)).collect();
    let mut fields = Vec::new();
    let mut pass_through = Vec::new();
    let mut overlay = Vec::new();
    let mut renamed = BTreeMap::new();
    let mut eid = None;
    let mut male = None;
    let mut disease_labels = Vec::new();
    for entry in &cohort.dictionary.entries {
        let column = cohort.data.column(&entry.column)?;
        match (entry.role, entry.field_id) {
            (Role::Id, _) => {
                eid = Some(column.clone());
                overlay.push(entry.clone());
            }
            (Role::Disease, _) => disease_labels.push((entry.column.clone(), binary(column)?)),
            (Role::Imaging, _) | (_, None) => {
                pass_through.push(column.clone());
                if entry.role != Role::Factor {
                    overlay.push(entry.clone());
                }
            }
            (role, Some(id)) => {
                if id == SEX_FIELD {
                    male = Some(binary(column)?);
                }
                let field = field_of(entry, id, column, &gap, &mut rng)?;
                // What the reader derives: the imaging visit, or the one instance recorded.
                let instance = match field.instances {
                    1 => 0,
                    _ => IMAGING_INSTANCE,
                };
                let name = field.column_name(instance, 0);
                if name != entry.column {
                    renamed.insert(entry.column.clone(), name.clone());
                }
                // Covariates are named in the overlay, and so are ordered factors: the
                // Showcase says "Categorical single" whether a coding is ordered or not, and a
                // user declares the order of the fields they know (value type `ordinal`).
                if role == Role::Covariate || entry.value_type == ValueType::Ordinal {
                    overlay.push(DictionaryEntry {
                        column: name,
                        ..entry.clone()
                    });
                }
                fields.push(field);
            }
        }
    }
    let eid = eid.ok_or_else(|| StatsError::Invalid("the cohort has no id column".into()))?;
    let male = male.ok_or_else(|| {
        StatsError::Invalid(format!(
            "the cohort has no sex covariate (field {SEX_FIELD})"
        ))
    })?;
    let mut codes_rng = stream(config.seed, STREAM_UKB_CODES);
    fields.extend(codes::code_fields(&disease_labels, &male, &mut codes_rng)?);
    fields.extend(codes::visit_fields(&gap, &mut codes_rng));
    // The overlay keeps the plain dictionary's order: id, covariates, imaging.
    overlay.sort_by_key(|e| match e.role {
        Role::Id => 0,
        Role::Covariate => 1,
        _ => 2,
    });
    Ok(Layout {
        eid,
        fields,
        pass_through,
        overlay: Dictionary { entries: overlay },
        renamed,
    })
}

/// A 0/1 column as booleans (missing is 0).
fn binary(column: &Column) -> Result<Vec<bool>, StatsError> {
    let values = column.cast(&DataType::Float64)?;
    Ok(values.f64()?.iter().map(|v| v == Some(1.0)).collect())
}

/// The field of a covariate or factor column: the plain values at instance 2 (or at
/// instance 0 for a field recorded once), and an earlier copy at instance 0.
fn field_of(
    entry: &DictionaryEntry,
    id: u32,
    column: &Column,
    gap: &[f64],
    rng: &mut ChaCha8Rng,
) -> Result<Field, StatsError> {
    let integer = column.dtype().is_integer();
    let later: Vec<Option<f64>> = column.cast(&DataType::Float64)?.f64()?.iter().collect();
    let single = SINGLE_INSTANCE.contains(&id);
    let earlier = if id == AGE_FIELD {
        let decimals = decimals(&later);
        later
            .iter()
            .zip(gap)
            .map(|(v, g)| v.map(|v| round_to(v - g, decimals)))
            .collect()
    } else {
        earlier_copy(&later, entry, rng)
    };
    let as_column = |values: Vec<Option<f64>>| -> Column {
        if integer {
            let ints: Vec<Option<i64>> = values.iter().map(|v| v.map(|x| x as i64)).collect();
            Column::new("".into(), ints)
        } else {
            Column::new("".into(), values)
        }
    };
    let mut columns = Vec::new();
    let mut array = 1;
    if single {
        columns.push((0, 0, column.clone()));
    } else if TWO_READINGS.contains(&id) {
        array = 2;
        let (a, b) = two_readings(&earlier, rng);
        columns.push((0, 0, as_column(a)));
        columns.push((0, 1, as_column(b)));
        let (a, b) = two_readings(&later, rng);
        columns.push((IMAGING_INSTANCE, 0, as_column(a)));
        columns.push((IMAGING_INSTANCE, 1, as_column(b)));
    } else {
        columns.push((0, 0, as_column(earlier)));
        columns.push((IMAGING_INSTANCE, 0, column.clone()));
    }
    Ok(Field {
        id,
        description: entry.description.clone(),
        category: entry.category.clone(),
        value_type: showcase_type(entry.value_type),
        instances: if single { 1 } else { 4 },
        array,
        coding: match entry.coding.is_empty() {
            true => Coding::None,
            false => Coding::Inline(entry.coding.clone()),
        },
        sexed: "Unisex",
        stability: "Complete",
        columns,
    })
}

/// Two readings `v + d` and `v - d` whose mean is exactly `v`: `d` a small multiple of 0.5,
/// checked, or 0 where the sum would round.
fn two_readings(
    values: &[Option<f64>],
    rng: &mut ChaCha8Rng,
) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    values
        .iter()
        .map(|v| match v {
            None => (None, None),
            Some(v) => {
                let d = 0.5 * f64::from(rng.gen_range(0u8..=8));
                let d = if ((v + d) + (v - d)) / 2.0 == *v {
                    d
                } else {
                    0.0
                };
                (Some(v + d), Some(v - d))
            }
        })
        .unzip()
}

/// The fewest decimals (up to 4) that print every value of the column.
fn decimals(values: &[Option<f64>]) -> i32 {
    values
        .iter()
        .flatten()
        .take(500)
        .map(|v| (0..4).find(|d| round_to(*v, *d) == *v).unwrap_or(4))
        .max()
        .unwrap_or(0)
}

/// An earlier visit's values: a measurement with some test-retest noise, a coded answer
/// sometimes given differently; some answers missing and some participants missing at the
/// imaging visit answering at the first one.
fn earlier_copy(
    later: &[Option<f64>],
    entry: &DictionaryEntry,
    rng: &mut ChaCha8Rng,
) -> Vec<Option<f64>> {
    // The coding's negative codes ("do not know", ...) are answers, not measurements.
    let non_answers: Vec<f64> = entry
        .coding
        .split(';')
        .filter_map(|pair| pair.split_once('=')?.0.trim().parse::<f64>().ok())
        .filter(|code| *code < 0.0)
        .collect();
    let is_code = |v: &f64| non_answers.contains(v);
    let present: Vec<f64> = later
        .iter()
        .flatten()
        .copied()
        .filter(|v| !is_code(v))
        .collect();
    if present.is_empty() {
        return later.to_vec();
    }
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    let sd =
        (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / present.len() as f64).sqrt();
    let (min, max) = present
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let decimals = match entry.value_type {
        ValueType::Continuous => decimals(later),
        _ => 0,
    };
    let mut levels: Vec<f64> = present.clone();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let pick = |rng: &mut ChaCha8Rng| present[rng.gen_range(0..present.len())];
    later
        .iter()
        .map(|v| match v {
            None if rng.gen_bool(0.5) => Some(pick(rng)),
            None => None,
            Some(_) if rng.gen_bool(0.03) => None,
            // "Do not know" and "prefer not to answer" are not always given again.
            Some(v) if is_code(v) => Some(if rng.gen_bool(0.5) { *v } else { pick(rng) }),
            Some(v) => Some(match entry.value_type {
                ValueType::Continuous | ValueType::Integer => {
                    round_to(v + 0.15 * sd * normal(rng), decimals).clamp(min, max)
                }
                _ if rng.gen_bool(0.07) => levels[rng.gen_range(0..levels.len())],
                _ => *v,
            }),
        })
        .collect()
}

/// The plain truth.json with every column named as in `ukb.csv`.
fn renamed_truth(
    cohort: &Cohort,
    renamed: &BTreeMap<String, String>,
) -> Result<String, StatsError> {
    fn rename(value: &mut serde_json::Value, renamed: &BTreeMap<String, String>) {
        match value {
            serde_json::Value::String(s) => {
                if let Some(new) = renamed.get(s.as_str()) {
                    *s = new.clone();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| rename(v, renamed)),
            serde_json::Value::Object(map) => {
                // Keys name diseases and confounders; a renamed confounder's key follows it.
                let old = std::mem::take(map);
                for (key, mut v) in old {
                    rename(&mut v, renamed);
                    map.insert(renamed.get(&key).cloned().unwrap_or(key), v);
                }
            }
            _ => {}
        }
    }
    let invalid =
        |e: serde_json::Error| StatsError::Invalid(format!("cannot serialise truth: {e}"));
    let mut value = serde_json::to_value(&cohort.truth).map_err(invalid)?;
    rename(&mut value, renamed);
    serde_json::to_string_pretty(&value).map_err(invalid)
}

/// The disease specs' UK Biobank codes by disease name.
fn disease_codes(name: &str) -> Result<&'static super::diseases::UkbCodes, StatsError> {
    diseases()
        .iter()
        .find(|d| d.name == name)
        .map(|d| &d.ukb)
        .ok_or_else(|| StatsError::Invalid(format!("disease '{name}' has no UK Biobank codes")))
}

#[cfg(test)]
mod tests;
