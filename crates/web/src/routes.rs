//! The route table: every path, the permission it needs, and its handler. The guard is
//! attached here and nowhere else, and the list is what the access-matrix test and the
//! OpenAPI document are built from.

use crate::guard::{guard, GuardSpec};
use crate::{api, assets, pages, AppState};
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;
use jiuzhu_domain::authz::{Action, Resource};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// One route as the access matrix sees it.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
    pub resource: Resource,
    pub api: bool,
    /// The OpenAPI summary (API routes) or a description (pages).
    pub summary: &'static str,
}

pub struct Registry {
    state: AppState,
    router: Router<AppState>,
    pub specs: Vec<RouteSpec>,
}

impl Registry {
    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        action: Action,
        resource: Resource,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let api = path.starts_with("/api/");
        let body_limit = if method == Method::POST && path.ends_with("/photo") {
            crate::photo::MAX_BYTES
        } else {
            crate::guard::BODY_LIMIT
        };
        let spec = GuardSpec {
            state: self.state.clone(),
            action,
            resource,
            api,
            before_password_change: matches!(
                path,
                "/profile" | "/profile/password" | "/logout" | "/lang/{code}"
            ) || resource == Resource::PublicPage,
            body_limit,
        };
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let mr = on(filter, handler)
            .route_layer(axum::middleware::from_fn_with_state(Arc::new(spec), guard))
            .layer(axum::extract::DefaultBodyLimit::max(body_limit));
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec {
            method,
            path,
            action,
            resource,
            api,
            summary,
        });
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        a: Action,
        r: Resource,
        s: &'static str,
        h: H,
    ) -> Self {
        self.add(Method::GET, path, a, r, s, h)
    }
    fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        a: Action,
        r: Resource,
        s: &'static str,
        h: H,
    ) -> Self {
        self.add(Method::POST, path, a, r, s, h)
    }
    fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        a: Action,
        r: Resource,
        s: &'static str,
        h: H,
    ) -> Self {
        self.add(Method::PUT, path, a, r, s, h)
    }
}

/// The route table. One line per route: method, path, action, resource, summary, handler.
#[rustfmt::skip]
fn table(reg: Registry) -> Registry {
    use Action::*;
    use Resource::*;
    reg
        // Public
        .get("/healthz", View, PublicPage, "Liveness", pages::ops::healthz)
        .get("/readyz", View, PublicPage, "Readiness: the database answers", pages::ops::readyz)
        .get("/static/{*path}", View, PublicPage, "Embedded static files", assets::serve)
        .get("/login", View, PublicPage, "Sign-in page", pages::auth::login_page)
        .post("/login", Create, PublicPage, "Sign in", pages::auth::login)
        .get("/lang/{code}", View, PublicPage, "Switch language", pages::auth::switch_lang)
        .get("/api/v1/openapi.json", View, PublicPage, "This API's OpenAPI document", api::openapi)
        .get("/notices", View, PublicPage, "寻亲公告: public family-search notices", pages::public::notices)
        .get("/notices/{id}", View, PublicPage, "One public notice", pages::public::notice)
        .post("/notices/{id}/tips", Create, PublicPage, "Send a tip about a notice (rate-limited)", pages::public::tip)
        .get("/notices/{id}/photo.jpg", View, PublicPage, "A notice's photo (no camera or location data)", pages::public::photo)
        .get("/notices/{id}/thumb.jpg", View, PublicPage, "A notice's thumbnail", pages::public::thumb)
        .get("/seek", View, PublicPage, "A family's missing-person report form", pages::public::seek_form)
        .post("/seek", Create, PublicPage, "File a missing-person report (rate-limited)", pages::public::seek)
        .get("/seek/status", View, PublicPage, "A report's status by reference number", pages::public::status)
        .get("/street/report", View, PublicPage, "Report someone who needs help on the street", pages::street::report_form)
        .post("/street/report", Create, PublicPage, "Send a street report (rate-limited)", pages::street::report)
        .get("/street/status", View, PublicPage, "A street report's outcome by reference number", pages::street::status)
        .get("/rescue-posts", View, PublicPage, "Rescue posts and the station on a map", pages::street::posts)
        .get("/apply", View, PublicPage, "社会救助网上申请: a resident's one-window application", pages::assistance::apply_form)
        .post("/apply", Create, PublicPage, "Apply online (rate-limited; all or nothing)", pages::assistance::apply)
        .post("/apply/{ref}/documents/photo", Create, PublicPage, "The applicant adds a document photo by reference (rate-limited)", pages::assistance::applicant_document)
        .get("/apply/status", View, PublicPage, "An application's progress and, once decided, why", pages::assistance::apply_status)
        .get("/assistance-notices", View, PublicPage, "低保等公示: what is on public notice, and only that", pages::assistance::public_notices)
        // Signed in
        .post("/logout", View, Profile, "Sign out", pages::auth::logout)
        .get("/", View, Dashboard, "Home: counts and charts", pages::home::home)
        .get("/profile", View, Profile, "My profile", pages::profile::page)
        .post("/profile", Update, Profile, "Edit my profile", pages::profile::update)
        .post("/profile/password", Update, Profile, "Change my password", pages::profile::change_password)
        .post("/profile/tokens", Update, Profile, "Create an API token", pages::profile::create_token)
        .post("/profile/tokens/{id}/revoke", Update, Profile, "Revoke an API token", pages::profile::revoke_token)
        // Station cases (站内救助)
        .get("/station", View, Case, "Station board: everyone in the station", pages::cases::board)
        .get("/alerts", View, Case, "Deadlines due soon or passed", pages::cases::alerts)
        .get("/cases", View, Case, "List cases", pages::cases::list)
        .get("/cases/new", Create, Case, "Intake form (求助登记)", pages::cases::new_form)
        .get("/cases/prior", Create, Case, "Earlier records of a person (fragment)", pages::cases::prior)
        .post("/cases", Create, Case, "Register an intake", pages::cases::create)
        .get("/cases/{id}", View, Case, "Case page with timeline and deadlines", pages::cases::show)
        .post("/cases/{id}/events", Update, Case, "Next step of a case", pages::cases::step)
        .post("/cases/{id}/deadlines/{kind}", Update, Case, "Record a deadline as met", pages::cases::mark)
        .post("/cases/{id}/bed", Update, Case, "Assign an area and bed (分区分床)", pages::cases::assign_bed)
        .post("/cases/{id}/services", Update, Case, "Record an in-station service (在站服务)", pages::cases::add_service)
        .get("/cases/{id}/forms/{form}", View, Case, "Print an official form (A4)", pages::cases::print_form)
        .post("/cases/{id}/reveal", Reveal, Case, "Show identity number, health and relatives (logged)", pages::cases::reveal)
        .get("/returnees", View, FollowUp, "返乡人员信息台账: follow-ups of people returned home", pages::follow_ups::ledger)
        .post("/follow-ups/{id}", Update, FollowUp, "Record a follow-up visit", pages::follow_ups::record)
        .get("/register", View, Register, "易流浪走失人员登记 and re-appearance alerts", pages::register::list)
        .get("/register/new", Create, Register, "New register entry form", pages::register::new_form)
        .post("/register", Create, Register, "Add someone to the register", pages::register::create)
        .post("/register/alerts/{id}/ack", Update, Register, "Acknowledge a re-appearance alert", pages::register::acknowledge)
        .get("/reports/monthly", View, Case, "Monthly rescue report (救助管理月报)", pages::report::page)
        .get("/reports/monthly.xlsx", Export, Case, "Monthly rescue report as Excel", pages::report::xlsx)
        .get("/reports/monthly/cases", View, Case, "The cases behind one figure of the report", pages::report::cell)
        // Family tracing (寻亲)
        .get("/tracing", View, Tracing, "Candidates waiting for a decision", pages::tracing::board)
        .get("/tracing/stats", View, Tracing, "Family-tracing figures", pages::tracing::stats)
        .get("/cases/{id}/search", View, Tracing, "The search case of a person: channels, candidates, tips", pages::tracing::case_show)
        .post("/cases/{id}/search", Update, Tracing, "Record a search action (notice, DNA, face…)", pages::tracing::action_add)
        .post("/cases/{id}/tips/reveal", Reveal, Tracing, "Show the tipsters' phones (logged)", pages::tracing::tips_reveal)
        .post("/cases/{id}/photo", Update, Tracing, "Upload the notice photo (re-encoded, metadata removed)", pages::tracing::photo_upload)
        .get("/cases/{id}/photo", View, Tracing, "The notice photo", pages::tracing::photo_show)
        .post("/search-actions/{id}/result", Update, Tracing, "Record the result of a search action", pages::tracing::action_result)
        .post("/candidates/{id}/confirm", Update, Tracing, "Confirm a candidate with evidence", pages::tracing::confirm)
        .post("/candidates/{id}/reject", Update, Tracing, "Reject a candidate with a reason", pages::tracing::reject)
        .get("/missing-reports", View, Tracing, "Families' missing-person reports", pages::tracing::reports)
        .get("/missing-reports/new", Create, Tracing, "Report form (counter or hotline)", pages::tracing::report_new)
        .post("/missing-reports", Create, Tracing, "File a report", pages::tracing::report_create)
        .get("/missing-reports/{id}", View, Tracing, "A report with its candidates", pages::tracing::report_show)
        .post("/missing-reports/{id}/reveal", Reveal, Tracing, "Show the family's phone (logged)", pages::tracing::report_reveal)
        .post("/missing-reports/{id}/close", Update, Tracing, "Close a report without a match", pages::tracing::report_close)
        // Street outreach (街面巡查)
        .get("/outreach", View, Outreach, "Dispatch board: open sightings, teams, live updates", pages::outreach::board)
        .get("/outreach/events", View, Outreach, "Live sighting changes (server-sent events)", pages::outreach::events)
        .get("/outreach/stats", View, Outreach, "Outreach figures", pages::outreach::stats)
        .get("/sightings", View, Outreach, "Sightings (filter by channel)", pages::outreach::sightings)
        .get("/sightings/new", Create, Outreach, "Sighting form (hotline, video, police…)", pages::outreach::sighting_new)
        .post("/sightings", Create, Outreach, "Record a sighting", pages::outreach::sighting_create)
        .get("/sightings/{id}", View, Outreach, "A sighting with its contacts", pages::outreach::sighting_show)
        .post("/sightings/{id}/dispatch", Update, Outreach, "Dispatch a team", pages::outreach::dispatch)
        .post("/sightings/{id}/arrive", Update, Outreach, "The team is on scene", pages::outreach::arrive)
        .post("/sightings/{id}/recall", Update, Outreach, "Recall the team (the sighting reopens)", pages::outreach::recall)
        .post("/sightings/{id}/close", Update, Outreach, "Close without a contact (duplicate, gone)", pages::outreach::close)
        .post("/sightings/{id}/reveal", Update, Outreach, "Show the caller's phone (logged)", pages::outreach::sighting_reveal)
        .get("/patrol", View, Outreach, "The patrol phone page: today's route and assignments", pages::outreach::patrol)
        .post("/patrol/contacts", Update, Outreach, "Record a contact on the street", pages::outreach::contact)
        .get("/contacts", View, Outreach, "Contacts on the street (filter by outcome)", pages::outreach::contacts)
        .get("/hotspots", View, Outreach, "Hotspots, cameras and teams on the map", pages::outreach::hotspots)
        .post("/hotspots", Manage, Outreach, "Add a hotspot, camera or team", pages::outreach::hotspot_create)
        .post("/hotspots/{id}", Manage, Outreach, "Change a hotspot's tier or notes", pages::outreach::hotspot_update)
        .get("/plans", View, Outreach, "The day's patrol plan", pages::outreach::plan)
        .post("/plans", Update, Outreach, "Make the day's plan", pages::outreach::plan_create)
        .post("/plan-stops/{id}/move", Update, Outreach, "Move a stop to another team", pages::outreach::stop_move)
        .get("/weather", View, Outreach, "Weather warnings and campaigns", pages::outreach::weather)
        .post("/weather", Manage, Outreach, "Enter a weather warning", pages::outreach::warning_create)
        .post("/weather/import", Manage, Outreach, "Import warnings from the weather service's file (all or none)", pages::outreach::warnings_import)
        .get("/campaigns/{id}", View, Outreach, "A campaign and its report", pages::outreach::campaign)
        .get("/posts", View, Outreach, "Rescue posts (救助驿站)", pages::outreach::posts)
        .post("/posts", Manage, Outreach, "Add a rescue post", pages::outreach::post_create)
        .post("/posts/{id}", Update, Outreach, "Update a post's stock, jobs and visits", pages::outreach::post_update)
        .get("/posts/{id}", View, Outreach, "A rescue post with its message board", pages::outreach::post_show)
        .post("/posts/{id}/messages", Update, Outreach, "Post on a rescue post's message board", pages::outreach::post_message)
        .post("/contacts/{id}/photo", Update, Outreach, "Add a photo to a contact (re-encoded, metadata removed)", pages::outreach::contact_photo_upload)
        .get("/contact-photos/{id}", View, Outreach, "A contact photo (full size views are logged)", pages::outreach::contact_photo_show)
        // Social assistance (社会救助)
        .get("/households", View, Assistance, "Households (一户一档)", pages::assistance::households)
        .post("/households", Create, Assistance, "Open a household file", pages::assistance::household_create)
        .get("/households/{id}", View, Assistance, "A household's file: members, declarations, applications and decisions", pages::assistance::household_show)
        .post("/households/{id}/members", Update, Assistance, "Add a member", pages::assistance::member_add)
        .post("/households/{id}/members/{member}/leave", Update, Assistance, "A member leaves the household (dated)", pages::assistance::member_leave)
        .post("/households/{id}/measures", Update, Assistance, "Add a measure to the household's plan (一户一策)", pages::assistance::measure_add)
        .post("/households/{id}/measures/{measure}/review", Update, Assistance, "Review a measure: done or dropped", pages::assistance::measure_review)
        .post("/visits/{id}/photo", Update, Assistance, "Add a photo to a home visit (re-encoded, metadata removed)", pages::assistance::visit_photo_upload)
        .get("/visit-photos/{id}", View, Assistance, "A home-visit photo (full-size views logged)", pages::assistance::visit_photo_show)
        .post("/households/{id}/visits", Update, Assistance, "Record a door-to-door visit (入户走访) from a phone", pages::assistance::visit)
        .post("/households/{id}/monitored", Update, Assistance, "Mark a household for 防止返贫 monitoring (or not)", pages::assistance::set_monitored)
        .post("/households/{id}/finances", Update, Assistance, "Declare an income or an asset from a date", pages::assistance::finance_add)
        .post("/households/{id}/applications", Create, Assistance, "Accept a one-window application (社会救助一件事)", pages::assistance::application_create)
        .get("/applications", View, Assistance, "Applications", pages::assistance::applications)
        .post("/applications/{id}/documents/photo", Update, Assistance, "Add a document photo to an application (re-encoded, metadata removed)", pages::assistance::document_upload)
        .get("/application-documents/{id}", View, Assistance, "An application's document (full-size views logged)", pages::assistance::document_show)
        .post("/applications/{id}/authorise", Update, Assistance, "Record the signed data-check authorisation (核对授权书)", pages::assistance::application_authorise)
        .post("/application-items/{id}/steps", View, Assistance, "Record a step (approval needs the approver's permission; checked inside)", pages::assistance::item_step)
        .post("/application-items/{id}/evaluate", Update, Assistance, "Run the rules for an item now", pages::assistance::item_evaluate)
        .get("/assistance/recompute", View, Assistance, "标准调整: every household being paid worked out again for a date (preview)", pages::assistance::recompute_preview)
        .post("/assistance/recompute", Update, Assistance, "Apply the new amounts as dated reviews, each with its explanation", pages::assistance::recompute_apply)
        .get("/assistance/spot-check", View, Assistance, "抽查: a reproducible share of the households being paid", pages::assistance::spot_check)
        .get("/reviews", View, Assistance, "复核: reviews due in the next 30 days, by class", pages::assistance::reviews)
        .post("/application-items/{id}/review", View, Assistance, "Record a review: keep, decrease, stop or close (township); increase (county; checked inside)", pages::assistance::review)
        .get("/assistance/stats", View, Assistance, "社会服务统计季报表: enrolment, average amounts and spending per programme, urban and rural", pages::assistance::stats)
        .get("/assistance/stats.xlsx", Export, Assistance, "The quarterly figures as Excel", pages::assistance::stats_xlsx)
        .get("/payments", View, Assistance, "Monthly payment runs", pages::assistance::payments)
        .post("/payments", Update, Assistance, "Prepare a month's run (a preview)", pages::assistance::payment_prepare)
        .get("/payments/{id}", View, Assistance, "A payment run: payments and totals by status", pages::assistance::payment_run)
        .post("/payments/{id}/approve", Approve, Assistance, "Approve a previewed run", pages::assistance::payment_approve)
        .post("/payments/{id}/bank.csv", Export, Assistance, "The bank file of an approved run (logged)", pages::assistance::payment_bank_file)
        .post("/payment-items/{id}/result", Update, Assistance, "The bank's answer for a payment: paid, failed, retried, reversed", pages::assistance::payment_result)
        // Users and roles
        .get("/users", View, User, "List users", pages::users::list)
        .get("/users/new", Create, User, "New user form", pages::users::new_form)
        .post("/users", Create, User, "Create a user", pages::users::create)
        .get("/users/{id}", View, User, "User details", pages::users::show)
        .post("/users/{id}", Update, User, "Edit a user", pages::users::update)
        .post("/users/{id}/disable", Manage, User, "Disable a user", pages::users::disable)
        .post("/users/{id}/enable", Manage, User, "Enable a user", pages::users::enable)
        .post("/users/{id}/reset-password", Manage, User, "Reset a password", pages::users::reset_password)
        .post("/users/{id}/grants", Manage, User, "Grant a role", pages::users::grant)
        .post("/users/{id}/grants/revoke", Manage, User, "Revoke a role", pages::users::revoke)
        .post("/users/{id}/reveal", Reveal, User, "Show identity number and phone (logged)", pages::users::reveal)
        // Organisations
        .get("/orgs", View, Organisation, "List organisations", pages::orgs::list)
        .get("/orgs/new", Create, Organisation, "New organisation form", pages::orgs::new_form)
        .post("/orgs", Create, Organisation, "Create an organisation", pages::orgs::create)
        .get("/orgs/{id}", View, Organisation, "Organisation details", pages::orgs::show)
        .get("/orgs/{id}/edit", Update, Organisation, "Edit form (reveals the phone, logged)", pages::orgs::edit_form)
        .post("/orgs/{id}", Update, Organisation, "Save an organisation", pages::orgs::update)
        // Regions
        .get("/regions", View, Region, "Region tree", pages::regions::tree)
        .get("/regions/{code}/children", View, Region, "Children of a region (fragment)", pages::regions::children)
        // Audit
        .get("/audit", View, AuditLog, "Audit log", pages::audit::audit_list)
        .get("/audit/verify", Verify, AuditLog, "Check the audit hash chain", pages::audit::verify)
        .get("/access-log", View, AccessLog, "Sensitive-data access log", pages::audit::access_list)
        // JSON API
        .get("/api/v1/me", View, Profile, "The signed-in user", api::me)
        .get("/api/v1/organisations", View, Organisation, "List organisations", api::orgs_list)
        .post("/api/v1/organisations", Create, Organisation, "Create an organisation", api::org_create)
        .get("/api/v1/organisations/{id}", View, Organisation, "One organisation", api::org_get)
        .put("/api/v1/organisations/{id}", Update, Organisation, "Update an organisation (send its version)", api::org_update)
        .get("/api/v1/users", View, User, "List users", api::users_list)
        .get("/api/v1/users/{id}", View, User, "One user", api::user_get)
        .get("/api/v1/regions", View, Region, "Regions under a parent", api::regions)
        .get("/api/v1/audit", View, AuditLog, "Audit log", api::audit)
        .get("/api/v1/audit/verify", Verify, AuditLog, "Check the audit hash chain", api::audit_verify)
        .get("/api/v1/access-log", View, AccessLog, "Sensitive-data access log", api::access_log)
        .get("/api/v1/cases", View, Case, "List cases", api::cases_list)
        .post("/api/v1/cases", Create, Case, "Register an intake (same fields as the form)", api::case_create)
        .get("/api/v1/cases/{id}", View, Case, "One case with its deadlines and timeline", api::case_get)
        .post("/api/v1/cases/{id}/events", Update, Case, "Apply the next step (step, version, …)", api::case_step)
        .get("/api/v1/alerts", View, Case, "Deadlines due soon or passed", api::alerts)
        .get("/api/v1/reports/monthly", View, Case, "Monthly rescue report with the cases behind each figure (?month=YYYY-MM)", api::monthly_report)
        .get("/api/v1/follow-ups", View, FollowUp, "Returnee ledger: follow-up visits (?open=1)", api::follow_ups)
        .post("/api/v1/follow-ups/{id}", Update, FollowUp, "Record a follow-up visit (outcome, note, version…)", api::follow_up_record)
        .get("/api/v1/register", View, Register, "Register of people prone to wandering, with open alerts", api::register)
        .get("/api/v1/cases/{id}/candidates", View, Tracing, "A person's candidates with explanations", api::case_candidates)
        .post("/api/v1/cases/{id}/search-actions", Update, Tracing, "Record a search action (channel, requested_on, reference, outcome…)", api::search_action_add)
        .post("/api/v1/candidates/{id}/decision", Update, Tracing, "Confirm (with evidence) or reject a candidate (decision, version, evidence, note)", api::candidate_decide)
        .get("/api/v1/missing-reports", View, Tracing, "Families' missing-person reports (?q=&status=)", api::reports_list)
        .post("/api/v1/missing-reports", Create, Tracing, "File a report (same fields as the form)", api::report_create)
        .get("/api/v1/tracing/stats", View, Tracing, "Family-tracing figures (?from=&to=)", api::tracing_stats)
        .get("/api/v1/sightings", View, Outreach, "Open sightings (the dispatch queue)", api::sightings)
        .post("/api/v1/sightings", Create, Outreach, "Record a sighting (same fields as the form)", api::sighting_create)
        .post("/api/v1/sightings/{id}/dispatch", Update, Outreach, "Dispatch a team (team_id, version)", api::sighting_dispatch)
        .post("/api/v1/contacts", Update, Outreach, "Record a contact (team_id, outcome, sighting_id, sighting_version…)", api::contact_create)
        .get("/api/v1/outreach/stats", View, Outreach, "Outreach figures (?from=&to=)", api::outreach_stats)
}

pub fn build(state: AppState) -> (Router, Vec<RouteSpec>) {
    let reg = table(Registry {
        state: state.clone(),
        router: Router::new(),
        specs: Vec::new(),
    });
    let specs = reg.specs;
    let _ = SPECS.set(specs.clone());
    let router = reg
        .router
        .fallback(pages::ops::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::guard::BODY_LIMIT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(csp(&state.cfg.map_tiles)),
            security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    (router, specs)
}

static SPECS: std::sync::OnceLock<Vec<RouteSpec>> = std::sync::OnceLock::new();

/// The route table as last built, for the OpenAPI document.
pub fn api_specs() -> &'static [RouteSpec] {
    SPECS.get().map(Vec::as_slice).unwrap_or(&[])
}

/// The content security policy: scripts only from this origin (no inline script); images
/// also from the map tile server when one is configured.
fn csp(map_tiles: &str) -> axum::http::HeaderValue {
    let origin = map_tiles
        .split_once("://")
        .map(|(scheme, rest)| {
            let host = rest.split('/').next().unwrap_or("");
            // `{s}` subdomains become a wildcard.
            format!(" {scheme}://{}", host.replace("{s}", "*"))
        })
        .filter(|o| o.chars().all(|c| c.is_ascii_graphic() || c == ' '))
        .unwrap_or_default();
    axum::http::HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{origin}; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ))
    .expect("checked characters")
}

/// Headers every response carries.
async fn security_headers(
    axum::extract::State(csp): axum::extract::State<Arc<axum::http::HeaderValue>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("content-security-policy", (*csp).clone());
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    resp
}
