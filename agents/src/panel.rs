//! The rule-based MDT meeting on which variables to adjust for.
//!
//! Each role votes on every candidate with a confidence and a rationale that cites the
//! numbers it was shown; the chair adds up confidence-weighted votes. The roles disagree on
//! purpose where the field disagrees (blood pressure: confounder or mediator?), and the tally
//! and agreement figure make that visible.

use serde::{Deserialize, Serialize};

use crate::concepts::Concept;

/// Evidence about one candidate adjustment variable, computed by the workflow's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateEvidence {
    pub column: String,
    pub description: String,
    /// Share of imaging phenotypes with |r| >= 0.1 with the candidate.
    pub phenotype_share: f64,
    pub phenotype_median_abs_r: f64,
    /// Share of non-imaging factors with |r| >= 0.1 with the candidate.
    pub factor_share: f64,
    pub factor_median_abs_r: f64,
    /// Median relative change of factor slopes when the candidate is added.
    pub change_in_estimate: f64,
    pub most_correlated_with: String,
    pub max_abs_r_with_candidate: f64,
    pub missing_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cardiologist,
    Biomechanist,
    Statistician,
    ClinicalResearcher,
    Chair,
}

impl Role {
    pub const VOTERS: [Role; 4] = [
        Role::Cardiologist,
        Role::Biomechanist,
        Role::Statistician,
        Role::ClinicalResearcher,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Role::Cardiologist => "Cardiologist",
            Role::Biomechanist => "Biomechanics expert",
            Role::Statistician => "Statistician",
            Role::ClinicalResearcher => "Clinical researcher",
            Role::Chair => "Chair",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    pub role: Role,
    pub candidate: String,
    pub include: bool,
    pub confidence: f64,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateTally {
    pub candidate: String,
    pub concept: Concept,
    pub include: bool,
    pub votes_for: usize,
    pub votes_against: usize,
    /// Sum of confidences for inclusion minus against.
    pub weighted_score: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelDecision {
    pub confounders: Vec<String>,
    pub excluded: Vec<String>,
    pub votes: Vec<Vote>,
    pub tallies: Vec<CandidateTally>,
    /// Share of all votes that agree with the chair's decision on their candidate.
    pub agreement: f64,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Describes the evidence in the words every rationale uses.
fn cite(e: &CandidateEvidence) -> String {
    format!(
        "|r| >= 0.1 with {:.0}% of phenotypes (median |r| {:.2}) and {:.0}% of factors; adding it moves the strongest slopes by a median {:.0}%",
        100.0 * e.phenotype_share,
        e.phenotype_median_abs_r,
        100.0 * e.factor_share,
        100.0 * e.change_in_estimate
    )
}

/// True when the candidate is nearly a copy of another candidate with stronger evidence.
fn redundant(e: &CandidateEvidence, all: &[CandidateEvidence]) -> Option<String> {
    if e.max_abs_r_with_candidate <= 0.9 {
        return None;
    }
    let other = all.iter().find(|o| o.column == e.most_correlated_with)?;
    (other.phenotype_median_abs_r > e.phenotype_median_abs_r).then(|| {
        format!("it correlates at |r| = {:.3} with '{}', which carries more of the signal (median |r| {:.2} vs {:.2})", e.max_abs_r_with_candidate, other.column, other.phenotype_median_abs_r, e.phenotype_median_abs_r)
    })
}

fn statistician(e: &CandidateEvidence, all: &[CandidateEvidence]) -> (bool, f64, String) {
    if let Some(why) = redundant(e, all) {
        return (
            false,
            0.8,
            format!("Collinearity: {why}; adding both inflates variance without removing bias."),
        );
    }
    if e.missing_share > 0.2 {
        return (
            false,
            0.7,
            format!(
                "{:.0}% missing: adjusting would cost that share of every analysis.",
                100.0 * e.missing_share
            ),
        );
    }
    let strong =
        e.phenotype_share >= 0.25 && e.factor_share >= 0.05 && e.change_in_estimate >= 0.10;
    let strength = (e.phenotype_median_abs_r * 2.0 + e.change_in_estimate).min(1.0);
    if strong {
        (
            true,
            round3(0.55 + 0.4 * strength),
            format!("Associated with both sides: {}.", cite(e)),
        )
    } else {
        (
            false,
            round3(0.5 + 0.3 * (1.0 - strength)),
            format!("Weak evidence of confounding: {}.", cite(e)),
        )
    }
}

fn expert(
    role: Role,
    concept: Concept,
    e: &CandidateEvidence,
    all: &[CandidateEvidence],
) -> (bool, f64, String) {
    let evidence = cite(e);
    match (role, concept) {
        (Role::Statistician, _) => statistician(e, all),
        (_, Concept::Age) => (true, 0.95, format!("Age precedes every exposure and drives chamber volumes and aortic stiffening; {evidence}.")),
        (_, Concept::Sex) => (true, 0.95, format!("Sex is fixed at birth and men have larger hearts and aortas; {evidence}.")),
        (Role::Cardiologist, Concept::Height | Concept::Weight) => (true, 0.9, format!("Chamber volumes and mass scale with body size; {evidence}.")),
        (Role::Biomechanist, Concept::Height | Concept::Weight) => (true, 0.85, format!("Body size sets cardiac geometry and wall load; {evidence}.")),
        (Role::ClinicalResearcher, Concept::Height | Concept::Weight) => (true, 0.9, format!("Part of Bai 2020's adjustment set (sex, age, weight, height); {evidence}.")),
        (_, Concept::DerivedBodySize) => (false, 0.6, format!("A function of height and weight, which the panel already considers; {evidence}.")),
        (Role::Cardiologist, Concept::BloodPressure) => (false, 0.7, format!("Blood pressure lies on the path from lifestyle to LV remodelling: a mediator, and adjusting would hide real effects ({evidence}).")),
        (Role::Biomechanist, Concept::BloodPressure) => (false, 0.75, format!("Pressure is the afterload through which exposures thicken the wall and stiffen the aorta: adjusting for it removes the mechanism ({evidence}).")),
        (Role::ClinicalResearcher, Concept::BloodPressure) => (false, 0.55, format!("The MESHAgents notebook adjusts for SBP and DBP, but Bai 2020 does not; for total effects it is a mediator ({evidence}).")),
        (_, Concept::HeartRate) => (false, 0.6, format!("Fitness lowers resting heart rate, so it mediates activity effects on cardiac output ({evidence}).")),
        (_, Concept::Unknown) => {
            let (include, confidence, why) = statistician(e, all);
            (include, round3(confidence * 0.6), format!("No clinical prior for this variable; going by the data: {why}"))
        }
        (Role::Chair, _) => unreachable!("the chair does not vote"),
    }
}

/// Holds the meeting over the candidate variables and returns the decision.
pub fn convene(evidence: &[CandidateEvidence]) -> PanelDecision {
    let mut votes = Vec::new();
    let mut tallies = Vec::new();
    for e in evidence {
        let concept = Concept::classify(&e.column, &e.description);
        let mut score = 0.0;
        let (mut yes, mut no) = (0usize, 0usize);
        let mut statistician_include = false;
        for role in Role::VOTERS {
            let (include, confidence, rationale) = expert(role, concept, e, evidence);
            if include {
                yes += 1;
                score += confidence;
            } else {
                no += 1;
                score -= confidence;
            }
            if role == Role::Statistician {
                statistician_include = include;
            }
            votes.push(Vote {
                role,
                candidate: e.column.clone(),
                include,
                confidence,
                rationale,
            });
        }
        score = round3(score);
        // A tie in weighted score goes to the statistician, who read the data.
        let include = if score == 0.0 {
            statistician_include
        } else {
            score > 0.0
        };
        let reason = format!(
            "{} ({}): {} for, {} against, weighted score {:+.2}{}",
            if include { "adjust" } else { "do not adjust" },
            concept.label(),
            yes,
            no,
            score,
            if score == 0.0 {
                "; tie broken by the statistician"
            } else {
                ""
            }
        );
        tallies.push(CandidateTally {
            candidate: e.column.clone(),
            concept,
            include,
            votes_for: yes,
            votes_against: no,
            weighted_score: score,
            reason,
        });
    }
    let agreeing = votes
        .iter()
        .filter(|v| {
            tallies
                .iter()
                .any(|t| t.candidate == v.candidate && t.include == v.include)
        })
        .count();
    let agreement = if votes.is_empty() {
        1.0
    } else {
        round3(agreeing as f64 / votes.len() as f64)
    };
    PanelDecision {
        confounders: tallies
            .iter()
            .filter(|t| t.include)
            .map(|t| t.candidate.clone())
            .collect(),
        excluded: tallies
            .iter()
            .filter(|t| !t.include)
            .map(|t| t.candidate.clone())
            .collect(),
        votes,
        tallies,
        agreement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(
        column: &str,
        description: &str,
        phen: f64,
        fac: f64,
        change: f64,
        with: &str,
        r: f64,
    ) -> CandidateEvidence {
        CandidateEvidence {
            column: column.into(),
            description: description.into(),
            phenotype_share: phen,
            phenotype_median_abs_r: phen / 2.0,
            factor_share: fac,
            factor_median_abs_r: fac / 2.0,
            change_in_estimate: change,
            most_correlated_with: with.into(),
            max_abs_r_with_candidate: r,
            missing_share: 0.0,
        }
    }

    #[test]
    fn adjusts_for_demographics_and_body_size_but_not_mediators_or_copies() {
        let all = vec![
            evidence("age", "Age", 0.6, 0.2, 0.3, "sbp", 0.3),
            evidence("sex", "Sex", 0.8, 0.15, 0.4, "height", 0.7),
            evidence("height", "Standing height", 0.7, 0.1, 0.3, "weight", 0.5),
            evidence("weight", "Weight", 0.7, 0.2, 0.3, "bsa", 0.95),
            evidence("bsa", "Body surface area", 0.6, 0.2, 0.3, "weight", 0.95),
            evidence("sbp", "Systolic blood pressure", 0.5, 0.1, 0.2, "dbp", 0.7),
        ];
        let decision = convene(&all);
        assert_eq!(decision.confounders, vec!["age", "sex", "height", "weight"]);
        assert_eq!(decision.excluded, vec!["bsa", "sbp"]);
        // The statistician saw strong evidence for blood pressure and was outvoted.
        let sbp_stat = decision
            .votes
            .iter()
            .find(|v| v.candidate == "sbp" && v.role == Role::Statistician)
            .unwrap();
        assert!(sbp_stat.include);
        assert!(decision.agreement < 1.0);
        assert!(decision.votes.iter().all(|v| !v.rationale.is_empty()));
    }

    #[test]
    fn unknown_variables_follow_the_data() {
        let all = vec![
            evidence("site", "Assessment centre", 0.5, 0.3, 0.4, "", 0.0),
            evidence("noise", "Random field", 0.01, 0.0, 0.0, "", 0.0),
        ];
        let decision = convene(&all);
        assert_eq!(decision.confounders, vec!["site"]);
        assert_eq!(decision.excluded, vec!["noise"]);
    }
}
