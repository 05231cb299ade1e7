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

/// Defines a kernel entry point that runs its body compiled for the widest level this CPU
/// offers. `#[target_feature]` applies to a whole function, so the body is instantiated three
/// times, in a module of the entry point's name: `avx512`, an `unsafe fn` built with AVX-512F,
/// `avx2`, one built with AVX2, and `portable`; the body is `#[inline(always)]` code, so each
/// copy is compiled with its features. Inside the body, the given name (`L` below) is the
/// level's lane type from the list (`()` where the kernel has none), so a kernel generic over
/// lanes picks the matching implementation:
///
/// ```ignore
/// vector_kernel! {
///     fn pass(columns: &[&[f64]], y: &[f64]) -> PassState;
///     L in (simd::Avx512, simd::Avx2, Portable) => pass_body::<L>(columns, y)
/// }
/// ```
macro_rules! vector_kernel {
    (
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;
        $lanes:ident in ($avx512:ty, $avx2:ty, $portable:ty) => $body:expr
    ) => {
        $(#[$meta])*
        fn $name($($arg: $ty),*) -> $ret {
            use $crate::models::vector_level::{level, Level};
            match level() {
                // SAFETY: `level` checked that the CPU has the features `avx512` was compiled
                // for.
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => unsafe { $name::avx512($($arg),*) },
                // SAFETY: as for the arm above, with AVX2.
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { $name::avx2($($arg),*) },
                Level::Portable => $name::portable($($arg),*),
            }
        }

        /// The builds of the kernel of the same name, one per vector level.
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            pub(super) unsafe fn avx512($($arg: $ty),*) -> $ret {
                #[allow(dead_code)]
                type $lanes = $avx512;
                $body
            }

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            pub(super) unsafe fn avx2($($arg: $ty),*) -> $ret {
                #[allow(dead_code)]
                type $lanes = $avx2;
                $body
            }

            #[inline(always)]
            pub(super) fn portable($($arg: $ty),*) -> $ret {
                #[allow(dead_code)]
                type $lanes = $portable;
                $body
            }
        }
    };
}
pub(crate) use vector_kernel;
