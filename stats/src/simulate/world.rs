//! The participants' latent world: demographics, body size, the planted exposures and blood
//! pressure. Everything observable (covariates, factors, imaging, disease) is computed from it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Fixed constants used to put variables on a standard scale. They are constants rather than
/// sample statistics so that the generative model is exactly linear in the confounders.
pub const AGE_MEAN: f64 = 63.0;
pub const AGE_SD: f64 = 7.5;
pub const HEIGHT_MEAN: f64 = 169.0;
pub const HEIGHT_SD: f64 = 9.3;
pub const WEIGHT_MEAN: f64 = 76.0;
pub const WEIGHT_SD: f64 = 15.0;
pub const SBP_MEAN: f64 = 138.0;
pub const SBP_SD: f64 = 19.0;

/// Latent per-participant values. Vectors all have length `n`.
pub struct World {
    pub n: usize,
    pub male: Vec<f64>,
    pub age: Vec<f64>,
    pub height: Vec<f64>,
    pub weight: Vec<f64>,
    pub sbp: Vec<f64>,
    pub dbp: Vec<f64>,
    pub heart_rate: Vec<f64>,
    /// Standardised log physical activity (MET minutes per week).
    pub activity: Vec<f64>,
    /// Standardised HbA1c.
    pub hba1c: Vec<f64>,
    /// Standardised LDL cholesterol.
    pub ldl: Vec<f64>,
    /// Standardised reaction time.
    pub reaction: Vec<f64>,
    /// Standardised alcohol intake (higher = more often).
    pub alcohol: Vec<f64>,
    /// Standardised salt habit (higher = more salt added).
    pub salt: Vec<f64>,
    /// Standardised deprivation (Townsend).
    pub deprivation: Vec<f64>,
    /// Smoking status: 0 never, 1 previous, 2 current.
    pub smoking: Vec<f64>,
    /// Atrial fibrillation, 0/1.
    pub afib: Vec<f64>,
}

impl World {
    pub fn age_z(&self, i: usize) -> f64 {
        (self.age[i] - AGE_MEAN) / AGE_SD
    }
    pub fn height_z(&self, i: usize) -> f64 {
        (self.height[i] - HEIGHT_MEAN) / HEIGHT_SD
    }
    pub fn weight_z(&self, i: usize) -> f64 {
        (self.weight[i] - WEIGHT_MEAN) / WEIGHT_SD
    }
    /// Linear body-size index relative to the participant's sex; phenotypes scale with it.
    /// The sex-specific centres are constants, so the index stays linear in height, weight
    /// and sex, and the published sex-specific means hold at average size.
    pub fn size_z(&self, i: usize) -> f64 {
        let (height_centre, weight_centre) = if self.male[i] > 0.5 {
            (175.7, 85.7)
        } else {
            (162.6, 66.9)
        };
        0.55 * (self.height[i] - height_centre) / HEIGHT_SD
            + 0.45 * (self.weight[i] - weight_centre) / WEIGHT_SD
    }
    pub fn sbp_z(&self, i: usize) -> f64 {
        (self.sbp[i] - SBP_MEAN) / SBP_SD
    }
    /// Smoking on a 0..1 scale (current = 1, previous = 0.4).
    pub fn smoking_load(&self, i: usize) -> f64 {
        match self.smoking[i] as i64 {
            2 => 1.0,
            1 => 0.4,
            _ => 0.0,
        }
    }
}

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// Loading of the factor-confounder scenario's `ses` on the activity and alcohol exposures
/// (better-off participants exercise and drink more often), so that `ses` confounds their
/// planted effects as well as the otherwise null fields it drives.
pub const SES_ON_EXPOSURES: f64 = 0.45;

/// `ses` is empty outside the factor-confounder scenario. When given, it is mixed into the
/// activity and alcohol exposures with the same variance and without any extra draw, so the
/// world stream stays aligned with the baseline's.
pub fn generate(n: usize, rng: &mut ChaCha8Rng, ses: &[f64]) -> World {
    debug_assert!(ses.is_empty() || ses.len() == n);
    let mut w = World {
        n,
        male: Vec::with_capacity(n),
        age: Vec::with_capacity(n),
        height: Vec::with_capacity(n),
        weight: Vec::with_capacity(n),
        sbp: Vec::with_capacity(n),
        dbp: Vec::with_capacity(n),
        heart_rate: Vec::with_capacity(n),
        activity: Vec::with_capacity(n),
        hba1c: Vec::with_capacity(n),
        ldl: Vec::with_capacity(n),
        reaction: Vec::with_capacity(n),
        alcohol: Vec::with_capacity(n),
        salt: Vec::with_capacity(n),
        deprivation: Vec::with_capacity(n),
        smoking: Vec::with_capacity(n),
        afib: Vec::with_capacity(n),
    };
    for i in 0..n {
        let male = if rng.gen_bool(0.48) { 1.0 } else { 0.0 };
        let age = loop {
            let a = AGE_MEAN + AGE_SD * normal(rng);
            if (45.0..=80.0).contains(&a) {
                break (a * 10.0).round() / 10.0;
            }
        };
        let age_z = (age - AGE_MEAN) / AGE_SD;
        let height = if male > 0.5 {
            175.7 + 6.8 * normal(rng)
        } else {
            162.6 + 6.2 * normal(rng)
        } - 0.8 * age_z;
        let height = (height.clamp(140.0, 205.0) * 10.0).round() / 10.0;
        // Weight is linear in height and sex so that adjustment for height and weight removes
        // body-size confounding exactly.
        let weight =
            76.0 + 9.0 * (male - 0.48) + 0.75 * (height - HEIGHT_MEAN) + 12.0 * normal(rng);
        let weight = (weight.clamp(38.0, 180.0) * 10.0).round() / 10.0;
        let weight_z = (weight - WEIGHT_MEAN) / WEIGHT_SD;

        let activity = normal(rng);
        let alcohol_noise = normal(rng);
        let (activity, alcohol) = match ses.get(i) {
            None => (
                activity,
                0.35 * (male - 0.48) * 2.0 * 0.5 + 0.94 * alcohol_noise,
            ),
            Some(s) => (
                SES_ON_EXPOSURES * s + (1.0 - SES_ON_EXPOSURES.powi(2)).sqrt() * activity,
                0.35 * (male - 0.48) * 2.0 * 0.5
                    + SES_ON_EXPOSURES * s
                    + (0.94f64.powi(2) - SES_ON_EXPOSURES.powi(2)).sqrt() * alcohol_noise,
            ),
        };
        let salt = normal(rng);
        let deprivation = normal(rng);
        let hba1c = 0.25 * age_z + 0.30 * weight_z + 0.9 * normal(rng);
        let ldl = -0.15 * (male - 0.48) * 2.0 + 0.1 * age_z + 0.98 * normal(rng);
        let reaction = 0.45 * age_z + 0.89 * normal(rng);
        let p_current = 0.08;
        let p_previous = (0.30 + 0.06 * age_z).clamp(0.05, 0.6);
        let u: f64 = rng.gen();
        let smoking = if u < p_current {
            2.0
        } else if u < p_current + p_previous {
            1.0
        } else {
            0.0
        };
        // More common than in UK Biobank (about 3 %) so that the near-constant rule of Bai 2020
        // keeps the field and its planted effects stay recoverable.
        let afib_logit = -2.75 + 0.9 * age_z + 0.5 * male;
        let afib = if rng.gen::<f64>() < 1.0 / (1.0 + (-afib_logit).exp()) {
            1.0
        } else {
            0.0
        };
        // Blood pressure: driven by age, sex, weight (confounders) and by salt and deprivation,
        // which therefore reach the heart only through it (it is their mediator).
        let sbp = SBP_MEAN
            + 7.0 * age_z
            + 4.0 * (male - 0.48)
            + 4.0 * weight_z
            + 5.0 * salt
            + 3.0 * deprivation
            + 15.0 * normal(rng);
        let sbp = sbp.clamp(85.0, 230.0).round();
        let dbp = (80.0 + 0.35 * (sbp - SBP_MEAN) + 2.0 * (male - 0.48) + 8.0 * normal(rng))
            .clamp(45.0, 130.0)
            .min(sbp - 20.0)
            .round();
        let heart_rate = (62.0 - 2.0 * (male - 0.48) - 3.0 * activity + 9.0 * normal(rng))
            .clamp(38.0, 120.0)
            .round();

        w.male.push(male);
        w.age.push(age);
        w.height.push(height);
        w.weight.push(weight);
        w.sbp.push(sbp);
        w.dbp.push(dbp);
        w.heart_rate.push(heart_rate);
        w.activity.push(activity);
        w.hba1c.push(hba1c);
        w.ldl.push(ldl);
        w.reaction.push(reaction);
        w.alcohol.push(alcohol);
        w.salt.push(salt);
        w.deprivation.push(deprivation);
        w.smoking.push(smoking);
        w.afib.push(afib);
    }
    w
}
