//! Scoring an association table against the planted truth, and the Markdown summary.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use meshagents_agents::{ConfounderDecision, PhenotypeDecision};
use meshagents_stats::data::dictionary::Dictionary;
use meshagents_stats::phewas::AssociationRow;
use meshagents_stats::simulate::Truth;
use serde::{Deserialize, Serialize};

use crate::steps::CleanResult;
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub phenotype: String,
    pub factor: String,
    pub description: String,
    pub beta: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p: f64,
    pub n: usize,
    /// What the truth says about this pair.
    pub truth: String,
}

/// Counts of the association table, and how well it recovers the planted structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasSummary {
    pub pairs: usize,
    pub ok: usize,
    pub skipped: usize,
    pub failed: usize,
    pub family_size: usize,
    pub bonferroni_hits: usize,
    pub fdr_hits: usize,
    pub planted_total: usize,
    pub planted_found: usize,
    pub derived_total: usize,
    pub derived_found: usize,
    pub mediated_hits: usize,
    pub confounded_only_hits: usize,
    pub null_hits: usize,
    pub null_pairs: usize,
    pub top_hits: Vec<Hit>,
}

fn is_hit(r: &AssociationRow) -> bool {
    r.status == "ok" && r.bonferroni < 0.05
}

impl PhewasSummary {
    /// Counts of the table; with a `truth`, also how well it recovers the planted structure.
    pub fn score(rows: &[AssociationRow], truth: Option<&Truth>, dictionary: &Dictionary) -> Self {
        let none = Truth::default();
        let truth = truth.unwrap_or(&none);
        let direct = |kind: &str| -> HashSet<(&str, &str)> {
            truth
                .direct_associations
                .iter()
                .filter(|a| a.kind == kind)
                .map(|a| (a.phenotype.as_str(), a.factor.as_str()))
                .collect()
        };
        let (planted, derived) = (direct("planted"), direct("derived"));
        let mediated: HashSet<(&str, &str)> = truth
            .mediated_associations
            .iter()
            .flat_map(|m| {
                m.phenotypes
                    .iter()
                    .map(move |p| (p.as_str(), m.factor.as_str()))
            })
            .collect();
        let confounded: HashSet<&str> = truth.confounded_only.iter().map(String::as_str).collect();
        let null: HashSet<&str> = truth.null_factors.iter().map(String::as_str).collect();
        // A categorical factor has one row per level (`column=level`); truth speaks of columns.
        let column_of = |r: &AssociationRow| -> String {
            r.factor.split('=').next().unwrap_or(&r.factor).to_string()
        };
        let tested: HashMap<(&str, &str), &AssociationRow> = rows
            .iter()
            .map(|r| ((r.phenotype.as_str(), r.factor.as_str()), r))
            .collect();
        let found = |set: &HashSet<(&str, &str)>| {
            set.iter()
                .filter(|k| tested.get(*k).map(|r| is_hit(r)).unwrap_or(false))
                .count()
        };
        let label = |r: &AssociationRow| -> String {
            let key = (r.phenotype.as_str(), r.factor.as_str());
            if planted.contains(&key) {
                "planted".into()
            } else if derived.contains(&key) {
                "derived from planted".into()
            } else if mediated.contains(&key) {
                "mediated (blood pressure)".into()
            } else if confounded.contains(column_of(r).as_str()) {
                "confounded only".into()
            } else if null.contains(column_of(r).as_str()) {
                "null".into()
            } else {
                "direct factor, other phenotype".into()
            }
        };
        let mut ok_rows: Vec<&AssociationRow> = rows.iter().filter(|r| r.status == "ok").collect();
        ok_rows.sort_by(|a, b| {
            a.p.total_cmp(&b.p)
                .then(b.stat.abs().total_cmp(&a.stat.abs()))
        });
        let top_hits = ok_rows
            .iter()
            .take(15)
            .map(|r| Hit {
                phenotype: r.phenotype.clone(),
                factor: r.factor.clone(),
                description: dictionary
                    .get(&r.factor)
                    .map(|e| e.description.clone())
                    .unwrap_or_default(),
                beta: r.beta,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                p: r.p,
                n: r.n,
                truth: label(r),
            })
            .collect();
        PhewasSummary {
            pairs: rows.len(),
            ok: rows.iter().filter(|r| r.status == "ok").count(),
            skipped: rows.iter().filter(|r| r.status == "skipped").count(),
            failed: rows.iter().filter(|r| r.status == "failed").count(),
            family_size: rows.iter().filter(|r| r.status == "ok").count(),
            bonferroni_hits: rows.iter().filter(|r| is_hit(r)).count(),
            fdr_hits: rows
                .iter()
                .filter(|r| r.status == "ok" && r.q_bh < 0.05)
                .count(),
            planted_total: planted.iter().filter(|k| tested.contains_key(*k)).count(),
            planted_found: found(&planted),
            derived_total: derived.iter().filter(|k| tested.contains_key(*k)).count(),
            derived_found: found(&derived),
            mediated_hits: found(&mediated),
            confounded_only_hits: rows
                .iter()
                .filter(|r| is_hit(r) && confounded.contains(column_of(r).as_str()))
                .count(),
            null_hits: rows
                .iter()
                .filter(|r| is_hit(r) && null.contains(column_of(r).as_str()))
                .count(),
            null_pairs: rows
                .iter()
                .filter(|r| r.status == "ok" && null.contains(column_of(r).as_str()))
                .count(),
            top_hits,
        }
    }
}

/// The opening of a summary: its title, a paragraph on the study and a line on the cohort.
pub struct SummaryHeader {
    pub title: String,
    pub intro: String,
    pub cohort: String,
}

/// Writes `summary.md`. `decision` is the panel's when it chose the covariates (otherwise the
/// study fixed them: `covariates`); `truth` adds the scoring of a simulated cohort.
#[allow(clippy::too_many_arguments)]
pub fn write_summary(
    path: &Path,
    header: &SummaryHeader,
    clean: &CleanResult,
    decision: Option<&ConfounderDecision>,
    phenotypes: Option<&PhenotypeDecision>,
    covariates: &[String],
    phewas: &PhewasSummary,
    truth: Option<&Truth>,
) -> Result<(), WorkflowError> {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# {}\n", header.title);
    let _ = writeln!(w, "{}\n", header.intro);
    let _ = writeln!(w, "## Data flow\n");
    let _ = writeln!(w, "- Cohort: {}.", header.cohort);
    let _ = writeln!(w, "- Kept: {} imaging phenotypes, {} candidate covariates, {} of {} non-imaging factors, {} disease labels.", clean.imaging, clean.covariates, clean.factors_kept, clean.factors_in, clean.diseases);
    let _ = writeln!(w, "- Negative UK Biobank codes (-1 do not know, -3 prefer not to answer) set to missing: {} values in {} fields.", clean.recoded_values, clean.recoded_fields);
    let _ = writeln!(
        w,
        "- Dropped by the Bai 2020 rules: {} fields (every column's path is in `flow.csv`):",
        clean.dropped.len()
    );
    for (column, reason) in &clean.dropped {
        let _ = writeln!(w, "  - `{column}`: {reason}");
    }
    let _ = writeln!(w, "\n## Confounder panel\n");
    let Some(decision) = decision else {
        let _ = writeln!(
            w,
            "The study configuration fixed the covariates: {}. The panel did not meet.\n",
            list_or_none(covariates)
        );
        return finish_summary(path, md, covariates, phewas, truth);
    };
    let rounds = &decision.minutes.rounds;
    let _ = writeln!(
        w,
        "The panel met in {} round{} (a silent first round, then discussion); Fleiss' kappa by round: {}. The last round's votes decide (confidence-weighted); transcript in `transcript.md`.\n",
        rounds.len(),
        if rounds.len() == 1 { "" } else { "s" },
        rounds
            .iter()
            .map(|r| r.kappa.map(|k| format!("{k:.2}")).unwrap_or_else(|| "n/a".into()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(w, "| candidate | for | against | score | decision |");
    let _ = writeln!(w, "|---|---|---|---|---|");
    for t in &decision.items {
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | {:+.2} | {} |",
            t.variable,
            t.votes_for.join(", "),
            t.votes_against.join(", "),
            t.weighted_score,
            if t.include { "adjust" } else { "do not adjust" }
        );
    }
    if !decision.proposals.is_empty() {
        let added: Vec<&str> = decision
            .proposals
            .iter()
            .filter(|p| p.status == "added")
            .map(|p| p.variable.as_str())
            .collect();
        let _ = writeln!(
            w,
            "\nProposals: the agents searched the whole catalogue and made {} proposals; new candidates beyond the seed list ({}): {}.\n",
            decision.proposals.len(),
            decision.seeds.join(", "),
            list_or_none(&added)
        );
        w.push_str(&meshagents_agents::transcript::proposals_markdown(
            &decision.proposals,
        ));
    }
    let _ = writeln!(
        w,
        "\nChair: {}\n\nRationales:\n",
        decision.minutes.chair_summary
    );
    for t in &decision.items {
        let _ = writeln!(w, "- `{}`: {}", t.variable, t.reason);
        for v in decision.votes.iter().filter(|v| v.variable == t.variable) {
            let _ = writeln!(
                w,
                "  - {} ({}, confidence {:.2}): {}",
                v.agent,
                if v.include { "adjust" } else { "do not adjust" },
                v.confidence,
                v.rationale
            );
        }
    }
    if let Some(truth) = truth {
        let scores = PanelScores::confounders(&decision.confounders, truth);
        let _ = writeln!(
            w,
            "\nAgainst the planted truth (confounders: {}; mediators: {}): recall {:.0}% ({} of {}), precision {:.0}%; missed {}, extra {}.\n",
            truth.confounders.join(", "),
            truth.mediators.join(", "),
            100.0 * scores.recall,
            scores.found,
            scores.planted,
            100.0 * scores.precision,
            list_or_none(&scores.missed),
            list_or_none(&scores.extra)
        );
    }
    if let Some(b) = phenotypes {
        let _ = writeln!(w, "## Phenotypes per disease (panel stage B)\n");
        let _ = writeln!(w, "{}\n", b.minutes.chair_summary);
        let _ = writeln!(w, "| disease | phenotypes chosen |");
        let _ = writeln!(w, "|---|---|");
        for (disease, chosen) in &b.disease_phenotypes {
            let _ = writeln!(w, "| `{disease}` | {} |", list_or_none(chosen));
        }
        if let Some(truth) = truth {
            let scores = PanelScores::phenotypes(&b.disease_phenotypes, truth);
            let _ = writeln!(
                w,
                "\nAgainst the planted disease-driving phenotypes: recall {:.0}% ({} of {} disease-phenotype pairs), precision {:.0}%; missed {}.\n",
                100.0 * scores.recall,
                scores.found,
                scores.planted,
                100.0 * scores.precision,
                list_or_none(&scores.missed)
            );
        }
    }
    finish_summary(path, md, covariates, phewas, truth)
}

fn finish_summary(
    path: &Path,
    mut md: String,
    covariates: &[String],
    phewas: &PhewasSummary,
    truth: Option<&Truth>,
) -> Result<(), WorkflowError> {
    let w = &mut md;
    let _ = writeln!(w, "## Associations\n");
    let _ = writeln!(w, "Models chosen by the factor's type, adjusted for {}: linear `phenotype ~ factor + covariates` for continuous, integer and ordinal factors (phenotype z-scored; continuous factors z-scored, others rank-based inverse normal: beta in SD per SD); logistic `factor ~ phenotype + covariates` for binary factors (log odds ratio per SD of phenotype; Firth when events are few); per-level rows and an overall likelihood-ratio test for unordered categorical factors. Complete cases per pair. Table: `associations.csv`.\n", if covariates.is_empty() { "nothing".to_string() } else { covariates.join(", ") });
    let _ = writeln!(
        w,
        "- Pairs: {} ({} fitted, {} skipped, {} failed); multiple-testing family: {} tests.",
        phewas.pairs, phewas.ok, phewas.skipped, phewas.failed, phewas.family_size
    );
    let _ = writeln!(
        w,
        "- Significant after Bonferroni (p x m < 0.05): {}; at BH q < 0.05: {}.",
        phewas.bonferroni_hits, phewas.fdr_hits
    );
    if truth.is_some() {
        let _ = writeln!(w, "- Planted direct effects recovered: {} of {} (and {} of {} effects derived from them through the imaging identities).", phewas.planted_found, phewas.planted_total, phewas.derived_found, phewas.derived_total);
        let _ = writeln!(w, "- Blood-pressure-mediated pathways seen: {}; hits for factors associated only through confounding: {}; hits among {} null pairs: {}.", phewas.mediated_hits, phewas.confounded_only_hits, phewas.null_pairs, phewas.null_hits);
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "Top hits:\n");
    if truth.is_some() {
        let _ = writeln!(
            w,
            "| phenotype | factor | description | beta (95% CI) | p | n | truth |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|---|");
    } else {
        let _ = writeln!(
            w,
            "| phenotype | factor | description | beta (95% CI) | p | n |"
        );
        let _ = writeln!(w, "|---|---|---|---|---|---|");
    }
    for h in &phewas.top_hits {
        let _ = write!(
            w,
            "| {} | `{}` | {} | {:.3} ({:.3}, {:.3}) | {:.2e} | {} |",
            h.phenotype, h.factor, h.description, h.beta, h.ci_low, h.ci_high, h.p, h.n
        );
        let _ = if truth.is_some() {
            writeln!(w, " {} |", h.truth)
        } else {
            writeln!(w)
        };
    }
    std::fs::write(path, md).map_err(|e| WorkflowError::io(path.display().to_string(), e))
}

fn list_or_none<S: std::borrow::Borrow<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// How a panel's choices compare with a simulated cohort's planted truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelScores {
    pub planted: usize,
    pub chosen: usize,
    pub found: usize,
    pub recall: f64,
    pub precision: f64,
    pub missed: Vec<String>,
    pub extra: Vec<String>,
}

impl PanelScores {
    fn from_sets(chosen: &BTreeSet<String>, planted: &BTreeSet<String>) -> Self {
        let found = chosen.intersection(planted).count();
        PanelScores {
            planted: planted.len(),
            chosen: chosen.len(),
            found,
            recall: if planted.is_empty() {
                1.0
            } else {
                found as f64 / planted.len() as f64
            },
            precision: if chosen.is_empty() {
                1.0
            } else {
                found as f64 / chosen.len() as f64
            },
            missed: planted.difference(chosen).cloned().collect(),
            extra: chosen.difference(planted).cloned().collect(),
        }
    }

    pub fn confounders(chosen: &[String], truth: &Truth) -> Self {
        Self::from_sets(
            &chosen.iter().cloned().collect(),
            &truth.confounders.iter().cloned().collect(),
        )
    }

    /// Over disease-phenotype pairs (`disease:phenotype`).
    pub fn phenotypes(chosen: &BTreeMap<String, Vec<String>>, truth: &Truth) -> Self {
        let pairs = |m: &BTreeMap<String, Vec<String>>| -> BTreeSet<String> {
            m.iter()
                .flat_map(|(d, ps)| ps.iter().map(move |p| format!("{d}:{p}")))
                .collect()
        };
        Self::from_sets(&pairs(chosen), &pairs(&truth.disease_phenotypes))
    }
}
