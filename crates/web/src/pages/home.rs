//! 首页: counts for the caller's jurisdiction and a first chart.

use crate::error::AppResult;
use crate::guard::Ctx;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_storage::orgs::{OrgFilter, OrgKind};
use jiuzhu_storage::users::UserFilter;
use jiuzhu_storage::{Page, Sort};

pub struct Card {
    pub label: String,
    pub value: i64,
    pub href: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    l: Layout,
    cards: Vec<Card>,
    /// Organisations by kind, as JSON for the chart script.
    chart: String,
}

pub async fn home(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let tr = ctx.tr;
    let one = Page::new(Some(1), Some(1));
    let mut cards = Vec::new();
    let mut chart_rows = Vec::new();
    if ctx.can(Action::View, Resource::Organisation) {
        let scopes = ctx.scopes(Action::View, Resource::Organisation);
        let all = st
            .db
            .orgs_list(&scopes, &OrgFilter::default(), &Sort::default(), one)
            .await?;
        cards.push(Card {
            label: tr.t("home.orgs"),
            value: all.total,
            href: "/orgs",
        });
        for kind in OrgKind::ALL {
            let n = st
                .db
                .orgs_list(
                    &scopes,
                    &OrgFilter {
                        kind: Some(*kind),
                        ..Default::default()
                    },
                    &Sort::default(),
                    one,
                )
                .await?
                .total;
            chart_rows.push(serde_json::json!({ "name": tr.t(&format!("org_kind.{}", kind.as_str())), "value": n, "href": format!("/orgs?kind={}", kind.as_str()) }));
        }
    }
    if ctx.can(Action::View, Resource::User) {
        let scopes = ctx.scopes(Action::View, Resource::User);
        let n = st
            .db
            .users_list(&scopes, &UserFilter::default(), &Sort::default(), one)
            .await?
            .total;
        cards.push(Card {
            label: tr.t("home.users"),
            value: n,
            href: "/users",
        });
    }
    if ctx.can(Action::View, Resource::Region) {
        let scopes = ctx.scopes(Action::View, Resource::Region);
        let n = st
            .db
            .regions_list(&scopes, "", &Sort::default(), one)
            .await?
            .total;
        cards.push(Card {
            label: tr.t("home.regions"),
            value: n,
            href: "/regions",
        });
    }
    if ctx.can(Action::View, Resource::Case) {
        let scopes = ctx.scopes(Action::View, Resource::Case);
        let to = chrono::Utc::now();
        let from = to - chrono::Duration::days(365);
        let stays = st.db.report_stays(&scopes, from, to).await?;
        let h = jiuzhu_domain::report::headline(&stays, from, to);
        for (key, value) in [
            ("home.rescues", h.rescues),
            ("home.minors", h.minors),
            ("home.unidentified", h.unidentified),
            ("home.escorted_home", h.escorted_home),
            ("home.long_stayers_returned", h.long_stayers_returned),
            ("home.settled", h.settled),
        ] {
            cards.push(Card {
                label: tr.t(key),
                value: value as i64,
                href: "/reports/monthly",
            });
        }
    }
    let chart =
        serde_json::json!({ "title": tr.t("home.chart_orgs"), "rows": chart_rows }).to_string();
    Ok(render(&Home {
        l: layout(&ctx, &st, "home.title", &[]).await,
        cards,
        chart,
    }))
}
