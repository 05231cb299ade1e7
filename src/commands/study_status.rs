//! `meshagents study status DIR`: one study's state, read without its lock.

use std::path::Path;

use anyhow::Result;
use meshagents_workflows::{study_status, StudyState};

use super::{state_text, when};
use crate::reporter::model_server_line;

pub fn run(dir: &Path, json: bool) -> Result<()> {
    let status = study_status(dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(());
    }
    println!("study:      {} ({})", status.study, status.dir.display());
    println!("state:      {}", state_text(&status));
    println!(
        "progress:   {}/{} steps",
        status.steps_done, status.steps_total
    );
    println!("backend:    {}", status.backend);
    println!("started:    {}", when(status.started_ms));
    if let Some(line) = status.model_server.as_ref().map(model_server_line) {
        println!("model:      {line}");
    }
    if let Some(e) = &status.last_event {
        println!(
            "last event: {:?} {} at {}",
            e.kind,
            e.step,
            when(Some(e.at_ms))
        );
    }
    if status.state == StudyState::AwaitingApproval {
        println!(
            "approve:    meshagents study approve {} [--covariates LIST], then run the study again",
            status.dir.display()
        );
    }
    if status.state == StudyState::Stopped {
        println!(
            "resume:     run the same command again with --out {}",
            status.dir.display()
        );
    }
    Ok(())
}
