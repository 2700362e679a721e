//! Everything that differs between SQLite and PostgreSQL, in one place.

use crate::{Db, Result, StoreError};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Migrations per backend, embedded in the binary. Never edit a released file: add one.
#[rustfmt::skip]
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
    (2, "station", include_str!("../migrations/sqlite/0002_station.sql")),
    (3, "follow_up", include_str!("../migrations/sqlite/0003_follow_up.sql")),
    (4, "register", include_str!("../migrations/sqlite/0004_register.sql")),
    (5, "special_groups", include_str!("../migrations/sqlite/0005_special_groups.sql")),
    (6, "tracing", include_str!("../migrations/sqlite/0006_tracing.sql")),
    (7, "outreach", include_str!("../migrations/sqlite/0007_outreach.sql")),
    (8, "outreach_posts_photos", include_str!("../migrations/sqlite/0008_outreach_posts_photos.sql")),
    (9, "assistance", include_str!("../migrations/sqlite/0009_assistance.sql")),
    (10, "payments", include_str!("../migrations/sqlite/0010_payments.sql")),
];
#[rustfmt::skip]
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
    (2, "station", include_str!("../migrations/postgres/0002_station.sql")),
    (3, "follow_up", include_str!("../migrations/postgres/0003_follow_up.sql")),
    (4, "register", include_str!("../migrations/postgres/0004_register.sql")),
    (5, "special_groups", include_str!("../migrations/postgres/0005_special_groups.sql")),
    (6, "tracing", include_str!("../migrations/postgres/0006_tracing.sql")),
    (7, "outreach", include_str!("../migrations/postgres/0007_outreach.sql")),
    (8, "outreach_posts_photos", include_str!("../migrations/postgres/0008_outreach_posts_photos.sql")),
    (9, "assistance", include_str!("../migrations/postgres/0009_assistance.sql")),
    (10, "payments", include_str!("../migrations/postgres/0010_payments.sql")),
];

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config("database_url_scheme".into()))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// SQLite files are created when missing.
    pub(crate) fn normalise_url(self, url: &str) -> String {
        match self {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        }
    }

    /// Run on every new connection. SQLite: write-ahead log for concurrent readers,
    /// `synchronous=FULL` so a commit survives power loss, foreign keys enforced, and a
    /// wait instead of an error when a checkpoint holds the lock.
    pub(crate) fn connection_setup(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = FULL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 10000",
            ],
            Backend::Postgres => &["SET TIME ZONE 'UTC'"],
        }
    }
}

pub(crate) fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    // sqlx's `migrate!` macro would build this at compile time but costs a second build of
    // the drivers for the proc-macro; the fields it fills are the ones set here.
    Migrator {
        migrations: Cow::Owned(
            list.iter()
                .map(|(v, d, sql)| {
                    Migration::new(
                        *v,
                        Cow::Borrowed(*d),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// A consistent online copy. SQLite: `VACUUM INTO` writes a transactionally consistent,
/// compacted file while readers and writers go on. PostgreSQL: `pg_dump` in custom format,
/// which reads one snapshot.
pub(crate) async fn backup(db: &Db, dest: &std::path::Path) -> Result<()> {
    if dest.exists() {
        return Err(StoreError::Config("backup_target_exists".into()));
    }
    match db.backend() {
        Backend::Sqlite => {
            let path = dest
                .to_str()
                .ok_or_else(|| StoreError::Config("backup_path".into()))?;
            sqlx::query("VACUUM INTO $1")
                .bind(path.to_string())
                .execute(db.reader())
                .await?;
            Ok(())
        }
        Backend::Postgres => {
            let status = tokio::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(dest)
                .arg(db.url())
                .status()
                .await
                .map_err(|e| StoreError::Config(format!("pg_dump: {e}")))?;
            if status.success() {
                Ok(())
            } else {
                Err(StoreError::Config(format!("pg_dump exited with {status}")))
            }
        }
    }
}

/// Restores a backup made by [`backup`]. The server must be stopped. SQLite: the copy is
/// checked (`PRAGMA integrity_check`) before it replaces the database file.
pub async fn restore(url: &str, src: &std::path::Path) -> Result<()> {
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            sqlx::any::install_default_drivers();
            let check_url = format!("sqlite://{}?mode=ro", src.display());
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&check_url).await?;
            let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await?;
            if verdict != "ok" {
                return Err(StoreError::Config(format!("backup_corrupt: {verdict}")));
            }
            drop(conn);
            let target =
                sqlite_path(url).ok_or_else(|| StoreError::Config("database_url".into()))?;
            let tmp = target.with_extension("restoring");
            tokio::fs::copy(src, &tmp)
                .await
                .map_err(|e| StoreError::Config(e.to_string()))?;
            for ext in ["db-wal", "db-shm"] {
                let _ = tokio::fs::remove_file(target.with_extension(ext)).await;
            }
            tokio::fs::rename(&tmp, &target)
                .await
                .map_err(|e| StoreError::Config(e.to_string()))?;
            Ok(())
        }
        Backend::Postgres => {
            let status = tokio::process::Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--dbname"])
                .arg(url)
                .arg(src)
                .status()
                .await
                .map_err(|e| StoreError::Config(format!("pg_restore: {e}")))?;
            if status.success() {
                Ok(())
            } else {
                Err(StoreError::Config(format!(
                    "pg_restore exited with {status}"
                )))
            }
        }
    }
}

/// The file behind a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}
