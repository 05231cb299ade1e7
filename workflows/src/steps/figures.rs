//! `export/figures`: the paper's tables (TSV, Parquet, Markdown, LaTeX) and figures
//! (Manhattan, volcano, QQ, forest, ROC; SVG and PNG).

use std::path::Path;

use meshagents_stats::export::ExportFormat;

use crate::files::{record, verify, WrittenFile};
use crate::holdout::StudySplit;
use crate::plan::Step;
use crate::runner::Runner;
use crate::validation::{export_study, FIGURES};
use crate::WorkflowError;

pub(crate) fn run(
    runner: &mut Runner,
    out: &Path,
    split: &StudySplit,
) -> Result<(), WorkflowError> {
    let load = || split.table();
    let export_request = serde_json::json!({ "formats": ["tsv", "parquet", "md", "tex"], "figures": FIGURES, "top_n": 3, "version": 1 });
    let exported: Vec<WrittenFile> = runner.step(
        Step::Figures,
        &export_request,
        |f: &Vec<WrittenFile>| format!("{} files", f.len()),
        |_| -> Result<_, WorkflowError> {
            let t = load()?;
            let formats = [
                ExportFormat::Tsv,
                ExportFormat::Parquet,
                ExportFormat::Markdown,
                ExportFormat::Latex,
            ];
            let paths = export_study(out, out, &formats, true, Some(&t.dictionary), 3)?;
            paths
                .iter()
                .map(|p| record(out, &p.to_string_lossy()))
                .collect()
        },
    )?;
    verify(out, &exported)
}
