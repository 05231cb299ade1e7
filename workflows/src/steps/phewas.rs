//! `phewas/adjusted`: every phenotype x factor pair, adjusted for the chosen covariates,
//! written to `associations.csv` (every pair has a row; skipped pairs say why).

use std::path::Path;

use meshagents_stats::data::dictionary::Dictionary;
use meshagents_stats::phewas::{write_associations, AssociationRow};
use meshagents_stats::simulate::Truth;
use serde::{Deserialize, Serialize};

use crate::files::{record, WrittenFile};
use crate::summary::PhewasSummary;
use crate::WorkflowError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasResult {
    pub summary: PhewasSummary,
    pub files: Vec<WrittenFile>,
}

/// The step's line. The demo's says pairs, a study's rows (a categorical factor has a row per
/// level): both are what users have always read.
pub(crate) fn detail_pairs(r: &PhewasResult) -> String {
    format!(
        "{} pairs, {} Bonferroni hits",
        r.summary.pairs, r.summary.bonferroni_hits
    )
}

pub(crate) fn detail_rows(r: &PhewasResult) -> String {
    format!(
        "{} rows, {} Bonferroni hits",
        r.summary.pairs, r.summary.bonferroni_hits
    )
}

/// Writes `associations.csv` and scores the rows (against the planted truth of a simulated
/// cohort).
pub(crate) fn write(
    out: &Path,
    rows: &[AssociationRow],
    truth: Option<&Truth>,
    dictionary: &Dictionary,
) -> Result<PhewasResult, WorkflowError> {
    write_associations(rows, &out.join("associations.csv"))?;
    Ok(PhewasResult {
        summary: PhewasSummary::score(rows, truth, dictionary),
        files: vec![record(out, "associations.csv")?],
    })
}
