//! Settings of drift monitoring.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Default cap of every baseline sample. 10,000 is scipy's limit for the exact KS p-value, so
/// a reference of up to 10,000 rows is kept whole and compared exactly; it costs at most 80 kB
/// per feature (before TOAST compression).
pub const DEFAULT_SAMPLE_SIZE: i32 = 10_000;

/// Default minimum of valid current values for a verdict. Below about 30 values a KS or
/// chi-square p-value rests on too little data to call drift, and a distance between two
/// histograms is mostly noise; the row then reports its statistic with a NULL verdict.
pub const DEFAULT_MIN_ROWS: i32 = 30;

/// Largest sample a baseline may keep per feature (8 MB of float8).
const MAX_SAMPLE_SIZE: i32 = 1_000_000;

pub static SAMPLE_SIZE: GucSetting<i32> = GucSetting::<i32>::new(DEFAULT_SAMPLE_SIZE);
pub static MIN_ROWS: GucSetting<i32> = GucSetting::<i32>::new(DEFAULT_MIN_ROWS);

/// Called from `_PG_init`.
pub fn register() {
    GucRegistry::define_int_guc(
        c"persona.baseline_sample_size",
        c"Values per feature a drift baseline keeps as its reference sample.",
        c"KS and Wasserstein are exact while the reference has at most this many rows.",
        &SAMPLE_SIZE,
        100,
        MAX_SAMPLE_SIZE,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"persona.drift_min_rows",
        c"Fewest valid current values for which a drift check gives a verdict.",
        c"With fewer, drifted is NULL (insufficient data) rather than true or false.",
        &MIN_ROWS,
        1,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
}

pub fn sample_size() -> usize {
    SAMPLE_SIZE.get().max(0) as usize
}

pub fn min_rows() -> u64 {
    MIN_ROWS.get().max(1) as u64
}
