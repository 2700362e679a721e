//! 街面巡查: hotspots and cameras, patrol teams, sightings and their dispatch, contacts on
//! the street, the day's plan as stops, weather warnings with the campaigns they start, and
//! rescue posts (救助驿站).
//!
//! Steps of a sighting are decided by `domain::outreach::SightingStatus::step`; this module
//! applies them with a version check, so two operators dispatching the same sighting cannot
//! both succeed. Recording the contact that answers a sighting closes it in the same
//! transaction. The caller's phone number is encrypted and shown only through a logged reveal.

use crate::audit::{self, Change, Event};
use crate::sql::{fetch_paged, Sql};
use crate::{now_ms, stale, stored_region, Actor, Db, Page, Paged, Result, Sort, StoreError};
use chrono::NaiveDate;
use jiuzhu_domain::outreach::{
    valid_position, CampaignKind, ContactOutcome, ExtraVisits, SightingChannel, SightingStatus,
    Tier, WarningLevel, WeatherKind,
};
use jiuzhu_domain::RegionCode;
use serde::Serialize;
use sqlx::Row;

const CALLER_AAD: &str = "sightings.contact";

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

fn region_fk(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Invalid("region_unknown")
        }
        _ => StoreError::Database(err),
    }
}

fn check_position(lat: f64, lng: f64) -> Result<()> {
    if valid_position(lat, lng) {
        Ok(())
    } else {
        Err(StoreError::Invalid("position_invalid"))
    }
}

// ---------------------------------------------------------------------------------------
// Hotspots and cameras

#[derive(Debug, Clone)]
pub struct HotspotInput {
    pub region: RegionCode,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub tier: Tier,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hotspot {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub tier: String,
    pub notes: String,
    pub active: bool,
    /// Sightings at or near this hotspot in the last 30 days.
    pub recent_sightings: i64,
    pub version: i64,
}

/// The columns of a hotspot with its sightings of the last 30 days. The cut-off is our own
/// integer, written into the text so list filters keep their placeholders from `$1`.
fn hotspot_cols() -> String {
    let since = now_ms() - 30 * 86_400_000;
    format!(
        "h.id, h.region_code, h.name, h.lat, h.lng, h.tier, h.notes, h.active, h.version, \
         (SELECT COUNT(*) FROM sightings s WHERE s.hotspot_id = h.id AND s.reported_at > {since}) AS recent"
    )
}

fn hotspot_row(r: &sqlx::any::AnyRow) -> std::result::Result<Hotspot, sqlx::Error> {
    Ok(Hotspot {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        name: r.try_get("name")?,
        lat: r.try_get("lat")?,
        lng: r.try_get("lng")?,
        tier: r.try_get("tier")?,
        notes: r.try_get("notes")?,
        active: r.try_get::<i64, _>("active")? != 0,
        recent_sightings: r.try_get("recent")?,
        version: r.try_get("version")?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Camera {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub hotspot_id: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// Teams

#[derive(Debug, Clone)]
pub struct TeamInput {
    pub region: RegionCode,
    pub name: String,
    pub members: String,
    /// "08:00-15:00,15:00-22:00": checked by the caller with `domain::outreach::parse_hhmm`.
    pub shifts: String,
    pub base_lat: f64,
    pub base_lng: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub members: String,
    pub shifts: String,
    pub base_lat: f64,
    pub base_lng: f64,
    /// Where the team last recorded something, else its base.
    pub lat: f64,
    pub lng: f64,
    pub last_seen_at: Option<i64>,
    /// The sighting the team is on, if any: a team with one is not free.
    pub busy_with: Option<i64>,
    pub version: i64,
}

const TEAM_COLS: &str = "t.id, t.region_code, t.name, t.members, t.shifts, t.base_lat, t.base_lng, t.last_lat, t.last_lng, \
     t.last_seen_at, t.version, (SELECT MIN(s.id) FROM sightings s WHERE s.team_id = t.id AND s.status IN ('dispatched','on_scene')) AS busy";

fn team_row(r: &sqlx::any::AnyRow) -> std::result::Result<Team, sqlx::Error> {
    let base_lat: f64 = r.try_get("base_lat")?;
    let base_lng: f64 = r.try_get("base_lng")?;
    Ok(Team {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        name: r.try_get("name")?,
        members: r.try_get("members")?,
        shifts: r.try_get("shifts")?,
        base_lat,
        base_lng,
        lat: r.try_get::<Option<f64>, _>("last_lat")?.unwrap_or(base_lat),
        lng: r.try_get::<Option<f64>, _>("last_lng")?.unwrap_or(base_lng),
        last_seen_at: r.try_get("last_seen_at")?,
        busy_with: r.try_get("busy")?,
        version: r.try_get("version")?,
    })
}

// ---------------------------------------------------------------------------------------
// Sightings

#[derive(Debug, Clone)]
pub struct SightingInput {
    pub region: RegionCode,
    pub channel: SightingChannel,
    /// When it was seen; the time of the report for the public form.
    pub reported_at: i64,
    pub position: Option<(f64, f64)>,
    pub place: String,
    pub description: String,
    pub people_count: i64,
    pub child: bool,
    /// Urgent for another reason (weather, illness) as the operator judges.
    pub urgent: bool,
    pub caller_name: String,
    pub contact: Option<String>,
    /// Recorded-call reference of the hotline.
    pub call_ref: String,
    pub camera_id: Option<i64>,
    pub snapshot_ref: String,
    pub hotspot_id: Option<i64>,
    /// Minutes a team has to get there (from the region's outreach settings).
    pub respond_within_minutes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    pub id: i64,
    pub region_code: String,
    pub reference: String,
    pub channel: String,
    pub reported_at: i64,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub place: String,
    pub description: String,
    pub people_count: i64,
    pub child: bool,
    pub urgent: bool,
    pub caller_name: String,
    pub contact_masked: Option<String>,
    pub call_ref: String,
    pub camera_id: Option<i64>,
    pub snapshot_ref: String,
    pub hotspot_id: Option<i64>,
    pub respond_by: i64,
    pub status: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub dispatched_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub outcome: Option<String>,
    pub version: i64,
}

impl Sighting {
    pub fn status(&self) -> SightingStatus {
        SightingStatus::parse(&self.status).unwrap_or(SightingStatus::Open)
    }
}

const SIGHTING_COLS: &str = "s.id, s.region_code, s.reference, s.channel, s.reported_at, s.lat, s.lng, s.place, s.description, \
     s.people_count, s.child, s.urgent, s.caller_name, s.contact_enc, s.call_ref, s.camera_id, s.snapshot_ref, s.hotspot_id, \
     s.respond_by, s.status, s.team_id, t.name AS team_name, s.dispatched_at, s.on_scene_at, s.closed_at, s.outcome, s.version";
const SIGHTING_FROM: &str = "FROM sightings s LEFT JOIN patrol_teams t ON t.id = s.team_id";

/// One step of a sighting: where to, with which team (dispatch), with which outcome
/// (closing without a contact), and when it happened if it is written down afterwards.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub to: SightingStatus,
    pub team_id: Option<i64>,
    pub outcome: Option<ContactOutcome>,
    pub at: Option<i64>,
}

impl Step {
    pub fn to(to: SightingStatus) -> Step {
        Step {
            to,
            team_id: None,
            outcome: None,
            at: None,
        }
    }
    pub fn team(self, team_id: i64) -> Step {
        Step {
            team_id: Some(team_id),
            ..self
        }
    }
    pub fn outcome(self, outcome: ContactOutcome) -> Step {
        Step {
            outcome: Some(outcome),
            ..self
        }
    }
    pub fn at(self, at: i64) -> Step {
        Step {
            at: Some(at),
            ..self
        }
    }
}

/// What the person who reported a sighting may read by its reference: the step it has
/// reached and when, nothing about the person or the team.
#[derive(Debug, Clone, Serialize)]
pub struct SightingLookup {
    pub status: SightingStatus,
    pub outcome: Option<ContactOutcome>,
    pub reported_at: i64,
    pub updated_at: i64,
}

// ---------------------------------------------------------------------------------------
// Contacts

#[derive(Debug, Clone)]
pub struct ContactInput {
    pub team_id: i64,
    pub sighting_id: Option<i64>,
    pub stop_id: Option<i64>,
    pub at: i64,
    pub position: Option<(f64, f64)>,
    pub outcome: ContactOutcome,
    pub people_count: i64,
    /// Items handed out (water, quilts, food…).
    pub supplies: i64,
    /// 爱心救助卡 given.
    pub card_given: bool,
    pub note: String,
    /// The sighting's version when the team read it, if it answers one.
    pub sighting_version: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: i64,
    pub region_code: String,
    pub team_id: i64,
    pub team_name: String,
    pub sighting_id: Option<i64>,
    pub hotspot_id: Option<i64>,
    pub hotspot_name: Option<String>,
    pub at: i64,
    pub outcome: String,
    pub people_count: i64,
    pub supplies: i64,
    pub card_given: bool,
    pub note: String,
    pub actor_name: String,
}

// ---------------------------------------------------------------------------------------
// Plans

/// One planned stop, as the solver placed it, ready to store.
#[derive(Debug, Clone)]
pub struct StopInput {
    pub team_id: i64,
    pub shift: i64,
    pub seq: i64,
    pub hotspot_id: Option<i64>,
    pub sighting_id: Option<i64>,
    pub tier: String,
    pub start_min: i64,
    pub window_from: i64,
    pub window_to: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanStop {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub shift: i64,
    pub seq: i64,
    pub hotspot_id: Option<i64>,
    pub sighting_id: Option<i64>,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    pub tier: String,
    pub start_min: i64,
    pub window_from: i64,
    pub window_to: i64,
    pub done_at: Option<i64>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub region_code: String,
    pub day: String,
    pub summary: String,
    pub created_at: i64,
    pub created_by: String,
    pub version: i64,
}

// ---------------------------------------------------------------------------------------
// Warnings and campaigns

#[derive(Debug, Clone)]
pub struct WarningInput {
    pub region: RegionCode,
    pub kind: WeatherKind,
    pub level: WarningLevel,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub source: String,
}

/// The campaign a warning starts, as the region's rule decided.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub kind: CampaignKind,
    pub extra: ExtraVisits,
    pub instructions: String,
    pub supplies_target: i64,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub level: String,
    pub valid_from: String,
    pub valid_to: String,
    pub source: String,
    pub created_at: i64,
    pub campaign_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub region_code: String,
    pub warning_id: i64,
    pub kind: String,
    pub starts_on: String,
    pub ends_on: String,
    pub extra: ExtraVisits,
    pub instructions: String,
    pub supplies_target: i64,
    pub reference: String,
}

/// A campaign's report: what teams did in its region while it ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignReport {
    pub contacts: i64,
    pub people: i64,
    pub brought_in: i64,
    pub refused_with_supplies: i64,
    pub supplies: i64,
    pub cards: i64,
}

// ---------------------------------------------------------------------------------------
// Rescue posts

#[derive(Debug, Clone)]
pub struct PostInput {
    pub region: RegionCode,
    pub name: String,
    /// trade_union, lottery_shop, community_centre, enterprise, volunteer…
    pub partner_kind: String,
    pub partner_name: String,
    pub lat: f64,
    pub lng: f64,
    pub address: String,
    pub hours: String,
    /// Comma-separated service codes: water_food, shelter, meal_heating, counselling,
    /// charging, jobs.
    pub services: String,
    pub stock: String,
    pub jobs: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub region_code: String,
    pub name: String,
    pub partner_kind: String,
    pub partner_name: String,
    pub lat: f64,
    pub lng: f64,
    pub address: String,
    pub hours: String,
    pub services: String,
    pub stock: String,
    pub jobs: String,
    pub visits_served: i64,
    pub version: i64,
}

const POST_COLS: &str = "id, region_code, name, partner_kind, partner_name, lat, lng, address, hours, services, stock, jobs, visits_served, version";

fn post_row(r: &sqlx::any::AnyRow) -> std::result::Result<Post, sqlx::Error> {
    Ok(Post {
        id: r.try_get("id")?,
        region_code: r.try_get("region_code")?,
        name: r.try_get("name")?,
        partner_kind: r.try_get("partner_kind")?,
        partner_name: r.try_get("partner_name")?,
        lat: r.try_get("lat")?,
        lng: r.try_get("lng")?,
        address: r.try_get("address")?,
        hours: r.try_get("hours")?,
        services: r.try_get("services")?,
        stock: r.try_get("stock")?,
        jobs: r.try_get("jobs")?,
        visits_served: r.try_get("visits_served")?,
        version: r.try_get("version")?,
    })
}

// ---------------------------------------------------------------------------------------
// Figures

#[derive(Debug, Clone, Default, Serialize)]
pub struct OutreachStats {
    pub sightings: i64,
    pub by_channel: Vec<(String, i64)>,
    pub contacts: i64,
    pub by_outcome: Vec<(String, i64)>,
    pub engaged: i64,
    pub refusals: i64,
    pub people: i64,
    /// Minutes, over the sightings that reached each step.
    pub to_dispatch_avg: Option<f64>,
    pub to_scene_avg: Option<f64>,
    pub to_close_avg: Option<f64>,
    /// Sightings reached after their respond-by time.
    pub late: i64,
    /// (team, contacts, engaged)
    pub by_team: Vec<(String, i64, i64)>,
    /// (tier, stops planned and due by now, stops done)
    pub coverage: Vec<(String, i64, i64)>,
}

impl Db {
    // -- hotspots --------------------------------------------------------------------

    pub async fn hotspot_add(&self, actor: &Actor, h: &HotspotInput) -> Result<Hotspot> {
        let name = h.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(name, 100) || too_long(&h.notes, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        check_position(h.lat, h.lng)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hotspots (region_code, name, lat, lng, tier, notes, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id",
        )
        .bind(h.region.to_string())
        .bind(name.to_string())
        .bind(h.lat)
        .bind(h.lng)
        .bind(h.tier.as_str())
        .bind(h.notes.trim().to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(region_fk)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "hotspot.add",
                record_kind: "hotspot",
                record_id: id.to_string(),
                region: &h.region,
                changes: vec![
                    Change::new("name", None::<String>, Some(name)),
                    Change::new("tier", None::<String>, Some(h.tier.as_str())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.hotspot(id).await
    }

    pub async fn hotspot(&self, id: i64) -> Result<Hotspot> {
        let r = sqlx::query(&format!(
            "SELECT {} FROM hotspots h WHERE h.id = $1",
            hotspot_cols()
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(hotspot_row(&r)?)
    }

    /// Active hotspots in the caller's jurisdiction, key tier first.
    pub async fn hotspots(&self, scopes: &[RegionCode]) -> Result<Vec<Hotspot>> {
        let mut s = Sql::new(&format!(
            "SELECT {} FROM hotspots h WHERE h.active = 1",
            hotspot_cols()
        ));
        s.scope("h.region_code", scopes);
        s.push(
            " ORDER BY CASE h.tier WHEN 'key' THEN 0 WHEN 'secondary' THEN 1 ELSE 2 END, h.name",
        );
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(hotspot_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Changes a hotspot's tier or notes, or retires it (`active = false`).
    pub async fn hotspot_update(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        tier: Tier,
        notes: &str,
        active: bool,
    ) -> Result<Hotspot> {
        if too_long(notes, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let old = self.hotspot(id).await?;
        let region = stored_region(old.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE hotspots SET tier = $1, notes = $2, active = $3, updated_at = $4, version = version + 1 \
             WHERE id = $5 AND version = $6",
        )
        .bind(tier.as_str())
        .bind(notes.trim().to_string())
        .bind(active as i64)
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "hotspots", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "hotspot.update",
                record_kind: "hotspot",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("tier", Some(&old.tier), Some(tier.as_str())),
                    Change::new("notes", Some(&old.notes), Some(notes.trim())),
                    Change::new("active", Some(old.active), Some(active)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.hotspot(id).await
    }

    pub async fn camera_add(
        &self,
        actor: &Actor,
        region: &RegionCode,
        name: &str,
        lat: f64,
        lng: f64,
        hotspot_id: Option<i64>,
    ) -> Result<i64> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(name, 100) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        check_position(lat, lng)?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO cameras (region_code, name, lat, lng, hotspot_id, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
        )
        .bind(region.to_string())
        .bind(name.trim().to_string())
        .bind(lat)
        .bind(lng)
        .bind(hotspot_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(region_fk)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "camera.add",
                record_kind: "camera",
                record_id: id.to_string(),
                region,
                changes: vec![Change::new("name", None::<String>, Some(name.trim()))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn cameras(&self, scopes: &[RegionCode]) -> Result<Vec<Camera>> {
        let mut s =
            Sql::new("SELECT id, region_code, name, lat, lng, hotspot_id FROM cameras WHERE 1 = 1");
        s.scope("region_code", scopes);
        s.push(" ORDER BY name");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Camera {
                    id: r.try_get("id")?,
                    region_code: r.try_get("region_code")?,
                    name: r.try_get("name")?,
                    lat: r.try_get("lat")?,
                    lng: r.try_get("lng")?,
                    hotspot_id: r.try_get("hotspot_id")?,
                })
            })
            .collect()
    }

    // -- teams -----------------------------------------------------------------------

    pub async fn team_add(&self, actor: &Actor, t: &TeamInput) -> Result<Team> {
        let name = t.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(name, 100) || too_long(&t.members, 300) || too_long(&t.shifts, 200) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        check_position(t.base_lat, t.base_lng)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO patrol_teams (region_code, name, members, shifts, base_lat, base_lng, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id",
        )
        .bind(t.region.to_string())
        .bind(name.to_string())
        .bind(t.members.trim().to_string())
        .bind(t.shifts.trim().to_string())
        .bind(t.base_lat)
        .bind(t.base_lng)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(region_fk)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "team.add",
                record_kind: "patrol_team",
                record_id: id.to_string(),
                region: &t.region,
                changes: vec![
                    Change::new("name", None::<String>, Some(name)),
                    Change::new("shifts", None::<String>, Some(t.shifts.trim())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.team(id).await
    }

    pub async fn team(&self, id: i64) -> Result<Team> {
        let r = sqlx::query(&format!(
            "SELECT {TEAM_COLS} FROM patrol_teams t WHERE t.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(team_row(&r)?)
    }

    pub async fn teams(&self, scopes: &[RegionCode]) -> Result<Vec<Team>> {
        let mut s = Sql::new(&format!(
            "SELECT {TEAM_COLS} FROM patrol_teams t WHERE t.active = 1"
        ));
        s.scope("t.region_code", scopes);
        s.push(" ORDER BY t.name");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(team_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    // -- sightings -------------------------------------------------------------------

    /// Records a sighting from any channel. A child makes it urgent whatever the caller
    /// said. Returns it with its reference number.
    pub async fn sighting_create(&self, actor: &Actor, i: &SightingInput) -> Result<Sighting> {
        if i.place.trim().is_empty() && i.position.is_none() {
            return Err(StoreError::Invalid("place_required"));
        }
        if too_long(&i.place, 200)
            || too_long(&i.description, 1000)
            || too_long(&i.caller_name, 50)
            || too_long(&i.call_ref, 100)
            || too_long(&i.snapshot_ref, 200)
        {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if !(1..=50).contains(&i.people_count) {
            return Err(StoreError::Invalid("people_count_invalid"));
        }
        if let Some((lat, lng)) = i.position {
            check_position(lat, lng)?;
        }
        if let Some(p) = &i.contact {
            if !crate::orgs::valid_phone(p) {
                return Err(StoreError::Invalid("phone_invalid"));
            }
        }
        let now = now_ms();
        if i.reported_at > now + 5 * 60_000 {
            return Err(StoreError::Invalid("time_in_future"));
        }
        let urgent = i.urgent || i.child;
        let respond_by = i.reported_at + i.respond_within_minutes as i64 * 60_000;
        let mut tx = self.begin().await?;
        // A reference collision is astronomically unlikely; try again rather than fail.
        let mut id = None;
        for _ in 0..3 {
            let reference = crate::tracing::reference("S");
            let r = sqlx::query_scalar::<_, i64>(
                "INSERT INTO sightings (region_code, reference, channel, reported_at, lat, lng, place, description, people_count, \
                 child, urgent, caller_name, contact_enc, call_ref, camera_id, snapshot_ref, hotspot_id, respond_by, created_by, \
                 created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$20) \
                 ON CONFLICT (reference) DO NOTHING RETURNING id",
            )
            .bind(i.region.to_string())
            .bind(reference)
            .bind(i.channel.as_str())
            .bind(i.reported_at)
            .bind(i.position.map(|p| p.0))
            .bind(i.position.map(|p| p.1))
            .bind(i.place.trim().to_string())
            .bind(i.description.trim().to_string())
            .bind(i.people_count)
            .bind(i.child as i64)
            .bind(urgent as i64)
            .bind(i.caller_name.trim().to_string())
            .bind(i.contact.as_ref().map(|c| self.keys().encrypt(CALLER_AAD, c)))
            .bind(i.call_ref.trim().to_string())
            .bind(i.camera_id)
            .bind(i.snapshot_ref.trim().to_string())
            .bind(i.hotspot_id)
            .bind(respond_by)
            .bind(actor.name.clone())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::Invalid("reference_unknown")
                }
                _ => StoreError::Database(e),
            })?;
            if r.is_some() {
                id = r;
                break;
            }
        }
        let id = id.ok_or(StoreError::Duplicate("reference"))?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "sighting.create",
                record_kind: "sighting",
                record_id: id.to_string(),
                region: &i.region,
                changes: vec![
                    Change::new("channel", None::<String>, Some(i.channel.as_str())),
                    Change::new("urgent", None::<bool>, Some(urgent)),
                    Change::sensitive("contact", false, i.contact.is_some()),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.sighting(id).await
    }

    fn sighting_row(&self, r: &sqlx::any::AnyRow) -> std::result::Result<Sighting, sqlx::Error> {
        let contact: Option<Vec<u8>> = r.try_get("contact_enc")?;
        Ok(Sighting {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            reference: r.try_get("reference")?,
            channel: r.try_get("channel")?,
            reported_at: r.try_get("reported_at")?,
            lat: r.try_get("lat")?,
            lng: r.try_get("lng")?,
            place: r.try_get("place")?,
            description: r.try_get("description")?,
            people_count: r.try_get("people_count")?,
            child: r.try_get::<i64, _>("child")? != 0,
            urgent: r.try_get::<i64, _>("urgent")? != 0,
            caller_name: r.try_get("caller_name")?,
            contact_masked: self
                .keys()
                .masked(CALLER_AAD, contact, jiuzhu_domain::mask::phone),
            call_ref: r.try_get("call_ref")?,
            camera_id: r.try_get("camera_id")?,
            snapshot_ref: r.try_get("snapshot_ref")?,
            hotspot_id: r.try_get("hotspot_id")?,
            respond_by: r.try_get("respond_by")?,
            status: r.try_get("status")?,
            team_id: r.try_get("team_id")?,
            team_name: r.try_get("team_name")?,
            dispatched_at: r.try_get("dispatched_at")?,
            on_scene_at: r.try_get("on_scene_at")?,
            closed_at: r.try_get("closed_at")?,
            outcome: r.try_get("outcome")?,
            version: r.try_get("version")?,
        })
    }

    pub async fn sighting(&self, id: i64) -> Result<Sighting> {
        let r = sqlx::query(&format!(
            "SELECT {SIGHTING_COLS} {SIGHTING_FROM} WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(self.sighting_row(&r)?)
    }

    /// Sightings in the caller's jurisdiction. `open_only`: the dispatch queue (open,
    /// dispatched, on scene), urgent first, then the oldest.
    pub async fn sightings(
        &self,
        scopes: &[RegionCode],
        open_only: bool,
        team_id: Option<i64>,
        q: &str,
        page: Page,
    ) -> Result<Paged<Sighting>> {
        let mut s = Sql::new(&format!("{SIGHTING_FROM} WHERE 1 = 1"));
        s.scope("s.region_code", scopes);
        if open_only {
            s.push(" AND s.status <> 'closed'");
        }
        if let Some(t) = team_id {
            s.push(" AND s.team_id = ");
            s.bind_i64(t);
        }
        s.keyword(&["s.reference", "s.place", "s.description"], q);
        let sort = if open_only {
            Sort {
                column: "urgent".into(),
                descending: true,
            }
        } else {
            Sort {
                column: "reported_at".into(),
                descending: true,
            }
        };
        fetch_paged(
            self.reader(),
            SIGHTING_COLS,
            s,
            &sort,
            &["urgent", "reported_at"],
            "reported_at",
            "s.id",
            page,
            |r| self.sighting_row(r),
        )
        .await
    }

    /// The list behind the figures: by channel, newest first.
    pub async fn sightings_filtered(
        &self,
        scopes: &[RegionCode],
        open_only: bool,
        channel: Option<&str>,
        q: &str,
        page: Page,
    ) -> Result<Paged<Sighting>> {
        let mut s = Sql::new(&format!("{SIGHTING_FROM} WHERE 1 = 1"));
        s.scope("s.region_code", scopes);
        if open_only {
            s.push(" AND s.status <> 'closed'");
        }
        if let Some(c) = channel {
            s.push(" AND s.channel = ");
            s.bind_text(c);
        }
        s.keyword(&["s.reference", "s.place", "s.description"], q);
        fetch_paged(
            self.reader(),
            SIGHTING_COLS,
            s,
            &Sort::parse(Some("-reported_at")),
            &["urgent", "reported_at"],
            "reported_at",
            "s.id",
            page,
            |r| self.sighting_row(r),
        )
        .await
    }

    /// The reporter's view by reference number.
    pub async fn sighting_lookup(&self, reference: &str) -> Result<Option<SightingLookup>> {
        let r = sqlx::query(
            "SELECT status, outcome, reported_at, updated_at FROM sightings WHERE reference = $1",
        )
        .bind(reference.trim().to_uppercase())
        .fetch_optional(self.reader())
        .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(SightingLookup {
                status: SightingStatus::parse(&r.try_get::<String, _>("status")?)
                    .unwrap_or(SightingStatus::Open),
                outcome: r
                    .try_get::<Option<String>, _>("outcome")?
                    .and_then(|o| ContactOutcome::parse(&o)),
                reported_at: r.try_get("reported_at")?,
                updated_at: r.try_get("updated_at")?,
            }),
        })
    }

    /// The caller's phone, for a call back. Logged.
    pub async fn sighting_reveal(&self, actor: &Actor, id: i64) -> Result<Option<String>> {
        let r = sqlx::query("SELECT region_code, contact_enc FROM sightings WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        let region = stored_region(r.try_get::<String, _>("region_code")?)?;
        let blob: Option<Vec<u8>> = r.try_get("contact_enc")?;
        let plain = match blob {
            Some(b) => Some(self.keys().decrypt(CALLER_AAD, &b)?),
            None => None,
        };
        self.log_access(
            actor,
            "sighting",
            &id.to_string(),
            "contact",
            &region,
            "call back",
        )
        .await?;
        Ok(plain)
    }

    /// Moves a sighting one step: dispatch to a team, arrival, recall, or closing without a
    /// contact (a duplicate). The step must be allowed from where the sighting is and the
    /// version must be the one the caller read.
    pub async fn sighting_step(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        step: Step,
    ) -> Result<Sighting> {
        let Step {
            to,
            team_id,
            outcome,
            at,
        } = step;
        let old = self.sighting(id).await?;
        old.status()
            .step(to)
            .map_err(|_| StoreError::Invalid("sighting_step_refused"))?;
        let region = stored_region(old.region_code.clone())?;
        // A step written down after the fact keeps its own time: never before the report,
        // never in the future.
        let now = at.unwrap_or_else(now_ms).clamp(old.reported_at, now_ms());
        let mut tx = self.begin().await?;
        let team = match to {
            SightingStatus::Dispatched => {
                let tid = team_id.ok_or(StoreError::Invalid("team_required"))?;
                let t: Option<String> = sqlx::query_scalar(
                    "SELECT region_code FROM patrol_teams WHERE id = $1 AND active = 1",
                )
                .bind(tid)
                .fetch_optional(&mut *tx)
                .await?;
                let t = t.ok_or(StoreError::Invalid("team_unknown"))?;
                // A team works its own jurisdiction: the sighting must be inside it, or the
                // team inside the sighting's (a county-wide sighting).
                let t = stored_region(t)?;
                if !(region.contains(&t) || t.contains(&region)) {
                    return Err(StoreError::Invalid("team_outside_region"));
                }
                Some(tid)
            }
            SightingStatus::Open => None,
            _ => old.team_id,
        };
        let done = sqlx::query(
            "UPDATE sightings SET status = $1, team_id = $2, \
             dispatched_at = CASE WHEN $1 = 'dispatched' THEN $3 WHEN $1 = 'open' THEN NULL ELSE dispatched_at END, \
             on_scene_at = CASE WHEN $1 = 'on_scene' THEN $3 ELSE on_scene_at END, \
             closed_at = CASE WHEN $1 = 'closed' THEN $3 ELSE closed_at END, \
             outcome = CASE WHEN $1 = 'closed' THEN $4 ELSE outcome END, \
             updated_at = $3, version = version + 1 WHERE id = $5 AND version = $6",
        )
        .bind(to.as_str())
        .bind(team)
        .bind(now)
        .bind(outcome.map(|o| o.as_str()))
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "sightings", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "sighting.step",
                record_kind: "sighting",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("status", Some(&old.status), Some(to.as_str())),
                    Change::new("team_id", old.team_id, team),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.sighting(id).await
    }

    // -- contacts --------------------------------------------------------------------

    /// What a team found. Answering a sighting closes it with this outcome (the version the
    /// team read must still hold); at a planned stop it marks the stop done. The team's
    /// position is remembered for the next "nearest free team".
    pub async fn contact_record(&self, actor: &Actor, c: &ContactInput) -> Result<Contact> {
        if too_long(&c.note, 1000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if !(0..=50).contains(&c.people_count) || !(0..=10_000).contains(&c.supplies) {
            return Err(StoreError::Invalid("count_invalid"));
        }
        if c.outcome.engaged() && c.people_count == 0 {
            return Err(StoreError::Invalid("people_count_invalid"));
        }
        if let Some((lat, lng)) = c.position {
            check_position(lat, lng)?;
        }
        let team = self.team(c.team_id).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::Invalid("team_unknown"),
            e => e,
        })?;
        let now = c.at.min(now_ms());
        let mut tx = self.begin().await?;
        let mut region = stored_region(team.region_code.clone())?;
        let mut hotspot_id: Option<i64> = None;
        if let Some(sid) = c.sighting_id {
            let r = sqlx::query("SELECT region_code, status, team_id, hotspot_id, version FROM sightings WHERE id = $1")
                .bind(sid)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Invalid("sighting_unknown"))?;
            let status = SightingStatus::parse(&r.try_get::<String, _>("status")?)
                .unwrap_or(SightingStatus::Open);
            if r.try_get::<Option<i64>, _>("team_id")? != Some(c.team_id) || !status.is_active() {
                return Err(StoreError::Invalid("sighting_not_assigned"));
            }
            region = stored_region(r.try_get::<String, _>("region_code")?)?;
            hotspot_id = r.try_get("hotspot_id")?;
            let done = sqlx::query(
                "UPDATE sightings SET status = 'closed', outcome = $1, closed_at = $2, \
                 on_scene_at = COALESCE(on_scene_at, $2), updated_at = $2, version = version + 1 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(c.outcome.as_str())
            .bind(now)
            .bind(sid)
            .bind(c.sighting_version.unwrap_or(-1))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(stale(&mut tx, "sightings", sid).await);
            }
        }
        if let Some(stop) = c.stop_id {
            let r = sqlx::query("SELECT team_id, hotspot_id, region_code FROM plan_stops WHERE id = $1 AND done_at IS NULL")
                .bind(stop)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::Invalid("stop_unknown"))?;
            if r.try_get::<i64, _>("team_id")? != c.team_id {
                return Err(StoreError::Invalid("stop_unknown"));
            }
            hotspot_id = hotspot_id.or(r.try_get("hotspot_id")?);
            if c.sighting_id.is_none() {
                region = stored_region(r.try_get::<String, _>("region_code")?)?;
            }
            sqlx::query("UPDATE plan_stops SET done_at = $1, version = version + 1 WHERE id = $2")
                .bind(now)
                .bind(stop)
                .execute(&mut *tx)
                .await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO patrol_contacts (region_code, team_id, sighting_id, hotspot_id, stop_id, at, lat, lng, outcome, \
             people_count, supplies, card_given, note, actor_name) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
        )
        .bind(region.to_string())
        .bind(c.team_id)
        .bind(c.sighting_id)
        .bind(hotspot_id)
        .bind(c.stop_id)
        .bind(now)
        .bind(c.position.map(|p| p.0))
        .bind(c.position.map(|p| p.1))
        .bind(c.outcome.as_str())
        .bind(c.people_count)
        .bind(c.supplies)
        .bind(c.card_given as i64)
        .bind(c.note.trim().to_string())
        .bind(actor.name.clone())
        .fetch_one(&mut *tx)
        .await?;
        if let Some((lat, lng)) = c.position {
            sqlx::query("UPDATE patrol_teams SET last_lat = $1, last_lng = $2, last_seen_at = $3 WHERE id = $4")
                .bind(lat)
                .bind(lng)
                .bind(now)
                .bind(c.team_id)
                .execute(&mut *tx)
                .await?;
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "contact.record",
                record_kind: "patrol_contact",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("outcome", None::<String>, Some(c.outcome.as_str())),
                    Change::new("sighting_id", None::<i64>, c.sighting_id),
                    Change::new("supplies", None::<i64>, Some(c.supplies)),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.contacts_where("c.id = $1", Some(id), &[RegionCode::nation()], 1)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn contacts_where(
        &self,
        cond: &str,
        arg: Option<i64>,
        scopes: &[RegionCode],
        limit: i64,
    ) -> Result<Vec<Contact>> {
        let mut s = Sql::new(
            "SELECT c.id, c.region_code, c.team_id, t.name AS team_name, c.sighting_id, c.hotspot_id, h.name AS hotspot_name, \
             c.at, c.outcome, c.people_count, c.supplies, c.card_given, c.note, c.actor_name FROM patrol_contacts c \
             JOIN patrol_teams t ON t.id = c.team_id LEFT JOIN hotspots h ON h.id = c.hotspot_id WHERE ",
        );
        match arg {
            Some(v) => {
                s.push(cond.split('$').next().unwrap_or(""));
                s.bind_i64(v);
            }
            None => {
                s.push(cond);
            }
        }
        s.scope("c.region_code", scopes);
        s.push(&format!(
            " ORDER BY c.at DESC LIMIT {}",
            limit.clamp(1, 500)
        ));
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Contact {
                    id: r.try_get("id")?,
                    region_code: r.try_get("region_code")?,
                    team_id: r.try_get("team_id")?,
                    team_name: r.try_get("team_name")?,
                    sighting_id: r.try_get("sighting_id")?,
                    hotspot_id: r.try_get("hotspot_id")?,
                    hotspot_name: r.try_get("hotspot_name")?,
                    at: r.try_get("at")?,
                    outcome: r.try_get("outcome")?,
                    people_count: r.try_get("people_count")?,
                    supplies: r.try_get("supplies")?,
                    card_given: r.try_get::<i64, _>("card_given")? != 0,
                    note: r.try_get("note")?,
                    actor_name: r.try_get("actor_name")?,
                })
            })
            .collect()
    }

    /// The latest contacts in the caller's jurisdiction, for one team or all.
    pub async fn contacts(
        &self,
        scopes: &[RegionCode],
        team_id: Option<i64>,
    ) -> Result<Vec<Contact>> {
        match team_id {
            Some(t) => {
                self.contacts_where("c.team_id = $1", Some(t), scopes, 100)
                    .await
            }
            None => self.contacts_where("1 = 1", None, scopes, 200).await,
        }
    }

    /// The latest contacts with one outcome (the figures drill down to these).
    pub async fn contacts_filtered(
        &self,
        scopes: &[RegionCode],
        team_id: Option<i64>,
        outcome: Option<&str>,
    ) -> Result<Vec<Contact>> {
        let Some(o) = outcome.and_then(ContactOutcome::parse) else {
            return self.contacts(scopes, team_id).await;
        };
        // The code is one of ours, checked above: safe to write into the text.
        let cond = format!("c.outcome = '{}'", o.as_str());
        let mut out = self.contacts_where(&cond, None, scopes, 500).await?;
        if let Some(t) = team_id {
            out.retain(|c| c.team_id == t);
        }
        Ok(out)
    }

    /// The contacts a sighting's record shows.
    pub async fn contacts_for_sighting(&self, sighting_id: i64) -> Result<Vec<Contact>> {
        self.contacts_where(
            "c.sighting_id = $1",
            Some(sighting_id),
            &[RegionCode::nation()],
            50,
        )
        .await
    }

    // -- plans -----------------------------------------------------------------------

    /// Saves a day's plan for a region, replacing the previous one for that day; stops
    /// already done are kept as they were (a re-plan never forgets work done).
    pub async fn plan_save(
        &self,
        actor: &Actor,
        region: &RegionCode,
        day: NaiveDate,
        summary: &str,
        stops: &[StopInput],
    ) -> Result<PlanRow> {
        let day_s = day.format("%Y-%m-%d").to_string();
        let now = now_ms();
        let mut tx = self.begin().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM patrol_plans WHERE region_code = $1 AND day = $2")
                .bind(region.to_string())
                .bind(day_s.clone())
                .fetch_optional(&mut *tx)
                .await?;
        let plan_id = match existing {
            Some(id) => {
                sqlx::query("DELETE FROM plan_stops WHERE plan_id = $1 AND done_at IS NULL")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE patrol_plans SET summary = $1, created_at = $2, created_by = $3, version = version + 1 WHERE id = $4")
                    .bind(summary.to_string())
                    .bind(now)
                    .bind(actor.name.clone())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO patrol_plans (region_code, day, summary, created_at, created_by) VALUES ($1,$2,$3,$4,$5) RETURNING id",
            )
            .bind(region.to_string())
            .bind(day_s.clone())
            .bind(summary.to_string())
            .bind(now)
            .bind(actor.name.clone())
            .fetch_one(&mut *tx)
            .await
            .map_err(region_fk)?,
        };
        for st in stops {
            sqlx::query(
                "INSERT INTO plan_stops (plan_id, region_code, team_id, shift, seq, hotspot_id, sighting_id, tier, start_min, \
                 window_from, window_to) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
            )
            .bind(plan_id)
            .bind(region.to_string())
            .bind(st.team_id)
            .bind(st.shift)
            .bind(st.seq)
            .bind(st.hotspot_id)
            .bind(st.sighting_id)
            .bind(st.tier.clone())
            .bind(st.start_min)
            .bind(st.window_from)
            .bind(st.window_to)
            .execute(&mut *tx)
            .await?;
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "plan.save",
                record_kind: "patrol_plan",
                record_id: plan_id.to_string(),
                region,
                changes: vec![
                    Change::new("day", None::<String>, Some(&day_s)),
                    Change::new("stops", None::<usize>, Some(stops.len())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.plan(region, day).await?.ok_or(StoreError::NotFound)
    }

    pub async fn plan(&self, region: &RegionCode, day: NaiveDate) -> Result<Option<PlanRow>> {
        let r = sqlx::query("SELECT id, region_code, day, summary, created_at, created_by, version FROM patrol_plans WHERE region_code = $1 AND day = $2")
            .bind(region.to_string())
            .bind(day.format("%Y-%m-%d").to_string())
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(PlanRow {
                id: r.try_get("id")?,
                region_code: r.try_get("region_code")?,
                day: r.try_get("day")?,
                summary: r.try_get("summary")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
                version: r.try_get("version")?,
            }),
        })
    }

    /// A plan's stops in route order, one team or all.
    pub async fn plan_stops(&self, plan_id: i64, team_id: Option<i64>) -> Result<Vec<PlanStop>> {
        let mut s = Sql::new(
            "SELECT p.id, p.team_id, t.name AS team_name, p.shift, p.seq, p.hotspot_id, p.sighting_id, \
             COALESCE(h.name, sg.place, '') AS name, COALESCE(h.lat, sg.lat, 0.0) AS lat, COALESCE(h.lng, sg.lng, 0.0) AS lng, \
             p.tier, p.start_min, p.window_from, p.window_to, p.done_at, p.version FROM plan_stops p \
             JOIN patrol_teams t ON t.id = p.team_id LEFT JOIN hotspots h ON h.id = p.hotspot_id \
             LEFT JOIN sightings sg ON sg.id = p.sighting_id WHERE p.plan_id = ",
        );
        s.bind_i64(plan_id);
        if let Some(t) = team_id {
            s.push(" AND p.team_id = ");
            s.bind_i64(t);
        }
        s.push(" ORDER BY t.name, p.shift, p.start_min, p.seq");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PlanStop {
                    id: r.try_get("id")?,
                    team_id: r.try_get("team_id")?,
                    team_name: r.try_get("team_name")?,
                    shift: r.try_get("shift")?,
                    seq: r.try_get("seq")?,
                    hotspot_id: r.try_get("hotspot_id")?,
                    sighting_id: r.try_get("sighting_id")?,
                    name: r.try_get("name")?,
                    lat: r.try_get("lat")?,
                    lng: r.try_get("lng")?,
                    tier: r.try_get("tier")?,
                    start_min: r.try_get("start_min")?,
                    window_from: r.try_get("window_from")?,
                    window_to: r.try_get("window_to")?,
                    done_at: r.try_get("done_at")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// An urgent sighting put into the running plan: its stop added, the route it joins
    /// re-timed, and the optional stops given up for it removed, in one transaction. Stops
    /// already made are never touched.
    pub async fn plan_amend(
        &self,
        actor: &Actor,
        plan_id: i64,
        add: &StopInput,
        retime: &[(i64, i64)],
        drop: &[i64],
    ) -> Result<i64> {
        let region: String =
            sqlx::query_scalar("SELECT region_code FROM patrol_plans WHERE id = $1")
                .bind(plan_id)
                .fetch_optional(self.reader())
                .await?
                .ok_or(StoreError::NotFound)?;
        let region = stored_region(region)?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_stops (plan_id, region_code, team_id, shift, seq, hotspot_id, sighting_id, tier, start_min, \
             window_from, window_to) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
        )
        .bind(plan_id)
        .bind(region.to_string())
        .bind(add.team_id)
        .bind(add.shift)
        .bind(add.seq)
        .bind(add.hotspot_id)
        .bind(add.sighting_id)
        .bind(add.tier.clone())
        .bind(add.start_min)
        .bind(add.window_from)
        .bind(add.window_to)
        .fetch_one(&mut *tx)
        .await?;
        for (stop, start) in retime {
            sqlx::query("UPDATE plan_stops SET start_min = $1, version = version + 1 WHERE id = $2 AND plan_id = $3 AND done_at IS NULL")
                .bind(*start)
                .bind(*stop)
                .bind(plan_id)
                .execute(&mut *tx)
                .await?;
        }
        for stop in drop {
            sqlx::query(
                "DELETE FROM plan_stops WHERE id = $1 AND plan_id = $2 AND done_at IS NULL",
            )
            .bind(*stop)
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE patrol_plans SET version = version + 1 WHERE id = $1")
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "plan.insert_urgent",
                record_kind: "patrol_plan",
                record_id: plan_id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("sighting_id", None::<i64>, add.sighting_id),
                    Change::new("team_id", None::<i64>, Some(add.team_id)),
                    Change::new("dropped", None::<usize>, Some(drop.len())),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plan stop's region, for the caller's permission check.
    pub async fn plan_stop_region(&self, id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT region_code FROM plan_stops WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Adjusting a plan by hand: a stop not yet made moves to another team of the region.
    pub async fn plan_stop_move(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        team_id: i64,
    ) -> Result<()> {
        let region = stored_region(self.plan_stop_region(id).await?)?;
        let mut tx = self.begin().await?;
        let t: Option<String> =
            sqlx::query_scalar("SELECT region_code FROM patrol_teams WHERE id = $1 AND active = 1")
                .bind(team_id)
                .fetch_optional(&mut *tx)
                .await?;
        match t {
            Some(t)
                if stored_region(t.clone())
                    .is_ok_and(|t| t.contains(&region) || region.contains(&t)) => {}
            _ => return Err(StoreError::Invalid("team_unknown")),
        }
        let done = sqlx::query(
            "UPDATE plan_stops SET team_id = $1, version = version + 1 WHERE id = $2 AND version = $3 AND done_at IS NULL",
        )
        .bind(team_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "plan_stops", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "plan.move_stop",
                record_kind: "plan_stop",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("team_id", None::<i64>, Some(team_id))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // -- weather and campaigns -------------------------------------------------------

    /// Records a warning and, when the region's rule says so, the campaign it starts, in one
    /// transaction.
    pub async fn warning_add(
        &self,
        actor: &Actor,
        w: &WarningInput,
        campaign: Option<&CampaignInput>,
    ) -> Result<(Warning, Option<Campaign>)> {
        let mut tx = self.begin().await?;
        let (wid, cid) = insert_warning(&mut tx, actor, w, campaign).await?;
        tx.commit().await?;
        let warning = self
            .warnings(std::slice::from_ref(&w.region))
            .await?
            .into_iter()
            .find(|x| x.id == wid)
            .ok_or(StoreError::NotFound)?;
        let campaign = match cid {
            Some(id) => Some(self.campaign(id).await?),
            None => None,
        };
        Ok((warning, campaign))
    }

    /// A file of warnings from the weather service: all of them or, if one is wrong, none
    /// (the error says which line, counting from 1).
    pub async fn warnings_import(
        &self,
        actor: &Actor,
        items: &[(WarningInput, Option<CampaignInput>)],
    ) -> Result<(usize, usize)> {
        let mut tx = self.begin().await?;
        let mut campaigns = 0;
        for (w, c) in items {
            let (_, cid) = insert_warning(&mut tx, actor, w, c.as_ref()).await?;
            campaigns += cid.is_some() as usize;
        }
        tx.commit().await?;
        Ok((items.len(), campaigns))
    }

    pub async fn warnings(&self, scopes: &[RegionCode]) -> Result<Vec<Warning>> {
        let mut s = Sql::new(
            "SELECT w.id, w.region_code, w.kind, w.level, w.valid_from, w.valid_to, w.source, w.created_at, \
             (SELECT MIN(c.id) FROM campaigns c WHERE c.warning_id = w.id) AS campaign_id FROM weather_warnings w WHERE 1 = 1",
        );
        s.scope("w.region_code", scopes);
        s.push(" ORDER BY w.valid_from DESC, w.id DESC LIMIT 200");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Warning {
                    id: r.try_get("id")?,
                    region_code: r.try_get("region_code")?,
                    kind: r.try_get("kind")?,
                    level: r.try_get("level")?,
                    valid_from: r.try_get("valid_from")?,
                    valid_to: r.try_get("valid_to")?,
                    source: r.try_get("source")?,
                    created_at: r.try_get("created_at")?,
                    campaign_id: r.try_get("campaign_id")?,
                })
            })
            .collect()
    }

    fn campaign_row(r: &sqlx::any::AnyRow) -> std::result::Result<Campaign, sqlx::Error> {
        let n = |c: &str| -> std::result::Result<u8, sqlx::Error> {
            Ok(r.try_get::<i64, _>(c)?.clamp(0, 12) as u8)
        };
        Ok(Campaign {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            warning_id: r.try_get("warning_id")?,
            kind: r.try_get("kind")?,
            starts_on: r.try_get("starts_on")?,
            ends_on: r.try_get("ends_on")?,
            extra: ExtraVisits {
                key: n("extra_key")?,
                secondary: n("extra_secondary")?,
                general: n("extra_general")?,
            },
            instructions: r.try_get("instructions")?,
            supplies_target: r.try_get("supplies_target")?,
            reference: r.try_get("reference")?,
        })
    }

    const CAMPAIGN_COLS: &'static str = "id, region_code, warning_id, kind, starts_on, ends_on, extra_key, extra_secondary, extra_general, instructions, supplies_target, reference";

    pub async fn campaign(&self, id: i64) -> Result<Campaign> {
        let r = sqlx::query(&format!(
            "SELECT {} FROM campaigns WHERE id = $1",
            Self::CAMPAIGN_COLS
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Self::campaign_row(&r)?)
    }

    pub async fn campaigns(&self, scopes: &[RegionCode]) -> Result<Vec<Campaign>> {
        let mut s = Sql::new(&format!(
            "SELECT {} FROM campaigns WHERE 1 = 1",
            Self::CAMPAIGN_COLS
        ));
        s.scope("region_code", scopes);
        s.push(" ORDER BY starts_on DESC, id DESC LIMIT 200");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(Self::campaign_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// Campaigns running on `day` that cover `region`: declared for it, for a region above
    /// it (a city-wide cold wave) or for a part of it.
    pub async fn campaigns_on(&self, region: &RegionCode, day: NaiveDate) -> Result<Vec<Campaign>> {
        let d = day.format("%Y-%m-%d").to_string();
        let mut s = Sql::new(&format!(
            "SELECT {} FROM campaigns WHERE starts_on <= ",
            Self::CAMPAIGN_COLS
        ));
        s.bind_text(d.clone());
        s.push(" AND ends_on >= ");
        s.bind_text(d);
        let mut chain = region.ancestry();
        chain.push(region.clone());
        s.push(" AND (region_code IN (");
        for (i, r) in chain.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.bind_text(r.to_string());
        }
        s.push(")");
        s.push(" OR region_code LIKE ");
        s.bind_text(format!("{}%", region.subtree_prefix()));
        s.push(") ORDER BY id");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .iter()
            .map(Self::campaign_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// What teams did in a campaign's region during its days.
    pub async fn campaign_report(&self, c: &Campaign) -> Result<CampaignReport> {
        let from = NaiveDate::parse_from_str(&c.starts_on, "%Y-%m-%d")
            .map_err(|_| StoreError::Invalid("date_invalid"))?;
        let to = NaiveDate::parse_from_str(&c.ends_on, "%Y-%m-%d")
            .map_err(|_| StoreError::Invalid("date_invalid"))?;
        let lo = jiuzhu_domain::time::local_midnight_ms(from);
        let hi = jiuzhu_domain::time::local_midnight_ms(to + chrono::Duration::days(1));
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(people_count), 0) AS BIGINT) AS people, \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'brought_in' THEN people_count ELSE 0 END), 0) AS BIGINT) AS brought, \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'refused_supplies' THEN 1 ELSE 0 END), 0) AS BIGINT) AS refused, \
             CAST(COALESCE(SUM(supplies), 0) AS BIGINT) AS supplies, CAST(COALESCE(SUM(card_given), 0) AS BIGINT) AS cards \
             FROM patrol_contacts WHERE region_code LIKE $1 AND at >= $2 AND at < $3",
        )
        .bind(format!("{}%", stored_region(c.region_code.clone())?.subtree_prefix()))
        .bind(lo)
        .bind(hi)
        .fetch_one(self.reader())
        .await?;
        Ok(CampaignReport {
            contacts: r.try_get("n")?,
            people: r.try_get("people")?,
            brought_in: r.try_get("brought")?,
            refused_with_supplies: r.try_get("refused")?,
            supplies: r.try_get("supplies")?,
            cards: r.try_get("cards")?,
        })
    }

    // -- rescue posts ----------------------------------------------------------------

    pub async fn post_add(&self, actor: &Actor, p: &PostInput) -> Result<Post> {
        let name = p.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("name_required"));
        }
        if too_long(name, 100)
            || too_long(&p.partner_name, 100)
            || too_long(&p.address, 200)
            || too_long(&p.hours, 100)
            || too_long(&p.stock, 500)
            || too_long(&p.jobs, 2000)
            || too_long(&p.services, 200)
        {
            return Err(StoreError::Invalid("text_too_long"));
        }
        check_position(p.lat, p.lng)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rescue_posts (region_code, name, partner_kind, partner_name, lat, lng, address, hours, services, stock, \
             jobs, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12) RETURNING id",
        )
        .bind(p.region.to_string())
        .bind(name.to_string())
        .bind(p.partner_kind.clone())
        .bind(p.partner_name.trim().to_string())
        .bind(p.lat)
        .bind(p.lng)
        .bind(p.address.trim().to_string())
        .bind(p.hours.trim().to_string())
        .bind(p.services.clone())
        .bind(p.stock.trim().to_string())
        .bind(p.jobs.trim().to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(region_fk)?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "post.add",
                record_kind: "rescue_post",
                record_id: id.to_string(),
                region: &p.region,
                changes: vec![Change::new("name", None::<String>, Some(name))],
            },
        )
        .await?;
        tx.commit().await?;
        self.post(id).await
    }

    pub async fn post(&self, id: i64) -> Result<Post> {
        let r = sqlx::query(&format!(
            "SELECT {POST_COLS} FROM rescue_posts WHERE id = $1 AND active = 1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(post_row(&r)?)
    }

    pub async fn posts(&self, scopes: &[RegionCode], q: &str, page: Page) -> Result<Paged<Post>> {
        let mut s = Sql::new("FROM rescue_posts WHERE active = 1");
        s.scope("region_code", scopes);
        s.keyword(&["name", "partner_name", "address"], q);
        fetch_paged(
            self.reader(),
            POST_COLS,
            s,
            &Sort {
                column: "name".into(),
                descending: false,
            },
            &["name", "visits_served"],
            "name",
            "id",
            page,
            post_row,
        )
        .await
    }

    /// Every open post, for the public map: all of it is public information.
    pub async fn posts_all(&self) -> Result<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "SELECT {POST_COLS} FROM rescue_posts WHERE active = 1 ORDER BY id"
        ))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(post_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// A post's stock, jobs and visits served, kept up to date by the partner or the station.
    pub async fn post_update(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        stock: &str,
        jobs: &str,
        visits_served: i64,
    ) -> Result<Post> {
        if too_long(stock, 500) || too_long(jobs, 2000) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        if !(0..=10_000_000).contains(&visits_served) {
            return Err(StoreError::Invalid("count_invalid"));
        }
        let old = self.post(id).await?;
        let region = stored_region(old.region_code.clone())?;
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE rescue_posts SET stock = $1, jobs = $2, visits_served = $3, updated_at = $4, version = version + 1 \
             WHERE id = $5 AND version = $6",
        )
        .bind(stock.trim().to_string())
        .bind(jobs.trim().to_string())
        .bind(visits_served)
        .bind(now_ms())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale(&mut tx, "rescue_posts", id).await);
        }
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "post.update",
                record_kind: "rescue_post",
                record_id: id.to_string(),
                region: &region,
                changes: vec![
                    Change::new("stock", Some(&old.stock), Some(stock.trim())),
                    Change::new(
                        "visits_served",
                        Some(old.visits_served),
                        Some(visits_served),
                    ),
                ],
            },
        )
        .await?;
        tx.commit().await?;
        self.post(id).await
    }

    // -- figures ---------------------------------------------------------------------

    /// Outreach figures for the caller's jurisdiction over [from, to] (local days).
    pub async fn outreach_stats(
        &self,
        scopes: &[RegionCode],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<OutreachStats> {
        let lo = jiuzhu_domain::time::local_midnight_ms(from);
        let hi = jiuzhu_domain::time::local_midnight_ms(to + chrono::Duration::days(1));
        let mut out = OutreachStats::default();
        let pairs = |sql: Sql| async move {
            let rows = sqlx::query_with(sql.text(), sql.args())
                .fetch_all(self.reader())
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<(String, i64)>>>()
        };
        let window = |s: &mut Sql, col: &str| {
            s.push(&format!(" AND {col} >= "));
            s.bind_i64(lo);
            s.push(&format!(" AND {col} < "));
            s.bind_i64(hi);
        };
        let mut s = Sql::new("SELECT channel, COUNT(*) FROM sightings WHERE 1 = 1");
        s.scope("region_code", scopes);
        window(&mut s, "reported_at");
        s.push(" GROUP BY channel ORDER BY 2 DESC");
        out.by_channel = pairs(s).await?;
        out.sightings = out.by_channel.iter().map(|p| p.1).sum();

        let mut s = Sql::new("SELECT outcome, COUNT(*) FROM patrol_contacts WHERE 1 = 1");
        s.scope("region_code", scopes);
        window(&mut s, "at");
        s.push(" GROUP BY outcome ORDER BY 2 DESC");
        out.by_outcome = pairs(s).await?;
        out.contacts = out.by_outcome.iter().map(|p| p.1).sum();
        out.engaged = out
            .by_outcome
            .iter()
            .filter(|(o, _)| ContactOutcome::parse(o).is_some_and(|o| o.engaged()))
            .map(|p| p.1)
            .sum();
        out.refusals = out
            .by_outcome
            .iter()
            .filter(|(o, _)| o == ContactOutcome::RefusedSupplies.as_str())
            .map(|p| p.1)
            .sum();

        let mut s = Sql::new("SELECT CAST(COALESCE(SUM(people_count), 0) AS BIGINT) FROM patrol_contacts WHERE 1 = 1");
        s.scope("region_code", scopes);
        window(&mut s, "at");
        out.people = sqlx::query_scalar_with(s.text(), s.args())
            .fetch_one(self.reader())
            .await?;

        let mut s = Sql::new(
            "SELECT CAST(AVG(CASE WHEN dispatched_at IS NOT NULL THEN (dispatched_at - reported_at) / 60000.0 END) AS DOUBLE PRECISION) AS d, \
             CAST(AVG(CASE WHEN on_scene_at IS NOT NULL THEN (on_scene_at - reported_at) / 60000.0 END) AS DOUBLE PRECISION) AS o, \
             CAST(AVG(CASE WHEN closed_at IS NOT NULL THEN (closed_at - reported_at) / 60000.0 END) AS DOUBLE PRECISION) AS c, \
             CAST(COALESCE(SUM(CASE WHEN on_scene_at > respond_by THEN 1 ELSE 0 END), 0) AS BIGINT) AS late FROM sightings WHERE 1 = 1",
        );
        s.scope("region_code", scopes);
        window(&mut s, "reported_at");
        let r = sqlx::query_with(s.text(), s.args())
            .fetch_one(self.reader())
            .await?;
        out.to_dispatch_avg = r.try_get("d")?;
        out.to_scene_avg = r.try_get("o")?;
        out.to_close_avg = r.try_get("c")?;
        out.late = r.try_get("late")?;

        let mut s = Sql::new(
            "SELECT t.name, COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN c.outcome IN ('gone','not_found') THEN 0 ELSE 1 END), 0) AS BIGINT) AS e \
             FROM patrol_contacts c JOIN patrol_teams t ON t.id = c.team_id WHERE 1 = 1",
        );
        s.scope("c.region_code", scopes);
        window(&mut s, "c.at");
        s.push(" GROUP BY t.name ORDER BY t.name");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        out.by_team = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?;

        let mut s = Sql::new(
            "SELECT p.tier, COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN p.done_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS done \
             FROM plan_stops p JOIN patrol_plans pl ON pl.id = p.plan_id WHERE 1 = 1",
        );
        s.scope("p.region_code", scopes);
        s.push(" AND pl.day >= ");
        s.bind_text(from.format("%Y-%m-%d").to_string());
        s.push(" AND pl.day <= ");
        s.bind_text(to.format("%Y-%m-%d").to_string());
        // Only stops already due count against the plan: not today's evening round.
        let now = now_ms();
        if let Some(today) = jiuzhu_domain::time::local_date(now) {
            let minute = (now - jiuzhu_domain::time::local_midnight_ms(today)) / 60_000;
            s.push(" AND (pl.day < ");
            s.bind_text(today.format("%Y-%m-%d").to_string());
            s.push(" OR (pl.day = ");
            s.bind_text(today.format("%Y-%m-%d").to_string());
            s.push(" AND p.start_min <= ");
            s.bind_i64(minute);
            s.push("))");
        }
        s.push(" GROUP BY p.tier ORDER BY CASE p.tier WHEN 'key' THEN 0 WHEN 'secondary' THEN 1 WHEN 'general' THEN 2 ELSE 3 END");
        let rows = sqlx::query_with(s.text(), s.args())
            .fetch_all(self.reader())
            .await?;
        out.coverage = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?;
        Ok(out)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PostMessage {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

impl Db {
    /// Posts a message on a rescue post's board (a job, a need, a notice for visitors).
    pub async fn post_message_add(&self, actor: &Actor, post_id: i64, body: &str) -> Result<()> {
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::Invalid("board_message_required"));
        }
        if too_long(body, 500) {
            return Err(StoreError::Invalid("text_too_long"));
        }
        let post = self.post(post_id).await?;
        let region = stored_region(post.region_code.clone())?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO post_messages (post_id, region_code, author, body, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
        )
        .bind(post_id)
        .bind(region.to_string())
        .bind(actor.name.clone())
        .bind(body.to_string())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "post.message",
                record_kind: "post_message",
                record_id: id.to_string(),
                region: &region,
                changes: vec![Change::new("post_id", None::<i64>, Some(post_id))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A post's board, newest first.
    pub async fn post_messages(&self, post_id: i64) -> Result<Vec<PostMessage>> {
        let rows = sqlx::query("SELECT id, author, body, created_at FROM post_messages WHERE post_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100")
            .bind(post_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PostMessage {
                    id: r.try_get("id")?,
                    author: r.try_get("author")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The contact's region and team, for the caller's permission check.
    pub async fn contact_owner(&self, id: i64) -> Result<(String, i64)> {
        let r = sqlx::query("SELECT region_code, team_id FROM patrol_contacts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((r.try_get("region_code")?, r.try_get("team_id")?))
    }

    /// Adds a photo to a contact (already re-encoded, without metadata). At most five.
    pub async fn contact_photo_add(
        &self,
        actor: &Actor,
        contact_id: i64,
        jpeg: Vec<u8>,
        thumb: Vec<u8>,
    ) -> Result<i64> {
        let (region, _) = self.contact_owner(contact_id).await?;
        let region = stored_region(region)?;
        let mut tx = self.begin().await?;
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM contact_photos WHERE contact_id = $1")
                .bind(contact_id)
                .fetch_one(&mut *tx)
                .await?;
        if n >= 5 {
            return Err(StoreError::Invalid("too_many_photos"));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contact_photos (contact_id, region_code, jpeg, thumb, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
        )
        .bind(contact_id)
        .bind(region.to_string())
        .bind(jpeg)
        .bind(thumb)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            Event {
                action: "contact.photo",
                record_kind: "patrol_contact",
                record_id: contact_id.to_string(),
                region: &region,
                changes: vec![Change::new("photo", None::<i64>, Some(id))],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The photo ids of a contact.
    pub async fn contact_photo_ids(&self, contact_id: i64) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM contact_photos WHERE contact_id = $1 ORDER BY id")
                .bind(contact_id)
                .fetch_all(self.reader())
                .await?,
        )
    }

    /// One photo (full size or thumbnail) with its region; the caller checks access and the
    /// view is logged, as these are pictures of people.
    pub async fn contact_photo(
        &self,
        actor: &Actor,
        photo_id: i64,
        thumb: bool,
    ) -> Result<(String, Vec<u8>)> {
        let r = sqlx::query(&format!(
            "SELECT region_code, contact_id, {} AS img FROM contact_photos WHERE id = $1",
            if thumb { "thumb" } else { "jpeg" }
        ))
        .bind(photo_id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let region: String = r.try_get("region_code")?;
        let contact: i64 = r.try_get("contact_id")?;
        if !thumb {
            self.log_access(
                actor,
                "patrol_contact",
                &contact.to_string(),
                "photo",
                &stored_region(region.clone())?,
                "view photo",
            )
            .await?;
        }
        Ok((region, r.try_get("img")?))
    }

    /// A photo's region, for the permission check before it is read.
    pub async fn contact_photo_region(&self, photo_id: i64) -> Result<String> {
        sqlx::query_scalar("SELECT region_code FROM contact_photos WHERE id = $1")
            .bind(photo_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }
}

async fn insert_warning(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    w: &WarningInput,
    campaign: Option<&CampaignInput>,
) -> Result<(i64, Option<i64>)> {
    if w.valid_to < w.valid_from {
        return Err(StoreError::Invalid("period_invalid"));
    }
    if (w.valid_to - w.valid_from).num_days() > 31 {
        return Err(StoreError::Invalid("period_too_long"));
    }
    if too_long(&w.source, 200) {
        return Err(StoreError::Invalid("text_too_long"));
    }
    let now = now_ms();
    let (from, to) = (
        w.valid_from.format("%Y-%m-%d").to_string(),
        w.valid_to.format("%Y-%m-%d").to_string(),
    );
    let wid: i64 = sqlx::query_scalar(
            "INSERT INTO weather_warnings (region_code, kind, level, valid_from, valid_to, source, actor_name, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(w.region.to_string())
        .bind(w.kind.as_str())
        .bind(w.level.as_str())
        .bind(from.clone())
        .bind(to.clone())
        .bind(w.source.trim().to_string())
        .bind(actor.name.clone())
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(region_fk)?;
    let mut cid = None;
    if let Some(c) = campaign {
        cid = Some(
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO campaigns (region_code, warning_id, kind, starts_on, ends_on, extra_key, extra_secondary, \
                     extra_general, instructions, supplies_target, reference, created_at) \
                     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
                )
                .bind(w.region.to_string())
                .bind(wid)
                .bind(c.kind.as_str())
                .bind(from.clone())
                .bind(to.clone())
                .bind(c.extra.key as i64)
                .bind(c.extra.secondary as i64)
                .bind(c.extra.general as i64)
                .bind(c.instructions.clone())
                .bind(c.supplies_target)
                .bind(c.reference.clone())
                .bind(now)
                .fetch_one(&mut **tx)
                .await?,
            );
    }
    audit::append(
        tx,
        actor,
        Event {
            action: "warning.add",
            record_kind: "weather_warning",
            record_id: wid.to_string(),
            region: &w.region,
            changes: vec![
                Change::new("kind", None::<String>, Some(w.kind.as_str())),
                Change::new("level", None::<String>, Some(w.level.as_str())),
                Change::new(
                    "campaign",
                    None::<String>,
                    campaign.map(|c| c.kind.as_str()),
                ),
            ],
        },
    )
    .await?;
    Ok((wid, cid))
}
