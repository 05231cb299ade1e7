//! `meshagents study approve DIR [--covariates LIST]`: a person's decision on the panel's
//! confounder set; the study's own command then continues it.

use std::path::Path;

use anyhow::Result;

pub fn run(dir: &Path, covariates: Option<String>) -> Result<()> {
    let chosen = covariates.map(|c| {
        c.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let approval = meshagents_workflows::approve(dir, chosen)?;
    eprintln!(
        "approved{}: {}; run the study's command again to continue",
        if approval.edited {
            " (edited)"
        } else {
            " as proposed"
        },
        if approval.covariates.is_empty() {
            "no covariates".to_string()
        } else {
            approval.covariates.join(", ")
        }
    );
    Ok(())
}
