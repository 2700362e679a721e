//! Server-rendered pages, one module per area.

pub mod assistance;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod follow_ups;
pub mod home;
pub mod ops;
pub mod orgs;
pub mod outreach;
pub mod profile;
pub mod public;
pub mod regions;
pub mod register;
pub mod report;
pub mod street;
pub mod tracing;
pub mod users;

use crate::error::{AppError, AppResult};
use axum::http::StatusCode;
use jiuzhu_storage::{Page, Sort};
use std::collections::HashMap;

/// Record ids in paths: anything that is not a positive integer is simply not found.
pub fn parse_id(s: &str) -> AppResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(AppError::not_found)
}

/// A region code typed into a form's `region_code` field.
pub fn parse_region(s: &str) -> AppResult<jiuzhu_domain::RegionCode> {
    jiuzhu_domain::RegionCode::parse(s)
        .map_err(|_| AppError::invalid("region_code_invalid", "region_code"))
}

/// Query strings arrive as text and are read leniently: a bad page number means page 1.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub sort: Option<String>,
    #[serde(flatten)]
    pub rest: HashMap<String, String>,
}

impl ListQuery {
    pub fn page(&self) -> Page {
        Page::new(
            self.page.as_deref().and_then(|p| p.parse().ok()),
            self.per_page.as_deref().and_then(|p| p.parse().ok()),
        )
    }
    pub fn sort(&self) -> Sort {
        Sort::parse(self.sort.as_deref())
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.rest
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    /// The parameters to keep in pager and sort links.
    pub fn keep(&self, keys: &[&'static str]) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("q", self.q.clone()),
            ("sort", self.sort.clone().unwrap_or_default()),
        ];
        for k in keys {
            out.push((k, self.get(k).unwrap_or("").to_string()));
        }
        out
    }
}

/// A form's error, shown beside its field (or above the form when `field` is empty).
#[derive(Debug, Clone, Default)]
pub struct FormError {
    pub field: &'static str,
    pub message: String,
    /// The error's own status: 409 when someone else saved first, 422 for bad input.
    status: Option<StatusCode>,
}

impl FormError {
    pub fn from(tr: &crate::i18n::Tr, e: &AppError) -> FormError {
        FormError {
            field: e.field.unwrap_or(""),
            message: tr.error(e.code),
            status: Some(e.status),
        }
    }
    pub fn is(&self, field: &str) -> bool {
        !self.message.is_empty() && self.field == field
    }
    /// What a page showing this form answers with: 200 when there is nothing wrong.
    pub fn status(&self) -> StatusCode {
        if self.message.is_empty() {
            StatusCode::OK
        } else {
            self.status.unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }

    pub fn general(&self) -> bool {
        !self.message.is_empty() && self.field.is_empty()
    }
}

/// Errors a form shows in place rather than on an error page.
pub fn is_form_error(e: &AppError) -> bool {
    matches!(
        e.status,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
    )
}

/// Optional text fields: blank means absent.
pub fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The message for a `?ok=` flag after a redirect.
pub fn flash(tr: &crate::i18n::Tr, q: &ListQuery) -> Option<String> {
    q.get("ok").map(|k| {
        tr.t(&format!(
            "flash.{}",
            k.chars()
                .filter(|c| c.is_ascii_lowercase() || *c == '_')
                .collect::<String>()
        ))
    })
}

/// Form fields arrive as text; JSON clients send numbers. Either is read as text here and
/// validated where it is used.
pub fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum V {
        S(String),
        N(i64),
    }
    Ok(match <V as serde::Deserialize>::deserialize(d)? {
        V::S(s) => s,
        V::N(n) => n.to_string(),
    })
}

/// Like [`text_or_number`] for fields that may be fractional (positions, counts).
pub fn text_or_float<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum V {
        S(String),
        N(f64),
    }
    Ok(match <V as serde::Deserialize>::deserialize(d)? {
        V::S(s) => s,
        V::N(n) => n.to_string(),
    })
}
