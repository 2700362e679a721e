//! 站内救助: intake, the station board, the case page with its timeline and next steps,
//! and the alert list of deadlines.

use super::{flash, is_form_error, opt, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, sort_link, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::case::{
    self, CaseEvent, CaseState, Channel, Diversion, Exit, ExitKind, Screening, Travel,
};
use jiuzhu_domain::deadline::{Deadline, DeadlineKind, DeadlineStatus};
use jiuzhu_domain::{Fen, RegionCode, ResidentId, Sex, WorkCalendar};
use jiuzhu_storage::orgs::{OrgFilter, OrgKind, Organisation};
use jiuzhu_storage::station::{
    CaseEventRow, CaseFilter, CaseView, IntakeInput, PersonInput, PriorPerson, ServiceKind,
    ServiceRow,
};
use jiuzhu_storage::{Page, Sort};
use serde::Deserialize;

fn today() -> NaiveDate {
    jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now")
}

/// `2026-11-23T14:05` typed in Shanghai time → UTC. Blank means now.
pub fn parse_local(s: &str) -> AppResult<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Utc::now());
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::invalid("time_invalid", "at"))?;
    Ok(naive
        .and_local_timezone(jiuzhu_domain::time::shanghai())
        .single()
        .ok_or(AppError::invalid("time_invalid", "at"))?
        .with_timezone(&Utc))
}

/// One row of the board or a list, with what the page shows about it.
pub struct Row {
    pub c: CaseView,
    pub age: String,
    pub days: i64,
    /// The most urgent open deadline: (kind, status, due).
    pub next: Option<(String, String, String)>,
}

fn row(st: &AppState, c: CaseView, cal: &WorkCalendar, now: DateTime<Utc>) -> Row {
    let ds = c.deadlines(cal, st.station_settings(&c.region_code), now);
    let next = ds
        .iter()
        .filter(|d| d.status != DeadlineStatus::Done)
        .min_by_key(|d| (status_rank(d.status), d.due))
        .map(|d| {
            (
                d.kind.as_str().to_string(),
                status_str(d.status).to_string(),
                jiuzhu_domain::time::display_millis(d.due.timestamp_millis()),
            )
        });
    Row {
        age: c.age_on(today()).map(|a| a.to_string()).unwrap_or_default(),
        days: c.days_in_station(now.timestamp_millis()),
        next,
        c,
    }
}

fn status_rank(s: DeadlineStatus) -> u8 {
    match s {
        DeadlineStatus::Overdue => 0,
        DeadlineStatus::DueSoon => 1,
        DeadlineStatus::Pending => 2,
        DeadlineStatus::Done => 3,
    }
}

fn status_str(s: DeadlineStatus) -> &'static str {
    match s {
        DeadlineStatus::Overdue => "overdue",
        DeadlineStatus::DueSoon => "due_soon",
        DeadlineStatus::Pending => "pending",
        DeadlineStatus::Done => "done",
    }
}

#[derive(Template)]
#[template(path = "cases/board.html")]
struct BoardPage {
    l: Layout,
    rows: Vec<Row>,
    overdue: usize,
    due_soon: usize,
    can_create: bool,
}

pub async fn board(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let cal = WorkCalendar::national();
    let now = Utc::now();
    let rows: Vec<Row> = st
        .db
        .station_board(&scopes)
        .await?
        .into_iter()
        .map(|c| row(&st, c, &cal, now))
        .collect();
    let overdue = rows
        .iter()
        .filter(|r| r.next.as_ref().is_some_and(|n| n.1 == "overdue"))
        .count();
    let due_soon = rows
        .iter()
        .filter(|r| r.next.as_ref().is_some_and(|n| n.1 == "due_soon"))
        .count();
    Ok(render(&BoardPage {
        l: layout(&ctx, &st, "cases.board", &[("cases.board", "/station")]).await,
        rows,
        overdue,
        due_soon,
        can_create: ctx.can(Action::Create, Resource::Case),
    }))
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    state: String,
    states: Vec<&'static str>,
    sort_registered: String,
    sort_name: String,
}

pub async fn list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let f = CaseFilter {
        q: q.q.clone(),
        state: q.get("state").and_then(CaseState::parse),
        ..Default::default()
    };
    let sort = match q.sort.as_deref() {
        Some("name") => Sort {
            column: "p.name".into(),
            descending: false,
        },
        Some("-name") => Sort {
            column: "p.name".into(),
            descending: true,
        },
        Some("registered") => Sort {
            column: "c.registered_at".into(),
            descending: false,
        },
        _ => Sort {
            column: "c.registered_at".into(),
            descending: true,
        },
    };
    let page = st.db.cases_list(&scopes, &f, &sort, q.page()).await?;
    let keep = q.keep(&["state"]);
    let cur = q.sort.clone().unwrap_or_default();
    let cal = WorkCalendar::national();
    let now = Utc::now();
    Ok(render(&ListPage {
        l: layout(&ctx, &st, "cases.title", &[("cases.title", "/cases")]).await,
        pager: Pager::new(&page, "/cases", &keep),
        rows: page
            .items
            .into_iter()
            .map(|c| row(&st, c, &cal, now))
            .collect(),
        q: q.q.clone(),
        state: q.get("state").unwrap_or("").into(),
        states: CaseState::ALL.iter().map(|s| s.as_str()).collect(),
        sort_registered: sort_link("/cases", &keep, &cur, "registered"),
        sort_name: sort_link("/cases", &keep, &cur, "name"),
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct IntakeForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub station_id: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub aliases: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub age: String,
    #[serde(default)]
    pub resident_id: String,
    #[serde(default)]
    pub registered_residence: String,
    #[serde(default)]
    pub actual_residence: String,
    #[serde(default)]
    pub origin_region: String,
    #[serde(default)]
    pub dialect: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub height_cm: String,
    #[serde(default)]
    pub features: String,
    #[serde(default)]
    pub clothing: String,
    #[serde(default)]
    pub health: String,
    #[serde(default)]
    pub relatives: String,
    #[serde(default)]
    pub needs_collection: String,
    #[serde(default)]
    pub mental_or_intellectual: String,
    /// Comma-separated special-group codes.
    #[serde(default)]
    pub special_groups: String,
    #[serde(default)]
    pub photo_ref: String,
    #[serde(default)]
    pub fingerprint_ref: String,
}

impl IntakeForm {
    pub fn input(&self) -> AppResult<(i64, IntakeInput)> {
        let station_id: i64 = self
            .station_id
            .parse()
            .map_err(|_| AppError::invalid("station_required", "station_id"))?;
        let channel = Channel::parse(&self.channel)
            .ok_or(AppError::invalid("channel_required", "channel"))?;
        let num = |s: &str, code: &'static str, field: &'static str| -> AppResult<Option<u32>> {
            match opt(s) {
                None => Ok(None),
                Some(v) => v
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| AppError::invalid(code, field)),
            }
        };
        let birth_date = match opt(&self.birth_date) {
            None => None,
            Some(v) => Some(
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("birth_date_invalid", "birth_date"))?,
            ),
        };
        let resident_id = match opt(&self.resident_id) {
            None => None,
            Some(v) => Some(
                ResidentId::parse(&v)
                    .map_err(|_| AppError::invalid("resident_id_invalid", "resident_id"))?,
            ),
        };
        // A known identity number fixes sex and birth date.
        let sex = Sex::parse(&self.sex).or(resident_id.as_ref().map(|r| r.sex()));
        let birth_date = birth_date.or(resident_id.as_ref().map(|r| r.birth_date()));
        let person = PersonInput {
            name: self.name.trim().into(),
            aliases: self.aliases.trim().into(),
            sex,
            birth_date,
            estimated_age: num(&self.age, "age_invalid", "age")?,
            resident_id,
            registered_residence: self.registered_residence.trim().into(),
            actual_residence: self.actual_residence.trim().into(),
            origin_region: self.origin_region.trim().into(),
            dialect: self.dialect.trim().into(),
            height_cm: num(&self.height_cm, "height_invalid", "height_cm")?,
            build: String::new(),
            features: self.features.trim().into(),
            clothing: self.clothing.trim().into(),
            health: self.health.trim().into(),
            mental_state: String::new(),
            intellectual_state: String::new(),
            needs_collection: !self.needs_collection.is_empty(),
            mental_or_intellectual: !self.mental_or_intellectual.is_empty(),
            relatives: self.relatives.trim().into(),
            special_groups: self
                .special_groups
                .split(',')
                .filter(|g| !g.trim().is_empty())
                .map(|g| {
                    case::SpecialGroup::parse(g.trim())
                        .ok_or(AppError::invalid("invalid_input", "special_groups"))
                })
                .collect::<AppResult<Vec<_>>>()?,
            photo_ref: self.photo_ref.trim().into(),
            fingerprint_ref: self.fingerprint_ref.trim().into(),
        };
        if person.name.is_empty() && person.features.is_empty() {
            return Err(AppError::invalid("name_or_features_required", "name"));
        }
        let at = parse_local(&self.at)?;
        Ok((
            station_id,
            IntakeInput {
                station_id,
                channel,
                cause: self.cause.trim().into(),
                registered_at: at,
                person,
            },
        ))
    }
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    l: Layout,
    f: IntakeForm,
    stations: Vec<Organisation>,
    channels: Vec<&'static str>,
    groups: Vec<&'static str>,
    err: FormError,
}

async fn stations(st: &AppState, ctx: &Ctx) -> AppResult<Vec<Organisation>> {
    let scopes = ctx.scopes(Action::Create, Resource::Case);
    let f = OrgFilter {
        kind: Some(OrgKind::RescueStation),
        ..Default::default()
    };
    Ok(st
        .db
        .orgs_list(&scopes, &f, &Sort::default(), Page::new(Some(1), Some(200)))
        .await?
        .items)
}

async fn new_page(st: &AppState, ctx: &Ctx, f: IntakeForm, err: FormError) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&NewPage {
        l: layout(
            ctx,
            st,
            "cases.new",
            &[("cases.board", "/station"), ("cases.new", "/cases/new")],
        )
        .await,
        f,
        stations: stations(st, ctx).await?,
        channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
        groups: case::SpecialGroup::ALL.iter().map(|g| g.as_str()).collect(),
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let station = ctx
        .user
        .as_ref()
        .and_then(|u| u.organisation_id)
        .map(|o| o.to_string())
        .unwrap_or_default();
    let at = Utc::now()
        .with_timezone(&jiuzhu_domain::time::shanghai())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    new_page(
        &st,
        &ctx,
        IntakeForm {
            station_id: station,
            channel: "walk_in".into(),
            at,
            ..Default::default()
        },
        FormError::default(),
    )
    .await
}

/// 求助登记 from the form or the API: the station must be a rescue station the caller may
/// register intakes for.
pub async fn register(st: &AppState, ctx: &Ctx, f: &IntakeForm) -> AppResult<CaseView> {
    let (station_id, input) = f.input()?;
    let station = st
        .db
        .org(station_id)
        .await
        .map_err(|_| AppError::invalid("station_required", "station_id"))?;
    if station.kind != OrgKind::RescueStation.as_str() {
        return Err(AppError::invalid("station_required", "station_id"));
    }
    ctx.require(
        Action::Create,
        Resource::Case,
        &station.region_code,
        Some(station.id),
    )?;
    let region = RegionCode::parse(&station.region_code)
        .map_err(|_| AppError::invalid("region_code_invalid", "station_id"))?;
    let c = st.db.intake(&ctx.actor, &region, &input).await?;
    // Someone unidentified is compared against every open family report at once.
    if let Err(e) = st.matcher.on_case(&st.db, &c).await {
        tracing::warn!(error = %e, case = c.id, "matching a new intake failed");
    }
    Ok(c)
}

pub async fn create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<IntakeForm>,
) -> AppResult<Response> {
    match register(&st, &ctx, &f).await {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}?ok=registered", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            new_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

/// htmx: while the intake form is filled in, earlier records of the same person.
pub async fn prior(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(f): Query<IntakeForm>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let person = PersonInput {
        name: f.name.trim().into(),
        sex: Sex::parse(&f.sex),
        estimated_age: f.age.trim().parse().ok(),
        resident_id: ResidentId::parse(&f.resident_id).ok(),
        ..Default::default()
    };
    let prior = if person.name.is_empty() && person.resident_id.is_none() {
        Vec::new()
    } else {
        st.db.prior_people(&scopes, &person, today()).await?
    };
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    let rules = st.station_settings(&region);
    let now = Utc::now();
    let repeat = prior.iter().any(|p| {
        rules.is_repeat_request(
            p.last_departed_at
                .and_then(|ms| chrono::TimeZone::timestamp_millis_opt(&Utc, ms).single()),
            now,
        )
    });
    Ok(render(&PriorFragment {
        repeat,
        window_days: rules.repeat_help_window_days,
        l: layout(&ctx, &st, "cases.new", &[]).await,
        prior,
    }))
}

#[derive(Template)]
#[template(path = "cases/prior.html")]
struct PriorFragment {
    l: Layout,
    prior: Vec<PriorPerson>,
    /// Back within the local repeat-help window: staff are warned, not stopped.
    repeat: bool,
    window_days: u32,
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    l: Layout,
    c: CaseView,
    station: String,
    age: String,
    days: i64,
    deadlines: Vec<Deadline>,
    events: Vec<CaseEventRow>,
    services: Vec<ServiceRow>,
    service_kinds: Vec<&'static str>,
    medical_total: String,
    exits: Vec<&'static str>,
    areas: Vec<&'static str>,
    suggested_area: &'static str,
    minor: bool,
    minor_care: Vec<&'static str>,
    can_update: bool,
    can_reveal: bool,
    /// May open the person's family search (寻亲).
    can_trace: bool,
    revealed: Option<(String, String, String)>,
    now_local: String,
    err: FormError,
}

impl ShowPage {
    fn status(&self, d: &Deadline) -> &'static str {
        status_str(d.status)
    }
    fn due(&self, d: &Deadline) -> String {
        jiuzhu_domain::time::display_millis(d.due.timestamp_millis())
    }
    fn kind(&self, d: &Deadline) -> &'static str {
        d.kind.as_str()
    }
}

async fn load(st: &AppState, ctx: &Ctx, id: &str, action: Action) -> AppResult<CaseView> {
    let c = st.db.case(parse_id(id)?).await?;
    ctx.require(action, Resource::Case, &c.region_code, Some(c.station_id))?;
    Ok(c)
}

async fn show_page(
    st: &AppState,
    ctx: &Ctx,
    c: CaseView,
    revealed: Option<(String, String, String)>,
    err: FormError,
    flash_msg: Option<String>,
) -> AppResult<Response> {
    let now = Utc::now();
    let station = st
        .db
        .org(c.station_id)
        .await
        .map(|o| o.name)
        .unwrap_or_default();
    let allowed = |a| {
        ctx.require(a, Resource::Case, &c.region_code, Some(c.station_id))
            .is_ok()
    };
    let exits = if c.state() == CaseState::InStation {
        case::allowed_exits(
            c.person_facts(today()),
            st.station_settings(&c.region_code).exit,
            c.days_in_station(now.timestamp_millis()),
        )
        .into_iter()
        .map(ExitKind::as_str)
        .collect()
    } else {
        Vec::new()
    };
    let mut l = layout(
        ctx,
        st,
        "cases.detail",
        &[("cases.board", "/station"), ("cases.detail", "")],
    )
    .await;
    l.flash = flash_msg;
    let status = err.status();
    let services = st.db.case_services(c.id).await?;
    let suggested_area = case::suggest_area(
        Sex::parse(&c.sex),
        c.age_on(today()),
        c.mental_or_intellectual || c.needs_collection,
        false,
    )
    .as_str();
    let mut r = render(&ShowPage {
        areas: case::Area::ALL.iter().map(|a| a.as_str()).collect(),
        suggested_area,
        minor: c.age_on(today()).is_some_and(|a| a < 18),
        minor_care: case::MinorCare::ALL.iter().map(|m| m.as_str()).collect(),
        station,
        age: c.age_on(today()).map(|a| a.to_string()).unwrap_or_default(),
        days: c.days_in_station(now.timestamp_millis()),
        deadlines: c.deadlines(
            &WorkCalendar::national(),
            st.station_settings(&c.region_code),
            now,
        ),
        events: st.db.case_events(c.id).await?,
        medical_total: Fen(services
            .iter()
            .filter(|s| s.kind == "medical")
            .map(|s| s.cost_fen)
            .sum())
        .display(),
        services,
        service_kinds: ServiceKind::ALL.iter().map(|k| k.as_str()).collect(),
        exits,
        can_update: allowed(Action::Update),
        can_reveal: allowed(Action::Reveal),
        can_trace: ctx
            .require(
                Action::View,
                Resource::Tracing,
                &c.region_code,
                Some(c.station_id),
            )
            .is_ok(),
        revealed,
        now_local: now
            .with_timezone(&jiuzhu_domain::time::shanghai())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        err,
        l,
        c,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::View).await?;
    let msg = flash(&ctx.tr, &q);
    show_page(&st, &ctx, c, None, FormError::default(), msg).await
}

pub async fn reveal(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::Reveal).await?;
    let (rid, health, relatives) = st.db.person_reveal(&ctx.actor, c.person_id).await?;
    show_page(
        &st,
        &ctx,
        c,
        Some((
            rid.unwrap_or_default(),
            health.unwrap_or_default(),
            relatives.unwrap_or_default(),
        )),
        FormError::default(),
        None,
    )
    .await
}

/// Every field any step may need; which ones count depends on `step`.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub diversion: String,
    #[serde(default)]
    pub verify_later: String,
    #[serde(default)]
    pub reasons: String,
    #[serde(default)]
    pub statement_signed: String,
    #[serde(default)]
    pub travel: String,
    #[serde(default)]
    pub ticket: String,
    #[serde(default)]
    pub cash_yuan: String,
    #[serde(default)]
    pub collector_name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub collector_id: String,
    #[serde(default)]
    pub receiving_unit: String,
    #[serde(default)]
    pub receipt_no: String,
    #[serde(default)]
    pub destination_region: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub household_registration: String,
    #[serde(default)]
    pub minor_kind: String,
}

impl StepForm {
    /// The event this form describes. Whether it is allowed is the domain's decision.
    pub fn event(&self) -> AppResult<CaseEvent> {
        let exit = |e: Exit| Ok(CaseEvent::Depart(e));
        match self.step.as_str() {
            "first_check" => Ok(CaseEvent::FirstCheck {
                note: self.note.trim().into(),
                diversion: match self.diversion.as_str() {
                    "hospital" => Some(Diversion::Hospital),
                    "police" => Some(Diversion::Police),
                    _ => None,
                },
            }),
            "returned" => Ok(CaseEvent::Returned),
            "admit" => Ok(CaseEvent::Screen(Screening::Admit {
                verify_later: !self.verify_later.is_empty(),
            })),
            "refuse" => Ok(CaseEvent::Screen(Screening::Refuse {
                reasons: self.reasons.trim().into(),
            })),
            "self_discharge" => {
                let travel = match self.travel.as_str() {
                    "ticket" => Travel::Ticket {
                        description: self.ticket.trim().into(),
                    },
                    "cash" => Travel::Cash {
                        amount: Fen::parse_yuan(&self.cash_yuan)
                            .map_err(|_| AppError::invalid("money_invalid", "cash_yuan"))?,
                    },
                    _ => Travel::None,
                };
                exit(Exit::SelfDischarge {
                    statement_signed: !self.statement_signed.is_empty(),
                    travel,
                })
            }
            "left_without_notice" => exit(Exit::LeftWithoutNotice {
                note: self.note.trim().into(),
            }),
            "collected_by_relatives" => {
                exit(Exit::CollectedByRelatives {
                    collector_name: self.collector_name.trim().into(),
                    relation: self.relation.trim().into(),
                    collector_id: match opt(&self.collector_id) {
                        None => None,
                        Some(v) => Some(ResidentId::parse(&v).map_err(|_| {
                            AppError::invalid("resident_id_invalid", "collector_id")
                        })?),
                    },
                })
            }
            "escorted_home" => exit(Exit::EscortedHome {
                receiving_unit: self.receiving_unit.trim().into(),
                receipt_no: self.receipt_no.trim().into(),
                destination_region: self.destination_region.trim().into(),
            }),
            "transferred" => exit(Exit::Transferred {
                to: self.to.trim().into(),
                reason: self.reasons.trim().into(),
            }),
            "terminated" => exit(Exit::Terminated {
                reasons: self.reasons.trim().into(),
            }),
            "placed" => exit(Exit::Placed {
                institution: self.institution.trim().into(),
                household_registration: !self.household_registration.is_empty(),
            }),
            "minor_care" => Ok(CaseEvent::MinorCare {
                kind: case::MinorCare::parse(&self.minor_kind)
                    .ok_or(AppError::invalid("case_illegal_transition", "step"))?,
                notes: self.note.trim().into(),
            }),
            "died" => exit(Exit::Died {
                cause: self.note.trim().into(),
            }),
            _ => Err(AppError::invalid("case_illegal_transition", "step")),
        }
    }
}

/// The next step of a case, from the form or the API. The caller checked `Update` on it.
pub async fn apply_step(
    st: &AppState,
    ctx: &Ctx,
    c: &CaseView,
    f: &StepForm,
) -> AppResult<CaseView> {
    let version: i64 = f
        .version
        .parse()
        .map_err(|_| AppError::invalid("version_required", "version"))?;
    let event = f.event()?;
    let at = parse_local(&f.at)?;
    Ok(st
        .db
        .case_apply(
            &ctx.actor,
            c.id,
            version,
            &event,
            at,
            st.station_settings(&c.region_code),
        )
        .await?)
}

pub async fn step(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::Update).await?;
    match apply_step(&st, &ctx, &c, &f).await {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let fresh = st.db.case(c.id).await?;
            let mut err = FormError::from(&ctx.tr, &e);
            if e.code == "conflict" {
                err.field = "version";
            }
            show_page(&st, &ctx, fresh, None, err, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    at: String,
}

pub async fn mark(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, kind)): Path<(String, String)>,
    Form(f): Form<MarkForm>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::Update).await?;
    let kind = DeadlineKind::parse(&kind).ok_or_else(AppError::not_found)?;
    let result: AppResult<CaseView> = async {
        let version: i64 = f
            .version
            .parse()
            .map_err(|_| AppError::invalid("invalid_input", "version"))?;
        Ok(st
            .db
            .case_mark(&ctx.actor, c.id, version, kind, parse_local(&f.at)?)
            .await?)
    }
    .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let fresh = st.db.case(c.id).await?;
            show_page(&st, &ctx, fresh, None, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Serialize)]
pub struct Alert {
    pub case_id: i64,
    pub case_no: String,
    pub name: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub due: String,
}

#[derive(Template)]
#[template(path = "cases/alerts.html")]
struct AlertsPage {
    l: Layout,
    alerts: Vec<Alert>,
}

/// 预警: every deadline due soon or passed in the caller's jurisdiction, most urgent first.
pub async fn collect_alerts(st: &AppState, ctx: &Ctx) -> AppResult<Vec<Alert>> {
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let cal = WorkCalendar::national();
    let now = Utc::now();
    let mut alerts: Vec<(u8, i64, Alert)> = Vec::new();
    for c in st.db.station_board(&scopes).await? {
        for d in c.deadlines(&cal, st.station_settings(&c.region_code), now) {
            if matches!(d.status, DeadlineStatus::Overdue | DeadlineStatus::DueSoon) {
                alerts.push((
                    status_rank(d.status),
                    d.due.timestamp_millis(),
                    Alert {
                        case_id: c.id,
                        case_no: c.case_no.clone(),
                        name: c.name.clone(),
                        kind: d.kind.as_str(),
                        status: status_str(d.status),
                        due: jiuzhu_domain::time::display_millis(d.due.timestamp_millis()),
                    },
                ));
            }
        }
    }
    alerts.sort_by_key(|(r, due, _)| (*r, *due));
    Ok(alerts.into_iter().map(|(_, _, a)| a).collect())
}

pub async fn alerts(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let alerts = collect_alerts(&st, &ctx).await?;
    Ok(render(&AlertsPage {
        l: layout(&ctx, &st, "cases.alerts", &[("cases.alerts", "/alerts")]).await,
        alerts,
    }))
}

impl ShowPage {
    fn money(&self, fen: &i64) -> String {
        Fen(*fen).display()
    }
}

#[derive(Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    cost_yuan: String,
}

/// 在站服务: living care, medical care (cost in fen), counselling, education, belongings.
pub async fn add_service(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<ServiceForm>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::Update).await?;
    let result: AppResult<()> = async {
        let kind = ServiceKind::parse(&f.kind)
            .ok_or(AppError::invalid("service_kind_required", "kind"))?;
        let cost = match opt(&f.cost_yuan) {
            None => Fen::ZERO,
            Some(v) => {
                Fen::parse_yuan(&v).map_err(|_| AppError::invalid("money_invalid", "cost_yuan"))?
            }
        };
        st.db
            .case_add_service(
                &ctx.actor,
                c.id,
                kind,
                parse_local(&f.at)?,
                &f.provider,
                &f.note,
                cost,
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{}?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let fresh = st.db.case(c.id).await?;
            let mut err = FormError::from(&ctx.tr, &e);
            err.field = "";
            show_page(&st, &ctx, fresh, None, err, None).await
        }
        Err(e) => Err(e),
    }
}

/// The official forms (规程 annexes), print-ready on A4.
const FORMS: &[&str] = &[
    "intake",
    "refusal",
    "self_discharge",
    "stay_record",
    "termination",
    "escort_receipt",
];

#[derive(Template)]
#[template(path = "cases/form.html")]
struct FormPrint {
    l: Layout,
    form: &'static str,
    c: CaseView,
    station: String,
    resident_id: String,
    age: String,
    services: Vec<ServiceRow>,
    detail: serde_json::Value,
    /// How a self-discharged person travelled: the ticket, or the cash signed for.
    travel: String,
}

impl FormPrint {
    fn money(&self, fen: &i64) -> String {
        Fen(*fen).display()
    }
    fn detail_str(&self, key: &str) -> String {
        self.detail
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }
}

pub async fn print_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, form)): Path<(String, String)>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::View).await?;
    let (form, as_pdf) = match form.strip_suffix(".pdf") {
        Some(f) => (f.to_string(), true),
        None => (form, false),
    };
    let form = FORMS
        .iter()
        .copied()
        .find(|f| *f == form)
        .ok_or_else(AppError::not_found)?;
    // A form goes on paper with the full identity number only for those who may see it;
    // printing it is a view and is logged like one.
    let resident_id = if ctx
        .require(
            Action::Reveal,
            Resource::Case,
            &c.region_code,
            Some(c.station_id),
        )
        .is_ok()
        && c.resident_id_masked.is_some()
    {
        st.db
            .person_reveal(&ctx.actor, c.person_id)
            .await?
            .0
            .unwrap_or_default()
    } else {
        c.resident_id_masked.clone().unwrap_or_default()
    };
    let events = st.db.case_events(c.id).await?;
    let detail = events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.event.as_str(),
                "refuse"
                    | "self_discharge"
                    | "terminated"
                    | "escorted_home"
                    | "collected_by_relatives"
                    | "transferred"
                    | "placed"
                    | "left_without_notice"
                    | "died"
            )
        })
        .and_then(|e| serde_json::from_str(&e.detail).ok())
        .unwrap_or(serde_json::Value::Null);
    let station = st
        .db
        .org(c.station_id)
        .await
        .map(|o| o.name)
        .unwrap_or_default();
    let travel = match detail
        .get("travel")
        .and_then(|t| serde_json::from_value::<Travel>(t.clone()).ok())
    {
        Some(Travel::Ticket { description }) => {
            format!("{} {description}", ctx.tr.t("cases.ticket"))
        }
        Some(Travel::Cash { amount }) => {
            format!("{} {}", ctx.tr.t("cases.cash_yuan"), amount.display())
        }
        _ => String::new(),
    };
    let page = FormPrint {
        travel,
        l: layout(&ctx, &st, &format!("forms.{form}"), &[]).await,
        form,
        age: c.age_on(today()).map(|a| a.to_string()).unwrap_or_default(),
        services: st.db.case_services(c.id).await?,
        station,
        resident_id,
        detail,
        c,
    };
    if as_pdf {
        let bytes = crate::pdf::render(&pdf_form(&ctx, &page)).map_err(|e| {
            tracing::error!(error = %e, "pdf failed");
            AppError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal")
        })?;
        let name = format!("{}-{}.pdf", page.c.case_no, page.form);
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct BedForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    bed: String,
}

/// 分区分床
pub async fn assign_bed(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<BedForm>,
) -> AppResult<Response> {
    let c = load(&st, &ctx, &id, Action::Update).await?;
    let result: AppResult<CaseView> = async {
        let version: i64 = f
            .version
            .parse()
            .map_err(|_| AppError::invalid("invalid_input", "version"))?;
        let area =
            case::Area::parse(&f.area).ok_or(AppError::invalid("case_area_not_allowed", "area"))?;
        Ok(st
            .db
            .case_assign_bed(&ctx.actor, c.id, version, area, &f.bed)
            .await?)
    }
    .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/cases/{}?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let fresh = st.db.case(c.id).await?;
            let mut err = FormError::from(&ctx.tr, &e);
            err.field = "";
            show_page(&st, &ctx, fresh, None, err, None).await
        }
        Err(e) => Err(e),
    }
}

/// The same form's content for the PDF: its fields as label：value lines, its text and its
/// signature lines, in the caller's language.
fn pdf_form(ctx: &Ctx, p: &FormPrint) -> crate::pdf::PdfForm {
    let tr = ctx.tr;
    let c = &p.c;
    let t = |k: &str| tr.t(k);
    let mut rows: Vec<(String, String)> = vec![
        (
            t("cases.name"),
            if c.name.is_empty() {
                t("cases.unnamed")
            } else {
                c.name.clone()
            },
        ),
        (t("cases.sex"), tr.t(&format!("sex.{}", c.sex))),
        (t("cases.age"), p.age.clone()),
        (t("users.resident_id"), p.resident_id.clone()),
        (t("cases.channel"), tr.t(&format!("channel.{}", c.channel))),
        (t("cases.dialect"), c.dialect.clone()),
        (t("cases.features"), c.features.clone()),
        (t("cases.clothing"), c.clothing.clone()),
        (t("cases.cause"), c.cause.clone()),
        (
            t("cases.registered_at"),
            jiuzhu_domain::time::display_millis(c.registered_at),
        ),
        (
            t("forms.admitted"),
            c.admitted_at
                .map(jiuzhu_domain::time::display_millis)
                .unwrap_or_default(),
        ),
    ];
    if p.form == "stay_record" {
        for s in &p.services {
            let cost = if s.cost_fen > 0 {
                Fen(s.cost_fen).display()
            } else {
                String::new()
            };
            rows.push((
                tr.t(&format!("services.kind.{}", s.kind)),
                format!(
                    "{} {} {} {}",
                    jiuzhu_domain::time::display_millis(s.at),
                    s.provider,
                    s.note,
                    cost
                ),
            ));
        }
    }
    if matches!(
        p.form,
        "stay_record" | "self_discharge" | "escort_receipt" | "termination"
    ) {
        rows.push((
            t("cases.exit"),
            c.exit_kind
                .as_deref()
                .map(|e| tr.t(&format!("exit.{e}")))
                .unwrap_or_default(),
        ));
        rows.push((
            t("forms.departed"),
            c.departed_at
                .map(jiuzhu_domain::time::display_millis)
                .unwrap_or_default(),
        ));
    }
    if !p.travel.is_empty() {
        rows.push((t("cases.travel"), p.travel.clone()));
    }
    for key in [
        "receiving_unit",
        "receipt_no",
        "destination_region",
        "reasons",
    ] {
        let v = p.detail_str(key);
        if !v.is_empty() {
            rows.push((t(&format!("cases.{key}")), v));
        }
    }
    rows.retain(|(_, v)| !v.trim().is_empty());
    let paragraphs = match p.form {
        "refusal" => vec![t("forms.refusal_text"), t("forms.appeal")],
        "termination" => vec![t("forms.termination_text"), t("forms.appeal")],
        "self_discharge" => vec![format!(
            "{} {}{} {} {}",
            t("forms.self_discharge_text_1"),
            c.name,
            t("forms.self_discharge_text_2"),
            c.departed_at
                .map(jiuzhu_domain::time::display_millis)
                .unwrap_or_default(),
            t("forms.self_discharge_text_3")
        )],
        "escort_receipt" => vec![t("forms.escort_text")],
        _ => Vec::new(),
    };
    let signatures = match p.form {
        "refusal" | "termination" => vec![
            format!("{}（{}）", p.station, t("forms.seal")),
            format!("{}：", t("forms.recipient")),
        ],
        "self_discharge" => vec![
            format!("{}：", t("forms.declarant")),
            format!("{}：", t("forms.staff")),
        ],
        "escort_receipt" => vec![
            format!("{}：{}", t("forms.sending_unit"), p.station),
            format!("{}：", t("forms.escort_staff")),
            format!("{}：", t("forms.receiver")),
        ],
        _ => vec![
            format!("{}：", t("forms.applicant")),
            format!("{}：", t("forms.staff")),
        ],
    };
    crate::pdf::PdfForm {
        unit: p.station.clone(),
        title: t(&format!("forms.{}", p.form)),
        number: format!("{}：{}", t("cases.case_no"), c.case_no),
        rows,
        paragraphs,
        signatures,
    }
}
