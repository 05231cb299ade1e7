//! Figures for a paper, each written as SVG (for the report and for editing) and PNG (at 3x,
//! for slides and previews): Manhattan, volcano and QQ plots of the association table, the
//! ROC curves of the classification validation, and a forest plot of the top hits.
//!
//! Legibility at a paper's column width: a figure is laid out in "pixels" where text is at
//! least 14 px; a single-column figure is 480 px wide, so printed at 3.5 in (252 pt) text is
//! at least 7 pt. Double-column figures (Manhattan, ROC grid) are about twice as wide.
//! Colours are Okabe & Ito's colour-blind-safe palette; categories past its seven colours
//! change marker shape too (`style::category_marker`), lines also differ by dash (a real
//! `stroke-dasharray` in the SVG), and significance by marker, so nothing relies on colour
//! alone. Legends draw their glyphs with the functions that draw the marks, so a dashed line
//! is dashed in its legend too. Text comes in the one set of sizes of `chart::TEXT`.
//!
//! Point labels are abbreviated by one rule (`crate::text::abbreviate`, at a word, with an
//! ellipsis) and placed greedily around their point, clear of every other label, marker and
//! the legend, inside the plotting area, or left out (`labels::place_labels`). Forest and
//! volcano plots have one panel per model family present (`Scale`): standardised β of the
//! linear models, log odds ratio of the logistic ones, never on one axis.
//!
//! Text is measured with an embedded DejaVu Sans (`assets/fonts`, Bitstream Vera licence)
//! through plotters' pure-Rust `ab_glyph` path, so no fontconfig or freetype is needed.
//!
//! The room: `chart` is the scaffold (palette, font, text sizes, the SVG-and-PNG renderer),
//! `style` the marks and legends, `labels` abbreviation and placement, `significance` what
//! the association charts share, then one file per chart.

mod chart;
mod forest;
mod labels;
mod manhattan;
mod qq;
mod roc;
mod significance;
mod style;
mod volcano;

pub use chart::{PlotFiles, TextSizes, OKABE_ITO, TEXT};
pub use forest::forest;
pub use labels::{abbreviate, place_labels, Placement, Rect, LABEL_CHARS, RINGS as LABEL_RINGS};
pub use manhattan::{manhattan, ManhattanOptions};
pub use qq::{genomic_inflation, qq};
pub use roc::{roc, roc_curve};
pub use style::{category_marker, Dash, Marker, Shape, SHAPES};
pub use volcano::volcano;
