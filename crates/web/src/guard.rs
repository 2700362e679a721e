//! The guard: the single door every request passes through.

use crate::error::{AppError, AppResult, ErrorMark};
use crate::i18n::{Locale, Tr};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_domain::authz::{decide, Action, Decision, Principal, Resource, Target};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::sessions::ApiToken;
use jiuzhu_storage::users::User;
use jiuzhu_storage::Actor;
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "jz_session";
pub const CSRF_COOKIE: &str = "jz_csrf";
pub const LANG_COOKIE: &str = "jz_lang";
/// Largest request body accepted anywhere (forms and JSON). Uploads get their own limit.
pub const BODY_LIMIT: usize = 256 * 1024;

/// A stored record's region; one that does not parse was changed behind our back and is
/// reachable by nobody.
fn record_region(region: &str) -> AppResult<RegionCode> {
    RegionCode::try_from(region.to_string()).map_err(|_| AppError::forbidden())
}

/// Everything a handler knows about the caller. Only the guard builds one.
#[derive(Clone)]
#[non_exhaustive]
pub struct Ctx {
    pub principal: Principal,
    pub user: Option<Arc<User>>,
    pub token: Option<ApiToken>,
    /// The CSRF token every form of this page must send back.
    pub csrf: String,
    pub tr: Tr,
    pub actor: Actor,
    pub request_id: String,
    pub api: bool,
    pub path: String,
    pub session_token: Option<String>,
}

impl Ctx {
    /// The decision for one action on one target, including an API token's narrower scope.
    pub fn allows(&self, action: Action, resource: Resource, target: Target<'_>) -> bool {
        decide(&self.principal, action, resource, target) == Decision::Allow
            && self
                .token
                .as_ref()
                .is_none_or(|t| t.allows(action, resource))
    }

    /// Whether the caller may do this anywhere: for showing a menu item or a button.
    pub fn can(&self, action: Action, resource: Resource) -> bool {
        self.allows(action, resource, Target::Anywhere)
    }

    /// Refuses unless the caller may do `action` on a record in `region` (and `org`).
    pub fn require(
        &self,
        action: Action,
        resource: Resource,
        region: &str,
        org: Option<i64>,
    ) -> AppResult<()> {
        let region = record_region(region)?;
        self.require_target(
            action,
            resource,
            Target::Record {
                region: &region,
                organisation_id: org,
            },
        )
    }

    /// As [`Ctx::require`], for a record its owner shared with other jurisdictions: they
    /// may read it (the rule is `authz::decide`'s, like every other).
    pub fn require_shared(
        &self,
        action: Action,
        resource: Resource,
        region: &str,
        org: Option<i64>,
        shared_with: &[RegionCode],
    ) -> AppResult<()> {
        let region = record_region(region)?;
        self.require_target(
            action,
            resource,
            Target::Shared {
                region: &region,
                organisation_id: org,
                shared_with,
            },
        )
    }

    fn require_target(
        &self,
        action: Action,
        resource: Resource,
        target: Target<'_>,
    ) -> AppResult<()> {
        if self.allows(action, resource, target) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    /// The jurisdiction subtrees to filter a list by. Empty means nothing is visible.
    pub fn scopes(&self, action: Action, resource: Resource) -> Vec<RegionCode> {
        if self
            .token
            .as_ref()
            .is_some_and(|t| !t.allows(action, resource))
        {
            return Vec::new();
        }
        self.principal.scopes_for(action, resource)
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }
}

/// What the guard needs to know about the route it protects.
#[derive(Clone)]
pub struct GuardSpec {
    pub state: AppState,
    pub action: Action,
    pub resource: Resource,
    pub api: bool,
    /// Reachable while the password must still be changed (profile, sign-out).
    pub before_password_change: bool,
    /// Largest request body (photo uploads need more than forms).
    pub body_limit: usize,
}

pub fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    cookies(headers).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly unless it must be read by script, SameSite=Lax, and
/// Secure when the site is served over TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&s).expect("cookie values are ASCII tokens")
}

fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(xff) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            // The last entry is the one our proxy appended; earlier ones are whatever the
            // client chose to send.
            if let Some(last) = xff.rsplit(',').next().filter(|v| !v.trim().is_empty()) {
                return last.trim().chars().take(45).collect();
            }
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Pages: the language switch, then the account's setting, then the browser's. API
/// calls: an explicit `Accept-Language` wins, since a client sends it on purpose.
fn choose_locale(headers: &HeaderMap, user: Option<&User>, api: bool) -> Locale {
    let header = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::from_accept_language)
    };
    let account = || user.and_then(|u| Locale::parse(&u.locale));
    let chosen = cookie(headers, LANG_COOKIE).and_then(Locale::parse);
    let found = if api {
        header().or(chosen).or_else(account)
    } else {
        chosen.or_else(account).or_else(header)
    };
    found.unwrap_or_default()
}

pub async fn guard(State(spec): State<Arc<GuardSpec>>, req: Request, next: Next) -> Response {
    let st = &spec.state;
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let ip = client_ip(&req, st.cfg.trust_proxy);
    let path = req.uri().path().to_string();
    let span =
        tracing::info_span!("request", id = %request_id, method = %req.method(), path = %path);
    let _enter = span.enter();

    // Who is asking: an API token, a session cookie, or nobody.
    let headers = req.headers().clone();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut user: Option<User> = None;
    let mut token: Option<ApiToken> = None;
    let mut session_csrf: Option<String> = None;
    let mut session_token: Option<String> = None;
    let mut bad_bearer = false;
    if let Some(b) = &bearer {
        match st.db.token_lookup(b).await {
            Ok(Some(t)) => match st.db.user(t.user_id).await {
                Ok(u) if !u.disabled => {
                    user = Some(u);
                    token = Some(t);
                }
                _ => bad_bearer = true,
            },
            Ok(None) => bad_bearer = true,
            Err(e) => return internal(e),
        }
    } else if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        match st.db.session_get(c, st.cfg.session).await {
            Ok(Some(s)) => match st.db.user(s.user_id).await {
                Ok(u) if !u.disabled => {
                    user = Some(u);
                    session_csrf = Some(s.csrf_token);
                    session_token = Some(c.to_string());
                }
                _ => {}
            },
            Ok(None) => {}
            Err(e) => return internal(e),
        }
    }
    let tr = Tr::new(choose_locale(&headers, user.as_ref(), spec.api));
    let principal = user
        .as_ref()
        .map(User::principal)
        .unwrap_or_else(Principal::anonymous);
    let actor = Actor {
        user_id: user.as_ref().map(|u| u.id),
        name: user
            .as_ref()
            .map(|u| u.username.clone())
            .unwrap_or_else(|| "anonymous".into()),
        ip: ip.clone(),
        request_id: request_id.clone(),
    };
    // Anonymous visitors get a CSRF cookie (double submit) so the sign-in and public forms
    // are protected too.
    let mut new_csrf_cookie = None;
    let csrf = match &session_csrf {
        Some(c) => c.clone(),
        None => match cookie(&headers, CSRF_COOKIE) {
            Some(c) if c.len() >= 32 => c.to_string(),
            _ => {
                let c = jiuzhu_storage::crypto::random_token();
                new_csrf_cookie = Some(c.clone());
                c
            }
        },
    };
    let ctx = Ctx {
        principal,
        user: user.map(Arc::new),
        token,
        csrf,
        tr,
        actor,
        request_id: request_id.clone(),
        api: spec.api,
        path: path.clone(),
        session_token,
    };

    let mut req = req;
    let result: Result<(), AppError> = async {
        if bad_bearer {
            return Err(AppError::unauthenticated());
        }
        // CSRF: every state-changing request made with a cookie must echo the token.
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        // Uploads (a limit above the form limit) are not buffered here: their token must come
        // in the header, so an anonymous client cannot make the server hold megabytes
        // before being refused. The handler reads the body after every check has passed.
        if unsafe_method && ctx.token.is_none() && spec.body_limit > BODY_LIMIT {
            let sent = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !bool::from(sent.as_bytes().ct_eq(ctx.csrf.as_bytes())) {
                return Err(AppError::new(StatusCode::FORBIDDEN, "csrf_failed"));
            }
        } else if unsafe_method && ctx.token.is_none() {
            let (parts, body) = std::mem::take(&mut req).into_parts();
            let bytes = axum::body::to_bytes(body, spec.body_limit)
                .await
                .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large"))?;
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| {
                    let is_form = parts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
                    is_form
                        .then(|| serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).ok())
                        .flatten()
                        .and_then(|pairs| {
                            pairs
                                .into_iter()
                                .find(|(k, _)| k == "_csrf")
                                .map(|(_, v)| v)
                        })
                });
            let ok = sent.is_some_and(|s| bool::from(s.as_bytes().ct_eq(ctx.csrf.as_bytes())));
            req = Request::from_parts(parts, Body::from(bytes));
            if !ok {
                return Err(AppError::new(StatusCode::FORBIDDEN, "csrf_failed"));
            }
        }
        if let Some(u) = &ctx.user {
            if u.must_change_password && !spec.before_password_change && ctx.token.is_none() {
                return Err(AppError::new(StatusCode::SEE_OTHER, "must_change_password"));
            }
        }
        match decide(&ctx.principal, spec.action, spec.resource, Target::Anywhere) {
            Decision::Allow
                if ctx
                    .token
                    .as_ref()
                    .is_none_or(|t| t.allows(spec.action, spec.resource)) =>
            {
                Ok(())
            }
            Decision::NeedsLogin => Err(AppError::unauthenticated()),
            _ => Err(AppError::forbidden()),
        }
    }
    .await;

    let mut resp = match result {
        Ok(()) => {
            req.extensions_mut().insert(ctx.clone());
            next.run(req).await
        }
        Err(e) if e.code == "must_change_password" => {
            Redirect::to("/profile?must_change=1").into_response()
        }
        Err(e) if e.code == "unauthenticated" && !spec.api => {
            let next_path = if *headers
                .get("hx-request")
                .map(|v| v.as_bytes())
                .unwrap_or(b"")
                == *b"true"
            {
                "/"
            } else {
                path.as_str()
            };
            Redirect::to(&format!("/login?next={}", urlencode(next_path))).into_response()
        }
        Err(e) => e.into_response(),
    };
    if let Some(ErrorMark(err)) = resp.extensions_mut().remove::<ErrorMark>() {
        if err.status.is_server_error() {
            tracing::error!(code = err.code, "request failed");
        } else {
            tracing::info!(code = err.code, status = %err.status, "request refused");
        }
        resp = render_error(&ctx, &err);
    }
    if let Some(c) = new_csrf_cookie {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &c, None, st.cfg.secure_cookies, true),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

fn internal(e: jiuzhu_storage::StoreError) -> Response {
    tracing::error!(error = %e, "authentication lookup failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal").into_response()
}

/// An error as JSON for the API, or as a page in the caller's language.
pub fn render_error(ctx: &Ctx, err: &AppError) -> Response {
    if ctx.api {
        let body = serde_json::json!({
            "error": {
                "code": err.code,
                "message": ctx.tr.error(err.code),
                "field": err.field,
                "request_id": ctx.request_id,
            }
        });
        (err.status, axum::Json(body)).into_response()
    } else {
        crate::views::error_page(ctx, err)
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|v| v[1..].to_string())
        .unwrap_or_default()
}
