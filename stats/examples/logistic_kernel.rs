//! Times the logistic PheWAS kernel on synthetic data: passes per fit and time per pass.
//!
//! `cargo run --release -p meshagents-stats --example logistic_kernel [ROWS] [FITS]`

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(35_000);
    let fits: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let mut state = 99u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let columns: Vec<Vec<f64>> = (0..6)
        .map(|c| (0..n).map(|_| 10.0 * c as f64 + uniform()).collect())
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let eta = -1.0 + 0.3 * (columns[0][i] - 0.5) + 0.2 * (columns[2][i] - 20.5);
            if uniform() < 1.0 / (1.0 + (-eta).exp()) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let null = meshagents_stats::models::fastlogistic::fit_null(&refs[1..], &y).expect("null fit");
    let began = Instant::now();
    let mut passes = 0;
    for _ in 0..fits {
        let fit =
            meshagents_stats::models::fastlogistic::fit_added(&null, &columns[0], &refs[1..], &y)
                .expect("fit");
        passes += fit.passes;
    }
    let seconds = began.elapsed().as_secs_f64();
    println!(
        "{n} rows, 7 parameters: {:.3} ms per fit, {:.2} passes per fit, {:.1} us per pass ({:.2} ns per row)",
        seconds / fits as f64 * 1e3,
        passes as f64 / fits as f64,
        seconds / passes as f64 * 1e6,
        seconds / passes as f64 / n as f64 * 1e9
    );
}
