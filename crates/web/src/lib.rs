//! Jiuzhu's web server: server-rendered pages with htmx, and the JSON API under `/api/v1`.
//!
//! Architecture invariant: every route is registered through [`routes::Registry`], which
//! wraps its handler in the one guard ([`guard`]) that signs the caller in, checks CSRF,
//! and asks `jiuzhu_domain::authz::decide` before the handler runs. A handler reaches data
//! only through the [`Ctx`] the guard built, whose `require` and `scopes` ask the same
//! question for individual records and lists. Handlers cannot be mounted without it.
//!
//! Boundary: no SQL here (that is `jiuzhu-storage`), no rules here (that is
//! `jiuzhu-domain`); this crate turns requests into calls and results into pages.

mod api;
mod assets;
mod error;
pub mod guard;
pub mod i18n;
pub mod limiter;
pub mod live;
pub mod matcher;
mod pages;
/// The social-assistance rules on a household (the demo city decides with it too).
pub use pages::assistance::decide;
/// The day's patrol plan for a county, as the plans page makes it (the demo city uses it).
pub use pages::outreach::plan_for_day;
mod pdf;
pub mod photo;
pub mod routes;
mod views;

pub use error::{AppError, AppResult};
pub use guard::Ctx;

use jiuzhu_storage::sessions::SessionPolicy;
use jiuzhu_storage::{Db, PasswordHasher};
use std::net::SocketAddr;
use std::sync::Arc;

/// Settings the web server needs; the binary fills them from configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Whether the site is served over TLS (directly or behind a proxy): cookies get `Secure`.
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from a reverse proxy.
    pub trust_proxy: bool,
    pub session: SessionPolicy,
    /// Failed sign-ins in a row before an account locks.
    pub lockout_after: i64,
    pub lockout_ms: i64,
    /// Failed sign-ins from one address within the window before it is refused.
    pub ip_failure_limit: i64,
    pub ip_window_ms: i64,
    /// The unit name shown in the top bar when a user has no organisation.
    pub site_name: String,
    /// Public form submissions per address, and in all, per 10 minutes.
    pub public_form_limit: u32,
    pub public_form_total: u32,
    /// A tile URL template for the maps (`https://…/{z}/{x}/{y}.png`); empty: the bundled
    /// offline basemap of region outlines, so the demo needs no network.
    pub map_tiles: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            trust_proxy: false,
            session: SessionPolicy::default(),
            lockout_after: 5,
            lockout_ms: 15 * 60 * 1000,
            ip_failure_limit: 20,
            ip_window_ms: 15 * 60 * 1000,
            site_name: "救助".into(),
            public_form_limit: 10,
            public_form_total: 2_000,
            map_tiles: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<WebConfig>,
    pub hasher: PasswordHasher,
    /// Dated regional station settings ([U] rules), with the national defaults.
    pub settings: Arc<jiuzhu_domain::settings::SettingsBook>,
    /// Family-tracing indexes, kept current as people and reports are saved.
    pub matcher: Arc<matcher::Matcher>,
    /// Public forms (missing-person reports, tips): per address and in all.
    pub public_forms: Arc<limiter::Limiter>,
    /// Dated regional outreach rules: tiers, response times, weather campaigns.
    pub outreach: Arc<jiuzhu_domain::outreach::OutreachBook>,
    /// Sighting changes pushed to the dispatch board and the patrol phones.
    pub live: Arc<live::Live>,
    /// Dated regional time limits of social assistance.
    pub assistance: Arc<jiuzhu_domain::assistance::AssistanceBook>,
}

impl AppState {
    /// The station settings in force today for a record's region.
    pub fn station_settings(&self, region: &str) -> &jiuzhu_domain::settings::StationSettings {
        let today =
            jiuzhu_domain::time::local_date(chrono::Utc::now().timestamp_millis()).expect("now");
        let region = jiuzhu_domain::RegionCode::try_from(region.to_string())
            .unwrap_or_else(|_| jiuzhu_domain::RegionCode::nation());
        self.settings.for_region(&region, today)
    }

    pub fn new(db: Db, cfg: WebConfig, hasher: PasswordHasher) -> AppState {
        // Load the catalogues now so a broken one stops the start, not the first page.
        let _ = i18n::Tr::default().t("app.name");
        let public_forms = Arc::new(limiter::Limiter::new(
            cfg.public_form_limit,
            cfg.public_form_total,
            std::time::Duration::from_secs(600),
        ));
        AppState {
            db,
            cfg: Arc::new(cfg),
            hasher,
            settings: Arc::new(jiuzhu_domain::settings::SettingsBook::shipped()),
            matcher: Arc::default(),
            public_forms,
            outreach: Arc::new(jiuzhu_domain::outreach::OutreachBook::shipped()),
            live: Arc::default(),
            assistance: Arc::new(jiuzhu_domain::assistance::AssistanceBook::shipped()),
        }
    }
}

/// The whole application as one router, with its list of routes (for the access matrix
/// test and the OpenAPI document).
pub fn app(state: AppState) -> (axum::Router, Vec<routes::RouteSpec>) {
    routes::build(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener, shutdown).await
}

pub async fn serve_on(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        // Live streams never end by themselves; end them so the shutdown can finish.
        live.close();
    };
    let (router, _) = app(state);
    tracing::info!(addr = %listener.local_addr()?, "listening");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
