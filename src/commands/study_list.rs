//! `meshagents study list ROOT`: every study under ROOT, one line each.

use std::path::Path;

use anyhow::Result;
use meshagents_workflows::list_studies;

use super::{state_text, when};

pub fn run(root: &Path, json: bool) -> Result<()> {
    let studies = list_studies(root)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&studies)?);
        return Ok(());
    }
    if studies.is_empty() {
        eprintln!("no studies under {}", root.display());
        return Ok(());
    }
    println!(
        "{:<28} {:<8} {:<20} {:>8}  {:<30} {:<24} last event",
        "study", "kind", "state", "progress", "backend", "started"
    );
    for s in &studies {
        let name = s
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let last = s
            .last_event
            .as_ref()
            .map(|e| format!("{:?} {}", e.kind, e.step))
            .unwrap_or_default();
        println!(
            "{:<28} {:<8} {:<20} {:>8}  {:<30} {:<24} {}",
            name,
            s.study,
            state_text(s),
            format!("{}/{}", s.steps_done, s.steps_total),
            s.backend,
            when(s.started_ms),
            last
        );
    }
    Ok(())
}
