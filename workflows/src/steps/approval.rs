//! `panel/approval`: the gate of `[panel] approve = true`. Without a person's approval on file
//! the study stops after stage A (exit 3) with the proposal written out; `study approve`
//! writes `approval.json`, which this step then journals, so the decision is part of the
//! study's record and a resumed study does not ask again.

use std::path::Path;

use meshagents_agents::ConfounderDecision;
use serde::{Deserialize, Serialize};

use crate::holdout::StudySplit;
use crate::panel::{write_decisions, PanelConfig};
use crate::plan::Step;
use crate::runner::Runner;
use crate::WorkflowError;

/// What a person decided about the panel's confounder set (`DIR/approval.json`, written by
/// `meshagents study approve`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub covariates: Vec<String>,
    /// True when the person changed the panel's set.
    pub edited: bool,
}

/// The panel's proposal waiting for a person (`DIR/proposed_confounders.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub proposed: Vec<String>,
    pub candidates: Vec<String>,
    pub agreement: f64,
}

/// Records the approval of the proposal in `dir`, as proposed or with `covariates` instead.
pub fn approve(dir: &Path, covariates: Option<Vec<String>>) -> Result<Approval, WorkflowError> {
    let path = dir.join("proposed_confounders.json");
    let text = std::fs::read_to_string(&path).map_err(|_| WorkflowError::File {
        path: dir.display().to_string(),
        message: "no confounder set is waiting for approval here (no proposed_confounders.json)"
            .into(),
    })?;
    let proposal: Proposal = serde_json::from_str(&text)
        .map_err(|e| WorkflowError::json(path.display().to_string(), e))?;
    let approval = match covariates {
        Some(chosen) => {
            if let Some(unknown) = chosen.iter().find(|c| !proposal.candidates.contains(c)) {
                return Err(WorkflowError::Invalid(format!(
                    "'{unknown}' is not one of the candidates the panel considered: {}",
                    proposal.candidates.join(", ")
                )));
            }
            Approval {
                edited: chosen != proposal.proposed,
                covariates: chosen,
            }
        }
        None => Approval {
            covariates: proposal.proposed,
            edited: false,
        },
    };
    let out = dir.join("approval.json");
    let body = serde_json::to_string_pretty(&approval)
        .map_err(|e| WorkflowError::Invalid(e.to_string()))?
        + "\n";
    std::fs::write(&out, body).map_err(|e| WorkflowError::io(out.display().to_string(), e))?;
    Ok(approval)
}

/// The gate after stage A: stops the study (`AwaitingApproval`) until `approval.json` exists,
/// then journals it.
pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    decision: &ConfounderDecision,
    split: &StudySplit,
    panel: &PanelConfig,
) -> Result<Approval, WorkflowError> {
    if !runner.journal.is_completed(Step::PanelApproval.key())?
        && !out.join("approval.json").is_file()
    {
        // What the panel said so far, for the person who approves.
        write_decisions(
            out,
            &panel.describe(),
            &decision.confounders,
            Some(decision),
            None,
            Some(&split.summary()?),
        )?;
        let proposal = Proposal {
            proposed: decision.confounders.clone(),
            candidates: decision.items.iter().map(|t| t.variable.clone()).collect(),
            agreement: decision
                .minutes
                .rounds
                .last()
                .and_then(|r| r.kappa)
                .unwrap_or(1.0),
        };
        let path = out.join("proposed_confounders.json");
        let body = serde_json::to_string_pretty(&proposal)
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?
            + "\n";
        std::fs::write(&path, body)
            .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
        return Err(WorkflowError::AwaitingApproval {
            dir: out.to_path_buf(),
            proposed: decision.confounders.clone(),
        });
    }
    runner.step(
        Step::PanelApproval,
        &decision.confounders,
        |a: &Approval| {
            format!(
                "{} {}",
                if a.edited {
                    "edited to"
                } else {
                    "approved as proposed:"
                },
                a.covariates.join(", ")
            )
        },
        |_| -> Result<_, WorkflowError> {
            let path = out.join("approval.json");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| WorkflowError::io(path.display().to_string(), e))?;
            serde_json::from_str(&text)
                .map_err(|e| WorkflowError::json(path.display().to_string(), e))
        },
    )
}
