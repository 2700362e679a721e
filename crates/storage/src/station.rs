//! 站内救助: people and their stays at a rescue station.
//!
//! A person record is never merged into another: a second stay of the same person is a new
//! case linked to the earlier one, so nobody's history is lost by a wrong match.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use jiuzhu_domain::case::{self, CaseEvent, CaseState, Channel, PersonFacts};
use jiuzhu_domain::deadline::{self, Deadline, DeadlineKind, StayFacts};
use jiuzhu_domain::follow_up;
use jiuzhu_domain::settings::StationSettings;
use jiuzhu_domain::{RegionCode, ResidentId, Sex, WorkCalendar};
use serde::Serialize;
use sqlx::Row;

const RID_AAD: &str = "persons.resident_id";
const HEALTH_AAD: &str = "persons.health";
const RELATIVES_AAD: &str = "persons.relatives";
const COLLECTOR_AAD: &str = "case_events.collector_id";

/// What the station records about a person at intake (求助登记表).
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub name: String,
    pub aliases: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub estimated_age: Option<u32>,
    pub resident_id: Option<ResidentId>,
    pub registered_residence: String,
    pub actual_residence: String,
    /// Region of origin as far as known (6-digit code), for statistics and tracing.
    pub origin_region: String,
    pub dialect: String,
    pub height_cm: Option<u32>,
    pub build: String,
    pub features: String,
    pub clothing: String,
    /// 健康状况 (sensitive: stored encrypted).
    pub health: String,
    pub mental_state: String,
    pub intellectual_state: String,
    pub needs_collection: bool,
    pub mental_or_intellectual: bool,
    /// 近亲属及联系方式 (sensitive: stored encrypted).
    pub relatives: String,
    pub special_groups: Vec<jiuzhu_domain::case::SpecialGroup>,
    /// 照片、指纹采集编号: references to the photo and fingerprints taken at the first check
    /// (the images live in the police and national systems, not here).
    pub photo_ref: String,
    pub fingerprint_ref: String,
}

impl PersonInput {
    /// Field rules: impossible ages and future birth dates are refused.
    pub fn validate(&self, today: NaiveDate) -> Result<()> {
        let long = |s: &str, n: usize| s.chars().count() > n;
        if long(&self.name, 50) || long(&self.aliases, 100) {
            return Err(StoreError::Invalid("name_too_long"));
        }
        if let Some(b) = self.birth_date {
            if b > today || b < NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") {
                return Err(StoreError::Invalid("birth_date_invalid"));
            }
        }
        if let Some(a) = self.estimated_age {
            if a > 120 {
                return Err(StoreError::Invalid("age_invalid"));
            }
        }
        if let Some(h) = self.height_cm {
            if !(40..=250).contains(&h) {
                return Err(StoreError::Invalid("height_invalid"));
            }
        }
        if !self.origin_region.is_empty() && RegionCode::parse(&self.origin_region).is_err() {
            return Err(StoreError::Invalid("region_code_invalid"));
        }
        for s in [
            &self.registered_residence,
            &self.actual_residence,
            &self.features,
            &self.clothing,
            &self.health,
            &self.relatives,
        ] {
            if long(s, 500) {
                return Err(StoreError::Invalid("text_too_long"));
            }
        }
        Ok(())
    }

    /// Identity is confirmed when the identity number is known.
    pub fn unidentified(&self) -> bool {
        self.resident_id.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct IntakeInput {
    pub station_id: i64,
    pub channel: Channel,
    pub cause: String,
    pub registered_at: DateTime<Utc>,
    pub person: PersonInput,
}

/// A case with its person, as the pages show it. Sensitive fields are masked.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub region_code: String,
    pub station_id: i64,
    pub person_id: i64,
    pub channel: String,
    pub state: String,
    pub cause: String,
    pub registered_at: i64,
    pub admitted_at: Option<i64>,
    pub departed_at: Option<i64>,
    pub exit_kind: Option<String>,
    pub unidentified: bool,
    pub verify_later: bool,
    pub area: String,
    pub bed: String,
    pub notice_published_at: Option<i64>,
    pub dna_requested_at: Option<i64>,
    pub extension_approved_at: Option<i64>,
    pub notice_updated_at: Option<i64>,
    pub settlement_started_at: Option<i64>,
    pub linked_case_id: Option<i64>,
    pub version: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<String>,
    pub estimated_age: Option<i64>,
    pub estimated_on: Option<String>,
    pub resident_id_masked: Option<String>,
    pub origin_region: String,
    pub dialect: String,
    pub height_cm: Option<i64>,
    pub features: String,
    pub clothing: String,
    pub needs_collection: bool,
    pub mental_or_intellectual: bool,
}

impl CaseView {
    /// Age on a day, from the birth date or the estimate.
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        let birth = self
            .birth_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let est = match (self.estimated_age, self.estimated_on.as_deref()) {
            (Some(a), Some(d)) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .map(|d| (a.max(0) as u32, d)),
            _ => None,
        };
        case::age_for_rules(birth, est, on)
    }

    pub fn state(&self) -> CaseState {
        CaseState::parse(&self.state).unwrap_or(CaseState::Registered)
    }

    /// Whole days since admission (or registration).
    pub fn days_in_station(&self, now_ms: i64) -> i64 {
        let from = self.admitted_at.unwrap_or(self.registered_at);
        let to = self.departed_at.unwrap_or(now_ms);
        (to - from).max(0) / 86_400_000
    }

    pub fn person_facts(&self, on: NaiveDate) -> PersonFacts {
        PersonFacts {
            age: self.age_on(on).unwrap_or(30),
            // 规程: people with mental or intellectual disability are collected too.
            needs_collection: self.needs_collection || self.mental_or_intellectual,
            unidentified: self.unidentified,
        }
    }

    /// The deadlines of this stay now, under the station's regional settings.
    pub fn deadlines(
        &self,
        cal: &WorkCalendar,
        settings: &StationSettings,
        now: DateTime<Utc>,
    ) -> Vec<Deadline> {
        let ts = |ms: Option<i64>| ms.and_then(|m| Utc.timestamp_millis_opt(m).single());
        let Some(admitted) = ts(self.admitted_at) else {
            return Vec::new();
        };
        let today = jiuzhu_domain::time::local_date(now.timestamp_millis()).expect("valid now");
        deadline::deadlines(
            &StayFacts {
                admitted_at: admitted,
                unidentified: self.unidentified,
                age: self.age_on(today),
                mental_or_intellectual: self.mental_or_intellectual,
                in_station: self.state() == CaseState::InStation,
                notice_published_at: ts(self.notice_published_at),
                dna_requested_at: ts(self.dna_requested_at),
                extension_approved_at: ts(self.extension_approved_at),
                notice_updated_at: ts(self.notice_updated_at),
                settlement_started_at: ts(self.settlement_started_at),
                dna_request_working_days: settings.dna_request_working_days,
            },
            cal,
            now,
        )
    }
}

/// An earlier record that may be the same person: shown at intake, never merged.
#[derive(Debug, Clone, Serialize)]
pub struct PriorPerson {
    pub person_id: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<String>,
    pub estimated_age: Option<i64>,
    pub features: String,
    pub cases: i64,
    pub last_case_id: Option<i64>,
    /// When their latest stay ended, for the local repeat-help rule.
    pub last_departed_at: Option<i64>,
    /// `resident_id` (exact number) or `name_age` (a candidate to check).
    pub matched_on: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseEventRow {
    pub id: i64,
    pub at: i64,
    pub actor_name: String,
    pub event: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub q: String,
    pub state: Option<CaseState>,
    pub station_id: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

pub(crate) const CASE_COLS: &str = "c.id, c.case_no, c.region_code, c.station_id, c.person_id, c.channel, c.state, c.cause, \
    c.registered_at, c.admitted_at, c.departed_at, c.exit_kind, c.unidentified, c.verify_later, c.area, c.bed, \
    c.notice_published_at, c.dna_requested_at, c.extension_approved_at, c.notice_updated_at, c.settlement_started_at, \
    c.linked_case_id, c.version, p.name, p.sex, p.birth_date, p.estimated_age, p.estimated_on, p.resident_id_enc, \
    p.origin_region, p.dialect, p.height_cm, p.features, p.clothing, p.needs_collection, p.mental_or_intellectual";

pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Db {
    pub(crate) fn case_row(
        &self,
        r: &sqlx::any::AnyRow,
    ) -> std::result::Result<CaseView, sqlx::Error> {
        let rid: Option<Vec<u8>> = r.try_get("resident_id_enc")?;
        Ok(CaseView {
            id: r.try_get("id")?,
            case_no: r.try_get("case_no")?,
            region_code: r.try_get("region_code")?,
            station_id: r.try_get("station_id")?,
            person_id: r.try_get("person_id")?,
            channel: r.try_get("channel")?,
            state: r.try_get("state")?,
            cause: r.try_get("cause")?,
            registered_at: r.try_get("registered_at")?,
            admitted_at: r.try_get("admitted_at")?,
            departed_at: r.try_get("departed_at")?,
            exit_kind: r.try_get("exit_kind")?,
            unidentified: r.try_get::<i64, _>("unidentified")? != 0,
            verify_later: r.try_get::<i64, _>("verify_later")? != 0,
            area: r.try_get("area")?,
            bed: r.try_get("bed")?,
            notice_published_at: r.try_get("notice_published_at")?,
            dna_requested_at: r.try_get("dna_requested_at")?,
            extension_approved_at: r.try_get("extension_approved_at")?,
            notice_updated_at: r.try_get("notice_updated_at")?,
            settlement_started_at: r.try_get("settlement_started_at")?,
            linked_case_id: r.try_get("linked_case_id")?,
            version: r.try_get("version")?,
            name: r.try_get("name")?,
            sex: r.try_get("sex")?,
            birth_date: r.try_get("birth_date")?,
            estimated_age: r.try_get("estimated_age")?,
            estimated_on: r.try_get("estimated_on")?,
            resident_id_masked: self
                .keys()
                .masked(RID_AAD, rid, jiuzhu_domain::mask::resident_id),
            origin_region: r.try_get("origin_region")?,
            dialect: r.try_get("dialect")?,
            height_cm: r.try_get("height_cm")?,
            features: r.try_get("features")?,
            clothing: r.try_get("clothing")?,
            needs_collection: r.try_get::<i64, _>("needs_collection")? != 0,
            mental_or_intellectual: r.try_get::<i64, _>("mental_or_intellectual")? != 0,
        })
    }

    /// Earlier people who may be this one: the exact identity number first, then the
    /// same name and sex with an age within five years.
    pub async fn prior_people(
        &self,
        scopes: &[RegionCode],
        p: &PersonInput,
        today: NaiveDate,
    ) -> Result<Vec<PriorPerson>> {
        let mut out = Vec::new();
        let cols = "p.id, p.name, p.sex, p.birth_date, p.estimated_age, p.features, \
            (SELECT COUNT(*) FROM cases c WHERE c.person_id = p.id) AS n, \
            (SELECT MAX(c.id) FROM cases c WHERE c.person_id = p.id) AS last_case, \
            (SELECT MAX(c.departed_at) FROM cases c WHERE c.person_id = p.id) AS last_departed";
        let map = |r: &sqlx::any::AnyRow,
                   how: &'static str|
         -> std::result::Result<PriorPerson, sqlx::Error> {
            Ok(PriorPerson {
                person_id: r.try_get("id")?,
                name: r.try_get("name")?,
                sex: r.try_get("sex")?,
                birth_date: r.try_get("birth_date")?,
                estimated_age: r.try_get("estimated_age")?,
                features: r.try_get("features")?,
                cases: r.try_get("n")?,
                last_case_id: r.try_get("last_case")?,
                last_departed_at: r.try_get("last_departed")?,
                matched_on: how,
            })
        };
        if let Some(rid) = &p.resident_id {
            let mut q = Sql::new(&format!(
                "SELECT {cols} FROM persons p WHERE p.resident_id_idx = "
            ));
            q.bind_text(self.keys().blind_index("resident_id", rid.as_str()));
            q.scope("p.region_code", scopes);
            for r in sqlx::query_with(q.text(), q.args())
                .fetch_all(self.reader())
                .await?
            {
                out.push(map(&r, "resident_id")?);
            }
        }
        if !p.name.trim().is_empty() {
            let mut q = Sql::new(&format!("SELECT {cols} FROM persons p WHERE p.name = "));
            q.bind_text(p.name.trim());
            if let Some(s) = p.sex {
                q.push(" AND p.sex = ").bind_text(s.as_str());
            }
            q.scope("p.region_code", scopes);
            q.push(" ORDER BY p.id DESC LIMIT 20");
            let age = p
                .birth_date
                .map(|b| jiuzhu_domain::resident_id::age_on(b, today))
                .or(p.estimated_age);
            for r in sqlx::query_with(q.text(), q.args())
                .fetch_all(self.reader())
                .await?
            {
                let cand = map(&r, "name_age")?;
                if out
                    .iter()
                    .any(|o: &PriorPerson| o.person_id == cand.person_id)
                {
                    continue;
                }
                let cand_age = cand
                    .birth_date
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map(|b| jiuzhu_domain::resident_id::age_on(b, today) as i64)
                    .or(cand.estimated_age);
                let close = match (age, cand_age) {
                    (Some(a), Some(b)) => (a as i64 - b).abs() <= 5,
                    _ => true,
                };
                if close {
                    out.push(cand);
                }
            }
        }
        Ok(out)
    }

    /// 求助登记: registers a person and opens a case, in one transaction. A prior person
    /// found by exact identity number is reused (the same human) and the new case linked to
    /// their last one; name matches are only suggestions.
    pub async fn intake(
        &self,
        actor: &Actor,
        region: &RegionCode,
        input: &IntakeInput,
    ) -> Result<CaseView> {
        let today = jiuzhu_domain::time::local_date(now_ms()).expect("now");
        input.person.validate(today)?;
        if input.registered_at.timestamp_millis() > now_ms() + 5 * 60_000 {
            return Err(StoreError::Invalid("time_in_future"));
        }
        if input.cause.chars().count() > 500 {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let prior = match &input.person.resident_id {
            Some(_) => self
                .prior_people(&[RegionCode::nation()], &input.person, today)
                .await?
                .into_iter()
                .find(|p| p.matched_on == "resident_id"),
            None => None,
        };
        let p = &input.person;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let person_id = match &prior {
            Some(pp) => pp.person_id,
            None => sqlx::query_scalar(
                "INSERT INTO persons (region_code, name, aliases, sex, birth_date, estimated_age, estimated_on, resident_id_enc, \
                 resident_id_idx, registered_residence, actual_residence, origin_region, dialect, height_cm, build, features, \
                 clothing, health_enc, mental_state, intellectual_state, needs_collection, mental_or_intellectual, relatives_enc, \
                 created_at, updated_at, special_groups, photo_ref, fingerprint_ref) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$24,$25,$26,$27) RETURNING id",
            )
            .bind(region.to_string())
            .bind(p.name.trim().to_string())
            .bind(p.aliases.trim().to_string())
            .bind(p.sex.map(Sex::as_str).unwrap_or("").to_string())
            .bind(p.birth_date.map(date_text))
            .bind(p.estimated_age.map(i64::from))
            .bind(p.estimated_age.map(|_| date_text(today)))
            .bind(p.resident_id.as_ref().map(|r| self.keys().encrypt(RID_AAD, r.as_str())))
            .bind(p.resident_id.as_ref().map(|r| self.keys().blind_index("resident_id", r.as_str())))
            .bind(p.registered_residence.clone())
            .bind(p.actual_residence.clone())
            .bind(p.origin_region.clone())
            .bind(p.dialect.clone())
            .bind(p.height_cm.map(i64::from))
            .bind(p.build.clone())
            .bind(p.features.clone())
            .bind(p.clothing.clone())
            .bind((!p.health.is_empty()).then(|| self.keys().encrypt(HEALTH_AAD, &p.health)))
            .bind(p.mental_state.clone())
            .bind(p.intellectual_state.clone())
            .bind(p.needs_collection as i64)
            .bind(p.mental_or_intellectual as i64)
            .bind((!p.relatives.is_empty()).then(|| self.keys().encrypt(RELATIVES_AAD, &p.relatives)))
            .bind(now)
            .bind(p.special_groups.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(","))
            .bind(p.photo_ref.trim().to_string())
            .bind(p.fingerprint_ref.trim().to_string())
            .fetch_one(&mut *tx)
            .await?,
        };
        let placeholder = crate::crypto::random_token();
        let case_id: i64 = sqlx::query_scalar(
            "INSERT INTO cases (region_code, station_id, person_id, case_no, channel, state, cause, registered_at, unidentified, \
             linked_case_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING id",
        )
        .bind(region.to_string())
        .bind(input.station_id)
        .bind(person_id)
        .bind(placeholder)
        .bind(input.channel.as_str())
        .bind(CaseState::Registered.as_str())
        .bind(input.cause.trim().to_string())
        .bind(input.registered_at.timestamp_millis())
        .bind(p.unidentified() as i64)
        .bind(prior.as_ref().and_then(|pp| pp.last_case_id))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::Invalid("station_unknown"),
            _ => StoreError::Database(e),
        })?;
        // Someone on a community's register of people prone to wandering: alert the home side.
        if let Some(rid) = &p.resident_id {
            let index = self.keys().blind_index("resident_id", rid.as_str());
            Db::register_check(&mut tx, &index, case_id).await?;
        }
        let year = jiuzhu_domain::time::local_date(input.registered_at.timestamp_millis())
            .map(|d| d.format("%Y").to_string())
            .unwrap_or_default();
        let case_no = format!("{year}-{:03}-{case_id:06}", input.station_id);
        sqlx::query("UPDATE cases SET case_no = $1 WHERE id = $2")
            .bind(case_no.clone())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(case_id)
            .bind(region.to_string())
            .bind(input.registered_at.timestamp_millis())
            .bind(actor.user_id)
            .bind(actor.name.clone())
            .bind("intake")
            .bind(serde_json::json!({"channel": input.channel.as_str(), "cause": input.cause, "prior_person": prior.as_ref().map(|p| p.person_id)}).to_string())
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.intake",
                record_kind: "case",
                record_id: case_id.to_string(),
                region,
                changes: vec![
                    Change::new("case_no", None::<String>, Some(&case_no)),
                    Change::new("name", None::<String>, Some(p.name.trim())),
                    Change::sensitive("resident_id", false, p.resident_id.is_some()),
                    Change::sensitive("health", false, !p.health.is_empty()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.case(case_id).await
    }

    pub async fn case(&self, id: i64) -> Result<CaseView> {
        let r = sqlx::query(&format!(
            "SELECT {CASE_COLS} FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(self.case_row(&r)?)
    }

    pub async fn cases_list(
        &self,
        scopes: &[RegionCode],
        f: &CaseFilter,
        sort: &Sort,
        page: Page,
    ) -> Result<Paged<CaseView>> {
        let mut q = Sql::new("FROM cases c JOIN persons p ON p.id = c.person_id WHERE 1 = 1");
        q.scope("c.region_code", scopes);
        q.keyword(&["p.name", "p.aliases", "c.case_no", "p.features"], &f.q);
        if let Some(s) = f.state {
            q.push(" AND c.state = ").bind_text(s.as_str());
        }
        if let Some(st) = f.station_id {
            q.push(" AND c.station_id = ").bind_i64(st);
        }
        if let Some(t) = f.from_ms {
            q.push(" AND c.registered_at >= ").bind_i64(t);
        }
        if let Some(t) = f.to_ms {
            q.push(" AND c.registered_at < ").bind_i64(t);
        }
        let sort = if sort.column.is_empty() {
            Sort {
                column: "c.registered_at".into(),
                descending: true,
            }
        } else {
            sort.clone()
        };
        fetch_paged(
            self.reader(),
            CASE_COLS,
            q,
            &sort,
            &[
                "c.registered_at",
                "c.admitted_at",
                "p.name",
                "c.case_no",
                "c.state",
            ],
            "c.registered_at",
            "c.id",
            page,
            |r| self.case_row(r),
        )
        .await
    }

    /// Everyone in the station now (在站), for the station board.
    pub async fn station_board(&self, scopes: &[RegionCode]) -> Result<Vec<CaseView>> {
        let mut q = Sql::new(&format!("SELECT {CASE_COLS} FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.state IN ('in_station', 'checked', 'registered', 'diverted')"));
        q.scope("c.region_code", scopes);
        q.push(" ORDER BY c.admitted_at, c.registered_at LIMIT 1000");
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| self.case_row(r))
            .collect::<std::result::Result<_, _>>()?)
    }

    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRow>> {
        let rows = sqlx::query("SELECT id, at, actor_name, event, detail FROM case_events WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseEventRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_name: r.try_get("actor_name")?,
                    event: r.try_get("event")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Applies one event of the case's state machine. The domain decides whether it is
    /// allowed; a stale version is a conflict; nothing is written when either refuses.
    pub async fn case_apply(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        event: &CaseEvent,
        at: DateTime<Utc>,
        settings: &StationSettings,
    ) -> Result<CaseView> {
        let c = self.case(id).await?;
        if c.version != expected_version {
            return Err(StoreError::Conflict { current: c.version });
        }
        let now = Utc::now();
        let registered = Utc
            .timestamp_millis_opt(c.registered_at)
            .single()
            .expect("stored instant");
        case::check_event_time(at, registered, now).map_err(|e| StoreError::Invalid(e.code()))?;
        let on = jiuzhu_domain::time::local_date(at.timestamp_millis()).expect("valid");
        let next = case::apply(
            c.state(),
            event,
            c.person_facts(on),
            settings.exit,
            c.days_in_station(at.timestamp_millis()),
        )
        .map_err(|e| StoreError::Invalid(e.code()))?;
        let at_ms = at.timestamp_millis();
        let mut tx = self.begin().await?;
        let (admitted, departed, exit_kind, exit_detail, verify_later) = match event {
            CaseEvent::Screen(jiuzhu_domain::case::Screening::Admit { verify_later }) => {
                (Some(at_ms), None, None, String::new(), *verify_later)
            }
            CaseEvent::Depart(exit) => (
                c.admitted_at,
                Some(at_ms),
                Some(exit.kind().as_str()),
                serde_json::to_string(exit).expect("serialises"),
                c.verify_later,
            ),
            CaseEvent::Screen(jiuzhu_domain::case::Screening::Refuse { .. }) => {
                (None, Some(at_ms), None, String::new(), false)
            }
            _ => (c.admitted_at, None, None, String::new(), c.verify_later),
        };
        let done = sqlx::query(
            "UPDATE cases SET state = $1, admitted_at = $2, departed_at = $3, exit_kind = $4, exit_detail = $5, verify_later = $6, \
             updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(next.as_str())
        .bind(admitted)
        .bind(departed)
        .bind(exit_kind)
        .bind(exit_detail)
        .bind(verify_later as i64)
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "cases", id).await);
        }
        let collector = match event {
            CaseEvent::Depart(jiuzhu_domain::case::Exit::CollectedByRelatives {
                collector_id: Some(r),
                ..
            }) => Some(self.keys().encrypt(COLLECTOR_AAD, r.as_str())),
            _ => None,
        };
        let detail = serde_json::to_value(event).expect("serialises");
        sqlx::query("INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail, documents) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)")
            .bind(id)
            .bind(c.region_code.clone())
            .bind(at_ms)
            .bind(actor.user_id)
            .bind(actor.name.clone())
            .bind(event.name())
            .bind(detail.to_string())
            .bind(collector.map(|b| base64_encode(&b)).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        // Going home starts the home side's follow-up visits.
        if let CaseEvent::Depart(exit) = event {
            if follow_up::follows_up(exit.kind()) {
                let home = match exit {
                    jiuzhu_domain::case::Exit::EscortedHome {
                        destination_region, ..
                    } => RegionCode::parse(destination_region).ok(),
                    _ => None,
                }
                .or_else(|| RegionCode::parse(&c.origin_region).ok())
                .unwrap_or(crate::stored_region(c.region_code.clone())?);
                for (due, kind) in follow_up::schedule(on, &settings.follow_up) {
                    sqlx::query(
                        "INSERT INTO follow_ups (case_id, region_code, home_region, due_date, kind, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    )
                    .bind(id)
                    .bind(c.region_code.clone())
                    .bind(home.to_string())
                    .bind(date_text(due))
                    .bind(kind.as_str())
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.transition",
                record_kind: "case",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("state", Some(c.state.as_str()), Some(next.as_str())),
                    Change::new("event", None::<String>, Some(event.name())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.case(id).await
    }

    /// Records that a deadline's task was done (notice published, DNA requested…).
    pub async fn case_mark(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        kind: DeadlineKind,
        at: DateTime<Utc>,
    ) -> Result<CaseView> {
        let c = self.case(id).await?;
        let registered = Utc
            .timestamp_millis_opt(c.registered_at)
            .single()
            .expect("stored instant");
        case::check_event_time(at, registered, Utc::now())
            .map_err(|e| StoreError::Invalid(e.code()))?;
        let column = match kind {
            DeadlineKind::SearchNotice => "notice_published_at",
            DeadlineKind::DnaRequest => "dna_requested_at",
            DeadlineKind::StayExtension => "extension_approved_at",
            DeadlineKind::NoticeUpdate => "notice_updated_at",
            DeadlineKind::Settlement => "settlement_started_at",
        };
        let mut tx = self.begin().await?;
        let done = sqlx::query(&format!("UPDATE cases SET {column} = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4"))
            .bind(at.timestamp_millis())
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "cases", id).await);
        }
        sqlx::query("INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(id)
            .bind(c.region_code.clone())
            .bind(at.timestamp_millis())
            .bind(actor.user_id)
            .bind(actor.name.clone())
            .bind(kind.as_str())
            .bind(String::new())
            .execute(&mut *tx)
            .await?;
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.deadline_met",
                record_kind: "case",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    column,
                    None::<String>,
                    Some(at.timestamp_millis()),
                )],
            },
        )
        .await?;
        tx.commit().await?;
        self.case(id).await
    }

    /// The full identity number, health notes and relatives of a case's person (logged).
    pub async fn person_reveal(
        &self,
        actor: &Actor,
        person_id: i64,
    ) -> Result<(Option<String>, Option<String>, Option<String>)> {
        let r = sqlx::query("SELECT region_code, resident_id_enc, health_enc, relatives_enc FROM persons WHERE id = $1")
            .bind(person_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let region = crate::stored_region(r.try_get::<String, _>("region_code")?)?;
        self.log_access(
            actor,
            "person",
            &person_id.to_string(),
            "resident_id,health,relatives",
            &region,
            "reveal",
        )
        .await?;
        let dec = |col: &str, aad: &str| -> Result<Option<String>> {
            let b: Option<Vec<u8>> = r.try_get(col)?;
            b.map(|b| self.keys().decrypt(aad, &b)).transpose()
        };
        Ok((
            dec("resident_id_enc", RID_AAD)?,
            dec("health_enc", HEALTH_AAD)?,
            dec("relatives_enc", RELATIVES_AAD)?,
        ))
    }
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl Db {
    /// The facts the monthly report counts, for every stay in the scopes that overlaps
    /// `[from, to)`: admitted before `to` and not departed before `from`.
    pub async fn report_stays(
        &self,
        scopes: &[RegionCode],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<jiuzhu_domain::report::StayRecord>> {
        let mut q = Sql::new(&format!(
            "SELECT {CASE_COLS}, c.exit_detail, p.special_groups, CASE WHEN p.health_enc IS NULL THEN 0 ELSE 1 END AS has_health FROM cases c JOIN persons p ON p.id = c.person_id \
             WHERE c.admitted_at IS NOT NULL AND c.admitted_at < "
        ));
        q.bind_i64(to.timestamp_millis());
        q.push(" AND (c.departed_at IS NULL OR c.departed_at >= ")
            .bind_i64(from.timestamp_millis())
            .push(")");
        q.scope("c.region_code", scopes);
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = self.case_row(r)?;
            let detail: String = r.try_get("exit_detail")?;
            let has_health = r.try_get::<i64, _>("has_health")? != 0;
            let groups: String = r.try_get("special_groups")?;
            let exit: Option<jiuzhu_domain::case::Exit> = serde_json::from_str(&detail).ok();
            let ts = |ms: Option<i64>| ms.and_then(|m| Utc.timestamp_millis_opt(m).single());
            let admitted = ts(c.admitted_at);
            let on = admitted
                .and_then(|a| jiuzhu_domain::time::local_date(a.timestamp_millis()))
                .unwrap_or_else(|| Utc::now().date_naive());
            let age = c.age_on(on);
            out.push(jiuzhu_domain::report::StayRecord {
                case_id: c.id,
                sex: Sex::parse(&c.sex),
                age,
                origin_province: (c.origin_region.len() >= 2)
                    .then(|| c.origin_region[..2].to_string()),
                mental_or_intellectual: c.mental_or_intellectual,
                other_condition: has_health || c.needs_collection,
                minor: age.is_some_and(|a| a < 18),
                unidentified: c.unidentified,
                admitted_at: admitted,
                departed_at: ts(c.departed_at),
                exit: c
                    .exit_kind
                    .as_deref()
                    .and_then(jiuzhu_domain::case::ExitKind::parse),
                ticket: matches!(
                    &exit,
                    Some(jiuzhu_domain::case::Exit::SelfDischarge {
                        travel: jiuzhu_domain::case::Travel::Ticket { .. },
                        ..
                    })
                ),
                destination_province: match &exit {
                    Some(jiuzhu_domain::case::Exit::EscortedHome {
                        destination_region, ..
                    }) if destination_region.len() >= 2 => {
                        Some(destination_region[..2].to_string())
                    }
                    _ => None,
                },
                settled: matches!(
                    &exit,
                    Some(jiuzhu_domain::case::Exit::Placed {
                        household_registration: true,
                        ..
                    })
                ),
                services: Vec::new(),
                special_groups: groups
                    .split(',')
                    .filter(|g| !g.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
        // Services, in one query for all the stays.
        let mut svc = Sql::new("SELECT s.case_id, s.kind FROM case_services s JOIN cases c ON c.id = s.case_id WHERE c.admitted_at IS NOT NULL AND c.admitted_at < ");
        svc.bind_i64(to.timestamp_millis());
        svc.push(" AND (c.departed_at IS NULL OR c.departed_at >= ")
            .bind_i64(from.timestamp_millis())
            .push(")");
        svc.scope("c.region_code", scopes);
        let mut by_case: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        for r in sqlx::query_with(svc.text(), svc.args())
            .fetch_all(self.reader())
            .await?
        {
            by_case
                .entry(r.try_get("case_id")?)
                .or_default()
                .push(r.try_get("kind")?);
        }
        for s in &mut out {
            if let Some(v) = by_case.remove(&s.case_id) {
                s.services = v;
            }
        }
        Ok(out)
    }
}

/// One scheduled follow-up with the person it is about: a row of the home side's ledger.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpRow {
    pub id: i64,
    pub case_id: i64,
    pub case_no: String,
    pub name: String,
    pub sex: String,
    pub home_region: String,
    pub departed_at: Option<i64>,
    pub exit_kind: Option<String>,
    pub due_date: String,
    pub kind: String,
    pub done_at: Option<i64>,
    pub outcome: String,
    pub note: String,
    pub guardian_reminded: bool,
    pub referred: bool,
    pub version: i64,
}

#[derive(Debug, Clone, Default)]
pub struct FollowUpFilter {
    pub q: String,
    /// Only visits not yet made.
    pub open: bool,
    /// Only visits due on or before this day.
    pub due_by: Option<NaiveDate>,
}

const FOLLOW_COLS: &str = "f.id, f.case_id, c.case_no, p.name, p.sex, f.home_region, c.departed_at, c.exit_kind, f.due_date, f.kind, \
    f.done_at, f.outcome, f.note, f.guardian_reminded, f.referred, f.version";

fn follow_row(r: &sqlx::any::AnyRow) -> std::result::Result<FollowUpRow, sqlx::Error> {
    Ok(FollowUpRow {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        case_no: r.try_get("case_no")?,
        name: r.try_get("name")?,
        sex: r.try_get("sex")?,
        home_region: r.try_get("home_region")?,
        departed_at: r.try_get("departed_at")?,
        exit_kind: r.try_get("exit_kind")?,
        due_date: r.try_get("due_date")?,
        kind: r.try_get("kind")?,
        done_at: r.try_get("done_at")?,
        outcome: r.try_get("outcome")?,
        note: r.try_get("note")?,
        guardian_reminded: r.try_get::<i64, _>("guardian_reminded")? != 0,
        referred: r.try_get::<i64, _>("referred")? != 0,
        version: r.try_get("version")?,
    })
}

impl Db {
    /// 返乡人员信息台账: follow-ups of people returned home to the caller's jurisdiction.
    pub async fn follow_ups(
        &self,
        home_scopes: &[RegionCode],
        f: &FollowUpFilter,
        page: Page,
    ) -> Result<Paged<FollowUpRow>> {
        let mut q = Sql::new("FROM follow_ups f JOIN cases c ON c.id = f.case_id JOIN persons p ON p.id = c.person_id WHERE 1 = 1");
        q.scope("f.home_region", home_scopes);
        q.keyword(&["p.name", "c.case_no"], &f.q);
        if f.open {
            q.push(" AND f.done_at IS NULL");
        }
        if let Some(d) = f.due_by {
            q.push(" AND f.due_date <= ").bind_text(date_text(d));
        }
        let sort = Sort {
            column: "f.due_date".into(),
            descending: false,
        };
        fetch_paged(
            self.reader(),
            FOLLOW_COLS,
            q,
            &sort,
            &["f.due_date"],
            "f.due_date",
            "f.id",
            page,
            follow_row,
        )
        .await
    }

    pub async fn follow_up(&self, id: i64) -> Result<FollowUpRow> {
        let r = sqlx::query(&format!("SELECT {FOLLOW_COLS} FROM follow_ups f JOIN cases c ON c.id = f.case_id JOIN persons p ON p.id = c.person_id WHERE f.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(follow_row(&r)?)
    }

    /// Records what a follow-up found. A visit is recorded once; a second save of the same
    /// version conflicts.
    #[allow(clippy::too_many_arguments)]
    pub async fn follow_up_record(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        outcome: follow_up::Outcome,
        note: &str,
        guardian_reminded: bool,
        referred: bool,
        at: DateTime<Utc>,
    ) -> Result<FollowUpRow> {
        if note.chars().count() > 500 {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let before = self.follow_up(id).await?;
        if before.done_at.is_some() {
            return Err(StoreError::Invalid("follow_up_already_recorded"));
        }
        if at.timestamp_millis() > now_ms() + 5 * 60_000 {
            return Err(StoreError::Invalid("time_in_future"));
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE follow_ups SET done_at = $1, outcome = $2, note = $3, guardian_reminded = $4, referred = $5, actor_name = $6, \
             updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(at.timestamp_millis())
        .bind(outcome.as_str())
        .bind(note.trim().to_string())
        .bind(guardian_reminded as i64)
        .bind(referred as i64)
        .bind(actor.name.clone())
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "follow_ups", id).await);
        }
        // 书面反馈: the sending station sees what the home side found, on its own case.
        sqlx::query(
            "INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail) \
             SELECT id, region_code, $1, $2, $3, 'home_feedback', $4 FROM cases WHERE id = $5",
        )
        .bind(at.timestamp_millis())
        .bind(actor.user_id)
        .bind(actor.name.clone())
        .bind(serde_json::json!({"outcome": outcome.as_str(), "note": note.trim(), "home_region": before.home_region}).to_string())
        .bind(before.case_id)
        .execute(&mut *tx)
        .await?;
        let region = crate::stored_region(before.home_region.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "follow_up.record",
                record_kind: "follow_up",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    "outcome",
                    None::<String>,
                    Some(outcome.as_str()),
                )],
            },
        )
        .await?;
        tx.commit().await?;
        self.follow_up(id).await
    }
}

/// 在站服务: what the station gave someone during a stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// 生活照料
    Living,
    /// 医疗救治 (cost in fen)
    Medical,
    /// 心理疏导 by a social worker
    Counselling,
    /// 教育矫治 (minors)
    Education,
    /// 随身物品登记保管
    BelongingsStored,
    /// 随身物品返还 against the signed list
    BelongingsReturned,
}

impl ServiceKind {
    pub const ALL: &'static [ServiceKind] = &[
        ServiceKind::Living,
        ServiceKind::Medical,
        ServiceKind::Counselling,
        ServiceKind::Education,
        ServiceKind::BelongingsStored,
        ServiceKind::BelongingsReturned,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Living => "living",
            ServiceKind::Medical => "medical",
            ServiceKind::Counselling => "counselling",
            ServiceKind::Education => "education",
            ServiceKind::BelongingsStored => "belongings_stored",
            ServiceKind::BelongingsReturned => "belongings_returned",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceRow {
    pub id: i64,
    pub kind: String,
    pub at: i64,
    pub provider: String,
    pub note: String,
    pub cost_fen: i64,
    pub actor_name: String,
}

impl Db {
    /// Records a service given during a stay. Services are added while the person is in
    /// the station (belongings may be returned on the day they leave).
    #[allow(clippy::too_many_arguments)]
    pub async fn case_add_service(
        &self,
        actor: &Actor,
        case_id: i64,
        kind: ServiceKind,
        at: DateTime<Utc>,
        provider: &str,
        note: &str,
        cost: jiuzhu_domain::Fen,
    ) -> Result<ServiceRow> {
        let c = self.case(case_id).await?;
        let returning = kind == ServiceKind::BelongingsReturned && c.state() == CaseState::Departed;
        if c.state() != CaseState::InStation && !returning {
            return Err(StoreError::Invalid("case_not_in_station"));
        }
        if cost.is_negative() || cost.0 > 100_000_000 {
            return Err(StoreError::Invalid("money_invalid"));
        }
        if provider.chars().count() > 100 || note.chars().count() > 500 {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let registered = Utc
            .timestamp_millis_opt(c.registered_at)
            .single()
            .expect("stored instant");
        case::check_event_time(at, registered, Utc::now())
            .map_err(|e| StoreError::Invalid(e.code()))?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO case_services (case_id, region_code, kind, at, provider, note, cost_fen, actor_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(case_id)
        .bind(c.region_code.clone())
        .bind(kind.as_str())
        .bind(at.timestamp_millis())
        .bind(provider.trim().to_string())
        .bind(note.trim().to_string())
        .bind(cost.0)
        .bind(actor.name.clone())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.service",
                record_kind: "case",
                record_id: case_id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("service", None::<String>, Some(kind.as_str())),
                    Change::new("cost_fen", None::<String>, Some(cost.0)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceRow {
            id,
            kind: kind.as_str().into(),
            at: at.timestamp_millis(),
            provider: provider.trim().into(),
            note: note.trim().into(),
            cost_fen: cost.0,
            actor_name: actor.name.clone(),
        })
    }

    pub async fn case_services(&self, case_id: i64) -> Result<Vec<ServiceRow>> {
        let rows = sqlx::query("SELECT id, kind, at, provider, note, cost_fen, actor_name FROM case_services WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    at: r.try_get("at")?,
                    provider: r.try_get("provider")?,
                    note: r.try_get("note")?,
                    cost_fen: r.try_get("cost_fen")?,
                    actor_name: r.try_get("actor_name")?,
                })
            })
            .collect()
    }
}

impl Db {
    /// 分区分床: puts someone in an area and bed. The domain's separation rules decide
    /// whether the area may take them.
    pub async fn case_assign_bed(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        area: case::Area,
        bed: &str,
    ) -> Result<CaseView> {
        let c = self.case(id).await?;
        if c.state() != CaseState::InStation {
            return Err(StoreError::Invalid("case_not_in_station"));
        }
        let today = jiuzhu_domain::time::local_date(now_ms()).expect("now");
        if !case::area_allows(area, Sex::parse(&c.sex), c.age_on(today)) {
            return Err(StoreError::Invalid("case_area_not_allowed"));
        }
        let bed = bed.trim();
        if bed.is_empty() || bed.chars().count() > 20 {
            return Err(StoreError::Invalid("bed_required"));
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE cases SET area = $1, bed = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5")
            .bind(area.as_str())
            .bind(bed.to_string())
            .bind(now_ms())
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "cases", id).await);
        }
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.bed",
                record_kind: "case",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("area", Some(&c.area), Some(area.as_str())),
                    Change::new("bed", Some(&c.bed), Some(bed)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.case(id).await
    }
}
