//! 个人中心: my profile, password and API tokens.

use super::{flash, is_form_error, opt, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::{password, ResidentId};
use jiuzhu_storage::sessions::{ApiToken, TokenScope};
use jiuzhu_storage::users::{User, UserEdit};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    l: Layout,
    u: Arc<User>,
    must_change: bool,
    tokens: Vec<ApiToken>,
    scopes: Vec<String>,
    new_token: Option<String>,
    err: FormError,
}

fn me(ctx: &Ctx) -> AppResult<Arc<User>> {
    ctx.user.clone().ok_or_else(AppError::unauthenticated)
}

/// Scopes a token may be given: what its user may do, read and write.
fn grantable_scopes(ctx: &Ctx) -> Vec<String> {
    let mut out = Vec::new();
    for r in Resource::ALL {
        for a in [Action::View, Action::Create, Action::Update, Action::Export] {
            if *r != Resource::PublicPage && *r != Resource::Profile && ctx.can(a, *r) {
                out.push(
                    TokenScope {
                        action: a,
                        resource: *r,
                    }
                    .to_string(),
                );
            }
        }
    }
    out
}

async fn render_profile(
    st: &AppState,
    ctx: &Ctx,
    must_change: bool,
    new_token: Option<String>,
    err: FormError,
    flash_msg: Option<String>,
) -> AppResult<Response> {
    let u = me(ctx)?;
    let tokens = st.db.tokens_of(u.id).await?;
    let mut l = layout(ctx, st, "profile.title", &[("profile.title", "/profile")]).await;
    l.flash = flash_msg;
    let status = err.status();
    let mut r = render(&ProfilePage {
        l,
        u: u.clone(),
        must_change: must_change || u.must_change_password,
        tokens,
        scopes: grantable_scopes(ctx),
        new_token,
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn page(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let msg = flash(&ctx.tr, &q);
    render_profile(
        &st,
        &ctx,
        q.get("must_change").is_some(),
        None,
        FormError::default(),
        msg,
    )
    .await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
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
    Form(f): Form<ProfileForm>,
) -> AppResult<Response> {
    let u = me(&ctx)?;
    let version: i64 = f
        .version
        .parse()
        .map_err(|_| AppError::invalid("invalid_input", "version"))?;
    // Keep the identity number as it is: people cannot change their own.
    let (rid, _) = st.db.user_reveal(&ctx.actor, u.id).await?;
    let edit = UserEdit {
        display_name: f.display_name,
        organisation_id: u.organisation_id,
        resident_id: rid.as_deref().and_then(|r| ResidentId::parse(r).ok()),
        phone: opt(&f.phone),
        locale: if f.locale.is_empty() {
            u.locale.clone()
        } else {
            f.locale
        },
    };
    match st.db.user_update(&ctx.actor, u.id, version, &edit).await {
        Ok(_) => Ok(Redirect::to("/profile?ok=saved").into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if is_form_error(&e) {
                render_profile(&st, &ctx, false, None, FormError::from(&ctx.tr, &e), None).await
            } else {
                Err(e)
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let u = me(&ctx)?;
    let fail = |code: &'static str, field: &'static str| {
        let err = FormError::from(&ctx.tr, &AppError::invalid(code, field));
        render_profile(&st, &ctx, u.must_change_password, None, err, None)
    };
    let (_, hash) = st
        .db
        .user_for_login(&u.username)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !st.hasher.verify(&f.current, &hash) {
        return fail("password_wrong", "current").await;
    }
    if f.new_password != f.confirm {
        return fail("password_mismatch", "confirm").await;
    }
    if f.new_password == f.current {
        return fail("password_unchanged", "new_password").await;
    }
    if let Err(e) = password::check(&f.new_password, &u.username) {
        let code: &'static str = match e {
            password::PasswordError::TooShort => "password_too_short",
            password::PasswordError::TooLong => "password_too_long",
            password::PasswordError::TooSimple => "password_too_simple",
            password::PasswordError::ContainsUsername => "password_contains_username",
        };
        return fail(code, "new_password").await;
    }
    st.db
        .user_set_password(&ctx.actor, u.id, &st.hasher.hash(&f.new_password), false)
        .await?;
    // Changing the password ended every session, this one too: sign in again.
    Ok(Redirect::to("/login?next=/profile").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    days: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let u = me(&ctx)?;
    // Several `scopes` checkboxes arrive as repeated keys.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::invalid("invalid_input", "scopes"))?;
    let mut f = TokenForm {
        name: String::new(),
        scopes: String::new(),
        days: String::new(),
    };
    let mut chosen = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => f.name = v,
            "scopes" => chosen.push(v),
            "days" => f.days = v,
            _ => {}
        }
    }
    f.scopes = chosen.join(" ");
    let allowed = grantable_scopes(&ctx);
    let scopes: Vec<TokenScope> = chosen
        .iter()
        .filter(|s| allowed.contains(s))
        .filter_map(|s| TokenScope::parse(s))
        .collect();
    if scopes.len() != chosen.len() {
        return Err(AppError::forbidden());
    }
    let days: i64 = f.days.parse().unwrap_or(90).clamp(1, 365);
    let expires = jiuzhu_storage::now_ms() + days * 86_400_000;
    match st
        .db
        .token_create(&ctx.actor, u.id, &f.name, &scopes, Some(expires))
        .await
    {
        Ok((token, _)) => {
            render_profile(
                &st,
                &ctx,
                false,
                Some(token),
                FormError::default(),
                Some(ctx.tr.t("flash.token_created")),
            )
            .await
        }
        Err(e) => {
            let mut e = AppError::from(e);
            if e.code == "token_scope_required" {
                e.field = Some("scopes");
            }
            render_profile(&st, &ctx, false, None, FormError::from(&ctx.tr, &e), None).await
        }
    }
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let u = me(&ctx)?;
    st.db.token_revoke(&ctx.actor, u.id, parse_id(&id)?).await?;
    Ok(Redirect::to("/profile?ok=token_revoked").into_response())
}
