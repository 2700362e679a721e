//! 寻亲: search actions on a case, families' missing-person reports, tips about public
//! notices, and the suggested pairs with the worker's decision on each.
//!
//! The matching engine runs outside this crate; it hands over scored pairs
//! ([`CandidateInput`]) and this module keeps them, remembers rejections (a rejected pair
//! comes back only when either record's data changes, which its fingerprint shows) and
//! applies a confirmation in one transaction: the pair, the report, the case and its
//! timeline, and the audit row.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::station::{date_text, CaseView, CASE_COLS};
use crate::{now_ms, Actor, Db, Page, Paged, Result, Sort, StoreError};
use chrono::NaiveDate;
use jiuzhu_domain::tracing::{
    check_confirmation, check_rejection, CandidateStatus, ChannelOutcome, ConfirmFacts, Evidence,
    PublicNotice, ReportStatus, SearchChannel,
};
use jiuzhu_domain::{RegionCode, Sex};
use rand::Rng;
use serde::Serialize;
use sqlx::Row;

const CONTACT_AAD: &str = "missing_reports.contact";
const TIP_AAD: &str = "notice_tips.contact";

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

/// A reference number a family can read over the phone: prefix, date, six characters
/// without look-alikes (no 0/O, 1/I).
pub(crate) fn reference(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let tail: String = (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!(
        "{prefix}{}{tail}",
        jiuzhu_domain::time::local_date(now_ms())
            .map(|d| d.format("%y%m%d").to_string())
            .unwrap_or_default()
    )
}

// ---------------------------------------------------------------------------------------
// Search actions

#[derive(Debug, Clone)]
pub struct SearchActionInput {
    pub case_id: i64,
    pub channel: SearchChannel,
    pub requested_on: NaiveDate,
    /// Sample id, comparison request number, article link…
    pub reference: String,
    pub detail: String,
    pub outcome: ChannelOutcome,
    pub result_on: Option<NaiveDate>,
    pub result_note: String,
    /// For [`SearchChannel::Shared`]: the jurisdiction the search is shared with.
    pub shared_with: Option<RegionCode>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchActionRow {
    pub id: i64,
    pub case_id: i64,
    pub region_code: String,
    pub channel: String,
    pub requested_on: String,
    pub reference: String,
    pub detail: String,
    pub outcome: String,
    pub result_on: Option<String>,
    pub result_note: String,
    pub actor_name: String,
    pub version: i64,
}

const ACTION_COLS: &str = "id, case_id, region_code, channel, requested_on, reference, detail, outcome, result_on, result_note, actor_name, version";

fn action_row(r: &sqlx::any::AnyRow) -> std::result::Result<SearchActionRow, sqlx::Error> {
    Ok(SearchActionRow {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        region_code: r.try_get("region_code")?,
        channel: r.try_get("channel")?,
        requested_on: r.try_get("requested_on")?,
        reference: r.try_get("reference")?,
        detail: r.try_get("detail")?,
        outcome: r.try_get("outcome")?,
        result_on: r.try_get("result_on")?,
        result_note: r.try_get("result_note")?,
        actor_name: r.try_get("actor_name")?,
        version: r.try_get("version")?,
    })
}

fn check_action_dates(
    requested_on: NaiveDate,
    result_on: Option<NaiveDate>,
    registered: NaiveDate,
) -> Result<()> {
    let today = jiuzhu_domain::time::local_date(now_ms()).expect("valid now");
    if requested_on > today || result_on.is_some_and(|d| d > today) {
        return Err(StoreError::Invalid("date_in_future"));
    }
    if requested_on < registered {
        return Err(StoreError::Invalid("date_before_intake"));
    }
    if result_on.is_some_and(|d| d < requested_on) {
        return Err(StoreError::Invalid("result_before_request"));
    }
    Ok(())
}

impl Db {
    /// Records a search action on a case. A notice or a DNA request also meets that
    /// deadline of the stay (once; a later one does not move it).
    pub async fn search_action_add(
        &self,
        actor: &Actor,
        a: &SearchActionInput,
    ) -> Result<SearchActionRow> {
        let c = self.case(a.case_id).await?;
        if !c.unidentified {
            return Err(StoreError::Invalid("person_identified"));
        }
        if too_long(&a.reference, 100)
            || too_long(&a.detail, 1000)
            || too_long(&a.result_note, 1000)
        {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let registered = jiuzhu_domain::time::local_date(c.registered_at).expect("stored instant");
        let result_on = match a.outcome {
            ChannelOutcome::Pending => None,
            _ => Some(a.result_on.unwrap_or(a.requested_on)),
        };
        check_action_dates(a.requested_on, result_on, registered)?;
        let shared_with = match (a.channel, &a.shared_with) {
            (SearchChannel::Shared, None) => {
                return Err(StoreError::Invalid("shared_with_required"))
            }
            (SearchChannel::Shared, Some(r)) => Some(r.clone()),
            (_, Some(_)) => return Err(StoreError::Invalid("shared_with_not_shared")),
            (_, None) => None,
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        if let Some(with) = &shared_with {
            sqlx::query(
                "INSERT INTO case_shares (case_id, region_code, shared_with, actor_name, created_at) VALUES ($1,$2,$3,$4,$5) \
                 ON CONFLICT (case_id, shared_with) DO NOTHING",
            )
            .bind(a.case_id)
            .bind(c.region_code.clone())
            .bind(with.to_string())
            .bind(actor.name.clone())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|err| match &err {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::Invalid("region_unknown")
                }
                _ => StoreError::Database(err),
            })?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO search_actions (case_id, region_code, channel, requested_on, reference, detail, outcome, result_on, \
             result_note, actor_name, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING id",
        )
        .bind(a.case_id)
        .bind(c.region_code.clone())
        .bind(a.channel.as_str())
        .bind(date_text(a.requested_on))
        .bind(match &shared_with {
            Some(w) => format!("{} {}", w, a.reference.trim()).trim().to_string(),
            None => a.reference.trim().to_string(),
        })
        .bind(a.detail.trim().to_string())
        .bind(a.outcome.as_str())
        .bind(result_on.map(date_text))
        .bind(a.result_note.trim().to_string())
        .bind(actor.name.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(kind) = a.channel.meets() {
            let column = match kind {
                jiuzhu_domain::deadline::DeadlineKind::SearchNotice => "notice_published_at",
                _ => "dna_requested_at",
            };
            // The request date at noon Shanghai time: the form asks for a day, not an hour.
            let at = jiuzhu_domain::time::local_noon_ms(a.requested_on);
            sqlx::query(&format!(
                "UPDATE cases SET {column} = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND {column} IS NULL"
            ))
            .bind(at.max(c.registered_at).min(now))
            .bind(now)
            .bind(a.case_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(a.case_id)
            .bind(c.region_code.clone())
            .bind(now)
            .bind(actor.user_id)
            .bind(actor.name.clone())
            .bind(format!("search_{}", a.channel.as_str()))
            .bind(a.reference.trim().to_string())
            .execute(&mut *tx)
            .await?;
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "search.add",
                record_kind: "search_action",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("channel", None::<String>, Some(a.channel.as_str())),
                    Change::new("outcome", None::<String>, Some(a.outcome.as_str())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.search_action(id).await
    }

    pub async fn search_action(&self, id: i64) -> Result<SearchActionRow> {
        let r = sqlx::query(&format!(
            "SELECT {ACTION_COLS} FROM search_actions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(action_row(&r)?)
    }

    /// Records the result of a pending action (a DNA comparison comes back weeks later).
    pub async fn search_action_result(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        outcome: ChannelOutcome,
        result_on: NaiveDate,
        note: &str,
    ) -> Result<SearchActionRow> {
        let a = self.search_action(id).await?;
        if outcome == ChannelOutcome::Pending {
            return Err(StoreError::Invalid("outcome_required"));
        }
        // A result, once recorded, may already back a confirmation: it is not rewritten.
        if a.outcome != ChannelOutcome::Pending.as_str() {
            return Err(StoreError::Invalid("result_already_recorded"));
        }
        if too_long(note, 1000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let requested =
            NaiveDate::parse_from_str(&a.requested_on, "%Y-%m-%d").expect("stored date");
        check_action_dates(requested, Some(result_on), requested)?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE search_actions SET outcome = $1, result_on = $2, result_note = $3, updated_at = $4, version = version + 1 \
             WHERE id = $5 AND version = $6",
        )
        .bind(outcome.as_str())
        .bind(date_text(result_on))
        .bind(note.trim().to_string())
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "search_actions", id).await);
        }
        let region = crate::stored_region(a.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "search.result",
                record_kind: "search_action",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new(
                    "outcome",
                    Some(a.outcome.clone()),
                    Some(outcome.as_str()),
                )],
            },
        )
        .await?;
        tx.commit().await?;
        self.search_action(id).await
    }

    /// The jurisdictions a case's search is shared with.
    pub async fn case_shares(&self, case_id: i64) -> Result<Vec<RegionCode>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT shared_with FROM case_shares WHERE case_id = $1 ORDER BY shared_with",
        )
        .bind(case_id)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(crate::stored_region).collect()
    }

    /// Searches other jurisdictions shared into the caller's: still unidentified ones.
    /// A search shared with a county is listed for its townships too, as `authz` lets them
    /// read it.
    pub async fn cases_shared_with(&self, scopes: &[RegionCode]) -> Result<Vec<SharedCase>> {
        let mut q = Sql::new(
            "SELECT s.case_id, c.case_no, p.name, o.name AS station, s.created_at FROM case_shares s \
             JOIN cases c ON c.id = s.case_id JOIN persons p ON p.id = c.person_id JOIN organisations o ON o.id = c.station_id \
             WHERE c.unidentified = 1 AND (1 = 0",
        );
        // An empty scope list leaves "1 = 0": nothing.
        for sc in scopes {
            if sc.is_nation() {
                q.push(" OR 1 = 1");
                continue;
            }
            let (lo, hi) = sc.subtree_range();
            q.push(" OR (s.shared_with >= ").bind_text(lo);
            q.push(" AND s.shared_with < ").bind_text(hi);
            q.push(")");
            let mut up = sc.parent();
            while let Some(a) = up.filter(|a| !a.is_nation()) {
                q.push(" OR s.shared_with = ").bind_text(a.to_string());
                up = a.parent();
            }
        }
        q.push(") ORDER BY s.created_at DESC LIMIT 100");
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SharedCase {
                    case_id: r.try_get("case_id")?,
                    case_no: r.try_get("case_no")?,
                    name: r.try_get("name")?,
                    station: r.try_get("station")?,
                    shared_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Keeps the notice photo of a case (already re-encoded, without metadata).
    pub async fn photo_set(
        &self,
        actor: &Actor,
        case_id: i64,
        full_jpeg: Vec<u8>,
        thumb_jpeg: Vec<u8>,
    ) -> Result<()> {
        let c = self.case(case_id).await?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO case_photos (case_id, region_code, full_jpeg, thumb_jpeg, actor_name, created_at) VALUES ($1,$2,$3,$4,$5,$6) \
             ON CONFLICT (case_id) DO UPDATE SET full_jpeg = excluded.full_jpeg, thumb_jpeg = excluded.thumb_jpeg, \
             actor_name = excluded.actor_name, created_at = excluded.created_at",
        )
        .bind(case_id)
        .bind(c.region_code.clone())
        .bind(full_jpeg)
        .bind(thumb_jpeg)
        .bind(actor.name.clone())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "case.photo",
                record_kind: "case",
                record_id: case_id.to_string(),
                region: &region,
                changes: vec![Change::new("photo", None::<String>, Some("set"))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A case's photo (or its thumbnail), if one was taken.
    pub async fn photo(&self, case_id: i64, thumb: bool) -> Result<Option<Vec<u8>>> {
        let col = if thumb { "thumb_jpeg" } else { "full_jpeg" };
        Ok(
            sqlx::query_scalar(&format!("SELECT {col} FROM case_photos WHERE case_id = $1"))
                .bind(case_id)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    pub async fn search_actions(&self, case_id: i64) -> Result<Vec<SearchActionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLS} FROM search_actions WHERE case_id = $1 ORDER BY requested_on, id"
        ))
        .bind(case_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(action_row)
            .collect::<std::result::Result<_, _>>()?)
    }
}

/// A search another jurisdiction shared with the caller's.
#[derive(Debug, Clone, Serialize)]
pub struct SharedCase {
    pub case_id: i64,
    pub case_no: String,
    pub name: String,
    pub station: String,
    pub shared_at: i64,
}

// ---------------------------------------------------------------------------------------
// Missing-person reports

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportSource {
    /// The public form (家属网上登记).
    Public,
    /// Taken by staff at the counter or on the hotline.
    Staff,
}

impl ReportSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportSource::Public => "public",
            ReportSource::Staff => "staff",
        }
    }
}

/// A family's report of a missing person (寻亲登记).
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    /// The jurisdiction that handles it: where the person went missing, or the office
    /// that took the report.
    pub region: Option<RegionCode>,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// When the birth date is unknown.
    pub age_when_missing: Option<u32>,
    pub missing_on: Option<NaiveDate>,
    pub missing_place: String,
    pub origin_region: Option<RegionCode>,
    pub dialect: String,
    pub height_cm: Option<u32>,
    pub features: String,
    pub reporter_name: String,
    pub relation: String,
    pub contact: Option<String>,
    pub consent: bool,
}

impl ReportInput {
    /// Everything checkable without the database. `public` forms need consent and a way
    /// to call the family back.
    pub fn validate(&self, today: NaiveDate, public: bool) -> Result<()> {
        if self.region.is_none() {
            return Err(StoreError::Invalid("region_required"));
        }
        if self.name.trim().is_empty() && self.features.trim().is_empty() {
            return Err(StoreError::Invalid("name_or_features_required"));
        }
        if too_long(&self.name, 50)
            || too_long(&self.missing_place, 200)
            || too_long(&self.dialect, 50)
            || too_long(&self.features, 1000)
            || too_long(&self.reporter_name, 50)
            || too_long(&self.relation, 20)
        {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if self.birth_date.is_some_and(|d| d > today) || self.missing_on.is_some_and(|d| d > today)
        {
            return Err(StoreError::Invalid("date_in_future"));
        }
        if let (Some(b), Some(m)) = (self.birth_date, self.missing_on) {
            if m < b {
                return Err(StoreError::Invalid("missing_before_birth"));
            }
        }
        if self.age_when_missing.is_some_and(|a| a > 120) {
            return Err(StoreError::Invalid("age_invalid"));
        }
        if self.height_cm.is_some_and(|h| !(40..=250).contains(&h)) {
            return Err(StoreError::Invalid("height_invalid"));
        }
        if let Some(p) = &self.contact {
            if !crate::orgs::valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        if public {
            if self.contact.is_none() {
                return Err(StoreError::Invalid("contact_required"));
            }
            if !self.consent {
                return Err(StoreError::Invalid("consent_required"));
            }
        }
        Ok(())
    }
}

/// A report as staff see it; the family's phone is masked.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub region_code: String,
    pub ref_no: String,
    pub source: String,
    pub name: String,
    pub sex: String,
    pub birth_date: Option<String>,
    pub age_when_missing: Option<i64>,
    pub missing_on: Option<String>,
    pub missing_place: String,
    pub origin_region: String,
    pub dialect: String,
    pub height_cm: Option<i64>,
    pub features: String,
    pub reporter_name: String,
    pub relation: String,
    pub contact_masked: Option<String>,
    pub consent: bool,
    pub status: String,
    pub found_case_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

const REPORT_COLS: &str = "id, region_code, ref_no, source, name, sex, birth_date, age_when_missing, missing_on, missing_place, \
    origin_region, dialect, height_cm, features, reporter_name, relation, contact_enc, consent, status, found_case_id, \
    created_at, updated_at, version";

/// What the public reference lookup returns: the status and when it last changed, and
/// nothing about the person.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportLookup {
    pub status: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub q: String,
    pub status: Option<ReportStatus>,
}

impl Db {
    fn report_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<ReportRow, sqlx::Error> {
        let contact: Option<Vec<u8>> = r.try_get("contact_enc")?;
        Ok(ReportRow {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            ref_no: r.try_get("ref_no")?,
            source: r.try_get("source")?,
            name: r.try_get("name")?,
            sex: r.try_get("sex")?,
            birth_date: r.try_get("birth_date")?,
            age_when_missing: r.try_get("age_when_missing")?,
            missing_on: r.try_get("missing_on")?,
            missing_place: r.try_get("missing_place")?,
            origin_region: r.try_get("origin_region")?,
            dialect: r.try_get("dialect")?,
            height_cm: r.try_get("height_cm")?,
            features: r.try_get("features")?,
            reporter_name: r.try_get("reporter_name")?,
            relation: r.try_get("relation")?,
            contact_masked: self
                .keys()
                .masked(CONTACT_AAD, contact, jiuzhu_domain::mask::phone),
            consent: r.try_get::<i64, _>("consent")? != 0,
            status: r.try_get("status")?,
            found_case_id: r.try_get("found_case_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            version: r.try_get("version")?,
        })
    }

    /// Files a report and returns it with its reference number.
    pub async fn report_create(
        &self,
        actor: &Actor,
        source: ReportSource,
        input: &ReportInput,
    ) -> Result<ReportRow> {
        let today = jiuzhu_domain::time::local_date(now_ms()).expect("valid now");
        input.validate(today, source == ReportSource::Public)?;
        let region = input.region.clone().expect("validated");
        let now = now_ms();
        let mut tx = self.begin().await?;
        let ref_no = reference("XQ");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO missing_reports (region_code, ref_no, source, name, sex, birth_date, age_when_missing, missing_on, \
             missing_place, origin_region, dialect, height_cm, features, reporter_name, relation, contact_enc, consent, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$18) RETURNING id",
        )
        .bind(region.to_string())
        .bind(ref_no)
        .bind(source.as_str())
        .bind(input.name.trim().to_string())
        .bind(input.sex.map(Sex::as_str).unwrap_or("").to_string())
        .bind(input.birth_date.map(date_text))
        .bind(input.age_when_missing.map(i64::from))
        .bind(input.missing_on.map(date_text))
        .bind(input.missing_place.trim().to_string())
        .bind(input.origin_region.as_ref().map(|r| r.to_string()).unwrap_or_default())
        .bind(input.dialect.trim().to_string())
        .bind(input.height_cm.map(i64::from))
        .bind(input.features.trim().to_string())
        .bind(input.reporter_name.trim().to_string())
        .bind(input.relation.trim().to_string())
        .bind(input.contact.as_ref().map(|p| self.keys().encrypt(CONTACT_AAD, p)))
        .bind(input.consent as i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Invalid("region_unknown")
            }
            _ => StoreError::Database(err),
        })?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "report.create",
                record_kind: "missing_report",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("name", None::<String>, Some(input.name.trim())),
                    Change::new("source", None::<String>, Some(source.as_str())),
                    Change::sensitive("contact", false, input.contact.is_some()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.report(id).await
    }

    pub async fn report(&self, id: i64) -> Result<ReportRow> {
        let r = sqlx::query(&format!(
            "SELECT {REPORT_COLS} FROM missing_reports WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(self.report_row(&r)?)
    }

    pub async fn reports_list(
        &self,
        scopes: &[RegionCode],
        f: &ReportFilter,
        page: Page,
    ) -> Result<Paged<ReportRow>> {
        let mut q = Sql::new("FROM missing_reports WHERE 1 = 1");
        q.scope("region_code", scopes);
        q.keyword(
            &[
                "name",
                "ref_no",
                "features",
                "missing_place",
                "reporter_name",
            ],
            &f.q,
        );
        if let Some(s) = f.status {
            q.push(" AND status = ").bind_text(s.as_str());
        }
        let sort = Sort {
            column: "created_at".into(),
            descending: true,
        };
        fetch_paged(
            self.reader(),
            REPORT_COLS,
            q,
            &sort,
            &["created_at"],
            "created_at",
            "id",
            page,
            |r| self.report_row(r),
        )
        .await
    }

    /// Every open report, for building the matching index.
    pub async fn reports_open_all(&self) -> Result<Vec<ReportRow>> {
        self.reports_where("r.status = 'open'").await
    }

    /// Open reports with no suggested pair at all: what a catch-up pass looks at.
    pub async fn reports_without_candidates(&self) -> Result<Vec<ReportRow>> {
        self.reports_where(
            "r.status = 'open' AND NOT EXISTS (SELECT 1 FROM match_candidates m WHERE m.report_id = r.id)",
        )
        .await
    }

    /// Every report meeting a fixed condition (no parameters), by id: the matching index's
    /// whole-table reads.
    async fn reports_where(&self, condition: &str) -> Result<Vec<ReportRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLS} FROM missing_reports r WHERE {condition} ORDER BY r.id"
        ))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| self.report_row(r))
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Unidentified people still in a station with no suggested pair at all: the other
    /// half of a catch-up pass.
    pub async fn cases_without_candidates(&self) -> Result<Vec<CaseView>> {
        self.cases_where(
            "c.unidentified = 1 AND c.departed_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM match_candidates m WHERE m.case_id = c.id)",
        )
        .await
    }

    /// As [`Db::reports_where`], for cases with their person.
    async fn cases_where(&self, condition: &str) -> Result<Vec<CaseView>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLS} FROM cases c JOIN persons p ON p.id = c.person_id WHERE {condition} ORDER BY c.id"
        ))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| self.case_row(r))
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The family's phone number (logged).
    pub async fn report_reveal(&self, actor: &Actor, id: i64) -> Result<Option<String>> {
        let r = sqlx::query("SELECT region_code, contact_enc FROM missing_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let region = crate::stored_region(r.try_get::<String, _>("region_code")?)?;
        self.log_access(
            actor,
            "missing_report",
            &id.to_string(),
            "contact",
            &region,
            "reveal",
        )
        .await?;
        let b: Option<Vec<u8>> = r.try_get("contact_enc")?;
        b.map(|b| self.keys().decrypt(CONTACT_AAD, &b)).transpose()
    }

    /// The public lookup by reference number: status only.
    pub async fn report_lookup(&self, ref_no: &str) -> Result<Option<ReportLookup>> {
        let r = sqlx::query("SELECT status, updated_at FROM missing_reports WHERE ref_no = $1")
            .bind(ref_no.trim().to_uppercase())
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            Some(r) => Some(ReportLookup {
                status: r.try_get("status")?,
                updated_at: r.try_get("updated_at")?,
            }),
            None => None,
        })
    }

    /// Closes a report without a match (the family found them, or withdrew).
    pub async fn report_close(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        reason: &str,
    ) -> Result<ReportRow> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("reason_required"));
        }
        if too_long(reason, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let rep = self.report(id).await?;
        if rep.status != ReportStatus::Open.as_str() {
            return Err(StoreError::Invalid("report_not_open"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE missing_reports SET status = 'closed', closed_at = $1, updated_at = $1, version = version + 1 WHERE id = $2 AND version = $3")
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "missing_reports", id).await);
        }
        sqlx::query("UPDATE match_candidates SET status = 'rejected', decision_note = $1, updated_at = $2, version = version + 1 WHERE report_id = $3 AND status = 'open'")
            .bind("report_closed")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let region = crate::stored_region(rep.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "report.close",
                record_kind: "missing_report",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("status", Some("open"), Some("closed")),
                    Change::new("reason", None::<String>, Some(reason.trim())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.report(id).await
    }

    /// Every case whose person is still unidentified, whatever its state (a placed or
    /// long-gone person may still be someone's missing relative): the found side of
    /// the matching index.
    pub async fn unidentified_cases_all(&self) -> Result<Vec<CaseView>> {
        self.cases_where("c.unidentified = 1").await
    }
}

// ---------------------------------------------------------------------------------------
// Tips and public notices

#[derive(Debug, Clone, Serialize)]
pub struct TipRow {
    pub id: i64,
    pub case_id: i64,
    pub ref_no: String,
    pub message: String,
    pub contact_masked: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    /// One notice by its id.
    pub id: Option<i64>,
    pub q: String,
    pub sex: Option<Sex>,
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub height_min: Option<u32>,
    pub height_max: Option<u32>,
    pub region: Option<RegionCode>,
    pub found_from: Option<NaiveDate>,
    pub found_to: Option<NaiveDate>,
}

/// Which cases have a public notice: unidentified, notice published, not yet gone.
const NOTICE_WHERE: &str =
    "c.unidentified = 1 AND c.notice_published_at IS NOT NULL AND c.departed_at IS NULL";

impl Db {
    /// A tip from the public about a notice; goes to the station holding the person.
    pub async fn tip_create(
        &self,
        actor: &Actor,
        case_id: i64,
        message: &str,
        contact: Option<&str>,
    ) -> Result<String> {
        let region: String = sqlx::query_scalar(&format!(
            "SELECT c.region_code FROM cases c WHERE c.id = $1 AND {NOTICE_WHERE}"
        ))
        .bind(case_id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let n = message.trim().chars().count();
        if n == 0 {
            return Err(StoreError::Invalid("message_required"));
        }
        if n > 1000 {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if let Some(p) = contact {
            if !crate::orgs::valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        let ref_no = reference("XS");
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notice_tips (case_id, region_code, ref_no, message, contact_enc, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(case_id)
        .bind(region.clone())
        .bind(ref_no.clone())
        .bind(message.trim().to_string())
        .bind(contact.map(|p| self.keys().encrypt(TIP_AAD, p)))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let region = crate::stored_region(region)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "tip.create",
                record_kind: "notice_tip",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::sensitive("contact", false, contact.is_some())],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ref_no)
    }

    /// The tipsters' phone numbers of a case, so the station can call back (logged).
    pub async fn tips_reveal(&self, actor: &Actor, case_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, region_code, contact_enc FROM notice_tips WHERE case_id = $1 AND contact_enc IS NOT NULL",
        )
        .bind(case_id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let region = crate::stored_region(r.try_get::<String, _>("region_code")?)?;
            self.log_access(
                actor,
                "notice_tip",
                &id.to_string(),
                "contact",
                &region,
                "reveal",
            )
            .await?;
            let b: Vec<u8> = r.try_get("contact_enc")?;
            out.push((id, self.keys().decrypt(TIP_AAD, &b)?));
        }
        Ok(out)
    }

    pub async fn tips(&self, case_id: i64) -> Result<Vec<TipRow>> {
        let rows = sqlx::query("SELECT id, case_id, ref_no, message, contact_enc, created_at FROM notice_tips WHERE case_id = $1 ORDER BY created_at DESC")
            .bind(case_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                let c: Option<Vec<u8>> = r.try_get("contact_enc")?;
                Ok(TipRow {
                    id: r.try_get("id")?,
                    case_id: r.try_get("case_id")?,
                    ref_no: r.try_get("ref_no")?,
                    message: r.try_get("message")?,
                    contact_masked: self.keys().masked(TIP_AAD, c, jiuzhu_domain::mask::phone),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The public notices, with only the fields a notice may show.
    pub async fn public_notices(
        &self,
        f: &NoticeFilter,
        page: Page,
    ) -> Result<Paged<PublicNotice>> {
        let mut q = Sql::new(&format!(
            "FROM cases c JOIN persons p ON p.id = c.person_id JOIN organisations o ON o.id = c.station_id \
             LEFT JOIN regions rg ON rg.region_code = c.region_code WHERE {NOTICE_WHERE}"
        ));
        q.keyword(&["p.features", "p.clothing", "p.dialect", "p.name"], &f.q);
        if let Some(id) = f.id {
            q.push(" AND c.id = ").bind_i64(id);
        }
        if let Some(s) = f.sex {
            q.push(" AND p.sex = ").bind_text(s.as_str());
        }
        if let Some(a) = f.age_min {
            q.push(" AND p.estimated_age >= ").bind_i64(a.into());
        }
        if let Some(a) = f.age_max {
            q.push(" AND p.estimated_age <= ").bind_i64(a.into());
        }
        if let Some(h) = f.height_min {
            q.push(" AND p.height_cm >= ").bind_i64(h.into());
        }
        if let Some(h) = f.height_max {
            q.push(" AND p.height_cm <= ").bind_i64(h.into());
        }
        if let Some(r) = &f.region {
            q.scope("c.region_code", std::slice::from_ref(r));
        }
        if let Some(d) = f.found_from {
            q.push(" AND c.registered_at >= ")
                .bind_i64(jiuzhu_domain::time::local_midnight_ms(d));
        }
        if let Some(d) = f.found_to {
            q.push(" AND c.registered_at < ")
                .bind_i64(jiuzhu_domain::time::local_midnight_ms(
                    d + chrono::Duration::days(1),
                ));
        }
        let sort = Sort {
            column: "c.registered_at".into(),
            descending: true,
        };
        fetch_paged(
            self.reader(),
            "c.id, c.registered_at, p.name, p.sex, p.estimated_age, p.height_cm, p.build, p.dialect, p.features, p.clothing, \
             p.mental_state, p.intellectual_state, \
             CASE WHEN EXISTS (SELECT 1 FROM case_photos ph WHERE ph.case_id = c.id) THEN 1 ELSE 0 END AS has_photo, o.name AS station, o.address AS station_address, rg.name AS found_in",
            q,
            &sort,
            &["c.registered_at"],
            "c.registered_at",
            "c.id",
            page,
            |r| {
                Ok(PublicNotice {
                    id: r.try_get("id")?,
                    // A name the person gave is shown; it is what a family would search for.
                    name: r.try_get("name")?,
                    sex: r.try_get("sex")?,
                    estimated_age: r.try_get("estimated_age")?,
                    height_cm: r.try_get("height_cm")?,
                    build: r.try_get("build")?,
                    accent: r.try_get("dialect")?,
                    features: r.try_get("features")?,
                    clothing: r.try_get("clothing")?,
                    mental_state: r.try_get("mental_state")?,
                    intellectual_state: r.try_get("intellectual_state")?,
                    found_on: jiuzhu_domain::time::local_date(r.try_get("registered_at")?)
                        .map(date_text)
                        .unwrap_or_default(),
                    found_in: r.try_get::<Option<String>, _>("found_in")?.unwrap_or_default(),
                    station: r.try_get("station")?,
                    station_address: r.try_get("station_address")?,
                    has_photo: r.try_get::<i64, _>("has_photo")? != 0,
                })
            },
        )
        .await
    }

    pub async fn public_notice(&self, case_id: i64) -> Result<PublicNotice> {
        // One notice through the list's query, so the fields shown cannot drift apart.
        let f = NoticeFilter {
            id: Some(case_id),
            ..Default::default()
        };
        let p = self.public_notices(&f, Page::new(None, Some(1))).await?;
        p.items.into_iter().next().ok_or(StoreError::NotFound)
    }
}

// ---------------------------------------------------------------------------------------
// Suggested pairs and the decision on each

/// A pair scored by the matching engine.
#[derive(Debug, Clone)]
pub struct CandidateInput {
    pub case_id: i64,
    pub report_id: i64,
    pub probability: f64,
    pub match_weight: f64,
    /// The engine's explanation, as JSON, kept with the pair so the page shows what the
    /// engine saw when it suggested it.
    pub explanation: String,
    /// A digest of both records' compared fields: a rejected pair returns only when it
    /// changes.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CandidateRow {
    pub id: i64,
    pub region_code: String,
    pub case_id: i64,
    pub report_id: i64,
    pub probability: f64,
    pub match_weight: f64,
    pub explanation: String,
    pub status: String,
    pub evidence: Option<String>,
    pub decision_note: String,
    pub decided_by: String,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub version: i64,
    // The found side.
    pub case_no: String,
    pub person_name: String,
    pub person_sex: String,
    pub person_age: Option<i64>,
    pub station: String,
    // The report side.
    pub ref_no: String,
    pub report_name: String,
    pub report_sex: String,
    pub report_birth_date: Option<String>,
    pub report_missing_on: Option<String>,
    pub report_place: String,
    pub report_features: String,
    pub report_region: String,
}

const CANDIDATE_SELECT: &str = "SELECT m.id, m.region_code, m.case_id, m.report_id, m.probability, m.match_weight, m.explanation, \
    m.status, m.evidence, m.decision_note, m.decided_by, m.decided_at, m.created_at, m.version, c.case_no, p.name AS person_name, \
    p.sex AS person_sex, p.estimated_age AS person_age, o.name AS station, r.ref_no, r.name AS report_name, r.sex AS report_sex, \
    r.birth_date AS report_birth_date, r.missing_on AS report_missing_on, r.missing_place AS report_place, \
    r.features AS report_features, r.region_code AS report_region \
    FROM match_candidates m JOIN cases c ON c.id = m.case_id JOIN persons p ON p.id = c.person_id \
    JOIN organisations o ON o.id = c.station_id JOIN missing_reports r ON r.id = m.report_id";

fn candidate_row(r: &sqlx::any::AnyRow) -> std::result::Result<CandidateRow, sqlx::Error> {
    Ok(CandidateRow {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        case_id: r.try_get("case_id")?,
        report_id: r.try_get("report_id")?,
        probability: r.try_get("probability")?,
        match_weight: r.try_get("match_weight")?,
        explanation: r.try_get("explanation")?,
        status: r.try_get("status")?,
        evidence: r.try_get("evidence")?,
        decision_note: r.try_get("decision_note")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
        case_no: r.try_get("case_no")?,
        person_name: r.try_get("person_name")?,
        person_sex: r.try_get("person_sex")?,
        person_age: r.try_get("person_age")?,
        station: r.try_get("station")?,
        ref_no: r.try_get("ref_no")?,
        report_name: r.try_get("report_name")?,
        report_sex: r.try_get("report_sex")?,
        report_birth_date: r.try_get("report_birth_date")?,
        report_missing_on: r.try_get("report_missing_on")?,
        report_place: r.try_get("report_place")?,
        report_features: r.try_get("report_features")?,
        report_region: r.try_get("report_region")?,
    })
}

impl Db {
    /// Keeps the engine's suggestions. New pairs are added; open ones are refreshed; a
    /// rejected pair reopens only if its fingerprint changed; confirmed pairs, closed
    /// reports and identified people are left alone. Returns how many pairs are new or
    /// reopened.
    pub async fn candidates_save(&self, pairs: &[CandidateInput]) -> Result<usize> {
        if pairs.is_empty() {
            return Ok(0);
        }
        let actor = Actor::system("matching");
        let now = now_ms();
        let mut fresh = 0;
        let mut tx = self.begin().await?;
        for p in pairs {
            let live = sqlx::query(
                "SELECT c.region_code FROM cases c JOIN missing_reports r ON r.id = $2 \
                 WHERE c.id = $1 AND c.unidentified = 1 AND r.status = 'open'",
            )
            .bind(p.case_id)
            .bind(p.report_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(live) = live else { continue };
            let region: String = live.try_get("region_code")?;
            let existing = sqlx::query(
                "SELECT id, status, fingerprint FROM match_candidates WHERE case_id = $1 AND report_id = $2",
            )
            .bind(p.case_id)
            .bind(p.report_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (id, action) = match existing {
                None => {
                    // Another save may have inserted the pair since the look-up: then it
                    // stands, and this batch goes on.
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO match_candidates (region_code, case_id, report_id, probability, match_weight, explanation, \
                         fingerprint, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) \
                         ON CONFLICT (case_id, report_id) DO NOTHING RETURNING id",
                    )
                    .bind(region.clone())
                    .bind(p.case_id)
                    .bind(p.report_id)
                    .bind(p.probability)
                    .bind(p.match_weight)
                    .bind(p.explanation.clone())
                    .bind(p.fingerprint.clone())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(id) = id else { continue };
                    (id, "match.suggest")
                }
                Some(row) => {
                    let id: i64 = row.try_get("id")?;
                    let status: String = row.try_get("status")?;
                    let fp: String = row.try_get("fingerprint")?;
                    let changed = fp != p.fingerprint;
                    let reopen = status == CandidateStatus::Rejected.as_str() && changed;
                    // An open pair is refreshed only when its data changed, so a worker's
                    // open form does not meet a needless version conflict; a reopened pair
                    // drops the old decision.
                    if (status == CandidateStatus::Open.as_str() && changed) || reopen {
                        sqlx::query(
                            "UPDATE match_candidates SET probability = $1, match_weight = $2, explanation = $3, fingerprint = $4, \
                             status = 'open', evidence = NULL, decision_note = '', decided_by = '', decided_at = NULL, \
                             updated_at = $5, version = version + 1 WHERE id = $6",
                        )
                        .bind(p.probability)
                        .bind(p.match_weight)
                        .bind(p.explanation.clone())
                        .bind(p.fingerprint.clone())
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    if !reopen {
                        continue;
                    }
                    (id, "match.reopen")
                }
            };
            fresh += 1;
            let region = crate::stored_region(region)?;
            audit::append(
                &mut tx,
                &actor,
                Event {
                    action,
                    record_kind: "match_candidate",
                    record_id: id.to_string(),
                    region: &region,
                    changes: vec![Change::new(
                        "probability",
                        None::<String>,
                        Some(format!("{:.4}", p.probability)),
                    )],
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }

    pub async fn candidate(&self, id: i64) -> Result<CandidateRow> {
        let r = sqlx::query(&format!("{CANDIDATE_SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(candidate_row(&r)?)
    }

    /// A case's candidates, best first; decided ones after the open ones.
    pub async fn candidates_for_case(&self, case_id: i64) -> Result<Vec<CandidateRow>> {
        let rows = sqlx::query(&format!(
            "{CANDIDATE_SELECT} WHERE m.case_id = $1 ORDER BY CASE m.status WHEN 'open' THEN 0 ELSE 1 END, m.probability DESC, m.id LIMIT 50"
        ))
        .bind(case_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(candidate_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    pub async fn candidates_for_report(&self, report_id: i64) -> Result<Vec<CandidateRow>> {
        let rows = sqlx::query(&format!(
            "{CANDIDATE_SELECT} WHERE m.report_id = $1 ORDER BY CASE m.status WHEN 'open' THEN 0 ELSE 1 END, m.probability DESC, m.id LIMIT 50"
        ))
        .bind(report_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(candidate_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Open candidates in the caller's jurisdiction (by the found person's case), best first.
    pub async fn candidates_open(
        &self,
        scopes: &[RegionCode],
        page: Page,
    ) -> Result<Paged<CandidateRow>> {
        let mut q = Sql::new(
            "FROM match_candidates m JOIN cases c ON c.id = m.case_id JOIN persons p ON p.id = c.person_id \
             JOIN organisations o ON o.id = c.station_id JOIN missing_reports r ON r.id = m.report_id WHERE m.status = 'open'",
        );
        q.scope("m.region_code", scopes);
        let cols = CANDIDATE_SELECT
            .trim_start_matches("SELECT ")
            .split(" FROM match_candidates")
            .next()
            .expect("select list");
        let sort = Sort {
            column: "m.probability".into(),
            descending: true,
        };
        fetch_paged(
            self.reader(),
            cols,
            q,
            &sort,
            &["m.probability"],
            "m.probability",
            "m.id",
            page,
            candidate_row,
        )
        .await
    }

    /// Not the same person. The pair stays rejected unless either record's data changes.
    pub async fn candidate_reject(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        reason: &str,
    ) -> Result<CandidateRow> {
        let c = self.candidate(id).await?;
        let status = CandidateStatus::parse(&c.status).unwrap_or(CandidateStatus::Open);
        check_rejection(status, reason).map_err(|e| StoreError::Invalid(e.code()))?;
        if too_long(reason, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE match_candidates SET status = 'rejected', decision_note = $1, decided_by = $2, decided_at = $3, \
             updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(reason.trim().to_string())
        .bind(actor.name.clone())
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "match_candidates", id).await);
        }
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "match.reject",
                record_kind: "match_candidate",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("status", Some("open"), Some("rejected")),
                    Change::new("reason", None::<String>, Some(reason.trim())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.candidate(id).await
    }

    /// The same person, with evidence: the pair is confirmed, the report found, the
    /// case's person identified (and its timeline says how), and every other open pair of
    /// either record closed. Records are linked, never merged.
    pub async fn candidate_confirm(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        evidence: Evidence,
        detail: &str,
    ) -> Result<CandidateRow> {
        let c = self.candidate(id).await?;
        let case = self.case(c.case_id).await?;
        let matched: Vec<SearchChannel> = self
            .search_actions(c.case_id)
            .await?
            .iter()
            .filter(|a| a.outcome == ChannelOutcome::Match.as_str())
            .filter_map(|a| SearchChannel::parse(&a.channel))
            .collect();
        check_confirmation(
            ConfirmFacts {
                candidate: CandidateStatus::parse(&c.status).unwrap_or(CandidateStatus::Open),
                unidentified: case.unidentified,
                matched_channels: &matched,
            },
            evidence,
            detail,
        )
        .map_err(|e| StoreError::Invalid(e.code()))?;
        if too_long(detail, 1000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE match_candidates SET status = 'confirmed', evidence = $1, decision_note = $2, decided_by = $3, decided_at = $4, \
             updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6 AND status = 'open'",
        )
        .bind(evidence.as_str())
        .bind(detail.trim().to_string())
        .bind(actor.name.clone())
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(crate::stale(&mut tx, "match_candidates", id).await);
        }
        let report_done = sqlx::query(
            "UPDATE missing_reports SET status = 'found', found_case_id = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND status = 'open'",
        )
        .bind(c.case_id)
        .bind(now)
        .bind(c.report_id)
        .execute(&mut *tx)
        .await?;
        if report_done.rows_affected() == 0 {
            return Err(StoreError::Invalid("report_not_open"));
        }
        let case_done = sqlx::query("UPDATE cases SET unidentified = 0, updated_at = $1, version = version + 1 WHERE id = $2 AND unidentified = 1")
            .bind(now)
            .bind(c.case_id)
            .execute(&mut *tx)
            .await?;
        if case_done.rows_affected() == 0 {
            return Err(StoreError::Invalid("person_identified"));
        }
        sqlx::query(
            "UPDATE match_candidates SET status = 'rejected', decision_note = 'superseded', updated_at = $1, version = version + 1 \
             WHERE status = 'open' AND (case_id = $2 OR report_id = $3)",
        )
        .bind(now)
        .bind(c.case_id)
        .bind(c.report_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO case_events (case_id, region_code, at, actor_user_id, actor_name, event, detail) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(c.case_id)
            .bind(case.region_code.clone())
            .bind(now)
            .bind(actor.user_id)
            .bind(actor.name.clone())
            .bind("identity_confirmed")
            .bind(format!("{} · {} · {}", evidence.as_str(), c.ref_no, detail.trim()))
            .execute(&mut *tx)
            .await?;
        let region = crate::stored_region(c.region_code.clone())?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "match.confirm",
                record_kind: "match_candidate",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("status", Some("open"), Some("confirmed")),
                    Change::new("evidence", None::<String>, Some(evidence.as_str())),
                    Change::new("report", None::<String>, Some(c.ref_no.clone())),
                    Change::new("case", None::<String>, Some(c.case_no.clone())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.candidate(id).await
    }
}

// ---------------------------------------------------------------------------------------
// Statistics

/// 寻亲 figures for a jurisdiction and period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TracingStats {
    /// Unidentified people whose case is still open now.
    pub open_searches: i64,
    /// Searches started in the period (unidentified intakes).
    pub started: i64,
    /// Of those, reunited since: identity confirmed, or collected or escorted home.
    pub identified: i64,
    /// Identified through a confirmed match in the period.
    pub reunited_by_match: i64,
    /// Mean days from intake to confirmation, matches confirmed in the period.
    pub mean_days_to_reunite: Option<f64>,
    /// Per channel: actions in the period, and how many came back a match.
    pub by_channel: Vec<(String, i64, i64)>,
    /// Per kind of evidence behind confirmations in the period.
    pub by_evidence: Vec<(String, i64)>,
    /// Reports filed in the period, and how many are found.
    pub reports_filed: i64,
    pub reports_found: i64,
    /// People unidentified and in the station over 3 months now (longest first).
    pub long_stayers: Vec<(i64, String, i64)>,
}

impl TracingStats {
    /// Identified ÷ started, as a percentage.
    pub fn success_rate(&self) -> Option<f64> {
        (self.started > 0).then(|| self.identified as f64 * 100.0 / self.started as f64)
    }
}

impl Db {
    pub async fn tracing_stats(
        &self,
        scopes: &[RegionCode],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<TracingStats> {
        let count = |sql: &str, column: &str, period: bool| {
            let mut q = Sql::new(sql);
            q.scope(column, scopes);
            if period {
                let col = if sql.contains("missing_reports") {
                    "created_at"
                } else {
                    "c.registered_at"
                };
                q.push(&format!(" AND {col} >= ")).bind_i64(from_ms);
                q.push(&format!(" AND {col} < ")).bind_i64(to_ms);
            }
            q
        };
        let scalar = |q: Sql| async move {
            Ok::<i64, StoreError>(
                sqlx::query_scalar_with::<_, i64, _>(q.text(), q.args())
                    .fetch_one(self.reader())
                    .await?,
            )
        };
        let mut s = TracingStats {
            open_searches: scalar(count(
                "SELECT COUNT(*) FROM cases c WHERE c.unidentified = 1 AND c.departed_at IS NULL",
                "c.region_code",
                false,
            ))
            .await?,
            ..Default::default()
        };
        // A search starts with an unidentified intake; a case identified later keeps an
        // 'identity_confirmed' event or lost its flag at intake review.
        s.started = scalar(count(
            "SELECT COUNT(*) FROM cases c WHERE (c.unidentified = 1 OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.event = 'identity_confirmed'))",
            "c.region_code",
            true,
        ))
        .await?;
        // Reunited: confirmed through a match, or gone home to a family found some other
        // way (collected by relatives, escorted home).
        s.identified = scalar(count(
            "SELECT COUNT(*) FROM cases c WHERE (EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.event = 'identity_confirmed') \
             OR (c.unidentified = 1 AND c.exit_kind IN ('collected_by_relatives', 'escorted_home')))",
            "c.region_code",
            true,
        ))
        .await?;
        let mut q = Sql::new(
            "SELECT m.evidence, COUNT(*) AS n, CAST(SUM(m.decided_at - c.registered_at) AS BIGINT) AS total FROM match_candidates m \
             JOIN cases c ON c.id = m.case_id WHERE m.status = 'confirmed'",
        );
        q.scope("m.region_code", scopes);
        q.push(" AND m.decided_at >= ").bind_i64(from_ms);
        q.push(" AND m.decided_at < ").bind_i64(to_ms);
        q.push(" GROUP BY m.evidence ORDER BY m.evidence");
        let rows = sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?;
        let mut total_ms = 0i64;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            s.reunited_by_match += n;
            total_ms += r.try_get::<Option<i64>, _>("total")?.unwrap_or(0);
            s.by_evidence.push((
                r.try_get::<Option<String>, _>("evidence")?
                    .unwrap_or_default(),
                n,
            ));
        }
        if s.reunited_by_match > 0 {
            s.mean_days_to_reunite =
                Some(total_ms as f64 / s.reunited_by_match as f64 / 86_400_000.0);
        }
        let mut q = Sql::new(
            "SELECT a.channel, COUNT(*) AS n, CAST(SUM(CASE WHEN a.outcome = 'match' THEN 1 ELSE 0 END) AS BIGINT) AS hits \
             FROM search_actions a WHERE 1 = 1",
        );
        q.scope("a.region_code", scopes);
        // By the day the action was taken, not the day it was typed in.
        let day = |ms: i64| {
            jiuzhu_domain::time::local_date(ms)
                .map(date_text)
                .unwrap_or_default()
        };
        q.push(" AND a.requested_on >= ").bind_text(day(from_ms));
        q.push(" AND a.requested_on < ").bind_text(day(to_ms));
        q.push(" GROUP BY a.channel ORDER BY a.channel");
        for r in sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?
        {
            s.by_channel.push((
                r.try_get("channel")?,
                r.try_get("n")?,
                r.try_get::<Option<i64>, _>("hits")?.unwrap_or(0),
            ));
        }
        s.reports_filed = scalar(count(
            "SELECT COUNT(*) FROM missing_reports WHERE 1 = 1",
            "region_code",
            true,
        ))
        .await?;
        s.reports_found = scalar(count(
            "SELECT COUNT(*) FROM missing_reports WHERE status = 'found'",
            "region_code",
            true,
        ))
        .await?;
        // 滞留超过3个月: calendar months, as the rule says, not 90 days.
        let today = jiuzhu_domain::time::local_date(now_ms()).expect("valid now");
        let three_months_ago = today
            .checked_sub_months(chrono::Months::new(3))
            .map(jiuzhu_domain::time::local_midnight_ms)
            .unwrap_or(0);
        let mut q = Sql::new(
            "SELECT c.id, p.name, c.admitted_at FROM cases c JOIN persons p ON p.id = c.person_id \
             WHERE c.unidentified = 1 AND c.departed_at IS NULL AND c.admitted_at < ",
        );
        q.bind_i64(three_months_ago);
        q.scope("c.region_code", scopes);
        q.push(" ORDER BY c.admitted_at LIMIT 50");
        let now = now_ms();
        for r in sqlx::query_with(q.text(), q.args())
            .fetch_all(self.reader())
            .await?
        {
            let admitted: i64 = r.try_get("admitted_at")?;
            s.long_stayers.push((
                r.try_get("id")?,
                r.try_get("name")?,
                (now - admitted) / 86_400_000,
            ));
        }
        Ok(s)
    }
}
