/// What can go wrong in storage. [`StoreError::code`] is the stable code the API sends.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not_found")]
    NotFound,
    /// Someone else saved the record since it was read; nothing was written.
    #[error("conflict (current version {current})")]
    Conflict { current: i64 },
    #[error("duplicate: {0}")]
    Duplicate(&'static str),
    /// Input the database would reject; the code names the rule.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    #[error("crypto: {0}")]
    Crypto(&'static str),
    #[error("config: {0}")]
    Config(String),
    #[error("migration: {0}")]
    Migration(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound => "not_found",
            StoreError::Conflict { .. } => "conflict",
            StoreError::Duplicate(_) => "duplicate",
            StoreError::Invalid(code) => code,
            StoreError::Crypto(_)
            | StoreError::Config(_)
            | StoreError::Migration(_)
            | StoreError::Database(_) => "internal",
        }
    }

    /// Maps a unique-constraint violation to `Duplicate(field)`; other errors pass through.
    pub(crate) fn on_unique(e: sqlx::Error, field: &'static str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Duplicate(field);
            }
        }
        StoreError::Database(e)
    }
}
