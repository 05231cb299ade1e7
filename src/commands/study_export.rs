//! `meshagents study export DIR`: the paper's tables and figures of a finished study.

use std::path::{Path, PathBuf};

use anyhow::Result;
use meshagents_stats::data::dictionary::Dictionary;
use meshagents_stats::export::ExportFormat;

pub fn run(
    dir: &Path,
    format: &str,
    out: Option<PathBuf>,
    top: usize,
    figures: bool,
) -> Result<()> {
    let formats = ExportFormat::parse_list(format)?;
    let dest = out.unwrap_or_else(|| dir.join("export"));
    let dictionary_path = dir.join("cohort").join("dictionary.csv");
    let dictionary = if dictionary_path.exists() {
        Some(Dictionary::read_csv(&dictionary_path)?)
    } else {
        None
    };
    let written = meshagents_workflows::validation::export_study(
        dir,
        &dest,
        &formats,
        figures,
        dictionary.as_ref(),
        top,
    )?;
    for f in written {
        println!("{}", dest.join(f).display());
    }
    Ok(())
}
