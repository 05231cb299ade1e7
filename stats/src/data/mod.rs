//! The data room: the file formats and value types that every other room reads. Tables by
//! extension (`io`), the text of the tables we write ourselves (`delimited`), the
//! `dictionary.csv` format, the typing tree for undescribed columns,
//! the transforms applied before modelling, and the few descriptive statistics shared by
//! several rooms. Nothing here knows about cleaning, models or studies, which is why it is
//! not inside `cohort`: the simulator, the classification and the exports read these formats
//! too.

pub(crate) mod delimited;
pub(crate) mod describe;
pub mod dictionary;
pub mod io;
pub mod sniff;
pub mod transform;
pub mod typing;
