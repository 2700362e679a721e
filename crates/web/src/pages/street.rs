//! Public street pages: anyone can report someone who needs help (a place picked on the map
//! or typed), read what happened by the reference number, and find the nearest rescue post
//! or the station. Forms are rate-limited per address and in all, like the other public forms.

use super::outreach::{file_sighting, SightingForm, POST_SERVICES};
use super::public::limited;
use super::tracing::region_choices;
use super::{FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use jiuzhu_domain::outreach::public_outcome;

#[derive(Template)]
#[template(path = "public/street_report.html")]
struct ReportPage {
    l: Layout,
    f: SightingForm,
    err: FormError,
    regions: Vec<(String, String)>,
}

async fn report_page(
    st: &AppState,
    ctx: &Ctx,
    f: SightingForm,
    err: FormError,
) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&ReportPage {
        l: layout(ctx, st, "street.title", &[("street.title", "")]).await,
        f,
        err,
        regions: region_choices(st).await?,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn report_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let f = SightingForm {
        people_count: "1".into(),
        ..Default::default()
    };
    report_page(&st, &ctx, f, FormError::default()).await
}

#[derive(Template)]
#[template(path = "public/street_done.html")]
struct DonePage {
    l: Layout,
    reference: String,
}

pub async fn report(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<SightingForm>,
) -> AppResult<Response> {
    limited(&st, &ctx, "submit")?;
    if !f.website.is_empty() {
        return Err(AppError::new(StatusCode::BAD_REQUEST, "invalid_input"));
    }
    let result = async {
        let input = f.input(&st, true)?;
        file_sighting(&st, &ctx, &input).await
    }
    .await;
    match result {
        Ok(s) => Ok(render(&DonePage {
            l: layout(
                &ctx,
                &st,
                "street.done",
                &[("street.title", "/street/report"), ("street.done", "")],
            )
            .await,
            reference: s.reference,
        })),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            report_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "public/street_status.html")]
struct StatusPage {
    l: Layout,
    reference: String,
    outcome: Option<&'static str>,
    reported: String,
    updated: String,
    searched: bool,
}

pub async fn status(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let reference = q.get("ref").unwrap_or("").trim().to_string();
    let searched = !reference.is_empty();
    let found = if searched {
        limited(&st, &ctx, "lookup")?;
        st.db.sighting_lookup(&reference).await?
    } else {
        None
    };
    Ok(render(&StatusPage {
        l: layout(&ctx, &st, "street.status", &[("street.status", "")]).await,
        outcome: found.as_ref().map(|f| public_outcome(f.status, f.outcome)),
        reported: found
            .as_ref()
            .map(|f| jiuzhu_domain::time::display_millis(f.reported_at))
            .unwrap_or_default(),
        updated: found
            .as_ref()
            .map(|f| jiuzhu_domain::time::display_millis(f.updated_at))
            .unwrap_or_default(),
        reference,
        searched,
    })
    .into_response())
}

#[derive(serde::Serialize)]
struct PublicPost {
    name: String,
    lat: f64,
    lng: f64,
    station: bool,
    address: String,
    hours: String,
    services: Vec<String>,
}

#[derive(Template)]
#[template(path = "public/posts.html")]
struct PostsPage {
    l: Layout,
    posts: String,
    count: usize,
    services: Vec<(String, String)>,
}

/// Every post and the station as markers; the phone's position (asked in the browser,
/// never sent) picks the nearest, and a link opens the navigation app.
pub async fn posts(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let all = st.db.posts_all().await?;
    let posts: Vec<PublicPost> = all
        .iter()
        .map(|p| PublicPost {
            name: p.name.clone(),
            lat: p.lat,
            lng: p.lng,
            station: p.partner_kind == "rescue_station",
            address: p.address.clone(),
            hours: p.hours.clone(),
            services: p
                .services
                .split(',')
                .filter(|s| POST_SERVICES.contains(s))
                .map(|s| ctx.tr.t(&format!("post_service.{s}")))
                .collect(),
        })
        .collect();
    Ok(render(&PostsPage {
        l: layout(&ctx, &st, "street.posts", &[("street.posts", "")]).await,
        count: posts.len(),
        posts: serde_json::to_string(&posts).unwrap_or_else(|_| "[]".into()),
        services: POST_SERVICES
            .iter()
            .map(|s| (s.to_string(), ctx.tr.t(&format!("post_service.{s}"))))
            .collect(),
    }))
}
