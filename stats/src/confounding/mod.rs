//! The confounding room: the screens the panel reads to choose an adjustment set. `candidates`
//! is the first look (correlations and the change of the strongest slopes per candidate);
//! `screen` asks the change-in-estimate question of every pair of the study at once.

mod candidates;
mod screen;

pub use candidates::{screen_candidates, CovariateEvidence};
pub use screen::{
    screen, ConfoundingEvidence, PairsScreened, ScreenRequest, ScreenResult, ASSOCIATED_R,
    DEFAULT_MAX_PAIRS, MOVE_THRESHOLD,
};
