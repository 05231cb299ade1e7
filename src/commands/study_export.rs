//! `meshagents study export DIR`: the paper's tables and figures of a finished study.

use std::path::{Path, PathBuf};

use anyhow::Result;
use meshagents_stats::export::{ExportFormat, LatexOptions};
use meshagents_workflows::validation::ExportRequest;

pub fn run(
    dir: &Path,
    format: &str,
    out: Option<PathBuf>,
    (top_n, figures, latex): (usize, bool, LatexOptions),
    force: bool,
) -> Result<()> {
    let formats = ExportFormat::parse_list(format)?;
    let dest = out.unwrap_or_else(|| dir.join("export"));
    // The tables describe factors and the figures label them by their descriptions, from the
    // dictionary the study read (its STUDY.toml names it; the demo's names its simulated one).
    let dictionary = meshagents_workflows::study_run::study_dictionary(dir)?;
    let request = ExportRequest {
        formats: &formats,
        figures,
        top_n,
        latex,
    };
    let exported = meshagents_workflows::validation::export_study_to(
        dir,
        &dest,
        &request,
        dictionary.as_ref(),
        force,
    )?;
    if !exported.replaced.is_empty() {
        eprintln!(
            "replaced {} file(s) of an earlier export in {}",
            exported.replaced.len(),
            dest.display()
        );
    }
    for f in exported.written {
        println!("{}", dest.join(f).display());
    }
    Ok(())
}
