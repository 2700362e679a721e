//! 易流浪走失人员登记: the community's register, and the alerts when someone on it turns up
//! at a station.

use super::{flash, is_form_error, opt, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::{ResidentId, Sex};
use jiuzhu_storage::register::{RegisterAlert, RegisterEntry, RegisterInput};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "register/list.html")]
struct ListPage {
    l: Layout,
    entries: Vec<RegisterEntry>,
    alerts: Vec<RegisterAlert>,
    pager: Pager,
    q: String,
    can_create: bool,
    can_update: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Register);
    let page = st.db.register_list(&scopes, &q.q, q.page()).await?;
    let mut l = layout(
        &ctx,
        &st,
        "register.title",
        &[("register.title", "/register")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ListPage {
        alerts: st.db.register_alerts(&scopes, true).await?,
        pager: Pager::new(&page, "/register", &q.keep(&[])),
        entries: page.items,
        q: q.q.clone(),
        can_create: ctx.can(Action::Create, Resource::Register),
        can_update: ctx.can(Action::Update, Resource::Register),
        l,
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    guardian_name: String,
    #[serde(default)]
    guardian_phone: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "register/new.html")]
struct NewPage {
    l: Layout,
    f: EntryForm,
    err: FormError,
}

async fn new_page(st: &AppState, ctx: &Ctx, f: EntryForm, err: FormError) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&NewPage {
        l: layout(
            ctx,
            st,
            "register.new",
            &[("register.title", "/register"), ("register.new", "")],
        )
        .await,
        f,
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn new_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let region = ctx
        .user
        .as_ref()
        .map(|u| u.region_code.clone())
        .unwrap_or_default();
    new_page(
        &st,
        &ctx,
        EntryForm {
            region_code: region,
            ..Default::default()
        },
        FormError::default(),
    )
    .await
}

pub async fn create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<EntryForm>,
) -> AppResult<Response> {
    let result: AppResult<RegisterEntry> = async {
        let region = super::parse_region(&f.region_code)?;
        ctx.require(Action::Create, Resource::Register, region.as_str(), None)?;
        let resident_id = match opt(&f.resident_id) {
            None => None,
            Some(v) => Some(
                ResidentId::parse(&v)
                    .map_err(|_| AppError::invalid("resident_id_invalid", "resident_id"))?,
            ),
        };
        let input = RegisterInput {
            region,
            name: f.name.clone(),
            sex: Sex::parse(&f.sex),
            resident_id,
            guardian_name: f.guardian_name.clone(),
            guardian_phone: opt(&f.guardian_phone),
            reason: f.reason.clone(),
        };
        Ok(st.db.register_add(&ctx.actor, &input).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/register?ok=created").into_response()),
        Err(e) if is_form_error(&e) => {
            new_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn acknowledge(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let region = st.db.register_alert_region(id).await?;
    ctx.require(Action::Update, Resource::Register, &region, None)?;
    st.db.register_acknowledge(&ctx.actor, id).await?;
    Ok(Redirect::to("/register?ok=saved").into_response())
}
