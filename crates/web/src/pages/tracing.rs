//! 寻亲 for staff: the search case of an unidentified person (channels and their results),
//! the candidates the engine suggests with their explanation, the worker's decision, the
//! families' reports, and the figures.

use super::{flash, is_form_error, opt, parse_id, text_or_number, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{Datelike, NaiveDate};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::tracing::{ChannelOutcome, Evidence, ReportStatus, SearchChannel};
use jiuzhu_domain::{RegionCode, Sex};
use jiuzhu_matching::Explanation;
use jiuzhu_storage::station::CaseView;
use jiuzhu_storage::tracing::{
    CandidateRow, ReportFilter, ReportInput, ReportRow, ReportSource, SearchActionInput,
    SearchActionRow, SharedCase, TipRow, TracingStats,
};
use serde::Deserialize;

fn today() -> NaiveDate {
    jiuzhu_domain::time::local_date(chrono::Utc::now().timestamp_millis()).expect("now")
}

fn parse_date(s: &str, field: &'static str) -> AppResult<Option<NaiveDate>> {
    match opt(s) {
        None => Ok(None),
        Some(v) => jiuzhu_domain::time::parse_day(&v)
            .map(Some)
            .ok_or_else(|| AppError::invalid("date_invalid", field)),
    }
}

fn parse_num<T: std::str::FromStr>(
    s: &str,
    code: &'static str,
    field: &'static str,
) -> AppResult<Option<T>> {
    match opt(s) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(code, field)),
    }
}

fn version(s: &str) -> AppResult<i64> {
    s.trim()
        .parse()
        .map_err(|_| AppError::invalid("version_required", "version"))
}

/// One candidate with its explanation read back for the table.
///
/// A pair often joins two jurisdictions (a family's report filed at home, the person in a
/// station far away). Each side sees the other's comparison fields, as a public notice
/// would show them, but opens it, sees its case number or decides on the pair only where
/// `authz` allows.
pub struct CandidateView {
    pub c: CandidateRow,
    pub explanation: Option<Explanation>,
    pub may_open_case: bool,
    pub may_open_report: bool,
    pub may_decide: bool,
}

impl CandidateView {
    fn new(c: CandidateRow, ctx: &Ctx) -> CandidateView {
        let allowed = |a, region: &str| ctx.require(a, Resource::Tracing, region, None).is_ok();
        CandidateView {
            explanation: serde_json::from_str(&c.explanation).ok(),
            may_open_case: allowed(Action::View, &c.region_code),
            may_open_report: allowed(Action::View, &c.report_region),
            may_decide: allowed(Action::Update, &c.region_code),
            c,
        }
    }
    pub fn percent(&self) -> String {
        format!("{:.1}", self.c.probability * 100.0)
    }
    pub fn band(&self) -> &'static str {
        match self.c.probability {
            p if p >= 0.9 => "high",
            p if p >= 0.5 => "medium",
            _ => "low",
        }
    }
}

/// `+3.2` / `−1.0` / `0` for a weight cell.
pub fn weight(w: &f64) -> String {
    if w.abs() < 0.005 {
        "0".into()
    } else {
        format!("{w:+.2}")
    }
}

/// Match / mismatch / blank, as Primero shows it, from the level and its weight.
pub fn verdict(level: &str, w: &f64) -> &'static str {
    if level == "null" || level.ends_with("missing") {
        "blank"
    } else if *w > 0.0 {
        "match"
    } else {
        "mismatch"
    }
}

// ---------------------------------------------------------------------------------------
// The search case of one person

#[derive(Template)]
#[template(path = "tracing/case.html")]
struct CasePage {
    l: Layout,
    c: CaseView,
    station: String,
    actions: Vec<SearchActionRow>,
    candidates: Vec<CandidateView>,
    tips: Vec<TipRow>,
    channels: Vec<&'static str>,
    outcomes: Vec<&'static str>,
    /// Outcomes a result can record (not "pending").
    results: Vec<&'static str>,
    evidences: Vec<&'static str>,
    can_update: bool,
    err: FormError,
    today: String,
    days: i64,
    regions: Vec<(String, String)>,
    shares: Vec<String>,
    has_photo: bool,
    /// Tipsters' phones, after a logged reveal.
    tip_contacts: Option<Vec<(i64, String)>>,
    can_reveal: bool,
}

impl CasePage {
    fn tip_contact(&self, id: &i64) -> Option<&str> {
        self.tip_contacts
            .as_ref()?
            .iter()
            .find(|(t, _)| t == id)
            .map(|(_, c)| c.as_str())
    }
}

/// A case's search, for the caller: its own station changes it; jurisdictions it was
/// shared with (协查共享) may read it.
pub(crate) async fn load_case(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    action: Action,
) -> AppResult<CaseView> {
    let c = st.db.case(parse_id(id)?).await?;
    let shares = st.db.case_shares(c.id).await?;
    ctx.require_shared(
        action,
        Resource::Tracing,
        &c.region_code,
        Some(c.station_id),
        &shares,
    )?;
    Ok(c)
}

async fn case_page(
    st: &AppState,
    ctx: &Ctx,
    c: CaseView,
    err: FormError,
    flash_msg: Option<String>,
) -> AppResult<Response> {
    case_page_with(st, ctx, c, err, flash_msg, None).await
}

async fn case_page_with(
    st: &AppState,
    ctx: &Ctx,
    c: CaseView,
    err: FormError,
    flash_msg: Option<String>,
    tip_contacts: Option<Vec<(i64, String)>>,
) -> AppResult<Response> {
    let mut l = layout(
        ctx,
        st,
        "tracing.case",
        &[
            ("tracing.title", "/tracing"),
            ("cases.detail", &format!("/cases/{}", c.id)),
            ("tracing.case", ""),
        ],
    )
    .await;
    l.flash = flash_msg;
    let status = err.status();
    let station = st
        .db
        .org(c.station_id)
        .await
        .map(|o| o.name)
        .unwrap_or_default();
    let mut r = render(&CasePage {
        station,
        actions: st.db.search_actions(c.id).await?,
        candidates: st
            .db
            .candidates_for_case(c.id)
            .await?
            .into_iter()
            .map(|c| CandidateView::new(c, ctx))
            .collect(),
        tips: st.db.tips(c.id).await?,
        channels: SearchChannel::ALL.iter().map(|c| c.as_str()).collect(),
        outcomes: ChannelOutcome::ALL.iter().map(|c| c.as_str()).collect(),
        results: ChannelOutcome::ALL
            .iter()
            .filter(|o| **o != ChannelOutcome::Pending)
            .map(|c| c.as_str())
            .collect(),
        evidences: Evidence::ALL.iter().map(|c| c.as_str()).collect(),
        can_update: ctx
            .require(
                Action::Update,
                Resource::Tracing,
                &c.region_code,
                Some(c.station_id),
            )
            .is_ok(),
        err,
        today: today().to_string(),
        days: c.days_in_station(chrono::Utc::now().timestamp_millis()),
        regions: region_choices(st).await?,
        shares: st
            .db
            .case_shares(c.id)
            .await?
            .iter()
            .map(|r| r.to_string())
            .collect(),
        has_photo: st.db.photo(c.id, true).await?.is_some(),
        tip_contacts,
        can_reveal: ctx
            .require(
                Action::Reveal,
                Resource::Tracing,
                &c.region_code,
                Some(c.station_id),
            )
            .is_ok(),
        c,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn case_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let c = load_case(&st, &ctx, &id, Action::View).await?;
    let msg = flash(&ctx.tr, &q);
    case_page(&st, &ctx, c, FormError::default(), msg).await
}

/// The tipsters' phones of a case (logged), so the station can call back.
pub async fn tips_reveal(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = load_case(&st, &ctx, &id, Action::Reveal).await?;
    let contacts = st.db.tips_reveal(&ctx.actor, c.id).await?;
    case_page_with(&st, &ctx, c, FormError::default(), None, Some(contacts)).await
}

#[derive(Deserialize, Default, Clone)]
pub struct ActionForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    requested_on: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    result_on: String,
    #[serde(default)]
    result_note: String,
    #[serde(default)]
    shared_with: String,
}

impl ActionForm {
    pub(crate) fn input(&self, case_id: i64) -> AppResult<SearchActionInput> {
        Ok(SearchActionInput {
            case_id,
            channel: SearchChannel::parse(&self.channel)
                .ok_or_else(|| AppError::invalid("channel_required", "channel"))?,
            requested_on: parse_date(&self.requested_on, "requested_on")?
                .ok_or_else(|| AppError::invalid("date_invalid", "requested_on"))?,
            reference: self.reference.clone(),
            detail: self.detail.clone(),
            outcome: ChannelOutcome::parse(&self.outcome).unwrap_or(ChannelOutcome::Pending),
            result_on: parse_date(&self.result_on, "result_on")?,
            result_note: self.result_note.clone(),
            shared_with: match opt(&self.shared_with) {
                None => None,
                Some(v) => Some(
                    RegionCode::parse(&v)
                        .map_err(|_| AppError::invalid("region_code_invalid", "shared_with"))?,
                ),
            },
        })
    }
}

pub async fn action_add(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> AppResult<Response> {
    let c = load_case(&st, &ctx, &id, Action::Update).await?;
    let result = async {
        let input = f.input(c.id)?;
        Ok::<_, AppError>(st.db.search_action_add(&ctx.actor, &input).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{}/search?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            case_page(&st, &ctx, c, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

/// The notice photo: uploaded from a phone or a desk camera, re-encoded without its
/// camera and location data, with a thumbnail for lists.
pub async fn photo_upload(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    // The record check comes before the body is read.
    let c = load_case(&st, &ctx, &id, Action::Update).await?;
    let htmx = req.headers().contains_key("hx-request");
    let result = async {
        let (full, thumb) = crate::photo::read_upload(req, &st).await?;
        st.db.photo_set(&ctx.actor, c.id, full, thumb).await?;
        Ok::<_, AppError>(())
    }
    .await;
    let to = format!("/cases/{}/search?ok=saved", c.id);
    match result {
        // htmx posts the file (it adds the CSRF header) and follows HX-Redirect; a 303
        // would be followed by the browser's XHR instead, out of htmx's sight.
        Ok(()) if htmx => Ok((
            [("hx-redirect", to.clone())],
            axum::http::StatusCode::NO_CONTENT,
        )
            .into_response()),
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) if is_form_error(&e) => {
            case_page(&st, &ctx, c, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

pub async fn photo_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let c = load_case(&st, &ctx, &id, Action::View).await?;
    let jpeg = st
        .db
        .photo(c.id, false)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(crate::photo::response(jpeg))
}

#[derive(Deserialize, Default, Clone)]
pub struct ResultForm {
    #[serde(default, deserialize_with = "text_or_number")]
    version: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    result_on: String,
    #[serde(default)]
    result_note: String,
}

pub async fn action_result(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<ResultForm>,
) -> AppResult<Response> {
    let a = st.db.search_action(parse_id(&id)?).await?;
    let c = st.db.case(a.case_id).await?;
    ctx.require(
        Action::Update,
        Resource::Tracing,
        &c.region_code,
        Some(c.station_id),
    )?;
    let result = async {
        let outcome = ChannelOutcome::parse(&f.outcome)
            .filter(|o| *o != ChannelOutcome::Pending)
            .ok_or_else(|| AppError::invalid("outcome_required", "outcome"))?;
        let on = parse_date(&f.result_on, "result_on")?.unwrap_or_else(today);
        Ok::<_, AppError>(
            st.db
                .search_action_result(
                    &ctx.actor,
                    a.id,
                    version(&f.version)?,
                    outcome,
                    on,
                    &f.result_note,
                )
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{}/search?ok=saved", c.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            case_page(&st, &ctx, c, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct DecisionForm {
    #[serde(default, deserialize_with = "text_or_number")]
    version: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    note: String,
    /// Where to go back to: the case or the report.
    #[serde(default)]
    back: String,
}

/// A worker's decision on a pair, from the page or the API. The caller has checked that
/// they may update the case's search.
pub(crate) async fn decide(
    st: &AppState,
    ctx: &Ctx,
    cand: &CandidateRow,
    confirm: bool,
    version: i64,
    evidence: &str,
    note: &str,
) -> AppResult<CandidateRow> {
    if !confirm {
        return Ok(st
            .db
            .candidate_reject(&ctx.actor, cand.id, version, note)
            .await?);
    }
    let evidence = Evidence::parse(evidence)
        .ok_or_else(|| AppError::invalid("evidence_required", "evidence"))?;
    let out = st
        .db
        .candidate_confirm(&ctx.actor, cand.id, version, evidence, note)
        .await?;
    // Both are settled: neither is suggested to anyone again.
    if let Err(e) = st.matcher.forget_case(&st.db, cand.case_id).await {
        tracing::warn!(error = %e, "matching index not updated");
    }
    if let Err(e) = st.matcher.forget_report(&st.db, cand.report_id).await {
        tracing::warn!(error = %e, "matching index not updated");
    }
    Ok(out)
}

async fn decide_candidate(
    st: &AppState,
    ctx: &Ctx,
    id: &str,
    f: &DecisionForm,
    confirm: bool,
) -> AppResult<Response> {
    let cand = st.db.candidate(parse_id(id)?).await?;
    let c = st.db.case(cand.case_id).await?;
    ctx.require(
        Action::Update,
        Resource::Tracing,
        &c.region_code,
        Some(c.station_id),
    )?;
    let result = async {
        decide(
            st,
            ctx,
            &cand,
            confirm,
            version(&f.version)?,
            &f.evidence,
            &f.note,
        )
        .await
    }
    .await
    .map(|_| ());
    let back = if f.back == "report" {
        format!("/missing-reports/{}", cand.report_id)
    } else {
        format!("/cases/{}/search", c.id)
    };
    match result {
        // A confirmed identity goes straight to the case, where the way home starts.
        Ok(()) if confirm => {
            Ok(Redirect::to(&format!("/cases/{}?ok=identity_confirmed", c.id)).into_response())
        }
        Ok(()) => Ok(Redirect::to(&format!("{back}?ok=saved")).into_response()),
        Err(e) if is_form_error(&e) && f.back == "report" => {
            let r = st.db.report(cand.report_id).await?;
            report_page(st, ctx, r, None, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) if is_form_error(&e) => {
            case_page(st, ctx, c, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

pub async fn confirm(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> AppResult<Response> {
    decide_candidate(&st, &ctx, &id, &f, true).await
}

pub async fn reject(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> AppResult<Response> {
    decide_candidate(&st, &ctx, &id, &f, false).await
}

// ---------------------------------------------------------------------------------------
// The work board: candidates waiting for a decision

#[derive(Template)]
#[template(path = "tracing/board.html")]
struct BoardPage {
    l: Layout,
    candidates: Vec<CandidateView>,
    pager: Pager,
    /// Decisions are taken on the case page, with the whole search in view.
    can_update: bool,
    evidences: Vec<&'static str>,
    shared: Vec<SharedCase>,
}

pub async fn board(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Tracing);
    let page = st.db.candidates_open(&scopes, q.page()).await?;
    let mut l = layout(&ctx, &st, "tracing.title", &[("tracing.title", "")]).await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&BoardPage {
        pager: Pager::new(&page, "/tracing", &q.keep(&[])),
        candidates: page
            .items
            .into_iter()
            .map(|c| CandidateView::new(c, &ctx))
            .collect(),
        can_update: false,
        evidences: Vec::new(),
        shared: st.db.cases_shared_with(&scopes).await?,
        l,
    }))
}

// ---------------------------------------------------------------------------------------
// Families' reports

/// The report form, shared by staff and the public page.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct ReportForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub age_when_missing: String,
    #[serde(default)]
    pub missing_on: String,
    #[serde(default)]
    pub missing_place: String,
    #[serde(default)]
    pub origin_region: String,
    #[serde(default)]
    pub dialect: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub height_cm: String,
    #[serde(default)]
    pub features: String,
    #[serde(default)]
    pub reporter_name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub consent: String,
    /// A field people never see; a robot filling every field gives itself away.
    #[serde(default)]
    pub website: String,
}

impl ReportForm {
    pub fn input(&self) -> AppResult<ReportInput> {
        let region = |s: &str, field: &'static str| -> AppResult<Option<RegionCode>> {
            match opt(s) {
                None => Ok(None),
                Some(v) => RegionCode::parse(&v)
                    .map(Some)
                    .map_err(|_| AppError::invalid("region_code_invalid", field)),
            }
        };
        Ok(ReportInput {
            region: region(&self.region_code, "region_code")?,
            name: self.name.clone(),
            sex: Sex::parse(&self.sex),
            birth_date: parse_date(&self.birth_date, "birth_date")?,
            age_when_missing: parse_num(&self.age_when_missing, "age_invalid", "age_when_missing")?,
            missing_on: parse_date(&self.missing_on, "missing_on")?,
            missing_place: self.missing_place.clone(),
            origin_region: region(&self.origin_region, "origin_region")?,
            dialect: self.dialect.clone(),
            height_cm: parse_num(&self.height_cm, "height_invalid", "height_cm")?,
            features: self.features.clone(),
            reporter_name: self.reporter_name.clone(),
            relation: self.relation.clone(),
            contact: opt(&self.contact),
            consent: !self.consent.is_empty(),
        })
    }
}

/// Province, city and county choices for a report form.
pub async fn region_choices(st: &AppState) -> AppResult<Vec<(String, String)>> {
    Ok(st
        .db
        .regions_to_county()
        .await?
        .into_iter()
        .map(|r| {
            let indent = match r.level.as_str() {
                "city" => "　",
                "county" => "　　",
                _ => "",
            };
            (r.code, format!("{indent}{}", r.name))
        })
        .collect())
}

#[derive(Template)]
#[template(path = "tracing/reports.html")]
struct ReportsPage {
    l: Layout,
    reports: Vec<ReportRow>,
    pager: Pager,
    q: String,
    status: String,
    statuses: Vec<&'static str>,
    can_create: bool,
}

pub async fn reports(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Tracing);
    let status = q.get("status").and_then(ReportStatus::parse);
    let page = st
        .db
        .reports_list(
            &scopes,
            &ReportFilter {
                q: q.q.clone(),
                status,
            },
            q.page(),
        )
        .await?;
    let mut l = layout(
        &ctx,
        &st,
        "tracing.reports",
        &[("tracing.title", "/tracing"), ("tracing.reports", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ReportsPage {
        pager: Pager::new(&page, "/missing-reports", &q.keep(&["status"])),
        reports: page.items,
        q: q.q.clone(),
        status: status.map(|s| s.as_str()).unwrap_or("").to_string(),
        statuses: ReportStatus::ALL.iter().map(|s| s.as_str()).collect(),
        can_create: ctx.can(Action::Create, Resource::Tracing),
        l,
    }))
}

#[derive(Template)]
#[template(path = "tracing/report_new.html")]
struct ReportNewPage {
    l: Layout,
    f: ReportForm,
    err: FormError,
    regions: Vec<(String, String)>,
    public: bool,
    action: &'static str,
}

async fn report_new_page(
    st: &AppState,
    ctx: &Ctx,
    f: ReportForm,
    err: FormError,
) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&ReportNewPage {
        l: layout(
            ctx,
            st,
            "tracing.report_new",
            &[
                ("tracing.reports", "/missing-reports"),
                ("tracing.report_new", ""),
            ],
        )
        .await,
        f,
        err,
        regions: region_choices(st).await?,
        public: false,
        action: "/missing-reports",
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn report_new(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    report_new_page(
        &st,
        &ctx,
        ReportForm {
            region_code: region,
            ..Default::default()
        },
        FormError::default(),
    )
    .await
}

/// Files a report and runs it against every unidentified person at once.
pub async fn file_report(
    st: &AppState,
    ctx: &Ctx,
    source: ReportSource,
    input: &ReportInput,
) -> AppResult<ReportRow> {
    let r = st.db.report_create(&ctx.actor, source, input).await?;
    if let Err(e) = st.matcher.on_report(&st.db, &r).await {
        // The report is saved; matching catches up at the next start.
        tracing::warn!(error = %e, report = r.id, "matching a new report failed");
    }
    Ok(r)
}

/// A report taken at the counter or on the hotline, from the form or the API: filed in a
/// region the caller may create reports for.
pub(crate) async fn file_staff_report(
    st: &AppState,
    ctx: &Ctx,
    f: &ReportForm,
) -> AppResult<ReportRow> {
    let input = f.input()?;
    let region = input
        .region
        .clone()
        .ok_or_else(|| AppError::invalid("region_required", "region_code"))?;
    ctx.require(Action::Create, Resource::Tracing, region.as_str(), None)?;
    file_report(st, ctx, ReportSource::Staff, &input).await
}

pub async fn report_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<ReportForm>,
) -> AppResult<Response> {
    match file_staff_report(&st, &ctx, &f).await {
        Ok(r) => Ok(Redirect::to(&format!("/missing-reports/{}?ok=created", r.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            report_new_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "tracing/report.html")]
struct ReportPage {
    l: Layout,
    r: ReportRow,
    /// Other reports that may be about the same person: (id, reference, name, percent).
    similar: Vec<(i64, String, String, String)>,
    contact: Option<String>,
    candidates: Vec<CandidateView>,
    evidences: Vec<&'static str>,
    can_update: bool,
    can_reveal: bool,
    err: FormError,
}

async fn load_report(st: &AppState, ctx: &Ctx, id: &str, action: Action) -> AppResult<ReportRow> {
    let r = st.db.report(parse_id(id)?).await?;
    ctx.require(action, Resource::Tracing, &r.region_code, None)?;
    Ok(r)
}

async fn report_page(
    st: &AppState,
    ctx: &Ctx,
    r: ReportRow,
    contact: Option<String>,
    err: FormError,
    flash_msg: Option<String>,
) -> AppResult<Response> {
    let mut l = layout(
        ctx,
        st,
        "tracing.report",
        &[
            ("tracing.reports", "/missing-reports"),
            ("tracing.report", ""),
        ],
    )
    .await;
    l.flash = flash_msg;
    let status = err.status();
    let allowed = |a| {
        ctx.require(a, Resource::Tracing, &r.region_code, None)
            .is_ok()
    };
    let mut similar = Vec::new();
    for (id, p) in st.matcher.similar_reports(&st.db, &r).await? {
        // Only reports the caller may open are named.
        if let Ok(o) = st.db.report(id).await {
            let visible = ctx
                .require(Action::View, Resource::Tracing, &o.region_code, None)
                .is_ok();
            if o.status == "open" && visible {
                similar.push((o.id, o.ref_no, o.name, format!("{:.0}", p * 100.0)));
            }
        }
    }
    let mut resp = render(&ReportPage {
        similar,
        candidates: st
            .db
            .candidates_for_report(r.id)
            .await?
            .into_iter()
            .map(|c| CandidateView::new(c, ctx))
            .collect(),
        evidences: Evidence::ALL.iter().map(|c| c.as_str()).collect(),
        can_update: allowed(Action::Update),
        can_reveal: allowed(Action::Reveal),
        contact,
        err,
        r,
        l,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn report_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let r = load_report(&st, &ctx, &id, Action::View).await?;
    let msg = flash(&ctx.tr, &q);
    report_page(&st, &ctx, r, None, FormError::default(), msg).await
}

pub async fn report_reveal(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let r = load_report(&st, &ctx, &id, Action::Reveal).await?;
    let contact = st.db.report_reveal(&ctx.actor, r.id).await?;
    report_page(
        &st,
        &ctx,
        r,
        Some(contact.unwrap_or_default()),
        FormError::default(),
        None,
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct CloseForm {
    #[serde(default, deserialize_with = "text_or_number")]
    version: String,
    #[serde(default)]
    reason: String,
}

pub async fn report_close(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> AppResult<Response> {
    let r = load_report(&st, &ctx, &id, Action::Update).await?;
    let result = async {
        Ok::<_, AppError>(
            st.db
                .report_close(&ctx.actor, r.id, version(&f.version)?, &f.reason)
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => {
            if let Err(e) = st.matcher.forget_report(&st.db, r.id).await {
                tracing::warn!(error = %e, "matching index not updated");
            }
            Ok(Redirect::to(&format!("/missing-reports/{}?ok=saved", r.id)).into_response())
        }
        Err(e) if is_form_error(&e) => {
            report_page(&st, &ctx, r, None, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Figures

#[derive(Template)]
#[template(path = "tracing/stats.html")]
struct StatsPage {
    l: Layout,
    s: TracingStats,
    from: String,
    to: String,
    rate: String,
    mean_days: String,
}

/// The figures for the caller's jurisdiction over the period asked for, both days included.
pub(crate) async fn figures(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> AppResult<(NaiveDate, NaiveDate, TracingStats)> {
    let (from, to) = period(q);
    let s = st
        .db
        .tracing_stats(
            &ctx.scopes(Action::View, Resource::Tracing),
            jiuzhu_domain::time::local_midnight_ms(from),
            jiuzhu_domain::time::local_midnight_ms(to + chrono::Duration::days(1)),
        )
        .await?;
    Ok((from, to, s))
}

/// The period of a stats page: `from`/`to` dates, by default this year so far.
fn period(q: &ListQuery) -> (NaiveDate, NaiveDate) {
    let t = today();
    let from = q
        .get("from")
        .and_then(jiuzhu_domain::time::parse_day)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(t.year(), 1, 1).expect("1 January"));
    let to = q
        .get("to")
        .and_then(jiuzhu_domain::time::parse_day)
        .unwrap_or(t);
    (from, to.max(from))
}

pub async fn stats(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (from, to, s) = figures(&st, &ctx, &q).await?;
    let l = layout(
        &ctx,
        &st,
        "tracing.stats",
        &[("tracing.title", "/tracing"), ("tracing.stats", "")],
    )
    .await;
    Ok(render(&StatsPage {
        rate: s
            .success_rate()
            .map(|r| format!("{r:.1}%"))
            .unwrap_or_else(|| "—".into()),
        mean_days: s
            .mean_days_to_reunite
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "—".into()),
        from: from.to_string(),
        to: to.to_string(),
        s,
        l,
    }))
}
