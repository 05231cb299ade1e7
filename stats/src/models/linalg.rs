//! Small dense linear algebra for the normal equations: row-major square matrices of the size
//! of a model's design (a handful to a few dozen columns), where a Cholesky factorisation is
//! both the fastest and, on centred data, an accurate method.

/// Cholesky factor (lower, row-major) of a symmetric positive definite k x k matrix, or the
/// index of the first column that is (numerically) a combination of the earlier ones.
pub fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, usize> {
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
                    return Err(i);
                }
                l[i * k + i] = sum.sqrt();
            } else {
                l[i * k + j] = sum / l[j * k + j];
            }
        }
    }
    Ok(l)
}

/// Solves `L L' x = b`.
pub fn cholesky_solve(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
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

/// Inverse of the matrix whose Cholesky factor is `l`.
pub fn cholesky_inverse(l: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    let mut e = vec![0.0; k];
    for col in 0..k {
        e.iter_mut().for_each(|v| *v = 0.0);
        e[col] = 1.0;
        let x = cholesky_solve(l, k, &e);
        for row in 0..k {
            inv[row * k + col] = x[row];
        }
    }
    inv
}

/// log determinant of the matrix whose Cholesky factor is `l`.
pub fn cholesky_log_det(l: &[f64], k: usize) -> f64 {
    (0..k).map(|i| 2.0 * l[i * k + i].ln()).sum()
}

/// `out (p x q) += alpha * a' b` for row-major `a` (m x p) and `b` (m x q).
///
/// Panics when a slice's length is not the product of its dimensions: the multiplication
/// below reads and writes through raw pointers with those strides, so the check must hold in
/// release builds too, not only in debug ones.
pub(crate) fn gemm_at_b(
    a: &[f64],
    m: usize,
    p: usize,
    b: &[f64],
    q: usize,
    alpha: f64,
    out: &mut [f64],
) {
    // Checked products: a wrapped `m * p` could match a short slice.
    assert_eq!(m.checked_mul(p), Some(a.len()), "gemm_at_b: a is not m x p");
    assert_eq!(m.checked_mul(q), Some(b.len()), "gemm_at_b: b is not m x q");
    assert_eq!(
        p.checked_mul(q),
        Some(out.len()),
        "gemm_at_b: out is not p x q"
    );
    let (Ok(p_stride), Ok(q_stride)) = (isize::try_from(p), isize::try_from(q)) else {
        panic!("gemm_at_b: dimensions beyond isize");
    };
    // SAFETY: the slices have exactly the lengths the strides describe (asserted above, in
    // every build), so every element dgemm touches is inside them; `out` does not alias `a`
    // or `b` (it is a distinct &mut).
    unsafe {
        matrixmultiply::dgemm(
            p,
            m,
            q,
            alpha,
            a.as_ptr(),
            1,
            p_stride,
            b.as_ptr(),
            q_stride,
            1,
            1.0,
            out.as_mut_ptr(),
            q_stride,
            1,
        );
    }
}
