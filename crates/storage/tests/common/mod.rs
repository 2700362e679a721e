//! The databases a storage story runs on: a temporary SQLite file, and a fresh database on
//! the PostgreSQL server at `JIUZHU_TEST_POSTGRES_URL` when it is set (the output says so
//! when it is not).

use chrono::Utc;
use sqlx::Connection;

pub async fn databases(story: &str) -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        format!("sqlite://{}/{story}.db", dir.path().display()),
        Some(dir),
    )];
    match std::env::var("JIUZHU_TEST_POSTGRES_URL") {
        Ok(base) => {
            sqlx::any::install_default_drivers();
            let name = format!(
                "jiuzhu_{story}_{}_{}",
                std::process::id(),
                Utc::now().timestamp_subsec_nanos() % 100_000
            );
            let mut conn = sqlx::AnyConnection::connect(base.trim()).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (head, _) = base.trim().rsplit_once('/').unwrap();
            out.push((format!("{head}/{name}"), None));
        }
        Err(_) => {
            eprintln!("PostgreSQL {story} story SKIPPED: JIUZHU_TEST_POSTGRES_URL is not set")
        }
    }
    out
}
