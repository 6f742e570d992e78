//! Reading and writing the model registry (`sql/registry.sql` holds the tables).

use crate::arrays::{self, Float8Array};
use crate::error::{invalid, null_value, undefined_object, Code, OrRaise, PersonaError, Result};
use crate::guc;
use crate::model::PersonaModel;
use crate::spi_read;
use pgrx::datum::{Array, DatumWithOid};
use pgrx::prelude::*;

/// Registers a k × d matrix of centroids as a new version of `model`.
#[pg_extern(schema = "persona", volatile, parallel_unsafe)]
fn import_centroids(
    model: Option<&str>,
    centroids: Option<Array<'_, f64>>,
    labels: default!(Option<Vec<Option<String>>>, "NULL"),
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    promote: default!(Option<bool>, "true"),
) -> i32 {
    import(model, centroids, labels, features, promote).or_raise()
}

fn import(
    model: Option<&str>,
    centroids: Option<Array<'_, f64>>,
    labels: Option<Vec<Option<String>>>,
    features: Option<Vec<Option<String>>>,
    promote: Option<bool>,
) -> Result<i32> {
    let model = new_model_name(model)?;
    let centroids = centroids.ok_or_else(|| null_value("centroids must not be null"))?;
    let matrix = arrays::matrix(&Float8Array::new(centroids), "centroids")?;
    let labels = names(labels, matrix.k, "labels", "persona")?;
    let features = names(features, matrix.d, "features", "x")?;
    let rows: Vec<Vec<f64>> = matrix
        .values
        .chunks(matrix.d)
        .map(<[f64]>::to_vec)
        .collect();
    let version = NewVersion {
        model,
        labels,
        features,
        centroids: rows,
        scaler: None,
    };
    let promote = promote.ok_or_else(|| null_value("promote must not be null"))?;
    register(&version, "import", promote)
}

/// A validated version, ready to store.
pub struct NewVersion {
    pub model: String,
    pub labels: Vec<String>,
    pub features: Vec<String>,
    pub centroids: Vec<Vec<f64>>,
    pub scaler: Option<(Vec<f64>, Vec<f64>)>,
}

/// Stores a version; returns its number.
pub fn register(v: &NewVersion, origin: &str, promote: bool) -> Result<i32> {
    let k = v.centroids.len() as i32;
    let (mean, scale) = match &v.scaler {
        Some((m, s)) => (Some(m.clone()), Some(s.clone())),
        None => (None, None),
    };
    let matrix = matrix_literal(&v.centroids);
    let args: Vec<DatumWithOid> = vec![
        v.model.as_str().into(),
        k.into(),
        v.features.clone().into(),
        v.labels.clone().into(),
        matrix.as_str().into(),
        mean.into(),
        scale.into(),
        origin.into(),
        promote.into(),
    ];
    let version = Spi::get_one_with_args::<i32>(
        "SELECT persona._register_version($1, $2, $3, $4, $5::float8[], $6, $7, $8, $9)",
        &args,
    );
    version
        .map_err(spi_error)?
        .ok_or_else(|| spi_error("no version number returned"))
}

/// A 2-D array literal for SPI; Rust has no 2-D float8[] datum type to bind directly.
fn matrix_literal(rows: &[Vec<f64>]) -> String {
    let inner: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r.iter().map(|v| format!("{v:?}")).collect();
            format!("{{{}}}", cells.join(","))
        })
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Checks a model name argument.
pub fn model_name(model: Option<&str>) -> Result<String> {
    match model {
        None => Err(null_value("model name must not be null")),
        Some(m) if m.trim().is_empty() => Err(invalid("model name must not be empty")),
        Some(m) => Ok(m.to_string()),
    }
}

/// The longest model name or persona label a new version may have: names show up in hints,
/// NOTIFY payloads and GUI grids, so a name is kept to a readable length.
const MAX_MODEL_NAME: usize = 200;

/// A model name for a new version: [`model_name`], and no longer than [`MAX_MODEL_NAME`].
pub fn new_model_name(model: Option<&str>) -> Result<String> {
    let name = model_name(model)?;
    let chars = name.chars().count();
    if chars > MAX_MODEL_NAME {
        return Err(invalid(format!(
            "model name must be at most {MAX_MODEL_NAME} characters, got {chars}"
        )));
    }
    Ok(name)
}

/// Checks a list of labels or feature names, or makes the default `prefix 1..n` list.
fn names(
    given: Option<Vec<Option<String>>>,
    n: usize,
    what: &str,
    prefix: &str,
) -> Result<Vec<String>> {
    let Some(given) = given else {
        let sep = if prefix.len() > 1 { " " } else { "" };
        return Ok((1..=n).map(|i| format!("{prefix}{sep}{i}")).collect());
    };
    if given.len() != n {
        let unit = if what == "labels" {
            "centroid"
        } else {
            "centroid column"
        };
        return Err(invalid(format!(
            "expected {n} {what} (one per {unit}), got {}",
            given.len()
        )));
    }
    let mut out = Vec::with_capacity(n);
    for (i, name) in given.into_iter().enumerate() {
        let name = name.ok_or_else(|| null_value(format!("{what} must not contain NULL")))?;
        if name.trim().is_empty() {
            return Err(invalid(format!(
                "{what} must not be empty strings (element {})",
                i + 1
            )));
        }
        if out.contains(&name) {
            return Err(invalid(format!(
                "{what} must be distinct, \"{name}\" appears twice"
            )));
        }
        if name.chars().count() > MAX_MODEL_NAME {
            return Err(invalid(format!(
                "{what} must be at most {MAX_MODEL_NAME} characters each (element {})",
                i + 1
            )));
        }
        out.push(name);
    }
    Ok(out)
}

/// The production version of `model` as a value (read with the statement's snapshot).
pub fn production(model: &str) -> Result<PersonaModel> {
    let rows = read_versions(model, "stage = 'production'", &[model])?;
    rows.into_iter()
        .next()
        .ok_or_else(|| missing_production(model))
}

/// One version of `model` as a value; 42704 if it does not exist.
pub fn version(model: &str, version: i32) -> Result<PersonaModel> {
    let v = version.to_string();
    let rows = read_versions(model, "version = $2::integer", &[model, &v])?;
    rows.into_iter().next().ok_or_else(|| {
        undefined_object(format!(
            "version {version} of model \"{model}\" does not exist"
        ))
        .hint("The versions of a model are listed in persona.models.")
    })
}

/// The features of the model's production version, else of its newest version; `None` for
/// a model with no version.
pub fn latest_features(model: &str) -> Result<Option<Vec<String>>> {
    let rows = spi_read::select(
        "SELECT features FROM persona.model_versions WHERE model = $1
          ORDER BY stage = 'production' DESC, version DESC LIMIT 1",
        &[model],
        |row| row.get::<Vec<String>>(1),
    )?;
    Ok(rows.into_iter().flatten().next())
}

/// Versions of `model` matching `condition` (parameters: $1 = model, then `params[1..]`).
fn read_versions(model: &str, condition: &str, params: &[&str]) -> Result<Vec<PersonaModel>> {
    let query = format!(
        "SELECT version, features, labels, centroids, scaler_mean, scaler_scale
           FROM persona.model_versions WHERE model = $1 AND {condition}"
    );
    spi_read::select(&query, params, |row| PersonaModel {
        model: model.to_string(),
        version: row.get::<i32>(1).unwrap_or_default(),
        features: row.get::<Vec<String>>(2).unwrap_or_default(),
        labels: row.get::<Vec<String>>(3).unwrap_or_default(),
        centroids: rows_of(row.get::<Vec<f64>>(4).unwrap_or_default(), row),
        scaler_mean: row.get::<Vec<f64>>(5),
        scaler_scale: row.get::<Vec<f64>>(6),
    })
}

/// Splits a flattened k × d matrix into rows, d taken from the row's feature list.
fn rows_of(flat: Vec<f64>, row: &spi_read::Row) -> Vec<Vec<f64>> {
    let d = row.get::<Vec<String>>(2).map_or(1, |f| f.len().max(1));
    flat.chunks(d).map(<[f64]>::to_vec).collect()
}

/// The error for a model with no production version: unknown model or nothing promoted.
fn missing_production(model: &str) -> PersonaError {
    let exists = spi_read::select(
        "SELECT 1 FROM persona.registered_models WHERE model = $1",
        &[model],
        |_| (),
    );
    if exists.is_ok_and(|rows| !rows.is_empty()) {
        PersonaError::new(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("model \"{model}\" has no production version"),
        )
        .hint("Promote a version with persona.promote(model, version).")
    } else {
        undefined_object(format!("model \"{model}\" does not exist")).hint(known_models_hint())
    }
}

/// The model to use when a call names none.
pub fn default_model() -> Result<String> {
    if let Some(name) = guc::default_model() {
        return Ok(name);
    }
    let names = spi_read::select(
        "SELECT model FROM persona.model_versions WHERE stage = 'production' ORDER BY model",
        &[],
        |row| row.get::<String>(1).unwrap_or_default(),
    )?;
    match names.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(undefined_object("no model has a production version").hint(known_models_hint())),
        many => Err(PersonaError::new(
            Code::ERRCODE_AMBIGUOUS_PARAMETER,
            format!(
                "several models have a production version: {}",
                many.join(", ")
            ),
        )
        .hint("Name the model, or SET persona.default_model.")),
    }
}

fn known_models_hint() -> String {
    let names = spi_read::select(
        "SELECT left(model, 60) FROM persona.registered_models ORDER BY model LIMIT 21",
        &[],
        |row| row.get::<String>(1).unwrap_or_default(),
    )
    .unwrap_or_default();
    match names.len() {
        0 => "No models exist yet; create one with persona.import_centroids.".to_string(),
        1..=20 => format!("Existing models: {}.", names.join(", ")),
        _ => format!("Existing models include: {}, ...", names[..20].join(", ")),
    }
}

/// An SPI failure that did not already raise: an internal error, reported as such.
pub fn spi_error(e: impl std::fmt::Display) -> PersonaError {
    PersonaError::new(
        Code::ERRCODE_INTERNAL_ERROR,
        format!("registry query failed: {e}"),
    )
}
