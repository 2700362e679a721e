//! Pages anyone can open without an account: the 寻亲公告 notices (only the fields a notice
//! may show), a family's missing-person report, a tip about a notice, and the status of a
//! report by its reference number. Every form here is rate-limited per address and in all.

use super::tracing::{file_report, region_choices, ReportForm};
use super::{opt, parse_id, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use chrono::NaiveDate;
use jiuzhu_domain::tracing::PublicNotice;
use jiuzhu_domain::{RegionCode, Sex};
use jiuzhu_storage::tracing::{NoticeFilter, ReportSource};
use serde::Deserialize;

/// The address a public form counts against: an IPv6 client usually holds a whole /64,
/// so that is one address here.
fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => ip.to_string(),
    }
}

/// `what` keeps look-ups and submissions in separate counts, so checking a reference
/// number does not use up the right to file a report.
pub(crate) fn limited(st: &AppState, ctx: &Ctx, what: &str) -> AppResult<()> {
    if st
        .public_forms
        .allow(&format!("{what}:{}", address_key(&ctx.actor.ip)))
    {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited"))
    }
}

#[derive(Template)]
#[template(path = "public/notices.html")]
struct NoticesPage {
    l: Layout,
    notices: Vec<PublicNotice>,
    pager: Pager,
    q: ListQuery,
    regions: Vec<(String, String)>,
}

impl NoticesPage {
    fn v(&self, k: &str) -> String {
        self.q.get(k).unwrap_or("").to_string()
    }
}

fn num(q: &ListQuery, k: &str) -> Option<u32> {
    q.get(k).and_then(|v| v.trim().parse().ok())
}

fn day(q: &ListQuery, k: &str) -> Option<NaiveDate> {
    q.get(k).and_then(jiuzhu_domain::time::parse_day)
}

pub async fn notices(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let f = NoticeFilter {
        id: None,
        q: q.q.clone(),
        sex: q.get("sex").and_then(Sex::parse),
        age_min: num(&q, "age_min"),
        age_max: num(&q, "age_max"),
        height_min: num(&q, "height_min"),
        height_max: num(&q, "height_max"),
        region: q.get("region").and_then(|r| RegionCode::parse(r).ok()),
        found_from: day(&q, "from"),
        found_to: day(&q, "to"),
    };
    let page = st.db.public_notices(&f, q.page()).await?;
    let l = layout(&ctx, &st, "notices.title", &[("notices.title", "")]).await;
    Ok(render(&NoticesPage {
        pager: Pager::new(
            &page,
            "/notices",
            &q.keep(&[
                "sex",
                "age_min",
                "age_max",
                "height_min",
                "height_max",
                "region",
                "from",
                "to",
            ]),
        ),
        notices: page.items,
        regions: region_choices(&st).await?,
        q,
        l,
    }))
}

#[derive(Template)]
#[template(path = "public/notice.html")]
struct NoticePage {
    l: Layout,
    n: PublicNotice,
    err: FormError,
    message: String,
    contact: String,
    sent: Option<String>,
}

async fn notice_page(
    st: &AppState,
    ctx: &Ctx,
    n: PublicNotice,
    err: FormError,
    message: String,
    contact: String,
    sent: Option<String>,
) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&NoticePage {
        l: layout(
            ctx,
            st,
            "notices.detail",
            &[("notices.title", "/notices"), ("notices.detail", "")],
        )
        .await,
        n,
        err,
        message,
        contact,
        sent,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn notice(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let n = st.db.public_notice(parse_id(&id)?).await?;
    notice_page(
        &st,
        &ctx,
        n,
        FormError::default(),
        String::new(),
        String::new(),
        None,
    )
    .await
}

async fn notice_photo(st: &AppState, id: &str, thumb: bool) -> AppResult<Response> {
    // Only a case with a public notice shows its photo.
    let n = st.db.public_notice(parse_id(id)?).await?;
    let jpeg = st
        .db
        .photo(n.id, thumb)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(crate::photo::response(jpeg))
}

pub async fn photo(
    State(st): State<AppState>,
    Extension(_ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    notice_photo(&st, &id, false).await
}

pub async fn thumb(
    State(st): State<AppState>,
    Extension(_ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    notice_photo(&st, &id, true).await
}

#[derive(Deserialize, Default)]
pub struct TipForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    website: String,
}

pub async fn tip(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<TipForm>,
) -> AppResult<Response> {
    limited(&st, &ctx, "submit")?;
    let n = st.db.public_notice(parse_id(&id)?).await?;
    if !f.website.is_empty() {
        return Err(AppError::new(StatusCode::BAD_REQUEST, "invalid_input"));
    }
    match st
        .db
        .tip_create(&ctx.actor, n.id, &f.message, opt(&f.contact).as_deref())
        .await
    {
        Ok(ref_no) => {
            notice_page(
                &st,
                &ctx,
                n,
                FormError::default(),
                String::new(),
                String::new(),
                Some(ref_no),
            )
            .await
        }
        Err(e) => {
            let e = AppError::from(e);
            if e.status != StatusCode::UNPROCESSABLE_ENTITY {
                return Err(e);
            }
            notice_page(
                &st,
                &ctx,
                n,
                FormError::from(&ctx.tr, &e),
                f.message,
                f.contact,
                None,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "tracing/report_new.html")]
struct SeekPage {
    l: Layout,
    f: ReportForm,
    err: FormError,
    regions: Vec<(String, String)>,
    public: bool,
    action: &'static str,
}

async fn seek_page(st: &AppState, ctx: &Ctx, f: ReportForm, err: FormError) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&SeekPage {
        l: layout(ctx, st, "seek.title", &[("seek.title", "")]).await,
        f,
        err,
        regions: region_choices(st).await?,
        public: true,
        action: "/seek",
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn seek_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    seek_page(&st, &ctx, ReportForm::default(), FormError::default()).await
}

#[derive(Template)]
#[template(path = "public/seek_done.html")]
struct SeekDone {
    l: Layout,
    ref_no: String,
}

pub async fn seek(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<ReportForm>,
) -> AppResult<Response> {
    limited(&st, &ctx, "submit")?;
    if !f.website.is_empty() {
        return Err(AppError::new(StatusCode::BAD_REQUEST, "invalid_input"));
    }
    let result = async {
        let input = f.input()?;
        file_report(&st, &ctx, ReportSource::Public, &input).await
    }
    .await;
    match result {
        Ok(r) => Ok(render(&SeekDone {
            l: layout(
                &ctx,
                &st,
                "seek.done",
                &[("seek.title", "/seek"), ("seek.done", "")],
            )
            .await,
            ref_no: r.ref_no,
        })),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            seek_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "public/status.html")]
struct StatusPage {
    l: Layout,
    ref_no: String,
    status: Option<String>,
    updated: String,
    searched: bool,
}

pub async fn status(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let ref_no = q.get("ref").unwrap_or("").trim().to_string();
    let searched = !ref_no.is_empty();
    let found = if searched {
        // Lookups are limited too: reference numbers must not be guessable by brute force.
        limited(&st, &ctx, "lookup")?;
        st.db.report_lookup(&ref_no).await?
    } else {
        None
    };
    Ok(render(&StatusPage {
        l: layout(&ctx, &st, "seek.status", &[("seek.status", "")]).await,
        status: found.as_ref().map(|f| f.status.clone()),
        updated: found
            .map(|f| jiuzhu_domain::time::display_millis(f.updated_at))
            .unwrap_or_default(),
        ref_no,
        searched,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn an_ipv6_client_counts_as_its_slash_64() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7"), "::ffff:203.0.113.7");
    }
}
