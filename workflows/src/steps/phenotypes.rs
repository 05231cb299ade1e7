//! `panel/phenotypes` (stage B): the imaging phenotypes that characterise each disease label,
//! then `decisions.json` and the transcripts.

use std::path::Path;

use meshagents_agents::{ConfounderDecision, PhenotypeDecision};
use meshagents_stats::confounding::CovariateEvidence;
use meshagents_stats::data::dictionary::Role;
use serde::{Deserialize, Serialize};

use crate::files::{verify, WrittenFile};
use crate::holdout::StudySplit;
use crate::panel::{variables, write_decisions, Meeting, PanelConfig};
use crate::plan::Step;
use crate::runner::Runner;
use crate::tool_host::StatsToolHost;
use crate::WorkflowError;

/// The `panel/phenotypes` step's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelResult {
    pub decision: PhenotypeDecision,
    pub files: Vec<WrittenFile>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    stage_a: Option<&ConfounderDecision>,
    confounders: &[String],
    evidence: &[CovariateEvidence],
    split: &StudySplit,
    panel: &PanelConfig,
    base_dir: &Path,
    threads: usize,
) -> Result<PanelResult, WorkflowError> {
    let request = serde_json::json!({ "confounders": confounders, "backend": panel.describe(), "protocol": panel.protocol.identity(), "roles": panel.roles, "stage_a": stage_a.map(|a| &a.items), "split": split.settings.request() });
    let (progress, server) = (runner.progress, runner.server);
    let place = runner.place(Step::PanelPhenotypes)?;
    let result = runner.step_in(
        Step::PanelPhenotypes,
        &request,
        |r: &PanelResult| {
            format!(
                "{} phenotypes chosen across {} diseases",
                r.decision.phenotypes.len(),
                r.decision.disease_phenotypes.len()
            )
        },
        |journal| -> Result<_, WorkflowError> {
            // The association of each disease with the phenotypes, and every other tool's
            // answer, come from the discovery part only.
            let t = split.discovery()?;
            let host = StatsToolHost::new(t, evidence, threads);
            let decision = Meeting {
                config: panel,
                journal,
                host: &host,
                base_dir,
                progress,
                spent_before: stage_a
                    .map(|a| {
                        a.minutes
                            .ledger
                            .values()
                            .map(|l| l.prompt_tokens + l.completion_tokens)
                            .sum()
                    })
                    .unwrap_or(0),
                server,
                step: place,
            }
            .phenotypes(
                confounders,
                &variables(t, &t.kept_with_role(Role::Imaging)),
                &variables(t, &t.kept_with_role(Role::Disease)),
            )?;
            let files = write_decisions(
                out,
                &panel.describe(),
                confounders,
                stage_a,
                Some(&decision),
                Some(&split.summary()?),
            )?;
            Ok(PanelResult { decision, files })
        },
    )?;
    verify(out, &result.files)?;
    Ok(result)
}
