//! Logistic regression by Newton-Raphson (IRLS), with Firth's penalised likelihood for few
//! events or separated data.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use crate::models::linalg::{
    cholesky, cholesky_inverse, cholesky_log_det, cholesky_solve, gemm_at_b,
};
use crate::models::ols::FitError;

/// A fitted logistic model on a design with an intercept in column 0.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    pub n: usize,
    pub beta: Vec<f64>,
    pub se: Vec<f64>,
    /// Log-likelihood (unpenalised, even for a Firth fit).
    pub log_likelihood: f64,
    /// Log-likelihood plus Firth's penalty 0.5 log|X'WX| (equals `log_likelihood` otherwise).
    pub objective: f64,
    pub iterations: usize,
    pub firth: bool,
}

const MAX_ITERATIONS: usize = 200;
const TOLERANCE: f64 = 1e-12;

/// `design` is row-major n x k (column 0 the intercept), `y` is 0/1.
pub fn fit(design: &[f64], k: usize, y: &[f64], firth: bool) -> Result<LogisticFit, FitError> {
    fit_constrained(design, k, y, firth, None)
}

/// As [`fit`], with coefficient `fixed_zero` held at 0. The model keeps the full design, so
/// for a Firth fit the penalty is that of the full model, as in logistf's likelihood-ratio
/// tests; for an ordinary fit this equals fitting without the column.
pub fn fit_constrained(
    design: &[f64],
    k: usize,
    y: &[f64],
    firth: bool,
    fixed_zero: Option<usize>,
) -> Result<LogisticFit, FitError> {
    fit_from(design, k, y, firth, fixed_zero, None)
}

/// As [`fit_constrained`], starting from `start` (e.g. the null model's estimates, which
/// makes the full fit take a few iterations instead of many).
pub fn fit_from(
    design: &[f64],
    k: usize,
    y: &[f64],
    firth: bool,
    fixed_zero: Option<usize>,
    start: Option<&[f64]>,
) -> Result<LogisticFit, FitError> {
    let n = y.len();
    if n < k + 1 {
        return Err(FitError::TooFewRows { n, parameters: k });
    }
    let mut beta = match start {
        Some(b) if b.len() == k => b.to_vec(),
        _ => vec![0.0; k],
    };
    if let Some(j) = fixed_zero {
        beta[j] = 0.0;
    }
    let settled = if firth {
        None
    } else {
        plain_newton(design, k, y, &beta, fixed_zero)
    };
    // (log-likelihood, objective, score, information, Cholesky factor of the information)
    type State = (f64, f64, Vec<f64>, Vec<f64>, Vec<f64>);
    let evaluate = |beta: &[f64]| -> Result<State, FitError> {
        let mut ll = 0.0;
        let mut info = vec![0.0; k * k];
        let mut mu = vec![0.0; n];
        // Rows of the design scaled by sqrt(w): the information X'WX is then one matrix
        // product.
        let mut scaled = vec![0.0; n * k];
        for i in 0..n {
            let row = &design[i * k..(i + 1) * k];
            let eta: f64 = row.iter().zip(beta).map(|(x, b)| x * b).sum();
            // One exp and one log1p per row give the mean and both log-probabilities stably.
            let e = (-eta.abs()).exp();
            let log1p_e = e.ln_1p();
            let (m, log_p, log_q) = if eta >= 0.0 {
                (1.0 / (1.0 + e), -log1p_e, -eta - log1p_e)
            } else {
                (e / (1.0 + e), eta - log1p_e, -log1p_e)
            };
            mu[i] = m;
            ll += y[i] * log_p + (1.0 - y[i]) * log_q;
            let root_w = (m * (1.0 - m)).sqrt();
            for (s, x) in scaled[i * k..(i + 1) * k].iter_mut().zip(row) {
                *s = root_w * x;
            }
        }
        gemm_at_b(&scaled, n, k, &scaled, k, 1.0, &mut info);
        let chol = cholesky(&info, k).map_err(FitError::Collinear)?;
        let mut score = vec![0.0; k];
        let mut objective = ll;
        if firth {
            objective += 0.5 * cholesky_log_det(&chol, k);
            // Hat values of the full design: the constrained fit maximises the same penalised
            // likelihood as the full fit, with one coefficient held at zero.
            let free: Vec<usize> = (0..k).collect();
            let m = free.len();
            let sub: Vec<f64> = free
                .iter()
                .flat_map(|a| free.iter().map(move |b| (*a, *b)))
                .map(|(a, b)| info[a * k + b])
                .collect();
            let sub_chol = cholesky(&sub, m).map_err(FitError::Collinear)?;
            let inverse = cholesky_inverse(&sub_chol, m);
            for i in 0..n {
                let row = &design[i * k..(i + 1) * k];
                let mut quad = 0.0;
                for a in 0..m {
                    let mut s = 0.0;
                    for b in 0..m {
                        s += inverse[a * m + b] * row[free[b]];
                    }
                    quad += row[free[a]] * s;
                }
                let h = mu[i] * (1.0 - mu[i]) * quad;
                let resid = y[i] - mu[i] + h * (0.5 - mu[i]);
                for a in 0..k {
                    score[a] += row[a] * resid;
                }
            }
        } else {
            for i in 0..n {
                let resid = y[i] - mu[i];
                for a in 0..k {
                    score[a] += design[i * k + a] * resid;
                }
            }
        }
        Ok((ll, objective, score, info, chol))
    };

    if let Some(settled) = settled {
        // Newton has converged quadratically; one evaluation gives the likelihood and the
        // information for the standard errors.
        let state = evaluate(&settled)?;
        let inverse = cholesky_inverse(&state.4, k);
        let se = (0..k).map(|j| inverse[j * k + j].sqrt()).collect();
        return Ok(LogisticFit {
            n,
            beta: settled,
            se,
            log_likelihood: state.0,
            objective: state.1,
            iterations: 0,
            firth,
        });
    }
    let mut state = evaluate(&beta)?;
    let mut iterations = 0;
    loop {
        iterations += 1;
        if iterations > MAX_ITERATIONS {
            return Err(FitError::NotConverged);
        }
        let step = match fixed_zero {
            None => cholesky_solve(&state.4, k, &state.2),
            Some(j) => {
                // Newton step in the free coordinates only.
                let free: Vec<usize> = (0..k).filter(|c| *c != j).collect();
                let m = free.len();
                let sub: Vec<f64> = free
                    .iter()
                    .flat_map(|a| free.iter().map(move |b| (*a, *b)))
                    .map(|(a, b)| state.3[a * k + b])
                    .collect();
                let chol = cholesky(&sub, m).map_err(FitError::Collinear)?;
                let score: Vec<f64> = free.iter().map(|a| state.2[*a]).collect();
                let partial = cholesky_solve(&chol, m, &score);
                let mut step = vec![0.0; k];
                for (s, a) in partial.iter().zip(&free) {
                    step[*a] = *s;
                }
                step
            }
        };
        let objective = state.1;
        // Step halving keeps the objective from decreasing (needed near separation).
        let mut scale = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let candidate: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            if let Ok(next) = evaluate(&candidate) {
                if next.1 >= objective - 1e-12 * objective.abs().max(1.0) {
                    accepted = Some((candidate, next));
                    break;
                }
            }
            scale *= 0.5;
        }

        let Some((candidate, next)) = accepted else {
            return Err(FitError::NotConverged);
        };
        let change = step.iter().map(|s| (scale * s).abs()).fold(0.0, f64::max);
        beta = candidate;
        state = next;
        if change < TOLERANCE * beta.iter().map(|b| b.abs()).fold(1.0, f64::max) {
            break;
        }
        if beta.iter().any(|b| b.abs() > 50.0) {
            return Err(FitError::Separation);
        }
    }
    let inverse = cholesky_inverse(&state.4, k);
    let se = (0..k).map(|j| inverse[j * k + j].sqrt()).collect();
    Ok(LogisticFit {
        n,
        beta,
        se,
        log_likelihood: state.0,
        objective: state.1,
        iterations,
        firth,
    })
}

/// Two-sided Wald p-value of a coefficient.
pub fn wald_p(beta: f64, se: f64) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    2.0 * normal.sf((beta / se).abs())
}

/// Likelihood-ratio p-value for `df` restrictions from the two objectives.
pub fn lr_p(full: f64, restricted: f64, df: usize) -> (f64, f64) {
    let stat = (2.0 * (full - restricted)).max(0.0);
    let chi = ChiSquared::new(df as f64).expect("positive degrees of freedom");
    (stat, chi.sf(stat))
}

/// The 97.5 % normal quantile, for Wald intervals.
pub fn z975() -> f64 {
    Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(0.975)
}

/// Plain Newton-Raphson for the ordinary likelihood: no line search and no log-likelihood per
/// iteration (the concave objective makes full steps safe from a reasonable start), so each
/// iteration costs one exp per row and one matrix product. Returns None when it does not
/// settle quickly; the caller's guarded iteration then takes over, and also polishes and
/// evaluates the answer, so both paths return the same estimates.
fn plain_newton(
    design: &[f64],
    k: usize,
    y: &[f64],
    start: &[f64],
    fixed_zero: Option<usize>,
) -> Option<Vec<f64>> {
    let n = y.len();
    let free: Vec<usize> = (0..k).filter(|c| Some(*c) != fixed_zero).collect();
    let m = free.len();
    let mut beta = start.to_vec();
    let mut weighted = vec![0.0; n * k];
    for _ in 0..25 {
        let mut score = vec![0.0; k];
        for i in 0..n {
            let row = &design[i * k..(i + 1) * k];
            let eta: f64 = row.iter().zip(&beta).map(|(x, b)| x * b).sum();
            let mu = 1.0 / (1.0 + (-eta).exp());
            let w = mu * (1.0 - mu);
            let resid = y[i] - mu;
            for a in 0..k {
                score[a] += row[a] * resid;
                weighted[i * k + a] = w * row[a];
            }
        }
        let mut info = vec![0.0; k * k];
        gemm_at_b(design, n, k, &weighted, k, 1.0, &mut info);
        let sub: Vec<f64> = free
            .iter()
            .flat_map(|a| free.iter().map(move |b| (*a, *b)))
            .map(|(a, b)| info[a * k + b])
            .collect();
        let chol = cholesky(&sub, m).ok()?;
        let step = cholesky_solve(
            &chol,
            m,
            &free.iter().map(|a| score[*a]).collect::<Vec<_>>(),
        );
        let mut change = 0.0f64;
        for (s, a) in step.iter().zip(&free) {
            beta[*a] += s;
            change = change.max(s.abs());
        }
        if !beta.iter().all(|b| b.is_finite()) || beta.iter().any(|b| b.abs() > 50.0) {
            return None;
        }
        if change < 1e-10 * beta.iter().map(|b| b.abs()).fold(1.0, f64::max) {
            return Some(beta);
        }
    }
    None
}
