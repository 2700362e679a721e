//! 社会救助: the household file (一户一档), one-window applications at the counter, the
//! steps of each item with what the domain allows next, and the rules' decision explained.

use super::{flash, is_form_error, opt, parse_id, parse_region, FormError, ListQuery};
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{Datelike, NaiveDate};
use jiuzhu_domain::assistance::{
    first_payment_month, notice_ends, step, Action, Facts, Item, ItemState,
};
use jiuzhu_domain::authz::{Action as Perm, Resource};
use jiuzhu_domain::time::{local_date, parse_day};
use jiuzhu_domain::{Fen, RegionCode, ResidentId, Sex};
use jiuzhu_storage::assistance::{
    Application, ApplicationInput, ApplicationItem, DecisionInput, Declaration, Finance, Household,
    HouseholdInput, Member, MemberInput, StepEffects, StepRow, ASSET_CATEGORIES, INCOME_CATEGORIES,
};
use jiuzhu_storage::now_ms;
use serde::Deserialize;

fn today() -> NaiveDate {
    local_date(now_ms()).expect("now is a valid time")
}

fn money(s: &str, field: &'static str) -> AppResult<Fen> {
    let f = Fen::parse_yuan(s.trim()).map_err(|_| AppError::invalid("amount_invalid", field))?;
    if f.0 < 0 {
        return Err(AppError::invalid("amount_negative", field));
    }
    Ok(f)
}

fn date_field(s: &str, field: &'static str) -> AppResult<NaiveDate> {
    parse_day(s).ok_or_else(|| AppError::invalid("date_invalid", field))
}

async fn load_household(st: &AppState, ctx: &Ctx, id: &str, p: Perm) -> AppResult<Household> {
    let h = st.db.household(parse_id(id)?).await?;
    ctx.require(p, Resource::Assistance, &h.region_code, None)?;
    Ok(h)
}

// ---------------------------------------------------------------------------------------
// The rules

/// What the page shows of a decision: the plain sentence, and the table behind it.
pub struct Explained {
    pub summary: String,
    pub lines: Vec<(String, String)>,
    pub params: Vec<(String, String, String, String)>,
}

fn text(x: &serde_json::Value) -> String {
    match x {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A value of the rules' explanation as people read it: money in yuan, ratios as decimals.
fn shown(v: &serde_json::Value) -> String {
    match v["type"].as_str() {
        Some("money") => match (&v["yuan"], v["value"].as_i64(), v["fen"].as_i64()) {
            (serde_json::Value::String(y), _, _) => format!("¥{y}"),
            (_, Some(f), _) | (_, _, Some(f)) => Fen(f).to_string(),
            _ => text(&v["value"]),
        },
        Some("ratio") => match &v["decimal"] {
            serde_json::Value::String(d) => d.clone(),
            _ => text(&v["value"]),
        },
        Some("rounding") => text(&v["text"]),
        Some(_) => text(&v["value"]),
        None => text(v),
    }
}

/// The explanation kept with an item, read back for the page.
pub fn explained(json: &str) -> Option<Explained> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let d = &v["decision"];
    let e = &d["explanation"];
    let facts = |k: &str| -> Vec<(String, String)> {
        e[k].as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        let mut v = shown(&f["value"]);
                        if let Some(d) = f["detail"].as_str() {
                            v = format!("{v}（{d}）");
                        }
                        (text(&f["key"]), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut lines = facts("inputs");
    lines.extend(facts("steps"));
    let params = e["parameters"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        text(&p["name"]),
                        shown(&p["value"]),
                        text(&p["from"]),
                        text(&p["reference"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Explained {
        summary: text(&v["summary_zh"]),
        lines,
        params,
    })
}

/// Runs the item's rule on the household as it stands on `on`. Items the engine does not
/// decide yet (刚性支出, referrals) give None.
pub async fn evaluate(
    st: &AppState,
    h: &Household,
    item: &ApplicationItem,
    on: NaiveDate,
) -> AppResult<Option<DecisionInput>> {
    let members: Vec<Member> = st
        .db
        .members(h.id)
        .await?
        .into_iter()
        .filter(|m| m.left_on.is_none())
        .collect();
    let finances = st.db.finances_on(h.id, on).await?;
    decide(h, &members, &finances, item, on)
}

/// The rules engine on a household's current members and declarations: a pure function,
/// so the demo city decides its applications exactly as the pages do.
pub fn decide(
    h: &Household,
    members: &[Member],
    finances: &[Finance],
    item: &ApplicationItem,
    on: NaiveDate,
) -> AppResult<Option<DecisionInput>> {
    use jiuzhu_rules as r;
    let Some(kind) = item.item() else {
        return Ok(None);
    };
    let sum = |kind: &str, cats: &[&str]| -> i64 {
        finances
            .iter()
            .filter(|f| f.kind == kind && (cats.is_empty() || cats.contains(&f.category.as_str())))
            .map(|f| f.amount_fen)
            .sum()
    };
    let region: r::RegionCode = h.region_code[..6]
        .parse()
        .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
    let area = if h.area == "rural" {
        r::Area::Rural
    } else {
        r::Area::Urban
    };
    let date = r::Date::new(on.year(), on.month() as u8, on.day() as u8)
        .ok_or_else(|| AppError::invalid("date_invalid", ""))?;
    let disability = |m: &Member| -> Option<r::Disability> {
        let kind = match m.disability.as_str() {
            "visual" => r::DisabilityKind::Visual,
            "hearing" => r::DisabilityKind::Hearing,
            "speech" => r::DisabilityKind::Speech,
            "physical" => r::DisabilityKind::Physical,
            "intellectual" => r::DisabilityKind::Intellectual,
            "mental" => r::DisabilityKind::Mental,
            "multiple" => r::DisabilityKind::Multiple,
            _ => return None,
        };
        (1..=4)
            .contains(&m.disability_grade)
            .then_some(r::Disability {
                kind,
                grade: m.disability_grade as u8,
            })
    };
    let birth = |m: &Member| -> Option<r::Date> {
        m.birth_date
            .as_deref()
            .and_then(|b| b.parse::<r::Date>().ok())
    };
    let params = r::ParameterSet::lishui_default();
    let resolved = params
        .resolve(region, date)
        .map_err(|_| AppError::invalid("rules_unavailable", ""))?;
    let rule_members: Vec<r::Member> = members
        .iter()
        .filter_map(|m| {
            Some(r::Member {
                birth_date: birth(m)?,
                disability: disability(m),
            })
        })
        .collect();
    let household = r::Household {
        region,
        area,
        members: members.len() as u32,
        monthly_income: r::Fen(sum("income", &[])),
        financial_assets: r::Fen(sum("asset", &["deposits", "securities"])),
        houses: finances
            .iter()
            .filter(|f| f.kind == "asset" && f.category == "housing" && f.amount_fen > 0)
            .count() as u32,
        vehicle_value: r::Fen(sum("asset", &["vehicle"])),
        has_business: sum("asset", &["business"]) > 0 || sum("income", &["business"]) > 0,
        special: r::SpecialCounts::from_members(&rule_members, date, &resolved),
    };
    let decision = match kind {
        Item::Dibao => r::evaluate_dibao(&params, &household, date),
        Item::Bianyuan => r::evaluate_bianyuan(&params, &household, date),
        Item::Tekun => {
            let Some(head) = members.first() else {
                return Ok(None);
            };
            let Some(born) = birth(head) else {
                return Ok(None);
            };
            let capable = members.iter().skip(1).any(|m| m.work_ability == "full");
            r::evaluate_tekun(
                &params,
                &r::TekunApplicant {
                    region,
                    area,
                    birth_date: born,
                    disability: disability(head),
                    monthly_income: r::Fen(sum("income", &[])),
                    has_capable_supporter: capable,
                },
                date,
            )
        }
        Item::LinshiEmergency | Item::LinshiSpending => {
            let Some(need) = item.need_fen else {
                return Ok(None);
            };
            r::evaluate_linshi(
                &params,
                &r::TemporaryRequest {
                    region,
                    area,
                    kind: if kind == Item::LinshiEmergency {
                        r::TemporaryKind::Emergency
                    } else {
                        r::TemporaryKind::Expenditure
                    },
                    uncovered_need: r::Fen(need),
                },
                date,
            )
        }
        _ => return Ok(None),
    }
    .map_err(|_| AppError::invalid("rules_input_invalid", ""))?;
    let json = serde_json::json!({ "decision": decision, "summary_zh": decision.summary_zh() });
    Ok(Some(DecisionInput {
        eligible: decision.eligible,
        amount: Fen(decision.amount_fen.0),
        explanation_json: json.to_string(),
        rules_version: decision.rules_version.clone(),
    }))
}

// ---------------------------------------------------------------------------------------
// Households

#[derive(Template)]
#[template(path = "assistance/households.html")]
struct HouseholdsPage {
    l: Layout,
    households: Vec<Household>,
    pager: Pager,
    q: String,
    can_create: bool,
    f: HouseholdForm,
    err: FormError,
}

#[derive(Deserialize, Default, Clone)]
pub struct HouseholdForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub housing: String,
    #[serde(default)]
    pub bank_account: String,
}

async fn households_page(
    st: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    f: HouseholdForm,
    err: FormError,
) -> AppResult<Response> {
    let page = st
        .db
        .households(
            &ctx.scopes(Perm::View, Resource::Assistance),
            &q.q,
            q.page(),
        )
        .await?;
    let mut l = layout(
        ctx,
        st,
        "assistance.households",
        &[("assistance.households", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, q);
    let status = err.status();
    let mut r = render(&HouseholdsPage {
        l,
        pager: Pager::new(&page, "/households", &q.keep(&[])),
        households: page.items,
        q: q.q.clone(),
        can_create: ctx.can(Perm::Create, Resource::Assistance),
        f,
        err,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn households(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let f = HouseholdForm {
        region_code: ctx
            .user
            .as_ref()
            .map(|u| u.region_code.clone())
            .unwrap_or_default(),
        area: "urban".into(),
        ..Default::default()
    };
    households_page(&st, &ctx, &q, f, FormError::default()).await
}

pub async fn household_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<HouseholdForm>,
) -> AppResult<Response> {
    let result = async {
        let region = parse_region(&f.region_code)?;
        ctx.require(Perm::Create, Resource::Assistance, region.as_str(), None)?;
        Ok::<_, AppError>(
            st.db
                .household_create(
                    &ctx.actor,
                    &HouseholdInput {
                        region,
                        head_name: f.head_name.clone(),
                        address: f.address.clone(),
                        area: f.area.clone(),
                        housing: f.housing.clone(),
                        bank_account: opt(&f.bank_account).map(|b| b.replace(' ', "")),
                    },
                )
                .await?,
        )
    }
    .await;
    match result {
        Ok(h) => Ok(Redirect::to(&format!("/households/{}?ok=created", h.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            households_page(
                &st,
                &ctx,
                &ListQuery::default(),
                f.clone(),
                FormError::from(&ctx.tr, &e),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// One item of an application with what the page needs to show it.
pub struct ItemView {
    pub i: ApplicationItem,
    pub explained: Option<Explained>,
    pub steps: Vec<StepRow>,
    pub next: Vec<&'static str>,
    pub notice_ends: Option<String>,
    pub first_payment: Option<String>,
    /// For an item being paid: what the rules give on today's declarations, when that
    /// differs from what is paid (a change of circumstances to review).
    pub reassessed: Option<String>,
}

pub struct AppView {
    pub a: Application,
    pub items: Vec<ItemView>,
    pub documents: Vec<i64>,
}

#[derive(Template)]
#[template(path = "assistance/household.html")]
struct HouseholdPage {
    l: Layout,
    h: Household,
    members: Vec<Member>,
    finances: Vec<Finance>,
    apps: Vec<AppView>,
    can_update: bool,
    can_create: bool,
    can_approve: bool,
    err: FormError,
    income_categories: &'static [&'static str],
    asset_categories: &'static [&'static str],
    items: &'static [Item],
    today: String,
    monthly_income: String,
    disabilities: &'static [&'static str],
    payments: Vec<jiuzhu_storage::assistance::Payment>,
    categories: Vec<&'static str>,
    circle: Option<&'static str>,
    visits: Vec<(jiuzhu_storage::assistance::Visit, Vec<i64>)>,
    measures: Vec<jiuzhu_storage::assistance::Measure>,
    cases: Vec<jiuzhu_storage::assistance::MemberCase>,
}

impl HouseholdPage {
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).to_string()
    }
    /// A fact of the rules' explanation in words, or its key when there are none yet.
    fn fact(&self, key: &str) -> String {
        let k = format!("rule_fact.{}", key.replace('.', "_"));
        let t = self.l.t(&k);
        if t == k {
            key.to_string()
        } else {
            t
        }
    }
}

/// The steps the domain would allow from here, to offer as buttons (each still checked on
/// submission).
fn next_steps(i: &ApplicationItem, authorised: bool) -> Vec<&'static str> {
    let Some(kind) = i.item() else {
        return Vec::new();
    };
    let state = i.state();
    if state.is_final() {
        return Vec::new();
    }
    let f = Facts {
        item: kind,
        authorised,
        notice_from: i.notice_from.as_deref().and_then(parse_day),
        eligible: Some(true),
        today: today(),
        notice_days: 7,
    };
    let probes = [
        Action::HelpFirst,
        Action::DataCheck {
            report_ref: "x".into(),
        },
        Action::Investigate {
            staff: vec!["a".into(), "b".into()],
            signed_form: true,
        },
        Action::FirstReview {
            opinion: String::new(),
        },
        Action::PublishNotice { from: today() },
        Action::Objection {
            note: String::new(),
        },
        Action::CommunityReview {
            opinion: String::new(),
        },
        Action::Approve {
            on: today(),
            opinion: String::new(),
        },
        Action::Refer { to: "x".into() },
        Action::Refuse {
            reasons: "x".into(),
        },
    ];
    probes
        .iter()
        .filter(|a| {
            // An approval still inside the notice is offered (and refused with the reason).
            step(state, a, &f).is_ok()
                || (matches!(a, Action::Approve { .. }) && state == ItemState::Noticed)
        })
        .map(|a| a.code())
        .collect()
}

async fn app_views(st: &AppState, apps: Vec<Application>) -> AppResult<Vec<AppView>> {
    let mut out = Vec::new();
    for a in apps {
        let mut items = Vec::new();
        for i in st.db.application_items(a.id).await? {
            let notice = i.notice_from.as_deref().and_then(parse_day);
            let reassessed = if i.state() == ItemState::Approved && i.ended_on.is_none() {
                let h = st.db.household(i.household_id).await?;
                evaluate(st, &h, &i, today())
                    .await
                    .ok()
                    .flatten()
                    .filter(|d| Some(d.amount.0) != i.amount_fen || !d.eligible)
                    .map(|d| {
                        if d.eligible {
                            d.amount.to_string()
                        } else {
                            "0".to_string()
                        }
                    })
            } else {
                None
            };
            items.push(ItemView {
                reassessed,
                explained: i.decision_json.as_deref().and_then(explained),
                steps: st.db.item_steps(i.id).await?,
                next: next_steps(&i, a.authorised),
                notice_ends: notice.map(|d| notice_ends(d, 7).format("%Y-%m-%d").to_string()),
                first_payment: i
                    .approved_on
                    .as_deref()
                    .and_then(parse_day)
                    .map(|d| first_payment_month(d).format("%Y-%m").to_string()),
                i,
            });
        }
        out.push(AppView {
            documents: st.db.document_ids(a.id).await?,
            a,
            items,
        });
    }
    Ok(out)
}

async fn household_page(
    st: &AppState,
    ctx: &Ctx,
    h: Household,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    let (enrolled, recent) = st.db.household_enrolment(h.id, today()).await?;
    let cats = jiuzhu_domain::assistance::categories(&enrolled, recent, h.monitored);
    let region = RegionCode::try_from(h.region_code.clone())
        .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
    let circle = st
        .assistance
        .for_region(&region, today())
        .circle(&cats)
        .map(|c| c.as_str());
    let finances = st.db.finances_on(h.id, today()).await?;
    let income: i64 = finances
        .iter()
        .filter(|f| f.kind == "income")
        .map(|f| f.amount_fen)
        .sum();
    let apps = st
        .db
        .applications(
            &[RegionCode::nation()],
            Some(h.id),
            "",
            jiuzhu_storage::Page::new(Some(1), Some(50)),
        )
        .await?
        .items;
    let mut l = layout(
        ctx,
        st,
        "assistance.household",
        &[
            ("assistance.households", "/households"),
            ("assistance.household", ""),
        ],
    )
    .await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&HouseholdPage {
        members: st.db.members(h.id).await?,
        finances,
        apps: app_views(st, apps).await?,
        can_update: ctx
            .require(Perm::Update, Resource::Assistance, &h.region_code, None)
            .is_ok(),
        can_create: ctx
            .require(Perm::Create, Resource::Assistance, &h.region_code, None)
            .is_ok(),
        can_approve: ctx
            .require(Perm::Approve, Resource::Assistance, &h.region_code, None)
            .is_ok(),
        err,
        income_categories: INCOME_CATEGORIES,
        asset_categories: ASSET_CATEGORIES,
        items: Item::ALL,
        today: today().format("%Y-%m-%d").to_string(),
        monthly_income: Fen(income).to_string(),
        payments: st.db.payments_of_household(h.id).await?,
        visits: {
            let mut out = Vec::new();
            for v in st.db.visits(h.id).await? {
                let photos = st.db.visit_photo_ids(v.id).await?;
                out.push((v, photos));
            }
            out
        },
        measures: st.db.measures(h.id).await?,
        // A member's stays at the station are shown only to those who may read each case.
        cases: st
            .db
            .member_cases(h.id)
            .await?
            .into_iter()
            .filter(|c| {
                ctx.require(Perm::View, Resource::Case, &c.region_code, None)
                    .is_ok()
            })
            .collect(),
        categories: cats.iter().map(|c| c.as_str()).collect(),
        circle,
        disabilities: &[
            "physical",
            "intellectual",
            "mental",
            "visual",
            "hearing",
            "speech",
            "multiple",
        ],
        h,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn household_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::View).await?;
    household_page(&st, &ctx, h, Some(&q), FormError::default()).await
}

/// A form on the household page: re-render the page with the error in place.
async fn on_household(
    st: &AppState,
    ctx: &Ctx,
    h: Household,
    result: AppResult<&'static str>,
) -> AppResult<Response> {
    match result {
        Ok(ok) => Ok(Redirect::to(&format!("/households/{}?ok={ok}", h.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            household_page(st, ctx, h, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct MemberForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub resident_id: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub disability: String,
    #[serde(default)]
    pub disability_grade: String,
    #[serde(default)]
    pub health: String,
    #[serde(default)]
    pub work_ability: String,
    #[serde(default)]
    pub schooling: String,
    #[serde(default)]
    pub joined_on: String,
}

pub async fn member_add(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<MemberForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let result = async {
        let resident_id = match opt(&f.resident_id) {
            Some(v) => Some(
                ResidentId::parse(&v)
                    .map_err(|_| AppError::invalid("resident_id_invalid", "resident_id"))?,
            ),
            None => None,
        };
        let birth_date = match opt(&f.birth_date) {
            Some(b) => Some(date_field(&b, "birth_date")?),
            None => None,
        };
        let grade = if f.disability_grade.trim().is_empty() {
            0
        } else {
            f.disability_grade
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("disability_grade_invalid", "disability_grade"))?
        };
        st.db
            .member_add(
                &ctx.actor,
                h.id,
                &MemberInput {
                    name: f.name.clone(),
                    relation: f.relation.clone(),
                    resident_id,
                    sex: Sex::parse(&f.sex),
                    birth_date,
                    disability: f.disability.clone(),
                    disability_grade: grade,
                    health: opt(&f.health),
                    work_ability: f.work_ability.clone(),
                    schooling: f.schooling.clone(),
                    joined_on: match opt(&f.joined_on) {
                        Some(d) => date_field(&d, "joined_on")?,
                        None => today(),
                    },
                },
            )
            .await?;
        Ok("member_added")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct LeaveForm {
    #[serde(default)]
    pub left_on: String,
}

pub async fn member_leave(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, member)): Path<(String, String)>,
    Form(f): Form<LeaveForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let member = parse_id(&member)?;
    if !st.db.members(h.id).await?.iter().any(|m| m.id == member) {
        return Err(AppError::not_found());
    }
    let result = async {
        let on = date_field(&f.left_on, "left_on")?;
        st.db.member_leave(&ctx.actor, member, on).await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct FinanceForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub from_on: String,
    #[serde(default)]
    pub note: String,
}

pub async fn finance_add(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<FinanceForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let result = async {
        let amount = money(&f.amount, "amount")?;
        let from = match opt(&f.from_on) {
            Some(d) => date_field(&d, "from_on")?,
            None => today(),
        };
        st.db
            .finance_add(
                &ctx.actor,
                h.id,
                &Declaration::new(&f.kind, &f.category, amount, from, &f.note),
            )
            .await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

// ---------------------------------------------------------------------------------------
// Applications

#[derive(Deserialize, Default, Clone)]
pub struct ApplicationForm {
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub authorised: String,
    #[serde(default)]
    pub missing_docs: String,
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub channel: String,
}

/// Reads a form with repeated checkboxes (`items`).
fn application_form(body: &[u8]) -> AppResult<ApplicationForm> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_input"))?;
    let mut f = ApplicationForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "items" => f.items.push(v),
            "authorised" => f.authorised = v,
            "missing_docs" => f.missing_docs = v,
            "need" => f.need = v,
            "channel" => f.channel = v,
            _ => {}
        }
    }
    Ok(f)
}

/// Accepts an application for a household, the same for the counter and the online form.
pub async fn accept_application(
    st: &AppState,
    ctx: &Ctx,
    h: &Household,
    f: &ApplicationForm,
) -> AppResult<Application> {
    let items: Vec<Item> = f
        .items
        .iter()
        .map(|i| Item::parse(i).ok_or_else(|| AppError::invalid("items_invalid", "items")))
        .collect::<AppResult<_>>()?;
    let need = match opt(&f.need) {
        Some(n) => Some(money(&n, "need")?),
        None => None,
    };
    let region = RegionCode::try_from(h.region_code.clone())
        .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
    let settings = st.assistance.for_region(&region, today());
    let cal = jiuzhu_domain::WorkCalendar::national();
    let (app, _) = st
        .db
        .application_create(
            &ctx.actor,
            &ApplicationInput {
                household_id: h.id,
                channel: if f.channel == "online" {
                    "online".into()
                } else {
                    "counter".into()
                },
                items,
                authorised: !f.authorised.is_empty(),
                missing_docs: f.missing_docs.clone(),
                accepted_on: today(),
                decision_due: settings.decision_due(&cal, today()),
                need,
            },
        )
        .await?;
    Ok(app)
}

pub async fn application_create(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Create).await?;
    let result = async {
        let f = application_form(&body)?;
        accept_application(&st, &ctx, &h, &f).await?;
        Ok("application_accepted")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct VersionForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
}

pub async fn application_authorise(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> AppResult<Response> {
    let a = st.db.application(parse_id(&id)?).await?;
    ctx.require(Perm::Update, Resource::Assistance, &a.region_code, None)?;
    let h = st.db.household(a.household_id).await?;
    let result = async {
        let v = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        st.db.application_authorise(&ctx.actor, a.id, v).await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub staff1: String,
    #[serde(default)]
    pub staff2: String,
    #[serde(default)]
    pub signed_form: String,
    #[serde(default)]
    pub on: String,
}

impl StepForm {
    fn action(&self) -> AppResult<Action> {
        let text = self.text.trim().to_string();
        let on = || -> AppResult<NaiveDate> {
            match opt(&self.on) {
                Some(d) => date_field(&d, "on"),
                None => Ok(today()),
            }
        };
        Ok(match self.step.as_str() {
            "help_first" => Action::HelpFirst,
            "data_check" => Action::DataCheck { report_ref: text },
            "investigate" => Action::Investigate {
                staff: vec![self.staff1.clone(), self.staff2.clone()],
                signed_form: !self.signed_form.is_empty(),
            },
            "first_review" => Action::FirstReview { opinion: text },
            "publish_notice" => Action::PublishNotice { from: on()? },
            "objection" => Action::Objection { note: text },
            "community_review" => Action::CommunityReview { opinion: text },
            "approve" => Action::Approve {
                on: on()?,
                opinion: text,
            },
            "refer" => Action::Refer { to: text },
            "refuse" => Action::Refuse { reasons: text },
            "withdraw" => Action::Withdraw,
            _ => return Err(AppError::invalid("step_invalid", "step")),
        })
    }
}

/// One step of an item: the domain decides whether it may happen; approval needs the
/// approver's permission and a fresh decision by the rules; a refusal sets the date its
/// written notice is due.
pub async fn take_step(
    st: &AppState,
    ctx: &Ctx,
    item_id: i64,
    f: &StepForm,
) -> AppResult<ApplicationItem> {
    let item = st.db.application_item(item_id).await?;
    // Who may take the step comes before anything about its content.
    let perm = if f.step == "approve" {
        Perm::Approve
    } else {
        Perm::Update
    };
    ctx.require(perm, Resource::Assistance, &item.region_code, None)?;
    let action = f.action()?;
    let version: i64 = f
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("version_required", ""))?;
    let app = st.db.application(item.application_id).await?;
    let h = st.db.household(item.household_id).await?;
    let region = RegionCode::try_from(item.region_code.clone())
        .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
    let settings = st.assistance.for_region(&region, today());
    let kind = item
        .item()
        .ok_or_else(|| AppError::invalid("items_invalid", ""))?;
    // The worker's version first: someone else's change is a conflict, never overwritten.
    if item.version != version {
        return Err(AppError::from(jiuzhu_storage::StoreError::Conflict {
            current: item.version,
        }));
    }
    // The rules run again before a review and an approval, on today's data (version-checked
    // too, so the step below applies to the item as just decided).
    let mut item = item;
    if matches!(action, Action::FirstReview { .. } | Action::Approve { .. }) {
        if let Some(d) = evaluate(st, &h, &item, today()).await? {
            item = st
                .db
                .item_decision_save(&ctx.actor, item.id, item.version, &d)
                .await?;
        }
    }
    let facts = Facts {
        item: kind,
        authorised: app.authorised,
        notice_from: item.notice_from.as_deref().and_then(parse_day),
        eligible: item.eligible,
        today: today(),
        notice_days: settings.notice_days,
    };
    let after =
        step(item.state(), &action, &facts).map_err(|e| AppError::invalid(e.code(), "step"))?;
    let cal = jiuzhu_domain::WorkCalendar::national();
    let effects = match &action {
        Action::PublishNotice { from } => StepEffects {
            notice_from: Some(*from),
            ..Default::default()
        },
        Action::Approve { on, .. } => {
            // 分类管理: the class sets how often the household is reviewed.
            let members = st.db.members(h.id).await?;
            let caps: Vec<jiuzhu_domain::assistance::Capacity> = members
                .iter()
                .filter(|m| m.left_on.is_none())
                .map(|m| jiuzhu_domain::assistance::Capacity {
                    age: m
                        .birth_date
                        .as_deref()
                        .and_then(parse_day)
                        .and_then(|b| on.years_since(b))
                        .unwrap_or(40),
                    able: m.work_ability == "full" || m.work_ability.is_empty(),
                    severe_disability: (1..=2).contains(&m.disability_grade),
                })
                .collect();
            let class = jiuzhu_domain::assistance::classify(&caps);
            StepEffects {
                approved_on: Some(*on),
                review_class: Some(class.as_str().to_string()),
                next_review: Some(settings.next_review(class, h.area == "rural", *on)),
                ..Default::default()
            }
        }
        Action::Refuse { .. } => StepEffects {
            refused_on: Some(today()),
            refusal_notice_due: Some(settings.refusal_notice_due(&cal, today())),
            ..Default::default()
        },
        _ => StepEffects::default(),
    };
    Ok(st
        .db
        .item_step(&ctx.actor, item.id, item.version, &action, after, &effects)
        .await?)
}

pub async fn item_step(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let item = st.db.application_item(id).await?;
    ctx.require(Perm::View, Resource::Assistance, &item.region_code, None)?;
    let h = st.db.household(item.household_id).await?;
    let result = take_step(&st, &ctx, id, &f).await.map(|_| "saved");
    on_household(&st, &ctx, h, result).await
}

/// Runs the rules now and keeps the result (the worker sees it before deciding).
pub async fn item_evaluate(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let item = st.db.application_item(parse_id(&id)?).await?;
    ctx.require(Perm::Update, Resource::Assistance, &item.region_code, None)?;
    let h = st.db.household(item.household_id).await?;
    let result = async {
        match evaluate(&st, &h, &item, today()).await? {
            Some(d) => {
                st.db
                    .item_decision_save(&ctx.actor, item.id, item.version, &d)
                    .await?;
                Ok("evaluated")
            }
            None => Err(AppError::invalid("rules_not_for_item", "")),
        }
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Template)]
#[template(path = "assistance/applications.html")]
struct ApplicationsPage {
    l: Layout,
    apps: Vec<AppView>,
    pager: Pager,
    q: String,
}

impl ApplicationsPage {
    /// Amber when the decision is due within three days, red once it has passed (open items
    /// only: a decided application owes nothing).
    fn due(&self, app: &AppView) -> &'static str {
        if app.items.iter().all(|v| v.i.state().is_final()) {
            return "";
        }
        let t = today();
        match parse_day(&app.a.decision_due) {
            Some(d) if d < t => "is-danger",
            Some(d) if d <= t + chrono::Duration::days(3) => "is-warning",
            _ => "",
        }
    }
}

pub async fn applications(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let filter = jiuzhu_storage::assistance::AppFilter {
        item: q.get("item").map(str::to_string),
        state: q.get("state").map(str::to_string),
        area: q.get("area").map(str::to_string),
    };
    let page = st
        .db
        .applications_filtered(
            &ctx.scopes(Perm::View, Resource::Assistance),
            None,
            &filter,
            &q.q,
            q.page(),
        )
        .await?;
    let pager = Pager::new(&page, "/applications", &q.keep(&["item", "state", "area"]));
    Ok(render(&ApplicationsPage {
        l: layout(
            &ctx,
            &st,
            "assistance.applications",
            &[("assistance.applications", "")],
        )
        .await,
        apps: app_views(&st, page.items).await?,
        pager,
        q: q.q.clone(),
    }))
}

// ---------------------------------------------------------------------------------------
// Monthly payments

#[derive(Template)]
#[template(path = "assistance/payments.html")]
struct PaymentsPage {
    l: Layout,
    runs: Vec<jiuzhu_storage::assistance::PaymentRun>,
    can_prepare: bool,
    region: String,
    month: String,
    err: FormError,
}

impl PaymentsPage {
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).to_string()
    }
}

async fn payments_page(
    st: &AppState,
    ctx: &Ctx,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    let next = first_payment_month(today());
    let mut l = layout(
        ctx,
        st,
        "assistance.payments",
        &[("assistance.payments", "")],
    )
    .await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&PaymentsPage {
        runs: st
            .db
            .payment_runs(&ctx.scopes(Perm::View, Resource::Assistance))
            .await?,
        can_prepare: ctx.can(Perm::Update, Resource::Assistance),
        region: ctx
            .user
            .as_ref()
            .map(|u| u.region_code.clone())
            .unwrap_or_default(),
        month: next.format("%Y-%m").to_string(),
        err,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn payments(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    payments_page(&st, &ctx, Some(&q), FormError::default()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct RunForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub month: String,
}

pub async fn payment_prepare(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<RunForm>,
) -> AppResult<Response> {
    let result = async {
        let region = parse_region(&f.region_code)?;
        ctx.require(Perm::Update, Resource::Assistance, region.as_str(), None)?;
        let month = parse_day(&format!("{}-01", f.month.trim()))
            .ok_or_else(|| AppError::invalid("date_invalid", "month"))?;
        Ok::<_, AppError>(
            st.db
                .payment_run_prepare(&ctx.actor, &region, month)
                .await?,
        )
    }
    .await;
    match result {
        Ok(run) => Ok(Redirect::to(&format!("/payments/{}?ok=prepared", run.id)).into_response()),
        Err(e) if is_form_error(&e) => {
            payments_page(&st, &ctx, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "assistance/payment_run.html")]
struct RunPage {
    l: Layout,
    run: jiuzhu_storage::assistance::PaymentRun,
    payments: Vec<jiuzhu_storage::assistance::Payment>,
    totals: Vec<(String, i64, i64)>,
    can_approve: bool,
    can_update: bool,
    can_export: bool,
    err: FormError,
}

impl RunPage {
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).to_string()
    }
}

async fn run_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    let run = st.db.payment_run(id).await?;
    ctx.require(Perm::View, Resource::Assistance, &run.region_code, None)?;
    let mut l = layout(
        ctx,
        st,
        "assistance.payment_run",
        &[
            ("assistance.payments", "/payments"),
            ("assistance.payment_run", ""),
        ],
    )
    .await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let allowed = |p: Perm| {
        ctx.require(p, Resource::Assistance, &run.region_code, None)
            .is_ok()
    };
    let status = err.status();
    let mut r = render(&RunPage {
        payments: st.db.payments_of_run(id).await?,
        totals: st.db.payment_run_totals(id).await?,
        can_approve: allowed(Perm::Approve),
        can_update: allowed(Perm::Update),
        can_export: allowed(Perm::Export),
        run,
        err,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn payment_run(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    run_page(&st, &ctx, parse_id(&id)?, Some(&q), FormError::default()).await
}

pub async fn payment_approve(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let run = st.db.payment_run(id).await?;
    ctx.require(Perm::Approve, Resource::Assistance, &run.region_code, None)?;
    let result = async {
        let v = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        Ok::<_, AppError>(st.db.payment_run_approve(&ctx.actor, id, v).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/payments/{id}?ok=saved")).into_response()),
        Err(e) if is_form_error(&e) => {
            run_page(&st, &ctx, id, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

/// A CSV field quoted, with quotes doubled, and a leading = + - @ neutralised so a
/// spreadsheet does not run it as a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// The bank file (CSV, UTF-8 with BOM for spreadsheet programs): payment id, name, account,
/// amount in yuan. Full account numbers: the export is logged.
pub async fn payment_bank_file(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let run = st.db.payment_run(id).await?;
    ctx.require(Perm::Export, Resource::Assistance, &run.region_code, None)?;
    let lines = st.db.payment_run_bank_file(&ctx.actor, id).await?;
    let mut csv = String::from("\u{feff}payment_id,name,account,amount_yuan\n");
    for b in lines {
        let f = b.amount.0;
        csv.push_str(&format!(
            "{},{},{},{}.{:02}\n",
            b.payment_id,
            csv_field(&b.head_name),
            csv_field(&b.account.unwrap_or_default()),
            f / 100,
            f % 100
        ));
    }
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"payments-{}-{}.csv\"",
                    run.region_code, run.month
                ),
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct ResultForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

pub async fn payment_result(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<ResultForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let (region, run) = st.db.payment_owner(id).await?;
    ctx.require(Perm::Update, Resource::Assistance, &region, None)?;
    let result = async {
        let v = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        st.db
            .payment_result(&ctx.actor, id, v, &f.status, &f.note)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/payments/{run}?ok=saved")).into_response()),
        Err(e) if is_form_error(&e) => {
            run_page(&st, &ctx, run, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// 公示: the public notice page

#[derive(Template)]
#[template(path = "assistance/notices.html")]
struct NoticesPage {
    l: Layout,
    entries: Vec<jiuzhu_storage::assistance::NoticeEntry>,
}

impl NoticesPage {
    fn yuan(&self, fen: &Option<i64>) -> String {
        fen.map(|f| Fen(f).to_string()).unwrap_or_default()
    }
}

/// Anyone may read what is on notice, and only that: masked name, community, item, size of
/// the household, amount, dates.
pub async fn public_notices(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let since = today() - chrono::Duration::days(14);
    Ok(render(&NoticesPage {
        l: layout(
            &ctx,
            &st,
            "assistance.public_notices",
            &[("assistance.public_notices", "")],
        )
        .await,
        entries: st.db.notices_running(since).await?,
    }))
}

// ---------------------------------------------------------------------------------------
// Residents apply online and read the outcome

/// Townships under each county: people apply where they are registered.
async fn township_choices(st: &AppState) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for county in st
        .db
        .regions_to_county()
        .await?
        .into_iter()
        .filter(|r| r.level == "county")
    {
        let code = RegionCode::try_from(county.code.clone())
            .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
        for t in st.db.region_children(Some(&code)).await? {
            out.push((t.code, format!("{} {}", county.name, t.name)));
        }
    }
    Ok(out)
}

#[derive(Deserialize, Default, Clone)]
pub struct OnlineForm {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub head_id: String,
    #[serde(default)]
    pub member2_name: String,
    #[serde(default)]
    pub member2_id: String,
    #[serde(default)]
    pub member2_relation: String,
    #[serde(default)]
    pub member3_name: String,
    #[serde(default)]
    pub member3_id: String,
    #[serde(default)]
    pub member3_relation: String,
    #[serde(default)]
    pub income: String,
    #[serde(default)]
    pub bank_account: String,
    #[serde(default)]
    pub dibao: String,
    #[serde(default)]
    pub linshi: String,
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub authorised: String,
    /// Honeypot.
    #[serde(default)]
    pub website: String,
}

#[derive(Template)]
#[template(path = "assistance/apply.html")]
struct ApplyPage {
    l: Layout,
    f: OnlineForm,
    err: FormError,
    townships: Vec<(String, String)>,
}

async fn apply_page(
    st: &AppState,
    ctx: &Ctx,
    f: OnlineForm,
    err: FormError,
) -> AppResult<Response> {
    let status = err.status();
    let mut r = render(&ApplyPage {
        l: layout(ctx, st, "assistance.apply", &[("assistance.apply", "")]).await,
        f,
        err,
        townships: township_choices(st).await?,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn apply_form(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> AppResult<Response> {
    let f = OnlineForm {
        area: "urban".into(),
        dibao: "1".into(),
        ..Default::default()
    };
    apply_page(&st, &ctx, f, FormError::default()).await
}

#[derive(Template)]
#[template(path = "assistance/apply_done.html")]
struct ApplyDone {
    l: Layout,
    reference: String,
}

fn member_of(
    name: &str,
    id: &str,
    relation: &str,
    field: &'static str,
) -> AppResult<Option<MemberInput>> {
    if name.trim().is_empty() && id.trim().is_empty() {
        return Ok(None);
    }
    let rid = ResidentId::parse(id.trim())
        .map_err(|_| AppError::invalid("resident_id_invalid", field))?;
    Ok(Some(MemberInput {
        name: name.to_string(),
        relation: relation.to_string(),
        resident_id: Some(rid),
        sex: None,
        birth_date: None,
        disability: String::new(),
        disability_grade: 0,
        health: None,
        work_ability: String::new(),
        schooling: String::new(),
        joined_on: today(),
    }))
}

pub async fn apply(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<OnlineForm>,
) -> AppResult<Response> {
    super::public::limited(&st, &ctx, "submit")?;
    if !f.website.is_empty() {
        return Err(AppError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_input",
        ));
    }
    let result = async {
        let region = parse_region(&f.region_code)?;
        let mut members = Vec::new();
        members.extend(member_of(&f.head_name, &f.head_id, "户主", "head_id")?);
        if members.is_empty() {
            return Err(AppError::invalid("name_required", "head_name"));
        }
        members.extend(member_of(
            &f.member2_name,
            &f.member2_id,
            &f.member2_relation,
            "member2_id",
        )?);
        members.extend(member_of(
            &f.member3_name,
            &f.member3_id,
            &f.member3_relation,
            "member3_id",
        )?);
        let mut items = Vec::new();
        if !f.dibao.is_empty() {
            items.push(Item::Dibao);
        }
        if !f.linshi.is_empty() {
            items.push(Item::LinshiSpending);
        }
        if f.authorised.is_empty() {
            return Err(AppError::invalid("authorisation_required", "authorised"));
        }
        let settings = st.assistance.for_region(&region, today());
        let cal = jiuzhu_domain::WorkCalendar::national();
        let app = st
            .db
            .apply_online(
                &ctx.actor,
                &jiuzhu_storage::assistance::OnlineApplication {
                    household: HouseholdInput {
                        region: region.clone(),
                        head_name: f.head_name.clone(),
                        address: f.address.clone(),
                        area: f.area.clone(),
                        housing: String::new(),
                        bank_account: opt(&f.bank_account).map(|b| b.replace(' ', "")),
                    },
                    members,
                    monthly_income: money(&f.income, "income")?,
                    items: if items.is_empty() {
                        return Err(AppError::invalid("items_required", "dibao"));
                    } else {
                        items
                    },
                    authorised: true,
                    accepted_on: today(),
                    decision_due: settings.decision_due(&cal, today()),
                    need: match opt(&f.need) {
                        Some(n) => Some(money(&n, "need")?),
                        None => None,
                    },
                },
            )
            .await?;
        Ok(app)
    }
    .await;
    match result {
        Ok(app) => Ok(render(&ApplyDone {
            l: layout(
                &ctx,
                &st,
                "assistance.apply_done",
                &[
                    ("assistance.apply", "/apply"),
                    ("assistance.apply_done", ""),
                ],
            )
            .await,
            reference: app.reference,
        })),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            // Whether someone is on an assistance file is not for the public to learn.
            let e = if e.code == "member_in_other_household" {
                AppError::invalid("apply_check_with_township", "")
            } else {
                e
            };
            apply_page(&st, &ctx, f.clone(), FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "assistance/apply_status.html")]
struct ApplyStatus {
    l: Layout,
    reference: String,
    found: Option<jiuzhu_storage::assistance::ApplicationLookup>,
    searched: bool,
}

impl ApplyStatus {
    /// The figures behind item `i`'s decision, in the reader's language
    /// (none before it is decided).
    fn why_of(&self, i: &usize) -> Vec<(String, String)> {
        self.found
            .as_ref()
            .and_then(|f| f.decisions.get(*i))
            .and_then(|d| d.as_deref())
            .map(|j| why_lines(&self.l.tr, j))
            .unwrap_or_default()
    }
}

/// The figures an applicant needs to see why the amount is what it is: the standard for the
/// household, its income, the gap, any add-ons, the amount. Named in the reader's language.
fn why_lines(tr: &crate::i18n::Tr, json: &str) -> Vec<(String, String)> {
    const SHOWN: &[&str] = &[
        "members",
        "monthly_income",
        "standard_total",
        "gap",
        "addon_total",
        "minimum_applied",
        "amount",
    ];
    explained(json)
        .map(|x| {
            x.lines
                .into_iter()
                .filter(|(k, _)| SHOWN.contains(&k.as_str()))
                .map(|(k, v)| (tr.t(&format!("rule_fact.{k}")), v))
                .collect()
        })
        .unwrap_or_default()
}

/// The applicant reads each item's progress and, once decided, why.
pub async fn apply_status(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let reference = q.get("ref").unwrap_or("").trim().to_string();
    let searched = !reference.is_empty();
    let found = if searched {
        super::public::limited(&st, &ctx, "lookup")?;
        st.db.application_lookup(&reference).await?
    } else {
        None
    };
    let mut l = layout(
        &ctx,
        &st,
        "assistance.apply_status",
        &[("assistance.apply_status", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&ApplyStatus {
        l,
        reference,
        found,
        searched,
    }))
}

// ---------------------------------------------------------------------------------------
// 复核: periodic reviews

#[derive(Template)]
#[template(path = "assistance/reviews.html")]
struct ReviewsPage {
    l: Layout,
    due: Vec<jiuzhu_storage::assistance::DueReview>,
    can_update: bool,
    today: String,
    err: FormError,
}

impl ReviewsPage {
    fn yuan(&self, fen: &Option<i64>) -> String {
        fen.map(|f| Fen(f).to_string()).unwrap_or_default()
    }
    fn overdue(&self, due: &Option<String>) -> bool {
        due.as_deref().is_some_and(|d| d < self.today.as_str())
    }
}

async fn reviews_page(
    st: &AppState,
    ctx: &Ctx,
    q: Option<&ListQuery>,
    err: FormError,
) -> AppResult<Response> {
    let mut l = layout(ctx, st, "assistance.reviews", &[("assistance.reviews", "")]).await;
    if let Some(q) = q {
        l.flash = flash(&ctx.tr, q);
    }
    let status = err.status();
    let mut r = render(&ReviewsPage {
        due: st
            .db
            .reviews_due(
                &ctx.scopes(Perm::View, Resource::Assistance),
                today() + chrono::Duration::days(30),
            )
            .await?,
        can_update: ctx.can(Perm::Update, Resource::Assistance),
        today: today().format("%Y-%m-%d").to_string(),
        err,
        l,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn reviews(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    reviews_page(&st, &ctx, Some(&q), FormError::default()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct ReviewForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

/// Records a review; the next one follows the item's class.
pub async fn review(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> AppResult<Response> {
    let item = st.db.application_item(parse_id(&id)?).await?;
    // More money is the county's decision (审核确认), as at approval; the other outcomes are
    // the township's. Who may act is settled before the form is read.
    let perm = if f.outcome == "increase" {
        Perm::Approve
    } else {
        Perm::Update
    };
    ctx.require(perm, Resource::Assistance, &item.region_code, None)?;
    let result = async {
        let outcome = jiuzhu_domain::assistance::ReviewOutcome::parse(&f.outcome)
            .ok_or_else(|| AppError::invalid("review_outcome_invalid", "outcome"))?;
        let version = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        let amount = match opt(&f.amount) {
            Some(a) => money(&a, "amount")?,
            None => Fen(item.amount_fen.unwrap_or(0)),
        };
        let h = st.db.household(item.household_id).await?;
        // A new amount is what the rules give on today's declarations, never more; the
        // decision behind it is kept with the item.
        let decision =
            if outcome.ends() || outcome == jiuzhu_domain::assistance::ReviewOutcome::Keep {
                None
            } else {
                evaluate(&st, &h, &item, today()).await?
            };
        if let Some(d) = &decision {
            if amount.0 > d.amount.0 {
                return Err(AppError::invalid("review_above_rules", "amount"));
            }
        }
        let region = RegionCode::try_from(item.region_code.clone())
            .map_err(|_| AppError::invalid("region_code_invalid", ""))?;
        let class = item
            .review_class
            .as_deref()
            .and_then(jiuzhu_domain::assistance::ReviewClass::parse)
            .unwrap_or(jiuzhu_domain::assistance::ReviewClass::B);
        let next = st.assistance.for_region(&region, today()).next_review(
            class,
            h.area == "rural",
            today(),
        );
        st.db
            .review_record(
                &ctx.actor,
                item.id,
                version,
                &jiuzhu_storage::assistance::ReviewInput {
                    outcome,
                    on: today(),
                    amount_after: amount,
                    next_review: Some(next),
                    note: f.note.clone(),
                    decision,
                },
            )
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/reviews?ok=saved").into_response()),
        Err(e) if is_form_error(&e) => {
            reviews_page(&st, &ctx, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// 社会服务统计季报表: the quarterly figures, each drilling down, and Excel

#[derive(Template)]
#[template(path = "assistance/stats.html")]
struct StatsPage {
    l: Layout,
    rows: Vec<jiuzhu_storage::assistance::ProgrammeFigures>,
    quarter: String,
    from: String,
    to: String,
}

impl StatsPage {
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).to_string()
    }
}

/// `?quarter=2026-Q3`; the current quarter by default.
fn quarter_param(q: &ListQuery) -> AppResult<(String, NaiveDate, NaiveDate)> {
    let t = today();
    let bad = || AppError::invalid("quarter_invalid", "quarter");
    let (y, n) = match q.get("quarter") {
        Some(v) => {
            let (y, n) = v.split_once("-Q").ok_or_else(bad)?;
            let y: i32 = y.parse().map_err(|_| bad())?;
            let n: u32 = n.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&n) || !(2000..=2100).contains(&y) {
                return Err(bad());
            }
            (y, n)
        }
        None => (t.year(), (t.month() - 1) / 3 + 1),
    };
    let from = NaiveDate::from_ymd_opt(y, (n - 1) * 3 + 1, 1).expect("valid");
    let to = first_payment_month(first_payment_month(first_payment_month(from)))
        - chrono::Duration::days(1);
    Ok((format!("{y}-Q{n}"), from, to))
}

pub async fn stats(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (quarter, from, to) = quarter_param(&q)?;
    let rows = st
        .db
        .assistance_figures(&ctx.scopes(Perm::View, Resource::Assistance), from, to)
        .await?;
    Ok(render(&StatsPage {
        l: layout(&ctx, &st, "assistance.stats", &[("assistance.stats", "")]).await,
        rows,
        quarter,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
    }))
}

pub async fn stats_xlsx(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let (quarter, from, to) = quarter_param(&q)?;
    let rows = st
        .db
        .assistance_figures(&ctx.scopes(Perm::Export, Resource::Assistance), from, to)
        .await?;
    let tr = ctx.tr;
    let fail = |_| AppError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet
        .write_string_with_format(
            0,
            0,
            format!("{} {quarter}", tr.t("assistance.stats")),
            &bold,
        )
        .map_err(fail)?;
    let heads = [
        "assistance.items",
        "assistance.area",
        "assistance.households_count",
        "assistance.people_count",
        "assistance.average_amount",
        "assistance.spending",
        "assistance.approved_in_period",
    ];
    for (c, h) in heads.iter().enumerate() {
        sheet
            .write_string_with_format(2, c as u16, tr.t(h), &bold)
            .map_err(fail)?;
    }
    for (r, x) in rows.iter().enumerate() {
        let r = r as u32 + 3;
        sheet
            .write_string(r, 0, tr.t(&format!("assistance_item.{}", x.item)))
            .map_err(fail)?;
        sheet
            .write_string(r, 1, tr.t(&format!("area.{}", x.area)))
            .map_err(fail)?;
        sheet
            .write_number(r, 2, x.households as f64)
            .map_err(fail)?;
        sheet.write_number(r, 3, x.people as f64).map_err(fail)?;
        // The fen are exact; the cell shows them as yuan with two decimals.
        sheet
            .write_number(r, 4, x.average_fen as f64 / 100.0)
            .map_err(fail)?;
        sheet
            .write_number(r, 5, x.spending_fen as f64 / 100.0)
            .map_err(fail)?;
        sheet
            .write_number(r, 6, x.approved_in_period as f64)
            .map_err(fail)?;
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"assistance-{quarter}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct MonitoredForm {
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub monitored: String,
}

/// 防止返贫监测: the township marks (or unmarks) a household it watches.
pub async fn set_monitored(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<MonitoredForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let result = async {
        let v = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        st.db
            .household_set_monitored(&ctx.actor, h.id, v, f.monitored == "1")
            .await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct VisitForm {
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lat: String,
    #[serde(default, deserialize_with = "super::text_or_float")]
    pub lng: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub people_seen: String,
    #[serde(default)]
    pub saw_applicant: String,
    #[serde(default)]
    pub note: String,
}

/// 入户走访 from a phone: where (if the phone shares it), who was seen, what was found.
pub async fn visit(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<VisitForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let result = async {
        let position = match (f.lat.trim().parse::<f64>(), f.lng.trim().parse::<f64>()) {
            (Ok(a), Ok(b)) => Some((a, b)),
            _ => None,
        };
        let people = f
            .people_seen
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("count_invalid", "people_seen"))?;
        st.db
            .visit_record(
                &ctx.actor,
                h.id,
                position,
                people,
                !f.saw_applicant.is_empty(),
                &f.note,
            )
            .await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

#[derive(Deserialize, Default, Clone)]
pub struct MeasureForm {
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default, deserialize_with = "super::text_or_number")]
    pub version: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// 一户一策: a measure with its owner and date.
pub async fn measure_add(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<MeasureForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let result = async {
        let due = date_field(&f.due_on, "due_on")?;
        st.db
            .measure_add(&ctx.actor, h.id, &f.measure, &f.owner, due)
            .await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

pub async fn measure_review(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, measure)): Path<(String, String)>,
    Form(f): Form<MeasureForm>,
) -> AppResult<Response> {
    let h = load_household(&st, &ctx, &id, Perm::Update).await?;
    let measure = parse_id(&measure)?;
    let result = async {
        let v = f
            .version
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version_required", ""))?;
        st.db
            .measure_review(&ctx.actor, h.id, measure, v, &f.status, &f.note)
            .await?;
        Ok("saved")
    }
    .await;
    on_household(&st, &ctx, h, result).await
}

// ---------------------------------------------------------------------------------------
// 抽查: the county's spot-check list

#[derive(Template)]
#[template(path = "assistance/spot_check.html")]
struct SpotCheckPage {
    l: Layout,
    picked: Vec<jiuzhu_storage::assistance::DueReview>,
    of: usize,
    pct: u32,
    seed: String,
}

/// A share of the households being paid, drawn reproducibly from a seed written on the list
/// (the same seed draws the same households, so the draw can be checked afterwards).
pub async fn spot_check(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let pct: u32 = q
        .get("pct")
        .map(|p| {
            p.parse()
                .map_err(|_| AppError::invalid("count_invalid", "pct"))
        })
        .transpose()?
        .unwrap_or(30)
        .clamp(1, 100);
    let seed = q
        .get("seed")
        .map(str::to_string)
        .unwrap_or_else(|| today().format("%Y%m").to_string());
    let all = st
        .db
        .enrolled_items(&ctx.scopes(Perm::View, Resource::Assistance))
        .await?;
    let of = all.len();
    let want = (of * pct as usize).div_ceil(100);
    // Order by a hash of the draw number and the item id (FNV-1a, stable across versions):
    // the same draw gives the same list, and no one picks the households.
    let key = |id: i64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.as_bytes().iter().chain(id.to_le_bytes().iter()) {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let mut picked = all;
    picked.sort_by_key(|d| key(d.item.id));
    picked.truncate(want);
    picked.sort_by(|a, b| a.item.region_code.cmp(&b.item.region_code));
    Ok(render(&SpotCheckPage {
        l: layout(
            &ctx,
            &st,
            "assistance.spot_check",
            &[("assistance.spot_check", "")],
        )
        .await,
        picked,
        of,
        pct,
        seed,
    }))
}

// ---------------------------------------------------------------------------------------
// 标准调整: every household being paid, worked out again for a date

pub struct Recomputed {
    pub item: ApplicationItem,
    pub head_name: String,
    pub before: i64,
    pub after: i64,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "assistance/recompute.html")]
struct RecomputePage {
    l: Layout,
    on: String,
    changed: Vec<Recomputed>,
    checked: usize,
    can_apply: bool,
}

impl RecomputePage {
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).to_string()
    }
}

/// Runs the rules for every household being paid as of `on` (a new standard in force from
/// that date) and returns the ones whose amount changes, with the new decision.
async fn recompute(
    st: &AppState,
    ctx: &Ctx,
    on: NaiveDate,
) -> AppResult<(usize, Vec<(Recomputed, DecisionInput)>)> {
    let items = st
        .db
        .enrolled_items(&ctx.scopes(Perm::View, Resource::Assistance))
        .await?;
    let checked = items.len();
    let mut out = Vec::new();
    for d in items {
        let h = st.db.household(d.item.household_id).await?;
        let Some(dec) = evaluate(st, &h, &d.item, on).await? else {
            continue;
        };
        let before = d.item.amount_fen.unwrap_or(0);
        let after = if dec.eligible { dec.amount.0 } else { 0 };
        if after != before {
            let summary = explained(&dec.explanation_json)
                .map(|x| x.summary)
                .unwrap_or_default();
            out.push((
                Recomputed {
                    item: d.item,
                    head_name: d.head_name,
                    before,
                    after,
                    summary,
                },
                dec,
            ));
        }
    }
    Ok((checked, out))
}

fn recompute_day(q: Option<&str>) -> AppResult<NaiveDate> {
    match q.filter(|s| !s.is_empty()) {
        Some(d) => date_field(d, "on"),
        None => Ok(today()),
    }
}

pub async fn recompute_preview(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let on = recompute_day(q.get("on"))?;
    let (checked, changed) = recompute(&st, &ctx, on).await?;
    let mut l = layout(
        &ctx,
        &st,
        "assistance.recompute",
        &[("assistance.recompute", "")],
    )
    .await;
    l.flash = flash(&ctx.tr, &q);
    Ok(render(&RecomputePage {
        l,
        on: on.format("%Y-%m-%d").to_string(),
        changed: changed.into_iter().map(|(r, _)| r).collect(),
        checked,
        can_apply: ctx.can(Perm::Update, Resource::Assistance),
    }))
}

#[derive(Deserialize, Default, Clone)]
pub struct RecomputeForm {
    #[serde(default)]
    pub on: String,
}

/// Applies the new amounts as reviews dated `on` (increase, decrease or stop), each with its
/// explanation kept: every household whose decision changes has its reason on file.
pub async fn recompute_apply(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<RecomputeForm>,
) -> AppResult<Response> {
    let on = recompute_day(Some(&f.on))?;
    let (_, changed) = recompute(&st, &ctx, on).await?;
    let mut applied = 0;
    for (r, dec) in changed {
        if ctx
            .require(
                Perm::Update,
                Resource::Assistance,
                &r.item.region_code,
                None,
            )
            .is_err()
        {
            continue;
        }
        let outcome = if r.after == 0 {
            jiuzhu_domain::assistance::ReviewOutcome::Stop
        } else if r.after > r.before {
            jiuzhu_domain::assistance::ReviewOutcome::Increase
        } else {
            jiuzhu_domain::assistance::ReviewOutcome::Decrease
        };
        st.db
            .review_record(
                &ctx.actor,
                r.item.id,
                r.item.version,
                &jiuzhu_storage::assistance::ReviewInput {
                    outcome,
                    on,
                    amount_after: Fen(r.after),
                    next_review: r.item.next_review.as_deref().and_then(parse_day),
                    note: format!("{} {}", ctx.tr.t("assistance.recompute"), dec.rules_version),
                    decision: Some(dec),
                },
            )
            .await?;
        applied += 1;
    }
    Ok(Redirect::to(&format!(
        "/assistance/recompute?on={}&ok=recomputed&n={applied}",
        on.format("%Y-%m-%d")
    ))
    .into_response())
}

/// A document photo for an application; the permission comes before the upload is read.
pub async fn document_upload(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    let a = st.db.application(parse_id(&id)?).await?;
    ctx.require(Perm::Update, Resource::Assistance, &a.region_code, None)?;
    let htmx = req.headers().contains_key("hx-request");
    let h = st.db.household(a.household_id).await?;
    let to = format!("/households/{}?ok=saved", h.id);
    let result = async {
        let (full, thumb) = crate::photo::read_upload(req, &st).await?;
        st.db.document_add(&ctx.actor, a.id, full, thumb).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) if htmx => {
            Ok(([("hx-redirect", to)], axum::http::StatusCode::NO_CONTENT).into_response())
        }
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) if is_form_error(&e) => {
            household_page(&st, &ctx, h, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

/// A document: `?size=thumb` for the file page; full-size views are logged.
pub async fn document_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let region = st.db.document_region(id).await?;
    ctx.require(Perm::View, Resource::Assistance, &region, None)?;
    let jpeg = st
        .db
        .document(&ctx.actor, id, q.get("size") == Some("thumb"))
        .await?;
    Ok(crate::photo::response(jpeg))
}

/// A photo from a home visit; the permission comes before the upload is read.
pub async fn visit_photo_upload(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    let visit = parse_id(&id)?;
    let (household, region) = st.db.visit_owner(visit).await?;
    ctx.require(Perm::Update, Resource::Assistance, &region, None)?;
    let htmx = req.headers().contains_key("hx-request");
    let to = format!("/households/{household}?ok=saved");
    let result = async {
        let (full, thumb) = crate::photo::read_upload(req, &st).await?;
        st.db
            .visit_photo_add(&ctx.actor, visit, full, thumb)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) if htmx => {
            Ok(([("hx-redirect", to)], axum::http::StatusCode::NO_CONTENT).into_response())
        }
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(e) if is_form_error(&e) => {
            let h = st.db.household(household).await?;
            household_page(&st, &ctx, h, None, FormError::from(&ctx.tr, &e)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn visit_photo_show(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let region = st.db.visit_photo_region(id).await?;
    ctx.require(Perm::View, Resource::Assistance, &region, None)?;
    let (_, jpeg) = st
        .db
        .visit_photo(&ctx.actor, id, q.get("size") == Some("thumb"))
        .await?;
    Ok(crate::photo::response(jpeg))
}

/// The applicant adds a document by the reference number (rate-limited like every public
/// form); the staff see it on the file. Nothing is shown back but a count.
pub async fn applicant_document(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(reference): Path<String>,
    req: axum::extract::Request,
) -> AppResult<Response> {
    super::public::limited(&st, &ctx, "submit")?;
    let id = st
        .db
        .application_by_reference(&reference)
        .await?
        .ok_or_else(AppError::not_found)?;
    let htmx = req.headers().contains_key("hx-request");
    let to = format!(
        "/apply/status?ref={}&ok=document_received",
        reference.trim().to_uppercase()
    );
    let (full, thumb) = crate::photo::read_upload(req, &st).await?;
    st.db.document_add(&ctx.actor, id, full, thumb).await?;
    if htmx {
        Ok(([("hx-redirect", to)], axum::http::StatusCode::NO_CONTENT).into_response())
    } else {
        Ok(Redirect::to(&to).into_response())
    }
}
