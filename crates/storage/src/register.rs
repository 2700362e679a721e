//! 易流浪走失人员登记: the community's register of people prone to wandering or getting lost,
//! per grid cell (源头稳控, prevention at source). When someone on it is registered at any
//! station, the home side is alerted at once.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use jiuzhu_domain::{RegionCode, ResidentId, Sex};
use serde::Serialize;
use sqlx::Row;

const RID_AAD: &str = "wandering_register.resident_id";
const PHONE_AAD: &str = "wandering_register.guardian_phone";

#[derive(Debug, Clone)]
pub struct RegisterInput {
    pub region: RegionCode,
    pub name: String,
    pub sex: Option<Sex>,
    pub resident_id: Option<ResidentId>,
    pub guardian_name: String,
    pub guardian_phone: Option<String>,
    /// Why they are on the register: dementia, mental illness, left-behind child…
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<String>,
    pub resident_id_masked: Option<String>,
    pub guardian_name: String,
    pub guardian_phone_masked: Option<String>,
    pub reason: String,
    pub active: bool,
    pub version: i64,
}

/// One re-appearance: a person on the register registered at a station.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterAlert {
    pub id: i64,
    pub register_id: i64,
    pub case_id: i64,
    pub name: String,
    pub region_code: String,
    pub at: i64,
    pub station: String,
    pub acknowledged_at: Option<i64>,
}

const ENTRY_COLS: &str = "id, region_code, name, sex, birth_date, resident_id_enc, guardian_name, guardian_phone_enc, reason, active, version";

impl Db {
    fn entry_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<RegisterEntry, sqlx::Error> {
        let rid: Option<Vec<u8>> = r.try_get("resident_id_enc")?;
        let phone: Option<Vec<u8>> = r.try_get("guardian_phone_enc")?;
        Ok(RegisterEntry {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            name: r.try_get("name")?,
            sex: r.try_get("sex")?,
            birth_date: r.try_get("birth_date")?,
            resident_id_masked: self
                .keys()
                .masked(RID_AAD, rid, jiuzhu_domain::mask::resident_id),
            guardian_name: r.try_get("guardian_name")?,
            guardian_phone_masked: self
                .keys()
                .masked(PHONE_AAD, phone, jiuzhu_domain::mask::phone),
            reason: r.try_get("reason")?,
            active: r.try_get::<i64, _>("active")? != 0,
            version: r.try_get("version")?,
        })
    }

    pub async fn register_add(&self, actor: &Actor, e: &RegisterInput) -> Result<RegisterEntry> {
        let n = e.name.trim().chars().count();
        if n == 0 {
            return Err(StoreError::Invalid("name_required"));
        }
        if n > 50 || e.guardian_name.chars().count() > 50 || e.reason.chars().count() > 500 {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if let Some(p) = &e.guardian_phone {
            if !crate::orgs::valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wandering_register (region_code, name, sex, birth_date, resident_id_enc, resident_id_idx, guardian_name, \
             guardian_phone_enc, reason, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
        )
        .bind(e.region.to_string())
        .bind(e.name.trim().to_string())
        .bind(e.sex.or(e.resident_id.as_ref().map(|r| r.sex())).map(Sex::as_str).unwrap_or("").to_string())
        .bind(e.resident_id.as_ref().map(|r| r.birth_date().format("%Y-%m-%d").to_string()))
        .bind(e.resident_id.as_ref().map(|r| self.keys().encrypt(RID_AAD, r.as_str())))
        .bind(e.resident_id.as_ref().map(|r| self.keys().blind_index("resident_id", r.as_str())))
        .bind(e.guardian_name.trim().to_string())
        .bind(e.guardian_phone.as_ref().map(|p| self.keys().encrypt(PHONE_AAD, p)))
        .bind(e.reason.trim().to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::Invalid("region_unknown"),
            _ => StoreError::Database(err),
        })?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "register.add",
                record_kind: "wandering_register",
                record_id: id.to_string(),
                region: &e.region,
                changes: vec![
                    Change::new("name", None::<String>, Some(e.name.trim())),
                    Change::sensitive("resident_id", false, e.resident_id.is_some()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        let r = sqlx::query(&format!(
            "SELECT {ENTRY_COLS} FROM wandering_register WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(self.entry_row(&r)?)
    }

    pub async fn register_list(
        &self,
        scopes: &[RegionCode],
        q: &str,
        page: Page,
    ) -> Result<Paged<RegisterEntry>> {
        let mut s = Sql::new("FROM wandering_register WHERE 1 = 1");
        s.scope("region_code", scopes);
        s.keyword(&["name", "reason", "guardian_name"], q);
        let sort = Sort {
            column: "region_code".into(),
            descending: false,
        };
        fetch_paged(
            self.reader(),
            ENTRY_COLS,
            s,
            &sort,
            &["region_code"],
            "region_code",
            "id",
            page,
            |r| self.entry_row(r),
        )
        .await
    }

    /// Called inside an intake: raises an alert for every active register entry with this
    /// identity number, wherever it is kept. Returns how many.
    pub(crate) async fn register_check(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        index: &str,
        case_id: i64,
    ) -> Result<usize> {
        let rows = sqlx::query("SELECT id, region_code FROM wandering_register WHERE resident_id_idx = $1 AND active = 1")
            .bind(index.to_string())
            .fetch_all(&mut **tx)
            .await?;
        for r in &rows {
            sqlx::query("INSERT INTO register_alerts (register_id, case_id, region_code, at) VALUES ($1, $2, $3, $4)")
                .bind(r.try_get::<i64, _>("id")?)
                .bind(case_id)
                .bind(r.try_get::<String, _>("region_code")?)
                .bind(now_ms())
                .execute(&mut **tx)
                .await?;
        }
        Ok(rows.len())
    }

    /// Alerts for the register entries in the caller's jurisdiction, newest first.
    pub async fn register_alerts(
        &self,
        scopes: &[RegionCode],
        open_only: bool,
    ) -> Result<Vec<RegisterAlert>> {
        let mut q = Sql::new(
            "SELECT a.id, a.register_id, a.case_id, w.name, a.region_code, a.at, o.name AS station, a.acknowledged_at \
             FROM register_alerts a JOIN wandering_register w ON w.id = a.register_id JOIN cases c ON c.id = a.case_id \
             JOIN organisations o ON o.id = c.station_id WHERE 1 = 1",
        );
        q.scope("a.region_code", scopes);
        if open_only {
            q.push(" AND a.acknowledged_at IS NULL");
        }
        q.push(" ORDER BY a.at DESC LIMIT 200");
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RegisterAlert {
                    id: r.try_get("id")?,
                    register_id: r.try_get("register_id")?,
                    case_id: r.try_get("case_id")?,
                    name: r.try_get("name")?,
                    region_code: r.try_get("region_code")?,
                    at: r.try_get("at")?,
                    station: r.try_get("station")?,
                    acknowledged_at: r.try_get("acknowledged_at")?,
                })
            })
            .collect()
    }

    /// The region of an alert, for the caller's permission check.
    pub async fn register_alert_region(&self, id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT region_code FROM register_alerts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn register_acknowledge(&self, actor: &Actor, id: i64) -> Result<()> {
        let region = crate::stored_region(self.register_alert_region(id).await?)?;
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE register_alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL")
            .bind(now_ms())
            .bind(actor.name.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Invalid("alert_already_acknowledged"));
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "register.acknowledge",
                record_kind: "register_alert",
                record_id: id.to_string(),
                region: &region,
                changes: vec![],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
