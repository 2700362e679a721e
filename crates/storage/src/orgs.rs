//! 机构: bureaus, stations, centres, township offices, agencies, charities, departments.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use jiuzhu_domain::RegionCode;
use serde::{Deserialize, Serialize};
use sqlx::Row;

macro_rules! org_kinds {
    ($($v:ident = $s:literal,)*) => {
        /// 机构类型
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum OrgKind { $($v,)* }
        impl OrgKind {
            pub const ALL: &'static [OrgKind] = &[$(OrgKind::$v,)*];
            pub fn as_str(self) -> &'static str { match self { $(OrgKind::$v => $s,)* } }
            pub fn parse(s: &str) -> Option<OrgKind> { match s { $($s => Some(OrgKind::$v),)* _ => None } }
        }
    };
}

org_kinds! {
    CivilAffairsBureau = "civil_affairs_bureau",
    RescueStation = "rescue_station",
    MinorsProtectionCentre = "minors_protection_centre",
    TownshipOffice = "township_office",
    SocialWorkAgency = "social_work_agency",
    Charity = "charity",
    PartnerDepartment = "partner_department",
}

#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    /// Masked; the full number is revealed only through [`Db::org_phone_reveal`].
    pub phone_masked: Option<String>,
    pub active: bool,
    pub version: i64,
}

/// A validated new or edited organisation.
#[derive(Debug, Clone)]
pub struct OrgInput {
    pub region: RegionCode,
    pub kind: OrgKind,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
}

impl OrgInput {
    /// Field rules shared by the page, the API and the seeder.
    pub fn validate(&self) -> Result<()> {
        let n = self.name.trim().chars().count();
        if n == 0 {
            return Err(StoreError::Invalid("name_required"));
        }
        if n > 100 {
            return Err(StoreError::Invalid("name_too_long"));
        }
        if self.address.chars().count() > 200 {
            return Err(StoreError::Invalid("address_too_long"));
        }
        if let Some(p) = &self.phone {
            if !valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        Ok(())
    }
}

/// Mainland mobile (11 digits starting 1) or a landline with area code (0xxx-xxxxxxx).
pub fn valid_phone(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| *c != '-' && *c != ' ').collect();
    digits.chars().all(|c| c.is_ascii_digit())
        && ((digits.len() == 11 && digits.starts_with('1'))
            || (digits.starts_with('0') && (10..=12).contains(&digits.len())))
}

const ORG_COLS: &str = "id, region_code, kind, name, address, phone_enc, active, version";

impl Db {
    fn org_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<Organisation, sqlx::Error> {
        let phone: Option<Vec<u8>> = r.try_get("phone_enc")?;
        let phone_masked =
            self.keys()
                .masked("organisations.phone", phone, jiuzhu_domain::mask::phone);
        Ok(Organisation {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            address: r.try_get("address")?,
            phone_masked,
            active: r.try_get::<i64, _>("active")? != 0,
            version: r.try_get("version")?,
        })
    }

    pub async fn org_create(&self, actor: &Actor, input: &OrgInput) -> Result<Organisation> {
        input.validate()?;
        let mut tx = self.begin().await?;
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (region_code, kind, name, address, phone_enc, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(input.region.to_string())
        .bind(input.kind.as_str())
        .bind(input.name.trim().to_string())
        .bind(input.address.trim().to_string())
        .bind(input.phone.as_ref().map(|p| self.keys().encrypt("organisations.phone", p)))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_org_err)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "organisation.create",
                record_kind: "organisation",
                record_id: id.to_string(),
                region: &input.region,
                changes: vec![
                    Change::new("name", None::<String>, Some(input.name.trim())),
                    Change::new("kind", None::<String>, Some(input.kind.as_str())),
                    Change::new("region_code", None::<String>, Some(&input.region)),
                    Change::sensitive("phone", false, input.phone.is_some()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.org(id).await
    }

    pub async fn org(&self, id: i64) -> Result<Organisation> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLS} FROM organisations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(self.org_row(&row)?)
    }

    /// Saves an edit made to version `expected_version`. If anyone saved in between, the
    /// edit is refused with `Conflict` and nothing is written.
    pub async fn org_update(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &OrgInput,
    ) -> Result<Organisation> {
        input.validate()?;
        let mut tx = self.begin().await?;
        let before = sqlx::query(&format!(
            "SELECT {ORG_COLS} FROM organisations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let before = self.org_row(&before)?;
        if before.version != expected_version {
            return Err(StoreError::Conflict {
                current: before.version,
            });
        }
        let done = sqlx::query(
            "UPDATE organisations SET region_code = $1, kind = $2, name = $3, address = $4, phone_enc = $5, \
             updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8",
        )
        .bind(input.region.to_string())
        .bind(input.kind.as_str())
        .bind(input.name.trim().to_string())
        .bind(input.address.trim().to_string())
        .bind(input.phone.as_ref().map(|p| self.keys().encrypt("organisations.phone", p)))
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(map_org_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                current: before.version,
            });
        }
        let mut changes = Vec::new();
        diff(&mut changes, "name", &before.name, input.name.trim());
        diff(&mut changes, "kind", &before.kind, input.kind.as_str());
        diff(
            &mut changes,
            "region_code",
            &before.region_code,
            input.region.as_str(),
        );
        diff(
            &mut changes,
            "address",
            &before.address,
            input.address.trim(),
        );
        let new_masked = input.phone.as_deref().map(jiuzhu_domain::mask::phone);
        if before.phone_masked != new_masked {
            changes.push(Change::sensitive(
                "phone",
                before.phone_masked.is_some(),
                input.phone.is_some(),
            ));
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "organisation.update",
                record_kind: "organisation",
                record_id: id.to_string(),
                region: &input.region,
                changes,
            },
        )
        .await?;
        tx.commit().await?;
        self.org(id).await
    }

    pub async fn org_set_active(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        active: bool,
    ) -> Result<Organisation> {
        let mut tx = self.begin().await?;
        let region: String =
            sqlx::query_scalar("SELECT region_code FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let done = sqlx::query("UPDATE organisations SET active = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
            .bind(active as i64)
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "organisations", id).await);
        }
        let region = crate::stored_region(region)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: if active {
                    "organisation.enable"
                } else {
                    "organisation.disable"
                },
                record_kind: "organisation",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("active", Some(!active), Some(active))],
            },
        )
        .await?;
        tx.commit().await?;
        self.org(id).await
    }

    /// The full phone number; the caller has checked the Reveal permission and this logs it.
    pub async fn org_phone_reveal(&self, actor: &Actor, id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT region_code, phone_enc FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let region: String = row.try_get("region_code")?;
        let blob: Option<Vec<u8>> = row.try_get("phone_enc")?;
        let region = crate::stored_region(region)?;
        self.log_access(
            actor,
            "organisation",
            &id.to_string(),
            "phone",
            &region,
            "reveal",
        )
        .await?;
        blob.map(|b| self.keys().decrypt("organisations.phone", &b))
            .transpose()
    }

    pub async fn orgs_list(
        &self,
        scopes: &[RegionCode],
        f: &OrgFilter,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<Organisation>> {
        let mut q = Sql::new("FROM organisations WHERE 1 = 1");
        q.scope("region_code", scopes);
        q.keyword(&["name", "address"], &f.q);
        if let Some(k) = &f.kind {
            q.push(" AND kind = ").bind_text(k.as_str());
        }
        if let Some(r) = &f.region {
            q.scope("region_code", std::slice::from_ref(r));
        }
        if let Some(a) = f.active {
            q.push(" AND active = ").bind_i64(a as i64);
        }
        fetch_paged(
            self.reader(),
            ORG_COLS,
            q,
            sort,
            &["name", "kind", "region_code", "id"],
            "region_code",
            "id",
            page,
            |r| self.org_row(r),
        )
        .await
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub q: String,
    pub kind: Option<OrgKind>,
    pub region: Option<RegionCode>,
    pub active: Option<bool>,
}

fn map_org_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_foreign_key_violation() {
            return StoreError::Invalid("region_unknown");
        }
    }
    StoreError::on_unique(e, "name")
}

pub(crate) fn diff(changes: &mut Vec<Change>, field: &str, old: &str, new: &str) {
    if old != new {
        changes.push(Change::new(field, Some(old), Some(new)));
    }
}
