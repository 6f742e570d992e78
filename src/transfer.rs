//! `persona.import_model`: a version exported by `persona.export_model` (possibly from another
//! database) registered again. The document is checked like any model before it is stored.

use crate::error::{invalid, null_value, Code, OrRaise, PersonaError, Result};
use crate::model::{PersonaModel, Scorer};
use crate::registry::{self, spi_error, NewVersion};
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::DatumWithOid;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::prelude::*;
use serde::Deserialize;
use serde_json::Value;

/// The parts of an exported document that a new version needs.
#[derive(Deserialize)]
struct Document {
    format: Option<String>,
    format_version: Option<i64>,
    model: Option<String>,
    features: Vec<String>,
    labels: Vec<String>,
    centroids: Vec<Vec<f64>>,
    scaler: Option<ScalerDoc>,
    sizes: Option<Vec<i64>>,
}

#[derive(Deserialize)]
struct ScalerDoc {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

/// A `jsonb` argument as its text. pgrx's `JsonB` parses the text while reading the argument
/// and fails with an internal error (XX000) on what jsonb accepts but a float cannot hold
/// (`1e400`); parsing it here turns that into 22P02 like any other malformed document.
struct JsonbText(String);

impl FromDatum for JsonbText {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null {
            return None;
        }
        // jsonb_out returns a C string (not a text varlena): read it as one, copy it, free it.
        unsafe {
            let detoasted = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
            let cstr: &core::ffi::CStr =
                pgrx::direct_function_call(pg_sys::jsonb_out, &[Some(detoasted.into())])?;
            let text = cstr.to_string_lossy().into_owned();
            pg_sys::pfree(cstr.as_ptr() as *mut core::ffi::c_void);
            Some(JsonbText(text))
        }
    }
}

unsafe impl<'fcx> ArgAbi<'fcx> for JsonbText {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        unsafe { arg.unbox_arg_using_from_datum() }.expect("a non-null jsonb argument")
    }
}

unsafe impl SqlTranslatable for JsonbText {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(JsonbText);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: core::result::Result<SqlMappingRef, ArgumentError> =
        Ok(SqlMappingRef::literal("jsonb"));
    const RETURN_SQL: core::result::Result<ReturnsRef, ReturnsError> =
        Ok(ReturnsRef::One(SqlMappingRef::literal("jsonb")));
}

/// Registers an exported model document as a new version; returns its number.
#[pg_extern(schema = "persona", volatile, parallel_unsafe)]
fn import_model(
    doc: Option<JsonbText>,
    model: default!(Option<&str>, "NULL"),
    promote: default!(Option<bool>, "false"),
) -> i32 {
    let doc = doc
        .ok_or_else(|| null_value("doc must not be null"))
        .or_raise();
    let promote = promote
        .ok_or_else(|| null_value("promote must not be null"))
        .or_raise();
    import(&doc.0, model, promote).or_raise()
}

fn import(text: &str, model: Option<&str>, promote: bool) -> Result<i32> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        PersonaError::new(
            Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!("invalid model document: {e}"),
        )
    })?;
    if !doc.is_object() {
        return Err(invalid("invalid model document: expected a JSON object")
            .hint("Pass a document made by persona.export_model."));
    }
    let doc: Document = serde_json::from_value(doc).map_err(|e| {
        PersonaError::new(
            Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!("invalid model document: {e}"),
        )
        .hint("Pass a document made by persona.export_model.")
    })?;
    if doc.format.as_deref() != Some("persona-model") {
        return Err(invalid(
            "invalid model document: \"format\" must be \"persona-model\"",
        ));
    }
    if let Some(v) = doc.format_version.filter(|&v| v != 1) {
        return Err(PersonaError::new(
            Code::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("model document format_version {v} is not supported; this persona reads 1"),
        )
        .hint("Export the model again with the persona version that will import it."));
    }
    let name = match model.map(str::to_string).or(doc.model.clone()) {
        Some(name) => registry::new_model_name(Some(&name))?,
        None => return Err(invalid("the document names no model; pass one")),
    };
    let value = PersonaModel {
        model: name.clone(),
        version: 0,
        features: doc.features,
        labels: doc.labels,
        centroids: doc.centroids,
        scaler_mean: doc.scaler.as_ref().map(|s| s.mean.clone()),
        scaler_scale: doc.scaler.as_ref().map(|s| s.scale.clone()),
    };
    let checked = Scorer::new(value)?.model;
    check_names(&checked)?;
    check_sizes(doc.sizes.as_deref(), checked.centroids.len())?;
    let version = NewVersion {
        model: name.clone(),
        labels: checked.labels,
        features: checked.features,
        centroids: checked.centroids,
        scaler: checked.scaler_mean.zip(checked.scaler_scale),
    };
    let number = registry::register(&version, "import", promote)?;
    if let Some(sizes) = doc.sizes {
        let args: Vec<DatumWithOid> = vec![name.as_str().into(), number.into(), sizes.into()];
        Spi::run_with_args(
            "UPDATE persona.model_versions SET sizes = $3 WHERE model = $1 AND version = $2",
            &args,
        )
        .map_err(spi_error)?;
    }
    Ok(number)
}

/// Sizes, when given, count the rows of each persona: one non-negative count per centroid.
fn check_sizes(sizes: Option<&[i64]>, k: usize) -> Result<()> {
    match sizes {
        Some(s) if s.len() != k => Err(invalid(format!(
            "invalid model document: {} sizes for {k} centroids",
            s.len()
        ))),
        Some(s) if s.iter().any(|&n| n < 0) => Err(invalid(
            "invalid model document: sizes must not be negative",
        )),
        _ => Ok(()),
    }
}

/// Labels and features must be distinct and non-empty, as import_centroids requires.
fn check_names(m: &PersonaModel) -> Result<()> {
    for (what, list) in [("labels", &m.labels), ("features", &m.features)] {
        for (i, name) in list.iter().enumerate() {
            if name.trim().is_empty() || list[..i].contains(name) {
                return Err(invalid(format!(
                    "invalid model document: {what} must be distinct and non-empty (\"{name}\")"
                )));
            }
        }
    }
    Ok(())
}
