//! Drift statistics: is the current sample of a feature distributed like its reference?
//!
//! The tests and distances follow Evidently's legacy stattests (names, default thresholds,
//! comparison directions, the automatic choice of method, PSI's empty-bin fill) and their
//! numbers follow scipy 1.17 (`ks_2samp`, `wasserstein_distance`, `jensenshannon`,
//! `chisquare`), so a drift report computed in the database agrees with one computed in a
//! notebook. `tests/drift_reference.rs` checks that against fixtures written by
//! `scripts/reference/drift_reference.py`.
//!
//! Nothing here panics: empty or degenerate input gives a documented value (usually "no
//! evidence of drift"), never an abort of the PostgreSQL backend. NaN is the caller's to filter;
//! where it slips through it is skipped or yields NaN, and `Method::drifted` never fires on NaN.
//!
//! Layout: [`ks`] two-sample Kolmogorov-Smirnov, [`kolmogorov`] the Kolmogorov distribution it
//! needs, [`wasserstein`], [`binned`] (quantile bins, PSI, Jensen-Shannon), [`categorical`]
//! (counts, chi-square, z test), [`method`] (method names, thresholds, automatic choice) and
//! [`sample`] (bounded reference sample and exact moments), [`display`] (equal-width histograms
//! for pictures).

pub mod binned;
pub mod categorical;
pub mod display;
pub mod kolmogorov;
pub mod ks;
pub mod method;
pub mod sample;
pub mod wasserstein;

pub use binned::{
    bin_counts, bin_index, fill_empty_bins, jensenshannon, psi, quantile_edges, shares,
};
pub use categorical::{
    align, chisquare, chisquare_aligned, count_numeric, count_values, counts_from_pairs,
    jensenshannon_categorical, n_distinct_union, psi_categorical, z_test, z_test_proportions,
    Aligned, ChiSquareResult, NumKey, ZResult,
};
pub use kolmogorov::{kstwo_sf, smirnov_sf};
pub use ks::{ks_2samp, ks_2samp_sorted, KsResult, KS_MAX_EXACT_N};
pub use method::{choose_method, choose_method_categorical, AutoRule, Method};
pub use sample::{Moments, Reservoir};
pub use wasserstein::{wasserstein_1, wasserstein_1_sorted, wasserstein_normalized};
