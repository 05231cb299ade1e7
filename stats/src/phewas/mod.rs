//! The PheWAS engine behind `meshagents phewas`: every requested phenotype x factor pair,
//! with the model its types call for, transforms, and multiple-testing correction.
//!
//! Models (sample set per pair: rows where phenotype, factor and all covariates are present):
//! - **linear**: `phenotype ~ factor + covariates` (continuous, integer, ordinal factors; and
//!   binary ones with `--model linear`); the factor's coefficient.
//! - **logistic**: `factor ~ phenotype + covariates` for binary factors; log odds ratio per
//!   unit of phenotype, Wald z and p, likelihood-ratio p in `note`. Firth's penalised
//!   likelihood is used, and flagged in `note`, when the smaller class has fewer than
//!   [`FIRTH_MIN_EVENTS`] members or the ordinary fit separates or does not converge.
//! - **categorical** factors (unordered): `phenotype ~ level dummies + covariates`, one row per
//!   level against the reference (the most common level), plus an `overall` row with the
//!   likelihood-ratio test of all levels together.
//! - **bai2020**: the phenotype residualised on the covariates, then Pearson r with the
//!   transformed factor (replicates Bai et al. 2020's tables).
//!
//! Categorical covariates are dummy-coded automatically (reference: most common level). A
//! covariate constant in a linear or logistic pair's complete rows (sex, for a factor recorded
//! in one sex) leaves that pair's model, as in R and statsmodels, and the note says so. A
//! factor that is also a covariate (a panel's confounder) is not fitted: its pairs are skipped.
//! A request may also leave given covariates out of given factors' pairs
//! ([`CovariateDrop`]: sex for a field recorded in one sex, even where a few of the other sex
//! answered it); those factors are fitted with the shorter list, and their rows say so.
//!
//! The room: `request` (what is asked), `list` (the LIST grammar), `context` (columns
//! transformed once, designs), `drops` (the covariate list each factor is fitted with),
//! `plan` (work items and shards), `run` (threads, order, correction, shards and their
//! merge), one file per model family (`linear`, `logistic`, `categorical`, `bai2020`),
//! `fitted` (rows from fits), `rows` (the table's contract and the correction), `effect` (how a
//! row reads: the model as fitted, its scale, odds ratio and z) and `parts` (shard parts on
//! disk).

mod bai2020;
mod categorical;
mod context;
mod drops;
mod effect;
mod fitted;
mod linear;
mod list;
mod logistic;
pub mod parts;
mod plan;
mod request;
pub(crate) mod rows;
mod run;

pub use effect::{by_family, Interval, Scale};
pub use list::{resolve_list, resolve_named};
pub use plan::Shard;
pub use request::{
    CovariateDrop, Method, ModelChoice, PhewasRequest, PhewasResult, FIRTH_MIN_EVENTS,
};
pub use rows::{
    apply_multiple_testing, benjamini_hochberg, neg_log10, read_associations, rows_to_frame,
    write_associations, AssociationRow, ASSOCIATION_COLUMNS, DESCRIPTION_COLUMN,
};
pub use run::{merge_shards, run, run_shard, ShardRows};
