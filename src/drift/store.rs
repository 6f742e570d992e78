//! Reading and writing baselines (`persona.baselines`, `persona.baseline_features`).

use super::baseline::{Baseline, ColumnBaseline, Kind};
use crate::arrays::Float8Array;
use crate::error::{Code, PersonaError, Result};
use crate::model::PersonaModel;
use crate::registry::spi_error;
use crate::spi_read::{self, Row};
use persona_math::drift::NumKey;
use pgrx::datum::{Array, DatumWithOid};
use pgrx::prelude::*;
use std::collections::BTreeMap;

/// A count as a bigint; counts beyond i64 cannot occur in one scan but must not wrap.
pub fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn small(n: Option<i64>) -> u64 {
    n.map_or(0, |v| v.max(0) as u64)
}

/// Stores `baseline` for a version, replacing any earlier one in the same transaction.
///
/// The upsert of the `baselines` row comes first: it locks that row, so two sessions setting
/// the same baseline take turns instead of one failing on the primary key.
pub fn save(
    model: &str,
    version: i32,
    origin: &str,
    source: Option<&str>,
    baseline: &Baseline,
) -> Result<()> {
    let counts: Vec<i64> = baseline.persona_counts.iter().map(|&c| big(c)).collect();
    let args: Vec<DatumWithOid> = vec![
        model.into(),
        version.into(),
        origin.into(),
        source.into(),
        big(baseline.n_rows).into(),
        big(baseline.rows_skipped).into(),
        counts.into(),
        (baseline.sample_size.min(i32::MAX as usize) as i32).into(),
    ];
    Spi::run_with_args(
        "INSERT INTO persona.baselines AS b (model, version, origin, source, n_rows,
                                             rows_skipped, persona_counts, sample_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (model, version) DO UPDATE
            SET origin = excluded.origin, source = excluded.source, n_rows = excluded.n_rows,
                rows_skipped = excluded.rows_skipped, persona_counts = excluded.persona_counts,
                sample_size = excluded.sample_size, created_at = now(),
                created_by = current_user",
        &args,
    )
    .map_err(spi_error)?;
    Spi::run_with_args(
        "DELETE FROM persona.baseline_features WHERE model = $1 AND version = $2",
        &[model.into(), version.into()],
    )
    .map_err(spi_error)?;
    let columns = baseline.features.iter().chain([&baseline.distance]);
    for (i, column) in columns.enumerate() {
        save_column(model, version, i as i32 + 1, column)?;
    }
    Ok(())
}

fn save_column(model: &str, version: i32, ordinal: i32, c: &ColumnBaseline) -> Result<()> {
    let (categories, counts) = match &c.categories {
        Some(map) => (
            Some(map.keys().map(|k| k.value()).collect::<Vec<f64>>()),
            Some(map.values().map(|&n| big(n)).collect::<Vec<i64>>()),
        ),
        None => (None, None),
    };
    let args: Vec<DatumWithOid> = vec![
        model.into(),
        version.into(),
        ordinal.into(),
        c.feature.as_str().into(),
        c.kind.name().into(),
        big(c.n_rows).into(),
        big(c.n_null).into(),
        c.mean.into(),
        c.std.into(),
        c.edges.clone().into(),
        c.shares.clone().into(),
        c.sample.clone().into(),
        categories.into(),
        counts.into(),
    ];
    Spi::run_with_args(
        "INSERT INTO persona.baseline_features (model, version, ordinal, feature, kind, n_rows,
             n_null, mean, std, edges, shares, sample, categories, category_counts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &args,
    )
    .map_err(spi_error)
}

/// The baseline of a model version; 55000 if it has none or it no longer fits the version.
pub fn load(model: &PersonaModel) -> Result<Baseline> {
    let version = model.version.to_string();
    let params = [model.model.as_str(), version.as_str()];
    let head = spi_read::select(
        "SELECT persona_counts, n_rows, rows_skipped, sample_size FROM persona.baselines
          WHERE model = $1 AND version = $2::integer",
        &params,
        |row| {
            let counts: Vec<Option<i64>> = row.get(1).unwrap_or_default();
            (
                counts.into_iter().map(small).collect::<Vec<u64>>(),
                small(row.get(2)),
                small(row.get(3)),
                small(row.get::<i32>(4).map(i64::from)) as usize,
            )
        },
    )?;
    let Some((persona_counts, n_rows, rows_skipped, sample_size)) = head.into_iter().next() else {
        return Err(no_baseline(model));
    };
    let mut columns = spi_read::select(
        "SELECT feature, kind, n_rows, n_null, mean, std, edges, shares, sample, categories,
                category_counts
           FROM persona.baseline_features
          WHERE model = $1 AND version = $2::integer ORDER BY ordinal",
        &params,
        read_column,
    )?;
    let fits = columns.len() == model.features.len() + 1
        && persona_counts.len() == model.centroids.len()
        && columns
            .iter()
            .zip(&model.features)
            .all(|(c, f)| c.kind == Kind::Feature && &c.feature == f)
        && columns.last().is_some_and(|c| c.kind == Kind::Distance);
    if !fits {
        return Err(stale_baseline(model));
    }
    let distance = columns.pop().ok_or_else(|| stale_baseline(model))?;
    Ok(Baseline {
        features: columns,
        distance,
        persona_counts,
        n_rows,
        rows_skipped,
        sample_size,
    })
}

fn read_column(row: &Row) -> ColumnBaseline {
    // The sample holds up to persona.baseline_sample_size values per column: read it as one
    // slice rather than element by element (the slow path is only for an array with NULLs).
    let floats = |i: i32| -> Vec<f64> {
        let Some(array) = row.get::<Array<f64>>(i) else {
            return Vec::new();
        };
        let array = Float8Array::new(array);
        match array.data {
            Some(values) => values.iter().copied().filter(|v| v.is_finite()).collect(),
            None => row
                .get::<Vec<Option<f64>>>(i)
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .filter(|v| v.is_finite())
                .collect(),
        }
    };
    let mut sample = floats(9);
    sample.sort_unstable_by(f64::total_cmp);
    let mut edges = floats(7);
    edges.sort_unstable_by(f64::total_cmp);
    edges.dedup();
    ColumnBaseline {
        feature: row.get(1).unwrap_or_default(),
        kind: match row.get::<String>(2).as_deref() {
            Some("distance") => Kind::Distance,
            _ => Kind::Feature,
        },
        n_rows: small(row.get(3)),
        n_null: small(row.get(4)),
        mean: row.get(5),
        std: row.get(6),
        edges,
        shares: floats(8),
        sample,
        categories: read_categories(row.get(10), row.get(11)),
    }
}

fn read_categories(
    values: Option<Vec<Option<f64>>>,
    counts: Option<Vec<Option<i64>>>,
) -> Option<BTreeMap<NumKey, u64>> {
    let (values, counts) = (values?, counts?);
    if values.len() != counts.len() || values.is_empty() {
        return None;
    }
    let mut map = BTreeMap::new();
    for (v, c) in values.into_iter().zip(counts) {
        let key = NumKey::new(v?)?;
        *map.entry(key).or_insert(0u64) += small(c);
    }
    Some(map)
}

fn no_baseline(model: &PersonaModel) -> PersonaError {
    PersonaError::new(
        Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!(
            "version {} of model \"{}\" has no drift baseline",
            model.version, model.model
        ),
    )
    .hint(format!(
        "Store one with persona.set_baseline('{}', 'reference_table'::regclass).",
        model.model.replace('\'', "''")
    ))
}

fn stale_baseline(model: &PersonaModel) -> PersonaError {
    PersonaError::new(
        Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!(
            "the drift baseline of version {} of model \"{}\" does not match its features \
             and personas",
            model.version, model.model
        ),
    )
    .hint("Store it again with persona.set_baseline.")
}
