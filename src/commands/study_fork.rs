//! `meshagents study fork DIR --from STEP --set KEY=VALUE [--name NAME] --out DIR2`: time travel.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::StudyRunArgs;

pub fn run(
    dir: &Path,
    (from, set, name): (&str, &[String], Option<&str>),
    out: &Path,
    args: &StudyRunArgs,
) -> Result<()> {
    let sets = set
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| anyhow::anyhow!("--set {kv}: expected KEY=VALUE"))
        })
        .collect::<Result<Vec<_>>>()?;
    let (mut study, reused) =
        meshagents_workflows::fork_study(dir, from, &sets, name, out, args.force)
            .with_context(|| format!("cannot fork {}", dir.display()))?;
    study.executor = args.executor.apply(&study.executor)?;
    eprintln!(
        "forked {} into {}: reusing {}",
        dir.display(),
        out.display(),
        if reused.is_empty() {
            "nothing".to_string()
        } else {
            reused.join(", ")
        }
    );
    super::study_run::run_configured(&study, out, args.threads, args.headless)
}
