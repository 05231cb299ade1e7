//! The two metadata files UK Biobank publishes beside every extract: the Showcase data
//! dictionary (`Data_Dictionary_Showcase.tsv`, one row per field) and the codings
//! (`Codings.tsv`, one row per code of every coding). Only the columns the derivation needs are
//! read; the others (Participants, Items, Stability, Notes, Link...) may be in any order or
//! absent.

use std::collections::HashMap;
use std::path::Path;

use crate::error::StatsError;

/// What UK Biobank says a field's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShowcaseType {
    Integer,
    Continuous,
    CategoricalSingle,
    CategoricalMultiple,
    Date,
    Time,
    Text,
    Compound,
}

impl ShowcaseType {
    const NAMES: [(&'static str, ShowcaseType); 8] = [
        ("Integer", ShowcaseType::Integer),
        ("Continuous", ShowcaseType::Continuous),
        ("Categorical single", ShowcaseType::CategoricalSingle),
        ("Categorical multiple", ShowcaseType::CategoricalMultiple),
        ("Date", ShowcaseType::Date),
        ("Time", ShowcaseType::Time),
        ("Text", ShowcaseType::Text),
        ("Compound", ShowcaseType::Compound),
    ];

    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, t)| *t)
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(name, _)| *name)
            .unwrap_or("?")
    }
}

/// UK Biobank's field 31, "Sex" (coding 9: 0 female, 1 male): who was asked a question of one
/// sex, and the covariate such a question is not adjusted for.
pub const SEX_FIELD: u32 = 31;

/// Whether a field is recorded for one sex only (the Showcase's `Sexed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sexed {
    Unisex,
    Female,
    Male,
}

/// One row of the Showcase.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowcaseField {
    pub field_id: u32,
    /// The field's title, e.g. "Non-cancer illness code, self-reported".
    pub title: String,
    /// The last element of the Showcase path, e.g. "Smoking": the category a reader knows.
    pub category: String,
    pub value_type: ShowcaseType,
    pub units: String,
    pub sexed: Sexed,
    /// How many instances the field is defined at (1 for fields recorded once).
    pub instances: u32,
    pub coding: Option<u32>,
}

/// The Showcase, by field id.
#[derive(Debug, Clone, Default)]
pub struct Showcase {
    pub fields: HashMap<u32, ShowcaseField>,
}

/// The codings: the meaning of each value of each coding.
#[derive(Debug, Clone, Default)]
pub struct Codings {
    by_coding: HashMap<u32, Vec<(String, String)>>,
}

/// The Showcase columns the derivation reads.
pub const SHOWCASE_COLUMNS: [&str; 8] = [
    "Path",
    "FieldID",
    "Field",
    "ValueType",
    "Units",
    "Sexed",
    "Instances",
    "Coding",
];
/// The codings columns it reads.
pub const CODINGS_COLUMNS: [&str; 3] = ["Coding", "Value", "Meaning"];

/// The header and rows of a tab- (or, for `.csv`, comma-) separated file, each row with its
/// line. Quotes are not special in a `.tsv`: the Showcase's notes hold unbalanced quotes, which
/// a quoting reader would run on to the end of the file.
/// A header and its rows, each with its line.
type Table = (Vec<String>, Vec<(usize, csv::StringRecord)>);

fn read_table(path: &Path) -> Result<Table, StatsError> {
    let comma = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let file = std::fs::File::open(path).map_err(|e| StatsError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if comma { b',' } else { b'\t' })
        .quoting(comma)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let csv_error = |source| StatsError::Csv {
        file: path.display().to_string(),
        source,
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((line, record));
    }
    Ok((header, rows))
}

/// The index of each required column, or an error naming the first one missing.
fn columns_of<const N: usize>(
    path: &Path,
    header: &[String],
    required: [&str; N],
    what: &str,
) -> Result<[usize; N], StatsError> {
    let mut out = [0usize; N];
    for (slot, name) in out.iter_mut().zip(required) {
        *slot = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| StatsError::Input {
                file: path.display().to_string(),
                message: format!(
                    "missing {what} column '{name}' (it needs: {}; the file has: {})",
                    required.join(", "),
                    header.join(", ")
                ),
            })?;
    }
    Ok(out)
}

impl Showcase {
    /// Reads `Data_Dictionary_Showcase.tsv`. Every problem names the file, the line and the
    /// column.
    pub fn read(path: &Path) -> Result<Self, StatsError> {
        let (header, rows) = read_table(path)?;
        let [path_c, id_c, title_c, type_c, units_c, sexed_c, instances_c, coding_c] =
            columns_of(path, &header, SHOWCASE_COLUMNS, "Showcase")?;
        let mut fields = HashMap::with_capacity(rows.len());
        for (line, record) in rows {
            let cell = |k: usize| record.get(k).unwrap_or("").trim();
            let at = |k: usize, message: String| StatsError::InputAt {
                file: path.display().to_string(),
                row: line,
                column: header[k].clone(),
                message,
            };
            let field_id: u32 = cell(id_c)
                .parse()
                .map_err(|_| at(id_c, format!("'{}' is not a field id", cell(id_c))))?;
            let value_type = ShowcaseType::parse(cell(type_c)).ok_or_else(|| {
                at(
                    type_c,
                    format!(
                        "unknown value type '{}' (expected one of: {})",
                        cell(type_c),
                        ShowcaseType::NAMES.map(|(n, _)| n).join(", ")
                    ),
                )
            })?;
            let sexed = match cell(sexed_c).to_ascii_lowercase().as_str() {
                "" | "unisex" => Sexed::Unisex,
                "female" => Sexed::Female,
                "male" => Sexed::Male,
                other => {
                    return Err(at(
                        sexed_c,
                        format!("unknown Sexed '{other}' (expected Unisex, Female or Male)"),
                    ))
                }
            };
            let instances = match cell(instances_c) {
                "" => 1,
                text => text.parse().map_err(|_| {
                    at(
                        instances_c,
                        format!("'{text}' is not a number of instances"),
                    )
                })?,
            };
            let coding = match cell(coding_c) {
                "" => None,
                text => Some(
                    text.parse()
                        .map_err(|_| at(coding_c, format!("'{text}' is not a coding id")))?,
                ),
            };
            let category = cell(path_c)
                .rsplit('>')
                .next()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or("Other")
                .to_string();
            let field = ShowcaseField {
                field_id,
                title: cell(title_c).to_string(),
                category,
                value_type,
                units: cell(units_c).to_string(),
                sexed,
                instances,
                coding,
            };
            if fields.insert(field_id, field).is_some() {
                return Err(at(id_c, format!("field {field_id} is described twice")));
            }
        }
        Ok(Showcase { fields })
    }

    pub fn get(&self, field_id: u32) -> Option<&ShowcaseField> {
        self.fields.get(&field_id)
    }
}

impl Codings {
    /// Reads `Codings.tsv` (`Coding`, `Value`, `Meaning`; other columns ignored).
    pub fn read(path: &Path) -> Result<Self, StatsError> {
        let (header, rows) = read_table(path)?;
        let [coding_c, value_c, meaning_c] = columns_of(path, &header, CODINGS_COLUMNS, "codings")?;
        let mut by_coding: HashMap<u32, Vec<(String, String)>> = HashMap::new();
        for (line, record) in rows {
            let cell = |k: usize| record.get(k).unwrap_or("").trim();
            let coding: u32 = cell(coding_c).parse().map_err(|_| StatsError::InputAt {
                file: path.display().to_string(),
                row: line,
                column: header[coding_c].clone(),
                message: format!("'{}' is not a coding id", cell(coding_c)),
            })?;
            by_coding
                .entry(coding)
                .or_default()
                .push((cell(value_c).to_string(), cell(meaning_c).to_string()));
        }
        Ok(Codings { by_coding })
    }

    /// Whether the file describes this coding at all.
    pub fn has(&self, coding: u32) -> bool {
        self.by_coding.contains_key(&coding)
    }

    /// The meaning of `value` in `coding`; numeric values match whatever their spelling
    /// (`1` and `1.0`).
    pub fn meaning(&self, coding: u32, value: &str) -> Option<&str> {
        let values = self.by_coding.get(&coding)?;
        let numeric = value.parse::<f64>().ok();
        values
            .iter()
            .find(|(v, _)| v == value || (numeric.is_some() && v.parse::<f64>().ok() == numeric))
            .map(|(_, m)| m.as_str())
    }

    /// Every (value, meaning) of a coding, in file order.
    pub fn values(&self, coding: u32) -> &[(String, String)] {
        self.by_coding.get(&coding).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const HEADER: &str = "Path\tCategory\tFieldID\tField\tParticipants\tItems\tStability\tValueType\tUnits\tItemType\tStrata\tSexed\tInstances\tArray\tCoding\tNotes\tLink\n";

    #[test]
    fn reads_the_showcase_layout_with_unbalanced_quotes_in_notes() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}UK Biobank Assessment Centre > Verbal interview > Medical conditions\t100074\t20002\tNon-cancer illness code, self-reported\t502000\t1000000\tComplete\tCategorical multiple\t\tData\tPrimary\tUnisex\t4\t34\t6\tSee \"notes\t http://x\n\
             Assessment > Female-specific factors\t100069\t2724\tHad menopause\t270000\t300000\tComplete\tCategorical single\t\tData\tPrimary\tFemale\t4\t1\t100579\t\"odd quote\thttp://y\n"
        );
        let path = write(dir.path(), "Data_Dictionary_Showcase.tsv", &text);
        let s = Showcase::read(&path).unwrap();
        let f = s.get(20002).unwrap();
        assert_eq!(f.value_type, ShowcaseType::CategoricalMultiple);
        assert_eq!(f.category, "Medical conditions");
        assert_eq!(
            (f.instances, f.coding, f.sexed),
            (4, Some(6), Sexed::Unisex)
        );
        assert_eq!(s.get(2724).unwrap().sexed, Sexed::Female);
    }

    #[test]
    fn a_missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "s.tsv",
            "Path\tFieldID\tField\tUnits\tSexed\tInstances\tCoding\nA\t1\tx\t\tUnisex\t1\t\n",
        );
        let e = Showcase::read(&path).unwrap_err().to_string();
        assert!(e.contains("missing Showcase column 'ValueType'"), "{e}");
        let path = write(dir.path(), "c.tsv", "Coding\tMeaning\n6\tx\n");
        let e = Codings::read(&path).unwrap_err().to_string();
        assert!(e.contains("missing codings column 'Value'"), "{e}");
    }

    #[test]
    fn a_bad_cell_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{HEADER}A > B\t1\t31\tSex\t1\t1\tComplete\tCategorical single\t\tData\tPrimary\tUnisex\t1\t1\t9\t\t\nA > B\t1\t50\tHeight\t1\t1\tComplete\tFloat\t\tData\tPrimary\tUnisex\t4\t1\t\t\t\n");
        let path = write(dir.path(), "s.tsv", &text);
        let e = Showcase::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("row 3, column 'ValueType'") && e.contains("'Float'"),
            "{e}"
        );
    }

    #[test]
    fn codings_match_numbers_whatever_their_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "Codings.tsv",
            "Coding\tValue\tMeaning\tNode_id\n6\t1065\thypertension\t1\n19\tI10\tI10 Essential (primary) hypertension\t2\n",
        );
        let c = Codings::read(&path).unwrap();
        assert_eq!(c.meaning(6, "1065.0"), Some("hypertension"));
        assert_eq!(
            c.meaning(19, "I10"),
            Some("I10 Essential (primary) hypertension")
        );
        assert!(c.meaning(6, "1066").is_none() && !c.has(7));
    }
}
