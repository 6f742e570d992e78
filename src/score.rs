//! Scoring: the nearest persona of a feature vector.
//!
//! A model is loaded once per query and call site, not once per row: the first call of a
//! function in a query reads the registry (or decodes the `persona_model` value), validates it
//! and keeps the ready-to-use centroids in `fn_extra`, which PostgreSQL keeps for the life of
//! that call site in that query. Every later row pays only for reading its array and k
//! distances. The registry is read with the statement's snapshot, so a version promoted and
//! committed is used from the next statement on, and no statement mixes two versions.

use crate::arrays::{feature_vector, invalid_features_error, Float8Arg, Float8Array};
use crate::error::{OrRaise, Result};
use crate::guc::{InvalidFeatures, INVALID_FEATURES};
use crate::model::{PersonaModel, Scorer};
use crate::registry;
use persona_math::distance::Nearest;
use pgrx::prelude::*;
use pgrx::{pg_sys, PgMemoryContexts};
use std::cell::RefCell;

/// Where a call site's model comes from; a change of source between rows reloads it.
enum Source {
    /// `persona.default_model`, or the one model in production.
    Default,
    /// A model named in the call.
    Named(String),
    /// A `persona_model` value, identified by its bytes.
    Value(Vec<u8>),
}

/// A row's [`Source`], borrowed from its arguments: comparing it with the loaded one costs no
/// allocation, which matters at a million rows.
#[derive(Clone, Copy)]
enum SourceKey<'a> {
    Default,
    Named(&'a str),
    Value(&'a [u8]),
}

impl Source {
    fn is(&self, key: SourceKey<'_>) -> bool {
        match (self, key) {
            (Source::Default, SourceKey::Default) => true,
            (Source::Named(a), SourceKey::Named(b)) => a == b,
            (Source::Value(a), SourceKey::Value(b)) => a.as_slice() == b,
            _ => false,
        }
    }

    fn from_key(key: SourceKey<'_>) -> Source {
        match key {
            SourceKey::Default => Source::Default,
            SourceKey::Named(name) => Source::Named(name.to_string()),
            SourceKey::Value(bytes) => Source::Value(bytes.to_vec()),
        }
    }
}

/// What one call site keeps between rows of one query.
struct Site {
    source: Source,
    scorer: Scorer,
    scratch: Vec<f64>,
}

impl Site {
    fn load(source: Source, value: Option<PersonaModel>) -> Result<Site> {
        let model = match (&source, value) {
            (_, Some(value)) => value,
            (Source::Default, None) => registry::production(&registry::default_model()?)?,
            (Source::Named(name), None) => registry::production(name)?,
            (Source::Value(_), None) => unreachable!("a value source always carries its model"),
        };
        let scorer = Scorer::new(model)?;
        let scratch = vec![0.0; scorer.d()];
        Ok(Site {
            source,
            scorer,
            scratch,
        })
    }

    /// The 0-based persona of `features`, or `None` for an invalid vector under
    /// `persona.invalid_features = null`.
    fn classify(&mut self, features: Float8Arg<'_>) -> Result<Option<usize>> {
        let array = Float8Array::from_arg(features);
        match feature_vector(&array, self.scorer.d())? {
            Ok(x) => Ok(Some(self.scorer.centroids.assign(x, &mut self.scratch))),
            Err(why) => invalid_row(why, array.data),
        }
    }

    fn nearest(&mut self, features: Float8Arg<'_>) -> Result<Option<Nearest>> {
        let array = Float8Array::from_arg(features);
        match feature_vector(&array, self.scorer.d())? {
            Ok(x) => Ok(Some(self.scorer.centroids.nearest(x, &mut self.scratch))),
            Err(why) => invalid_row(why, array.data),
        }
    }
}

fn invalid_row<T>(why: crate::arrays::Invalid, data: Option<&[f64]>) -> Result<Option<T>> {
    match INVALID_FEATURES.get() {
        InvalidFeatures::Null => Ok(None),
        InvalidFeatures::Error => Err(invalid_features_error(why, data)),
    }
}

thread_local! {
    /// The loaded model of every live call site, keyed by its `FmgrInfo` address.
    ///
    /// Not `fn_extra`: set-returning functions (persona.nearest) hand that to the SRF
    /// machinery, which clears it after every call. A handful of call sites are live at a
    /// time, so a short list beats a hash map. Each entry is removed when the call site's
    /// memory context (the query's) goes away.
    static SITES: RefCell<Vec<(usize, Box<Site>)>> = const { RefCell::new(Vec::new()) };
}

/// Removes a call site's entry when its memory context is reset or deleted.
struct SiteGuard(usize);

impl Drop for SiteGuard {
    fn drop(&mut self) {
        SITES.with(|sites| sites.borrow_mut().retain(|(key, _)| *key != self.0));
    }
}

/// The call site's model for `source`, loaded on the first row or when the source changed.
/// `value` decodes a `persona_model` argument; it runs only on a (re)load.
fn site<'a>(
    fcinfo: pg_sys::FunctionCallInfo,
    source: SourceKey<'_>,
    value: impl FnOnce() -> Option<PersonaModel>,
) -> Result<&'a mut Site> {
    // SAFETY: fcinfo comes from PostgreSQL and its flinfo outlives this call.
    let flinfo = unsafe { (*fcinfo).flinfo };
    let key = flinfo as usize;
    let cached = SITES.with(|sites| {
        let mut sites = sites.borrow_mut();
        let entry = sites.iter_mut().find(|(k, _)| *k == key)?;
        Some((entry.1.source.is(source), &mut *entry.1 as *mut Site))
    });
    match cached {
        // SAFETY: the box stays in SITES until the query's memory context goes away, and a
        // backend runs one call at a time.
        Some((true, site)) => return Ok(unsafe { &mut *site }),
        Some((false, _)) => SITES.with(|s| s.borrow_mut().retain(|(k, _)| *k != key)),
        None => unsafe {
            PgMemoryContexts::For((*flinfo).fn_mcxt).leak_and_drop_on_delete(SiteGuard(key));
        },
    }
    let mut site = Box::new(Site::load(Source::from_key(source), value())?);
    let ptr = &mut *site as *mut Site;
    SITES.with(|sites| sites.borrow_mut().push((key, site)));
    // SAFETY: as above.
    Ok(unsafe { &mut *ptr })
}

fn named(model: Option<&str>) -> SourceKey<'_> {
    model.map_or(SourceKey::Default, SourceKey::Named)
}

/// Label of the nearest persona under a registry model.
///
/// The label is borrowed from the call site's model, which outlives the call; pgrx copies it
/// into the text result as soon as the function returns, so no `String` is made per row.
fn label<'a>(
    fcinfo: pg_sys::FunctionCallInfo,
    model: Option<&str>,
    x: Float8Arg<'_>,
) -> Option<&'a str> {
    let site = site(fcinfo, named(model), || None).or_raise();
    let index = site.classify(x).or_raise()?;
    Some(site.scorer.label(index))
}

/// 1-based id of the nearest persona under a registry model.
fn id(fcinfo: pg_sys::FunctionCallInfo, model: Option<&str>, x: Float8Arg<'_>) -> Option<i32> {
    let site = site(fcinfo, named(model), || None).or_raise();
    site.classify(x).or_raise().map(|i| i as i32 + 1)
}

#[pg_extern(name = "assign_persona", stable, strict, parallel_safe)]
fn assign_persona_default(
    features: Float8Arg<'_>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<&'static str> {
    label(fcinfo, None, features)
}

#[pg_extern(name = "assign_persona", stable, strict, parallel_safe)]
fn assign_persona_named(
    features: Float8Arg<'_>,
    model: &str,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<&'static str> {
    label(fcinfo, Some(model), features)
}

#[pg_extern(name = "assign_persona_id", stable, strict, parallel_safe)]
fn assign_persona_id_default(
    features: Float8Arg<'_>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<i32> {
    id(fcinfo, None, features)
}

#[pg_extern(name = "assign_persona_id", stable, strict, parallel_safe)]
fn assign_persona_id_named(
    features: Float8Arg<'_>,
    model: &str,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<i32> {
    id(fcinfo, Some(model), features)
}

type NearestRow = (
    Option<i32>,
    Option<String>,
    Option<f64>,
    Option<i32>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

/// Why a row got its persona: the nearest and the runner-up, with Euclidean distances.
// pgrx reads the column names from `name!` inside the signature, so the tuple stays inline.
#[allow(clippy::type_complexity)]
#[pg_extern(schema = "persona", stable, parallel_safe)]
fn nearest(
    features: Option<Float8Arg<'_>>,
    model: default!(Option<&str>, "NULL"),
    fcinfo: pg_sys::FunctionCallInfo,
) -> TableIterator<
    'static,
    (
        name!(persona_id, Option<i32>),
        name!(persona, Option<String>),
        name!(distance, Option<f64>),
        name!(runner_up_id, Option<i32>),
        name!(runner_up, Option<String>),
        name!(runner_up_distance, Option<f64>),
        name!(margin, Option<f64>),
    ),
> {
    let Some(features) = features else {
        return TableIterator::new(std::iter::empty());
    };
    let site = site(fcinfo, named(model), || None).or_raise();
    let row = site
        .nearest(features)
        .or_raise()
        .map(|n| explain(&site.scorer, n));
    TableIterator::new(row)
}

fn explain(scorer: &Scorer, n: Nearest) -> NearestRow {
    let distance = n.best_distance();
    let runner_up = n.second.map(|j| {
        (
            j as i32 + 1,
            scorer.label(j).to_string(),
            n.second_distance(),
        )
    });
    (
        Some(n.best as i32 + 1),
        Some(scorer.label(n.best).to_string()),
        Some(distance),
        runner_up.as_ref().map(|r| r.0),
        runner_up.as_ref().map(|r| r.1.clone()),
        runner_up.as_ref().map(|r| r.2),
        runner_up.as_ref().map(|r| r.2 - distance),
    )
}

/// The production version of a model as a value, for `persona.assign` and friends.
#[pg_extern(schema = "persona", stable, parallel_safe)]
fn model_value(model: default!(Option<&str>, "NULL")) -> PersonaModel {
    let name = match model {
        Some(m) => m.to_string(),
        None => registry::default_model().or_raise(),
    };
    registry::production(&name).or_raise()
}

/// Any version of a model as a value: scores a staging version before it is promoted.
#[pg_extern(
    schema = "persona",
    name = "model_value",
    stable,
    strict,
    parallel_safe
)]
fn model_version_value(model: &str, version: i32) -> PersonaModel {
    registry::version(model, version).or_raise()
}

/// The raw bytes of a `persona_model` argument, to recognise the same value on later rows.
fn value_bytes<'a>(fcinfo: pg_sys::FunctionCallInfo, arg: usize) -> &'a [u8] {
    // SAFETY: the function is STRICT, so the argument is a non-null varlena.
    unsafe {
        let datum = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, arg);
        let ptr = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        pgrx::varlena::varlena_to_byte_slice(ptr)
    }
}

/// Decodes a `persona_model` argument.
fn value_model(fcinfo: pg_sys::FunctionCallInfo, arg: usize) -> Option<PersonaModel> {
    // SAFETY: as above; FromDatum detoasts and decodes the varlena.
    unsafe { PersonaModel::from_datum(pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, arg), false) }
}

/// The kernel behind `persona.assign`: label of the nearest persona of a model value.
/// It reads no table, hence IMMUTABLE: a distributed planner may run it where the rows live.
#[pg_extern(sql = false)]
fn assign_value(features: Float8Arg<'_>, fcinfo: pg_sys::FunctionCallInfo) -> Option<&'static str> {
    let site = site(fcinfo, SourceKey::Value(value_bytes(fcinfo, 1)), || {
        value_model(fcinfo, 1)
    })
    .or_raise();
    let index = site.classify(features).or_raise()?;
    // Borrowed from the call site's model and copied into the result by pgrx (see `label`).
    Some(site.scorer.label(index))
}

/// The kernel behind `persona.assign_id`.
#[pg_extern(sql = false)]
fn assign_id_value(features: Float8Arg<'_>, fcinfo: pg_sys::FunctionCallInfo) -> Option<i32> {
    let site = site(fcinfo, SourceKey::Value(value_bytes(fcinfo, 1)), || {
        value_model(fcinfo, 1)
    })
    .or_raise();
    site.classify(features).or_raise().map(|i| i as i32 + 1)
}
