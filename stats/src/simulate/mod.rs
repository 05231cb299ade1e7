//! `simulate`: a seeded generator of a UK Biobank-like cardiac imaging cohort whose causal
//! structure is known, so that every discovery claimed by an analysis can be scored.
//!
//! # Generative model
//!
//! 1. **Participants** (`world`): sex (48 % men), age (N(63, 7.5) truncated to 45-80), height
//!    by sex, weight linear in height and sex. Planted exposures: physical activity, HbA1c
//!    (rises with age and weight), LDL cholesterol, reaction time (rises with age), alcohol
//!    (more in men), salt habit, deprivation, smoking status (previous smoking rises with age)
//!    and atrial fibrillation (rises with age, more in men). Systolic pressure depends on age,
//!    sex, weight, salt and deprivation; heart rate falls with activity.
//! 2. **Confounders** are age, sex, height and weight: they drive both the imaging phenotypes
//!    and many non-imaging fields. Phenotypes depend on them *linearly* (through a body-size
//!    index `0.55 z(height) + 0.45 z(weight)`), so adjusting for the four removes confounding
//!    exactly. BMI and BSA are recorded as proxies.
//! 3. **Imaging** (`imaging`): each primary phenotype is a sex-specific mean plus a
//!    sex-specific SD times a linear predictor of standardised causes and noise. Derived
//!    phenotypes keep the identities of domain.md exactly: SV = EDV - ESV, EF = 100 SV / EDV,
//!    LVCO = LVSV x HR / 1000, distensibility = (max - min) / (min x pulse pressure) (the minimum
//!    area is computed from a target distensibility that falls with age), the global wall
//!    thickness and strain are the mean of 16 (or 6) strongly correlated segments.
//! 4. **Direct associations** ([`imaging::PLANTED_EFFECTS`]): activity, HbA1c, LDL, reaction
//!    time, alcohol, smoking and atrial fibrillation act on named primary phenotypes; derived
//!    phenotypes inherit the effect ([`imaging::derived_from`]).
//! 5. **Mediation**: salt and deprivation act only through systolic pressure
//!    ([`imaging::PRESSURE_PHENOTYPES`]); activity also acts on cardiac output through heart
//!    rate. `sbp` and `heart_rate` are the mediators: adjusting for them hides real pathways.
//! 6. **Non-imaging fields** (`fields`): at least 300 fields over the 11 categories of Bai 2020,
//!    of every type. Each has a latent value that is a planted exposure, a mix of the
//!    confounders (associated with imaging only through confounding), or independent noise
//!    (null), optionally sharing a theme with fields of its category. Missingness differs per
//!    field (a few above 90 %), coded fields carry -1 "do not know" and -3 "prefer not to
//!    answer", a few fields are near-constant and three are near-duplicates (|r| > 0.9999).
//! 7. **Diseases**: twelve labels, each a logistic function of named phenotypes and exposures
//!    with the intercept solved for a realistic prevalence.
//!
//! 8. **Scenarios** (`scenario`, [`SimulationConfig::scenario`]) plant one more variable, a
//!    field with role `factor` that an analysis sees associated with many factors and many
//!    phenotypes, whose right handling differs:
//!    - `baseline` (default): the structure above, byte-identical to the files written before
//!      scenarios existed.
//!    - `factor-confounder`: a socioeconomic latent `ses`, independent of age, sex, height and
//!      weight, loads 0.45 on the activity and alcohol exposures and 0.4-0.5 on a random third
//!      of the other lifestyle fields (Diet, Alcohol, Smoking, Physical activity), and acts
//!      directly (not through blood pressure) on [`SES_EFFECTS`]. It is recorded as
//!      `26414-2.0`, "Education score (England)" in Education and employment (higher = more
//!      deprived, |r| > 0.99 with `-ses`, 1.5 % missing). Adjusted for the usual four, the
//!      driven fields stay associated with those phenotypes; adjusted for the field too, the
//!      association goes. truth.json lists it among `confounders`, its driven fields under
//!      `confounded_factors` (those linked to imaging only through it in `confounded_only`).
//!    - `mediator`: C-reactive protein, `30710-2.0`, in a category causally later than
//!      lifestyle, "Blood assays" (log-normal). It is caused by the activity, alcohol and smoking
//!      exposures, every item of one dietary, the alcohol and the activity theme, and a third of
//!      the other lifestyle items, and acts on [`MEDIATOR_EFFECTS`]. Adjusting for it would
//!      hide real pathways: truth.json lists it among `mediators` (confounders stay the four)
//!      and its causes in `mediated_associations`.
//!
//! Every random draw comes from ChaCha8 streams derived from the seed, one stream per part, so
//! the same seed gives byte-identical files. Scenarios draw only from streams of their own.

mod diseases;
mod fields;
mod imaging;
mod scenario;
pub mod ukb;
mod world;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::data::dictionary::{Dictionary, DictionaryEntry, Role, ValueType};
use crate::error::StatsError;
use diseases::{build_truth, diseases};
use fields::{Encoding, FieldSpec, Latent};
pub use fields::{TruthKind, CATEGORIES};
pub use scenario::{
    Scenario, LIFESTYLE, MEDIATOR_CATEGORY, MEDIATOR_EFFECTS, MEDIATOR_FIELD_ID, SES_EFFECTS,
    SES_FIELD_ID,
};
use world::{normal, World};

/// Non-imaging fields generated when the caller does not ask for a number.
pub const DEFAULT_FACTORS: usize = 320;
pub const GENERATOR_VERSION: &str = "1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputFormat {
    Parquet,
    Csv,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Csv => "csv",
        }
    }

    /// The cohort table's file name in the folder `write_cohort` writes.
    pub fn data_file_name(self) -> String {
        format!("cohort.{}", self.extension())
    }
}

/// The dictionary and planted-truth files `write_cohort` writes beside the table.
const DICTIONARY_FILE: &str = "dictionary.csv";
const TRUTH_FILE: &str = "truth.json";

/// Whether `name` is a file `write_cohort` (in any format) or `ukb::write_ukb` writes, so
/// that a folder holding only such files can be recognised as a simulated cohort.
pub fn is_cohort_file(name: &str) -> bool {
    name == DICTIONARY_FILE
        || name == TRUTH_FILE
        || ukb::FILES.contains(&name)
        || [OutputFormat::Parquet, OutputFormat::Csv]
            .iter()
            .any(|f| f.data_file_name() == name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulationConfig {
    pub n: usize,
    pub seed: u64,
    /// Number of non-imaging factor fields (at least the named catalogue). A scenario adds
    /// its own field on top.
    pub factors: usize,
    /// The planted causal structure; [`Scenario::Baseline`] by default.
    pub scenario: Scenario,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig {
            n: 5_000,
            seed: 42,
            factors: DEFAULT_FACTORS,
            scenario: Scenario::Baseline,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedAssociation {
    pub phenotype: String,
    pub factor: String,
    /// The latent exposure carried by the factor.
    pub exposure: String,
    /// `planted` for the primary effect, `derived` when inherited through an identity.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediatedAssociation {
    pub factor: String,
    pub mediator: String,
    pub phenotypes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    pub name: String,
    pub version: String,
    pub n: usize,
    pub seed: u64,
    pub factors: usize,
    /// The scenario's name. Omitted for the baseline, so that baseline truth.json files keep
    /// the bytes they had before scenarios existed; files without it read as `baseline`.
    #[serde(default = "baseline_name", skip_serializing_if = "is_baseline_name")]
    pub scenario: String,
}

fn baseline_name() -> String {
    Scenario::Baseline.name().to_string()
}

fn is_baseline_name(name: &str) -> bool {
    name == Scenario::Baseline.name()
}

/// The planted causal structure, written as `truth.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub generator: GeneratorInfo,
    pub confounders: Vec<String>,
    pub confounder_proxies: Vec<String>,
    pub mediators: Vec<String>,
    pub direct_associations: Vec<PlantedAssociation>,
    pub mediated_associations: Vec<MediatedAssociation>,
    pub confounded_only: Vec<String>,
    pub null_factors: Vec<String>,
    pub disease_phenotypes: BTreeMap<String, Vec<String>>,
    pub disease_factors: BTreeMap<String, Vec<String>>,
    pub near_duplicates: Vec<(String, String)>,
    /// For a confounder beyond age, sex, height and weight (the factor-confounder scenario's
    /// field), the factors whose latent it drives: their associations with the phenotypes it
    /// acts on are confounded by it. Absent (empty) in the baseline.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confounded_factors: BTreeMap<String, Vec<String>>,
}

/// A generated cohort in memory.
pub struct Cohort {
    pub data: DataFrame,
    pub dictionary: Dictionary,
    pub truth: Truth,
}

/// Paths of the three files a cohort is written to.
#[derive(Debug, Clone)]
pub struct CohortFiles {
    pub data: PathBuf,
    pub dictionary: PathBuf,
    pub truth: PathBuf,
}

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

const STREAM_WORLD: u64 = 1;
const STREAM_IMAGING: u64 = 2;
const STREAM_CATALOGUE: u64 = 3;
const STREAM_THEMES: u64 = 4;
const STREAM_DISEASE: u64 = 5;
const STREAM_MISSING: u64 = 6;
// Streams only a causal scenario reads; the baseline never touches them.
const STREAM_SES: u64 = 7;
const STREAM_SCENARIO_CATALOGUE: u64 = 8;
const STREAM_MEDIATOR: u64 = 9;
const STREAM_FIELD_BASE: u64 = 1_000;
const THEMES: usize = 8;

pub fn simulate(config: &SimulationConfig) -> Result<Cohort, StatsError> {
    if config.n < 10 {
        return Err(StatsError::Invalid(format!(
            "--n must be at least 10 participants (got {})",
            config.n
        )));
    }
    let n = config.n;
    let scenario = config.scenario;
    let ses = scenario::ses(scenario, n, &mut stream(config.seed, STREAM_SES));
    let world = world::generate(n, &mut stream(config.seed, STREAM_WORLD), &ses);
    let mut catalogue =
        fields::catalogue(config.factors, &mut stream(config.seed, STREAM_CATALOGUE));
    scenario::extend_catalogue(
        scenario,
        &mut catalogue,
        &mut stream(config.seed, STREAM_SCENARIO_CATALOGUE),
    );
    let mut latents = scenario::Latents {
        ses,
        mediator: Vec::new(),
    };

    let mut theme_rng = stream(config.seed, STREAM_THEMES);
    let themes: Vec<Vec<f64>> = (0..THEMES)
        .map(|_| (0..n).map(|_| normal(&mut theme_rng)).collect())
        .collect();

    let mut columns: Vec<Column> = Vec::new();
    let mut entries: Vec<DictionaryEntry> = Vec::new();

    // Identifier and covariates.
    columns.push(Column::new(
        "eid".into(),
        (0..n).map(|i| 1_000_001 + i as i64).collect::<Vec<_>>(),
    ));
    entries.push(entry(
        "eid",
        None,
        "Participant identifier",
        "Identifier",
        ValueType::Integer,
        "",
        Role::Id,
    ));
    let mut miss = stream(config.seed, STREAM_MISSING);
    let mut drop_rows = |rate: f64| -> Vec<bool> { (0..n).map(|_| miss.gen_bool(rate)).collect() };
    let height_missing = drop_rows(0.003);
    let weight_missing = drop_rows(0.003);
    let bp_missing = drop_rows(0.015);
    let hr_missing = drop_rows(0.01);
    let mask = |values: &[f64], missing: &[bool]| -> Vec<Option<f64>> {
        values
            .iter()
            .zip(missing)
            .map(|(v, m)| if *m { None } else { Some(*v) })
            .collect()
    };
    let size_missing: Vec<bool> = height_missing
        .iter()
        .zip(&weight_missing)
        .map(|(a, b)| *a || *b)
        .collect();
    let bmi: Vec<f64> = (0..n)
        .map(|i| round_to(world.weight[i] / (world.height[i] / 100.0).powi(2), 2))
        .collect();
    let bsa: Vec<f64> = (0..n)
        .map(|i| round_to((world.height[i] * world.weight[i] / 3600.0).sqrt(), 3))
        .collect();
    let pm = "Physical measures";
    let pd = "Primary demographics";
    // (column, UK Biobank field, description, category, values)
    type CovariateColumn<'a> = (&'a str, Option<u32>, &'a str, &'a str, Vec<Option<f64>>);
    let covariates: Vec<CovariateColumn> = vec![
        (
            "age",
            Some(21003),
            "Age when attended assessment centre (imaging visit), years",
            pd,
            world.age.iter().map(|v| Some(*v)).collect(),
        ),
        (
            "height",
            Some(50),
            "Standing height, cm",
            pm,
            mask(&world.height, &height_missing),
        ),
        (
            "weight",
            Some(21002),
            "Weight, kg",
            pm,
            mask(&world.weight, &weight_missing),
        ),
        (
            "bmi",
            Some(21001),
            "Body mass index (BMI), kg/m2",
            pm,
            mask(&bmi, &size_missing),
        ),
        (
            "bsa",
            None,
            "Body surface area (Mosteller), m2",
            pm,
            mask(&bsa, &size_missing),
        ),
        (
            "sbp",
            Some(4080),
            "Systolic blood pressure, automated reading, mmHg",
            pm,
            mask(&world.sbp, &bp_missing),
        ),
        (
            "dbp",
            Some(4079),
            "Diastolic blood pressure, automated reading, mmHg",
            pm,
            mask(&world.dbp, &bp_missing),
        ),
        (
            "heart_rate",
            Some(102),
            "Pulse rate, automated reading, bpm",
            pm,
            mask(&world.heart_rate, &hr_missing),
        ),
    ];
    columns.push(Column::new(
        "sex".into(),
        world.male.iter().map(|v| *v as i64).collect::<Vec<_>>(),
    ));
    entries.push(entry(
        "sex",
        Some(31),
        "Sex",
        pd,
        ValueType::Binary,
        "0=Female;1=Male",
        Role::Covariate,
    ));
    for (name, id, what, category, values) in covariates {
        columns.push(Column::new(name.into(), values));
        entries.push(entry(
            name,
            id,
            what,
            category,
            ValueType::Continuous,
            "",
            Role::Covariate,
        ));
    }
    // `sex` goes second, right after age, as in most extracts.
    columns.swap(1, 2);
    entries.swap(1, 2);

    // Non-imaging factors. They come before imaging in the computation (not in the table)
    // because the mediator scenario's imaging depends on a field computed from them.
    let mut factor_columns: Vec<Column> = Vec::with_capacity(catalogue.len());
    let mut factor_entries: Vec<DictionaryEntry> = Vec::with_capacity(catalogue.len());
    // The weighted sum of the mediator's causes (all zero outside the mediator scenario).
    let mut mediator_causes: Vec<f64> = vec![0.0; n];
    for (index, spec) in catalogue.iter().enumerate() {
        if matches!(spec.latent, Latent::Scenario { name, .. } if name == scenario::CRP) {
            latents.mediator = scenario::mediator_latent(
                &mediator_causes,
                &mut stream(config.seed, STREAM_MEDIATOR),
            );
        }
        let mut rng = stream(config.seed, STREAM_FIELD_BASE + index as u64);
        let (column, latent) =
            field_column(spec, &factor_columns, &world, &themes, &latents, &mut rng)?;
        if spec.mediator != 0.0 {
            if let Some(latent) = latent {
                mediator_causes
                    .iter_mut()
                    .zip(&latent)
                    .for_each(|(m, z)| *m += spec.mediator * z);
            }
        }
        factor_entries.push(entry(
            &spec.column(),
            Some(spec.field_id),
            &spec.description,
            spec.category,
            spec.encoding.value_type(),
            &spec.coding(),
            Role::Factor,
        ));
        factor_columns.push(column);
    }
    let shifts = scenario::shifts(scenario, &latents);
    let phenotypes = imaging::generate(&world, &shifts, &mut stream(config.seed, STREAM_IMAGING));

    // Imaging phenotypes, missing by acquisition group (a failed short-axis stack loses all
    // ventricular measures of a participant at once).
    let group_of = |category: &str| match category {
        "Left ventricle" | "Right ventricle" => 0,
        "Left atrium" | "Right atrium" => 1,
        "Aorta" => 2,
        "Wall thickness" | "Circumferential strain" | "Radial strain" => 3,
        _ => 4,
    };
    let group_missing: Vec<Vec<bool>> = [0.03, 0.06, 0.09, 0.05, 0.08]
        .iter()
        .map(|r| drop_rows(*r))
        .collect();
    let mut phenotype_z: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for p in &phenotypes {
        phenotype_z.insert(p.name.clone(), standardise(&p.values));
        let missing = &group_missing[group_of(p.category)];
        columns.push(Column::new(
            p.name.as_str().into(),
            mask(&p.values, missing),
        ));
        entries.push(entry(
            &p.name,
            None,
            &p.description,
            p.category,
            ValueType::Continuous,
            "",
            Role::Imaging,
        ));
    }

    columns.extend(factor_columns);
    entries.extend(factor_entries);

    // Diseases.
    let column_of_exposure = |exposure: &str| -> Vec<String> {
        catalogue
            .iter()
            .filter(|f| matches!(f.latent, Latent::World { name, .. } if name == exposure))
            .map(FieldSpec::column)
            .collect()
    };
    let mut disease_rng = stream(config.seed, STREAM_DISEASE);
    let mut disease_phenotypes = BTreeMap::new();
    let mut disease_factors = BTreeMap::new();
    for disease in diseases() {
        let mut linear = vec![0.0; n];
        for (phenotype, coef) in &disease.phenotypes {
            let z = &phenotype_z[phenotype.as_str()];
            linear.iter_mut().zip(z).for_each(|(l, v)| *l += coef * v);
        }
        for (exposure, coef) in &disease.exposures {
            let values = world_latent(&world, exposure);
            linear
                .iter_mut()
                .zip(values)
                .for_each(|(l, v)| *l += coef * v);
        }
        let age_coef = disease.age;
        linear
            .iter_mut()
            .enumerate()
            .for_each(|(i, l)| *l += age_coef * world.age_z(i));
        let intercept = solve_intercept(&linear, disease.prevalence);
        let labels: Vec<i64> = linear
            .iter()
            .map(|l| i64::from(disease_rng.gen::<f64>() < logistic(intercept + l)))
            .collect();
        columns.push(Column::new(disease.name.as_str().into(), labels));
        entries.push(entry(
            &disease.name,
            None,
            &disease.description,
            "Disease outcomes",
            ValueType::Binary,
            "0=No;1=Yes",
            Role::Disease,
        ));
        disease_phenotypes.insert(
            disease.name.to_string(),
            disease
                .phenotypes
                .iter()
                .map(|(p, _)| p.to_string())
                .collect(),
        );
        let mut factors: Vec<String> = disease
            .exposures
            .iter()
            .flat_map(|(e, _)| column_of_exposure(e))
            .collect();
        factors.sort();
        disease_factors.insert(disease.name.to_string(), factors);
    }

    let truth = build_truth(config, &catalogue, disease_phenotypes, disease_factors);
    let data = DataFrame::new_infer_height(columns)?;
    Ok(Cohort {
        data,
        dictionary: Dictionary { entries },
        truth,
    })
}

/// Writes `cohort.<ext>`, `dictionary.csv` and `truth.json` into `dir` (created if needed).
pub fn write_cohort(
    cohort: &mut Cohort,
    dir: &Path,
    format: OutputFormat,
) -> Result<CohortFiles, StatsError> {
    std::fs::create_dir_all(dir).map_err(|e| StatsError::io(dir, e))?;
    let files = CohortFiles {
        data: dir.join(format.data_file_name()),
        dictionary: dir.join(DICTIONARY_FILE),
        truth: dir.join(TRUTH_FILE),
    };
    crate::data::io::write_table(&mut cohort.data, &files.data)?;
    cohort.dictionary.write_csv(&files.dictionary)?;
    let json = serde_json::to_string_pretty(&cohort.truth)
        .map_err(|e| StatsError::Invalid(format!("cannot serialise truth: {e}")))?;
    std::fs::write(&files.truth, json + "\n").map_err(|e| StatsError::io(&files.truth, e))?;
    Ok(files)
}

fn entry(
    column: &str,
    field_id: Option<u32>,
    description: &str,
    category: &str,
    value_type: ValueType,
    coding: &str,
    role: Role,
) -> DictionaryEntry {
    DictionaryEntry {
        column: column.to_string(),
        field_id,
        description: description.to_string(),
        category: category.to_string(),
        value_type,
        coding: coding.to_string(),
        role,
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn standardise(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let sd = if sd > 0.0 { sd } else { 1.0 };
    values.iter().map(|v| (v - mean) / sd).collect()
}

/// Intercept such that the mean predicted risk equals `prevalence` (bisection; the mean risk
/// is increasing in the intercept).
fn solve_intercept(linear: &[f64], prevalence: f64) -> f64 {
    let mean_risk =
        |b: f64| linear.iter().map(|l| logistic(b + l)).sum::<f64>() / linear.len() as f64;
    let (mut lo, mut hi) = (-30.0, 30.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean_risk(mid) < prevalence {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn world_latent<'a>(world: &'a World, name: &str) -> &'a [f64] {
    match name {
        "activity" => &world.activity,
        "hba1c" => &world.hba1c,
        "ldl" => &world.ldl,
        "reaction" => &world.reaction,
        "alcohol" => &world.alcohol,
        "salt" => &world.salt,
        "deprivation" => &world.deprivation,
        "smoking" => &world.smoking,
        "afib" => &world.afib,
        other => unreachable!("the catalogue names only known exposures, not '{other}'"),
    }
}

fn thresholds(shares: &[f64]) -> Vec<f64> {
    let normal = Normal::new(0.0, 1.0).expect("standard normal is valid");
    let total: f64 = shares.iter().sum();
    let mut cumulative = 0.0;
    shares[..shares.len() - 1]
        .iter()
        .map(|s| {
            cumulative += s / total;
            normal.inverse_cdf(cumulative)
        })
        .collect()
}

/// The recorded column of a field, and its latent (none for a near-duplicate, which copies
/// the recorded values of an earlier field).
fn field_column(
    spec: &FieldSpec,
    previous: &[Column],
    world: &World,
    themes: &[Vec<f64>],
    latents: &scenario::Latents,
    rng: &mut ChaCha8Rng,
) -> Result<(Column, Option<Vec<f64>>), StatsError> {
    let n = world.n;
    let name: PlSmallStr = spec.column().into();
    if let Latent::NearDuplicate {
        of,
        scale,
        offset,
        noise,
    } = spec.latent
    {
        let source = previous[of].cast(&DataType::Float64)?;
        let source = source.f64()?;
        let decimals = match spec.encoding {
            Encoding::Continuous { decimals, .. } => decimals + 2,
            _ => 4,
        };
        let values: Vec<Option<f64>> = source
            .iter()
            .map(|v| v.map(|x| round_to(scale * x + offset + noise * normal(rng), decimals)))
            .collect();
        return Ok((Column::new(name, values), None));
    }
    let latent: Vec<f64> = match &spec.latent {
        Latent::World { name, sign } => {
            world_latent(world, name).iter().map(|v| sign * v).collect()
        }
        Latent::Scenario { name, sign } => latents.get(name)?.iter().map(|v| sign * v).collect(),
        Latent::Mix {
            age,
            sex,
            height,
            weight,
            theme,
        } => {
            let theme_loading = theme.map(|(_, l)| l).unwrap_or(0.0);
            let mut explained = age * age
                + sex * sex
                + height * height
                + weight * weight
                + theme_loading * theme_loading;
            // Only the factor-confounder scenario loads fields on `ses`; the baseline keeps
            // its arithmetic exactly.
            let ses = if spec.ses != 0.0 {
                explained += spec.ses * spec.ses;
                latents.get(scenario::SES)?
            } else {
                &[]
            };
            let residual = (1.0 - explained).max(0.05).sqrt();
            (0..n)
                .map(|i| {
                    let mut z = age * world.age_z(i)
                        + sex * (world.male[i] - 0.48) / 0.5
                        + height * world.height_z(i)
                        + weight * world.weight_z(i);
                    if let Some((t, l)) = theme {
                        z += l * themes[*t][i];
                    }
                    if let Some(s) = ses.get(i) {
                        z += spec.ses * s;
                    }
                    z + residual * normal(rng)
                })
                .collect()
        }
        Latent::NearDuplicate { .. } => unreachable!("handled above"),
    };
    let coded = spec.encoding.is_integer_valued();
    let cuts = match &spec.encoding {
        Encoding::Ordinal { shares, .. } | Encoding::Categorical { shares, .. } => {
            thresholds(shares)
        }
        Encoding::Binary { prevalence } => thresholds(&[1.0 - prevalence, *prevalence]),
        _ => Vec::new(),
    };
    let observe = |z: f64| -> f64 {
        match &spec.encoding {
            Encoding::Continuous {
                mean,
                sd,
                min,
                max,
                decimals,
            } => round_to((mean + sd * z).clamp(*min, *max), *decimals),
            Encoding::LogNormal {
                log_mean,
                log_sd,
                max,
                decimals,
            } => round_to((log_mean + log_sd * z).exp().min(*max), *decimals),
            Encoding::Integer { mean, sd, min, max } => (mean + sd * z).clamp(*min, *max).round(),
            Encoding::Binary { .. } | Encoding::Ordinal { .. } => {
                cuts.iter().filter(|c| z > **c).count() as f64
                    + if matches!(spec.encoding, Encoding::Binary { .. }) {
                        0.0
                    } else {
                        1.0
                    }
            }
            Encoding::Categorical { .. } => cuts.iter().filter(|c| z > **c).count() as f64 + 1.0,
            Encoding::Code { .. } => z,
        }
    };
    let mut values: Vec<Option<f64>> = Vec::with_capacity(n);
    for &z in &latent {
        let value = observe(z);
        let u: f64 = rng.gen();
        if u < spec.missing {
            values.push(None);
            continue;
        }
        let v: f64 = rng.gen();
        if v < spec.do_not_know {
            values.push(Some(-1.0));
        } else if v < spec.do_not_know + spec.prefer_not {
            values.push(Some(-3.0));
        } else {
            values.push(Some(value));
        }
    }
    let column = if coded {
        Column::new(
            name,
            values
                .into_iter()
                .map(|v| v.map(|x| x as i64))
                .collect::<Vec<_>>(),
        )
    } else {
        Column::new(name, values)
    };
    Ok((column, Some(latent)))
}
