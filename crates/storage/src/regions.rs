//! 行政区划 and the organisations in them.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use jiuzhu_domain::region::RegionLevel;
use jiuzhu_domain::RegionCode;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub level: String,
    pub version: i64,
}

/// One line of a region data file: `code,name`. The parent is derived from the code.
#[derive(Debug, Clone)]
pub struct RegionRow {
    pub code: RegionCode,
    pub name: String,
}

/// Parses a region file: one `code,name` per line; `#` starts a comment. Every line's
/// parent must appear earlier in the file (or already exist), so the tree is whole.
pub fn parse_region_file(text: &str) -> std::result::Result<Vec<RegionRow>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (code, name) = line
            .split_once(',')
            .ok_or_else(|| format!("line {}: expected code,name", i + 1))?;
        let code = RegionCode::parse(code)
            .map_err(|_| format!("line {}: bad region code {code}", i + 1))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(format!("line {}: bad name", i + 1));
        }
        out.push(RegionRow {
            code,
            name: name.to_string(),
        });
    }
    Ok(out)
}

fn level_str(code: &RegionCode) -> &'static str {
    code.level().map(RegionLevel::as_str).unwrap_or("nation")
}

fn region_row(r: &sqlx::any::AnyRow) -> std::result::Result<Region, sqlx::Error> {
    Ok(Region {
        code: r.try_get("region_code")?,
        parent_code: r.try_get("parent_code")?,
        name: r.try_get("name")?,
        level: r.try_get("level")?,
        version: r.try_get("version")?,
    })
}

impl Db {
    /// Loads region rows, inserting new codes and renaming existing ones, in one
    /// transaction. Returns how many were inserted.
    pub async fn import_regions(&self, actor: &Actor, rows: &[RegionRow]) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut inserted = 0;
        for row in rows {
            let parent = row.code.parent().filter(|p| !p.is_nation());
            if let Some(p) = &parent {
                let exists: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM regions WHERE region_code = $1")
                        .bind(p.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                if exists == 0 {
                    return Err(StoreError::Invalid("region_parent_missing"));
                }
            }
            let now = now_ms();
            let existing: Option<String> =
                sqlx::query_scalar("SELECT name FROM regions WHERE region_code = $1")
                    .bind(row.code.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                None => {
                    sqlx::query(
                        "INSERT INTO regions (region_code, parent_code, name, level, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(row.code.to_string())
                    .bind(parent.as_ref().map(|p| p.to_string()))
                    .bind(row.name.clone())
                    .bind(level_str(&row.code))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    inserted += 1;
                    audit::append(
                        &mut tx,
                        actor,
                        Event {
                            action: "region.create",
                            record_kind: "region",
                            record_id: row.code.to_string(),
                            region: &row.code,
                            changes: vec![Change::new("name", None::<String>, Some(&row.name))],
                        },
                    )
                    .await?;
                }
                Some(old) if old != row.name => {
                    sqlx::query("UPDATE regions SET name = $1, updated_at = $2, version = version + 1 WHERE region_code = $3")
                        .bind(row.name.clone())
                        .bind(now)
                        .bind(row.code.to_string())
                        .execute(&mut *tx)
                        .await?;
                    audit::append(
                        &mut tx,
                        actor,
                        Event {
                            action: "region.rename",
                            record_kind: "region",
                            record_id: row.code.to_string(),
                            region: &row.code,
                            changes: vec![Change::new("name", Some(old), Some(&row.name))],
                        },
                    )
                    .await?;
                }
                Some(_) => {}
            }
        }
        tx.commit().await?;
        Ok(inserted)
    }

    pub async fn region(&self, code: &RegionCode) -> Result<Region> {
        sqlx::query("SELECT region_code, parent_code, name, level, version FROM regions WHERE region_code = $1")
            .bind(code.to_string())
            .fetch_optional(self.reader())
            .await?
            .map(|r| region_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Direct children of a region (or the top-level regions for `None`), by code.
    pub async fn region_children(&self, parent: Option<&RegionCode>) -> Result<Vec<Region>> {
        let rows = match parent {
            Some(p) => sqlx::query(
                "SELECT region_code, parent_code, name, level, version FROM regions WHERE parent_code = $1 ORDER BY region_code",
            )
            .bind(p.to_string())
            .fetch_all(self.reader())
            .await?,
            None => sqlx::query(
                "SELECT region_code, parent_code, name, level, version FROM regions WHERE parent_code IS NULL ORDER BY region_code",
            )
            .fetch_all(self.reader())
            .await?,
        };
        Ok(rows
            .iter()
            .map(region_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    pub async fn regions_list(
        &self,
        scopes: &[RegionCode],
        q: &str,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<Region>> {
        let mut s = Sql::new("FROM regions WHERE 1 = 1");
        s.scope("region_code", scopes);
        s.keyword(&["name", "region_code"], q);
        fetch_paged(
            self.reader(),
            "region_code, parent_code, name, level, version",
            s,
            sort,
            &["region_code", "name", "level"],
            "region_code",
            "region_code",
            page,
            region_row,
        )
        .await
    }

    /// Every province, city and county, by code: the choices of a public form, where
    /// people know their county but not the grid cell.
    pub async fn regions_to_county(&self) -> Result<Vec<Region>> {
        let rows = sqlx::query(
            "SELECT region_code, parent_code, name, level, version FROM regions WHERE level IN ('province', 'city', 'county') ORDER BY region_code",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(region_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Names for a set of codes (for showing a jurisdiction next to a code).
    pub async fn region_name(&self, code: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM regions WHERE region_code = $1")
                .bind(code.to_string())
                .fetch_optional(self.reader())
                .await?,
        )
    }
}
