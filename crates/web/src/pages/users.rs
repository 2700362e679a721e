//! 用户与角色: accounts, their roles and jurisdictions.

use super::{flash, is_form_error, opt, parse_id, parse_region, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, sort_link, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use jiuzhu_domain::authz::{Action, Grant, Resource, Role};
use jiuzhu_domain::ResidentId;
use jiuzhu_storage::orgs::{OrgFilter, Organisation};
use jiuzhu_storage::users::{NewUser, User, UserEdit, UserFilter};
use jiuzhu_storage::{Page, Sort};
use rand::Rng;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    l: Layout,
    users: Vec<User>,
    pager: Pager,
    q: String,
    role: String,
    status: String,
    roles: Vec<&'static str>,
    sort_username: String,
    sort_name: String,
    sort_region: String,
    can_create: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::User);
    let filter = UserFilter {
        q: q.q.clone(),
        role: q.get("role").and_then(Role::parse),
        disabled: match q.get("status") {
            Some("disabled") => Some(true),
            Some("active") => Some(false),
            _ => None,
        },
        organisation_id: q.get("org").and_then(|o| o.parse().ok()),
    };
    // An identity number in the search box is looked up exactly through the keyed index.
    let page = match ResidentId::parse(&q.q) {
        Ok(rid) => {
            let items = st.db.users_by_resident_id(&scopes, &rid).await?;
            jiuzhu_storage::Paged {
                total: items.len() as i64,
                items,
                page: Page::default(),
            }
        }
        Err(_) => {
            st.db
                .users_list(&scopes, &filter, &q.sort(), q.page())
                .await?
        }
    };
    let keep = q.keep(&["role", "status", "org"]);
    let cur = q.sort.clone().unwrap_or_default();
    let mut l = layout(&ctx, &st, "users.title", &[("users.title", "/users")]).await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ListPage {
        pager: Pager::new(&page, "/users", &keep),
        users: page.items,
        q: q.q.clone(),
        role: q.get("role").unwrap_or("").into(),
        status: q.get("status").unwrap_or("").into(),
        roles: Role::staff_roles().map(|r| r.as_str()).collect(),
        sort_username: sort_link("/users", &keep, &cur, "username"),
        sort_name: sort_link("/users", &keep, &cur, "display_name"),
        sort_region: sort_link("/users", &keep, &cur, "region_code"),
        can_create: ctx.can(Action::Create, Resource::User),
        l,
    }))
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewPage {
    l: Layout,
    f: UserForm,
    orgs: Vec<Organisation>,
    roles: Vec<&'static str>,
    err: FormError,
}

#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub organisation_id: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub resident_id: String,
    #[serde(default)]
    pub phone: String,
}

async fn orgs_for(st: &AppState, ctx: &Ctx) -> AppResult<Vec<Organisation>> {
    let scopes = ctx.scopes(Action::View, Resource::Organisation);
    Ok(st
        .db
        .orgs_list(
            &scopes,
            &OrgFilter::default(),
            &Sort::default(),
            Page::new(Some(1), Some(200)),
        )
        .await?
        .items)
}

async fn new_page(st: &AppState, ctx: &Ctx, f: UserForm, err: FormError) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&NewPage {
        l: layout(
            ctx,
            st,
            "users.new",
            &[("users.title", "/users"), ("users.new", "/users/new")],
        )
        .await,
        f,
        orgs: orgs_for(st, ctx).await?,
        roles: Role::staff_roles().map(|r| r.as_str()).collect(),
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
        UserForm {
            region_code: region,
            ..Default::default()
        },
        FormError::default(),
    )
    .await
}

/// A temporary password the user must change at first sign-in.
fn temporary_password() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..12)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect();
    format!("{body}-7a")
}

fn parse_rid(s: &str) -> AppResult<Option<ResidentId>> {
    match opt(s) {
        None => Ok(None),
        Some(v) => ResidentId::parse(&v)
            .map(Some)
            .map_err(|_| AppError::invalid("resident_id_invalid", "resident_id")),
    }
}

fn parse_org(s: &str) -> AppResult<Option<i64>> {
    match opt(s) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid("invalid_input", "organisation_id")),
    }
}

#[derive(Template)]
#[template(path = "users/created.html")]
struct CreatedPage {
    l: Layout,
    u: User,
    password: String,
}

pub async fn create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    let result: AppResult<(User, String)> = async {
        let region = parse_region(&f.region_code)?;
        ctx.require(Action::Create, Resource::User, region.as_str(), None)?;
        let role = Role::parse(&f.role)
            .filter(|r| *r != Role::Public)
            .ok_or(AppError::invalid("role_invalid", "role"))?;
        let org = parse_org(&f.organisation_id)?;
        if let Some(o) = org {
            let o = st
                .db
                .org(o)
                .await
                .map_err(|_| AppError::invalid("organisation_unknown", "organisation_id"))?;
            ctx.require(
                Action::View,
                Resource::Organisation,
                &o.region_code,
                Some(o.id),
            )?;
        }
        let password = temporary_password();
        let u = st
            .db
            .user_create(
                &ctx.actor,
                &NewUser {
                    region: region.clone(),
                    organisation_id: org,
                    username: f.username.trim().to_lowercase(),
                    display_name: f.display_name.clone(),
                    password_hash: st.hasher.hash(&password),
                    must_change_password: true,
                    resident_id: parse_rid(&f.resident_id)?,
                    phone: opt(&f.phone),
                },
            )
            .await?;
        st.db
            .user_grant(
                &ctx.actor,
                u.id,
                &Grant {
                    role,
                    scope: region,
                    organisation_id: org,
                },
            )
            .await?;
        Ok((st.db.user(u.id).await?, password))
    }
    .await;
    match result {
        Ok((u, password)) => Ok(render(&CreatedPage {
            l: layout(&ctx, &st, "users.created", &[("users.title", "/users")]).await,
            u,
            password,
        })),
        Err(e) if is_form_error(&e) => {
            new_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "users/show.html")]
struct ShowPage {
    l: Layout,
    u: User,
    org_name: String,
    orgs: Vec<Organisation>,
    roles: Vec<&'static str>,
    revealed: Option<(String, String)>,
    temp_password: Option<String>,
    can_update: bool,
    can_manage: bool,
    can_reveal: bool,
    err: FormError,
}

impl ShowPage {
    fn is_org(&self, id: &i64) -> bool {
        self.u.organisation_id == Some(*id)
    }
}

async fn load(st: &AppState, ctx: &Ctx, id: &str, action: Action) -> AppResult<User> {
    let u = st.db.user(parse_id(id)?).await?;
    ctx.require(action, Resource::User, &u.region_code, u.organisation_id)?;
    Ok(u)
}

async fn show_page(
    st: &AppState,
    ctx: &Ctx,
    u: User,
    revealed: Option<(String, String)>,
    temp_password: Option<String>,
    err: FormError,
    flash_msg: Option<String>,
) -> AppResult<Response> {
    let org_name = match u.organisation_id {
        Some(o) => st.db.org(o).await.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let allowed = |a| {
        ctx.require(a, Resource::User, &u.region_code, u.organisation_id)
            .is_ok()
    };
    let mut l = layout(
        ctx,
        st,
        "users.detail",
        &[("users.title", "/users"), ("users.detail", "")],
    )
    .await;
    l.flash = flash_msg;
    let status = err.status();
    let mut r = render(&ShowPage {
        can_update: allowed(Action::Update),
        can_manage: allowed(Action::Manage),
        can_reveal: allowed(Action::Reveal),
        orgs: if allowed(Action::Update) {
            orgs_for(st, ctx).await?
        } else {
            Vec::new()
        },
        roles: Role::staff_roles().map(|r| r.as_str()).collect(),
        l,
        u,
        org_name,
        revealed,
        temp_password,
        err,
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
    let u = load(&st, &ctx, &id, Action::View).await?;
    let msg = flash(&ctx.tr, &q);
    show_page(&st, &ctx, u, None, None, FormError::default(), msg).await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    organisation_id: String,
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    version: String,
}

pub async fn update(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Update).await?;
    let result: AppResult<()> = async {
        let version: i64 = f
            .version
            .parse()
            .map_err(|_| AppError::invalid("invalid_input", "version"))?;
        // Blank identity number or phone on the edit form means "unchanged": the form
        // shows them masked, and retyping a secret to keep it would be absurd.
        let (old_rid, old_phone) = st.db.user_reveal(&ctx.actor, u.id).await?;
        let rid = match parse_rid(&f.resident_id)? {
            Some(r) => Some(r),
            None => old_rid.as_deref().and_then(|r| ResidentId::parse(r).ok()),
        };
        let edit = UserEdit {
            display_name: f.display_name.clone(),
            organisation_id: parse_org(&f.organisation_id)?,
            resident_id: rid,
            phone: opt(&f.phone).or(old_phone),
            locale: if f.locale.is_empty() {
                u.locale.clone()
            } else {
                f.locale.clone()
            },
        };
        st.db.user_update(&ctx.actor, u.id, version, &edit).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/users/{}?ok=saved", u.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            let fresh = st.db.user(u.id).await?;
            show_page(
                &st,
                &ctx,
                fresh,
                None,
                None,
                FormError::from(&ctx.tr, &e),
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn disable(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Manage).await?;
    if Some(u.id) == ctx.user_id() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot_disable_self",
        ));
    }
    st.db.user_set_disabled(&ctx.actor, u.id, true).await?;
    Ok(Redirect::to(&format!("/users/{}?ok=disabled", u.id)).into_response())
}

pub async fn enable(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Manage).await?;
    st.db.user_set_disabled(&ctx.actor, u.id, false).await?;
    Ok(Redirect::to(&format!("/users/{}?ok=enabled", u.id)).into_response())
}

pub async fn reset_password(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Manage).await?;
    let password = temporary_password();
    st.db
        .user_set_password(&ctx.actor, u.id, &st.hasher.hash(&password), true)
        .await?;
    let u = st.db.user(u.id).await?;
    show_page(
        &st,
        &ctx,
        u,
        None,
        Some(password),
        FormError::default(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    organisation_id: String,
}

pub async fn grant(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Manage).await?;
    let result: AppResult<()> = async {
        let role = Role::parse(&f.role)
            .filter(|r| *r != Role::Public)
            .ok_or(AppError::invalid("role_invalid", "role"))?;
        let scope = parse_region(&f.region_code)?;
        // Nobody grants beyond their own jurisdiction.
        ctx.require(Action::Manage, Resource::User, scope.as_str(), None)?;
        st.db
            .user_grant(
                &ctx.actor,
                u.id,
                &Grant {
                    role,
                    scope,
                    organisation_id: parse_org(&f.organisation_id)?,
                },
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/users/{}?ok=granted", u.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            show_page(&st, &ctx, u, None, None, FormError::from(&ctx.tr, &e), None).await
        }
        Err(e) => Err(e),
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<GrantForm>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Manage).await?;
    let role = Role::parse(&f.role).ok_or(AppError::invalid("role_invalid", "role"))?;
    let scope = parse_region(&f.region_code)?;
    ctx.require(Action::Manage, Resource::User, scope.as_str(), None)?;
    st.db.user_revoke(&ctx.actor, u.id, role, &scope).await?;
    Ok(Redirect::to(&format!("/users/{}?ok=revoked", u.id)).into_response())
}

pub async fn reveal(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = load(&st, &ctx, &id, Action::Reveal).await?;
    let (rid, phone) = st.db.user_reveal(&ctx.actor, u.id).await?;
    show_page(
        &st,
        &ctx,
        u,
        Some((rid.unwrap_or_default(), phone.unwrap_or_default())),
        None,
        FormError::default(),
        None,
    )
    .await
}
