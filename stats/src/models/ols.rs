//! Ordinary least squares through the normal equations of centred data.
//!
//! Centring by the complete-case means before accumulating the Gram matrix removes the
//! intercept from the system and keeps it well conditioned even when columns are on very
//! different scales (areas in mm^2 next to 0/1 indicators).

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::models::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::models::vector_level::vector_kernel;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("too few complete rows ({n}) for {parameters} parameters")]
    TooFewRows { n: usize, parameters: usize },
    #[error("the factor does not vary in the complete rows")]
    ConstantFactor,
    #[error("the design is collinear (column {0} is a combination of the others)")]
    Collinear(usize),
    #[error("the fit did not converge")]
    NotConverged,
    #[error("the outcome is separated by the predictors (estimates diverge)")]
    Separation,
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

/// A full OLS fit of `y ~ 1 + predictors` (coefficients of the predictors, not the intercept).
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    pub n: usize,
    pub df: usize,
    pub beta: Vec<f64>,
    pub se: Vec<f64>,
    pub rss: f64,
}

impl OlsFit {
    /// Gaussian log-likelihood at the MLE of the variance, as statsmodels' `llf`.
    pub fn log_likelihood(&self) -> f64 {
        let n = self.n as f64;
        -0.5 * n * ((2.0 * std::f64::consts::PI).ln() + (self.rss / n).ln() + 1.0)
    }

    pub fn coefficient(&self, index: usize) -> Result<Coefficient, FitError> {
        let (beta, se) = (self.beta[index], self.se[index]);
        let t = beta / se;
        let dist = StudentsT::new(0.0, 1.0, self.df as f64).map_err(|_| FitError::TooFewRows {
            n: self.n,
            parameters: self.beta.len() + 1,
        })?;
        let p = if t.is_finite() {
            2.0 * dist.sf(t.abs())
        } else {
            f64::NAN
        };
        let q = dist.inverse_cdf(0.975);
        Ok(Coefficient {
            n: self.n,
            df: self.df,
            beta,
            se,
            t,
            p,
            ci_low: beta - q * se,
            ci_high: beta + q * se,
        })
    }
}

/// Rows where `y` and every predictor are present.
pub fn complete_rows(y: &[f64], predictors: &[&[f64]]) -> Vec<usize> {
    (0..y.len())
        .filter(|&i| !y[i].is_nan() && predictors.iter().all(|p| !p[i].is_nan()))
        .collect()
}

/// Fits `y ~ 1 + predictors` on the given rows.
pub fn fit_rows(y: &[f64], predictors: &[&[f64]], rows: &[usize]) -> Result<OlsFit, FitError> {
    let k = predictors.len();
    let n = rows.len();
    if n < k + 2 {
        return Err(FitError::TooFewRows {
            n,
            parameters: k + 1,
        });
    }
    let mut means = vec![0.0; k + 1];
    for &i in rows {
        for (j, p) in predictors.iter().enumerate() {
            means[j] += p[i];
        }
        means[k] += y[i];
    }
    means.iter_mut().for_each(|m| *m /= n as f64);
    // Lower triangle of [x..., y]' [x..., y] on centred data.
    let dim = k + 1;
    let mut gram = vec![0.0; dim * dim];
    let mut row = vec![0.0; dim];
    for &i in rows {
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
    let chol = cholesky(&xtx, k).map_err(FitError::Collinear)?;
    let inverse = cholesky_inverse(&chol, k);
    Ok(solve(n, (&chol, &inverse), &xty, yty))
}

/// The fit of one outcome from `n` rows: the factorised Gram matrix of the `k` centred
/// predictors and its inverse, their cross-products with the outcome, and its sum of squares.
fn solve(n: usize, (chol, inverse): (&[f64], &[f64]), xty: &[f64], yty: f64) -> OlsFit {
    let k = xty.len();
    let beta = cholesky_solve(chol, k, xty);
    let rss = (yty - beta.iter().zip(xty).map(|(b, v)| b * v).sum::<f64>()).max(0.0);
    let df = n - k - 1;
    let sigma2 = rss / df as f64;
    let se = (0..k)
        .map(|j| (sigma2 * inverse[j * k + j]).sqrt())
        .collect();
    OlsFit {
        n,
        df,
        beta,
        se,
        rss,
    }
}

/// [`fit_rows`] for several outcomes on the same rows and predictors, bit for bit the same
/// answers: the predictors' means, their Gram matrix and its factorisation are computed once,
/// then each outcome costs one pass for its cross-products. (A PheWAS fits every phenotype of
/// a missingness group against the same factor design.)
pub fn fit_rows_many(
    ys: &[&[f64]],
    predictors: &[&[f64]],
    rows: &[usize],
) -> Vec<Result<OlsFit, FitError>> {
    let k = predictors.len();
    let n = rows.len();
    if n < k + 2 {
        let error = FitError::TooFewRows {
            n,
            parameters: k + 1,
        };
        return vec![Err(error); ys.len()];
    }
    // The same sums in the same order as `fit_rows`: each accumulator row by row.
    let mut means = vec![0.0; k];
    for &i in rows {
        for (j, p) in predictors.iter().enumerate() {
            means[j] += p[i];
        }
    }
    means.iter_mut().for_each(|m| *m /= n as f64);
    let mut centred = Vec::with_capacity(n * k);
    for &i in rows {
        centred.extend(predictors.iter().zip(&means).map(|(p, m)| p[i] - m));
    }
    let mut gram = vec![0.0; k * k];
    for row in centred.chunks_exact(k.max(1)).take(n) {
        for a in 0..k {
            let ra = row[a];
            for b in 0..=a {
                gram[a * k + b] += ra * row[b];
            }
        }
    }
    if k > 0 && gram[0] <= 0.0 {
        return vec![Err(FitError::ConstantFactor); ys.len()];
    }
    let xtx: Vec<f64> = (0..k)
        .flat_map(|a| (0..k).map(move |b| (a, b)))
        .map(|(a, b)| gram[a.max(b) * k + a.min(b)])
        .collect();
    let chol = match cholesky(&xtx, k) {
        Ok(chol) => chol,
        Err(j) => return vec![Err(FitError::Collinear(j)); ys.len()],
    };
    let inverse = cholesky_inverse(&chol, k);
    let means_y: Vec<f64> = ys
        .iter()
        .map(|y| rows.iter().fold(0.0, |s, &i| s + y[i]) / n as f64)
        .collect();
    let (xty, yty) = cross_products(&centred, k, rows, ys, &means_y);
    let pg = ys.len();
    (0..pg)
        .map(|j| {
            let xty: Vec<f64> = (0..k).map(|a| xty[a * pg + j]).collect();
            Ok(solve(n, (&chol, &inverse), &xty, yty[j]))
        })
        .collect()
}

vector_kernel! {
    /// `sum x_a (y_j - mean_j)` (as `[a][j]`) and `sum (y_j - mean_j)^2` over `rows`, every
    /// outcome at once: each sum still row by row, as [`fit_rows`] takes it, so the answers are
    /// the same bits; the outcomes are the vector lanes (AVX-512 or AVX2 when the CPU has them).
    fn cross_products(
        centred: &[f64],
        k: usize,
        rows: &[usize],
        ys: &[&[f64]],
        means_y: &[f64],
    ) -> (Vec<f64>, Vec<f64>);
    NoLanes in ((), (), ()) => cross_products_body(centred, k, rows, ys, means_y)
}

#[inline(always)]
fn cross_products_body(
    centred: &[f64],
    k: usize,
    rows: &[usize],
    ys: &[&[f64]],
    means_y: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let pg = ys.len();
    let mut xty = vec![0.0; k * pg];
    let mut yty = vec![0.0; pg];
    let mut yc = vec![0.0; pg];
    for (row, &i) in centred.chunks_exact(k.max(1)).zip(rows) {
        for ((c, y), m) in yc.iter_mut().zip(ys).zip(means_y) {
            *c = y[i] - m;
        }
        for (a, &x) in row.iter().enumerate().take(k) {
            for (s, c) in xty[a * pg..(a + 1) * pg].iter_mut().zip(&yc) {
                *s += c * x;
            }
        }
        for (s, c) in yty.iter_mut().zip(&yc) {
            *s += c * c;
        }
    }
    (xty, yty)
}

/// Residuals of `y ~ 1 + predictors` fitted on `rows` (NaN elsewhere).
pub fn residuals(y: &[f64], predictors: &[&[f64]], rows: &[usize]) -> Result<Vec<f64>, FitError> {
    let k = predictors.len();
    let fit = fit_rows(y, predictors, rows)?;
    let n = rows.len() as f64;
    let mean_y = rows.iter().map(|&i| y[i]).sum::<f64>() / n;
    let means: Vec<f64> = (0..k)
        .map(|j| rows.iter().map(|&i| predictors[j][i]).sum::<f64>() / n)
        .collect();
    let mut out = vec![f64::NAN; y.len()];
    for &i in rows {
        let fitted = mean_y
            + (0..k)
                .map(|j| fit.beta[j] * (predictors[j][i] - means[j]))
                .sum::<f64>();
        out[i] = y[i] - fitted;
    }
    Ok(out)
}

/// Fits `y ~ 1 + predictors` on the rows where `y` and every predictor are present (not NaN)
/// and returns the coefficient of `predictors[0]`.
pub fn first_coefficient(y: &[f64], predictors: &[&[f64]]) -> Result<Coefficient, FitError> {
    let rows = complete_rows(y, predictors);
    fit_rows(y, predictors, &rows)?.coefficient(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::uniform;

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
    fn many_outcomes_at_once_give_the_bits_of_one_at_a_time() {
        let n = 997;
        let mut next = uniform(3);
        let x1: Vec<f64> = (0..n).map(|_| 170.0 + 10.0 * next()).collect();
        let x2: Vec<f64> = (0..n).map(|_| (next() < 0.3) as u8 as f64).collect();
        let ys: Vec<Vec<f64>> = (0..11)
            .map(|j| {
                (0..n)
                    .map(|i| 0.01 * j as f64 * x1[i] - x2[i] + next())
                    .collect()
            })
            .collect();
        let rows: Vec<usize> = (0..n).filter(|i| i % 7 != 3).collect();
        let refs: Vec<&[f64]> = ys.iter().map(Vec::as_slice).collect();
        let many = fit_rows_many(&refs, &[&x1, &x2], &rows);
        for (y, fit) in ys.iter().zip(&many) {
            assert_eq!(fit, &fit_rows(y, &[&x1, &x2], &rows));
        }
        // The vector build of the cross-products equals the portable one.
        let centred: Vec<f64> = rows.iter().flat_map(|&i| [x1[i] - 170.0, x2[i]]).collect();
        let means = vec![0.5; refs.len()];
        assert_eq!(
            cross_products(&centred, 2, &rows, &refs, &means),
            cross_products_body(&centred, 2, &rows, &refs, &means)
        );
        // Errors are shared too.
        let constant = vec![1.0; n];
        assert!(fit_rows_many(&refs, &[&constant], &rows)
            .iter()
            .all(|f| f == &Err(FitError::ConstantFactor)));
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
