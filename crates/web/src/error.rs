//! Errors leave the server as stable codes (`{"error":{"code":"conflict",…}}`); the
//! message beside the code is looked up in the catalogue for the caller's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiuzhu_storage::StoreError;

/// An error on its way out. The guard renders it as JSON for the API or as a page.
#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    /// The form field the error belongs to, when there is one.
    pub field: Option<&'static str>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str) -> AppError {
        AppError {
            status,
            code,
            field: None,
        }
    }
    pub fn invalid(code: &'static str, field: &'static str) -> AppError {
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            field: Some(field),
        }
    }
    pub fn not_found() -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found")
    }
    pub fn forbidden() -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub fn unauthenticated() -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }
}

/// Marks a response as an error for the guard to render in the caller's language.
#[derive(Debug, Clone)]
pub struct ErrorMark(pub AppError);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.code).into_response();
        r.extensions_mut().insert(ErrorMark(self));
        r
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match &e {
            StoreError::NotFound => AppError::not_found(),
            StoreError::Conflict { .. } => AppError::new(StatusCode::CONFLICT, "conflict"),
            StoreError::Duplicate(field) => AppError {
                status: StatusCode::CONFLICT,
                code: "duplicate",
                field: Some(field),
            },
            StoreError::Invalid(code) => AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                field: field_of(code),
            },
            _ => {
                tracing::error!(error = %e, "storage error");
                AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// Which form field a validation code is about, to show the message beside it.
fn field_of(code: &str) -> Option<&'static str> {
    Some(match code {
        "name_required" | "name_too_long" => "name",
        "address_too_long" => "address",
        "phone_invalid" => "phone",
        "username_invalid" => "username",
        "display_name_required" | "display_name_too_long" => "display_name",
        "region_unknown" | "region_code_invalid" => "region_code",
        "locale_invalid" => "locale",
        c if c.starts_with("resident_id") => "resident_id",
        c if c.starts_with("password") => "password",
        _ => return None,
    })
}

pub type AppResult<T> = Result<T, AppError>;
