//! What every page shares: the layout (top bar, left navigation, breadcrumbs), paging,
//! and the error page.

use crate::error::AppError;
use crate::guard::Ctx;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_storage::Paged;

pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
    pub active: bool,
}

pub struct NavGroup {
    pub key: &'static str,
    pub items: Vec<NavItem>,
}

/// The frame around every signed-in page.
pub struct Layout {
    pub tr: Tr,
    pub title: String,
    pub user_name: String,
    pub unit: String,
    pub jurisdiction: String,
    pub nav: Vec<NavGroup>,
    pub csrf: String,
    pub lang: &'static str,
    pub crumbs: Vec<(String, String)>,
    pub signed_in: bool,
    pub flash: Option<String>,
    /// Map tile URL template; empty for the offline basemap.
    pub map_tiles: String,
}

impl Layout {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    /// A translated label for a code in a family: `role.station_staff`.
    pub fn code(&self, family: &str, code: &str) -> String {
        self.tr.t(&format!("{family}.{code}"))
    }

    pub fn time(&self, ms: &i64) -> String {
        jiuzhu_domain::time::display_millis(*ms)
    }

    pub fn time_opt(&self, ms: &Option<i64>) -> String {
        ms.map(jiuzhu_domain::time::display_millis)
            .unwrap_or_default()
    }
}

/// A menu entry: catalogue key, link, and the permission that shows it.
type NavSpec = (&'static str, &'static str, Action, Resource);

/// The navigation a caller sees, grouped by business area as staff expect (ux.md): only
/// what they may open.
#[rustfmt::skip]
const NAV: &[(&str, &[NavSpec])] = &[
    ("nav.group.overview", &[("nav.home", "/", Action::View, Resource::Dashboard)]),
    ("nav.group.station", &[
        ("nav.station", "/station", Action::View, Resource::Case),
        ("nav.intake", "/cases/new", Action::Create, Resource::Case),
        ("nav.cases", "/cases", Action::View, Resource::Case),
        ("nav.alerts", "/alerts", Action::View, Resource::Case),
    ]),
    ("nav.group.tracing", &[
        ("nav.tracing", "/tracing", Action::View, Resource::Tracing),
        ("nav.missing_reports", "/missing-reports", Action::View, Resource::Tracing),
        ("nav.notices", "/notices", Action::View, Resource::Tracing),
    ]),
    ("nav.group.outreach", &[
        ("nav.dispatch", "/outreach", Action::View, Resource::Outreach),
        ("nav.patrol", "/patrol", Action::View, Resource::Outreach),
        ("nav.plans", "/plans", Action::View, Resource::Outreach),
        ("nav.hotspots", "/hotspots", Action::View, Resource::Outreach),
        ("nav.weather", "/weather", Action::View, Resource::Outreach),
        ("nav.posts", "/posts", Action::View, Resource::Outreach),
    ]),
    ("nav.group.assistance", &[
        ("nav.households", "/households", Action::View, Resource::Assistance),
        ("nav.applications", "/applications", Action::View, Resource::Assistance),
        ("nav.payments", "/payments", Action::View, Resource::Assistance),
        ("nav.reviews", "/reviews", Action::View, Resource::Assistance),
        ("nav.spot_check", "/assistance/spot-check", Action::View, Resource::Assistance),
        ("nav.recompute", "/assistance/recompute", Action::View, Resource::Assistance),
    ]),
    ("nav.group.return", &[
        ("nav.returnees", "/returnees", Action::View, Resource::FollowUp),
        ("nav.register", "/register", Action::View, Resource::Register),
    ]),
    ("nav.group.stats", &[
        ("nav.monthly_report", "/reports/monthly", Action::View, Resource::Case),
        ("nav.tracing_stats", "/tracing/stats", Action::View, Resource::Tracing),
        ("nav.outreach_stats", "/outreach/stats", Action::View, Resource::Outreach),
        ("nav.assistance_stats", "/assistance/stats", Action::View, Resource::Assistance),
    ]),
    ("nav.group.system", &[
        ("nav.users", "/users", Action::View, Resource::User),
        ("nav.orgs", "/orgs", Action::View, Resource::Organisation),
        ("nav.regions", "/regions", Action::View, Resource::Region),
    ]),
    ("nav.group.audit", &[
        ("nav.audit", "/audit", Action::View, Resource::AuditLog),
        ("nav.access_log", "/access-log", Action::View, Resource::AccessLog),
    ]),
];

/// Where a user lands after signing in: the first page of the menu they may open (the
/// auditor has no home page, only the audit log).
pub fn start_page(p: &jiuzhu_domain::Principal) -> &'static str {
    use jiuzhu_domain::authz::{decide, Decision, Target};
    NAV.iter()
        .flat_map(|(_, items)| items.iter())
        .find(|(_, _, a, r)| decide(p, *a, *r, Target::Anywhere) == Decision::Allow)
        .map(|(_, href, _, _)| *href)
        .unwrap_or("/profile")
}

fn nav(ctx: &Ctx) -> Vec<NavGroup> {
    NAV.iter()
        .map(|(key, items)| NavGroup {
            key,
            items: items
                .iter()
                .filter(|(_, _, a, r)| ctx.can(*a, *r))
                .map(|(k, href, _, _)| NavItem {
                    key: k,
                    href,
                    // `/cases` is a prefix of `/cases/new`: list pages match exactly.
                    active: match *href {
                        "/" | "/cases" | "/tracing" => ctx.path == *href,
                        _ => ctx.path.starts_with(href),
                    },
                })
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

pub async fn layout(ctx: &Ctx, st: &AppState, title_key: &str, crumbs: &[(&str, &str)]) -> Layout {
    let tr = ctx.tr;
    let (user_name, unit, jurisdiction) = match &ctx.user {
        Some(u) => {
            let unit = match u.organisation_id {
                Some(o) => st.db.org(o).await.map(|o| o.name).unwrap_or_default(),
                None => st.cfg.site_name.clone(),
            };
            let scope = u
                .grants
                .first()
                .map(|g| g.scope.to_string())
                .unwrap_or(u.region_code.clone());
            let jur = st
                .db
                .region_name(&scope)
                .await
                .ok()
                .flatten()
                .unwrap_or(scope);
            (u.display_name.clone(), unit, jur)
        }
        None => (String::new(), st.cfg.site_name.clone(), String::new()),
    };
    let mut all_crumbs = vec![(tr.t("nav.home"), "/".to_string())];
    all_crumbs.extend(crumbs.iter().map(|(k, h)| (tr.t(k), h.to_string())));
    Layout {
        tr,
        title: tr.t(title_key),
        user_name,
        unit,
        jurisdiction,
        nav: nav(ctx),
        csrf: ctx.csrf.clone(),
        lang: tr.locale.code(),
        crumbs: all_crumbs,
        signed_in: ctx.user.is_some(),
        flash: None,
        map_tiles: st.cfg.map_tiles.clone(),
    }
}

/// A layout without database look-ups, for error pages.
fn bare_layout(ctx: &Ctx, title_key: &str) -> Layout {
    Layout {
        tr: ctx.tr,
        title: ctx.tr.t(title_key),
        user_name: ctx
            .user
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        unit: String::new(),
        jurisdiction: String::new(),
        nav: nav(ctx),
        csrf: ctx.csrf.clone(),
        lang: ctx.tr.locale.code(),
        crumbs: vec![(ctx.tr.t("nav.home"), "/".into())],
        signed_in: ctx.user.is_some(),
        flash: None,
        map_tiles: String::new(),
    }
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: String,
}

pub fn error_page(ctx: &Ctx, err: &AppError) -> Response {
    let page = ErrorPage {
        l: bare_layout(ctx, "error.title"),
        status: err.status.as_u16(),
        message: ctx.tr.error(err.code),
    };
    let mut r = render(&page);
    *r.status_mut() = err.status;
    r
}

/// Links for a list's pager, keeping the other query parameters.
pub struct Pager {
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new<T>(p: &Paged<T>, base: &str, query: &[(&str, String)]) -> Pager {
        let link = |n: u32| {
            let mut q: Vec<(&str, String)> = query
                .iter()
                .filter(|(k, v)| *k != "page" && !v.is_empty())
                .cloned()
                .collect();
            q.push(("page", n.to_string()));
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(&q).unwrap_or_default()
            )
        };
        let pages = p.pages();
        Pager {
            total: p.total,
            page: p.page.number,
            pages,
            prev: (p.page.number > 1).then(|| link(p.page.number - 1)),
            next: (p.page.number < pages).then(|| link(p.page.number + 1)),
        }
    }
}

/// A sortable column header link: clicking again reverses the order.
pub fn sort_link(base: &str, query: &[(&str, String)], current: &str, column: &str) -> String {
    let next = if current == column {
        format!("-{column}")
    } else {
        column.to_string()
    };
    let mut q: Vec<(&str, String)> = query
        .iter()
        .filter(|(k, v)| *k != "sort" && *k != "page" && !v.is_empty())
        .cloned()
        .collect();
    q.push(("sort", next));
    format!(
        "{base}?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}
