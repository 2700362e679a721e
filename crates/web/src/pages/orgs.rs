//! 机构: organisations in the caller's jurisdiction.

use super::{flash, is_form_error, opt, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, sort_link, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::orgs::{OrgFilter, OrgInput, OrgKind, Organisation};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct ListPage {
    l: Layout,
    orgs: Vec<Organisation>,
    pager: Pager,
    q: String,
    kind: String,
    kinds: Vec<&'static str>,
    sort_name: String,
    sort_kind: String,
    sort_region: String,
    can_create: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Organisation);
    let filter = OrgFilter {
        q: q.q.clone(),
        kind: q.get("kind").and_then(OrgKind::parse),
        region: q.get("region").and_then(|r| RegionCode::parse(r).ok()),
        active: match q.get("status") {
            Some("active") => Some(true),
            Some("inactive") => Some(false),
            _ => None,
        },
    };
    let page = st
        .db
        .orgs_list(&scopes, &filter, &q.sort(), q.page())
        .await?;
    let keep = q.keep(&["kind", "region", "status"]);
    let cur = q.sort.clone().unwrap_or_default();
    let mut l = layout(&ctx, &st, "orgs.title", &[("orgs.title", "/orgs")]).await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ListPage {
        pager: Pager::new(&page, "/orgs", &keep),
        orgs: page.items,
        q: q.q.clone(),
        kind: q.get("kind").unwrap_or("").into(),
        kinds: OrgKind::ALL.iter().map(|k| k.as_str()).collect(),
        sort_name: sort_link("/orgs", &keep, &cur, "name"),
        sort_kind: sort_link("/orgs", &keep, &cur, "kind"),
        sort_region: sort_link("/orgs", &keep, &cur, "region_code"),
        can_create: ctx.can(Action::Create, Resource::Organisation),
        l,
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct OrgForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub version: String,
}

impl OrgForm {
    /// Turns the submitted text into a validated input, or the field-level error.
    pub fn input(&self) -> AppResult<OrgInput> {
        let region = super::parse_region(&self.region_code)?;
        let kind = OrgKind::parse(&self.kind).ok_or(AppError::invalid("kind_invalid", "kind"))?;
        let input = OrgInput {
            region,
            kind,
            name: self.name.clone(),
            address: self.address.clone(),
            phone: opt(&self.phone),
        };
        input.validate()?;
        Ok(input)
    }
}

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct FormPage {
    l: Layout,
    f: OrgForm,
    action: String,
    kinds: Vec<&'static str>,
    err: FormError,
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    f: OrgForm,
    action: String,
    title: &str,
    err: FormError,
) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&FormPage {
        l: layout(ctx, st, title, &[("orgs.title", "/orgs"), (title, "")]).await,
        f,
        action,
        kinds: OrgKind::ALL.iter().map(|k| k.as_str()).collect(),
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
    form_page(
        &st,
        &ctx,
        OrgForm {
            region_code: region,
            ..Default::default()
        },
        "/orgs".into(),
        "orgs.new",
        FormError::default(),
    )
    .await
}

pub async fn create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<OrgForm>,
) -> AppResult<Response> {
    let result: AppResult<Organisation> = async {
        let input = f.input()?;
        ctx.require(
            Action::Create,
            Resource::Organisation,
            input.region.as_str(),
            None,
        )?;
        Ok(st.db.org_create(&ctx.actor, &input).await?)
    }
    .await;
    match result {
        Ok(o) => Ok(Redirect::to(&format!("/orgs/{}?ok=created", o.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            form_page(
                &st,
                &ctx,
                f.clone(),
                "/orgs".into(),
                "orgs.new",
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct ShowPage {
    l: Layout,
    o: Organisation,
    region_name: String,
    can_update: bool,
}

async fn load(st: &AppState, ctx: &Ctx, id: &str, action: Action) -> AppResult<Organisation> {
    let o = st.db.org(parse_id(id)?).await?;
    ctx.require(action, Resource::Organisation, &o.region_code, Some(o.id))?;
    Ok(o)
}

pub async fn show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let o = load(&st, &ctx, &id, Action::View).await?;
    let region_name = st.db.region_name(&o.region_code).await?.unwrap_or_default();
    let mut l = layout(
        &ctx,
        &st,
        "orgs.detail",
        &[("orgs.title", "/orgs"), ("orgs.detail", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ShowPage {
        can_update: ctx
            .require(
                Action::Update,
                Resource::Organisation,
                &o.region_code,
                Some(o.id),
            )
            .is_ok(),
        l,
        o,
        region_name,
    }))
}

pub async fn edit_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let o = load(&st, &ctx, &id, Action::Update).await?;
    let phone = st
        .db
        .org_phone_reveal(&ctx.actor, o.id)
        .await?
        .unwrap_or_default();
    let f = OrgForm {
        name: o.name,
        kind: o.kind,
        region_code: o.region_code,
        address: o.address,
        phone,
        version: o.version.to_string(),
    };
    form_page(
        &st,
        &ctx,
        f,
        format!("/orgs/{}", o.id),
        "orgs.edit",
        FormError::default(),
    )
    .await
}

pub async fn update(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<OrgForm>,
) -> AppResult<Response> {
    let o = load(&st, &ctx, &id, Action::Update).await?;
    let result: AppResult<Organisation> = async {
        let input = f.input()?;
        let version: i64 = f
            .version
            .parse()
            .map_err(|_| AppError::invalid("invalid_input", "version"))?;
        // Moving an organisation is allowed only within the caller's jurisdiction.
        ctx.require(
            Action::Update,
            Resource::Organisation,
            input.region.as_str(),
            Some(o.id),
        )?;
        Ok(st.db.org_update(&ctx.actor, o.id, version, &input).await?)
    }
    .await;
    match result {
        Ok(o) => Ok(Redirect::to(&format!("/orgs/{}?ok=saved", o.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            form_page(
                &st,
                &ctx,
                f.clone(),
                format!("/orgs/{}", o.id),
                "orgs.edit",
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
