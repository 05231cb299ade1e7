//! What a PheWAS is asked for (phenotypes, factors, covariates, model, transform, method) and
//! what it returns; the model a factor's type calls for.

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
