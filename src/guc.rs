//! Settings (GUCs) that change how persona behaves.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::PostgresGucEnum;
use std::ffi::CString;

/// The model scoring uses when a call names none.
pub static DEFAULT_MODEL: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// What scoring does with a feature vector that holds NULL, NaN or an infinity.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum InvalidFeatures {
    /// Raise an ERROR (the default: a bad row is loud).
    #[name = c"error"]
    Error,
    /// Return NULL for that row: the row has no persona, never persona 1.
    #[name = c"null"]
    Null,
}

pub static INVALID_FEATURES: GucSetting<InvalidFeatures> =
    GucSetting::<InvalidFeatures>::new(InvalidFeatures::Error);

/// How often models are expected to be retrained; read in SQL by `persona.stale_models`.
/// Registered so that `SHOW` knows it and a typo in its name is an error.
pub static RETRAIN_INTERVAL: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"1 month"));

pub fn register() {
    GucRegistry::define_string_guc(
        c"persona.default_model",
        c"Model that assign_persona uses when no model is named.",
        c"When unset, the one model with a production version is used.",
        &DEFAULT_MODEL,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"persona.invalid_features",
        c"What scoring does with NULL, NaN or infinite features: error or null.",
        c"error raises an ERROR; null returns NULL for that row.",
        &INVALID_FEATURES,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"persona.retrain_interval",
        c"Expected interval between retrains; persona.stale_models flags twice that.",
        c"An interval such as '1 month' or '7 days'.",
        &RETRAIN_INTERVAL,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The `persona.default_model` setting, if set and not empty.
pub fn default_model() -> Option<String> {
    let value = DEFAULT_MODEL.get()?;
    let name = value.to_str().ok()?.trim().to_string();
    (!name.is_empty()).then_some(name)
}
