//! A UK Biobank extract made into a cohort on disk (`stats::ukb`), for `meshagents ukb`,
//! `phewas --showcase` and studies with `showcase = ...`. The derived folder
//! (`cohort.parquet`, `dictionary.csv`, `fields.csv`, `derivation.json`) is what every later
//! step reads, the Slurm workers included, so a study on an extract is a study on an ordinary
//! cohort. It is made again only when the request or an input file changed: deriving a wide
//! extract takes a while, and a resumed study must not pay it twice.

use std::path::{Path, PathBuf};

use meshagents_stats::data::dictionary::{Dictionary, Role};
use meshagents_stats::phewas::CovariateDrop;
use meshagents_stats::ukb::{
    self, Diseases, FieldNote, Sexed, UkbOptions, UkbSources, COHORT_FILE, DICTIONARY_FILE,
    FIELDS_FILE, SEX_FIELD,
};
use serde::{Deserialize, Serialize};

use crate::WorkflowError;

/// What to derive, from which files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UkbRequest {
    pub data: PathBuf,
    pub showcase: PathBuf,
    pub codings: Option<PathBuf>,
    /// A `dictionary.csv` overlaid on the Showcase's entries (imaging phenotypes, covariates).
    pub overlay: Option<PathBuf>,
    pub id: Option<String>,
    pub options: UkbOptions,
    pub diseases: Diseases,
}

/// The size and modification time of an input: enough to see it changed since the cohort
/// was derived (a study's inputs are hashed separately, by `inputs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    bytes: u64,
    modified_ns: Option<u128>,
}

fn stamp(path: &Path) -> Result<Stamp, WorkflowError> {
    let (bytes, modified_ns) = crate::inputs::stat(path)?;
    Ok(Stamp {
        path: path.to_path_buf(),
        bytes,
        modified_ns,
    })
}

/// `derivation.json`: the request and its inputs, and what the derivation said, written
/// last so that an interrupted derivation is made again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    request: UkbRequest,
    inputs: Vec<Stamp>,
    notes: Vec<FieldNote>,
    sexed: Vec<(String, Sexed)>,
    warnings: Vec<String>,
}

const RECORD_FILE: &str = "derivation.json";

/// Every file a derivation writes into its folder.
pub const DERIVED_FILES: [&str; 4] = [COHORT_FILE, DICTIONARY_FILE, FIELDS_FILE, RECORD_FILE];

/// Whether `dictionary` is the dictionary of a derived cohort (it has the derivation's record
/// beside it).
pub fn is_derived(dictionary: &Path) -> bool {
    dictionary.file_name().is_some_and(|n| n == DICTIONARY_FILE)
        && dictionary.with_file_name(RECORD_FILE).is_file()
}

/// The `[diseases.NAME]` tables of a TOML file (a STUDY.toml will do: its other keys are
/// not read here).
pub fn read_diseases(path: &Path) -> Result<Diseases, WorkflowError> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        diseases: Diseases,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
    let file: File = toml::from_str(&text).map_err(|e| WorkflowError::Toml {
        path: path.display().to_string(),
        source: e,
    })?;
    Ok(file.diseases)
}

/// A derived cohort on disk.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub data: PathBuf,
    pub dictionary: PathBuf,
    pub notes: Vec<FieldNote>,
    pub sexed: Vec<(String, Sexed)>,
    pub warnings: Vec<String>,
    /// Whether it was derived now (false: an earlier derivation was still valid).
    pub derived: bool,
}

impl UkbRequest {
    fn inputs(&self) -> Vec<&Path> {
        [
            Some(&self.data),
            Some(&self.showcase),
            self.codings.as_ref(),
            self.overlay.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect()
    }

    /// Derives the cohort into `dir`, or reuses the one already there when it was derived by
    /// the same request from the same files.
    pub fn prepare(&self, dir: &Path) -> Result<Prepared, WorkflowError> {
        let inputs = self
            .inputs()
            .into_iter()
            .map(stamp)
            .collect::<Result<Vec<_>, _>>()?;
        let record_path = dir.join(RECORD_FILE);
        let earlier: Option<Record> = std::fs::read(&record_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let outputs_exist = [COHORT_FILE, DICTIONARY_FILE]
            .iter()
            .all(|f| dir.join(f).is_file());
        let record = match earlier {
            Some(r) if r.request == *self && r.inputs == inputs && outputs_exist => (r, false),
            _ => {
                // The record goes first, so a derivation cut short is never taken as done.
                let _ = std::fs::remove_file(&record_path);
                let mut derived = ukb::derive(
                    &UkbSources {
                        data: &self.data,
                        showcase: &self.showcase,
                        codings: self.codings.as_deref(),
                        overlay: self.overlay.as_deref(),
                        id_column: self.id.as_deref(),
                    },
                    &self.diseases,
                    &self.options,
                )?;
                derived.write(dir)?;
                let record = Record {
                    request: self.clone(),
                    inputs,
                    notes: derived.notes,
                    sexed: derived.sexed,
                    warnings: derived.warnings,
                };
                let text = serde_json::to_vec_pretty(&record).map_err(|e| WorkflowError::Json {
                    path: record_path.display().to_string(),
                    source: e,
                })?;
                std::fs::write(&record_path, text)
                    .map_err(|e| WorkflowError::io(record_path.display().to_string(), e))?;
                (record, true)
            }
        };
        let (record, derived) = record;
        Ok(Prepared {
            data: dir.join(COHORT_FILE),
            dictionary: dir.join(DICTIONARY_FILE),
            notes: record.notes,
            sexed: record.sexed,
            warnings: record.warnings,
            derived,
        })
    }
}

impl Prepared {
    /// For each factor of a field recorded for one sex, the sex covariate (the one whose
    /// dictionary entry is field 31) left out of its pairs: within one sex it is constant, or
    /// a handful of mis-recorded participants would decide its coefficient.
    pub fn sex_drops(
        &self,
        dictionary: Option<&Dictionary>,
        factors: &[String],
        covariates: &[String],
    ) -> Vec<CovariateDrop> {
        let Some(dictionary) = dictionary else {
            return Vec::new();
        };
        let sex: Vec<String> = covariates
            .iter()
            .filter(|c| {
                dictionary
                    .get(c)
                    .is_some_and(|e| e.field_id == Some(SEX_FIELD) && e.role != Role::Id)
            })
            .cloned()
            .collect();
        if sex.is_empty() {
            return Vec::new();
        }
        self.sexed
            .iter()
            .filter(|(column, _)| factors.contains(column))
            .map(|(column, s)| CovariateDrop {
                factor: column.clone(),
                covariates: sex.clone(),
                reason: format!(
                    "the Showcase records this field for {} participants only",
                    match s {
                        Sexed::Female => "female",
                        Sexed::Male => "male",
                        Sexed::Unisex => "all",
                    }
                ),
            })
            .collect()
    }
}
