//! The disease labels the simulator plants (prevalence, the phenotypes and exposures that
//! drive each) and the truth file written beside the cohort, built from them and the catalogue.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::fields::{FieldSpec, Latent, TruthKind};
use super::{imaging, scenario};
use super::{
    GeneratorInfo, MediatedAssociation, PlantedAssociation, SimulationConfig, Truth,
    GENERATOR_VERSION, MEDIATOR_EFFECTS,
};

/// One planted disease: its label column, prevalence, and the coefficients of its logistic
/// model on standardised phenotypes, exposures and age.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DiseaseSpec {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) prevalence: f64,
    pub(super) phenotypes: Vec<(String, f64)>,
    pub(super) exposures: Vec<(String, f64)>,
    pub(super) age: f64,
    pub(super) ukb: UkbCodes,
}

/// How `simulate --ukb` records a case of the disease in UK Biobank's fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UkbCodes {
    /// Field 20002 codes (coding 6) defining the disease.
    pub(super) self_report: Vec<i64>,
    /// Field 41270 patterns (coding 19) defining the disease; `*` ends a prefix.
    pub(super) icd10: Vec<String>,
    /// The concrete ICD-10 codes written for cases, each matching `icd10`.
    pub(super) icd10_written: Vec<String>,
    /// Field 6150 codes a case reports.
    pub(super) vascular: Vec<i64>,
    /// Field 6177/6153 codes a case reports.
    pub(super) medication: Vec<i64>,
}

/// `diseases.toml`, parsed once, in its order (the order of the random draws).
pub(super) fn diseases() -> &'static [DiseaseSpec] {
    static DATA: OnceLock<DiseaseFile> = OnceLock::new();
    &DATA
        .get_or_init(|| {
            toml::from_str(include_str!("diseases.toml"))
                .unwrap_or_else(|e| panic!("diseases.toml is not a valid disease list: {e}"))
        })
        .disease
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiseaseFile {
    disease: Vec<DiseaseSpec>,
}

pub(super) fn build_truth(
    config: &SimulationConfig,
    catalogue: &[FieldSpec],
    disease_phenotypes: BTreeMap<String, Vec<String>>,
    disease_factors: BTreeMap<String, Vec<String>>,
) -> Truth {
    // The primary phenotypes an exposure acts on directly, in a fixed order.
    let primaries = |exposure: &str| -> Vec<&'static str> {
        let effects = scenario::effects_of(exposure);
        if effects.is_empty() {
            imaging::PLANTED_EFFECTS
                .iter()
                .filter(|(e, _)| *e == exposure)
                .map(|(_, p)| *p)
                .collect()
        } else {
            effects.iter().map(|(p, _)| *p).collect()
        }
    };
    let scenario_column = |latent: &str| {
        catalogue
            .iter()
            .find(|s| matches!(s.latent, Latent::Scenario { name, .. } if name == latent))
            .map(FieldSpec::column)
    };
    let ses_column = scenario_column(scenario::SES);
    let mediator_column = scenario_column(scenario::CRP);
    let mediator_phenotypes = {
        let mut phenotypes: Vec<String> = Vec::new();
        for (p, _) in MEDIATOR_EFFECTS {
            phenotypes.push(p.to_string());
            phenotypes.extend(imaging::derived_from(p));
        }
        phenotypes.sort();
        phenotypes.dedup();
        phenotypes
    };

    let mut direct = Vec::new();
    let mut seen = BTreeSet::new();
    let mut mediated = Vec::new();
    let mut confounded_only = Vec::new();
    let mut null_factors = Vec::new();
    let mut near_duplicates = Vec::new();
    let mut ses_driven = Vec::new();
    for spec in catalogue {
        let column = spec.column();
        if let Latent::NearDuplicate { of, .. } = spec.latent {
            near_duplicates.push((catalogue[of].column(), column.clone()));
        }
        if ses_column.is_some() && (spec.ses != 0.0 || scenario::ses_through_world(spec)) {
            ses_driven.push(column.clone());
        }
        match spec.truth_kind(catalogue) {
            TruthKind::Direct => {
                let (Latent::World { name: exposure, .. }
                | Latent::Scenario { name: exposure, .. }) = spec.latent
                else {
                    continue;
                };
                let primaries = primaries(exposure);
                for primary in &primaries {
                    if seen.insert((primary.to_string(), column.clone())) {
                        direct.push(PlantedAssociation {
                            phenotype: primary.to_string(),
                            factor: column.clone(),
                            exposure: exposure.to_string(),
                            kind: "planted".into(),
                        });
                    }
                }
                for primary in &primaries {
                    for derived in imaging::derived_from(primary) {
                        if seen.insert((derived.clone(), column.clone())) {
                            direct.push(PlantedAssociation {
                                phenotype: derived,
                                factor: column.clone(),
                                exposure: exposure.to_string(),
                                kind: "derived".into(),
                            });
                        }
                    }
                }
                if exposure == "activity" {
                    mediated.push(MediatedAssociation {
                        factor: column.clone(),
                        mediator: "heart_rate".into(),
                        phenotypes: vec!["LVCO".into()],
                    });
                }
            }
            // Fields causing the mediator scenario's biomarker get their entry below.
            TruthKind::Mediated if spec.mediator != 0.0 => {}
            TruthKind::Mediated => {
                let mut phenotypes: Vec<String> = Vec::new();
                for p in imaging::PRESSURE_PHENOTYPES {
                    phenotypes.push(p.to_string());
                    phenotypes.extend(imaging::derived_from(p));
                }
                phenotypes.sort();
                phenotypes.dedup();
                mediated.push(MediatedAssociation {
                    factor: column.clone(),
                    mediator: "sbp".into(),
                    phenotypes,
                });
            }
            TruthKind::ConfoundedOnly => confounded_only.push(column.clone()),
            TruthKind::Null => null_factors.push(column.clone()),
        }
        // A planted exposure that also causes the biomarker keeps its direct effects and gains
        // this pathway, as activity has one through heart rate.
        if let (true, Some(mediator)) = (spec.mediator != 0.0, &mediator_column) {
            mediated.push(MediatedAssociation {
                factor: column,
                mediator: mediator.clone(),
                phenotypes: mediator_phenotypes.clone(),
            });
        }
    }
    let mut confounders: Vec<String> = ["age", "sex", "height", "weight"]
        .map(String::from)
        .to_vec();
    let mut mediators: Vec<String> = ["sbp", "heart_rate"].map(String::from).to_vec();
    let mut confounded_factors = BTreeMap::new();
    if let Some(ses) = ses_column {
        confounders.push(ses.clone());
        confounded_factors.insert(ses, ses_driven);
    }
    mediators.extend(mediator_column);
    Truth {
        generator: GeneratorInfo {
            name: "meshagents simulate".into(),
            version: GENERATOR_VERSION.into(),
            n: config.n,
            seed: config.seed,
            factors: catalogue.len(),
            scenario: config.scenario.name().into(),
        },
        confounders,
        confounder_proxies: ["bmi", "bsa"].map(String::from).to_vec(),
        mediators,
        direct_associations: direct,
        mediated_associations: mediated,
        confounded_only,
        null_factors,
        disease_phenotypes,
        disease_factors,
        near_duplicates,
        confounded_factors,
    }
}
