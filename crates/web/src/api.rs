//! The JSON API under `/api/v1`: the same guard, the same checks, stable error codes.

use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::pages::{audit::filter_of, parse_id, ListQuery};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::orgs::{OrgFilter, OrgInput, OrgKind};
use jiuzhu_storage::users::UserFilter;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

/// Parses a JSON body; malformed or mistyped input is a 422 with a stable code.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> AppResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        tracing::info!(error = %e, "bad JSON body");
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json")
    })
}

pub async fn me(Extension(ctx): Extension<Ctx>) -> AppResult<Response> {
    let u = ctx.user.clone().ok_or_else(AppError::unauthenticated)?;
    Ok(Json(json!({ "user": *u, "locale": ctx.tr.locale.code() })).into_response())
}

pub async fn orgs_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Organisation);
    let f = OrgFilter {
        q: q.q.clone(),
        kind: q.get("kind").and_then(OrgKind::parse),
        region: q.get("region").and_then(|r| RegionCode::parse(r).ok()),
        active: None,
    };
    Ok(Json(st.db.orgs_list(&scopes, &f, &q.sort(), q.page()).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    name: String,
    kind: String,
    region_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: Option<String>,
    /// Required on update: the version the client read.
    #[serde(default)]
    version: Option<i64>,
}

impl OrgBody {
    /// The same validation as the page's form.
    fn input(&self) -> AppResult<OrgInput> {
        crate::pages::orgs::OrgForm {
            name: self.name.clone(),
            kind: self.kind.clone(),
            region_code: self.region_code.clone(),
            address: self.address.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            version: String::new(),
        }
        .input()
    }
}

pub async fn org_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    bytes: Bytes,
) -> AppResult<Response> {
    let b: OrgBody = body(&bytes)?;
    let input = b.input()?;
    ctx.require(
        Action::Create,
        Resource::Organisation,
        input.region.as_str(),
        None,
    )?;
    let o = st.db.org_create(&ctx.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(o)).into_response())
}

pub async fn org_get(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let o = st.db.org(parse_id(&id)?).await?;
    ctx.require(
        Action::View,
        Resource::Organisation,
        &o.region_code,
        Some(o.id),
    )?;
    Ok(Json(o).into_response())
}

pub async fn org_update(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let o = st.db.org(parse_id(&id)?).await?;
    ctx.require(
        Action::Update,
        Resource::Organisation,
        &o.region_code,
        Some(o.id),
    )?;
    let b: OrgBody = body(&bytes)?;
    let version = b
        .version
        .ok_or(AppError::invalid("version_required", "version"))?;
    let input = b.input()?;
    ctx.require(
        Action::Update,
        Resource::Organisation,
        input.region.as_str(),
        Some(o.id),
    )?;
    Ok(Json(st.db.org_update(&ctx.actor, o.id, version, &input).await?).into_response())
}

pub async fn users_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::User);
    let f = UserFilter {
        q: q.q.clone(),
        ..Default::default()
    };
    Ok(Json(st.db.users_list(&scopes, &f, &q.sort(), q.page()).await?).into_response())
}

pub async fn user_get(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = st.db.user(parse_id(&id)?).await?;
    ctx.require(
        Action::View,
        Resource::User,
        &u.region_code,
        u.organisation_id,
    )?;
    Ok(Json(u).into_response())
}

pub async fn regions(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    match q.get("parent") {
        Some(p) => {
            let code = RegionCode::parse(p)
                .map_err(|_| AppError::invalid("region_code_invalid", "parent"))?;
            ctx.require(Action::View, Resource::Region, code.as_str(), None)?;
            Ok(Json(st.db.region_children(Some(&code)).await?).into_response())
        }
        None => {
            let scopes = ctx.scopes(Action::View, Resource::Region);
            Ok(Json(
                st.db
                    .regions_list(&scopes, &q.q, &q.sort(), q.page())
                    .await?,
            )
            .into_response())
        }
    }
}

pub async fn audit(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::AuditLog);
    Ok(Json(
        st.db
            .audit_list(&scopes, &filter_of(&q), &q.sort(), q.page())
            .await?,
    )
    .into_response())
}

pub async fn audit_verify(State(st): State<AppState>) -> AppResult<Response> {
    Ok(Json(st.db.audit_verify().await?).into_response())
}

pub async fn access_log(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::AccessLog);
    Ok(Json(
        st.db
            .access_list(&scopes, &filter_of(&q), &q.sort(), q.page())
            .await?,
    )
    .into_response())
}

pub async fn cases_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let f = jiuzhu_storage::station::CaseFilter {
        q: q.q.clone(),
        state: q
            .get("state")
            .and_then(jiuzhu_domain::case::CaseState::parse),
        ..Default::default()
    };
    Ok(Json(
        st.db
            .cases_list(&scopes, &f, &jiuzhu_storage::Sort::default(), q.page())
            .await?,
    )
    .into_response())
}

pub async fn case_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    bytes: Bytes,
) -> AppResult<Response> {
    let f: crate::pages::cases::IntakeForm = body(&bytes)?;
    let c = crate::pages::cases::register(&st, &ctx, &f).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

pub async fn case_get(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = st.db.case(parse_id(&id)?).await?;
    ctx.require(
        Action::View,
        Resource::Case,
        &c.region_code,
        Some(c.station_id),
    )?;
    let deadlines = c.deadlines(
        &jiuzhu_domain::WorkCalendar::national(),
        st.station_settings(&c.region_code),
        chrono::Utc::now(),
    );
    let events = st.db.case_events(c.id).await?;
    Ok(Json(json!({ "case": c, "deadlines": deadlines, "events": events })).into_response())
}

pub async fn case_step(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let c = st.db.case(parse_id(&id)?).await?;
    ctx.require(
        Action::Update,
        Resource::Case,
        &c.region_code,
        Some(c.station_id),
    )?;
    let f: crate::pages::cases::StepForm = body(&bytes)?;
    Ok(Json(crate::pages::cases::apply_step(&st, &ctx, &c, &f).await?).into_response())
}

pub async fn alerts(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    Ok(Json(crate::pages::cases::collect_alerts(&st, &ctx).await?).into_response())
}

pub async fn monthly_report(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    Ok(Json(crate::pages::report::build(&st, &ctx, &q).await?).into_response())
}

pub async fn follow_ups(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::FollowUp);
    let f = jiuzhu_storage::station::FollowUpFilter {
        q: q.q.clone(),
        open: q.get("open").is_some(),
        due_by: None,
    };
    Ok(Json(st.db.follow_ups(&scopes, &f, q.page()).await?).into_response())
}

pub async fn follow_up_record(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let row = st.db.follow_up(parse_id(&id)?).await?;
    ctx.require(Action::Update, Resource::FollowUp, &row.home_region, None)?;
    let f: crate::pages::follow_ups::VisitForm = body(&bytes)?;
    Ok(Json(crate::pages::follow_ups::record_visit(&st, &ctx, &row, &f).await?).into_response())
}

pub async fn register(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Register);
    let entries = st.db.register_list(&scopes, &q.q, q.page()).await?;
    let alerts = st.db.register_alerts(&scopes, true).await?;
    Ok(Json(json!({ "entries": entries, "open_alerts": alerts })).into_response())
}

pub async fn case_candidates(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = st.db.case(parse_id(&id)?).await?;
    ctx.require(
        Action::View,
        Resource::Tracing,
        &c.region_code,
        Some(c.station_id),
    )?;
    let candidates: Vec<serde_json::Value> = st
        .db
        .candidates_for_case(c.id)
        .await?
        .into_iter()
        .map(|m| {
            let explanation: serde_json::Value =
                serde_json::from_str(&m.explanation).unwrap_or_default();
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["explanation"] = explanation;
            v
        })
        .collect();
    let actions = st.db.search_actions(c.id).await?;
    Ok(Json(json!({ "case_id": c.id, "unidentified": c.unidentified, "search_actions": actions, "candidates": candidates }))
        .into_response())
}

pub async fn search_action_add(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let c = crate::pages::tracing::load_case(&st, &ctx, &id, Action::Update).await?;
    let f: crate::pages::tracing::ActionForm = body(&bytes)?;
    let a = st.db.search_action_add(&ctx.actor, &f.input(c.id)?).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

#[derive(Deserialize)]
pub struct Decision {
    decision: String,
    version: i64,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    note: String,
}

pub async fn candidate_decide(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let cand = st.db.candidate(parse_id(&id)?).await?;
    let c = st.db.case(cand.case_id).await?;
    ctx.require(
        Action::Update,
        Resource::Tracing,
        &c.region_code,
        Some(c.station_id),
    )?;
    let d: Decision = body(&bytes)?;
    let confirm = match d.decision.as_str() {
        "confirm" => true,
        "reject" => false,
        _ => return Err(AppError::invalid("decision_invalid", "decision")),
    };
    let out =
        crate::pages::tracing::decide(&st, &ctx, &cand, confirm, d.version, &d.evidence, &d.note)
            .await?;
    Ok(Json(out).into_response())
}

pub async fn reports_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Tracing);
    let f = jiuzhu_storage::tracing::ReportFilter {
        q: q.q.clone(),
        status: q
            .get("status")
            .and_then(jiuzhu_domain::tracing::ReportStatus::parse),
    };
    let page = st.db.reports_list(&scopes, &f, q.page()).await?;
    Ok(Json(json!({ "items": page.items, "total": page.total })).into_response())
}

pub async fn report_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    bytes: Bytes,
) -> AppResult<Response> {
    let f: crate::pages::tracing::ReportForm = body(&bytes)?;
    let r = crate::pages::tracing::file_staff_report(&st, &ctx, &f).await?;
    let candidates = st.db.candidates_for_report(r.id).await?.len();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "report": r, "candidates": candidates })),
    )
        .into_response())
}

pub async fn tracing_stats(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (from, to, s) = crate::pages::tracing::figures(&st, &ctx, &q).await?;
    Ok(
        Json(json!({ "from": from, "to": to, "figures": s, "success_rate": s.success_rate() }))
            .into_response(),
    )
}

/// The OpenAPI 3.1 document, generated from the route table so it cannot drift from it.
pub async fn openapi() -> Response {
    let specs = crate::routes::api_specs();
    let mut paths = serde_json::Map::new();
    for s in specs.iter().filter(|s| s.api) {
        let entry = paths.entry(s.path.to_string()).or_insert_with(|| json!({}));
        let params: Vec<serde_json::Value> = s
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": s.summary,
            "x-permission": format!("{}:{}", s.action, s.resource),
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "409": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"}
            }
        });
        if matches!(s.method.as_str(), "POST" | "PUT") {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        entry[s.method.as_str().to_lowercase()] = op;
    }
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "Jiuzhu API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Errors are {\"error\": {\"code\", \"message\", \"field\", \"request_id\"}}; the code is stable, the message is in the caller's language (Accept-Language or the jz_lang cookie)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token created on the profile page (jz_…)."},
                "session": {"type": "apiKey", "in": "cookie", "name": "jz_session", "description": "Browser session; writes need the X-CSRF-Token header."}
            },
            "responses": {"Error": {"description": "A stable error code", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}, "request_id": {"type": "string"}}}}}}}}}
        }
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------
// Street outreach

pub async fn sightings(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Outreach);
    let page = st.db.sightings(&scopes, true, None, &q.q, q.page()).await?;
    let teams = st.db.teams(&scopes).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|s| json!({ "sighting": s, "suggested_team": crate::pages::outreach::suggest_team(s, &teams) }))
        .collect();
    Ok(Json(json!({ "items": items, "total": page.total, "teams": teams })).into_response())
}

pub async fn sighting_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    bytes: Bytes,
) -> AppResult<Response> {
    let f: crate::pages::outreach::SightingForm = body(&bytes)?;
    let input = f.input(&st, false)?;
    let s = crate::pages::outreach::file_sighting(&st, &ctx, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "sighting": s }))).into_response())
}

pub async fn sighting_dispatch(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Response> {
    let f: crate::pages::outreach::StepForm = body(&bytes)?;
    let s = crate::pages::outreach::step_sighting(
        &st,
        &ctx,
        parse_id(&id)?,
        jiuzhu_domain::outreach::SightingStatus::Dispatched,
        &f,
    )
    .await?;
    Ok(Json(json!({ "sighting": s })).into_response())
}

pub async fn contact_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    bytes: Bytes,
) -> AppResult<Response> {
    let f: crate::pages::outreach::ContactForm = body(&bytes)?;
    let c = crate::pages::outreach::record_contact(&st, &ctx, &f).await?;
    Ok((StatusCode::CREATED, Json(json!({ "contact": c }))).into_response())
}

pub async fn outreach_stats(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (s, from, to) = crate::pages::outreach::outreach_figures(&st, &ctx, &q).await?;
    Ok(Json(json!({ "from": from, "to": to, "figures": s })).into_response())
}
