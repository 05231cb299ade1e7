//! Which vector instructions this CPU offers, for the kernels that have builds for them
//! (`fastlogistic`, `ols`). Those kernels fix their order of operations in code, so every
//! level gives the same bits; the level only decides the speed.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

/// The widest level this CPU runs (the standard library caches the detection).
pub(crate) fn level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Level::Avx2;
        }
    }
    Level::Portable
}
