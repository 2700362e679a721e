//! Jiuzhu's storage: one API over SQLite (embedded default) and PostgreSQL (production).
//!
//! Architecture invariant: this is the only crate that writes SQL. Queries are plain
//! runtime SQL through sqlx's `Any` driver, one text for both engines wherever the
//! dialects agree; the places they differ are all in [`dialect`]. Every write runs in a
//! transaction that also appends to the audit chain, so a change and its audit row land
//! together or not at all.
//!
//! Boundary: callers pass domain types and an [`Actor`]; they never see a connection.

pub mod assistance;
pub mod audit;
pub mod crypto;
pub mod dialect;
mod error;
pub mod orgs;
pub mod outreach;
pub mod regions;
pub mod register;
pub mod sessions;
mod sql;
pub mod station;
pub mod tracing;
pub mod users;

pub use crypto::{Keyring, PasswordHasher};
pub use dialect::Backend;
pub use error::StoreError;
pub use sql::{Page, Paged, Sort};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is making a change and from where: written into every audit row.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    /// Changes made by the `jiuzhu` command line (migrations, seeding, key rotation).
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            name: format!("system:{what}"),
            ip: "local".into(),
            request_id: String::new(),
        }
    }
}

/// The database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    /// Reads run here, concurrently.
    read: AnyPool,
    /// Writes run here. On SQLite this pool has one connection, so writers queue in the
    /// application instead of failing with SQLITE_BUSY; on PostgreSQL it is `read`.
    write: AnyPool,
    backend: Backend,
    keys: Arc<Keyring>,
    url: Arc<str>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and applies pending
    /// migrations. A SQLite file is created if missing.
    pub async fn connect(url: &str, keys: Keyring) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let opts = AnyConnectOptions::from_str(&backend.normalise_url(url))?;
        let after_connect = connection_setup(backend);
        let (read, write) = match backend {
            Backend::Sqlite => {
                let read = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect({
                        let f = after_connect.clone();
                        move |c, m| f(c, m)
                    })
                    .connect_with(opts.clone())
                    .await?;
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .after_connect({
                        let f = after_connect.clone();
                        move |c, m| f(c, m)
                    })
                    .connect_with(opts)
                    .await?;
                (read, write)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect({
                        let f = after_connect.clone();
                        move |c, m| f(c, m)
                    })
                    .connect_with(opts)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let db = Db {
            read,
            write,
            backend,
            keys: Arc::new(keys),
            url: url.into(),
        };
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        dialect::migrator(self.backend)
            .run(&self.write)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Whether the database answers: for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.write.begin().await?)
    }

    /// A consistent copy of the whole database, taken while it is in use.
    pub async fn backup(&self, dest: &std::path::Path) -> Result<()> {
        dialect::backup(self, dest).await
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

type SetupFn = dyn for<'c> Fn(
        &'c mut sqlx::AnyConnection,
        sqlx::pool::PoolConnectionMetadata,
    ) -> futures_core::future::BoxFuture<'c, Result<(), sqlx::Error>>
    + Send
    + Sync;

/// Runs the backend's per-connection settings (see [`Backend::connection_setup`]).
fn connection_setup(backend: Backend) -> Arc<SetupFn> {
    Arc::new(move |conn, _meta| {
        Box::pin(async move {
            for stmt in backend.connection_setup() {
                conn.execute(*stmt).await?;
            }
            Ok(())
        })
    })
}

/// A region code read back from a row. Every stored code was valid when written, so a bad
/// one means the row was changed behind the application's back.
pub(crate) fn stored_region(code: impl Into<String>) -> Result<jiuzhu_domain::RegionCode> {
    jiuzhu_domain::RegionCode::try_from(code.into())
        .map_err(|_| StoreError::Invalid("region_code_invalid"))
}

/// What to report when `UPDATE … WHERE id = $n AND version = $m` changed nothing: the
/// record moved on (a conflict, with its current version) or is gone.
pub(crate) async fn stale(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &str,
    id: i64,
) -> StoreError {
    match sqlx::query_scalar::<_, i64>(&format!("SELECT version FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
    {
        Ok(Some(current)) => StoreError::Conflict { current },
        Ok(None) => StoreError::NotFound,
        Err(e) => StoreError::Database(e),
    }
}

/// Milliseconds since the epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
