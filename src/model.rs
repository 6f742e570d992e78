//! A model version as a value: what scoring needs, checked once and ready to use.
//!
//! The same value comes from two places: the registry (the production version of a named
//! model) and the `persona.persona_model` SQL type that `persona.model_value()` returns, so
//! that scoring can run where the registry cannot be read (a Citus worker). Either way it is
//! validated before use, since a `persona_model` can be typed in by hand.

use crate::error::{invalid, Code, OrRaise, PersonaError, Result};
use persona_math::centroids::Centroids;
use pgrx::prelude::*;
use pgrx::InOutFuncs;

#[pg_schema]
pub mod persona {
    use pgrx::prelude::*;
    use serde::{Deserialize, Serialize};

    /// One model version, self-contained: text form is JSON.
    #[allow(non_camel_case_types)]
    #[derive(PostgresType, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[inoutfuncs]
    pub struct persona_model {
        pub model: String,
        pub version: i32,
        pub features: Vec<String>,
        pub labels: Vec<String>,
        /// k rows of d values, in original units.
        pub centroids: Vec<Vec<f64>>,
        /// Standardization `(x - mean) / scale`, when the model uses it.
        pub scaler_mean: Option<Vec<f64>>,
        pub scaler_scale: Option<Vec<f64>>,
    }
}

pub use persona::persona_model as PersonaModel;

/// Text input and output are JSON; input is checked like any model so that a malformed
/// value is rejected when it is typed, with a message, rather than when it is used.
impl InOutFuncs for PersonaModel {
    fn input(input: &core::ffi::CStr) -> Self {
        let text = input.to_string_lossy();
        let model: PersonaModel = serde_json::from_str(&text)
            .map_err(|e| {
                PersonaError::new(
                    Code::ERRCODE_INVALID_TEXT_REPRESENTATION,
                    format!("invalid input syntax for type persona_model: {e}"),
                )
                .hint("A persona_model is the JSON that persona.model_value() returns.")
            })
            .or_raise();
        validate(&model).or_raise();
        model
    }

    fn output(&self, buffer: &mut pgrx::StringInfo) {
        buffer.push_str(&serde_json::to_string(self).expect("a model serializes to JSON"));
    }
}

/// A model ready to score: the checked value and its centroids in scoring space.
pub struct Scorer {
    pub model: PersonaModel,
    pub centroids: Centroids,
}

impl Scorer {
    pub fn new(model: PersonaModel) -> Result<Scorer> {
        validate(&model)?;
        let d = model.features.len();
        let flat: Vec<f64> = model.centroids.iter().flatten().copied().collect();
        let scaler = match (&model.scaler_mean, &model.scaler_scale) {
            (Some(mean), Some(scale)) => Some((mean.as_slice(), scale.as_slice())),
            _ => None,
        };
        let centroids = Centroids::new(&flat, d, scaler);
        Ok(Scorer { model, centroids })
    }

    pub fn d(&self) -> usize {
        self.centroids.d()
    }

    pub fn label(&self, index: usize) -> &str {
        &self.model.labels[index]
    }
}

/// Checks everything scoring relies on, so that no model value can make it misbehave.
fn validate(m: &PersonaModel) -> Result<()> {
    let (k, d) = (m.centroids.len(), m.features.len());
    let bad = |what: String| Err(invalid(format!("invalid persona_model: {what}")));
    if k == 0 || d == 0 {
        return bad("it needs at least one centroid and one feature".into());
    }
    if m.labels.len() != k {
        return bad(format!("{} labels for {k} centroids", m.labels.len()));
    }
    if let Some(row) = m.centroids.iter().position(|c| c.len() != d) {
        return bad(format!(
            "centroid {} has {} values, expected {d}",
            row + 1,
            m.centroids[row].len()
        ));
    }
    if m.centroids.iter().flatten().any(|v| !v.is_finite()) {
        return bad("centroids must be finite".into());
    }
    match (&m.scaler_mean, &m.scaler_scale) {
        (None, None) => Ok(()),
        (Some(mean), Some(scale)) if mean.len() == d && scale.len() == d => {
            if mean.iter().any(|v| !v.is_finite())
                || scale.iter().any(|s| !(s.is_finite() && *s > 0.0))
            {
                bad("scaler values must be finite and scales positive".into())
            } else {
                Ok(())
            }
        }
        _ => bad(format!(
            "scaler_mean and scaler_scale must both hold {d} values or both be null"
        )),
    }
}
