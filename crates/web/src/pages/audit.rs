//! 审计日志 and 敏感信息查看日志, for the auditor.

use super::ListQuery;
use crate::error::AppResult;
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use chrono::NaiveDate;
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_storage::audit::{AccessEntry, AuditEntry, AuditFilter, ChainVerdict};

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    l: Layout,
    entries: Vec<AuditEntry>,
    pager: Pager,
    q: String,
    from: String,
    to: String,
    kind: String,
    can_verify: bool,
}

/// `2026-11-23` in Shanghai → the UTC millisecond that day starts.
fn day_start_ms(s: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = d
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(jiuzhu_domain::time::shanghai())
        .single()?;
    Some(t.timestamp_millis())
}

pub fn filter_of(q: &ListQuery) -> AuditFilter {
    AuditFilter {
        q: q.q.clone(),
        record_kind: q.get("kind").map(str::to_string),
        record_id: q.get("record").map(str::to_string),
        actor_user_id: q.get("actor").and_then(|a| a.parse().ok()),
        from_ms: q.get("from").and_then(day_start_ms),
        to_ms: q.get("to").and_then(day_start_ms).map(|t| t + 86_400_000),
    }
}

pub async fn audit_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::AuditLog);
    let page = st
        .db
        .audit_list(&scopes, &filter_of(&q), &q.sort(), q.page())
        .await?;
    let keep = q.keep(&["kind", "record", "from", "to"]);
    Ok(render(&AuditPage {
        l: layout(&ctx, &st, "audit.title", &[("audit.title", "/audit")]).await,
        pager: Pager::new(&page, "/audit", &keep),
        entries: page.items,
        q: q.q.clone(),
        from: q.get("from").unwrap_or("").into(),
        to: q.get("to").unwrap_or("").into(),
        kind: q.get("kind").unwrap_or("").into(),
        can_verify: ctx.can(Action::Verify, Resource::AuditLog),
    }))
}

#[derive(Template)]
#[template(path = "audit/verify.html")]
struct VerifyPage {
    l: Layout,
    intact: bool,
    entries: i64,
    broken_seq: i64,
    reason: String,
}

pub async fn verify(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let verdict = st.db.audit_verify().await?;
    let (intact, entries, broken_seq, reason) = match verdict {
        ChainVerdict::Intact { entries } => (true, entries, 0, String::new()),
        ChainVerdict::Broken { seq, reason } => {
            (false, 0, seq, ctx.tr.t(&format!("audit.broken.{reason}")))
        }
    };
    Ok(render(&VerifyPage {
        l: layout(
            &ctx,
            &st,
            "audit.verify",
            &[("audit.title", "/audit"), ("audit.verify", "")],
        )
        .await,
        intact,
        entries,
        broken_seq,
        reason,
    }))
}

#[derive(Template)]
#[template(path = "audit/access.html")]
struct AccessPage {
    l: Layout,
    entries: Vec<AccessEntry>,
    pager: Pager,
    q: String,
}

pub async fn access_list(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::AccessLog);
    let page = st
        .db
        .access_list(&scopes, &filter_of(&q), &q.sort(), q.page())
        .await?;
    let keep = q.keep(&["kind", "record"]);
    Ok(render(&AccessPage {
        l: layout(
            &ctx,
            &st,
            "access.title",
            &[("access.title", "/access-log")],
        )
        .await,
        pager: Pager::new(&page, "/access-log", &keep),
        entries: page.items,
        q: q.q.clone(),
    }))
}
