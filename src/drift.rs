//! Drift monitoring: is new data still distributed like the data a model version was made
//! from?
//!
//! A *baseline* summarises a version's reference rows (its training rows when fitted, any
//! relation given to `persona.set_baseline`), and `persona.drift` / `persona.check_drift`
//! compare a relation with the baseline of the production version, feature by feature, plus
//! the shares of assigned personas and the distance to the nearest centroid. The statistics
//! are persona-math's (Evidently's methods, scipy's numbers); this module reads, decides and
//! stores. `sql/drift.sql` declares the functions and holds the tables.
//!
//! Layout: [`baseline`] (one-pass summaries), [`store`] (baseline tables), [`check`] (current
//! data and comparisons), [`histogram`] (the pictures a saved report keeps), [`report`]
//! (dataset verdict, saved reports), [`settings`] (GUCs).

mod baseline;
mod check;
pub mod histogram;
mod report;
mod settings;
mod store;

pub use settings::register as register_settings;

use crate::error::{invalid, null_value, OrRaise, Result};
use crate::model::Scorer;
use crate::registry;
use crate::source::Source;
use baseline::{Baseline, Builder};
use check::{Current, DriftRow, Options};
use pgrx::pg_sys;
use pgrx::prelude::*;
use report::ReportHead;

/// Stores the baseline of a freshly fitted version from its training rows.
///
/// `data` is n × d row-major in original units, finite rows only; `rows_skipped` counts the
/// rows fit left out for a NULL, NaN or infinite value (they count as read and skipped, since
/// which feature was bad is no longer known). Replaces any baseline the version had. Same
/// summaries as `persona.set_baseline`, so a fitted and an imported model are checked alike.
pub fn store_baseline_from_rows(
    model: &str,
    version: i32,
    data: &[f64],
    d: usize,
    rows_skipped: u64,
) -> Result<()> {
    let scorer = Scorer::new(seeing_own_writes(|| registry::version(model, version))?)?;
    if d != scorer.d() || !data.len().is_multiple_of(d) {
        return Err(invalid(format!(
            "training rows must be n x {} values, got {} values in rows of {d}",
            scorer.d(),
            data.len()
        )));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(invalid("training rows must be finite"));
    }
    let mut builder = Builder::new(&scorer);
    builder.push_finite_rows(data, &mut || {
        pgrx::check_for_interrupts!();
    });
    builder.skipped(rows_skipped);
    let baseline = builder.finish();
    require_rows(&baseline, "training row")?;
    store::save(model, version, "fit", None, &baseline)
}

/// Runs `read` with a snapshot that sees this transaction's own writes so far.
///
/// The registry is read with the calling statement's snapshot, which cannot see the version
/// fit has registered earlier in the same statement. As PL/pgSQL does between two statements
/// of a volatile function, advance the command counter and read with a copy of the snapshot
/// that carries the new command id.
fn seeing_own_writes<T>(read: impl FnOnce() -> T) -> T {
    // SAFETY: the pushed snapshot is a fresh copy, popped below; if `read` raises an ERROR,
    // the transaction (or subtransaction) abort pops it.
    unsafe {
        pg_sys::CommandCounterIncrement();
        if pg_sys::ActiveSnapshotSet() {
            pg_sys::PushCopiedSnapshot(pg_sys::GetActiveSnapshot());
            pg_sys::UpdateActiveSnapshotCommandId();
        } else {
            pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
        }
    }
    let out = read();
    // SAFETY: pops exactly the snapshot pushed above.
    unsafe { pg_sys::PopActiveSnapshot() };
    out
}

/// A baseline needs at least one complete row: without one there are no persona shares or
/// distances to compare with, and every check would be empty.
fn require_rows(baseline: &Baseline, row: &str) -> Result<()> {
    if baseline.complete_rows() > 0 {
        return Ok(());
    }
    Err(invalid(format!(
        "no {row} has every feature present and finite ({} rows read)",
        baseline.n_rows
    ))
    .hint("A baseline is made from reference rows; rows with NULL, NaN or infinite features are left out."))
}

/// `persona.set_baseline(model, source, version)`: see sql/drift.sql.
#[pg_extern(sql = false)]
fn set_baseline(model: Option<&str>, source: Option<pg_sys::Oid>, version: Option<i32>) -> i32 {
    set_baseline_from(model, source, version).or_raise()
}

fn set_baseline_from(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
    version: Option<i32>,
) -> Result<i32> {
    let (model, relation) = model_and_source(model, source)?;
    let value = match version {
        None => registry::production(&model)?,
        Some(v) => registry::version(&model, v)?,
    };
    let version = value.version;
    let scorer = Scorer::new(value)?;
    let source = Source::new(relation, &scorer.model.features)?;
    let mut builder = Builder::new(&scorer);
    source.scan(|row| builder.push(row))?;
    let baseline = builder.finish();
    require_rows(&baseline, &format!("row of {}", source.relation))?;
    store::save(
        &model,
        version,
        "set_baseline",
        Some(&source.relation),
        &baseline,
    )?;
    Ok(version)
}

/// A finished comparison of a source with the production version's baseline.
struct Check {
    model: String,
    version: i32,
    source: String,
    n_current: u64,
    rows: Vec<DriftRow>,
}

/// The model name and relation arguments every function takes, checked.
fn model_and_source(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
) -> Result<(String, pg_sys::Oid)> {
    let model = registry::model_name(model)?;
    let relation = source.ok_or_else(|| null_value("source must not be null"))?;
    Ok((model, relation))
}

/// Reads the production version and its baseline, scans the source once and compares.
fn run_check(model: String, relation: pg_sys::Oid, options: &Options) -> Result<Check> {
    let scorer = Scorer::new(registry::production(&model)?)?;
    let baseline = store::load(&scorer.model)?;
    let source = Source::new(relation, &scorer.model.features)?;
    let current = Current::collect(&source, &scorer)?;
    let n_current = current.n_rows;
    Ok(Check {
        model,
        version: scorer.model.version,
        source: source.relation,
        n_current,
        rows: check::compare(&baseline, current, options, &scorer.model.labels),
    })
}

type DriftTuple = (
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<bool>,
    Option<i64>,
    Option<i64>,
);

/// `persona.drift(model, source, method, threshold)`: see sql/drift.sql.
// pgrx reads the column names from `name!` inside the signature, so the tuple stays inline.
#[allow(clippy::type_complexity)]
#[pg_extern(sql = false)]
fn drift(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
    method: Option<&str>,
    threshold: Option<f64>,
) -> TableIterator<
    'static,
    (
        name!(feature, Option<String>),
        name!(method, Option<String>),
        name!(statistic, Option<f64>),
        name!(p_value, Option<f64>),
        name!(threshold, Option<f64>),
        name!(drifted, Option<bool>),
        name!(n_reference, Option<i64>),
        name!(n_current, Option<i64>),
    ),
> {
    let check = drift_rows(model, source, method, threshold).or_raise();
    TableIterator::new(check.rows.into_iter().map(drift_tuple))
}

fn drift_rows(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
    method: Option<&str>,
    threshold: Option<f64>,
) -> Result<Check> {
    let (model, relation) = model_and_source(model, source)?;
    let options = Options::new(method, threshold, settings::min_rows())?;
    run_check(model, relation, &options)
}

fn drift_tuple(r: DriftRow) -> DriftTuple {
    (
        Some(r.feature),
        Some(r.method.name().to_string()),
        r.statistic,
        r.p_value,
        Some(r.threshold),
        r.drifted,
        Some(store::big(r.n_reference)),
        Some(store::big(r.n_current)),
    )
}

/// `persona.check_drift(model, source, drift_share, method)`: see sql/drift.sql.
#[allow(clippy::type_complexity)]
#[pg_extern(sql = false)]
fn check_drift(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
    drift_share: Option<f64>,
    method: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(report_id, Option<i64>),
        name!(dataset_drift, Option<bool>),
        name!(drifted_features, Option<i32>),
        name!(total_features, Option<i32>),
        name!(share, Option<f64>),
    ),
> {
    let row = check_and_save(model, source, drift_share, method).or_raise();
    TableIterator::once(row)
}

type ReportTuple = (
    Option<i64>,
    Option<bool>,
    Option<i32>,
    Option<i32>,
    Option<f64>,
);

fn check_and_save(
    model: Option<&str>,
    source: Option<pg_sys::Oid>,
    drift_share: Option<f64>,
    method: Option<&str>,
) -> Result<ReportTuple> {
    let (model, relation) = model_and_source(model, source)?;
    let share_limit = report::drift_share(drift_share)?;
    let options = Options::new(method, None, settings::min_rows())?;
    let check = run_check(model, relation, &options)?;
    let verdict = report::verdict(&check.rows, share_limit);
    let head = ReportHead {
        model: &check.model,
        version: check.version,
        source: &check.source,
        method: options.requested.name(),
        drift_share: share_limit,
        n_current: check.n_current,
    };
    let id = report::save(&head, &verdict, &check.rows)?;
    Ok((
        Some(id),
        verdict.dataset_drift,
        Some(verdict.drifted),
        Some(verdict.total),
        verdict.share,
    ))
}
