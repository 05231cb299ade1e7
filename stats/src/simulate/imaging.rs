//! The 82 imaging phenotypes of Bai et al. 2020, generated from the latent world with the
//! physical identities a real image-analysis pipeline produces.

use rand_chacha::ChaCha8Rng;

use super::world::{normal, World};

/// Which latent exposure planted a direct effect on which primary phenotype. Phenotypes
/// derived from a primary one (stroke volume from end-diastolic volume, segments from the
/// global wall thickness, ...) inherit the effect; `derived_from` below lists those links.
pub const PLANTED_EFFECTS: &[(&str, &str)] = &[
    ("activity", "LVEDV"),
    ("activity", "LVM"),
    ("activity", "Ecc_Global"),
    ("hba1c", "LVEDV"),
    ("hba1c", "LVM"),
    ("hba1c", "WT_Global"),
    ("smoking", "LVEF"),
    ("smoking", "AAo distensibility"),
    ("alcohol", "LVM"),
    ("alcohol", "LAV max"),
    ("afib", "LAV max"),
    ("afib", "LAEF"),
    ("afib", "RAV max"),
    ("afib", "RAEF"),
    ("reaction", "AAo distensibility"),
    ("ldl", "AAo distensibility"),
    ("ldl", "DAo distensibility"),
];

/// Phenotypes whose values are computed from a primary phenotype and so inherit its effects.
pub fn derived_from(primary: &str) -> Vec<String> {
    let mut out: Vec<String> = match primary {
        "LVEDV" => vec!["LVESV", "LVSV", "LVCO", "RVEDV", "RVESV", "RVSV"],
        "LVEF" => vec![
            "LVESV",
            "LVSV",
            "LVCO",
            "RVEF",
            "RVESV",
            "RVSV",
            "Ecc_Global",
            "Err_Global",
        ],
        "LAV max" => vec!["LAV min", "LASV"],
        "LAEF" => vec!["LAV min", "LASV"],
        "RAV max" => vec!["RAV min", "RASV"],
        "RAEF" => vec!["RAV min", "RASV"],
        "AAo distensibility" => vec!["AAo min area"],
        "DAo distensibility" => vec!["DAo min area"],
        _ => vec![],
    }
    .into_iter()
    .map(String::from)
    .collect();
    fn segments(prefix: &str, k: usize) -> Vec<String> {
        (1..=k).map(|s| format!("{prefix}{s}")).collect()
    }
    match primary {
        "WT_Global" => out.extend(segments("WT_AHA_", 16)),
        "Ecc_Global" => out.extend(segments("Ecc_AHA_", 16)),
        "Err_Global" => out.extend(segments("Err_AHA_", 16)),
        "Ell_Global" => out.extend(segments("Ell_", 6)),
        _ => {}
    }
    out
}

/// Primary phenotypes whose standardised linear predictor a causal scenario can shift
/// ([`Shifts`]); everything derived from them inherits the shift through the identities.
pub const SHIFTABLE: &[&str] = &[
    "LVEDV",
    "LVEF",
    "LVM",
    "LAV max",
    "LAEF",
    "RAV max",
    "RAEF",
    "AAo max area",
    "AAo distensibility",
    "DAo max area",
    "DAo distensibility",
    "WT_Global",
];

/// Additive terms on the standardised linear predictor of named primary phenotypes: the
/// direct effects of a scenario's variables (one vector of length n per term). Empty in the
/// baseline, where the predictors are then computed exactly as before scenarios existed.
#[derive(Default)]
pub struct Shifts(pub Vec<(&'static str, Vec<f64>)>);

impl Shifts {
    /// `z` plus every term aimed at `phenotype` for participant `i`; `z` itself, bit for bit,
    /// when there is none.
    fn apply(&self, phenotype: &str, i: usize, z: f64) -> f64 {
        debug_assert!(SHIFTABLE.contains(&phenotype));
        self.0
            .iter()
            .filter(|(p, _)| *p == phenotype)
            .fold(z, |z, (_, v)| z + v[i])
    }
}

pub struct Phenotype {
    pub name: String,
    pub category: &'static str,
    pub description: String,
    pub values: Vec<f64>,
}

struct Builder {
    out: Vec<Phenotype>,
}

impl Builder {
    fn push(
        &mut self,
        name: &str,
        category: &'static str,
        unit: &'static str,
        what: &str,
        values: Vec<f64>,
    ) {
        self.out.push(Phenotype {
            name: name.to_string(),
            category,
            description: if unit.is_empty() {
                what.to_string()
            } else {
                format!("{what} ({unit})")
            },
            values,
        });
    }
}

/// A structure's phenotypes, as (name suffix, unit, measure, values).
type Measures = Vec<(&'static str, &'static str, &'static str, Vec<f64>)>;

/// A chamber's phenotypes from [volume, volume, stroke volume, ejection fraction], the two
/// volumes named by (suffix, measure): end-diastolic and end-systolic for a ventricle, maximum
/// and minimum for an atrium.
fn chamber(
    [(suffix_a, measure_a), (suffix_b, measure_b)]: [(&'static str, &'static str); 2],
    [a, b, sv, ef]: [Vec<f64>; 4],
) -> Measures {
    vec![
        (suffix_a, "mL", measure_a, a),
        (suffix_b, "mL", measure_b, b),
        ("SV", "mL", "stroke volume", sv),
        ("EF", "%", "ejection fraction", ef),
    ]
}

const VENTRICLE: [(&str, &str); 2] = [
    ("EDV", "end-diastolic volume"),
    ("ESV", "end-systolic volume"),
];
const ATRIUM: [(&str, &str); 2] = [("V max", "maximum volume"), ("V min", "minimum volume")];

/// An aortic segment's phenotypes from [max area, min area, distensibility].
fn aortic_segment([max_area, min_area, dist]: [Vec<f64>; 3]) -> Measures {
    vec![
        (" max area", "mm^2", "maximum area", max_area),
        (" min area", "mm^2", "minimum area", min_area),
        (" distensibility", "10^-3 mmHg^-1", "distensibility", dist),
    ]
}

/// A chamber's [largest volume, smallest volume, stroke volume, ejection fraction] on one row,
/// from its largest volume and the ejection fraction it was drawn with: the smallest volume
/// follows, and the stroke volume and ejection fraction are computed back from the two
/// volumes, so the identities between them hold as in a measurement.
fn volumes(largest: f64, ef: f64) -> [f64; 4] {
    let smallest = largest * (1.0 - ef / 100.0);
    [
        largest,
        smallest,
        largest - smallest,
        100.0 * (largest - smallest) / largest,
    ]
}

fn by_sex(male: f64, men: f64, women: f64) -> f64 {
    if male > 0.5 {
        men
    } else {
        women
    }
}

/// Fixed per-segment multipliers (septal segments thicker, apical thinner, ...).
fn segment_multiplier(segment: usize, spread: f64) -> f64 {
    let pattern = [
        1.04, 1.10, 1.08, 0.98, 0.92, 0.94, 1.02, 1.07, 1.05, 0.97, 0.91, 0.93, 0.99, 1.03, 0.95,
        0.92,
    ];
    1.0 + (pattern[(segment - 1) % pattern.len()] - 1.0) * spread
}

pub fn generate(world: &World, shifts: &Shifts, rng: &mut ChaCha8Rng) -> Vec<Phenotype> {
    debug_assert!(shifts.0.iter().all(|(p, _)| SHIFTABLE.contains(p)));
    let n = world.n;
    let mut lvco = vec![0.0; n];
    let mut lvm = vec![0.0; n];
    // [largest volume, smallest volume, stroke volume, ejection fraction] of each chamber:
    // the left and right ventricle, the left and right atrium.
    let mut ventricles: [[Vec<f64>; 4]; 2] = Default::default();
    let mut atria: [[Vec<f64>; 4]; 2] = Default::default();
    let mut aorta: [[Vec<f64>; 3]; 2] = Default::default();
    for side in ventricles.iter_mut().chain(atria.iter_mut()) {
        for v in side.iter_mut() {
            *v = vec![0.0; n];
        }
    }
    for vessel in aorta.iter_mut() {
        for v in vessel.iter_mut() {
            *v = vec![0.0; n];
        }
    }
    let mut wt = vec![vec![0.0; n]; 17];
    let mut ecc = vec![vec![0.0; n]; 17];
    let mut err = vec![vec![0.0; n]; 17];
    let mut ell = vec![vec![0.0; n]; 7];

    for i in 0..n {
        let m = world.male[i];
        let age = world.age_z(i);
        let size = world.size_z(i);
        let sbp = world.sbp_z(i);
        let act = world.activity[i];
        let hba = world.hba1c[i];
        let alc = world.alcohol[i];
        let smk = world.smoking_load(i);
        let af = world.afib[i];

        // Left ventricle.
        let edv_z = shifts.apply(
            "LVEDV",
            i,
            0.45 * size - 0.22 * age + 0.25 * act - 0.15 * hba + 0.80 * normal(rng),
        );
        let edv = (by_sex(m, 166.0, 124.0) + by_sex(m, 32.0, 21.0) * edv_z).max(50.0);
        let ef_z = shifts.apply("LVEF", i, -0.08 * age - 0.30 * smk + 0.95 * normal(rng));
        let ef = (by_sex(m, 58.0, 61.0) + 5.0 * ef_z).clamp(25.0, 80.0);
        let lv = volumes(edv, ef);
        for (series, value) in ventricles[0].iter_mut().zip(lv) {
            series[i] = value;
        }
        lvco[i] = lv[2] * world.heart_rate[i] / 1000.0;
        let mass_z = shifts.apply(
            "LVM",
            i,
            0.45 * size
                + 0.30 * sbp
                + 0.22 * act
                + 0.18 * hba
                + 0.15 * alc
                + 0.05 * age
                + 0.75 * normal(rng),
        );
        lvm[i] = (by_sex(m, 100.0, 72.0) + by_sex(m, 20.0, 13.0) * mass_z).max(30.0);

        // Right ventricle follows the left.
        let rv_edv_z = 0.85 * edv_z + 0.50 * normal(rng);
        let rv_edv = (by_sex(m, 182.0, 130.0) + by_sex(m, 36.0, 24.0) * rv_edv_z).max(55.0);
        let rv_ef_z = 0.5 * ef_z + 0.85 * normal(rng);
        let rv_ef = (by_sex(m, 56.0, 60.0) + 6.0 * rv_ef_z).clamp(25.0, 80.0);
        for (series, value) in ventricles[1].iter_mut().zip(volumes(rv_edv, rv_ef)) {
            series[i] = value;
        }

        // Atria: volumes rise with age, blood pressure and atrial fibrillation.
        let la_max_z = shifts.apply(
            "LAV max",
            i,
            0.30 * size + 0.20 * age + 0.20 * sbp + 0.12 * alc + 0.70 * af + 0.80 * normal(rng),
        );
        let la_ef_z = shifts.apply("LAEF", i, -0.15 * age - 0.90 * af + 0.90 * normal(rng));
        let ra_max_z = shifts.apply(
            "RAV max",
            i,
            0.35 * size + 0.10 * age + 0.45 * af + 0.85 * normal(rng),
        );
        let ra_ef_z = shifts.apply("RAEF", i, -0.60 * af + 0.95 * normal(rng));
        let chambers = [
            (
                by_sex(m, 73.0, 67.0) + by_sex(m, 20.0, 17.0) * la_max_z,
                60.0 + 8.0 * la_ef_z,
            ),
            (
                by_sex(m, 100.0, 76.0) + by_sex(m, 27.0, 19.0) * ra_max_z,
                45.0 + 8.0 * ra_ef_z,
            ),
        ];
        for (side, (vmax, ef)) in chambers.into_iter().enumerate() {
            let vmax = vmax.max(15.0);
            let ef = ef.clamp(10.0, 85.0);
            for (series, value) in atria[side].iter_mut().zip(volumes(vmax, ef)) {
                series[i] = value;
            }
        }

        // Aorta: distensibility falls steeply with age and with stiffening exposures; the
        // minimum area is derived from it so that the published identity holds exactly.
        let pulse_pressure = (world.sbp[i] - world.dbp[i]).max(20.0);
        let ldl = world.ldl[i];
        let rt = world.reaction[i];
        let years = world.age[i] - 45.0;
        // The draws happen in the order written (max area, then distensibility, per vessel).
        let aao_max_z = shifts.apply(
            "AAo max area",
            i,
            0.35 * size + 0.35 * age + 0.15 * sbp + 0.8 * normal(rng),
        );
        let aao_dist_z = shifts.apply(
            "AAo distensibility",
            i,
            -0.35 * sbp - 0.45 * smk - 0.20 * rt - 0.20 * ldl + 0.85 * normal(rng),
        );
        let dao_max_z = shifts.apply(
            "DAo max area",
            i,
            0.35 * size + 0.35 * age + 0.15 * sbp + 0.8 * normal(rng),
        );
        let dao_dist_z = shifts.apply(
            "DAo distensibility",
            i,
            -0.30 * sbp - 0.25 * ldl + 0.85 * normal(rng),
        );
        let vessels = [
            (
                by_sex(m, 1000.0, 850.0) * (1.0 + 0.18 * aao_max_z),
                (5.0 - years * 3.5 / 30.0).max(0.6) * (0.30 * aao_dist_z).exp(),
            ),
            (
                by_sex(m, 520.0, 430.0) * (1.0 + 0.17 * dao_max_z),
                (4.0 - years * 2.0 / 30.0).max(0.6) * (0.30 * dao_dist_z).exp(),
            ),
        ];
        for (vessel, (max_area, distensibility)) in vessels.into_iter().enumerate() {
            let max_area = max_area.max(200.0);
            let min_area = max_area / (1.0 + distensibility * pulse_pressure / 1000.0);
            aorta[vessel][0][i] = max_area;
            aorta[vessel][1][i] = min_area;
            aorta[vessel][2][i] = 1000.0 * (max_area - min_area) / (min_area * pulse_pressure);
        }

        // Myocardial wall thickness and strain: a global latent value per participant, with
        // segments scattered around it (so segments correlate strongly with each other).
        let wt_latent = by_sex(m, 6.4, 5.6)
            + 0.8
                * shifts.apply(
                    "WT_Global",
                    i,
                    0.30 * size + 0.35 * sbp + 0.22 * hba + 0.10 * age + 0.80 * normal(rng),
                );
        let ecc_latent = -21.0 - 2.5 * (0.45 * ef_z + 0.22 * act + 0.85 * normal(rng));
        let err_latent = 38.0 + 7.0 * (0.45 * ef_z + 0.88 * normal(rng));
        let ell_latent = -19.0 - 2.5 * (0.35 * ef_z + 0.93 * normal(rng));
        let mut fill =
            |series: &mut Vec<Vec<f64>>, segments: usize, latent: f64, spread: f64, noise: f64| {
                let mut sum = 0.0;
                for s in 1..=segments {
                    let v = latent * segment_multiplier(s, spread) + noise * normal(rng);
                    series[s - 1][i] = v;
                    sum += v;
                }
                series[segments][i] = sum / segments as f64 + 0.02 * noise * normal(rng);
            };
        fill(&mut wt, 16, wt_latent.max(2.5), 1.0, 0.45);
        fill(&mut ecc, 16, ecc_latent, 0.6, 1.6);
        fill(&mut err, 16, err_latent, 0.6, 4.5);
        fill(&mut ell, 6, ell_latent, 0.4, 1.5);
    }

    let mut b = Builder {
        out: Vec::with_capacity(82),
    };
    let [lv, rv] = ventricles;
    let [la, ra] = atria;
    let [aao, dao] = aorta;
    // Per structure, in the cohort's column order: the prefix of its names, the adjective of
    // its descriptions and its category, then (suffix, unit, measure, values) per phenotype.
    let structures = [
        (
            "LV",
            "Left ventricular",
            "Left ventricle",
            [
                chamber(VENTRICLE, lv),
                vec![
                    ("CO", "L/min", "cardiac output", lvco),
                    ("M", "g", "myocardial mass", lvm),
                ],
            ]
            .concat(),
        ),
        (
            "RV",
            "Right ventricular",
            "Right ventricle",
            chamber(VENTRICLE, rv),
        ),
        ("LA", "Left atrial", "Left atrium", chamber(ATRIUM, la)),
        ("RA", "Right atrial", "Right atrium", chamber(ATRIUM, ra)),
        ("AAo", "Ascending aorta", "Aorta", aortic_segment(aao)),
        ("DAo", "Descending aorta", "Aorta", aortic_segment(dao)),
    ];
    for (prefix, long, category, measures) in structures {
        for (suffix, unit, measure, values) in measures {
            b.push(
                &format!("{prefix}{suffix}"),
                category,
                unit,
                &format!("{long} {measure}"),
                values,
            );
        }
    }
    for (prefix, count, category, unit, what, series) in [
        (
            "WT_AHA_",
            16,
            "Wall thickness",
            "mm",
            "Myocardial wall thickness",
            wt,
        ),
        (
            "Ecc_AHA_",
            16,
            "Circumferential strain",
            "%",
            "Peak circumferential strain",
            ecc,
        ),
        (
            "Err_AHA_",
            16,
            "Radial strain",
            "%",
            "Peak radial strain",
            err,
        ),
        (
            "Ell_",
            6,
            "Longitudinal strain",
            "%",
            "Peak longitudinal strain",
            ell,
        ),
    ] {
        let global = if prefix == "Ell_" {
            "Ell_Global".to_string()
        } else {
            format!("{}Global", prefix.trim_end_matches("AHA_"))
        };
        for (k, values) in series.into_iter().enumerate() {
            if k < count {
                let segment = k + 1;
                let label = if prefix == "Ell_" {
                    format!("{what}, segment {segment}")
                } else {
                    format!("{what}, AHA segment {segment}")
                };
                b.push(
                    &format!("{prefix}{segment}"),
                    category,
                    unit,
                    &label,
                    values,
                );
            } else {
                b.push(&global, category, unit, &format!("{what}, global"), values);
            }
        }
    }
    debug_assert_eq!(b.out.len(), 82);
    b.out
}

/// Primary phenotypes that systolic blood pressure drives; exposures acting on blood pressure
/// reach these only through it.
pub const PRESSURE_PHENOTYPES: &[&str] = &[
    "LVM",
    "LAV max",
    "AAo max area",
    "AAo distensibility",
    "DAo max area",
    "DAo distensibility",
    "WT_Global",
];
