//! `panel/confounders` (stage A): the panel proposes candidates from the whole catalogue,
//! debates and votes on the confounder set, with every model and tool call journaled.

use std::path::Path;

use meshagents_agents::ConfounderDecision;
use meshagents_stats::confounding::CovariateEvidence;

use crate::holdout::StudySplit;
use crate::panel::{variables, Meeting, PanelConfig};
use crate::plan::Step;
use crate::runner::Runner;
use crate::tool_host::StatsToolHost;
use crate::WorkflowError;

/// The panel meets on the screened candidates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    runner: &mut Runner,
    evidence: &[CovariateEvidence],
    pairs: (&[String], &[String]),
    split: &StudySplit,
    panel: &PanelConfig,
    base_dir: &Path,
    threads: usize,
) -> Result<ConfounderDecision, WorkflowError> {
    let (phenotypes, factors) = pairs;
    // The study's pairs are part of the meeting's identity: the screen looks at them.
    let request = serde_json::json!({ "evidence": evidence, "backend": panel.describe(), "protocol": panel.protocol.identity(), "roles": panel.roles, "causal_order": panel.causal_order, "phenotypes": phenotypes, "factors": factors, "split": split.settings.request() });
    let (progress, server) = (runner.progress, runner.server);
    let place = runner.place(Step::PanelConfounders)?;
    runner.step_in(
        Step::PanelConfounders,
        &request,
        |d: &ConfounderDecision| {
            let new = d.proposals.iter().filter(|p| p.status == "added").count();
            format!(
                "adjust for {} ({} proposals, {} new candidates; kappa {})",
                d.confounders.join(", "),
                d.proposals.len(),
                new,
                d.minutes
                    .rounds
                    .last()
                    .and_then(|r| r.kappa)
                    .map(|k| format!("{k:.2}"))
                    .unwrap_or_else(|| "n/a".into())
            )
        },
        |journal| -> Result<_, WorkflowError> {
            // The discovery part only: the validation's participants stay unseen.
            let t = split.discovery()?;
            let (scope, catalogue) =
                crate::panel::discovery(t, phenotypes, factors, panel, base_dir)?;
            let host = StatsToolHost::new(t, evidence, threads).with_scope(scope);
            let names: Vec<String> = evidence.iter().map(|e| e.column.clone()).collect();
            Meeting {
                config: panel,
                journal,
                host: &host,
                base_dir,
                progress,
                spent_before: 0,
                server,
                step: place,
            }
            .confounders(&variables(t, &names), Some(&catalogue))
        },
    )
}
