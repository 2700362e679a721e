//! Demo social assistance: households across the city's townships with realistic members
//! and incomes, a year of one-window applications in every state (each step taken through
//! the domain's state machine, decisions by the same rules as the pages, passed in by the
//! binary), and the monthly payment runs of the last half year.

use crate::names::Person;
use crate::rng::SplitMix64;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use jiuzhu_domain::assistance::{
    classify, first_payment_month, step, Action, AssistanceBook, Capacity, Facts, Item, ItemState,
};
use jiuzhu_domain::{Fen, RegionCode};
use jiuzhu_storage::assistance::{
    ApplicationInput, ApplicationItem, DecisionInput, Declaration, Finance, Household,
    HouseholdInput, Member, MemberInput, StepEffects,
};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::{Actor, Db, StoreError};

/// The rules, as the pages run them: household, current members, declarations in force,
/// the item, the day.
pub type Decider<'a> = &'a dyn Fn(
    &Household,
    &[Member],
    &[Finance],
    &ApplicationItem,
    NaiveDate,
) -> Option<DecisionInput>;

const RELATIONS: &[&str] = &["配偶", "子女", "子女", "父母", "孙子女"];

/// What was made, for the start-up message.
#[derive(Debug, Default, Clone, Copy)]
pub struct Made {
    pub households: usize,
    pub applications: usize,
    pub approved: usize,
    pub payments: usize,
}

fn townships() -> Vec<(String, bool)> {
    parse_region_file(crate::REGIONS)
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.code.to_string())
        .filter(|c| c.len() == 12 && c.ends_with("000"))
        // 街道 (001–099) are urban; 镇 and 乡 (100 and up) rural.
        .map(|c| {
            let urban = c[6..9] < *"100";
            (c, urban)
        })
        .collect()
}

/// `n` households; about a third apply during the year.
pub async fn seed(
    db: &Db,
    rng: &mut SplitMix64,
    n: usize,
    decide: Decider<'_>,
) -> Result<Made, StoreError> {
    let a = Actor::system("demo");
    let places = townships();
    if places.is_empty() || n == 0 {
        return Ok(Made::default());
    }
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
    let mut made = Made::default();
    for k in 0..n {
        let (township, urban) = &places[rng.below(places.len() as u64) as usize];
        let county = &township[..6];
        let head = Person::generate(rng, county, today);
        let h = db
            .household_create(
                &a,
                &HouseholdInput {
                    region: RegionCode::parse(township).expect("demo codes are valid"),
                    head_name: head.name.clone(),
                    address: format!("{}号", 1 + rng.below(300)),
                    area: if *urban { "urban" } else { "rural" }.into(),
                    housing: ["自有住房", "租房", "公租房", "借住亲属房屋"][rng.below(4) as usize]
                        .into(),
                    bank_account: Some(format!("62170{:014}", rng.below(100_000_000_000_000))),
                },
            )
            .await?;
        made.households += 1;
        // A low-income household (about 40%) is the one that usually applies.
        let poor = rng.below(10) < 4;
        let size = 1 + rng.below(if poor { 4 } else { 5 }) as usize;
        for i in 0..size {
            for _attempt in 0..3 {
                let p = Person::generate(rng, county, today);
                let (name, relation) = if i == 0 {
                    (head.name.clone(), "户主")
                } else {
                    (p.name.clone(), RELATIONS[(i - 1) % RELATIONS.len()])
                };
                let rid = if i == 0 {
                    head.resident_id.clone()
                } else {
                    p.resident_id.clone()
                };
                let sick = poor && i == 0 && rng.below(4) == 0;
                let m = MemberInput {
                    name,
                    relation: relation.into(),
                    resident_id: Some(rid),
                    sex: None,
                    birth_date: None,
                    disability: if sick {
                        "physical".into()
                    } else {
                        String::new()
                    },
                    disability_grade: if sick { 1 + rng.below(3) as i64 } else { 0 },
                    health: sick.then(|| {
                        ["尿毒症，规律透析", "脑梗后遗症", "恶性肿瘤术后化疗"]
                            [rng.below(3) as usize]
                            .to_string()
                    }),
                    // Among poor households some can work but earn irregularly (class C).
                    work_ability: if sick {
                        "none"
                    } else if poor && rng.below(3) != 0 {
                        "partial"
                    } else {
                        "full"
                    }
                    .into(),
                    schooling: String::new(),
                    joined_on: today - Duration::days(400 + rng.below(3000) as i64),
                };
                match db.member_add(&a, h.id, &m).await {
                    Ok(_) => break,
                    // Synthetic identity numbers can collide: draw another person.
                    Err(StoreError::Invalid("member_in_other_household")) => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        let per_head = if poor {
            300 + rng.below(700)
        } else {
            1_500 + rng.below(3_000)
        } as i64;
        let from = today - Duration::days(400);
        db.finance_add(
            &a,
            h.id,
            &Declaration::new(
                "income",
                "wages",
                Fen(per_head * size as i64 * 100),
                from,
                "",
            ),
        )
        .await?;
        if rng.below(3) == 0 {
            db.finance_add(
                &a,
                h.id,
                &Declaration::new(
                    "asset",
                    "deposits",
                    Fen(rng.below(if poor { 2_000_000 } else { 20_000_000 }) as i64),
                    from,
                    "",
                ),
            )
            .await?;
        }
        let applies = if poor {
            rng.below(10) < 8
        } else {
            rng.below(20) == 0
        };
        if applies {
            made.applications += 1;
            if apply(db, &a, rng, &h, today, decide, k).await? {
                made.approved += 1;
            }
        }
    }
    made.payments = pay(db, &a, rng, today).await?;
    Ok(made)
}

/// One application from acceptance to wherever this household has got to. Returns whether
/// its 低保 was approved.
async fn apply(
    db: &Db,
    a: &Actor,
    rng: &mut SplitMix64,
    h: &Household,
    today: NaiveDate,
    decide: Decider<'_>,
    k: usize,
) -> Result<bool, StoreError> {
    // A year of new applications, and the beneficiaries of the year before (their reviews
    // fall due now).
    let accepted =
        today - Duration::days(10 + rng.below(if k.is_multiple_of(3) { 730 } else { 350 }) as i64);
    let mut items = vec![Item::Dibao];
    if rng.below(5) == 0 {
        items.push(Item::ReferralMedical);
    }
    let (_, all) = db
        .application_create(
            a,
            &ApplicationInput {
                household_id: h.id,
                channel: if k.is_multiple_of(4) {
                    "online"
                } else {
                    "counter"
                }
                .into(),
                items,
                authorised: true,
                missing_docs: String::new(),
                accepted_on: accepted,
                decision_due: accepted + Duration::days(28),
                need: None,
            },
        )
        .await?;
    let mut item = all
        .into_iter()
        .find(|i| i.item == "dibao")
        .expect("asked for");
    // How far this one got: most older applications are decided.
    let age = (today - accepted).num_days();
    let target = match rng.below(20) {
        0 => ItemState::Accepted,
        1 => ItemState::Checked,
        2 => ItemState::Investigated,
        3 | 4 if age < 40 => ItemState::Noticed,
        _ => ItemState::Approved,
    };
    let members: Vec<Member> = db.members(h.id).await?;
    let plan: Vec<(Action, NaiveDate)> = vec![
        (
            Action::DataCheck {
                report_ref: format!("HD-{}-{:05}", accepted.year(), k),
            },
            accepted + Duration::days(3),
        ),
        (
            Action::Investigate {
                staff: vec!["徐建军".into(), "王敏".into()],
                signed_form: true,
            },
            accepted + Duration::days(8),
        ),
        (
            Action::FirstReview {
                opinion: "经调查核实".into(),
            },
            accepted + Duration::days(12),
        ),
        (
            Action::PublishNotice {
                from: accepted + Duration::days(13),
            },
            accepted + Duration::days(13),
        ),
        (
            Action::Approve {
                on: accepted + Duration::days(21),
                opinion: "同意".into(),
            },
            accepted + Duration::days(21),
        ),
    ];
    for (action, on) in plan {
        if item.state() == target || on > today {
            break;
        }
        if matches!(action, Action::FirstReview { .. }) {
            let finances = db.finances_on(h.id, on).await?;
            if let Some(d) = decide(h, &members, &finances, &item, on) {
                item = db.item_decision_save(a, item.id, item.version, &d).await?;
            }
            if item.eligible == Some(false) {
                let reasons = Action::Refuse {
                    reasons: "家庭人均收入高于当地低保标准".into(),
                };
                db.item_step(
                    a,
                    item.id,
                    item.version,
                    &reasons,
                    ItemState::Refused,
                    &StepEffects {
                        refused_on: Some(on),
                        ..Default::default()
                    },
                )
                .await?;
                return Ok(false);
            }
        }
        let facts = Facts {
            item: Item::Dibao,
            authorised: true,
            notice_from: item
                .notice_from
                .as_deref()
                .and_then(jiuzhu_domain::time::parse_day),
            eligible: item.eligible,
            // The step as of the day it was taken.
            today: on,
            notice_days: 7,
        };
        let Ok(next) = step(item.state(), &action, &facts) else {
            break;
        };
        let effects = match &action {
            Action::PublishNotice { from } => StepEffects {
                notice_from: Some(*from),
                ..Default::default()
            },
            Action::Approve { on, .. } => {
                let caps: Vec<Capacity> = members
                    .iter()
                    .map(|m| Capacity {
                        age: m
                            .birth_date
                            .as_deref()
                            .and_then(jiuzhu_domain::time::parse_day)
                            .and_then(|b| on.years_since(b))
                            .unwrap_or(40),
                        able: m.work_ability == "full",
                        severe_disability: (1..=2).contains(&m.disability_grade),
                    })
                    .collect();
                let class = classify(&caps);
                let region = RegionCode::parse(&h.region_code).expect("stored codes are valid");
                StepEffects {
                    approved_on: Some(*on),
                    review_class: Some(class.as_str().to_string()),
                    next_review: Some(
                        AssistanceBook::shipped()
                            .for_region(&region, *on)
                            .next_review(class, h.area == "rural", *on),
                    ),
                    ..Default::default()
                }
            }
            _ => StepEffects::default(),
        };
        item = db
            .item_step(a, item.id, item.version, &action, next, &effects)
            .await?;
    }
    Ok(item.state() == ItemState::Approved)
}

/// Six months of payment runs for the city: prepared, approved, and the bank's answers
/// (a few accounts fail and are retried).
async fn pay(
    db: &Db,
    a: &Actor,
    rng: &mut SplitMix64,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    // One run per county and month, as each county pays its own.
    let counties: Vec<RegionCode> = parse_region_file(crate::REGIONS)
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.code)
        .filter(|c| c.as_str().len() == 6 && !c.as_str().ends_with("00"))
        .collect();
    let mut month = first_payment_month(today - Duration::days(200));
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid");
    let mut n = 0;
    while month <= this {
        for county in &counties {
            let run = db.payment_run_prepare(a, county, month).await?;
            if run.payments == 0 {
                continue;
            }
            let run = db.payment_run_approve(a, run.id, run.version).await?;
            db.payment_run_bank_file(a, run.id).await?;
            for p in db.payments_of_run(run.id).await? {
                // Exported: each payment is now sent, one version on.
                if rng.below(50) == 0 {
                    db.payment_result(a, p.id, p.version, "failed", "账户已销户")
                        .await?;
                    db.payment_result(a, p.id, p.version + 1, "pending", "已更正账户")
                        .await?;
                    db.payment_run_bank_file(a, run.id).await?;
                    db.payment_result(a, p.id, p.version + 3, "paid", "")
                        .await?;
                } else {
                    db.payment_result(a, p.id, p.version, "paid", "").await?;
                }
                n += 1;
            }
        }
        month = first_payment_month(month);
    }
    Ok(n)
}
