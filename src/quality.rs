//! How good a set of personas is on a set of rows: the metrics `persona.fit` records for every
//! run, and `persona.evaluate` for any version on any source (so a retrained version and the
//! production one can be compared on the same rows).

use crate::error::{invalid, null_value, OrRaise, Result};
use crate::model::Scorer;
use crate::registry;
use crate::source::RegClass;
use crate::source::Source;
use persona_math::distance::{nearest_index, sq_euclidean};
use persona_math::metrics;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::{json, Value};

/// Silhouette is exact up to this many rows and estimated on a seeded sample of this size
/// above it: it costs O(n²) distances, which at 10,000 rows is about 0.1 s per run.
pub const SILHOUETTE_SAMPLE: usize = 10_000;

/// The rows of a source that have every feature, row-major, and how many were skipped.
pub struct Rows {
    pub data: Vec<f64>,
    pub skipped: u64,
}

impl Rows {
    pub fn read(source: &Source) -> Result<Rows> {
        let mut rows = Rows {
            data: Vec::new(),
            skipped: 0,
        };
        source.scan(|row| {
            if row.iter().all(|v| v.is_some_and(f64::is_finite)) {
                rows.data.extend(row.iter().map(|v| v.unwrap_or_default()));
            } else {
                rows.skipped += 1;
            }
        })?;
        Ok(rows)
    }

    pub fn n(&self, d: usize) -> usize {
        self.data.len() / d
    }
}

/// The metrics of a labelling of `rows` (already in the space distances are measured in).
pub fn metrics(
    rows: &Rows,
    d: usize,
    labels: &[u32],
    k: usize,
    inertia: f64,
    seed: u64,
) -> Result<Value> {
    let n = rows.n(d);
    let sample = (n > SILHOUETTE_SAMPLE).then_some(SILHOUETTE_SAMPLE);
    let mut interrupt = || {
        pgrx::check_for_interrupts!();
    };
    // The quadratic silhouette is the costliest metric; like k-means it uses every core, with
    // the same result for any count.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let silhouette = metrics::silhouette_score_threaded(
        &rows.data,
        d,
        labels,
        k,
        sample,
        seed,
        threads,
        &mut interrupt,
    );
    let ratio = silhouette
        .filter(|_| inertia > 0.0)
        .map(|s| s * 1000.0 / inertia);
    let mut out = json!({
        "inertia": inertia,
        "silhouette": silhouette,
        "silhouette_sampled": sample.is_some(),
        "calinski_harabasz": metrics::calinski_harabasz(&rows.data, d, labels, k),
        "davies_bouldin": metrics::davies_bouldin(&rows.data, d, labels, k),
        "silhouette_inertia_ratio": ratio,
        "rows_used": n,
        "rows_skipped": rows.skipped,
    });
    if silhouette.is_none() {
        let why = if k < 2 {
            "undefined for a single persona"
        } else {
            "undefined unless at least two personas have rows and one has two"
        };
        out["silhouette_note"] = json!(format!("{why} (k = {k}, {n} rows)"));
    }
    Ok(out)
}

/// The metrics of a model version's personas on the rows of `source`.
#[pg_extern(schema = "persona", stable, parallel_safe)]
fn evaluate(model: Option<&str>, version: Option<i32>, source: Option<RegClass>) -> JsonB {
    let model = registry::model_name(model).or_raise();
    let version = version
        .ok_or_else(|| null_value("version must not be null"))
        .or_raise();
    let source = source
        .ok_or_else(|| null_value("source must not be null"))
        .or_raise();
    JsonB(evaluate_version(&model, version, source.0).or_raise())
}

fn evaluate_version(model: &str, version: i32, relation: pg_sys::Oid) -> Result<Value> {
    let scorer = Scorer::new(registry::version(model, version)?)?;
    let source = Source::new(relation, &scorer.model.features)?;
    let d = scorer.d();
    let mut rows = Rows::read(&source)?;
    if rows.n(d) == 0 {
        return Err(invalid(format!(
            "{} has no row with every feature present",
            source.relation
        )));
    }
    let centroids = &scorer.centroids;
    let mut labels = Vec::with_capacity(rows.n(d));
    let mut inertia = 0.0;
    for row in rows.data.chunks_exact_mut(d) {
        centroids.to_scoring_space(row);
        let best = nearest_index(row, centroids.values());
        labels.push(best as u32);
        inertia += sq_euclidean(row, &centroids.values()[best * d..(best + 1) * d]);
    }
    metrics(&rows, d, &labels, centroids.k(), inertia, 0)
}
