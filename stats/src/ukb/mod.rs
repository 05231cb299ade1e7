//! UK Biobank as it is delivered: the extract (one column per field, instance and array), the
//! Showcase data dictionary and the codings, read as they are (`showcase`), and derived into
//! an ordinary cohort (`derive`): an instance per field, array readings averaged, each code of
//! a multi-valued field its own binary factor (`expand`), and diseases defined by code lists
//! (`diseases`). The cohort it makes is a frame and a `dictionary.csv`, so cleaning, the panel
//! and the PheWAS read it exactly like any other.

mod derive;
pub mod diseases;
mod expand;
mod extract;
pub mod showcase;

pub use derive::{
    derive, write_fields, Derived, UkbSources, COHORT_FILE, DICTIONARY_FILE, FIELDS_FILE,
};
pub use diseases::{DiseaseDefinition, Diseases};
pub use extract::{FieldNote, UkbOptions};
pub use showcase::{Codings, Sexed, Showcase, SEX_FIELD};
