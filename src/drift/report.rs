//! The dataset verdict of a check and its saved report (`persona.drift_reports`).

use super::check::{DriftRow, RowKind};
use super::store::big;
use crate::arrays::show;
use crate::error::{invalid, null_value, Result};
use crate::registry::spi_error;
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::{json, Value};

/// Evidently's default share of drifted features that makes the whole dataset drifted.
pub const DEFAULT_DRIFT_SHARE: f64 = 0.5;

/// Checks a `drift_share` argument: a share in (0, 1].
pub fn drift_share(value: Option<f64>) -> Result<f64> {
    let share = value.ok_or_else(|| null_value("drift_share must not be null"))?;
    if !(share > 0.0 && share <= 1.0) {
        return Err(invalid(format!(
            "drift_share must be greater than 0 and at most 1, got {}",
            show(share)
        ))
        .hint(format!(
            "It is the share of features that must drift; Evidently's default is \
             {DEFAULT_DRIFT_SHARE}."
        )));
    }
    Ok(share)
}

/// The dataset verdict over the model features that could be tested.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub dataset_drift: Option<bool>,
    pub drifted: i32,
    pub total: i32,
    pub share: Option<f64>,
}

/// Evidently's rule: drift when drifted / tested >= drift_share. persona_share and distance
/// are reported but not counted: they are consequences of the features, not more evidence.
/// A feature without a verdict (too little data) is not counted either; with no feature
/// tested at all there is no verdict.
pub fn verdict(rows: &[DriftRow], drift_share: f64) -> Verdict {
    let tested: Vec<bool> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Feature)
        .filter_map(|r| r.drifted)
        .collect();
    let total = tested.len() as i32;
    let drifted = tested.iter().filter(|&&d| d).count() as i32;
    let share = (total > 0).then(|| f64::from(drifted) / f64::from(total));
    Verdict {
        dataset_drift: share.map(|s| s >= drift_share),
        drifted,
        total,
        share,
    }
}

/// What a saved report records besides its rows.
pub struct ReportHead<'a> {
    pub model: &'a str,
    pub version: i32,
    pub source: &'a str,
    pub method: &'a str,
    pub drift_share: f64,
    pub n_current: u64,
}

/// Saves a report; returns its id.
pub fn save(head: &ReportHead, verdict: &Verdict, rows: &[DriftRow]) -> Result<i64> {
    let details = Value::Array(rows.iter().map(row_json).collect());
    let args: Vec<DatumWithOid> = vec![
        head.model.into(),
        head.version.into(),
        head.source.into(),
        head.method.into(),
        head.drift_share.into(),
        verdict.dataset_drift.into(),
        verdict.drifted.into(),
        verdict.total.into(),
        verdict.share.into(),
        big(head.n_current).into(),
        JsonB(details).into(),
    ];
    Spi::get_one_with_args::<i64>(
        "INSERT INTO persona.drift_reports (model, version, source, method, drift_share,
             dataset_drift, drifted_features, total_features, share, n_current, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING report_id",
        &args,
    )
    .map_err(spi_error)?
    .ok_or_else(|| spi_error("no report id returned"))
}

/// One row as JSON, in the column order of `persona.drift`, with kind, n_null and the
/// histogram of both sides added.
fn row_json(r: &DriftRow) -> Value {
    json!({
        "feature": r.feature,
        "kind": r.kind.name(),
        "method": r.method.name(),
        "statistic": number(r.statistic),
        "p_value": number(r.p_value),
        "threshold": number(Some(r.threshold)),
        "drifted": r.drifted,
        "n_reference": r.n_reference,
        "n_current": r.n_current,
        "n_null": r.n_null,
        "histogram": r.histogram,
    })
}

/// JSON has no infinity: a chi-square statistic of +inf (a category the reference never had)
/// is kept as the string "Infinity", which `::float8` reads back.
fn number(value: Option<f64>) -> Value {
    match value {
        None => Value::Null,
        Some(v) if v.is_finite() => json!(v),
        Some(v) => Value::String(show(v)),
    }
}
