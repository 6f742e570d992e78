//! A drift check: current data read in one scan, each column compared with its baseline.
//!
//! Every statistic comes from persona-math; this module only decides which one applies to
//! which column, on what data (the reference sample, its quantile bins or exact value
//! counts), and when a verdict can be given at all.

use super::baseline::{discrete_max, indexed, Assigner, Baseline, ColumnBaseline, Kind};
use super::histogram::Histogram;
use crate::arrays::show;
use crate::error::{invalid, null_value, Result};
use crate::model::Scorer;
use crate::source::Source;
use persona_math::drift::{
    bin_counts, chisquare, count_numeric, jensenshannon_categorical, ks_2samp_sorted,
    n_distinct_union, psi_categorical, wasserstein_1_sorted, wasserstein_normalized, z_test,
    AutoRule, Method, NumKey,
};
use std::collections::BTreeMap;

/// Count of each value of a discrete column.
type ValueCounts = BTreeMap<NumKey, u64>;

/// Method names accepted, for the error message.
const VALID_METHODS: &str = "auto, ks, wasserstein, psi, jensenshannon, chisquare, z";

/// The method a caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// Evidently's default choice per column.
    Auto,
    Fixed(Method),
}

impl Requested {
    pub fn parse(name: Option<&str>) -> Result<Requested> {
        let name = name.ok_or_else(|| null_value("method must not be null"))?;
        if name.trim().eq_ignore_ascii_case("auto") {
            return Ok(Requested::Auto);
        }
        Method::from_name(name)
            .map(Requested::Fixed)
            .ok_or_else(|| {
                invalid(format!("unknown drift method \"{name}\""))
                    .hint(format!("Valid methods: {VALID_METHODS}."))
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Requested::Auto => "auto",
            Requested::Fixed(m) => m.name(),
        }
    }
}

/// How to judge every row of a check.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub requested: Requested,
    /// The caller's threshold, or `None` for each method's default.
    pub threshold: Option<f64>,
    /// Fewest valid current values for a verdict.
    pub min_rows: u64,
}

impl Options {
    pub fn new(method: Option<&str>, threshold: Option<f64>, min_rows: u64) -> Result<Options> {
        let requested = Requested::parse(method)?;
        if let Some(t) = threshold.filter(|t| !(t.is_finite() && *t > 0.0)) {
            return Err(invalid(format!(
                "threshold must be a finite number greater than 0, got {}",
                show(t)
            ))
            .hint(
                "Leave it NULL for the method's default: 0.05 for p-values, 0.1 for distances.",
            ));
        }
        Ok(Options {
            requested,
            threshold,
            min_rows,
        })
    }

    /// A given threshold applies to the rows judged by the requested method (every row under
    /// `auto`, as in Evidently); a row that had to use another method keeps that method's
    /// default, since a p-value threshold means nothing to a distance.
    fn threshold_for(&self, method: Method) -> f64 {
        let applies = match self.requested {
            Requested::Auto => true,
            Requested::Fixed(m) => m == method,
        };
        match self.threshold {
            Some(t) if applies => t,
            _ => method.default_threshold(),
        }
    }
}

/// What a row of a check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Feature,
    PersonaShare,
    Distance,
}

impl RowKind {
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Feature => "feature",
            RowKind::PersonaShare => "persona_share",
            RowKind::Distance => "distance",
        }
    }
}

/// One row of `persona.drift`.
#[derive(Debug, Clone)]
pub struct DriftRow {
    pub feature: String,
    pub kind: RowKind,
    pub method: Method,
    /// NULL when either side has no valid value.
    pub statistic: Option<f64>,
    /// For the p-value methods (ks, chisquare, z).
    pub p_value: Option<f64>,
    pub threshold: f64,
    /// NULL when there are fewer than `min_rows` current values ("insufficient data").
    pub drifted: Option<bool>,
    pub n_reference: u64,
    pub n_current: u64,
    /// Current values left out (for persona_share and distance: incomplete rows).
    pub n_null: u64,
    /// Both sides over the same bars, for the saved report's picture; `None` without data.
    pub histogram: Option<Histogram>,
}

/// The valid current values of one column, and how many were not valid.
#[derive(Debug, Default)]
struct CurrentColumn {
    values: Vec<f64>,
    n_null: u64,
}

impl CurrentColumn {
    fn push(&mut self, value: Option<f64>) {
        match value.filter(|v| v.is_finite()) {
            Some(x) => self.values.push(x),
            None => self.n_null += 1,
        }
    }
}

/// Everything a check needs of the current data. Every valid value is kept, since exact KS
/// needs them: memory is about rows × (features + 1) × 8 bytes.
#[derive(Debug)]
pub struct Current {
    columns: Vec<CurrentColumn>,
    distance: CurrentColumn,
    persona_counts: Vec<u64>,
    pub n_rows: u64,
}

impl Current {
    /// Reads the source once.
    pub fn collect(source: &Source, scorer: &Scorer) -> Result<Current> {
        let mut current = Current {
            columns: (0..scorer.d()).map(|_| CurrentColumn::default()).collect(),
            distance: CurrentColumn::default(),
            persona_counts: vec![0; scorer.centroids.k()],
            n_rows: 0,
        };
        let mut assigner = Assigner::new(scorer);
        source.scan(|row| current.push(row, &mut assigner))?;
        Ok(current)
    }

    fn push(&mut self, row: &[Option<f64>], assigner: &mut Assigner) {
        self.n_rows += 1;
        for (column, value) in self.columns.iter_mut().zip(row) {
            column.push(*value);
        }
        match assigner.assign(row) {
            Some((persona, distance)) => {
                self.persona_counts[persona] += 1;
                self.distance.push(Some(distance));
            }
            None => self.distance.n_null += 1,
        }
    }
}

/// Every row of a check: the features in model order, then persona_share, then distance.
/// `labels` name the personas in the persona_share histogram.
pub fn compare(
    baseline: &Baseline,
    mut current: Current,
    options: &Options,
    labels: &[String],
) -> Vec<DriftRow> {
    let mut columns: Vec<&mut Vec<f64>> =
        current.columns.iter_mut().map(|c| &mut c.values).collect();
    columns.push(&mut current.distance.values);
    sort_columns(columns);
    let incomplete = current.distance.n_null;
    let mut rows: Vec<DriftRow> = baseline
        .features
        .iter()
        .zip(current.columns)
        .map(|(reference, column)| {
            pgrx::check_for_interrupts!();
            compare_column(reference, column, options)
        })
        .collect();
    rows.push(compare_personas(
        &baseline.persona_counts,
        &current.persona_counts,
        incomplete,
        options,
        labels,
    ));
    rows.push(compare_column(
        &baseline.distance,
        current.distance,
        options,
    ));
    rows
}

/// A statistic and, for tests, its p-value, with the reference size it used.
struct Outcome {
    statistic: f64,
    p_value: Option<f64>,
    n_reference: u64,
}

/// Sorts every column's values, the columns shared out over the cores.
///
/// Sorting the current values is most of a check's own work (ten columns of 500,000 values
/// take about 0.2 s on one core), and the columns are independent. This thread checks for
/// cancellation between its columns; a cancel waits for the other threads' current column.
fn sort_columns(mut columns: Vec<&mut Vec<f64>>) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = threads.min(columns.len()).max(1);
    // Largest first, dealt round-robin: shares of about equal size.
    columns.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut shares: Vec<Vec<&mut Vec<f64>>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, column) in columns.into_iter().enumerate() {
        shares[i % threads].push(column);
    }
    let mut shares = shares.into_iter();
    let own = shares.next().unwrap_or_default();
    std::thread::scope(|scope| {
        for share in shares {
            scope.spawn(move || {
                for column in share {
                    column.sort_unstable_by(f64::total_cmp);
                }
            });
        }
        for column in own {
            pgrx::check_for_interrupts!();
            column.sort_unstable_by(f64::total_cmp);
        }
    });
}

/// Compares one column; `current.values` are sorted ([`sort_columns`]).
fn compare_column(reference: &ColumnBaseline, current: CurrentColumn, o: &Options) -> DriftRow {
    debug_assert!(current.values.is_sorted_by(|a, b| a.total_cmp(b).is_le()));
    let values = &current.values;
    let discrete = discrete_counts(reference, values);
    let n_distinct = discrete
        .as_ref()
        .map_or(discrete_max() + 1, |(r, c)| n_distinct_union(r, c));
    let method = match o.requested {
        Requested::Auto => AutoRule::default().choose(reference.n_valid() as usize, n_distinct),
        Requested::Fixed(m) => m,
    };
    let outcome = measure(method, reference, values, discrete.as_ref());
    let kind = match reference.kind {
        Kind::Feature => RowKind::Feature,
        Kind::Distance => RowKind::Distance,
    };
    let n_current = values.len() as u64;
    let histogram = match &discrete {
        Some((r, c)) => Some(Histogram::values(r, c)),
        None => Histogram::binned(&reference.sample, values),
    };
    let mut row = judge(
        (reference.feature.clone(), kind, method),
        outcome,
        (n_current, current.n_null),
        o,
    );
    row.histogram = histogram;
    row
}

/// Value counts of both sides when the column is discrete: the reference has at most
/// `discrete_max()` distinct values and so do reference and current together.
fn discrete_counts(
    reference: &ColumnBaseline,
    sorted: &[f64],
) -> Option<(ValueCounts, ValueCounts)> {
    let r = reference.categories.as_ref()?;
    if more_distinct_than(sorted, discrete_max()) {
        return None;
    }
    let c = count_numeric(sorted);
    (n_distinct_union(r, &c) <= discrete_max()).then(|| (r.clone(), c))
}

/// Whether a sorted slice holds more than `limit` distinct values; stops at the first extra.
fn more_distinct_than(sorted: &[f64], limit: usize) -> bool {
    let mut distinct = 0;
    let mut last = None;
    for &x in sorted {
        if last != Some(x) {
            distinct += 1;
            if distinct > limit {
                return true;
            }
            last = Some(x);
        }
    }
    false
}

/// ks and wasserstein compare the reference sample with every current value; the binned
/// methods compare value counts for a discrete column, else counts in the reference's
/// quantile bins.
fn measure(
    method: Method,
    reference: &ColumnBaseline,
    current: &[f64],
    discrete: Option<&(ValueCounts, ValueCounts)>,
) -> Outcome {
    let n_sample = reference.sample.len() as u64;
    match (method, discrete) {
        (Method::Ks, _) => {
            let ks = ks_2samp_sorted(&reference.sample, current);
            outcome(ks.statistic, Some(ks.p_value), n_sample)
        }
        (Method::Wasserstein, _) => {
            let w1 = wasserstein_1_sorted(&reference.sample, current);
            let std = reference.std.unwrap_or(0.0);
            outcome(wasserstein_normalized(w1, std), None, n_sample)
        }
        (_, Some((r, c))) => on_counts(method, r, c),
        (_, None) => {
            let current_bins = indexed(&bin_counts(&reference.edges, current));
            on_counts(method, &reference.bin_counts(), &current_bins)
        }
    }
}

fn outcome(statistic: f64, p_value: Option<f64>, n_reference: u64) -> Outcome {
    Outcome {
        statistic,
        p_value,
        n_reference,
    }
}

/// psi, jensenshannon, chisquare or z on counts keyed by category, bin or persona.
fn on_counts<K: Ord + Clone>(
    method: Method,
    reference: &BTreeMap<K, u64>,
    current: &BTreeMap<K, u64>,
) -> Outcome {
    let n_reference = reference
        .values()
        .fold(0u64, |acc, &c| acc.saturating_add(c));
    let (statistic, p_value) = match method {
        Method::Psi => (psi_categorical(reference, current), None),
        Method::JensenShannon => (jensenshannon_categorical(reference, current, None), None),
        Method::Z => {
            let z = z_test(reference, current);
            (z.statistic, Some(z.p_value))
        }
        // chisquare; ks and wasserstein never get here, they compare samples.
        _ => {
            let x = chisquare(reference, current);
            (x.statistic, Some(x.p_value))
        }
    };
    outcome(statistic, p_value, n_reference)
}

/// Shares of personas: chi-square by default, as persona ids are categories. A binned method
/// asked for by name is used as asked; ks and wasserstein, which need an order, are not.
fn compare_personas(
    reference: &[u64],
    current: &[u64],
    incomplete: u64,
    o: &Options,
    labels: &[String],
) -> DriftRow {
    let method = match o.requested {
        Requested::Fixed(m @ (Method::Psi | Method::JensenShannon | Method::Z)) => m,
        _ => Method::ChiSquare,
    };
    let current_counts = indexed(current);
    let n_current = current_counts.values().sum();
    let outcome = on_counts(method, &indexed(reference), &current_counts);
    let mut row = judge(
        ("persona_share".into(), RowKind::PersonaShare, method),
        outcome,
        (n_current, incomplete),
        o,
    );
    row.histogram = Some(Histogram::personas(labels, reference, current));
    row
}

/// The verdict: none without data on both sides or with fewer than `min_rows` current values;
/// otherwise Evidently's comparison (`Method::drifted`).
fn judge(
    (feature, kind, method): (String, RowKind, Method),
    outcome: Outcome,
    (n_current, n_null): (u64, u64),
    o: &Options,
) -> DriftRow {
    let threshold = o.threshold_for(method);
    let empty = n_current == 0 || outcome.n_reference == 0;
    let statistic = Some(outcome.statistic).filter(|s| !empty && !s.is_nan());
    let p_value = outcome.p_value.filter(|p| !empty && !p.is_nan());
    let score = if method.is_p_value() {
        p_value
    } else {
        statistic
    };
    let drifted = score
        .filter(|_| n_current >= o.min_rows)
        .map(|s| method.drifted(s, threshold));
    DriftRow {
        feature,
        kind,
        method,
        statistic,
        p_value,
        threshold,
        drifted,
        n_reference: outcome.n_reference,
        n_current,
        n_null,
        histogram: None,
    }
}
