//! What a PheWAS is asked for (phenotypes, factors, covariates, model, transform, method) and
//! what it returns; the model a factor's type calls for; covariates left out of given factors'
//! pairs.

use super::rows::AssociationRow;
use crate::data::dictionary::ValueType;
use crate::data::transform::Transform;
use serde::{Deserialize, Serialize};

pub const FIRTH_MIN_EVENTS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ModelChoice {
    Auto,
    Linear,
    Logistic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Exact,
    Bai2020,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhewasRequest {
    pub phenotypes: Vec<String>,
    pub factors: Vec<String>,
    pub covariates: Vec<String>,
    pub model: ModelChoice,
    pub transform: Transform,
    pub method: Method,
    pub threads: usize,
    /// Covariates left out of some factors' pairs (a field the UK Biobank Showcase marks as
    /// recorded in one sex is not adjusted for sex). Skipped when empty, so that every request
    /// journaled before this field existed keeps its bytes, and its hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped_covariates: Vec<CovariateDrop>,
}

/// Covariates left out of one factor's pairs, and why.
///
/// `factor` is a name of the request's `factors` (a categorical factor's level rows,
/// `factor=level`, are covered by it); `covariates` are names of the request's `covariates`.
/// The factor's pairs are fitted on the rows complete in the phenotype, the factor and the
/// covariates left, and each of its rows says `not adjusted for COVARIATES: REASON`. This is
/// needed even when the covariate varies in the pair's rows (a female-only field that a few
/// men answered), where the rule for covariates constant in a pair's rows does not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CovariateDrop {
    pub factor: String,
    pub covariates: Vec<String>,
    pub reason: String,
}

/// Multiple-testing family and the rows.
#[derive(Debug, Clone)]
pub struct PhewasResult {
    pub rows: Vec<AssociationRow>,
    pub family_size: usize,
}

/// The model a factor of this type gets under the request.
pub(super) fn model_of(request: &PhewasRequest, value_type: ValueType) -> &'static str {
    match (request.method, request.model, value_type) {
        (Method::Bai2020, _, _) => "bai2020",
        (_, ModelChoice::Logistic, ValueType::Binary)
        | (_, ModelChoice::Auto, ValueType::Binary) => "logistic",
        (_, ModelChoice::Logistic, _) => "unsupported",
        (_, _, ValueType::Categorical) => "categorical",
        _ => "linear",
    }
}
