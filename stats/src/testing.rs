//! Helpers of the crate's unit tests.

/// Uniform draws in [0, 1) from a seeded LCG: test data that is the same on every machine,
/// without a dependency on `rand`'s stream.
pub fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    }
}
