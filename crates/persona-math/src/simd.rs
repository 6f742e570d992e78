//! The widest vector unit of the CPU, chosen at run time, for the distance kernels.
//!
//! The crate is built for baseline x86-64 (SSE2: two f64 per instruction). The kernels lay
//! their points out in blocks of 4 or 8 so that independent distance sums sit side by side;
//! compiled for AVX2 or AVX-512 the same loops process four or eight of them per instruction.
//! Rust never fuses a multiply and an add, so every operation, and its rounding, is the same
//! in every build: results stay bit-identical whichever path runs (the unit tests compare
//! against plain scalar loops on the machine that runs them).

/// Vector units, widest first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Level {
    Avx512,
    Avx2,
    Baseline,
}

#[cfg(test)]
thread_local! {
    /// Tests set this to run the baseline code on this thread and compare it with the wide one.
    pub(crate) static FORCE_BASELINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The widest unit this CPU has (the standard library caches the detection).
#[inline]
pub(crate) fn level() -> Level {
    #[cfg(test)]
    if FORCE_BASELINE.with(|f| f.get()) {
        return Level::Baseline;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// Inside an `impl` block: `fn $name(&self, args)` runs the `#[inline(always)]` method
/// `$inner(&self, args)` compiled for the widest unit the CPU has, through two helpers
/// `$avx512` and `$avx2` that the macro defines.
macro_rules! widest {
    (fn $name:ident => $inner:ident, $avx512:ident, $avx2:ident ($($arg:ident : $ty:ty),*)) => {
        fn $name(&self, $($arg: $ty),*) {
            match $crate::simd::level() {
                // SAFETY: the CPU has the feature, as `level` checked.
                #[cfg(target_arch = "x86_64")]
                $crate::simd::Level::Avx512 => unsafe { self.$avx512($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                $crate::simd::Level::Avx2 => unsafe { self.$avx2($($arg),*) },
                _ => self.$inner($($arg),*),
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        unsafe fn $avx512(&self, $($arg: $ty),*) {
            self.$inner($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $avx2(&self, $($arg: $ty),*) {
            self.$inner($($arg),*)
        }
    };
}

pub(crate) use widest;
