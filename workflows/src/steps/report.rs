//! `report/study`: `report.html` (self-contained) and `report.md`: configuration, data flow,
//! the panel's decisions, the tables, the figures and the validation in the paper's form.

use std::path::Path;

use meshagents_stats::cohort::split::SPLIT_HOLDOUT;
use serde_json::Value;

use crate::files::{verify, WrittenFile};
use crate::holdout::StudySplit;
use crate::plan::Step;
use crate::runner::Runner;
use crate::steps::CleanResult;
use crate::validation::{study_report, ValidationResult};
use crate::WorkflowError;

pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    split: &StudySplit,
    decisions: &Value,
    clean: &CleanResult,
    validation: &ValidationResult,
    title: &str,
) -> Result<(), WorkflowError> {
    let load = || split.table();
    let report_request = serde_json::json!({ "format": ["html", "md"], "version": 1 });
    let report: Vec<WrittenFile> = runner.step(
        Step::Report,
        &report_request,
        |_: &Vec<WrittenFile>| "report.html, report.md".to_string(),
        |_| -> Result<_, WorkflowError> {
            let config_text = std::fs::read_to_string(out.join("study.json")).unwrap_or_default();
            let mut flow_counts = vec![
                ("participants".to_string(), clean.rows.to_string()),
                (
                    "imaging phenotypes kept".to_string(),
                    clean.imaging.to_string(),
                ),
                (
                    "candidate covariates kept".to_string(),
                    clean.covariates.to_string(),
                ),
                (
                    "non-imaging factors kept".to_string(),
                    format!("{} of {}", clean.factors_kept, clean.factors_in),
                ),
                ("disease labels".to_string(), clean.diseases.to_string()),
                (
                    "coded values set to missing".to_string(),
                    format!(
                        "{} in {} fields",
                        clean.recoded_values, clean.recoded_fields
                    ),
                ),
            ];
            if let Some(part) = &clean.split {
                if part.protocol == SPLIT_HOLDOUT {
                    flow_counts.push((
                        "discovery part (the panel's evidence)".into(),
                        part.discovery_n.to_string(),
                    ));
                    flow_counts.push((
                        "held out for the validation".into(),
                        format!("{} (seed {})", part.evaluated_n, part.seed),
                    ));
                } else {
                    flow_counts.push((
                        "validation participants".into(),
                        format!(
                            "all {} (no hold-out: the selection saw them)",
                            part.evaluated_n
                        ),
                    ));
                }
            }
            study_report(
                out,
                title,
                &config_text,
                &flow_counts,
                &clean.dropped,
                decisions,
                Some(&load()?.dictionary),
                &validation.skipped,
            )
        },
    )?;
    verify(out, &report)
}
