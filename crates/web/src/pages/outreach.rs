//! 街面巡查: the dispatch board, sightings, the patrol phone page, hotspots and cameras,
//! teams, the day's plan, weather warnings and campaigns, rescue posts and the figures.

use super::{flash, is_form_error, opt, parse_id, parse_region, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::NaiveDate;
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::outreach::{
    format_hhmm, metres_between, parse_hhmm, ContactOutcome, SightingChannel, SightingStatus, Tier,
    WarningLevel, WeatherKind,
};
use jiuzhu_domain::time::{local_date, parse_day};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::outreach::{
    Camera, Campaign, CampaignInput, CampaignReport, Contact, ContactInput, Hotspot, HotspotInput,
    OutreachStats, PlanRow, PlanStop, Post, PostInput, Sighting, SightingInput, StopInput, Team,
    TeamInput, Warning, WarningInput,
};
use jiuzhu_storage::{now_ms, Page};
use serde::Deserialize;

fn today() -> NaiveDate {
    local_date(now_ms()).expect("now is a valid time")
}

fn f64_field(s: &str, field: &'static str) -> AppResult<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| AppError::invalid("position_invalid", field))
}

/// An optional position from two form fields: both blank is none, one blank is an error.
fn position(lat: &str, lng: &str) -> AppResult<Option<(f64, f64)>> {
    match (lat.trim().is_empty(), lng.trim().is_empty()) {
        (true, true) => Ok(None),
        _ => Ok(Some((f64_field(lat, "lat")?, f64_field(lng, "lng")?))),
    }
}

/// A position must lie in the region's area (from the outreach settings): a coordinate
/// typed with a digit wrong, or latitude and longitude swapped, is refused here.
fn within_area(
    st: &AppState,
    region: &RegionCode,
    (lat, lng): (f64, f64),
) -> AppResult<(f64, f64)> {
    if !jiuzhu_domain::outreach::valid_position(lat, lng) {
        Err(AppError::invalid("position_invalid", "lat"))
    } else if st.outreach.for_region(region, today()).covers(lat, lng) {
        Ok((lat, lng))
    } else {
        Err(AppError::invalid("position_outside_region", "lat"))
    }
}

fn int_field(s: &str, field: &'static str, default: i64) -> AppResult<i64> {
    if s.trim().is_empty() {
        return Ok(default);
    }
    s.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("count_invalid", field))
}

fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

/// The shifts a team works, "08:00-15:00,15:00-22:00", checked.
pub fn parse_shifts(s: &str) -> AppResult<Vec<(u32, u32)>> {
    let bad = || AppError::invalid("shifts_invalid", "shifts");
    let mut out = Vec::new();
    for part in s
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part.split_once('-').ok_or_else(bad)?;
        let (a, b) = (
            parse_hhmm(a).ok_or_else(bad)?,
            parse_hhmm(b).ok_or_else(bad)?,
        );
        if a >= b {
            return Err(bad());
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err(bad());
    }
    out.sort();
    if out.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(AppError::invalid("plan_shifts_overlap", "shifts"));
    }
    Ok(out)
}

/// Whether one region lies within the other (a county team and a street's sighting, or a
/// city-wide team and a county's).
pub fn related(a: &str, b: &str) -> bool {
    match (
        RegionCode::try_from(a.to_string()),
        RegionCode::try_from(b.to_string()),
    ) {
        (Ok(a), Ok(b)) => a.contains(&b) || b.contains(&a),
        _ => false,
    }
}

/// The nearest team that is free and works where the sighting is.
pub fn suggest_team(s: &Sighting, teams: &[Team]) -> Option<i64> {
    let (lat, lng) = (s.lat?, s.lng?);
    teams
        .iter()
        .filter(|t| t.busy_with.is_none())
        .filter(|t| related(&s.region_code, &t.region_code))
        .min_by(|a, b| {
            metres_between((lat, lng), (a.lat, a.lng))
                .total_cmp(&metres_between((lat, lng), (b.lat, b.lng)))
        })
        .map(|t| t.id)
}

/// Markers for the map, as JSON in a data attribute: no inline script.
#[derive(serde::Serialize)]
struct Marker {
    lat: f64,
    lng: f64,
    label: String,
    kind: &'static str,
    href: String,
}

fn markers_json(m: &[Marker]) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| "[]".into())
}

fn tier_of(s: &str) -> Tier {
    Tier::parse(s).unwrap_or(Tier::General)
}

// ---------------------------------------------------------------------------------------
// Dispatch board

struct QueueRow {
    s: Sighting,
    suggested: Option<i64>,
    late: bool,
}

#[derive(Template)]
#[template(path = "outreach/board.html")]
struct BoardPage {
    l: Layout,
    rows: Vec<QueueRow>,
    teams: Vec<Team>,
    map: String,
    can_update: bool,
    can_create: bool,
    campaigns: Vec<Campaign>,
    err: FormError,
}

async fn queue_data(st: &AppState, ctx: &Ctx) -> AppResult<(Vec<QueueRow>, Vec<Team>, String)> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let open = st
        .db
        .sightings(&scopes, true, None, "", Page::new(Some(1), Some(100)))
        .await?;
    let teams = st.db.teams(&scopes).await?;
    let now = now_ms();
    let mut markers = Vec::new();
    let rows: Vec<QueueRow> = open
        .items
        .into_iter()
        .map(|s| {
            if let (Some(lat), Some(lng)) = (s.lat, s.lng) {
                markers.push(Marker {
                    lat,
                    lng,
                    label: format!("{} {}", s.reference, s.place),
                    kind: if s.urgent { "urgent" } else { "sighting" },
                    href: format!("/sightings/{}", s.id),
                });
            }
            QueueRow {
                suggested: if s.status() == SightingStatus::Open {
                    suggest_team(&s, &teams)
                } else {
                    None
                },
                late: s.on_scene_at.is_none() && now > s.respond_by,
                s,
            }
        })
        .collect();
    for t in &teams {
        markers.push(Marker {
            lat: t.lat,
            lng: t.lng,
            label: t.name.clone(),
            kind: if t.busy_with.is_some() {
                "team_busy"
            } else {
                "team"
            },
            href: format!("/patrol?team={}", t.id),
        });
    }
    Ok((rows, teams, markers_json(&markers)))
}

async fn board_page(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    err: FormError,
) -> AppResult<Response> {
    let (rows, teams, map) = queue_data(st, ctx).await?;
    let mut campaigns = Vec::new();
    for scope in ctx.scopes(Action::View, Resource::Outreach) {
        campaigns.extend(st.db.campaigns_on(&scope, today()).await?);
    }
    campaigns.dedup_by_key(|c| c.id);
    let mut l = layout(ctx, st, "outreach.board", &[("outreach.board", "")]).await;
    l.flash = flash(&ctx.tr, q);
    let status = err.status();
    let mut r = render(&BoardPage {
        l,
        rows,
        teams,
        map,
        can_update: ctx.can(Action::Update, Resource::Outreach),
        can_create: ctx.can(Action::Create, Resource::Outreach),
        campaigns,
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn board(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    board_page(&st, &ctx, &q, FormError::default()).await
}

/// Server-sent events: "something changed in your jurisdiction". The page re-reads.
pub async fn events(State(st): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let rx = st.live.subscribe();
    let stream = futures_util::stream::unfold((rx, scopes), |(mut rx, scopes)| async move {
        use crate::live::LiveEvent;
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(LiveEvent::Sighting { id, region }) => {
                    let inside = RegionCode::try_from(region)
                        .is_ok_and(|r| scopes.iter().any(|s| s.contains(&r)));
                    if inside {
                        let ev = SseEvent::default().event("sighting").data(id.to_string());
                        return Some((Ok::<_, std::convert::Infallible>(ev), (rx, scopes)));
                    }
                }
                Ok(LiveEvent::Closing) | Err(RecvError::Closed) => return None,
                Err(RecvError::Lagged(_)) => {
                    let ev = SseEvent::default().event("sighting").data("0");
                    return Some((Ok(ev), (rx, scopes)));
                }
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Sightings

#[derive(Deserialize, Default, Clone)]
pub struct SightingForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lat: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lng: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub people_count: String,
    #[serde(default)]
    pub child: String,
    #[serde(default)]
    pub urgent: String,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub call_ref: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub camera_id: String,
    #[serde(default)]
    pub snapshot_ref: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub hotspot_id: String,
    /// Honeypot on the public form.
    #[serde(default)]
    pub website: String,
}

impl SightingForm {
    pub fn input(&self, st: &AppState, public: bool) -> AppResult<SightingInput> {
        let region = parse_region(&self.region_code)?;
        let channel = if public {
            SightingChannel::Public
        } else {
            SightingChannel::parse(&self.channel)
                .filter(|c| *c != SightingChannel::Public)
                .ok_or_else(|| AppError::invalid("channel_invalid", "channel"))?
        };
        let child = !self.child.is_empty();
        let urgent = !public && !self.urgent.is_empty();
        let rules = st.outreach.for_region(&region, today());
        let position = match position(&self.lat, &self.lng)? {
            Some(p) => Some(within_area(st, &region, p)?),
            None => None,
        };
        Ok(SightingInput {
            channel,
            reported_at: now_ms(),
            position,
            place: self.place.clone(),
            description: self.description.clone(),
            people_count: int_field(&self.people_count, "people_count", 1)?,
            child,
            urgent,
            caller_name: self.caller_name.clone(),
            contact: opt(&self.contact),
            call_ref: if public {
                String::new()
            } else {
                self.call_ref.clone()
            },
            camera_id: if public {
                None
            } else {
                opt_id(&self.camera_id)
            },
            snapshot_ref: if public {
                String::new()
            } else {
                self.snapshot_ref.clone()
            },
            hotspot_id: if public {
                None
            } else {
                opt_id(&self.hotspot_id)
            },
            respond_within_minutes: rules.response_minutes(urgent || child),
            region,
        })
    }
}

#[derive(Template)]
#[template(path = "outreach/sighting_new.html")]
struct SightingNewPage {
    l: Layout,
    f: SightingForm,
    err: FormError,
    regions: Vec<(String, String)>,
    hotspots: Vec<Hotspot>,
    cameras: Vec<Camera>,
    channels: Vec<&'static str>,
}

async fn sighting_new_page(
    st: &AppState,
    ctx: &Ctx,
    f: SightingForm,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::Create, Resource::Outreach);
    let status = err.status();
    let mut r = render(&SightingNewPage {
        l: layout(
            ctx,
            st,
            "outreach.new_sighting",
            &[
                ("outreach.board", "/outreach"),
                ("outreach.new_sighting", ""),
            ],
        )
        .await,
        f,
        err,
        regions: super::tracing::region_choices(st).await?,
        hotspots: st.db.hotspots(&scopes).await?,
        cameras: st.db.cameras(&scopes).await?,
        channels: SightingChannel::ALL
            .iter()
            .filter(|c| **c != SightingChannel::Public)
            .map(|c| c.as_str())
            .collect(),
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn sighting_new(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let f = SightingForm {
        region_code: region,
        channel: "hotline".into(),
        people_count: "1".into(),
        ..Default::default()
    };
    sighting_new_page(&st, &ctx, f, FormError::default()).await
}

/// Records a sighting from any channel and tells the board.
pub async fn file_sighting(st: &AppState, ctx: &Ctx, input: &SightingInput) -> AppResult<Sighting> {
    // The public form's route is open to anyone (and only it makes `Public` sightings);
    // every staff channel needs the permission.
    if input.channel != SightingChannel::Public {
        ctx.require(
            Action::Create,
            Resource::Outreach,
            input.region.as_str(),
            None,
        )?;
    }
    let s = st.db.sighting_create(&ctx.actor, input).await?;
    // An urgent one goes into today's running plan at once; the report is taken whether
    // or not a route can fit it (the board still dispatches by hand).
    if let Err(e) = insert_urgent_sighting(&st.db, &st.outreach, &ctx.actor, &s).await {
        tracing::warn!(
            code = e.code,
            sighting = s.id,
            "urgent sighting not inserted into the plan"
        );
    }
    st.live.sighting(s.id, &s.region_code);
    Ok(s)
}

pub async fn sighting_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<SightingForm>,
) -> AppResult<Response> {
    let result = async {
        let input = f.input(&st, false)?;
        file_sighting(&st, &ctx, &input).await
    }
    .await;
    match result {
        Ok(s) => {
            Ok(Redirect::to(&format!("/sightings/{}?ok=sighting_created", s.id)).into_response())
        }
        Err(e) if is_form_error(&e) => {
            sighting_new_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "outreach/sighting.html")]
struct SightingPage {
    l: Layout,
    s: Sighting,
    contacts: Vec<Contact>,
    teams: Vec<Team>,
    suggested: Option<i64>,
    map: String,
    can_update: bool,
    can_reveal: bool,
    revealed: Option<String>,
    err: FormError,
}

async fn sighting_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: Option<&ListQuery>,
    revealed: Option<String>,
    err: FormError,
) -> AppResult<Response> {
    let s = st.db.sighting(id).await?;
    ctx.require(Action::View, Resource::Outreach, &s.region_code, None)?;
    let teams = st
        .db
        .teams(&ctx.scopes(Action::View, Resource::Outreach))
        .await?;
    let mut markers = Vec::new();
    if let (Some(lat), Some(lng)) = (s.lat, s.lng) {
        markers.push(Marker {
            lat,
            lng,
            label: s.place.clone(),
            kind: if s.urgent { "urgent" } else { "sighting" },
            href: String::new(),
        });
    }
    let mut l = layout(
        ctx,
        st,
        "outreach.sighting",
        &[("outreach.board", "/outreach"), ("outreach.sighting", "")],
    )
    .await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&SightingPage {
        l,
        contacts: st.db.contacts_for_sighting(id).await?,
        suggested: suggest_team(&s, &teams),
        teams,
        map: markers_json(&markers),
        can_update: ctx
            .require(Action::Update, Resource::Outreach, &s.region_code, None)
            .is_ok(),
        can_reveal: ctx.can(Action::Reveal, Resource::Outreach)
            || ctx.can(Action::Update, Resource::Outreach),
        revealed,
        err,
        s,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn sighting_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    sighting_page(
        &st,
        &ctx,
        parse_id(&id)?,
        Some(&q),
        None,
        FormError::default(),
    )
    .await
}

/// The caller's number for a call back; every view is logged.
pub async fn sighting_reveal(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let s = st.db.sighting(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &s.region_code, None)?;
    let phone = st.db.sighting_reveal(&ctx.actor, id).await?;
    sighting_page(
        &st,
        &ctx,
        id,
        None,
        Some(phone.unwrap_or_default()),
        FormError::default(),
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub team_id: String,
    #[serde(default)]
    pub outcome: String,
    /// Where to go back to: the board or the sighting.
    #[serde(default)]
    pub back: String,
}

/// One step of a sighting, the same for the pages and the API.
pub async fn step_sighting(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    to: SightingStatus,
    f: &StepForm,
) -> AppResult<Sighting> {
    let s = st.db.sighting(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &s.region_code, None)?;
    let version = f
        .version
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("version_required", ""))?;
    let team = match to {
        SightingStatus::Dispatched => {
            Some(opt_id(&f.team_id).ok_or_else(|| AppError::invalid("team_required", "team_id"))?)
        }
        _ => None,
    };
    let outcome = match to {
        SightingStatus::Closed => Some(
            ContactOutcome::parse(&f.outcome)
                .ok_or_else(|| AppError::invalid("outcome_invalid", "outcome"))?,
        ),
        _ => None,
    };
    let s = st
        .db
        .sighting_step(
            &ctx.actor,
            id,
            version,
            jiuzhu_storage::outreach::Step {
                to,
                team_id: team,
                outcome,
                at: None,
            },
        )
        .await?;
    st.live.sighting(s.id, &s.region_code);
    Ok(s)
}

async fn step_page(
    st: AppState,
    ctx: Ctx,
    id: String,
    to: SightingStatus,
    f: StepForm,
    ok: &str,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    match step_sighting(&st, &ctx, id, to, &f).await {
        Ok(s) => {
            let to = match f.back.as_str() {
                "board" => format!("/outreach?ok={ok}"),
                "patrol" => format!("/patrol?team={}&ok={ok}", s.team_id.unwrap_or(0)),
                _ => format!("/sightings/{id}?ok={ok}"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) if is_form_error(&e) => {
            sighting_page(&st, &ctx, id, None, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn dispatch(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    step_page(st, ctx, id, SightingStatus::Dispatched, f, "dispatched").await
}

pub async fn arrive(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    step_page(st, ctx, id, SightingStatus::OnScene, f, "on_scene").await
}

pub async fn recall(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    step_page(st, ctx, id, SightingStatus::Open, f, "recalled").await
}

pub async fn close(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    step_page(st, ctx, id, SightingStatus::Closed, f, "closed").await
}

// ---------------------------------------------------------------------------------------
// The patrol phone page

#[derive(Template)]
#[template(path = "outreach/patrol.html")]
struct PatrolPage {
    l: Layout,
    teams: Vec<Team>,
    team: Option<Team>,
    assigned: Vec<Sighting>,
    stops: Vec<PlanStop>,
    campaigns: Vec<Campaign>,
    outcomes: &'static [ContactOutcome],
    contacts: Vec<(Contact, Vec<i64>)>,
    can_intake: bool,
    err: FormError,
}

impl PatrolPage {
    fn hm(&self, m: &i64) -> String {
        format_hhmm((*m).clamp(0, 1440) as u32)
    }
}

async fn patrol_page(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let teams = st.db.teams(&scopes).await?;
    let team = q
        .get("team")
        .and_then(opt_id)
        .and_then(|id| teams.iter().find(|t| t.id == id).cloned())
        .or_else(|| (teams.len() == 1).then(|| teams[0].clone()));
    let (mut assigned, mut stops, mut contacts, mut campaigns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if let Some(t) = &team {
        assigned = st
            .db
            .sightings(&scopes, true, Some(t.id), "", Page::new(Some(1), Some(50)))
            .await?
            .items;
        let plan_region = RegionCode::try_from(
            RegionCode::try_from(t.region_code.clone())
                .map_err(|_| AppError::not_found())?
                .county()
                .to_string(),
        )
        .map_err(|_| AppError::not_found())?;
        if let Some(plan) = st.db.plan(&plan_region, today()).await? {
            stops = st.db.plan_stops(plan.id, Some(t.id)).await?;
        }
        let mut recent = st.db.contacts(&scopes, Some(t.id)).await?;
        recent.truncate(10);
        for c in recent {
            let photos = st.db.contact_photo_ids(c.id).await?;
            contacts.push((c, photos));
        }
        campaigns = st.db.campaigns_on(&plan_region, today()).await?;
    }
    let mut l = layout(ctx, st, "outreach.patrol", &[("outreach.patrol", "")]).await;
    l.flash = flash(&ctx.tr, q);
    let status = err.status();
    let mut r = render(&PatrolPage {
        l,
        teams,
        team,
        assigned,
        stops,
        campaigns,
        outcomes: ContactOutcome::ALL,
        contacts,
        can_intake: ctx.can(Action::Create, Resource::Case),
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn patrol(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    patrol_page(&st, &ctx, &q, FormError::default()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct ContactForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub team_id: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub sighting_id: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub sighting_version: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub stop_id: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub people_count: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub supplies: String,
    #[serde(default)]
    pub card_given: String,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lat: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lng: String,
}

/// What a team records, the same for the page and the API.
pub async fn record_contact(st: &AppState, ctx: &Ctx, f: &ContactForm) -> AppResult<Contact> {
    let team_id =
        opt_id(&f.team_id).ok_or_else(|| AppError::invalid("team_required", "team_id"))?;
    let team = st
        .db
        .team(team_id)
        .await
        .map_err(|_| AppError::invalid("team_unknown", "team_id"))?;
    ctx.require(Action::Update, Resource::Outreach, &team.region_code, None)?;
    let outcome = ContactOutcome::parse(&f.outcome)
        .ok_or_else(|| AppError::invalid("outcome_invalid", "outcome"))?;
    let input = ContactInput {
        team_id,
        sighting_id: opt_id(&f.sighting_id),
        stop_id: opt_id(&f.stop_id),
        at: now_ms(),
        // A phone may refuse to share its position; the contact still counts.
        position: position(&f.lat, &f.lng).unwrap_or(None),
        outcome,
        people_count: int_field(
            &f.people_count,
            "people_count",
            if outcome.engaged() { 1 } else { 0 },
        )?,
        supplies: int_field(&f.supplies, "supplies", 0)?,
        card_given: !f.card_given.is_empty(),
        note: f.note.clone(),
        sighting_version: f.sighting_version.trim().parse().ok(),
    };
    let c = st.db.contact_record(&ctx.actor, &input).await?;
    if let Some(sid) = c.sighting_id {
        st.live.sighting(sid, &c.region_code);
    }
    Ok(c)
}

pub async fn contact(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<ContactForm>,
) -> AppResult<Response> {
    match record_contact(&st, &ctx, &f).await {
        Ok(c) => Ok(
            Redirect::to(&format!("/patrol?team={}&ok=contact_saved", c.team_id)).into_response(),
        ),
        Err(e) if is_form_error(&e) => {
            let q: ListQuery = serde_urlencoded::from_str(&format!("team={}", f.team_id.trim()))
                .unwrap_or_default();
            patrol_page(&st, &ctx, &q, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Hotspots, cameras and teams

#[derive(Template)]
#[template(path = "outreach/hotspots.html")]
struct HotspotsPage {
    l: Layout,
    hotspots: Vec<Hotspot>,
    cameras: Vec<Camera>,
    teams: Vec<Team>,
    map: String,
    can_manage: bool,
    f: HotspotForm,
    err: FormError,
    tiers: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct HotspotForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub hotspot_id: String,
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub shifts: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub active: String,
}

async fn hotspots_page(
    st: &AppState,
    ctx: &Ctx,
    q: Option<&ListQuery>,
    f: HotspotForm,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let hotspots = st.db.hotspots(&scopes).await?;
    let cameras = st.db.cameras(&scopes).await?;
    let teams = st.db.teams(&scopes).await?;
    let mut markers: Vec<Marker> = hotspots
        .iter()
        .map(|h| Marker {
            lat: h.lat,
            lng: h.lng,
            label: format!("{} ({})", h.name, ctx.tr.t(&format!("tier.{}", h.tier))),
            kind: match tier_of(&h.tier) {
                Tier::Key => "key",
                Tier::Secondary => "secondary",
                Tier::General => "general",
            },
            href: String::new(),
        })
        .collect();
    markers.extend(cameras.iter().map(|c| Marker {
        lat: c.lat,
        lng: c.lng,
        label: c.name.clone(),
        kind: "camera",
        href: String::new(),
    }));
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let tiers = st
        .outreach
        .for_region(
            &RegionCode::try_from(region).unwrap_or_else(|_| RegionCode::nation()),
            today(),
        )
        .tiers;
    let tiers = Tier::ALL
        .iter()
        .map(|t| {
            let r = tiers.of(*t);
            format!(
                "{}: {}×, {}–{}",
                ctx.tr.t(&format!("tier.{}", t.as_str())),
                r.visits,
                format_hhmm(r.from),
                format_hhmm(r.to)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let mut l = layout(ctx, st, "outreach.hotspots", &[("outreach.hotspots", "")]).await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&HotspotsPage {
        l,
        hotspots,
        cameras,
        teams,
        map: markers_json(&markers),
        can_manage: ctx.can(Action::Manage, Resource::Outreach),
        f,
        err,
        tiers,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn hotspots(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let f = HotspotForm {
        region_code: region,
        tier: "general".into(),
        ..Default::default()
    };
    hotspots_page(&st, &ctx, Some(&q), f, FormError::default()).await
}

/// Adds a hotspot, a camera or a team: one form on the hotspots page, by `kind`.
pub async fn hotspot_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HotspotForm>,
) -> AppResult<Response> {
    let result: AppResult<&'static str> = async {
        let region = parse_region(&f.region_code)?;
        ctx.require(Action::Manage, Resource::Outreach, region.as_str(), None)?;
        let (lat, lng) = within_area(
            &st,
            &region,
            position(&f.lat, &f.lng)?
                .ok_or_else(|| AppError::invalid("position_invalid", "lat"))?,
        )?;
        match f.kind.as_str() {
            "camera" => {
                st.db
                    .camera_add(
                        &ctx.actor,
                        &region,
                        &f.name,
                        lat,
                        lng,
                        opt_id(&f.hotspot_id),
                    )
                    .await?;
                Ok("camera_added")
            }
            "team" => {
                parse_shifts(&f.shifts)?;
                st.db
                    .team_add(
                        &ctx.actor,
                        &TeamInput {
                            region,
                            name: f.name.clone(),
                            members: f.members.clone(),
                            shifts: f.shifts.clone(),
                            base_lat: lat,
                            base_lng: lng,
                        },
                    )
                    .await?;
                Ok("team_added")
            }
            _ => {
                let tier = Tier::parse(&f.tier)
                    .ok_or_else(|| AppError::invalid("tier_invalid", "tier"))?;
                st.db
                    .hotspot_add(
                        &ctx.actor,
                        &HotspotInput {
                            region,
                            name: f.name.clone(),
                            lat,
                            lng,
                            tier,
                            notes: f.notes.clone(),
                        },
                    )
                    .await?;
                Ok("hotspot_added")
            }
        }
    }
    .await;
    match result {
        Ok(ok) => Ok(Redirect::to(&format!("/hotspots?ok={ok}")).into_response()),
        Err(e) if is_form_error(&e) => {
            hotspots_page(&st, &ctx, None, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn hotspot_update(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<HotspotForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let h = st.db.hotspot(id).await?;
    ctx.require(Action::Manage, Resource::Outreach, &h.region_code, None)?;
    let result = async {
        let tier = Tier::parse(&f.tier).ok_or_else(|| AppError::invalid("tier_invalid", "tier"))?;
        let version = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        Ok::<_, AppError>(
            st.db
                .hotspot_update(&ctx.actor, id, version, tier, &f.notes, f.active != "0")
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/hotspots?ok=saved").into_response()),
        Err(e) if is_form_error(&e) => {
            hotspots_page(
                &st,
                &ctx,
                None,
                HotspotForm::default(),
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// The day's plan

#[derive(Template)]
#[template(path = "outreach/plan.html")]
struct PlanPage {
    l: Layout,
    region: String,
    regions: Vec<(String, String)>,
    day: String,
    plan: Option<PlanRow>,
    stops: Vec<PlanStop>,
    teams: Vec<Team>,
    campaigns: Vec<Campaign>,
    tiers: Vec<(String, u8, String)>,
    map: String,
    can_plan: bool,
    err: FormError,
}

impl PlanPage {
    fn hm(&self, m: &i64) -> String {
        format_hhmm((*m).clamp(0, 1440) as u32)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PlanForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub day: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub team_id: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
}

/// Plans are made per county. Without a choice: the caller's county, or for a city-level
/// caller the county of the first team they see.
async fn plan_region(st: &AppState, ctx: &Ctx, q: Option<&str>) -> AppResult<RegionCode> {
    if let Some(r) = q.filter(|s| !s.is_empty()) {
        return parse_region(r);
    }
    let mine = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let mine = RegionCode::try_from(mine)
        .map_err(|_| AppError::invalid("region_code_invalid", "region_code"))?;
    let county = match mine.level() {
        Some(
            jiuzhu_domain::region::RegionLevel::City | jiuzhu_domain::region::RegionLevel::Province,
        )
        | None => st
            .db
            .teams(&ctx.scopes(Action::View, Resource::Outreach))
            .await?
            .first()
            .map(|t| t.region_code.clone())
            .unwrap_or_else(|| mine.to_string()),
        _ => mine.to_string(),
    };
    RegionCode::try_from(county[..6.min(county.len())].to_string())
        .map_err(|_| AppError::invalid("region_code_invalid", "region_code"))
}

fn day_param(s: Option<&str>) -> AppResult<NaiveDate> {
    match s.filter(|s| !s.is_empty()) {
        Some(d) => parse_day(d).ok_or_else(|| AppError::invalid("date_invalid", "day")),
        None => Ok(today()),
    }
}

async fn plan_page(
    st: &AppState,
    ctx: &Ctx,
    region: RegionCode,
    day: NaiveDate,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    ctx.require(Action::View, Resource::Outreach, region.as_str(), None)?;
    let plan = st.db.plan(&region, day).await?;
    let stops = match &plan {
        Some(p) => st.db.plan_stops(p.id, None).await?,
        None => Vec::new(),
    };
    let campaigns = st.db.campaigns_on(&region, day).await?;
    let rules = st.outreach.for_region(&region, day);
    let extras: Vec<_> = campaigns.iter().map(|c| c.extra).collect();
    let tiers = rules.tiers_with(&extras);
    let tiers = Tier::ALL
        .iter()
        .map(|t| {
            let r = tiers.of(*t);
            (
                t.as_str().to_string(),
                r.visits,
                format!("{}–{}", format_hhmm(r.from), format_hhmm(r.to)),
            )
        })
        .collect();
    let markers: Vec<Marker> = stops
        .iter()
        .map(|s| Marker {
            lat: s.lat,
            lng: s.lng,
            label: format!(
                "{} {} {}",
                format_hhmm(s.start_min as u32),
                s.team_name,
                s.name
            ),
            kind: if s.done_at.is_some() { "done" } else { "stop" },
            href: String::new(),
        })
        .collect();
    let mut l = layout(ctx, st, "outreach.plan", &[("outreach.plan", "")]).await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&PlanPage {
        l,
        regions: super::tracing::region_choices(st).await?,
        region: region.to_string(),
        day: day.format("%Y-%m-%d").to_string(),
        teams: st.db.teams(std::slice::from_ref(&region)).await?,
        plan,
        stops,
        campaigns,
        tiers,
        map: markers_json(&markers),
        can_plan: ctx.can(Action::Update, Resource::Outreach),
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn plan(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let region = plan_region(&st, &ctx, q.get("region")).await?;
    let day = day_param(q.get("day"))?;
    plan_page(&st, &ctx, region, day, Some(&q), FormError::default()).await
}

/// Makes the day's plan for a county: its hotspots and teams, the tiers as the region's
/// rules and the campaigns of that day set them, open sightings for today's plan.
pub async fn make_plan(
    st: &AppState,
    ctx: &Ctx,
    region: &RegionCode,
    day: NaiveDate,
) -> AppResult<PlanRow> {
    ctx.require(Action::Update, Resource::Outreach, region.as_str(), None)?;
    plan_for_day(&st.db, &st.outreach, &ctx.actor, region, day).await
}

/// The plan itself, for the page and for the demo city: no permission asked here.
/// What a county's plan for a day is made from, read from storage: the planner's input and
/// the records behind its indexes (hotspot `i` of the input is `hotspots[i]`, and so on).
struct PlanData {
    hotspots: Vec<Hotspot>,
    teams: Vec<Team>,
    sightings: Vec<Sighting>,
    input: jiuzhu_planner::Input,
}

async fn plan_data(
    db: &jiuzhu_storage::Db,
    book: &jiuzhu_domain::outreach::OutreachBook,
    region: &RegionCode,
    day: NaiveDate,
) -> AppResult<PlanData> {
    use jiuzhu_planner as p;
    let scope = [region.clone()];
    let hotspots = db.hotspots(&scope).await?;
    let teams = db.teams(&scope).await?;
    let campaigns = db.campaigns_on(region, day).await?;
    let rules = book.for_region(region, day);
    let tiers = rules.tiers_with(&campaigns.iter().map(|c| c.extra).collect::<Vec<_>>());
    let policy = |t: Tier| {
        let r = tiers.of(t);
        p::TierPolicy {
            visits: r.visits,
            spacing_s: r.spacing_minutes * 60,
            start_s: r.from * 60,
            end_s: r.to * 60,
            service_s: r.service_minutes * 60,
            weight: r.weight,
        }
    };
    let sightings = if day == today() {
        db.sightings(&scope, true, None, "", Page::new(Some(1), Some(100)))
            .await?
            .items
            .into_iter()
            .filter(|s| s.status() == SightingStatus::Open && s.lat.is_some())
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    let since_midnight = |ms: i64| -> u32 {
        ((ms - jiuzhu_domain::time::local_midnight_ms(day)).clamp(0, 86_399_000) / 1000) as u32
    };
    let pos = |lat: f64, lng: f64| p::LatLon { lat, lon: lng };
    let mut all: Vec<p::LatLon> = hotspots.iter().map(|h| pos(h.lat, h.lng)).collect();
    all.extend(teams.iter().map(|t| pos(t.base_lat, t.base_lng)));
    all.extend(
        sightings
            .iter()
            .map(|s| pos(s.lat.unwrap_or(0.0), s.lng.unwrap_or(0.0))),
    );
    if all.is_empty() || teams.is_empty() {
        return Err(AppError::invalid("plan_no_teams", ""));
    }
    // The planning area: everything we know of in the county, with a margin.
    let pad = 0.05;
    let bbox = p::Region {
        min_lat: all.iter().map(|x| x.lat).fold(f64::MAX, f64::min) - pad,
        max_lat: all.iter().map(|x| x.lat).fold(f64::MIN, f64::max) + pad,
        min_lon: all.iter().map(|x| x.lon).fold(f64::MAX, f64::min) - pad,
        max_lon: all.iter().map(|x| x.lon).fold(f64::MIN, f64::max) + pad,
    };
    let mut team_shifts = Vec::new();
    for (i, t) in teams.iter().enumerate() {
        let shifts = parse_shifts(&t.shifts)?;
        team_shifts.push(p::Team {
            id: i as u32,
            shifts: shifts
                .iter()
                .map(|(a, b)| p::Shift {
                    start_s: a * 60,
                    end_s: b * 60,
                    start: pos(t.base_lat, t.base_lng),
                    end: pos(t.base_lat, t.base_lng),
                })
                .collect(),
        });
    }
    let input = p::Input {
        region: bbox,
        policies: p::Policies {
            key: policy(Tier::Key),
            secondary: policy(Tier::Secondary),
            general: policy(Tier::General),
        },
        hotspots: hotspots
            .iter()
            .enumerate()
            .map(|(i, h)| p::Hotspot {
                id: i as u32,
                name: h.name.clone(),
                pos: pos(h.lat, h.lng),
                tier: match tier_of(&h.tier) {
                    Tier::Key => p::Tier::Key,
                    Tier::Secondary => p::Tier::Secondary,
                    Tier::General => p::Tier::General,
                },
            })
            .collect(),
        teams: team_shifts,
        sightings: sightings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let ready = since_midnight(now_ms());
                p::Sighting {
                    id: i as u32,
                    pos: pos(s.lat.unwrap_or(0.0), s.lng.unwrap_or(0.0)),
                    urgent: s.urgent,
                    ready_s: ready,
                    respond_by_s: since_midnight(s.respond_by).max(ready),
                    service_s: 900,
                }
            })
            .collect(),
        speed_kmh: 25.0,
        detour: 1.3,
        min_window_s: 15 * 60,
    };
    Ok(PlanData {
        hotspots,
        teams,
        sightings,
        input,
    })
}

pub async fn plan_for_day(
    db: &jiuzhu_storage::Db,
    book: &jiuzhu_domain::outreach::OutreachBook,
    actor: &jiuzhu_storage::Actor,
    region: &RegionCode,
    day: NaiveDate,
) -> AppResult<PlanRow> {
    use jiuzhu_planner as p;
    let PlanData {
        hotspots,
        teams,
        sightings,
        input,
    } = plan_data(db, book, region, day).await?;
    let (problem, plan) =
        tokio::task::spawn_blocking(move || p::plan(&input, &p::VrpCoreSolver::default()))
            .await
            .map_err(|_| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal"))?
            .map_err(|e| AppError::invalid(e.code(), ""))?;
    let mut stops = Vec::new();
    for route in &plan.routes {
        let team = &teams[route.team as usize];
        for (seq, stop) in route.stops.iter().enumerate() {
            let v = &problem.visits[stop.visit];
            let (hotspot_id, sighting_id, tier) = match v.kind {
                p::VisitKind::Hotspot { hotspot, .. } => {
                    let h = &hotspots[hotspot];
                    (Some(h.id), None, h.tier.clone())
                }
                p::VisitKind::Sighting { sighting } => {
                    (None, Some(sightings[sighting].id), "sighting".to_string())
                }
            };
            stops.push(StopInput {
                team_id: team.id,
                shift: route.shift as i64,
                seq: seq as i64,
                hotspot_id,
                sighting_id,
                tier,
                start_min: (stop.start_s / 60) as i64,
                window_from: (v.earliest_s / 60) as i64,
                window_to: (v.latest_s / 60) as i64,
            });
        }
    }
    let cov = p::coverage(&problem, &plan);
    // Numbers only: the page shows the campaigns itself, in the reader's language.
    let summary = format!(
        "{}/{} · {:.0}%",
        stops.len(),
        problem.visits.len(),
        cov.weighted * 100.0
    );
    Ok(db.plan_save(actor, region, day, &summary, &stops).await?)
}

/// An urgent sighting (a child, bad weather) goes into today's running plan at once, on
/// the route that reaches it soonest: no stop changes team, stops already made stay, and
/// only optional stops of that route may be given up. Returns the team and the planned
/// time, or None when there is no plan today or no route can take it in time.
pub async fn insert_urgent_sighting(
    db: &jiuzhu_storage::Db,
    book: &jiuzhu_domain::outreach::OutreachBook,
    actor: &jiuzhu_storage::Actor,
    s: &Sighting,
) -> AppResult<Option<(i64, i64)>> {
    use jiuzhu_planner as p;
    if !s.urgent || s.lat.is_none() {
        return Ok(None);
    }
    let day = today();
    let region = RegionCode::try_from(s.region_code.clone()).map_err(|_| AppError::not_found())?;
    let county =
        RegionCode::try_from(region.county().to_string()).map_err(|_| AppError::not_found())?;
    let Some(plan) = db.plan(&county, day).await? else {
        return Ok(None);
    };
    let stored = db.plan_stops(plan.id, None).await?;
    let data = plan_data(db, book, &county, day).await?;
    let Some(urgent_idx) = data.sightings.iter().position(|x| x.id == s.id) else {
        return Ok(None);
    };
    let problem = p::expand(&data.input).map_err(|e| AppError::invalid(e.code(), ""))?;
    // The running plan in the planner's terms: each stored stop found again among the
    // visits by its hotspot and window (or its sighting).
    let visit_of = |st: &PlanStop| -> Option<usize> {
        problem.visits.iter().position(|v| match v.kind {
            p::VisitKind::Hotspot { hotspot, .. } => {
                Some(data.hotspots[hotspot].id) == st.hotspot_id
                    && (v.earliest_s / 60) as i64 == st.window_from
            }
            p::VisitKind::Sighting { sighting } => {
                Some(data.sightings[sighting].id) == st.sighting_id
            }
        })
    };
    let team_idx = |id: i64| data.teams.iter().position(|t| t.id == id);
    let mut routes: Vec<p::Route> = problem
        .shifts
        .iter()
        .map(|slot| p::Route {
            team: slot.team,
            shift: slot.shift,
            stops: Vec::new(),
        })
        .collect();
    let mut stop_ids: std::collections::HashMap<usize, i64> = Default::default();
    for st in &stored {
        let (Some(v), Some(t)) = (visit_of(st), team_idx(st.team_id)) else {
            continue;
        };
        if let Some(r) = routes
            .iter_mut()
            .find(|r| r.team as usize == t && r.shift as i64 == st.shift)
        {
            r.stops.push(p::Stop {
                visit: v,
                start_s: (st.start_min * 60) as u32,
            });
            stop_ids.insert(v, st.id);
        }
    }
    for r in &mut routes {
        r.stops.sort_by_key(|x| x.start_s);
    }
    let running = p::Plan {
        routes,
        unassigned: Vec::new(),
    };
    let Some(urgent_visit) = problem.visits.iter().position(
        |v| matches!(v.kind, p::VisitKind::Sighting { sighting } if sighting == urgent_idx),
    ) else {
        return Ok(None);
    };
    let now_s =
        ((now_ms() - jiuzhu_domain::time::local_midnight_ms(day)) / 1000).clamp(0, 86_399) as u32;
    let Some((new_plan, _churn)) = p::insert_urgent(&problem, &running, urgent_visit, now_s) else {
        return Ok(None);
    };
    let Some(route) = new_plan
        .routes
        .iter()
        .find(|r| r.stops.iter().any(|x| x.visit == urgent_visit))
    else {
        return Ok(None);
    };
    let team = &data.teams[route.team as usize];
    let (seq, at) = route
        .stops
        .iter()
        .enumerate()
        .find(|(_, x)| x.visit == urgent_visit)
        .map(|(i, x)| (i, x.start_s))
        .unwrap_or((0, now_s));
    let retime: Vec<(i64, i64)> = route
        .stops
        .iter()
        .filter_map(|x| {
            stop_ids
                .get(&x.visit)
                .map(|id| (*id, (x.start_s / 60) as i64))
        })
        .collect();
    let kept: std::collections::HashSet<usize> = new_plan
        .routes
        .iter()
        .flat_map(|r| r.stops.iter().map(|x| x.visit))
        .collect();
    let dropped: Vec<i64> = stop_ids
        .iter()
        .filter(|(v, _)| !kept.contains(v))
        .map(|(_, id)| *id)
        .collect();
    let v = &problem.visits[urgent_visit];
    db.plan_amend(
        actor,
        plan.id,
        &StopInput {
            team_id: team.id,
            shift: route.shift as i64,
            seq: seq as i64,
            hotspot_id: None,
            sighting_id: Some(s.id),
            tier: "sighting".into(),
            start_min: (at / 60) as i64,
            window_from: (v.earliest_s / 60) as i64,
            window_to: (v.latest_s / 60) as i64,
        },
        &retime,
        &dropped,
    )
    .await?;
    Ok(Some((team.id, (at / 60) as i64)))
}

pub async fn plan_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<PlanForm>,
) -> AppResult<Response> {
    let region = plan_region(&st, &ctx, Some(&f.region_code)).await?;
    let day = day_param(Some(&f.day))?;
    match make_plan(&st, &ctx, &region, day).await {
        Ok(p) => Ok(Redirect::to(&format!(
            "/plans?region={}&day={}&ok=planned",
            p.region_code, p.day
        ))
        .into_response()),
        Err(e) if is_form_error(&e) => {
            plan_page(&st, &ctx, region, day, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

/// Adjusting the plan by hand: a stop to another team.
pub async fn stop_move(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let region = st.db.plan_stop_region(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &region, None)?;
    let team = opt_id(&f.team_id).ok_or_else(|| AppError::invalid("team_required", "team_id"))?;
    let version = f
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("version_required", ""))?;
    let day = day_param(Some(&f.day))?;
    match st.db.plan_stop_move(&ctx.actor, id, version, team).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/plans?region={region}&day={day}&ok=saved")).into_response())
        }
        Err(e) => {
            let e = AppError::from(e);
            if is_form_error(&e) {
                let r = RegionCode::try_from(region).map_err(|_| AppError::not_found())?;
                plan_page(&st, &ctx, r, day, None, FormError::from(&ctx.tr, &e)).await
            } else {
                Err(e)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Weather warnings and campaigns

#[derive(Template)]
#[template(path = "outreach/weather.html")]
struct WeatherPage {
    l: Layout,
    warnings: Vec<Warning>,
    campaigns: Vec<Campaign>,
    regions: Vec<(String, String)>,
    f: WarningForm,
    err: FormError,
    can_manage: bool,
    kinds: &'static [WeatherKind],
    levels: &'static [WarningLevel],
}

#[derive(Deserialize, Default, Clone)]
pub struct WarningForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    #[serde(default)]
    pub source: String,
}

async fn weather_page(
    st: &AppState,
    ctx: &Ctx,
    q: Option<&ListQuery>,
    f: WarningForm,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    // Warnings for a region above the caller's (a city-wide cold wave) concern it too, as
    // do those for a part of it.
    let wide = scopes;
    let mut warnings = Vec::new();
    let mut campaigns = Vec::new();
    for w in st.db.warnings(&[RegionCode::nation()]).await? {
        if wide.iter().any(|s| related(s.as_str(), &w.region_code)) {
            warnings.push(w);
        }
    }
    for c in st.db.campaigns(&[RegionCode::nation()]).await? {
        if wide.iter().any(|s| related(s.as_str(), &c.region_code)) {
            campaigns.push(c);
        }
    }
    let mut l = layout(ctx, st, "outreach.weather", &[("outreach.weather", "")]).await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&WeatherPage {
        l,
        warnings,
        campaigns,
        regions: super::tracing::region_choices(st).await?,
        f,
        err,
        can_manage: ctx.can(Action::Manage, Resource::Outreach),
        kinds: WeatherKind::ALL,
        levels: WarningLevel::ALL,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn weather(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let d = today().format("%Y-%m-%d").to_string();
    let f = WarningForm {
        region_code: region,
        valid_from: d.clone(),
        valid_to: d,
        ..Default::default()
    };
    weather_page(&st, &ctx, Some(&q), f, FormError::default()).await
}

/// A warning checked and paired with the campaign the region's rule starts, if any.
fn warning_input(
    st: &AppState,
    ctx: &Ctx,
    f: &WarningForm,
) -> AppResult<(WarningInput, Option<CampaignInput>)> {
    let region = parse_region(&f.region_code)?;
    ctx.require(Action::Manage, Resource::Outreach, region.as_str(), None)?;
    let kind =
        WeatherKind::parse(&f.kind).ok_or_else(|| AppError::invalid("weather_invalid", "kind"))?;
    let level =
        WarningLevel::parse(&f.level).ok_or_else(|| AppError::invalid("level_invalid", "level"))?;
    let from =
        parse_day(&f.valid_from).ok_or_else(|| AppError::invalid("date_invalid", "valid_from"))?;
    let to = parse_day(&f.valid_to).ok_or_else(|| AppError::invalid("date_invalid", "valid_to"))?;
    if to < from {
        return Err(AppError::invalid("period_invalid", "valid_to"));
    }
    if (to - from).num_days() > 31 {
        return Err(AppError::invalid("period_too_long", "valid_to"));
    }
    let rules = st.outreach.for_region(&region, from);
    let campaign = rules.campaign_for(kind, level).map(|r| CampaignInput {
        kind: r.campaign,
        extra: r.extra_visits,
        instructions: r.instructions.clone(),
        supplies_target: r.supplies_per_team as i64,
        reference: rules.reference.clone(),
    });
    Ok((
        WarningInput {
            region,
            kind,
            level,
            valid_from: from,
            valid_to: to,
            source: f.source.clone(),
        },
        campaign,
    ))
}

/// Records a warning; the region's rule decides whether it starts a campaign.
pub async fn enter_warning(
    st: &AppState,
    ctx: &Ctx,
    f: &WarningForm,
) -> AppResult<(Warning, Option<Campaign>)> {
    let (w, c) = warning_input(st, ctx, f)?;
    Ok(st.db.warning_add(&ctx.actor, &w, c.as_ref()).await?)
}

#[derive(Deserialize, Default, Clone)]
pub struct ImportForm {
    #[serde(default)]
    pub csv: String,
}

/// Parses the weather service's file: `region,kind,level,from,to[,source]` per line;
/// blank lines, `#` comments and a header line are skipped. Returns the first bad line's
/// number with its error.
pub fn parse_warnings(text: &str) -> Result<Vec<(usize, WarningForm)>, (usize, AppError)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("region")) {
            continue;
        }
        let cols: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
        if !(5..=6).contains(&cols.len()) {
            return Err((n + 1, AppError::invalid("import_columns", "csv")));
        }
        out.push((
            n + 1,
            WarningForm {
                region_code: cols[0].to_string(),
                kind: cols[1].to_string(),
                level: cols[2].to_string(),
                valid_from: cols[3].to_string(),
                valid_to: cols[4].to_string(),
                source: cols.get(5).unwrap_or(&"").to_string(),
            },
        ));
    }
    if out.is_empty() {
        return Err((0, AppError::invalid("import_empty", "csv")));
    }
    if out.len() > 500 {
        return Err((501, AppError::invalid("import_too_many", "csv")));
    }
    Ok(out)
}

pub async fn warnings_import(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<ImportForm>,
) -> AppResult<Response> {
    let result: Result<(usize, usize), (usize, AppError)> = async {
        let forms = parse_warnings(&f.csv)?;
        let mut items = Vec::with_capacity(forms.len());
        for (line, w) in &forms {
            items.push(warning_input(&st, &ctx, w).map_err(|e| (*line, e))?);
        }
        st.db
            .warnings_import(&ctx.actor, &items)
            .await
            .map_err(|e| (0, AppError::from(e)))
    }
    .await;
    match result {
        Ok((n, c)) => {
            Ok(Redirect::to(&format!("/weather?ok=imported&n={n}&c={c}")).into_response())
        }
        Err((line, e)) if is_form_error(&e) => {
            let mut err = FormError::from(&ctx.tr, &e);
            if line > 0 {
                err.message = format!(
                    "{}: {}",
                    ctx.tr.f("outreach.import_line", &[("line", &line)]),
                    err.message
                );
            }
            weather_page(&st, &ctx, None, WarningForm::default(), err).await
        }
        Err((_, e)) => Err(e),
    }
}

pub async fn warning_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<WarningForm>,
) -> AppResult<Response> {
    match enter_warning(&st, &ctx, &f).await {
        Ok((_, Some(c))) => {
            Ok(Redirect::to(&format!("/campaigns/{}?ok=campaign_started", c.id)).into_response())
        }
        Ok((_, None)) => Ok(Redirect::to("/weather?ok=warning_saved").into_response()),
        Err(e) if is_form_error(&e) => {
            weather_page(&st, &ctx, None, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "outreach/campaign.html")]
struct CampaignPage {
    l: Layout,
    c: Campaign,
    report: CampaignReport,
    target: i64,
    teams: usize,
}

pub async fn campaign(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let c = st.db.campaign(parse_id(&id)?).await?;
    // A city-wide campaign is read by every county and township under it.
    let region = RegionCode::try_from(c.region_code.clone()).map_err(|_| AppError::not_found())?;
    ctx.require_shared(
        Action::View,
        Resource::Outreach,
        &c.region_code,
        None,
        std::slice::from_ref(&region),
    )?;
    let report = st.db.campaign_report(&c).await?;
    let teams = st.db.teams(std::slice::from_ref(&region)).await?.len();
    let days = match (parse_day(&c.starts_on), parse_day(&c.ends_on)) {
        (Some(a), Some(b)) => (b - a).num_days() + 1,
        _ => 1,
    };
    let mut l = layout(
        &ctx,
        &st,
        "outreach.campaign",
        &[("outreach.weather", "/weather"), ("outreach.campaign", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&CampaignPage {
        l,
        target: c.supplies_target * teams as i64 * days,
        teams,
        report,
        c,
    }))
}

// ---------------------------------------------------------------------------------------
// Rescue posts (staff side)

#[derive(Template)]
#[template(path = "outreach/posts.html")]
struct PostsPage {
    l: Layout,
    posts: Vec<Post>,
    pager: Pager,
    q: String,
    can_manage: bool,
    f: PostForm,
    err: FormError,
    kinds: &'static [&'static str],
    services: &'static [&'static str],
}

#[derive(Deserialize, Default, Clone)]
pub struct PostForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub partner_kind: String,
    #[serde(default)]
    pub partner_name: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub stock: String,
    #[serde(default)]
    pub jobs: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub visits_served: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
}

pub const POST_SERVICES: &[&str] = &[
    "water_food",
    "shelter",
    "meal_heating",
    "counselling",
    "charging",
    "jobs",
];
pub const PARTNER_KINDS: &[&str] = &[
    "trade_union",
    "lottery_shop",
    "community_centre",
    "enterprise",
    "volunteer",
    "rescue_station",
];

async fn posts_page(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    f: PostForm,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let page = st.db.posts(&scopes, &q.q, q.page()).await?;
    let mut l = layout(ctx, st, "outreach.posts", &[("outreach.posts", "")]).await;
    l.flash = flash(&ctx.tr, q);
    let status = err.status();
    let mut r = render(&PostsPage {
        l,
        pager: Pager::new(&page, "/posts", &q.keep(&[])),
        posts: page.items,
        q: q.q.clone(),
        can_manage: ctx.can(Action::Manage, Resource::Outreach),
        f,
        err,
        kinds: PARTNER_KINDS,
        services: POST_SERVICES,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn posts(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let f = PostForm {
        region_code: region,
        partner_kind: "trade_union".into(),
        ..Default::default()
    };
    posts_page(&st, &ctx, &q, f, FormError::default()).await
}

pub async fn post_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    // Repeated checkbox fields (`services`) need the list form of the decoder.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::new(StatusCode::BAD_REQUEST, "invalid_input"))?;
    let mut f = PostForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "region_code" => f.region_code = v,
            "name" => f.name = v,
            "partner_kind" => f.partner_kind = v,
            "partner_name" => f.partner_name = v,
            "lat" => f.lat = v,
            "lng" => f.lng = v,
            "address" => f.address = v,
            "hours" => f.hours = v,
            "services" => f.services.push(v),
            "stock" => f.stock = v,
            "jobs" => f.jobs = v,
            _ => {}
        }
    }
    let result = async {
        let region = parse_region(&f.region_code)?;
        ctx.require(Action::Manage, Resource::Outreach, region.as_str(), None)?;
        let (lat, lng) = within_area(
            &st,
            &region,
            position(&f.lat, &f.lng)?
                .ok_or_else(|| AppError::invalid("position_invalid", "lat"))?,
        )?;
        if !PARTNER_KINDS.contains(&f.partner_kind.as_str()) {
            return Err(AppError::invalid("partner_kind_invalid", "partner_kind"));
        }
        let services: Vec<&str> = f
            .services
            .iter()
            .map(String::as_str)
            .filter(|s| POST_SERVICES.contains(s))
            .collect();
        Ok(st
            .db
            .post_add(
                &ctx.actor,
                &PostInput {
                    region,
                    name: f.name.clone(),
                    partner_kind: f.partner_kind.clone(),
                    partner_name: f.partner_name.clone(),
                    lat,
                    lng,
                    address: f.address.clone(),
                    hours: f.hours.clone(),
                    services: services.join(","),
                    stock: f.stock.clone(),
                    jobs: f.jobs.clone(),
                },
            )
            .await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/posts?ok=post_added").into_response()),
        Err(e) if is_form_error(&e) => {
            posts_page(
                &st,
                &ctx,
                &ListQuery::default(),
                f.clone(),
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn post_update(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<PostForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let p = st.db.post(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &p.region_code, None)?;
    let result = async {
        let version = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        let visits = int_field(&f.visits_served, "visits_served", p.visits_served)?;
        Ok::<_, AppError>(
            st.db
                .post_update(&ctx.actor, id, version, &f.stock, &f.jobs, visits)
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/posts/{id}?ok=saved")).into_response()),
        Err(e) if is_form_error(&e) => {
            posts_page(
                &st,
                &ctx,
                &ListQuery::default(),
                PostForm::default(),
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Figures

#[derive(Template)]
#[template(path = "outreach/stats.html")]
struct StatsPage {
    l: Layout,
    s: OutreachStats,
    from: String,
    to: String,
    channel_chart: String,
    outcome_chart: String,
}

impl StatsPage {
    fn mins(&self, m: &Option<f64>) -> String {
        m.map(|m| format!("{m:.0} min"))
            .unwrap_or_else(|| "—".into())
    }
    fn pct(&self, part: &i64, whole: &i64) -> String {
        if *whole > 0 {
            format!("{:.0}%", *part as f64 * 100.0 / *whole as f64)
        } else {
            "—".into()
        }
    }
}

pub async fn outreach_figures(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> AppResult<(OutreachStats, NaiveDate, NaiveDate)> {
    let to = match q.get("to") {
        Some(d) => parse_day(d).ok_or_else(|| AppError::invalid("date_invalid", "to"))?,
        None => today(),
    };
    let from = match q.get("from") {
        Some(d) => parse_day(d).ok_or_else(|| AppError::invalid("date_invalid", "from"))?,
        None => to - chrono::Duration::days(29),
    };
    if from > to {
        return Err(AppError::invalid("period_invalid", "from"));
    }
    let s = st
        .db
        .outreach_stats(&ctx.scopes(Action::View, Resource::Outreach), from, to)
        .await?;
    Ok((s, from, to))
}

pub async fn stats(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (s, from, to) = match outreach_figures(&st, &ctx, &q).await {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut r = crate::views::error_page(&ctx, &e);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        Err(e) => return Err(e),
    };
    let (f, t) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    let chart = |title: &str, rows: &[(String, i64)], family: &str, link: &str| {
        serde_json::json!({
            "title": title,
            "rows": rows.iter().map(|(k, v)| serde_json::json!({
                "name": ctx.tr.t(&format!("{family}.{k}")),
                "value": v,
                "href": format!("{link}{k}"),
            })).collect::<Vec<_>>(),
        })
        .to_string()
    };
    Ok(render(&StatsPage {
        channel_chart: chart(
            &ctx.tr.t("outreach.by_channel"),
            &s.by_channel,
            "sighting_channel",
            "/sightings?channel=",
        ),
        outcome_chart: chart(
            &ctx.tr.t("outreach.by_outcome"),
            &s.by_outcome,
            "contact_outcome",
            "/contacts?outcome=",
        ),
        l: layout(&ctx, &st, "outreach.stats", &[("outreach.stats", "")]).await,
        s,
        from: f,
        to: t,
    }))
}

// ---------------------------------------------------------------------------------------
// Lists behind the figures

#[derive(Template)]
#[template(path = "outreach/sightings.html")]
struct SightingsPage {
    l: Layout,
    items: Vec<Sighting>,
    pager: Pager,
    q: String,
}

pub async fn sightings(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let page = st
        .db
        .sightings_filtered(
            &scopes,
            q.get("open").is_some(),
            q.get("channel"),
            &q.q,
            q.page(),
        )
        .await?;
    let pager = Pager::new(&page, "/sightings", &q.keep(&["channel", "open"]));
    Ok(render(&SightingsPage {
        l: layout(
            &ctx,
            &st,
            "outreach.sightings",
            &[("outreach.sightings", "")],
        )
        .await,
        items: page.items,
        pager,
        q: q.q.clone(),
    }))
}

#[derive(Template)]
#[template(path = "outreach/contacts.html")]
struct ContactsPage {
    l: Layout,
    contacts: Vec<Contact>,
}

pub async fn contacts(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let contacts = st
        .db
        .contacts_filtered(&scopes, q.get("team").and_then(opt_id), q.get("outcome"))
        .await?;
    Ok(render(&ContactsPage {
        l: layout(&ctx, &st, "outreach.contacts", &[("outreach.contacts", "")]).await,
        contacts,
    }))
}

// ---------------------------------------------------------------------------------------
// One rescue post: stock, jobs, and its message board

#[derive(Template)]
#[template(path = "outreach/post.html")]
struct PostPage {
    l: Layout,
    p: Post,
    messages: Vec<jiuzhu_storage::outreach::PostMessage>,
    can_update: bool,
    err: FormError,
}

async fn post_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    let p = st.db.post(id).await?;
    ctx.require(Action::View, Resource::Outreach, &p.region_code, None)?;
    let mut l = layout(
        ctx,
        st,
        "outreach.post",
        &[("outreach.posts", "/posts"), ("outreach.post", "")],
    )
    .await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&PostPage {
        l,
        messages: st.db.post_messages(id).await?,
        can_update: ctx
            .require(Action::Update, Resource::Outreach, &p.region_code, None)
            .is_ok(),
        p,
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn post_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    post_page(&st, &ctx, parse_id(&id)?, Some(&q), FormError::default()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct MessageForm {
    #[serde(default)]
    pub body: String,
}

pub async fn post_message(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let p = st.db.post(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &p.region_code, None)?;
    match st.db.post_message_add(&ctx.actor, id, &f.body).await {
        Ok(()) => Ok(Redirect::to(&format!("/posts/{id}?ok=saved")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if is_form_error(&e) {
                post_page(&st, &ctx, id, None, FormError::from(&ctx.tr, &e)).await
            } else {
                Err(e)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Photos at a contact

/// A photo taken at a contact; the permission is checked before the upload is read.
pub async fn contact_photo_upload(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (region, team) = st.db.contact_owner(id).await?;
    ctx.require(Action::Update, Resource::Outreach, &region, None)?;
    let htmx = req.headers().contains_key("hx-request");
    let to = format!("/patrol?team={team}&ok=photo_saved");
    let result = async {
        let (full, thumb) = crate::photo::read_upload(req, &st).await?;
        st.db.contact_photo_add(&ctx.actor, id, full, thumb).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) if htmx => Ok(([("hx-redirect", to)], StatusCode::NO_CONTENT).into_response()),
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) if is_form_error(&e) => {
            let q: ListQuery =
                serde_urlencoded::from_str(&format!("team={team}")).unwrap_or_default();
            patrol_page(&st, &ctx, &q, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

/// A contact photo: `?size=thumb` for the list; the full picture's every view is logged.
pub async fn contact_photo_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let region = st.db.contact_photo_region(id).await?;
    ctx.require(Action::View, Resource::Outreach, &region, None)?;
    let (_, jpeg) = st
        .db
        .contact_photo(&ctx.actor, id, q.get("size") == Some("thumb"))
        .await?;
    Ok(crate::photo::response(jpeg))
}
