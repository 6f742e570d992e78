//! `persona.feature_stats(features float8[])`: per-feature count, mean, standard deviation and
//! range of many rows, as an aggregate that splits.
//!
//! The statistics fit and drift start from (moments and ranges of every feature) are a
//! mergeable state (`persona_math::gather`): each parallel worker, or each shard of a
//! distributed table, aggregates its rows, serializes its state to bytea, and the leader
//! combines the parts. PostgreSQL's parallel query does exactly that with the combine, serial
//! and deserial functions declared in sql/gather.sql; Citus pushes the same aggregate to its
//! workers the same way.
//!
//! The state is a Rust value allocated in the aggregate's memory context and dropped with it,
//! so an aborted query frees it too.

use crate::error::{invalid, Code, OrRaise, PersonaError};
use persona_math::gather::{FeatureStats, WidthMismatch};
use pgrx::datum::{Array, Internal, JsonB};
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;
use serde_json::json;

/// A new state in the aggregate's memory context; an error when not called as an aggregate.
fn new_state(fcinfo: pg_sys::FunctionCallInfo, value: FeatureStats) -> Internal {
    let mut context = std::ptr::null_mut();
    // SAFETY: fcinfo is this call's, from PostgreSQL.
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut context) } == 0 || context.is_null() {
        PersonaError::new(
            Code::ERRCODE_FEATURE_NOT_SUPPORTED,
            "persona.feature_stats support functions can only be called by the aggregate",
        )
        .raise();
    }
    let ptr = PgMemoryContexts::For(context).leak_and_drop_on_delete(value);
    Internal::from(Some(pg_sys::Datum::from(ptr)))
}

/// The state behind an `internal` argument made by [`new_state`].
fn state_mut(state: &mut Internal) -> Option<&mut FeatureStats> {
    // SAFETY: every non-NULL internal these functions receive was made by `new_state`, the
    // only place their states come from (the functions take and return `internal`, which SQL
    // cannot construct).
    unsafe { state.get_mut::<FeatureStats>() }
}

fn width_error(e: WidthMismatch) -> PersonaError {
    invalid(format!(
        "persona.feature_stats: expected {} features, got {}",
        e.expected, e.got
    ))
    .hint("Every row must have the same number of features, in the same order.")
}

/// Transition: adds one row. A NULL array is skipped; NULL, NaN and infinite elements are
/// counted as left out of their feature.
#[pg_extern(sql = false)]
fn feature_stats_step(
    mut state: Internal,
    features: Option<Array<'_, f64>>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(features) = features else {
        return state;
    };
    let row: Vec<Option<f64>> = features.iter().collect();
    if !state.initialized() {
        state = new_state(fcinfo, FeatureStats::new());
    }
    if let Some(s) = state_mut(&mut state) {
        s.push(&row).map_err(width_error).or_raise();
    }
    state
}

/// Combine: merges the second partial state into the first.
#[pg_extern(sql = false)]
fn feature_stats_combine(
    mut first: Internal,
    mut second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(other) = state_mut(&mut second).map(|s| s.clone()) else {
        return first;
    };
    match state_mut(&mut first) {
        Some(s) => {
            s.merge(&other).map_err(width_error).or_raise();
            first
        }
        None => new_state(fcinfo, other),
    }
}

/// Serial: the state as bytea, for the trip from a worker to the leader.
#[pg_extern(sql = false)]
fn feature_stats_serialize(mut state: Internal) -> Option<Vec<u8>> {
    state_mut(&mut state).map(|s| s.to_bytes())
}

/// Deserial: a state back from bytea, in the aggregate's memory context.
#[pg_extern(sql = false)]
fn feature_stats_deserialize(
    bytes: &[u8],
    _unused: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let value = FeatureStats::from_bytes(bytes)
        .ok_or_else(|| {
            PersonaError::new(
                Code::ERRCODE_INVALID_BINARY_REPRESENTATION,
                "persona.feature_stats: not a serialized feature_stats state",
            )
        })
        .or_raise();
    new_state(fcinfo, value)
}

/// Final: one JSON object per feature, in order; NULL when no row was aggregated.
#[pg_extern(sql = false)]
fn feature_stats_final(mut state: Internal) -> Option<JsonB> {
    let s = state_mut(&mut state)?;
    let rows = s.rows();
    let features: Vec<_> = s
        .columns()
        .iter()
        .map(|c| {
            json!({
                "n": c.n, "n_null": c.n_null, "mean": c.mean, "std": c.std,
                "min": c.min, "max": c.max,
            })
        })
        .collect();
    Some(JsonB(json!({ "rows": rows, "features": features })))
}
