//! The social-assistance story: a household of two with a uraemia patient (seed 002) files
//! one application for 低保 and 临时救助; its members and declarations are kept with their
//! dates; a person cannot live in two households at once; the steps are kept with the
//! version the worker saw. On SQLite, and on PostgreSQL when `JIUZHU_TEST_POSTGRES_URL` is
//! set.

mod common;

use chrono::NaiveDate;
use jiuzhu_domain::assistance::{Action, Item, ItemState};
use jiuzhu_domain::{Fen, RegionCode, ResidentId};
use jiuzhu_storage::assistance::{
    ApplicationInput, DecisionInput, Declaration, HouseholdInput, MemberInput, StepEffects,
};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::{Actor, Backend, Db, Keyring, Page, StoreError};

#[tokio::test]
async fn assistance_story_runs_on_every_backend() {
    for (url, _dir) in common::databases("assistance").await {
        eprintln!(
            "assistance story on {}",
            Backend::from_url(&url).unwrap().as_str()
        );
        story(&url).await;
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn member(name: &str, relation: &str, rid: Option<&str>) -> MemberInput {
    MemberInput {
        name: name.into(),
        relation: relation.into(),
        resident_id: rid.map(|r| ResidentId::parse(r).unwrap()),
        sex: None,
        birth_date: None,
        disability: String::new(),
        disability_grade: 0,
        health: None,
        work_ability: "full".into(),
        schooling: String::new(),
        joined_on: d("2020-01-01"),
    }
}

async fn story(url: &str) {
    let db = Db::connect(url, Keyring::ephemeral()).await.unwrap();
    let a = Actor::system("test");
    db.import_regions(
        &a,
        &parse_region_file("330000,浙江省\n331100,丽水市\n331102,莲都区\n331102001000,紫金街道\n")
            .unwrap(),
    )
    .await
    .unwrap();
    let street = RegionCode::parse("331102001000").unwrap();
    let h = db
        .household_create(
            &a,
            &HouseholdInput {
                region: street.clone(),
                head_name: "周建华".into(),
                address: "紫金街道城北社区 3 幢".into(),
                area: "urban".into(),
                housing: "自有住房 45㎡".into(),
                bank_account: Some("6217001234567890123".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        h.bank_account_masked.as_deref().map(|m| m.contains('*')),
        Some(true)
    );
    let rid_head = ResidentId::from_parts("331102", d("1980-01-01"), 1).unwrap();
    let mut patient = member("周建华", "户主", Some(rid_head.as_str()));
    patient.disability = "physical".into();
    patient.disability_grade = 2;
    patient.health = Some("尿毒症，每周透析三次".into());
    patient.work_ability = "none".into();
    let m1 = db.member_add(&a, h.id, &patient).await.unwrap();
    assert!(m1.has_health_note && m1.resident_id_masked.as_deref().unwrap().contains('*'));
    let spouse_rid = ResidentId::from_parts("331102", d("1982-05-06"), 2).unwrap();
    db.member_add(
        &a,
        h.id,
        &member("李秀英", "配偶", Some(spouse_rid.as_str())),
    )
    .await
    .unwrap();

    // A name with a line break could forge a line of the bank file: refused.
    assert!(matches!(
        db.member_add(&a, h.id, &member("周\n9,X,6222,99999", "子女", None))
            .await,
        Err(StoreError::Invalid("name_invalid"))
    ));
    // The same person in a second household is refused, and nothing is written.
    let other = db
        .household_create(
            &a,
            &HouseholdInput {
                region: street.clone(),
                head_name: "李国平".into(),
                address: String::new(),
                area: "urban".into(),
                housing: String::new(),
                bank_account: None,
            },
        )
        .await
        .unwrap();
    let twice = db
        .member_add(
            &a,
            other.id,
            &member("李秀英", "女儿", Some(spouse_rid.as_str())),
        )
        .await;
    assert!(matches!(
        twice,
        Err(StoreError::Invalid("member_in_other_household"))
    ));
    assert_eq!(db.household(other.id).await.unwrap().members, 0);
    // Once she has left the first household, she may join the second.
    let spouse = db
        .members(h.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "李秀英")
        .unwrap();
    assert!(matches!(
        db.member_leave(&a, spouse.id, d("2019-01-01")).await,
        Err(StoreError::Invalid("date_before_joining"))
    ));

    // Declarations are dated: the latest in force on a day counts; a negative one is refused.
    db.finance_add(
        &a,
        h.id,
        &Declaration::new("income", "wages", Fen(300_000), d("2026-01-01"), ""),
    )
    .await
    .unwrap();
    db.finance_add(
        &a,
        h.id,
        &Declaration::new(
            "income",
            "wages",
            Fen(150_000),
            d("2026-06-01"),
            "透析后减少工作",
        ),
    )
    .await
    .unwrap();
    db.finance_add(
        &a,
        h.id,
        &Declaration::new("asset", "deposits", Fen(800_000), d("2026-01-01"), ""),
    )
    .await
    .unwrap();
    assert!(matches!(
        db.finance_add(
            &a,
            h.id,
            &Declaration::new("income", "wages", Fen(-1), d("2026-06-01"), "")
        )
        .await,
        Err(StoreError::Invalid("amount_negative"))
    ));
    assert!(matches!(
        db.finance_add(
            &a,
            h.id,
            &Declaration::new("income", "lottery", Fen(1), d("2026-06-01"), "")
        )
        .await,
        Err(StoreError::Invalid("category_invalid"))
    ));
    let may = db.finances_on(h.id, d("2026-05-15")).await.unwrap();
    let july = db.finances_on(h.id, d("2026-07-15")).await.unwrap();
    let wages = |f: &[jiuzhu_storage::assistance::Finance]| {
        f.iter().find(|x| x.category == "wages").unwrap().amount_fen
    };
    assert_eq!(wages(&may), 300_000);
    assert_eq!(wages(&july), 150_000);
    assert_eq!(july.len(), 2);

    // One application, two items; an empty household cannot apply.
    assert!(matches!(
        db.application_create(
            &a,
            &ApplicationInput {
                household_id: other.id,
                channel: "counter".into(),
                items: vec![Item::Dibao],
                authorised: true,
                missing_docs: String::new(),
                accepted_on: d("2026-07-01"),
                decision_due: d("2026-07-29"),
                need: None,
            },
        )
        .await,
        Err(StoreError::Invalid("household_without_members"))
    ));
    let (app, items) = db
        .application_create(
            &a,
            &ApplicationInput {
                household_id: h.id,
                channel: "counter".into(),
                items: vec![Item::Dibao, Item::LinshiSpending, Item::Dibao],
                authorised: false,
                missing_docs: "透析费用发票".into(),
                accepted_on: d("2026-07-01"),
                decision_due: d("2026-07-29"),
                need: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(items.len(), 2, "an item asked twice is one item");
    assert!(!app.authorised);
    db.application_authorise(&a, app.id, app.version)
        .await
        .unwrap();
    assert!(matches!(
        db.application_authorise(&a, app.id, app.version).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(db.application(app.id).await.unwrap().authorised);

    // A step with the version the worker saw; a second one on the old version conflicts.
    let dibao = items.iter().find(|i| i.item == "dibao").unwrap();
    let check = Action::DataCheck {
        report_ref: "HD-2026-0701".into(),
    };
    let next = db
        .item_step(
            &a,
            dibao.id,
            dibao.version,
            &check,
            ItemState::Checked,
            &StepEffects::default(),
        )
        .await
        .unwrap();
    assert_eq!(next.state(), ItemState::Checked);
    assert!(matches!(
        db.item_step(
            &a,
            dibao.id,
            dibao.version,
            &check,
            ItemState::Checked,
            &StepEffects::default()
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    let steps = db.item_steps(dibao.id).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert!(steps[0].detail_json.contains("HD-2026-0701"));
    let decided = db
        .item_decision_save(
            &a,
            dibao.id,
            next.version,
            &DecisionInput {
                eligible: true,
                amount: Fen(107_200),
                explanation_json: "{\"rule\":\"dibao\"}".into(),
                rules_version: "jiuzhu-rules/test".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(decided.eligible, Some(true));
    assert_eq!(decided.amount_fen, Some(107_200));
    let listed = db
        .applications(
            std::slice::from_ref(&street),
            None,
            "",
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let elsewhere = db
        .applications(
            &[RegionCode::parse("331121").unwrap()],
            None,
            "",
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 0, "jurisdiction limits the list");

    // Approved in July: paid from August, once a month, never twice.
    let approved = db
        .item_step(
            &a,
            dibao.id,
            decided.version,
            &Action::Approve {
                on: d("2026-07-20"),
                opinion: String::new(),
            },
            ItemState::Approved,
            &StepEffects {
                approved_on: Some(d("2026-07-20")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(approved.state(), ItemState::Approved);
    let county = RegionCode::parse("331102").unwrap();
    let july = db
        .payment_run_prepare(&a, &county, d("2026-07-01"))
        .await
        .unwrap();
    assert_eq!(july.payments, 0, "not the month of approval");
    let august = db
        .payment_run_prepare(&a, &county, d("2026-08-01"))
        .await
        .unwrap();
    assert_eq!((august.payments, august.total_fen), (1, 107_200));
    assert!(matches!(
        db.payment_run_prepare(&a, &county, d("2026-08-01")).await,
        Err(StoreError::Invalid("payment_run_exists"))
    ));
    let city = db
        .payment_run_prepare(&a, &RegionCode::parse("331100").unwrap(), d("2026-08-01"))
        .await
        .unwrap();
    assert_eq!(
        city.payments, 0,
        "a payment already in a run is not paid again"
    );
    assert!(matches!(
        db.payment_run_bank_file(&a, august.id).await,
        Err(StoreError::Invalid("payment_run_not_approved"))
    ));
    let pay = db.payments_of_run(august.id).await.unwrap()[0].clone();
    assert!(
        matches!(
            db.payment_result(&a, pay.id, pay.version, "paid", "").await,
            Err(StoreError::Invalid("payment_step_refused"))
        ),
        "no result before the run is approved"
    );
    let run = db
        .payment_run_approve(&a, august.id, august.version)
        .await
        .unwrap();
    assert_eq!(run.status, "approved");
    let file = db.payment_run_bank_file(&a, august.id).await.unwrap();
    assert_eq!(file.len(), 1);
    assert_eq!(file[0].account.as_deref(), Some("6217001234567890123"));
    assert_eq!(db.payment_run(august.id).await.unwrap().status, "exported");
    // Exported once: a second file holds nothing already sent.
    assert!(db
        .payment_run_bank_file(&a, august.id)
        .await
        .unwrap()
        .is_empty());
    let now = |db: Db| async move {
        let p = db.payments_of_run(august.id).await.unwrap()[0].clone();
        (p.status, p.version)
    };
    let (status, v) = now(db.clone()).await;
    assert_eq!(status, "sent");
    db.payment_result(&a, pay.id, v, "failed", "账户冻结")
        .await
        .unwrap();
    assert!(
        matches!(
            db.payment_result(&a, pay.id, v + 1, "paid", "").await,
            Err(StoreError::Invalid("payment_step_refused"))
        ),
        "a failed payment is retried first, not marked paid"
    );
    db.payment_result(&a, pay.id, v + 1, "pending", "已更正账户")
        .await
        .unwrap();
    // The retried payment goes in the next file, and only it.
    assert_eq!(
        db.payment_run_bank_file(&a, august.id).await.unwrap().len(),
        1
    );
    let (status, v) = now(db.clone()).await;
    assert_eq!(status, "sent");
    db.payment_result(&a, pay.id, v, "paid", "").await.unwrap();
    let totals = db.payment_run_totals(august.id).await.unwrap();
    assert_eq!(
        totals,
        vec![("paid".to_string(), 1, 107_200)],
        "every fen accounted for"
    );

    // A review: an increase must raise the amount; a stop ends the payments from its day.
    use jiuzhu_domain::assistance::ReviewOutcome;
    use jiuzhu_storage::assistance::ReviewInput;
    let item = db.application_item(dibao.id).await.unwrap();
    let review = |outcome, fen| ReviewInput {
        outcome,
        on: d("2026-09-15"),
        amount_after: Fen(fen),
        next_review: Some(d("2027-09-15")),
        note: String::new(),
        decision: None,
    };
    assert!(matches!(
        db.review_record(
            &a,
            item.id,
            item.version,
            &review(ReviewOutcome::Increase, 100_000)
        )
        .await,
        Err(StoreError::Invalid("review_amount_disagrees"))
    ));
    let lower = db
        .review_record(
            &a,
            item.id,
            item.version,
            &review(ReviewOutcome::Decrease, 90_000),
        )
        .await
        .unwrap();
    assert_eq!(lower.amount_fen, Some(90_000));
    assert_eq!(lower.next_review.as_deref(), Some("2027-09-15"));
    let stopped = db
        .review_record(&a, lower.id, lower.version, &review(ReviewOutcome::Stop, 0))
        .await
        .unwrap();
    assert_eq!(stopped.ended_on.as_deref(), Some("2026-09-15"));
    let october = db
        .payment_run_prepare(&a, &county, d("2026-10-01"))
        .await
        .unwrap();
    assert_eq!(october.payments, 0, "a stopped item is not paid");
    let september = db
        .payment_run_prepare(&a, &county, d("2026-09-01"))
        .await
        .unwrap();
    assert_eq!(
        (september.payments, september.total_fen),
        (1, 90_000),
        "paid for the month it stopped in, at the new amount"
    );
    // The quarterly figures: approved in Q3, paid once in August, stopped in September so
    // not enrolled at the quarter's end; the drill-down lists the household.
    let q3 = db
        .assistance_figures(
            std::slice::from_ref(&county),
            d("2026-07-01"),
            d("2026-09-30"),
        )
        .await
        .unwrap();
    let dibao_urban = q3
        .iter()
        .find(|f| f.item == "dibao" && f.area == "urban")
        .unwrap();
    assert_eq!(dibao_urban.approved_in_period, 1);
    assert_eq!(dibao_urban.spending_fen, 107_200);
    assert_eq!(
        dibao_urban.households, 0,
        "stopped before the quarter ended"
    );
    let mid = db
        .assistance_figures(
            std::slice::from_ref(&county),
            d("2026-07-01"),
            d("2026-08-31"),
        )
        .await
        .unwrap();
    let m = mid.iter().find(|f| f.item == "dibao").unwrap();
    assert_eq!((m.households, m.people, m.average_fen), (1, 2, 90_000));
    let drill = db
        .applications_filtered(
            std::slice::from_ref(&county),
            None,
            &jiuzhu_storage::assistance::AppFilter {
                item: Some("dibao".into()),
                state: Some("approved".into()),
                area: Some("urban".into()),
            },
            "",
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(drill.total, 1);
    // The plan of measures orders open ones first, on both engines.
    db.measure_add(&a, h.id, "申请医疗救助", "徐建军", d("2026-08-01"))
        .await
        .unwrap();
    db.measure_add(&a, h.id, "推荐公益岗位", "王敏", d("2026-07-15"))
        .await
        .unwrap();
    let ms = db.measures(h.id).await.unwrap();
    let first = ms
        .iter()
        .find(|m| m.measure == "推荐公益岗位")
        .unwrap()
        .clone();
    db.measure_review(&a, h.id, first.id, first.version, "done", "已上岗")
        .await
        .unwrap();
    let ms = db.measures(h.id).await.unwrap();
    assert_eq!(ms[0].measure, "申请医疗救助", "open first");
    assert_eq!(ms[1].status, "done");
    assert!(db.member_cases(h.id).await.unwrap().is_empty());
    db.visit_record(&a, h.id, Some((28.45, 119.91)), 2, true, "")
        .await
        .unwrap();
    assert_eq!(db.visits(h.id).await.unwrap().len(), 1);
    db.close().await;
}
