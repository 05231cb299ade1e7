//! Stage B: which imaging phenotypes characterise each disease, and which are worth reporting
//! overall, given the confounders decided in stage A. One selection per target (the
//! `overall` target first, then each disease label), voted in rounds like stage A; a phenotype
//! is chosen for a target when at least `phenotype_min_share` of the voters who answered
//! picked it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::tally::{answered, text};
use super::{
    answer_tokens, quoted, round3, schemas, Answer, Assessment, Minutes, Panel, PhenotypeDecision,
    PhenotypeItem, Pick, StageSpec, Variable, OVERALL,
};
use crate::roles::RoleSpec;
use crate::AgentError;

/// Stage B's instruction with tools, and without (the evidence is then in the prompt).
const USE_TOOLS_B: &str = "Use your tools (association_screen of a disease against the phenotypes is the main evidence), then answer";
const READ_EVIDENCE_B: &str =
    "Read each disease's associations below (no tools are available in this meeting), then answer";
/// Phenotypes per disease put in the prompt when agents have no tools.
const EVIDENCE_PER_DISEASE: usize = 8;

impl Panel<'_> {
    /// Stage B: which imaging phenotypes characterise each disease (and overall), given the
    /// confounders decided in stage A.
    pub async fn phenotypes(
        &self,
        confounders: &[String],
        phenotypes: &[Variable],
        diseases: &[Variable],
    ) -> Result<PhenotypeDecision, AgentError> {
        const STAGE: &str = "phenotypes";
        if diseases.is_empty() {
            // Nothing to characterise: no meeting, no model calls.
            return Ok(PhenotypeDecision {
                phenotypes: vec![],
                disease_phenotypes: BTreeMap::new(),
                items: vec![],
                picks: vec![],
                minutes: Minutes {
                    chair_summary: "The dataset has no disease labels; stage B did not meet."
                        .into(),
                    ..Minutes::default()
                },
            });
        }
        let phenotype_names: BTreeSet<String> = phenotypes.iter().map(|p| p.name.clone()).collect();
        let phenotype_names_in_order: Vec<String> =
            phenotypes.iter().map(|p| p.name.clone()).collect();
        let mut targets: Vec<String> = vec![OVERALL.to_string()];
        targets.extend(diseases.iter().map(|d| d.name.clone()));
        let target_set: BTreeSet<String> = targets.iter().cloned().collect();
        let check = |value: &Value| -> Vec<String> {
            let mut problems = Vec::new();
            for selection in value["selections"].as_array().into_iter().flatten() {
                let target = selection["target"].as_str().unwrap_or_default();
                if !target_set.contains(target) {
                    problems.push(format!(
                        "'{target}' is not a target (use \"overall\" or a disease column)"
                    ));
                }
                for p in selection["phenotypes"].as_array().into_iter().flatten() {
                    let name = p.as_str().unwrap_or_default();
                    if !phenotype_names.contains(name) {
                        problems.push(format!(
                            "'{name}' is not an imaging phenotype of this dataset"
                        ));
                    }
                }
            }
            problems
        };
        // Without tools, each disease's strongest associations are put in the prompt (one
        // journaled tool call per disease).
        let given = if self.config.tools {
            String::new()
        } else {
            let mut rows = serde_json::Map::new();
            for disease in diseases {
                let key = format!("panel/{STAGE}/evidence/{}", disease.name);
                let screen = self.effects.tool(
                    &key,
                    "association_screen",
                    &json!({"variable": disease.name, "covariates": confounders}),
                )?;
                let top: Vec<Value> = screen["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(EVIDENCE_PER_DISEASE)
                    .map(|r| json!({"phenotype": r["phenotype"], "beta": r["beta"], "p": r["p"]}))
                    .collect();
                rows.insert(disease.name.clone(), Value::Array(top));
            }
            format!(
                "\nNo tools are available in this meeting; each disease's strongest adjusted associations with the phenotypes are:\n{}",
                quoted(&Value::Object(rows))
            )
        };
        let prompt = |round: u32, _: &RoleSpec| -> (String, Value) {
            (
                format!(
                    "Stage B, round {round}: choose the imaging phenotypes that best characterise each disease (up to {} per disease), and the phenotypes worth reporting overall (target \"overall\"). Associations are adjusted for: {}.\nImaging phenotypes:\n{}\nDiseases (targets):\n{}\nUse your tools (association_screen of a disease against the phenotypes is the main evidence), then answer: {{\"selections\": [{{\"target\", \"phenotypes\", \"confidence\", \"rationale\"}}], \"summary\"}}. Cite the numbers you saw.",
                    self.config.phenotypes_per_disease,
                    quoted(&json!(confounders)),
                    quoted(&serde_json::to_value(phenotypes).unwrap_or(Value::Null)),
                    quoted(&serde_json::to_value(diseases).unwrap_or(Value::Null)),
                )
                .replace(USE_TOOLS_B, if self.config.tools { USE_TOOLS_B } else { READ_EVIDENCE_B })
                    + &given,
                json!({"confounders": confounders, "phenotypes": phenotypes, "diseases": diseases, "per_target": self.config.phenotypes_per_disease}),
            )
        };
        let assess = |answers: &[Answer]| -> Assessment {
            let picks = collect_picks(answers);
            let decided = pick_tally(
                &targets,
                &picks,
                answers.len(),
                self.config.phenotype_min_share,
            )
            .iter()
            .map(|i| format!("{}:{}", i.target, i.phenotype))
            .collect();
            let ratings = targets
                .iter()
                .flat_map(|t| phenotype_names.iter().map(move |p| (t, p)))
                .map(|(t, p)| {
                    answers
                        .iter()
                        .map(|a| {
                            picks.iter().any(|k| {
                                k.agent == a.agent && &k.target == t && k.phenotypes.contains(p)
                            })
                        })
                        .collect()
                })
                .collect();
            (ratings, decided)
        };
        let spec = StageSpec {
            name: STAGE,
            schema: schemas::selections(
                &targets,
                &phenotype_names_in_order,
                self.config.phenotypes_per_disease,
            ),
            schema_name: "phenotype_selections",
            prompt: &prompt,
            check: &check,
            assess: &assess,
            max_tokens: self
                .config
                .max_tokens
                .or("phenotypes", answer_tokens(targets.len())),
        };
        let mut minutes = Minutes::default();
        let last = self.stage_rounds(&spec, &mut minutes).await?;
        let picks = collect_picks(&last);
        let items = pick_tally(
            &targets,
            &picks,
            last.len(),
            self.config.phenotype_min_share,
        );
        let chosen_for = |target: &str| -> Vec<String> {
            // In the dataset's order of phenotypes.
            phenotypes
                .iter()
                .filter(|p| {
                    items
                        .iter()
                        .any(|i| i.target == target && i.phenotype == p.name)
                })
                .map(|p| p.name.clone())
                .collect()
        };
        let disease_phenotypes: BTreeMap<String, Vec<String>> = diseases
            .iter()
            .map(|d| (d.name.clone(), chosen_for(&d.name)))
            .collect();
        let overall: Vec<String> = phenotypes
            .iter()
            .filter(|p| items.iter().any(|i| i.phenotype == p.name))
            .map(|p| p.name.clone())
            .collect();
        let chair_input = json!({"overall": overall, "disease_phenotypes": disease_phenotypes, "items": items, "rounds": minutes.rounds});
        self.chair_summary(STAGE, chair_input, &mut minutes).await?;
        Ok(PhenotypeDecision {
            phenotypes: overall,
            disease_phenotypes,
            items,
            picks,
            minutes,
        })
    }
}

fn collect_picks(answers: &[Answer]) -> Vec<Pick> {
    answered(answers, "selections")
        .map(|(agent, s)| Pick {
            agent: agent.to_string(),
            target: text(s, "target"),
            // A name picked twice counts once (the schema bounds the list, and a small model
            // repeats itself).
            phenotypes: s["phenotypes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .fold(Vec::new(), |mut kept: Vec<String>, p| {
                    if !kept.iter().any(|k| k == p) {
                        kept.push(p.to_string());
                    }
                    kept
                }),
            confidence: s["confidence"].as_f64().unwrap_or(0.5),
            rationale: text(s, "rationale"),
        })
        .collect()
}

/// The phenotypes chosen per target: picked by at least `min_share` of the voters who answered.
fn pick_tally(
    targets: &[String],
    picks: &[Pick],
    answered: usize,
    min_share: f64,
) -> Vec<PhenotypeItem> {
    let mut items = Vec::new();
    if answered == 0 {
        return items;
    }
    for target in targets {
        let mut by_phenotype: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for pick in picks.iter().filter(|p| &p.target == target) {
            for phenotype in &pick.phenotypes {
                let pickers = by_phenotype.entry(phenotype).or_default();
                if !pickers.contains(&pick.agent) {
                    pickers.push(pick.agent.clone());
                }
            }
        }
        for (phenotype, pickers) in by_phenotype {
            let share = pickers.len() as f64 / answered as f64;
            if share + 1e-12 >= min_share {
                items.push(PhenotypeItem {
                    target: target.clone(),
                    phenotype: phenotype.to_string(),
                    pickers,
                    share: round3(share),
                });
            }
        }
    }
    items
}
