//! The catalogue of non-imaging fields: what each one is, how it is coded, and how its value
//! arises from the latent world (planted exposure, confounder-driven, or pure noise).

use std::sync::OnceLock;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::data::dictionary::ValueType;

pub const CATEGORIES: [&str; 11] = [
    "Primary demographics",
    "Early life factors",
    "Education and employment",
    "Diet",
    "Alcohol",
    "Smoking",
    "Physical activity",
    "Physical measures",
    "Self-reported medical conditions",
    "Mental health",
    "Cognitive function",
];

/// How a latent standard-normal value becomes the recorded value. `fields.toml` writes one as
/// a table whose `kind` is the variant in snake case.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Encoding {
    Continuous {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
        decimals: i32,
    },
    LogNormal {
        log_mean: f64,
        log_sd: f64,
        max: f64,
        decimals: i32,
    },
    Integer {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// Codes 0/1 with `prevalence` of 1.
    Binary { prevalence: f64 },
    /// Codes 1..=k in order of the latent value, with the given shares.
    Ordinal {
        labels: Vec<String>,
        shares: Vec<f64>,
    },
    /// Codes 1..=k with no order.
    Categorical {
        labels: Vec<String>,
        shares: Vec<f64>,
    },
    /// The latent is already a code (smoking status, atrial fibrillation).
    Code { labels: Vec<(i64, String)> },
}

impl Encoding {
    pub fn value_type(&self) -> ValueType {
        match self {
            Encoding::Continuous { .. } | Encoding::LogNormal { .. } => ValueType::Continuous,
            Encoding::Integer { .. } => ValueType::Integer,
            Encoding::Binary { .. } => ValueType::Binary,
            Encoding::Ordinal { .. } => ValueType::Ordinal,
            Encoding::Categorical { .. } => ValueType::Categorical,
            Encoding::Code { labels } if labels.len() == 2 => ValueType::Binary,
            Encoding::Code { .. } => ValueType::Ordinal,
        }
    }

    pub fn is_integer_valued(&self) -> bool {
        !matches!(
            self,
            Encoding::Continuous { .. } | Encoding::LogNormal { .. }
        )
    }
}

/// Where the latent value of a field comes from.
#[derive(Debug, Clone)]
pub enum Latent {
    /// A planted exposure of the world (sign flips the direction of coding).
    World { name: &'static str, sign: f64 },
    /// Loadings on the standardised confounders plus an optional shared theme; the rest is
    /// independent noise. All-zero loadings make a null field.
    Mix {
        age: f64,
        sex: f64,
        height: f64,
        weight: f64,
        theme: Option<(usize, f64)>,
    },
    /// A latent variable that only a causal scenario adds (`ses`, `mediator`), computed by
    /// `scenario` rather than the world; `sign` flips the direction of coding.
    Scenario { name: &'static str, sign: f64 },
    /// A near-copy of an earlier field (index into the catalogue): `scale * x + offset` plus
    /// tiny noise, so |r| > 0.9999 and cleaning must drop one of them.
    NearDuplicate {
        of: usize,
        scale: f64,
        offset: f64,
        noise: f64,
    },
}

impl Latent {
    pub fn null() -> Self {
        Latent::Mix {
            age: 0.0,
            sex: 0.0,
            height: 0.0,
            weight: 0.0,
            theme: None,
        }
    }
    pub fn conf(age: f64, sex: f64, height: f64, weight: f64) -> Self {
        Latent::Mix {
            age,
            sex,
            height,
            weight,
            theme: None,
        }
    }
}

/// Why a field is (or is not) associated with imaging phenotypes; recorded in truth.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruthKind {
    Direct,
    Mediated,
    ConfoundedOnly,
    Null,
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub field_id: u32,
    pub description: String,
    pub category: &'static str,
    pub encoding: Encoding,
    pub latent: Latent,
    pub missing: f64,
    /// Share coded -1 ("Do not know").
    pub do_not_know: f64,
    /// Share coded -3 ("Prefer not to answer").
    pub prefer_not: f64,
    /// Loading of a `Mix` latent on the scenario's socioeconomic latent `ses` (0 outside the
    /// factor-confounder scenario): the field then reaches imaging through `ses`.
    pub ses: f64,
    /// Weight of the field's latent in the scenario's blood-assay mediator (0 outside the
    /// mediator scenario): the field then causes the mediator, which causes imaging.
    pub mediator: f64,
}

impl FieldSpec {
    pub fn column(&self) -> String {
        format!("{}-2.0", self.field_id)
    }

    pub fn truth_kind(&self, catalogue: &[FieldSpec]) -> TruthKind {
        match &self.latent {
            Latent::World { name, .. } => match *name {
                "salt" | "deprivation" => TruthKind::Mediated,
                _ => TruthKind::Direct,
            },
            // Both scenario variables act on phenotypes themselves.
            Latent::Scenario { .. } => TruthKind::Direct,
            // A field that causes the mediator reaches imaging through it, whatever else it
            // leans on.
            Latent::Mix { .. } if self.mediator != 0.0 => TruthKind::Mediated,
            Latent::Mix {
                age,
                sex,
                height,
                weight,
                ..
            } => {
                if [age, sex, height, weight, &self.ses]
                    .iter()
                    .any(|v| **v != 0.0)
                {
                    TruthKind::ConfoundedOnly
                } else {
                    TruthKind::Null
                }
            }
            Latent::NearDuplicate { of, .. } => catalogue[*of].truth_kind(catalogue),
        }
    }

    /// Inline data-coding for the dictionary.
    pub fn coding(&self) -> String {
        let mut parts: Vec<String> = match &self.encoding {
            Encoding::Binary { .. } => vec!["0=No".into(), "1=Yes".into()],
            Encoding::Ordinal { labels, .. } | Encoding::Categorical { labels, .. } => labels
                .iter()
                .enumerate()
                .map(|(k, l)| format!("{}={}", k + 1, l))
                .collect(),
            Encoding::Code { labels } => labels.iter().map(|(c, l)| format!("{c}={l}")).collect(),
            _ => vec![],
        };
        if self.do_not_know > 0.0 {
            parts.push("-1=Do not know".into());
        }
        if self.prefer_not > 0.0 {
            parts.push("-3=Prefer not to answer".into());
        }
        parts.join(";")
    }
}

fn labels(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const FREQUENCY: [&str; 6] = [
    "Never",
    "Less than once a week",
    "Once a week",
    "2-4 times a week",
    "5-6 times a week",
    "Once or more daily",
];

/// Builds the catalogue. `target` is the total number of non-imaging fields wanted (at least
/// the named ones); extra fields are supplementary questionnaire items, null or
/// confounder-driven, spread over the categories.
pub fn catalogue(target: usize, rng: &mut ChaCha8Rng) -> Vec<FieldSpec> {
    let mut c = Catalogue {
        fields: Vec::new(),
        next_synthetic: 900_001,
        rng,
    };
    c.named();
    let mut k = 0usize;
    while c.fields.len() < target {
        let category = CATEGORIES[k % CATEGORIES.len()];
        k += 1;
        let description = format!(
            "{category}: supplementary questionnaire item {}",
            k.div_ceil(CATEGORIES.len())
        );
        let encoding = match k % 5 {
            0 => Encoding::Continuous {
                mean: 50.0,
                sd: 10.0,
                min: 0.0,
                max: 100.0,
                decimals: 1,
            },
            1 => Encoding::Integer {
                mean: 3.0,
                sd: 2.0,
                min: 0.0,
                max: 12.0,
            },
            2 => Encoding::Binary {
                prevalence: c.rng.gen_range(0.08..0.5),
            },
            3 => Encoding::Ordinal {
                labels: labels(&FREQUENCY[..5]),
                shares: vec![0.3, 0.25, 0.2, 0.15, 0.1],
            },
            _ => Encoding::Categorical {
                labels: labels(&["Option A", "Option B", "Option C"]),
                shares: vec![0.5, 0.3, 0.2],
            },
        };
        let latent = c.filler_latent(None);
        c.synthetic(category, description, encoding, latent);
    }
    c.fields
}

struct Catalogue<'a> {
    fields: Vec<FieldSpec>,
    next_synthetic: u32,
    rng: &'a mut ChaCha8Rng,
}

impl Catalogue<'_> {
    fn missing_rate(&mut self) -> f64 {
        let u: f64 = self.rng.gen();
        if u < 0.6 {
            self.rng.gen_range(0.005..0.08)
        } else if u < 0.9 {
            self.rng.gen_range(0.08..0.45)
        } else if u < 0.97 {
            self.rng.gen_range(0.45..0.85)
        } else {
            self.rng.gen_range(0.91..0.97)
        }
    }

    /// Most filler is null; about one in six leans on age or sex (associated only through
    /// confounding); some share a theme within their category (correlated questionnaire items).
    fn filler_latent(&mut self, theme: Option<usize>) -> Latent {
        let confounded = self.rng.gen_bool(0.16);
        let (age, sex) = if confounded {
            (
                self.rng.gen_range(-0.35..0.35),
                self.rng.gen_range(-0.3..0.3),
            )
        } else {
            (0.0, 0.0)
        };
        let theme = theme.map(|t| (t, self.rng.gen_range(0.2..0.5)));
        Latent::Mix {
            age,
            sex,
            height: 0.0,
            weight: 0.0,
            theme,
        }
    }

    fn push(
        &mut self,
        field_id: u32,
        category: &'static str,
        description: String,
        encoding: Encoding,
        latent: Latent,
    ) -> usize {
        let coded = matches!(
            encoding,
            Encoding::Binary { .. }
                | Encoding::Ordinal { .. }
                | Encoding::Categorical { .. }
                | Encoding::Code { .. }
        );
        let missing = self.missing_rate();
        // Planted exposures stay well measured so that their truth is recoverable.
        let missing = if matches!(latent, Latent::World { .. }) {
            missing.min(0.06)
        } else {
            missing
        };
        let (do_not_know, prefer_not) = if coded {
            (
                self.rng.gen_range(0.0..0.02),
                self.rng.gen_range(0.001..0.01),
            )
        } else if matches!(encoding, Encoding::Integer { .. }) && self.rng.gen_bool(0.5) {
            (
                self.rng.gen_range(0.0..0.015),
                self.rng.gen_range(0.001..0.006),
            )
        } else {
            (0.0, 0.0)
        };
        self.fields.push(FieldSpec {
            field_id,
            description,
            category,
            encoding,
            latent,
            missing,
            do_not_know,
            prefer_not,
            ses: 0.0,
            mediator: 0.0,
        });
        self.fields.len() - 1
    }

    fn synthetic(
        &mut self,
        category: &'static str,
        description: String,
        encoding: Encoding,
        latent: Latent,
    ) -> usize {
        let id = self.next_synthetic;
        self.next_synthetic += 1;
        self.push(id, category, description, encoding, latent)
    }

    /// Adds the named fields of `fields.toml`, in the file's order, which is the order of the
    /// random draws.
    fn named(&mut self) {
        for category in &data().category {
            let category_name = CATEGORIES
                .into_iter()
                .find(|c| *c == category.name)
                .unwrap_or_else(|| panic!("fields.toml: unknown category {:?}", category.name));
            for field in &category.field {
                let latent = match &field.latent {
                    LatentEntry::Null => Latent::null(),
                    LatentEntry::Mix {
                        age,
                        sex,
                        height,
                        weight,
                    } => Latent::conf(*age, *sex, *height, *weight),
                    LatentEntry::World { name, sign } => Latent::World { name, sign: *sign },
                    LatentEntry::Filler { theme } => self.filler_latent(*theme),
                    LatentEntry::NearDuplicate {
                        of,
                        scale,
                        offset,
                        noise,
                    } => Latent::NearDuplicate {
                        of: self
                            .fields
                            .iter()
                            .position(|f| f.field_id == *of)
                            .unwrap_or_else(|| panic!("fields.toml: {of} is not an earlier field")),
                        scale: *scale,
                        offset: *offset,
                        noise: *noise,
                    },
                };
                let description = field.description.clone();
                let encoding = field.encoding.clone();
                let i = match field.id {
                    Some(id) => self.push(id, category_name, description, encoding, latent),
                    None => self.synthetic(category_name, description, encoding, latent),
                };
                if let Some(missing) = field.missing {
                    self.fields[i].missing = missing;
                }
            }
        }
    }
}

/// `fields.toml`, parsed once; world names borrow from it for `'static`.
fn data() -> &'static CatalogueFile {
    static DATA: OnceLock<CatalogueFile> = OnceLock::new();
    DATA.get_or_init(|| {
        toml::from_str(include_str!("fields.toml"))
            .unwrap_or_else(|e| panic!("fields.toml is not a valid catalogue: {e}"))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    category: Vec<CategoryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    name: String,
    field: Vec<FieldEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldEntry {
    /// None for a synthetic field (next id from 900_001).
    id: Option<u32>,
    description: String,
    latent: LatentEntry,
    /// Replaces the drawn missing rate.
    missing: Option<f64>,
    encoding: Encoding,
}

/// A field's latent as `fields.toml` writes it; see the file's header.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum LatentEntry {
    Null,
    Mix {
        #[serde(default)]
        age: f64,
        #[serde(default)]
        sex: f64,
        #[serde(default)]
        height: f64,
        #[serde(default)]
        weight: f64,
    },
    World {
        name: String,
        #[serde(default = "plus_one")]
        sign: f64,
    },
    /// Drawn by `filler_latent` when the field is added.
    Filler {
        theme: Option<usize>,
    },
    /// `of` is the field id of an earlier named field.
    NearDuplicate {
        of: u32,
        scale: f64,
        offset: f64,
        noise: f64,
    },
}

fn plus_one() -> f64 {
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn named_fields_have_unique_ids_and_catalogue_order() {
        let fields = catalogue(0, &mut ChaCha8Rng::seed_from_u64(1));
        let named: usize = data().category.iter().map(|c| c.field.len()).sum();
        assert_eq!(fields.len(), named);
        let mut ids: Vec<u32> = fields.iter().map(|f| f.field_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), fields.len(), "a field id appears twice");
        let order: Vec<&str> = data().category.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(order, CATEGORIES);
    }

    #[test]
    fn a_misspelt_entry_is_refused() {
        let bad = r#"
            [[category]]
            name = "Diet"
            [[category.field]]
            description = "x"
            latent = { kind = "mix", agee = 0.1 }
            encoding = { kind = "binary", prevalence = 0.1 }
        "#;
        assert!(toml::from_str::<CatalogueFile>(bad).is_err());
        let good = bad.replace("agee", "age");
        assert!(toml::from_str::<CatalogueFile>(&good).is_ok());
    }
}
