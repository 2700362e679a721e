//! 登录: signing in and out, and the language switch.

use super::FormError;
use crate::error::AppError;
use crate::guard::{set_cookie, Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::i18n::Locale;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use jiuzhu_storage::audit::Event;
use jiuzhu_storage::now_ms;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    username: String,
    next: String,
    err: FormError,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after sign-in.
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".into(),
    }
}

pub async fn login_page(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<LoginQuery>,
) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        l: layout(&ctx, &st, "login.title", &[]).await,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        err: FormError::default(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let username = f.username.trim().to_lowercase();
    let next = safe_next(Some(&f.next));
    let typed: String = f.username.chars().take(64).collect();
    let fail = |code: &'static str, status: StatusCode| {
        refused(&st, &ctx, typed.clone(), next.clone(), code, status)
    };
    let ip = ctx.actor.ip.clone();
    match st.db.login_failures(&ip, st.cfg.ip_window_ms).await {
        Ok(n) if n >= st.cfg.ip_failure_limit => {
            return fail("too_many_attempts", StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(e) => return AppError::from(e).into_response(),
        _ => {}
    }
    let found = match st.db.user_for_login(&username).await {
        Ok(f) => f,
        Err(e) => return AppError::from(e).into_response(),
    };
    let Some((user, hash)) = found else {
        st.hasher.dummy_verify(&f.password);
        let _ = st
            .db
            .login_attempt(&username, &ip, false, st.cfg.ip_window_ms)
            .await;
        return fail("login_failed", StatusCode::UNAUTHORIZED).await;
    };
    if user.locked_until.is_some_and(|t| t > now_ms()) {
        return fail("account_locked", StatusCode::FORBIDDEN).await;
    }
    if user.disabled || !st.hasher.verify(&f.password, &hash) {
        let _ = st
            .db
            .login_attempt(&username, &ip, false, st.cfg.ip_window_ms)
            .await;
        if !user.disabled {
            if let Ok(true) = st
                .db
                .user_login_failed(user.id, st.cfg.lockout_after, now_ms() + st.cfg.lockout_ms)
                .await
            {
                return fail("account_locked", StatusCode::FORBIDDEN).await;
            }
        }
        return fail("login_failed", StatusCode::UNAUTHORIZED).await;
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (token, _) = match st
        .db
        .session_create(user.id, &user.region_code, &ip, ua, st.cfg.session)
        .await
    {
        Ok(s) => s,
        Err(e) => return AppError::from(e).into_response(),
    };
    let _ = st
        .db
        .login_attempt(&username, &ip, true, st.cfg.ip_window_ms)
        .await;
    let _ = st.db.user_login_succeeded(user.id).await;
    let mut actor = ctx.actor.clone();
    actor.user_id = Some(user.id);
    actor.name = user.username.clone();
    if let Ok(region) = jiuzhu_domain::RegionCode::try_from(user.region_code.clone()) {
        let _ = st
            .db
            .audit_event(
                &actor,
                Event {
                    action: "user.login",
                    record_kind: "user",
                    record_id: user.id.to_string(),
                    region: &region,
                    changes: vec![],
                },
            )
            .await;
    }
    let dest = if user.must_change_password {
        "/profile?must_change=1".to_string()
    } else if next == "/" {
        crate::views::start_page(&user.principal()).to_string()
    } else {
        next.clone()
    };
    let mut r = Redirect::to(&dest).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, None, st.cfg.secure_cookies, true),
    );
    r
}

async fn refused(
    st: &AppState,
    ctx: &Ctx,
    username: String,
    next: String,
    code: &'static str,
    status: StatusCode,
) -> Response {
    let err = FormError::from(&ctx.tr, &AppError::new(status, code));
    let mut r = render(&LoginPage {
        l: layout(ctx, st, "login.title", &[]).await,
        username,
        next,
        err,
    });
    *r.status_mut() = status;
    r
}

pub async fn logout(State(st): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    if let Some(t) = &ctx.session_token {
        let _ = st.db.session_delete(t).await;
    }
    if let Some(u) = &ctx.user {
        if let Ok(region) = jiuzhu_domain::RegionCode::try_from(u.region_code.clone()) {
            let _ = st
                .db
                .audit_event(
                    &ctx.actor,
                    Event {
                        action: "user.logout",
                        record_kind: "user",
                        record_id: u.id.to_string(),
                        region: &region,
                        changes: vec![],
                    },
                )
                .await;
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), st.cfg.secure_cookies, true),
    );
    r
}

/// 中文 / English. Remembered in a cookie; returns to the page the switch was on.
pub async fn switch_lang(
    State(st): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(locale) = Locale::parse(&code) else {
        return AppError::not_found().into_response();
    };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&safe_next(Some(&back))).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            locale.code(),
            Some(365 * 86400),
            st.cfg.secure_cookies,
            false,
        ),
    );
    r
}
