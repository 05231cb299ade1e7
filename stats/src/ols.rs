//! Ordinary least squares through the normal equations of centred data.
//!
//! Centring by the complete-case means before accumulating the Gram matrix removes the
//! intercept from the system and keeps it well conditioned even when columns are on very
//! different scales (areas in mm^2 next to 0/1 indicators).

use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("too few complete rows ({n}) for {parameters} parameters")]
    TooFewRows { n: usize, parameters: usize },
    #[error("the factor does not vary in the complete rows")]
    ConstantFactor,
    #[error("the design is collinear (column {0} is a combination of the others)")]
    Collinear(usize),
}

/// The coefficient of the first predictor in `y ~ 1 + x_0 + x_1 + ...`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficient {
    pub n: usize,
    pub df: usize,
    pub beta: f64,
    pub se: f64,
    pub t: f64,
    pub p: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Fits `y ~ 1 + predictors` on the rows where `y` and every predictor are present (not NaN)
/// and returns the coefficient of `predictors[0]`.
pub fn first_coefficient(y: &[f64], predictors: &[&[f64]]) -> Result<Coefficient, FitError> {
    let k = predictors.len();
    let complete = |i: usize| !y[i].is_nan() && predictors.iter().all(|p| !p[i].is_nan());
    let rows: Vec<usize> = (0..y.len()).filter(|i| complete(*i)).collect();
    let n = rows.len();
    if n < k + 2 {
        return Err(FitError::TooFewRows {
            n,
            parameters: k + 1,
        });
    }
    let mut means = vec![0.0; k + 1];
    for &i in &rows {
        for (j, p) in predictors.iter().enumerate() {
            means[j] += p[i];
        }
        means[k] += y[i];
    }
    means.iter_mut().for_each(|m| *m /= n as f64);
    // Packed lower triangle of [x..., y]' [x..., y] on centred data.
    let dim = k + 1;
    let mut gram = vec![0.0; dim * dim];
    let mut row = vec![0.0; dim];
    for &i in &rows {
        for (j, p) in predictors.iter().enumerate() {
            row[j] = p[i] - means[j];
        }
        row[k] = y[i] - means[k];
        for a in 0..dim {
            let ra = row[a];
            for b in 0..=a {
                gram[a * dim + b] += ra * row[b];
            }
        }
    }
    if gram[0] <= 0.0 {
        return Err(FitError::ConstantFactor);
    }
    let xtx: Vec<f64> = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .map(|(a, b)| gram[a.max(b) * dim + a.min(b)])
        .collect();
    let xty: Vec<f64> = (0..k).map(|a| gram[k * dim + a]).collect();
    let yty = gram[k * dim + k];
    let chol = cholesky(&xtx, k)?;
    let beta = cholesky_solve(&chol, k, &xty);
    let rss = (yty - beta.iter().zip(&xty).map(|(b, v)| b * v).sum::<f64>()).max(0.0);
    let df = n - k - 1;
    let sigma2 = rss / df as f64;
    // (X'X)^-1_{00}: solve for the first unit vector.
    let mut e0 = vec![0.0; k];
    e0[0] = 1.0;
    let inv_col = cholesky_solve(&chol, k, &e0);
    let se = (sigma2 * inv_col[0]).sqrt();
    let t = beta[0] / se;
    let dist = StudentsT::new(0.0, 1.0, df as f64).map_err(|_| FitError::TooFewRows {
        n,
        parameters: k + 1,
    })?;
    let p = if t.is_finite() {
        2.0 * dist.sf(t.abs())
    } else {
        0.0
    };
    let q = dist.inverse_cdf(0.975);
    Ok(Coefficient {
        n,
        df,
        beta: beta[0],
        se,
        t,
        p,
        ci_low: beta[0] - q * se,
        ci_high: beta[0] + q * se,
    })
}

/// Cholesky factor (lower, row-major) of a symmetric positive definite k x k matrix.
fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, FitError> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut sum = a[i * k + j];
            for m in 0..j {
                sum -= l[i * k + m] * l[j * k + m];
            }
            if i == j {
                // A pivot that lost nearly all of its diagonal means the column is (almost) a
                // linear combination of the earlier ones.
                if sum <= a[i * k + i] * 1e-10 || sum <= 0.0 {
                    return Err(FitError::Collinear(i));
                }
                l[i * k + i] = sum.sqrt();
            } else {
                l[i * k + j] = sum / l[j * k + j];
            }
        }
    }
    Ok(l)
}

fn cholesky_solve(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut z = vec![0.0; k];
    for i in 0..k {
        let mut sum = b[i];
        for m in 0..i {
            sum -= l[i * k + m] * z[m];
        }
        z[i] = sum / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let mut sum = z[i];
        for m in i + 1..k {
            sum -= l[m * k + i] * x[m];
        }
        x[i] = sum / l[i * k + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_has_zero_residual_and_known_slope() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let c: Vec<f64> = (0..20).map(|i| ((i * 7) % 5) as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .zip(&c)
            .map(|(a, b)| 3.0 + 2.5 * a - 1.5 * b)
            .collect();
        let fit = first_coefficient(&y, &[&x, &c]).unwrap();
        assert!((fit.beta - 2.5).abs() < 1e-10);
        assert!(fit.se < 1e-6);
        assert_eq!(fit.n, 20);
        assert_eq!(fit.df, 17);
    }

    #[test]
    fn missing_rows_are_excluded_and_collinearity_is_reported() {
        let x = vec![1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0];
        let y = vec![1.0, 2.0, 3.0, 4.5, 5.0, 6.5];
        let fit = first_coefficient(&y, &[&x]).unwrap();
        assert_eq!(fit.n, 5);
        let twice: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert!(matches!(
            first_coefficient(&y, &[&x, &twice]),
            Err(FitError::Collinear(1))
        ));
        let constant = vec![1.0; 6];
        assert_eq!(
            first_coefficient(&y, &[&constant]),
            Err(FitError::ConstantFactor)
        );
    }
}
