//! The models room: the regression fitters and the kernels behind them. `ols` and `logistic`
//! (with Firth's penalised likelihood) are the general, guarded fitters; `fastlinear` and
//! `fastlogistic` are the PheWAS kernels that share work across thousands of similar fits and
//! fall back to the general fitters when they cannot settle; `linalg` is the small dense
//! algebra they all stand on. Nothing here knows about columns, dictionaries or files.

pub mod fastlinear;
pub mod fastlogistic;
pub(crate) mod linalg;
pub mod logistic;
pub mod ols;
pub(crate) mod vector_level;
