//! What a baseline is and how one is accumulated from rows, in one pass.
//!
//! A baseline must be computable from a stream (set_baseline reads a relation once, with a
//! cursor) in bounded memory, so every column keeps exact counts and moments over all rows
//! but only a bounded uniform sample of its values. The same accumulator serves the distance
//! to the nearest centroid, which is summarised exactly like a feature.

use super::settings;
use crate::model::Scorer;
use persona_math::drift::{
    bin_counts, quantile_edges, shares, AutoRule, Moments, NumKey, Reservoir,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Quantile bins per column: deciles, the usual resolution of PSI in credit and marketing
/// practice. Ties merge bins, so a column may end up with fewer.
pub const N_BINS: usize = 10;

/// Column `ordinal`'s reservoir is seeded with `SEED + ordinal`: the same rows in the same
/// order always give the same sample, so a baseline can be rebuilt bit for bit.
const SEED: u64 = 0x7065_7273_6f6e_0000;

/// Most distinct values a column may have to count as discrete (Evidently: 5).
pub fn discrete_max() -> usize {
    AutoRule::default().discrete_max_distinct
}

/// What a baseline column summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A model feature, read from a column of the source.
    Feature,
    /// Euclidean distance from a complete row to its nearest centroid, in scoring units.
    Distance,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Feature => "feature",
            Kind::Distance => "distance",
        }
    }
}

/// The stored summary of one column.
#[derive(Debug, Clone)]
pub struct ColumnBaseline {
    pub feature: String,
    pub kind: Kind,
    /// Values read, NULLs included.
    pub n_rows: u64,
    /// NULL, NaN and infinite values, excluded from everything below.
    pub n_null: u64,
    pub mean: Option<f64>,
    /// Population standard deviation.
    pub std: Option<f64>,
    /// Interior quantile edges of the sample.
    pub edges: Vec<f64>,
    /// Share of the sample in each bin (empty when the sample is).
    pub shares: Vec<f64>,
    /// Uniform sample of the valid values, sorted ascending.
    pub sample: Vec<f64>,
    /// Exact count of every value, when there are at most [`discrete_max`] distinct ones.
    pub categories: Option<BTreeMap<NumKey, u64>>,
}

impl ColumnBaseline {
    pub fn n_valid(&self) -> u64 {
        self.n_rows.saturating_sub(self.n_null)
    }

    /// Counts of the sample in the quantile bins, keyed by bin index.
    pub fn bin_counts(&self) -> BTreeMap<usize, u64> {
        indexed(&bin_counts(&self.edges, &self.sample))
    }
}

/// Counts keyed by their position: bins, or persona ids (0-based).
pub fn indexed(counts: &[u64]) -> BTreeMap<usize, u64> {
    counts.iter().copied().enumerate().collect()
}

/// A whole baseline: one summary per model feature, the distance, and the persona counts.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub features: Vec<ColumnBaseline>,
    pub distance: ColumnBaseline,
    /// Complete rows nearest to each persona (index = persona id - 1).
    pub persona_counts: Vec<u64>,
    /// Rows read, incomplete ones included.
    pub n_rows: u64,
    /// Rows with a NULL, NaN or infinite feature, left out of persona counts and distances.
    pub rows_skipped: u64,
    /// The sample cap in force when the baseline was made.
    pub sample_size: usize,
}

impl Baseline {
    pub fn complete_rows(&self) -> u64 {
        self.persona_counts
            .iter()
            .fold(0u64, |acc, &c| acc.saturating_add(c))
    }
}

/// Running summary of one column.
struct ColumnAcc {
    n_rows: u64,
    n_null: u64,
    moments: Moments,
    reservoir: Reservoir,
    /// Counts of each value while there are at most `discrete_max()`; `None` once exceeded.
    categories: Option<BTreeMap<NumKey, u64>>,
}

impl ColumnAcc {
    fn new(cap: usize, ordinal: usize) -> ColumnAcc {
        ColumnAcc {
            n_rows: 0,
            n_null: 0,
            moments: Moments::new(),
            reservoir: Reservoir::new(cap, SEED.wrapping_add(ordinal as u64)),
            categories: Some(BTreeMap::new()),
        }
    }

    fn push(&mut self, value: Option<f64>) {
        self.n_rows += 1;
        match value.filter(|v| v.is_finite()) {
            None => self.n_null += 1,
            Some(x) => {
                self.moments.push(x);
                self.reservoir.push(x);
                self.count(x);
            }
        }
    }

    fn count(&mut self, x: f64) {
        let (Some(map), Some(key)) = (&mut self.categories, NumKey::new(x)) else {
            return;
        };
        *map.entry(key).or_insert(0) += 1;
        if map.len() > discrete_max() {
            self.categories = None;
        }
    }

    fn finish(self, feature: String, kind: Kind) -> ColumnBaseline {
        let sample = self.reservoir.into_sorted();
        let edges = quantile_edges(&sample, N_BINS);
        let shares = if sample.is_empty() {
            Vec::new()
        } else {
            shares(&bin_counts(&edges, &sample))
        };
        ColumnBaseline {
            feature,
            kind,
            n_rows: self.n_rows,
            n_null: self.n_null,
            mean: self.moments.mean(),
            std: self.moments.std(),
            edges,
            shares,
            sample,
            categories: self.categories.filter(|m| !m.is_empty()),
        }
    }
}

/// Nearest persona and distance of complete rows, without allocating per row.
pub struct Assigner<'a> {
    scorer: &'a Scorer,
    row: Vec<f64>,
    scratch: Vec<f64>,
}

impl<'a> Assigner<'a> {
    pub fn new(scorer: &'a Scorer) -> Assigner<'a> {
        Assigner {
            scorer,
            row: vec![0.0; scorer.d()],
            scratch: vec![0.0; scorer.d()],
        }
    }

    /// The 0-based nearest persona and the Euclidean distance to it (in scoring units, as
    /// `persona.nearest` reports it), or `None` when a value is NULL, NaN or infinite: such a
    /// row has no persona, as in scoring.
    pub fn assign(&mut self, values: &[Option<f64>]) -> Option<(usize, f64)> {
        for (slot, value) in self.row.iter_mut().zip(values) {
            *slot = value.filter(|v| v.is_finite())?;
        }
        let n = self.scorer.centroids.nearest(&self.row, &mut self.scratch);
        Some((n.best, n.best_distance()))
    }

    /// [`Assigner::assign`] of a row known to be finite.
    pub fn assign_finite(&mut self, values: &[f64]) -> (usize, f64) {
        let n = self.scorer.centroids.nearest(values, &mut self.scratch);
        (n.best, n.best_distance())
    }
}

/// Tells the other thread of [`Builder::push_finite_rows`] to stop when this one unwinds.
struct StopOnUnwind<'a>(&'a AtomicBool);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Accumulates a baseline from rows of feature values.
pub struct Builder<'a> {
    assigner: Assigner<'a>,
    features: Vec<String>,
    columns: Vec<ColumnAcc>,
    distance: ColumnAcc,
    persona_counts: Vec<u64>,
    n_rows: u64,
    rows_skipped: u64,
    sample_size: usize,
}

impl<'a> Builder<'a> {
    pub fn new(scorer: &'a Scorer) -> Builder<'a> {
        let cap = settings::sample_size();
        let d = scorer.d();
        Builder {
            assigner: Assigner::new(scorer),
            features: scorer.model.features.clone(),
            columns: (1..=d).map(|j| ColumnAcc::new(cap, j)).collect(),
            distance: ColumnAcc::new(cap, d + 1),
            persona_counts: vec![0; scorer.centroids.k()],
            n_rows: 0,
            rows_skipped: 0,
            sample_size: cap,
        }
    }

    /// Adds one row, its values in the model's feature order.
    pub fn push(&mut self, row: &[Option<f64>]) {
        self.n_rows += 1;
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(*value);
        }
        match self.assigner.assign(row) {
            Some((persona, distance)) => {
                self.persona_counts[persona] += 1;
                self.distance.push(Some(distance));
            }
            None => self.rows_skipped += 1,
        }
    }

    /// Adds every row of a row-major matrix of finite values (fit's training rows), with the
    /// same result as [`Builder::push`] row by row.
    ///
    /// Each column's summary depends only on that column's values in row order, so the feature
    /// columns are summarised on a second thread while this one finds every row's nearest
    /// persona; at a million rows that halves the pass. `interrupt` runs on this thread every
    /// 10,000 rows and may unwind; the other thread then stops at its next 10,000 rows.
    pub fn push_finite_rows(&mut self, data: &[f64], interrupt: &mut dyn FnMut()) {
        let d = self.columns.len();
        debug_assert!(data.iter().all(|v| v.is_finite()));
        let stop = AtomicBool::new(false);
        let (columns, distance) = (&mut self.columns, &mut self.distance);
        let (counts, assigner) = (&mut self.persona_counts, &mut self.assigner);
        std::thread::scope(|scope| {
            let stop = &stop;
            scope.spawn(move || {
                for (i, row) in data.chunks_exact(d).enumerate() {
                    if i % 10_000 == 0 && stop.load(Ordering::Relaxed) {
                        return;
                    }
                    for (column, &v) in columns.iter_mut().zip(row) {
                        column.push(Some(v));
                    }
                }
            });
            let _stop_on_unwind = StopOnUnwind(stop);
            for (i, row) in data.chunks_exact(d).enumerate() {
                if i % 10_000 == 0 {
                    interrupt();
                }
                let (persona, dist) = assigner.assign_finite(row);
                counts[persona] += 1;
                distance.push(Some(dist));
            }
        });
        self.n_rows += (data.len() / d) as u64;
    }

    /// Counts rows that were left out before they reached the builder (fit's skipped rows):
    /// they count as read and skipped, but no feature knows which of its values was bad.
    pub fn skipped(&mut self, rows: u64) {
        self.n_rows = self.n_rows.saturating_add(rows);
        self.rows_skipped = self.rows_skipped.saturating_add(rows);
    }

    pub fn finish(self) -> Baseline {
        let features = self
            .columns
            .into_iter()
            .zip(self.features)
            .map(|(column, name)| column.finish(name, Kind::Feature))
            .collect();
        Baseline {
            features,
            distance: self.distance.finish("distance".into(), Kind::Distance),
            persona_counts: self.persona_counts,
            n_rows: self.n_rows,
            rows_skipped: self.rows_skipped,
            sample_size: self.sample_size,
        }
    }
}
