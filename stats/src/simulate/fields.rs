//! The catalogue of non-imaging fields: what each one is, how it is coded, and how its value
//! arises from the latent world (planted exposure, confounder-driven, or pure noise).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

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

/// How a latent standard-normal value becomes the recorded value.
#[derive(Debug, Clone)]
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
const FOUR_WEEKS: [&str; 4] = [
    "Not at all",
    "Several days",
    "More than half the days",
    "Nearly every day",
];
const SATISFACTION: [&str; 6] = [
    "Extremely happy",
    "Very happy",
    "Moderately happy",
    "Moderately unhappy",
    "Very unhappy",
    "Extremely unhappy",
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

    fn set_missing(&mut self, index: usize, missing: f64) {
        self.fields[index].missing = missing;
    }

    fn named(&mut self) {
        use Encoding::*;
        let cont = |mean: f64, sd: f64, min: f64, max: f64, decimals: i32| Continuous {
            mean,
            sd,
            min,
            max,
            decimals,
        };
        let int = |mean: f64, sd: f64, min: f64, max: f64| Integer { mean, sd, min, max };
        let ord = |l: &[&str], s: &[f64]| Ordinal {
            labels: labels(l),
            shares: s.to_vec(),
        };
        let cat = |l: &[&str], s: &[f64]| Categorical {
            labels: labels(l),
            shares: s.to_vec(),
        };
        let bin = |p: f64| Binary { prevalence: p };
        let world = |name: &'static str| Latent::World { name, sign: 1.0 };

        // --- Primary demographics
        let pd = CATEGORIES[0];
        let i = self.push(
            189,
            pd,
            "Townsend deprivation index at recruitment".into(),
            cont(-1.5, 2.9, -6.5, 11.0, 2),
            world("deprivation"),
        );
        self.set_missing(i, 0.002);
        self.push(
            21000,
            pd,
            "Ethnic background".into(),
            cat(
                &[
                    "White",
                    "Mixed",
                    "Asian or Asian British",
                    "Black or Black British",
                    "Chinese",
                    "Other ethnic group",
                ],
                &[0.94, 0.01, 0.02, 0.015, 0.005, 0.01],
            ),
            Latent::null(),
        );
        self.push(
            738,
            pd,
            "Average total household income before tax".into(),
            ord(
                &[
                    "Less than 18,000",
                    "18,000 to 30,999",
                    "31,000 to 51,999",
                    "52,000 to 100,000",
                    "Greater than 100,000",
                ],
                &[0.18, 0.25, 0.28, 0.22, 0.07],
            ),
            Latent::conf(-0.35, 0.1, 0.0, 0.0),
        );
        self.push(
            709,
            pd,
            "Number in household".into(),
            int(2.3, 1.1, 1.0, 9.0),
            Latent::conf(-0.2, 0.0, 0.0, 0.0),
        );
        self.push(
            680,
            pd,
            "Own or rent accommodation lived in".into(),
            cat(
                &[
                    "Own outright",
                    "Own with mortgage",
                    "Rent from local authority",
                    "Rent from private landlord",
                    "Other",
                ],
                &[0.5, 0.35, 0.05, 0.07, 0.03],
            ),
            Latent::conf(-0.4, 0.0, 0.0, 0.0),
        );
        self.push(
            728,
            pd,
            "Number of vehicles in household".into(),
            ord(
                &["None", "One", "Two", "Three", "Four or more"],
                &[0.08, 0.42, 0.38, 0.09, 0.03],
            ),
            Latent::null(),
        );
        self.push(
            699,
            pd,
            "Length of time at current address".into(),
            int(20.0, 12.0, 0.0, 70.0),
            Latent::conf(0.4, 0.0, 0.0, 0.0),
        );
        self.push(
            670,
            pd,
            "Type of accommodation lived in".into(),
            cat(
                &[
                    "House or bungalow",
                    "Flat, maisonette or apartment",
                    "Mobile or temporary structure",
                    "Sheltered accommodation",
                    "Care home",
                ],
                &[0.88, 0.1, 0.005, 0.01, 0.005],
            ),
            Latent::null(),
        );
        self.push(
            1031,
            pd,
            "Frequency of friend/family visits".into(),
            ord(
                &[
                    "Almost daily",
                    "2-4 times a week",
                    "About once a week",
                    "About once a month",
                    "Once every few months",
                    "Never or almost never",
                ],
                &[0.12, 0.3, 0.3, 0.16, 0.09, 0.03],
            ),
            Latent::null(),
        );
        self.push(
            6160,
            pd,
            "Leisure/social activities".into(),
            cat(
                &[
                    "Sports club or gym",
                    "Pub or social club",
                    "Religious group",
                    "Adult education class",
                    "Other group activity",
                ],
                &[0.35, 0.25, 0.15, 0.1, 0.15],
            ),
            Latent::null(),
        );
        self.push(
            2110,
            pd,
            "Able to confide".into(),
            ord(
                &[
                    "Never or almost never",
                    "Once every few months",
                    "About once a month",
                    "About once a week",
                    "2-4 times a week",
                    "Almost daily",
                ],
                &[0.07, 0.08, 0.1, 0.15, 0.2, 0.4],
            ),
            Latent::null(),
        );
        self.push(
            6141,
            pd,
            "How are people in household related to participant".into(),
            cat(
                &[
                    "Husband, wife or partner",
                    "Son and/or daughter",
                    "Brother and/or sister",
                    "Mother and/or father",
                    "Other related",
                    "Other unrelated",
                ],
                &[0.75, 0.15, 0.02, 0.02, 0.03, 0.03],
            ),
            Latent::null(),
        );

        // --- Early life factors
        let el = CATEGORIES[1];
        let i = self.push(
            20022,
            el,
            "Birth weight (kg)".into(),
            cont(3.3, 0.6, 0.8, 6.0, 2),
            Latent::conf(0.0, 0.2, 0.25, 0.0),
        );
        self.set_missing(i, 0.4);
        self.push(
            1687,
            el,
            "Comparative body size at age 10".into(),
            ord(&["Thinner", "About average", "Plumper"], &[0.33, 0.5, 0.17]),
            Latent::conf(0.0, 0.0, 0.0, 0.3),
        );
        self.push(
            1697,
            el,
            "Comparative height size at age 10".into(),
            ord(&["Shorter", "About average", "Taller"], &[0.2, 0.55, 0.25]),
            Latent::conf(0.0, 0.0, 0.45, 0.0),
        );
        self.push(
            1677,
            el,
            "Breastfed as a baby".into(),
            bin(0.72),
            Latent::null(),
        );
        self.push(
            1787,
            el,
            "Maternal smoking around birth".into(),
            bin(0.27),
            Latent::conf(-0.2, 0.0, 0.0, 0.0),
        );
        self.push(
            1767,
            el,
            "Adopted as a child".into(),
            bin(0.015),
            Latent::null(),
        );
        self.push(
            1777,
            el,
            "Part of a multiple birth".into(),
            bin(0.024),
            Latent::null(),
        );
        self.push(
            1647,
            el,
            "Country of birth (UK/elsewhere)".into(),
            cat(
                &[
                    "England",
                    "Wales",
                    "Scotland",
                    "Northern Ireland",
                    "Republic of Ireland",
                    "Elsewhere",
                ],
                &[0.82, 0.04, 0.07, 0.01, 0.01, 0.05],
            ),
            Latent::null(),
        );
        self.push(
            1717,
            el,
            "Skin colour".into(),
            ord(
                &[
                    "Very fair",
                    "Fair",
                    "Light olive",
                    "Dark olive",
                    "Brown",
                    "Black",
                ],
                &[0.1, 0.65, 0.18, 0.03, 0.02, 0.02],
            ),
            Latent::null(),
        );
        self.push(
            1727,
            el,
            "Ease of skin tanning".into(),
            ord(
                &[
                    "Very tanned",
                    "Moderately tanned",
                    "Mildly or occasionally tanned",
                    "Never tan, only burn",
                ],
                &[0.2, 0.45, 0.25, 0.1],
            ),
            Latent::null(),
        );
        self.push(
            1737,
            el,
            "Childhood sunburn occasions".into(),
            int(1.5, 2.0, 0.0, 30.0),
            Latent::null(),
        );
        self.push(
            1707,
            el,
            "Handedness (chirality/laterality)".into(),
            cat(
                &[
                    "Right-handed",
                    "Left-handed",
                    "Use both right and left hands equally",
                ],
                &[0.89, 0.1, 0.01],
            ),
            Latent::null(),
        );

        // --- Education and employment
        let ee = CATEGORIES[2];
        self.push(
            6138,
            ee,
            "Qualifications".into(),
            cat(
                &[
                    "College or University degree",
                    "A levels/AS levels or equivalent",
                    "O levels/GCSEs or equivalent",
                    "CSEs or equivalent",
                    "NVQ or HND or HNC or equivalent",
                    "Other professional qualifications",
                ],
                &[0.42, 0.12, 0.2, 0.05, 0.07, 0.14],
            ),
            Latent::conf(-0.2, 0.0, 0.0, 0.0),
        );
        let i = self.push(
            845,
            ee,
            "Age completed full time education".into(),
            int(17.0, 2.5, 12.0, 26.0),
            Latent::conf(-0.3, 0.0, 0.0, 0.0),
        );
        self.set_missing(i, 0.35);
        self.push(
            6142,
            ee,
            "Current employment status".into(),
            cat(
                &[
                    "In paid employment or self-employed",
                    "Retired",
                    "Looking after home and/or family",
                    "Unable to work because of sickness or disability",
                    "Unemployed",
                    "Doing unpaid or voluntary work",
                    "Full or part-time student",
                ],
                &[0.5, 0.42, 0.03, 0.02, 0.01, 0.01, 0.01],
            ),
            Latent::conf(0.7, 0.0, 0.0, 0.0),
        );
        for (id, what) in [
            (826, "Job involves shift work"),
            (3426, "Job involves night shift work"),
            (806, "Job involves mainly walking or standing"),
            (816, "Job involves heavy manual or physical work"),
        ] {
            self.push(
                id,
                ee,
                what.into(),
                ord(
                    &["Never/rarely", "Sometimes", "Usually", "Always"],
                    &[0.7, 0.15, 0.08, 0.07],
                ),
                Latent::null(),
            );
        }
        self.push(
            767,
            ee,
            "Length of working week for main job (hours)".into(),
            int(36.0, 11.0, 1.0, 90.0),
            Latent::conf(-0.2, 0.3, 0.0, 0.0),
        );
        self.push(
            777,
            ee,
            "Frequency of travelling from home to job workplace (per week)".into(),
            int(4.5, 1.3, 0.0, 7.0),
            Latent::null(),
        );
        self.push(
            757,
            ee,
            "Time employed in main current job (years)".into(),
            int(12.0, 9.0, 0.0, 50.0),
            Latent::conf(0.3, 0.0, 0.0, 0.0),
        );
        self.push(
            4674,
            ee,
            "Private healthcare".into(),
            ord(
                &[
                    "No, never",
                    "Yes, sometimes",
                    "Yes, most of the time",
                    "Yes, all of the time",
                ],
                &[0.6, 0.25, 0.08, 0.07],
            ),
            Latent::null(),
        );
        self.push(
            6162,
            ee,
            "Types of transport used (excluding work)".into(),
            cat(
                &["Car/motor vehicle", "Walk", "Public transport", "Cycle"],
                &[0.7, 0.15, 0.1, 0.05],
            ),
            Latent::null(),
        );
        self.push(
            6143,
            ee,
            "Transport type for commuting to job workplace".into(),
            cat(
                &["Car/motor vehicle", "Walk", "Public transport", "Cycle"],
                &[0.65, 0.12, 0.15, 0.08],
            ),
            Latent::null(),
        );

        // --- Diet
        let diet = CATEGORIES[3];
        let foods = [
            "Cooked vegetable",
            "Salad / raw vegetable",
            "Fresh fruit",
            "Dried fruit",
            "Oily fish",
            "Non-oily fish",
            "Processed meat",
            "Poultry",
            "Beef",
            "Lamb/mutton",
            "Pork",
            "Cheese",
            "Bread",
            "Breakfast cereal",
            "Tea",
            "Coffee",
            "Water",
            "Low-fat milk",
            "Butter",
            "Eggs",
            "Legumes",
            "Nuts",
            "Chocolate",
            "Crisps",
            "Fried potatoes",
            "Rice",
            "Pasta",
            "Yoghurt",
            "Fruit juice",
            "Fizzy drinks",
        ];
        for (k, food) in foods.iter().enumerate() {
            let theme = Some(k % 3); // three dietary patterns
            let latent = self.filler_latent(theme);
            self.synthetic(
                diet,
                format!("{food} intake"),
                ord(&FREQUENCY, &[0.1, 0.2, 0.2, 0.25, 0.15, 0.1]),
                latent,
            );
            let latent = self.filler_latent(theme);
            self.synthetic(
                diet,
                format!("{food}: portions per day"),
                int(1.5, 1.2, 0.0, 12.0),
                latent,
            );
            let latent = self.filler_latent(theme);
            let i = self.synthetic(
                diet,
                format!("{food}: portions yesterday (24-hour recall)"),
                int(1.2, 1.2, 0.0, 15.0),
                latent,
            );
            self.set_missing(i, 0.75);
        }
        self.push(
            1478,
            diet,
            "Salt added to food".into(),
            ord(
                &["Never/rarely", "Sometimes", "Usually", "Always"],
                &[0.55, 0.28, 0.12, 0.05],
            ),
            world("salt"),
        );
        self.push(
            1548,
            diet,
            "Variation in diet".into(),
            ord(&["Never/rarely", "Sometimes", "Often"], &[0.2, 0.6, 0.2]),
            Latent::null(),
        );
        self.push(
            1538,
            diet,
            "Major dietary changes in the last 5 years".into(),
            cat(
                &[
                    "No",
                    "Yes, because of illness",
                    "Yes, because of other reasons",
                ],
                &[0.7, 0.08, 0.22],
            ),
            Latent::null(),
        );
        self.push(
            6144,
            diet,
            "Never eat eggs, dairy, wheat, sugar".into(),
            cat(
                &[
                    "Eggs or foods containing eggs",
                    "Dairy products",
                    "Wheat products",
                    "Sugar or foods/drinks containing sugar",
                    "I eat all of the above",
                ],
                &[0.03, 0.03, 0.04, 0.1, 0.8],
            ),
            Latent::null(),
        );

        // --- Alcohol
        let alc = CATEGORIES[4];
        self.push(
            1558,
            alc,
            "Alcohol intake frequency".into(),
            ord(
                &[
                    "Daily or almost daily",
                    "Three or four times a week",
                    "Once or twice a week",
                    "One to three times a month",
                    "Special occasions only",
                    "Never",
                ],
                &[0.2, 0.24, 0.26, 0.11, 0.11, 0.08],
            ),
            Latent::World {
                name: "alcohol",
                sign: -1.0,
            },
        );
        for (bev, base) in [
            ("Red wine", 900_100),
            ("White wine and champagne", 900_102),
            ("Beer and cider", 900_104),
            ("Spirits", 900_106),
            ("Fortified wine", 900_108),
            ("Other alcoholic drinks", 900_110),
        ] {
            let _ = base;
            let latent = self.filler_latent(Some(3));
            self.synthetic(
                alc,
                format!("Average weekly {} intake (glasses)", bev.to_lowercase()),
                int(3.0, 3.0, 0.0, 60.0),
                latent,
            );
            let latent = self.filler_latent(Some(3));
            let i = self.synthetic(
                alc,
                format!("Average monthly {} intake (glasses)", bev.to_lowercase()),
                int(2.0, 2.5, 0.0, 60.0),
                latent,
            );
            self.set_missing(i, 0.7);
        }
        self.push(
            1618,
            alc,
            "Alcohol usually taken with meals".into(),
            cat(&["Yes", "No", "It varies"], &[0.3, 0.25, 0.45]),
            Latent::null(),
        );
        self.push(
            3731,
            alc,
            "Former alcohol drinker".into(),
            bin(0.06),
            Latent::null(),
        );
        self.push(
            1628,
            alc,
            "Alcohol intake versus 10 years previously".into(),
            cat(
                &["More nowadays", "About the same", "Less nowadays"],
                &[0.1, 0.5, 0.4],
            ),
            Latent::conf(0.2, 0.0, 0.0, 0.0),
        );
        self.push(
            20117,
            alc,
            "Alcohol drinker status".into(),
            Code {
                labels: vec![
                    (0, "Never".into()),
                    (1, "Previous".into()),
                    (2, "Current".into()),
                ],
            },
            Latent::null(),
        );

        // --- Smoking
        let smk = CATEGORIES[5];
        self.push(
            20116,
            smk,
            "Smoking status".into(),
            Code {
                labels: vec![
                    (0, "Never".into()),
                    (1, "Previous".into()),
                    (2, "Current".into()),
                ],
            },
            world("smoking"),
        );
        self.push(
            1239,
            smk,
            "Current tobacco smoking".into(),
            cat(
                &["No", "Yes, on most or all days", "Only occasionally"],
                &[0.92, 0.05, 0.03],
            ),
            Latent::null(),
        );
        self.push(
            1249,
            smk,
            "Past tobacco smoking".into(),
            ord(
                &[
                    "Smoked on most or all days",
                    "Smoked occasionally",
                    "Just tried once or twice",
                    "I have never smoked",
                ],
                &[0.3, 0.1, 0.15, 0.45],
            ),
            Latent::null(),
        );
        self.push(
            1269,
            smk,
            "Exposure to tobacco smoke at home (hours per week)".into(),
            int(0.5, 1.5, 0.0, 40.0),
            Latent::null(),
        );
        self.push(
            1279,
            smk,
            "Exposure to tobacco smoke outside home (hours per week)".into(),
            int(0.8, 2.0, 0.0, 40.0),
            Latent::conf(-0.2, 0.1, 0.0, 0.0),
        );
        let i = self.push(
            2867,
            smk,
            "Age started smoking in former smokers".into(),
            int(17.0, 3.5, 8.0, 60.0),
            Latent::null(),
        );
        self.set_missing(i, 0.65);
        let i = self.push(
            2887,
            smk,
            "Number of cigarettes previously smoked daily".into(),
            int(15.0, 9.0, 1.0, 80.0),
            Latent::null(),
        );
        self.set_missing(i, 0.7);
        self.push(
            2644,
            smk,
            "Light smokers, at least 100 smokes in lifetime".into(),
            bin(0.3),
            Latent::null(),
        );
        self.push(
            1259,
            smk,
            "Smoking/smokers in household".into(),
            cat(
                &[
                    "No",
                    "Yes, one household member smokes",
                    "Yes, more than one household member smokes",
                ],
                &[0.9, 0.08, 0.02],
            ),
            Latent::null(),
        );
        self.push(
            2907,
            smk,
            "Ever stopped smoking for 6+ months".into(),
            bin(0.5),
            Latent::null(),
        );
        let i = self.push(
            2897,
            smk,
            "Age stopped smoking".into(),
            int(40.0, 11.0, 12.0, 80.0),
            Latent::conf(0.5, 0.0, 0.0, 0.0),
        );
        self.set_missing(i, 0.65);
        let i = self.push(
            20161,
            smk,
            "Pack years of smoking".into(),
            cont(20.0, 14.0, 0.1, 150.0, 1),
            Latent::null(),
        );
        self.set_missing(i, 0.6);

        // --- Physical activity
        let pa = CATEGORIES[6];
        let i = self.push(
            22040,
            pa,
            "Summed MET minutes per week for all activity".into(),
            LogNormal {
                log_mean: 7.3,
                log_sd: 0.9,
                max: 20_000.0,
                decimals: 0,
            },
            world("activity"),
        );
        self.set_missing(i, 0.12);
        for (id, what) in [
            (864, "walked"),
            (884, "moderate physical activity"),
            (904, "vigorous physical activity"),
        ] {
            let latent = self.filler_latent(Some(4));
            self.push(
                id,
                pa,
                format!("Number of days/week {what} 10+ minutes"),
                int(3.5, 2.2, 0.0, 7.0),
                latent,
            );
            let latent = self.filler_latent(Some(4));
            self.push(
                id + 10,
                pa,
                format!(
                    "Duration of {} (minutes per day)",
                    if what == "walked" { "walks" } else { what }
                ),
                int(45.0, 35.0, 0.0, 600.0),
                latent,
            );
        }
        self.push(
            924,
            pa,
            "Usual walking pace".into(),
            ord(
                &["Slow pace", "Steady average pace", "Brisk pace"],
                &[0.1, 0.5, 0.4],
            ),
            Latent::conf(-0.3, 0.0, 0.0, -0.25),
        );
        for (id, what) in [
            (943, "Frequency of stair climbing in last 4 weeks"),
            (971, "Frequency of walking for pleasure in last 4 weeks"),
            (991, "Frequency of strenuous sports in last 4 weeks"),
            (3637, "Frequency of other exercises in last 4 weeks"),
            (1011, "Frequency of light DIY in last 4 weeks"),
            (2624, "Frequency of heavy DIY in last 4 weeks"),
        ] {
            let latent = self.filler_latent(Some(4));
            self.push(
                id,
                pa,
                what.into(),
                ord(
                    &[
                        "None",
                        "1-5 times",
                        "6-10 times",
                        "11-15 times",
                        "16-20 times",
                        "More than 20 times",
                    ],
                    &[0.15, 0.3, 0.2, 0.15, 0.1, 0.1],
                ),
                latent,
            );
        }
        self.push(
            1070,
            pa,
            "Time spent watching television (hours per day)".into(),
            int(2.8, 1.6, 0.0, 20.0),
            Latent::conf(0.25, 0.0, 0.0, 0.0),
        );
        self.push(
            1080,
            pa,
            "Time spent using computer (hours per day)".into(),
            int(1.2, 1.3, 0.0, 20.0),
            Latent::conf(-0.2, 0.1, 0.0, 0.0),
        );
        self.push(
            1090,
            pa,
            "Time spent driving (hours per day)".into(),
            int(1.0, 1.0, 0.0, 20.0),
            Latent::conf(0.0, 0.25, 0.0, 0.0),
        );
        self.push(
            1050,
            pa,
            "Time spent outdoors in summer (hours per day)".into(),
            int(3.5, 2.2, 0.0, 20.0),
            Latent::conf(0.0, 0.2, 0.0, 0.0),
        );
        let i = self.push(
            90012,
            pa,
            "Overall acceleration average (wrist accelerometer, milli-g)".into(),
            cont(28.0, 8.0, 5.0, 120.0, 2),
            Latent::conf(-0.2, 0.0, 0.0, 0.0),
        );
        self.set_missing(i, 0.8);
        let i = self.push(
            90051,
            pa,
            "Fraction of the day spent sedentary (accelerometer)".into(),
            cont(0.55, 0.1, 0.1, 0.95, 3),
            Latent::null(),
        );
        self.set_missing(i, 0.8);
        self.push(
            22032,
            pa,
            "IPAQ activity group".into(),
            ord(&["Low", "Moderate", "High"], &[0.18, 0.4, 0.42]),
            Latent::null(),
        );
        self.push(
            22035,
            pa,
            "Above moderate/vigorous recommendation".into(),
            bin(0.7),
            Latent::null(),
        );

        // --- Physical measures
        let pm = CATEGORIES[7];
        let i = self.push(
            30750,
            pm,
            "Glycated haemoglobin (HbA1c), mmol/mol".into(),
            cont(36.0, 6.0, 15.0, 130.0, 1),
            world("hba1c"),
        );
        self.set_missing(i, 0.08);
        let i = self.push(
            30780,
            pm,
            "LDL direct (cholesterol), mmol/L".into(),
            cont(3.5, 0.85, 0.3, 9.0, 3),
            world("ldl"),
        );
        self.set_missing(i, 0.07);
        self.push(
            46,
            pm,
            "Hand grip strength (left), kg".into(),
            cont(30.0, 11.0, 0.0, 90.0, 0),
            Latent::conf(-0.3, 0.75, 0.3, 0.1),
        );
        self.push(
            47,
            pm,
            "Hand grip strength (right), kg".into(),
            cont(32.0, 11.0, 0.0, 90.0, 0),
            Latent::conf(-0.3, 0.75, 0.3, 0.1),
        );
        self.push(
            48,
            pm,
            "Waist circumference, cm".into(),
            cont(90.0, 13.0, 50.0, 160.0, 0),
            Latent::conf(0.1, 0.3, 0.0, 0.8),
        );
        self.push(
            49,
            pm,
            "Hip circumference, cm".into(),
            cont(102.0, 9.0, 70.0, 170.0, 0),
            Latent::conf(0.0, -0.1, 0.0, 0.85),
        );
        self.push(
            23099,
            pm,
            "Body fat percentage".into(),
            cont(31.0, 8.0, 5.0, 60.0, 1),
            Latent::conf(0.0, -0.7, -0.2, 0.6),
        );
        let ffm = self.push(
            23101,
            pm,
            "Whole body fat-free mass, kg".into(),
            cont(53.0, 11.0, 25.0, 110.0, 1),
            Latent::conf(0.0, 0.6, 0.3, 0.55),
        );
        self.push(
            23102,
            pm,
            "Whole body water mass, kg".into(),
            cont(0.0, 1.0, 0.0, 1000.0, 2),
            Latent::NearDuplicate {
                of: ffm,
                scale: 0.733,
                offset: 0.0,
                noise: 0.004,
            },
        );
        self.push(
            23105,
            pm,
            "Basal metabolic rate, kJ".into(),
            cont(0.0, 1.0, 0.0, 100000.0, 1),
            Latent::NearDuplicate {
                of: ffm,
                scale: 90.4,
                offset: 1548.0,
                noise: 0.45,
            },
        );
        let imp = self.push(
            23106,
            pm,
            "Impedance of whole body, ohm".into(),
            cont(560.0, 75.0, 300.0, 1000.0, 1),
            Latent::conf(0.0, -0.5, 0.3, -0.4),
        );
        self.push(
            23107,
            pm,
            "Impedance of whole body (repeat reading), ohm".into(),
            cont(0.0, 1.0, 0.0, 2000.0, 1),
            Latent::NearDuplicate {
                of: imp,
                scale: 1.0,
                offset: 0.0,
                noise: 0.05,
            },
        );
        self.push(
            20015,
            pm,
            "Sitting height, cm".into(),
            cont(91.0, 5.0, 65.0, 115.0, 0),
            Latent::conf(0.0, 0.1, 0.85, 0.0),
        );
        self.push(
            3062,
            pm,
            "Forced vital capacity (FVC), L".into(),
            cont(3.8, 1.0, 0.5, 8.0, 2),
            Latent::conf(-0.3, 0.4, 0.5, 0.0),
        );
        self.push(
            3063,
            pm,
            "Forced expiratory volume in 1-second (FEV1), L".into(),
            cont(2.9, 0.8, 0.3, 6.5, 2),
            Latent::conf(-0.35, 0.4, 0.45, 0.0),
        );
        self.push(
            3064,
            pm,
            "Peak expiratory flow (PEF), L/min".into(),
            cont(420.0, 120.0, 50.0, 900.0, 0),
            Latent::conf(-0.2, 0.5, 0.3, 0.0),
        );
        for (what, mean, sd) in [
            ("Heel bone mineral density (BMD), g/cm2", 0.55, 0.13),
            ("Heel broadband ultrasound attenuation, dB/MHz", 80.0, 18.0),
            ("Speed of sound through heel, m/s", 1550.0, 35.0),
            (
                "Intra-ocular pressure, corneal-compensated (left), mmHg",
                15.9,
                3.4,
            ),
            (
                "Intra-ocular pressure, corneal-compensated (right), mmHg",
                16.0,
                3.4,
            ),
            ("Corneal hysteresis (left), mmHg", 10.5, 1.7),
            ("Corneal hysteresis (right), mmHg", 10.6, 1.7),
            ("logMAR visual acuity (left)", 0.05, 0.2),
            ("logMAR visual acuity (right)", 0.05, 0.2),
            ("Spherical power (left), dioptres", 0.0, 2.5),
            ("Spherical power (right), dioptres", 0.0, 2.5),
            ("Trunk fat percentage", 30.0, 8.0),
            ("Leg fat percentage (right)", 31.0, 9.0),
        ] {
            let latent = self.filler_latent(None);
            self.synthetic(
                pm,
                what.into(),
                cont(mean, sd, mean - 6.0 * sd, mean + 6.0 * sd, 3),
                latent,
            );
        }

        // --- Self-reported medical conditions
        let med = CATEGORIES[8];
        let i = self.synthetic(
            med,
            "Atrial fibrillation (self-reported, doctor diagnosed)".into(),
            Code {
                labels: vec![(0, "No".into()), (1, "Yes".into())],
            },
            world("afib"),
        );
        self.set_missing(i, 0.01);
        for (what, prevalence, age) in [
            ("Hay fever, allergic rhinitis", 0.2, -0.1),
            ("Migraine", 0.1, -0.1),
            ("Osteoarthritis", 0.14, 0.3),
            ("Gout", 0.03, 0.1),
            ("Hypothyroidism", 0.06, 0.0),
            ("Hyperthyroidism", 0.015, 0.0),
            ("Glaucoma", 0.025, 0.3),
            ("Cataract", 0.07, 0.5),
            ("Psoriasis", 0.03, 0.0),
            ("Eczema/dermatitis", 0.06, 0.0),
            ("Irritable bowel syndrome", 0.06, 0.0),
            ("Gastro-oesophageal reflux", 0.08, 0.1),
            ("Kidney stones", 0.025, 0.0),
            ("Gallstones", 0.03, 0.1),
            ("Sleep apnoea", 0.015, 0.0),
            ("Osteoporosis", 0.04, 0.35),
            ("Back pain", 0.12, 0.0),
            ("Sciatica", 0.04, 0.0),
            ("Carpal tunnel syndrome", 0.03, 0.0),
            ("Anaemia", 0.02, 0.0),
            ("Varicose veins", 0.05, 0.1),
            ("Haemorrhoids", 0.03, 0.0),
            ("Tinnitus", 0.1, 0.2),
            ("Macular degeneration", 0.01, 0.4),
            ("Diverticular disease", 0.04, 0.3),
            ("Hernia", 0.06, 0.1),
            ("Rheumatoid arthritis", 0.015, 0.1),
            ("Chronic sinusitis", 0.02, 0.0),
            ("Fracture in last 5 years", 0.08, 0.1),
            ("Cancer diagnosed by doctor", 0.08, 0.25),
            ("Long-standing illness, disability or infirmity", 0.28, 0.2),
            ("Chest pain or discomfort", 0.15, 0.0),
            ("Wheeze or whistling in the chest in last year", 0.12, 0.0),
            ("Hearing difficulty/problems", 0.25, 0.4),
            ("Wears glasses or contact lenses", 0.96, 0.3),
        ] {
            let latent = if age == 0.0 {
                Latent::null()
            } else {
                Latent::conf(age, 0.0, 0.0, 0.0)
            };
            self.synthetic(med, what.into(), bin(prevalence), latent);
        }
        self.push(
            135,
            med,
            "Number of self-reported non-cancer illnesses".into(),
            int(1.5, 1.5, 0.0, 20.0),
            Latent::conf(0.3, 0.0, 0.0, 0.0),
        );
        self.push(
            136,
            med,
            "Number of operations, self-reported".into(),
            int(1.2, 1.3, 0.0, 20.0),
            Latent::conf(0.3, -0.1, 0.0, 0.0),
        );
        self.push(
            137,
            med,
            "Number of treatments/medications taken".into(),
            int(2.0, 2.2, 0.0, 30.0),
            Latent::conf(0.35, 0.0, 0.0, 0.0),
        );
        self.push(
            2178,
            med,
            "Overall health rating".into(),
            ord(
                &["Excellent", "Good", "Fair", "Poor"],
                &[0.2, 0.6, 0.17, 0.03],
            ),
            Latent::null(),
        );
        self.push(
            2296,
            med,
            "Falls in the last year".into(),
            cat(
                &["No falls", "Only one fall", "More than one fall"],
                &[0.82, 0.12, 0.06],
            ),
            Latent::conf(0.2, 0.0, 0.0, 0.0),
        );

        // --- Mental health
        let mh = CATEGORIES[9];
        for (k, what) in [
            "Mood swings",
            "Miserableness",
            "Irritability",
            "Sensitivity / hurt feelings",
            "Fed-up feelings",
            "Nervous feelings",
            "Worrier / anxious feelings",
            "Tense / 'highly strung'",
            "Worry too long after embarrassment",
            "Suffer from 'nerves'",
            "Loneliness, isolation",
            "Guilty feelings",
            "Risk taking",
        ]
        .iter()
        .enumerate()
        {
            let latent = self.filler_latent(Some(5 + k % 2));
            self.synthetic(
                mh,
                (*what).into(),
                bin(0.15 + 0.03 * (k % 8) as f64),
                latent,
            );
        }
        for what in [
            "Frequency of depressed mood in last 2 weeks",
            "Frequency of unenthusiasm / disinterest in last 2 weeks",
            "Frequency of tenseness / restlessness in last 2 weeks",
            "Frequency of tiredness / lethargy in last 2 weeks",
        ] {
            let latent = self.filler_latent(Some(5));
            self.synthetic(
                mh,
                what.into(),
                ord(&FOUR_WEEKS, &[0.7, 0.2, 0.06, 0.04]),
                latent,
            );
        }
        for what in [
            "Seen doctor (GP) for nerves, anxiety, tension or depression",
            "Seen a psychiatrist for nerves, anxiety, tension or depression",
        ] {
            let latent = self.filler_latent(Some(5));
            self.synthetic(
                mh,
                what.into(),
                bin(if what.contains("GP") { 0.33 } else { 0.11 }),
                latent,
            );
        }
        for what in [
            "Happiness",
            "Work/job satisfaction",
            "Health satisfaction",
            "Family relationship satisfaction",
            "Friendships satisfaction",
            "Financial situation satisfaction",
        ] {
            let latent = self.filler_latent(Some(6));
            self.synthetic(
                mh,
                what.into(),
                ord(&SATISFACTION, &[0.1, 0.45, 0.35, 0.06, 0.03, 0.01]),
                latent,
            );
        }
        self.push(
            20127,
            mh,
            "Neuroticism score".into(),
            int(4.0, 3.2, 0.0, 12.0),
            Latent::conf(-0.15, -0.25, 0.0, 0.0),
        );
        self.push(
            1160,
            mh,
            "Sleep duration (hours per day)".into(),
            int(7.1, 1.0, 1.0, 16.0),
            Latent::null(),
        );
        self.push(
            1170,
            mh,
            "Getting up in morning".into(),
            ord(
                &[
                    "Not at all easy",
                    "Not very easy",
                    "Fairly easy",
                    "Very easy",
                ],
                &[0.05, 0.15, 0.45, 0.35],
            ),
            Latent::null(),
        );
        self.push(
            1180,
            mh,
            "Morning/evening person (chronotype)".into(),
            ord(
                &[
                    "Definitely a 'morning' person",
                    "More a 'morning' than 'evening' person",
                    "More an 'evening' than a 'morning' person",
                    "Definitely an 'evening' person",
                ],
                &[0.25, 0.35, 0.28, 0.12],
            ),
            Latent::conf(-0.15, 0.0, 0.0, 0.0),
        );
        self.push(
            1190,
            mh,
            "Nap during day".into(),
            ord(
                &["Never/rarely", "Sometimes", "Usually"],
                &[0.6, 0.33, 0.07],
            ),
            Latent::conf(0.25, 0.2, 0.0, 0.0),
        );
        self.push(
            1200,
            mh,
            "Sleeplessness / insomnia".into(),
            ord(
                &["Never/rarely", "Sometimes", "Usually"],
                &[0.25, 0.48, 0.27],
            ),
            Latent::null(),
        );
        self.push(
            1220,
            mh,
            "Daytime dozing / sleeping".into(),
            ord(
                &["Never/rarely", "Sometimes", "Often", "All of the time"],
                &[0.75, 0.22, 0.025, 0.005],
            ),
            Latent::null(),
        );

        // --- Cognitive function
        let cog = CATEGORIES[10];
        self.push(
            20023,
            cog,
            "Mean time to correctly identify matches (ms)".into(),
            cont(560.0, 110.0, 200.0, 1500.0, 0),
            world("reaction"),
        );
        let i = self.push(
            20016,
            cog,
            "Fluid intelligence score".into(),
            int(6.5, 2.1, 0.0, 13.0),
            Latent::conf(-0.2, 0.0, 0.0, 0.0),
        );
        self.set_missing(i, 0.55);
        self.push(
            4282,
            cog,
            "Maximum digits remembered correctly".into(),
            int(6.7, 1.3, 2.0, 12.0),
            Latent::conf(-0.15, 0.0, 0.0, 0.0),
        );
        for round in 1..=3 {
            let latent = self.filler_latent(Some(7));
            self.synthetic(
                cog,
                format!("Number of incorrect matches in round {round}"),
                int(0.5 * round as f64, 0.9, 0.0, 12.0),
                latent,
            );
            let latent = self.filler_latent(Some(7));
            self.synthetic(
                cog,
                format!("Time to complete round {round} (seconds)"),
                cont(20.0 + 15.0 * round as f64, 8.0, 3.0, 200.0, 1),
                latent,
            );
        }
        self.push(
            20018,
            cog,
            "Prospective memory result".into(),
            cat(
                &[
                    "Correct recall on first attempt",
                    "Correct recall on second attempt",
                    "Instruction not recalled",
                ],
                &[0.78, 0.1, 0.12],
            ),
            Latent::conf(0.2, 0.0, 0.0, 0.0),
        );
        for (what, mean, sd, missing) in [
            (
                "Duration to complete numeric path (trail #1), deciseconds",
                250.0,
                80.0,
                0.7,
            ),
            (
                "Duration to complete alphanumeric path (trail #2), deciseconds",
                600.0,
                200.0,
                0.7,
            ),
            (
                "Picture vocabulary: specific cognitive ability",
                0.0,
                1.0,
                0.75,
            ),
        ] {
            let latent = self.filler_latent(Some(7));
            let i = self.synthetic(
                cog,
                what.into(),
                cont(mean, sd, mean - 5.0 * sd, mean + 6.0 * sd, 2),
                latent,
            );
            self.set_missing(i, missing);
        }
        for (what, mean, sd, missing) in [
            (
                "Total errors traced in alphanumeric path (trail #2)",
                1.5,
                1.8,
                0.7,
            ),
            (
                "Number of symbol digit matches made correctly",
                18.0,
                5.0,
                0.7,
            ),
            (
                "Number of puzzles correctly solved (matrix pattern)",
                8.0,
                2.0,
                0.72,
            ),
            (
                "Number of words beginning with S (verbal fluency)",
                20.0,
                6.0,
                0.94,
            ),
            (
                "Tower rearranging: number of puzzles correct",
                10.0,
                3.0,
                0.72,
            ),
            ("Pairs matching: number of correct pairs", 5.0, 1.5, 0.1),
        ] {
            let latent = self.filler_latent(Some(7));
            let i = self.synthetic(
                cog,
                what.into(),
                int(mean, sd, 0.0, mean + 6.0 * sd),
                latent,
            );
            self.set_missing(i, missing);
        }
    }
}
