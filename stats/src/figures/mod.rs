//! Figures for a paper, each written as SVG (for the report and for editing) and PNG (at 3x,
//! for slides and previews): Manhattan, volcano and QQ plots of the association table, the
//! ROC curves of the classification validation, and a forest plot of the top hits.
//!
//! Legibility at a paper's column width: a figure is laid out in "pixels" where text is at
//! least 14 px; a single-column figure is 480 px wide, so printed at 3.5 in (252 pt) text is
//! at least 7 pt. Double-column figures (Manhattan, ROC grid) are about twice as wide.
//! Colours are Okabe & Ito's colour-blind-safe palette; lines also differ by dash, and
//! significance by marker, so nothing relies on colour alone.
//!
//! Text is measured with an embedded DejaVu Sans (`assets/fonts`, Bitstream Vera licence)
//! through plotters' pure-Rust `ab_glyph` path, so no fontconfig or freetype is needed.
//!
//! The room: `chart` is the scaffold (palette, font, sizes, the SVG-and-PNG renderer),
//! `significance` what the association charts share, then one file per chart.

mod chart;
mod forest;
mod manhattan;
mod qq;
mod roc;
mod significance;
mod volcano;

pub use chart::{PlotFiles, OKABE_ITO};
pub use forest::forest;
pub use manhattan::{manhattan, ManhattanOptions};
pub use qq::{genomic_inflation, qq};
pub use roc::{roc, roc_curve};
pub use volcano::volcano;
