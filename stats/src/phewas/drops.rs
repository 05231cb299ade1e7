//! Covariates left out of given factors' pairs (`PhewasRequest::dropped_covariates`): a field
//! recorded in one sex is not adjusted for sex, even where a few participants of the other sex
//! have a value (then sex varies in the pair's rows, and the rule for covariates constant in
//! them does not apply).
//!
//! Such factors are fitted in a context of their own: the same request with the shorter
//! covariate list, so every model family (the linear kernel, logistic and Firth, categorical,
//! Bai 2020) fits them exactly as it fits a run with that list, on the rows complete in what is
//! left. Their rows go back to the request's order before multiple testing, and the other
//! factors' work items are those of a run without drops, minus these factors: their numbers do
//! not change (each factor's arithmetic in the linear kernel does not depend on its block's
//! other members).

use super::context::{prepare, with_phenotypes, Context};
use super::request::PhewasRequest;
use super::rows::AssociationRow;
use crate::cohort::AnalysisTable;
use crate::error::StatsError;

/// The covariate lists of a run and which factors are fitted under each.
pub(super) struct Covariates {
    /// The request with each shorter covariate list (contexts 1, 2, ...), in the order of the
    /// first factor that needs it. Factors with the same drops share one.
    reduced: Vec<PhewasRequest>,
    /// The context of each factor: 0 for the request's own covariates, k for `reduced[k - 1]`.
    pub(super) context_of: Vec<usize>,
    /// The note every row of a factor with drops starts with.
    pub(super) notes: Vec<Option<String>>,
}

impl Covariates {
    /// Checks the request's drops and groups its factors by covariate list. A drop that names
    /// a factor or a covariate the run does not have is an error naming it: a misspelt name
    /// would otherwise leave a field adjusted for what it should not be, silently.
    pub(super) fn of(request: &PhewasRequest) -> Result<Covariates, StatsError> {
        let mut dropped: Vec<Vec<&str>> = vec![Vec::new(); request.factors.len()];
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); request.factors.len()];
        for drop in &request.dropped_covariates {
            let f = request
                .factors
                .iter()
                .position(|f| *f == drop.factor)
                .ok_or_else(|| {
                    StatsError::Invalid(format!(
                        "covariates are dropped for factor '{}', which is not a factor of this run",
                        drop.factor
                    ))
                })?;
            if drop.covariates.is_empty() {
                return Err(StatsError::Invalid(format!(
                    "a covariate drop for factor '{}' names no covariate",
                    drop.factor
                )));
            }
            for covariate in &drop.covariates {
                if !request.covariates.contains(covariate) {
                    return Err(StatsError::Invalid(format!(
                        "covariate '{covariate}' is dropped for factor '{}', but it is not a covariate of this run (covariates: {})",
                        drop.factor,
                        if request.covariates.is_empty() { "none".into() } else { request.covariates.join(", ") }
                    )));
                }
                dropped[f].push(covariate);
            }
            let names = drop.covariates.join(", ");
            notes[f].push(match drop.reason.as_str() {
                "" => format!("not adjusted for {names}"),
                reason => format!("not adjusted for {names}: {reason}"),
            });
        }
        let mut reduced: Vec<PhewasRequest> = Vec::new();
        let mut context_of = vec![0; request.factors.len()];
        let mut factor_notes = vec![None; request.factors.len()];
        for (f, dropped) in dropped.iter().enumerate() {
            // A factor that is also a covariate is not fitted at all (`run::factor_rows`): it
            // stays with the run's covariates, which say why.
            if dropped.is_empty() || request.covariates.contains(&request.factors[f]) {
                continue;
            }
            let kept: Vec<String> = request
                .covariates
                .iter()
                .filter(|c| !dropped.contains(&c.as_str()))
                .cloned()
                .collect();
            let k = match reduced.iter().position(|r| r.covariates == kept) {
                Some(k) => k,
                None => {
                    reduced.push(PhewasRequest {
                        covariates: kept,
                        dropped_covariates: Vec::new(),
                        ..request.clone()
                    });
                    reduced.len() - 1
                }
            };
            context_of[f] = k + 1;
            factor_notes[f] = Some(notes[f].join("; "));
        }
        Ok(Covariates {
            reduced,
            context_of,
            notes: factor_notes,
        })
    }

    /// One context per covariate list, the request's own first; they share the transformed
    /// phenotypes.
    pub(super) fn contexts<'a>(
        &'a self,
        table: &'a AnalysisTable,
        request: &'a PhewasRequest,
    ) -> Result<Vec<Context<'a>>, StatsError> {
        let main = prepare(table, request)?;
        let mut contexts = Vec::with_capacity(1 + self.reduced.len());
        for reduced in &self.reduced {
            contexts.push(with_phenotypes(table, reduced, main.phenotypes.clone())?);
        }
        contexts.insert(0, main);
        Ok(contexts)
    }

    /// `row` of factor `f` with the factor's drop note first, if it has one (so notes that
    /// end in a statistic, as a logistic row's likelihood-ratio test, still end in it).
    pub(super) fn noted(&self, f: usize, mut row: AssociationRow) -> AssociationRow {
        if let Some(Some(note)) = self.notes.get(f) {
            row.note = if row.note.is_empty() {
                note.clone()
            } else {
                format!("{note}; {}", row.note)
            };
        }
        row
    }
}
