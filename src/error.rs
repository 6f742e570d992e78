//! User-facing errors.
//!
//! Every error a user can cause carries its own SQLSTATE, a lower-case message that names the
//! problem, and a hint where one helps. Internal code returns `Result<_, PersonaError>` so the
//! checks are plain Rust; entry points turn an `Err` into a PostgreSQL ERROR with
//! [`OrRaise::or_raise`]. (A panic or `error!()` would surface as XX000, an internal error.)

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub use pgrx::PgSqlErrorCode as Code;

#[derive(Debug, Clone)]
pub struct PersonaError {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

pub type Result<T> = std::result::Result<T, PersonaError>;

impl PersonaError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        PersonaError {
            code,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Raises the error as a PostgreSQL ERROR; does not return.
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "persona");
        if let Some(detail) = self.detail {
            report = report.set_detail(detail);
        }
        if let Some(hint) = self.hint {
            report = report.set_hint(hint);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report returns control to PostgreSQL")
    }
}

/// Shorthand constructors for the SQLSTATEs persona uses.
pub fn invalid(message: impl Into<String>) -> PersonaError {
    PersonaError::new(Code::ERRCODE_INVALID_PARAMETER_VALUE, message)
}

pub fn null_value(message: impl Into<String>) -> PersonaError {
    PersonaError::new(Code::ERRCODE_NULL_VALUE_NOT_ALLOWED, message)
}

pub fn undefined_object(message: impl Into<String>) -> PersonaError {
    PersonaError::new(Code::ERRCODE_UNDEFINED_OBJECT, message)
}

pub trait OrRaise<T> {
    /// The value, or a PostgreSQL ERROR built from the error.
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T> {
    fn or_raise(self) -> T {
        match self {
            Ok(value) => value,
            Err(e) => e.raise(),
        }
    }
}
