//! The cohort room: a table made ready for analysis. `catalog` reads what a table holds
//! before any data (columns, canonical names, the id, the dictionary); `load` reads the
//! columns wanted and runs them through `clean` (UK Biobank missing codes, Bai 2020 rules, a
//! flow log saying what happened to every column and why) and `near_duplicates`; `table` is
//! the result; `split` sets participants aside for validation.

mod catalog;
mod clean;
mod load;
mod near_duplicates;
pub mod split;
mod table;

pub use catalog::{canonical_column_name, Catalog};
pub(crate) use catalog::{canonical_names, id_column_of, no_id_message};
pub(crate) use clean::numeric_values;
pub use near_duplicates::{pairwise_r, pairwise_r_at};
pub use table::{AnalysisTable, CleaningRules, FlowEntry, LoadOptions, NumericColumn};
