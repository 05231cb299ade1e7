//! Causal scenarios: alternative structures planted on top of the baseline cohort, each with a
//! variable that looks, to an analysis, like a candidate covariate with evidence on both sides
//! (associated with many factors and many phenotypes), but whose right handling differs:
//!
//! - `factor-confounder`: a socioeconomic latent `ses` recorded as one ordinary factor field.
//!   It causes a third of the lifestyle fields and several phenotypes, so it must be adjusted
//!   for, although its dictionary role is `factor`, not `covariate`.
//! - `mediator`: a blood biomarker caused by many lifestyle fields that in turn causes several
//!   phenotypes. Adjusting for it would hide real pathways, so it must not be adjusted for.
//!
//! Everything here draws from its own ChaCha8 streams, and the baseline draws nothing, so the
//! baseline cohort stays byte-identical to the cohort generated before scenarios existed.

use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::fields::{Encoding, FieldSpec, Latent};
use super::imaging::Shifts;
use super::world::normal;
use crate::error::StatsError;

/// Which causal structure `simulate` plants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Confounders age, sex, height and weight; sbp and heart_rate mediate (the default).
    #[default]
    Baseline,
    /// Adds 26414-2.0 (education deprivation), a factor driven by a socioeconomic latent that
    /// also drives a third of lifestyle fields and 5 phenotypes: a confounder to adjust for.
    FactorConfounder,
    /// Adds 30710-2.0 (C-reactive protein, "Blood assays"), a factor caused by many lifestyle
    /// fields that causes 5 phenotypes: a mediator not to adjust for.
    Mediator,
}

impl Scenario {
    pub const ALL: [Scenario; 3] = [
        Scenario::Baseline,
        Scenario::FactorConfounder,
        Scenario::Mediator,
    ];

    /// The name used on the command line and in truth.json.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::FactorConfounder => "factor-confounder",
            Scenario::Mediator => "mediator",
        }
    }

    /// One line on the planted structure.
    pub fn summary(self) -> &'static str {
        match self {
            Scenario::Baseline => {
                "confounders age, sex, height and weight; sbp and heart_rate mediate"
            }
            Scenario::FactorConfounder => {
                "adds an education-deprivation factor field (26414-2.0) driven by a \
                 socioeconomic latent that drives a third of lifestyle fields and 5 phenotypes: \
                 a confounder to adjust for"
            }
            Scenario::Mediator => {
                "adds C-reactive protein (30710-2.0, 'Blood assays'), caused by many lifestyle \
                 fields and causing 5 phenotypes: a mediator not to adjust for"
            }
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = StatsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                StatsError::Invalid(format!(
                    "unknown scenario '{s}' (choose one of: {})",
                    names.join(", ")
                ))
            })
    }
}

/// The lifestyle categories of Bai 2020 (the fields a scenario variable drives or is caused by).
pub const LIFESTYLE: [&str; 4] = ["Diet", "Alcohol", "Smoking", "Physical activity"];

/// Showcase-style id of the factor-confounder's field: the education domain score of the
/// English Index of Multiple Deprivation (higher = more deprived, so it records `-ses`).
pub const SES_FIELD_ID: u32 = 26414;
/// Showcase-style id of the mediator's field: serum C-reactive protein.
pub const MEDIATOR_FIELD_ID: u32 = 30710;
/// A category causally later than lifestyle, used only by the mediator scenario.
pub const MEDIATOR_CATEGORY: &str = "Blood assays";

/// Direct effects of `ses` (per SD) on the standardised predictor of primary phenotypes:
/// better-off participants have larger, less hypertrophied hearts, smaller atria and more
/// distensible aortas, independently of blood pressure (which `ses` does not touch).
pub const SES_EFFECTS: &[(&str, f64)] = &[
    ("LVEDV", 0.25),
    ("LVM", -0.25),
    ("LAV max", -0.20),
    ("AAo distensibility", 0.25),
    ("DAo distensibility", 0.20),
];

/// Direct effects of the mediator (C-reactive protein, per SD of its latent): inflammation
/// thickens and stiffens.
pub const MEDIATOR_EFFECTS: &[(&str, f64)] = &[
    ("LVM", 0.25),
    ("LVEF", -0.20),
    ("LAV max", 0.20),
    ("AAo distensibility", -0.30),
    ("WT_Global", 0.25),
];

/// Latent name of `ses` in `Latent::Scenario` and in truth.json's `exposure`.
pub const SES: &str = "ses";
/// Latent name of the mediator.
pub const CRP: &str = "crp";

/// Share of the lifestyle fields `ses` drives.
const SES_SHARE: f64 = 1.0 / 3.0;

/// The scenario's latent vectors (length n, or empty when the scenario has none).
#[derive(Default)]
pub struct Latents {
    pub ses: Vec<f64>,
    pub mediator: Vec<f64>,
}

impl Latents {
    pub fn get(&self, name: &str) -> Result<&[f64], StatsError> {
        let values = match name {
            SES => &self.ses,
            CRP => &self.mediator,
            other => {
                return Err(StatsError::Invalid(format!(
                    "internal: no scenario latent named '{other}'"
                )))
            }
        };
        if values.is_empty() {
            return Err(StatsError::Invalid(format!(
                "internal: the scenario latent '{name}' was read before it was generated"
            )));
        }
        Ok(values)
    }
}

/// `ses` for every participant: standard normal and independent of everything in the world,
/// so that age, sex, height and weight cannot adjust it away. Empty outside its scenario.
pub fn ses(scenario: Scenario, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    match scenario {
        Scenario::FactorConfounder => (0..n).map(|_| normal(rng)).collect(),
        _ => Vec::new(),
    }
}

fn is_lifestyle(spec: &FieldSpec) -> bool {
    LIFESTYLE.contains(&spec.category)
}

/// Marks the catalogue's fields for the scenario (their `ses` loading or `mediator` weight) and
/// appends the scenario's own field last, after every field it may be computed from.
pub fn extend_catalogue(scenario: Scenario, catalogue: &mut Vec<FieldSpec>, rng: &mut ChaCha8Rng) {
    match scenario {
        Scenario::Baseline => {}
        Scenario::FactorConfounder => {
            mark_ses_fields(catalogue, rng);
            catalogue.push(FieldSpec {
                field_id: SES_FIELD_ID,
                description: "Education score (England), Index of Multiple Deprivation \
                              (higher = more deprived)"
                    .into(),
                category: "Education and employment",
                // Recorded with little noise (two decimals, about 5 % floored at zero), so it
                // adjusts for `ses` almost completely (|r| > 0.99 with the latent).
                encoding: Encoding::Continuous {
                    mean: 18.0,
                    sd: 11.0,
                    min: 0.0,
                    max: 99.0,
                    decimals: 2,
                },
                latent: Latent::Scenario {
                    name: SES,
                    sign: -1.0,
                },
                missing: 0.015,
                do_not_know: 0.0,
                prefer_not: 0.0,
                ses: 0.0,
                mediator: 0.0,
            });
        }
        Scenario::Mediator => {
            mark_mediator_fields(catalogue, rng);
            catalogue.push(FieldSpec {
                field_id: MEDIATOR_FIELD_ID,
                description: "C-reactive protein, mg/L".into(),
                category: MEDIATOR_CATEGORY,
                // Right-skewed like the assay; its log is linear in the latent.
                encoding: Encoding::LogNormal {
                    log_mean: 0.26,
                    log_sd: 0.6,
                    max: 80.0,
                    decimals: 2,
                },
                latent: Latent::Scenario {
                    name: CRP,
                    sign: 1.0,
                },
                missing: 0.06,
                do_not_know: 0.0,
                prefer_not: 0.0,
                ses: 0.0,
                mediator: 0.0,
            });
        }
    }
}

/// Whether `ses` reaches a field through the world (the activity and alcohol exposures carry
/// it, see `world::SES_ON_EXPOSURES`).
pub fn ses_through_world(spec: &FieldSpec) -> bool {
    is_lifestyle(spec)
        && matches!(spec.latent, Latent::World { name, .. } if name == "activity" || name == "alcohol")
}

/// A third of the lifestyle fields get a loading of 0.4-0.5 on `ses`: the activity and alcohol
/// exposures (through the world, so `ses` confounds their planted effects) and randomly chosen
/// questionnaire items, null or confounder-driven before, which then reach imaging only
/// through `ses`.
fn mark_ses_fields(catalogue: &mut [FieldSpec], rng: &mut ChaCha8Rng) {
    let lifestyle = catalogue.iter().filter(|s| is_lifestyle(s)).count();
    let through_world = catalogue.iter().filter(|s| ses_through_world(s)).count();
    let wanted = ((lifestyle as f64 * SES_SHARE).round() as usize).saturating_sub(through_world);
    let mut candidates: Vec<usize> = catalogue
        .iter()
        .enumerate()
        .filter(|(_, s)| is_lifestyle(s) && matches!(s.latent, Latent::Mix { .. }))
        .map(|(i, _)| i)
        .collect();
    candidates.shuffle(rng);
    for &i in candidates.iter().take(wanted) {
        let sign = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        catalogue[i].ses = sign * rng.gen_range(0.4..0.5);
    }
}

/// Dietary pattern, alcohol and activity themes whose items all cause the mediator, with the
/// summed weight of a theme's items (spread evenly): a pro-inflammatory diet and drinking
/// raise C-reactive protein, exercise lowers it. A theme is taken whole so that no field is
/// associated with the mediator only through a theme-mate that causes it.
const MEDIATOR_THEMES: [(usize, f64); 3] = [(0, 1.5), (3, 1.0), (4, -1.0)];

/// Weights of the planted lifestyle exposures on the mediator (per unit of the exposure's
/// latent: SD for activity and alcohol, status code 0/1/2 for smoking).
const MEDIATOR_EXPOSURES: [(&str, f64); 3] =
    [("activity", -0.25), ("alcohol", 0.2), ("smoking", 0.25)];

/// Share of the lifestyle items outside any theme that also cause the mediator.
const MEDIATOR_SHARE: f64 = 1.0 / 3.0;

/// Lifestyle fields whose latents cause the mediator: the smoking, alcohol and activity
/// exposures, every item of three lifestyle themes, and a third of the other lifestyle items.
fn mark_mediator_fields(catalogue: &mut [FieldSpec], rng: &mut ChaCha8Rng) {
    let mut taken_exposures: Vec<&str> = Vec::new();
    let mut theme_sizes = [0usize; MEDIATOR_THEMES.len()];
    for spec in catalogue.iter().filter(|s| is_lifestyle(s)) {
        if let Latent::Mix {
            theme: Some((t, _)),
            ..
        } = spec.latent
        {
            if let Some(k) = MEDIATOR_THEMES.iter().position(|(theme, _)| *theme == t) {
                theme_sizes[k] += 1;
            }
        }
    }
    let mut standalone = Vec::new();
    for (i, spec) in catalogue.iter_mut().enumerate() {
        if !is_lifestyle(spec) {
            continue;
        }
        match spec.latent {
            Latent::World { name, sign } => {
                // One field per exposure, so that the exposure is not counted twice.
                if let Some((_, w)) = MEDIATOR_EXPOSURES.iter().find(|(e, _)| *e == name) {
                    if !taken_exposures.contains(&name) {
                        taken_exposures.push(name);
                        spec.mediator = w * sign;
                    }
                }
            }
            Latent::Mix {
                theme: Some((t, _)),
                ..
            } => {
                if let Some(k) = MEDIATOR_THEMES.iter().position(|(theme, _)| *theme == t) {
                    spec.mediator = MEDIATOR_THEMES[k].1 / theme_sizes[k] as f64;
                }
            }
            Latent::Mix { theme: None, .. } => standalone.push(i),
            _ => {}
        }
    }
    let wanted = (standalone.len() as f64 * MEDIATOR_SHARE).round() as usize;
    standalone.shuffle(rng);
    for &i in standalone.iter().take(wanted) {
        let sign = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        catalogue[i].mediator = sign * rng.gen_range(0.12..0.18);
    }
}

/// The mediator's latent: the weighted sum of its causes' latents (accumulated by the caller
/// over the catalogue) plus its own variation, standardised. The sample standardisation is
/// deterministic, so the same seed still gives the same bytes.
pub fn mediator_latent(causes: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
    let raw: Vec<f64> = causes.iter().map(|c| c + 0.8 * normal(rng)).collect();
    let n = raw.len() as f64;
    let mean = raw.iter().sum::<f64>() / n;
    let sd = (raw.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let sd = if sd > 0.0 { sd } else { 1.0 };
    raw.iter().map(|v| (v - mean) / sd).collect()
}

/// The scenario's direct effects on imaging, as shifts of the primary phenotypes' predictors.
pub fn shifts(scenario: Scenario, latents: &Latents) -> Shifts {
    let (effects, latent) = match scenario {
        Scenario::Baseline => return Shifts::default(),
        Scenario::FactorConfounder => (SES_EFFECTS, &latents.ses),
        Scenario::Mediator => (MEDIATOR_EFFECTS, &latents.mediator),
    };
    Shifts(
        effects
            .iter()
            .map(|(p, b)| (*p, latent.iter().map(|v| b * v).collect()))
            .collect(),
    )
}

/// The primary phenotypes a scenario latent acts on directly.
pub fn effects_of(exposure: &str) -> &'static [(&'static str, f64)] {
    match exposure {
        SES => SES_EFFECTS,
        CRP => MEDIATOR_EFFECTS,
        _ => &[],
    }
}
