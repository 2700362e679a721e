//! 返乡人员信息台账 and 回访: the home side's list of people returned, with their visits.

use super::{flash, is_form_error, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::follow_up::Outcome;
use jiuzhu_storage::station::{FollowUpFilter, FollowUpRow};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "follow_ups/list.html")]
struct LedgerPage {
    l: Layout,
    rows: Vec<FollowUpRow>,
    pager: Pager,
    q: String,
    show: String,
    today: String,
    outcomes: Vec<&'static str>,
    can_update: bool,
    err: FormError,
}

async fn ledger_page(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    err: FormError,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::FollowUp);
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
    let show = q.get("show").unwrap_or("due").to_string();
    let f = FollowUpFilter {
        q: q.q.clone(),
        open: show != "all",
        due_by: (show == "due").then_some(today),
    };
    let page = st.db.follow_ups(&scopes, &f, q.page()).await?;
    let keep = q.keep(&["show"]);
    let mut l = layout(
        ctx,
        st,
        "follow_ups.title",
        &[("follow_ups.title", "/returnees")],
    )
    .await;
    l.flash = flash(&ctx.tr, q);
    let status = err.status();
    let mut r = render(&LedgerPage {
        pager: Pager::new(&page, "/returnees", &keep),
        rows: page.items,
        q: q.q.clone(),
        show,
        today: today.format("%Y-%m-%d").to_string(),
        outcomes: Outcome::ALL.iter().map(|o| o.as_str()).collect(),
        can_update: ctx.can(Action::Update, Resource::FollowUp),
        err,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn ledger(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    ledger_page(&st, &ctx, &q, FormError::default()).await
}

#[derive(Deserialize)]
pub struct VisitForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    version: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    guardian_reminded: String,
    #[serde(default)]
    referred: String,
    #[serde(default)]
    at: String,
}

/// Records a visit from the ledger or the API. The caller may update this row's region.
pub async fn record_visit(
    st: &AppState,
    ctx: &Ctx,
    row: &FollowUpRow,
    f: &VisitForm,
) -> AppResult<FollowUpRow> {
    let version: i64 = f
        .version
        .parse()
        .map_err(|_| AppError::invalid("invalid_input", "version"))?;
    let outcome =
        Outcome::parse(&f.outcome).ok_or(AppError::invalid("outcome_required", "outcome"))?;
    let at = super::cases::parse_local(&f.at)?;
    Ok(st
        .db
        .follow_up_record(
            &ctx.actor,
            row.id,
            version,
            outcome,
            &f.note,
            !f.guardian_reminded.is_empty(),
            !f.referred.is_empty(),
            at,
        )
        .await?)
}

pub async fn record(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<VisitForm>,
) -> AppResult<Response> {
    let row = st.db.follow_up(parse_id(&id)?).await?;
    ctx.require(Action::Update, Resource::FollowUp, &row.home_region, None)?;
    let result = record_visit(&st, &ctx, &row, &f).await;
    match result {
        Ok(_) => Ok(Redirect::to("/returnees?ok=saved").into_response()),
        Err(e) if is_form_error(&e) => {
            let mut err = FormError::from(&ctx.tr, &e);
            if e.code == "conflict" {
                err.field = "version";
            }
            ledger_page(&st, &ctx, &ListQuery::default(), err).await
        }
        Err(e) => Err(e),
    }
}
