//! 行政区划: the region tree, opened level by level.

use super::ListQuery;
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::regions::Region;
use jiuzhu_storage::Page;

#[derive(Template)]
#[template(path = "regions/tree.html")]
struct TreePage {
    l: Layout,
    roots: Vec<Region>,
    q: String,
    results: Vec<Region>,
}

#[derive(Template)]
#[template(path = "regions/children.html")]
struct Children {
    l: Layout,
    items: Vec<Region>,
}

/// The top of the tree is the caller's own jurisdictions.
pub async fn tree(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scopes = ctx.scopes(Action::View, Resource::Region);
    let mut roots = Vec::new();
    for s in &scopes {
        if s.is_nation() {
            roots.extend(st.db.region_children(None).await?);
        } else if let Ok(r) = st.db.region(s).await {
            roots.push(r);
        }
    }
    let results = if q.q.trim().is_empty() {
        Vec::new()
    } else {
        st.db
            .regions_list(&scopes, &q.q, &q.sort(), Page::new(Some(1), Some(50)))
            .await?
            .items
    };
    Ok(render(&TreePage {
        l: layout(&ctx, &st, "regions.title", &[("regions.title", "/regions")]).await,
        roots,
        q: q.q.clone(),
        results,
    }))
}

pub async fn children(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let code = RegionCode::parse(&code).map_err(|_| AppError::not_found())?;
    ctx.require(Action::View, Resource::Region, code.as_str(), None)?;
    let items = st.db.region_children(Some(&code)).await?;
    Ok(render(&Children {
        l: layout(&ctx, &st, "regions.title", &[]).await,
        items,
    }))
}
