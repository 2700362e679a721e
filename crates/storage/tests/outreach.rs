//! The street-outreach story: a passer-by reports a man sleeping under a bridge; the
//! operator dispatches the nearest team; two operators cannot both dispatch it; the team
//! records a refusal with supplies, which closes the sighting; the reporter reads the
//! outcome by reference. A cold warning starts a winter campaign that covers the county for
//! its days. A plan keeps the stops already made when it is made again. On SQLite, and on
//! PostgreSQL when `JIUZHU_TEST_POSTGRES_URL` is set.

mod common;

use chrono::NaiveDate;
use jiuzhu_domain::outreach::{
    CampaignKind, ContactOutcome, ExtraVisits, SightingChannel, SightingStatus, Tier, WarningLevel,
    WeatherKind,
};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::outreach::{
    CampaignInput, ContactInput, HotspotInput, PostInput, SightingInput, Step, StopInput,
    TeamInput, WarningInput,
};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::{now_ms, Actor, Backend, Db, Keyring, Page, StoreError};

#[tokio::test]
async fn outreach_story_runs_on_every_backend() {
    for (url, _dir) in common::databases("outreach").await {
        eprintln!(
            "outreach story on {}",
            Backend::from_url(&url).unwrap().as_str()
        );
        story(&url).await;
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn story(url: &str) {
    let db = Db::connect(url, Keyring::ephemeral()).await.unwrap();
    let a = Actor::system("test");
    db.import_regions(
        &a,
        &parse_region_file("330000,浙江省\n331100,丽水市\n331102,莲都区\n331121,青田县\n").unwrap(),
    )
    .await
    .unwrap();
    let liandu = RegionCode::parse("331102").unwrap();
    let qingtian = RegionCode::parse("331121").unwrap();

    let bridge = db
        .hotspot_add(
            &a,
            &HotspotInput {
                region: liandu.clone(),
                name: "大洋路桥洞".into(),
                lat: 28.452,
                lng: 119.915,
                tier: Tier::Key,
                notes: "夜间常有人露宿".into(),
            },
        )
        .await
        .unwrap();
    let bad = db
        .hotspot_add(
            &a,
            &HotspotInput {
                region: liandu.clone(),
                name: "坐标错误".into(),
                lat: f64::NAN,
                lng: 119.9,
                tier: Tier::General,
                notes: String::new(),
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid("position_invalid"))));

    let near = db
        .team_add(
            &a,
            &TeamInput {
                region: liandu.clone(),
                name: "巡查一队".into(),
                members: "吴国平, 李强".into(),
                shifts: "08:00-15:00,15:00-22:00".into(),
                base_lat: 28.45,
                base_lng: 119.92,
            },
        )
        .await
        .unwrap();
    let far = db
        .team_add(
            &a,
            &TeamInput {
                region: qingtian.clone(),
                name: "青田巡查队".into(),
                members: String::new(),
                shifts: "08:00-20:00".into(),
                base_lat: 28.14,
                base_lng: 120.29,
            },
        )
        .await
        .unwrap();

    // A passer-by's report, with a phone number for a call back.
    let s = db
        .sighting_create(
            &Actor::system("public"),
            &SightingInput {
                region: liandu.clone(),
                channel: SightingChannel::Public,
                reported_at: now_ms(),
                position: Some((28.4521, 119.9149)),
                place: "大洋路桥下".into(),
                description: "一名老人睡在桥洞，衣着单薄".into(),
                people_count: 1,
                child: false,
                urgent: false,
                caller_name: "王先生".into(),
                contact: Some("13800138000".into()),
                call_ref: String::new(),
                camera_id: None,
                snapshot_ref: String::new(),
                hotspot_id: Some(bridge.id),
                respond_within_minutes: 90,
            },
        )
        .await
        .unwrap();
    assert_eq!(s.status(), SightingStatus::Open);
    assert!(s.reference.starts_with('S'));
    assert_eq!(s.contact_masked.as_deref(), Some("138****8000"));
    let looked = db
        .sighting_lookup(&s.reference.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(looked.status, SightingStatus::Open);

    // A child is urgent whatever the caller said.
    let child = db
        .sighting_create(
            &a,
            &SightingInput {
                region: liandu.clone(),
                channel: SightingChannel::Video,
                reported_at: now_ms(),
                position: None,
                place: "火车站广场".into(),
                description: "独自一人的男孩".into(),
                people_count: 1,
                child: true,
                urgent: false,
                caller_name: String::new(),
                contact: None,
                call_ref: String::new(),
                camera_id: None,
                snapshot_ref: "CAM-7 14:02".into(),
                hotspot_id: None,
                respond_within_minutes: 20,
            },
        )
        .await
        .unwrap();
    assert!(child.urgent);
    let queue = db
        .sightings(
            std::slice::from_ref(&liandu),
            true,
            None,
            "",
            Page::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(queue.items[0].id, child.id, "urgent first");

    // A team from another county cannot take it; a step out of order is refused.
    let wrong = db
        .sighting_step(
            &a,
            s.id,
            s.version,
            Step::to(SightingStatus::Dispatched).team(far.id),
        )
        .await;
    assert!(matches!(
        wrong,
        Err(StoreError::Invalid("team_outside_region"))
    ));
    let skip = db
        .sighting_step(&a, s.id, s.version, Step::to(SightingStatus::OnScene))
        .await;
    assert!(matches!(
        skip,
        Err(StoreError::Invalid("sighting_step_refused"))
    ));

    // Two operators dispatch at once: one wins, the other is told.
    let first = db
        .sighting_step(
            &a,
            s.id,
            s.version,
            Step::to(SightingStatus::Dispatched).team(near.id),
        )
        .await
        .unwrap();
    let second = db
        .sighting_step(
            &a,
            s.id,
            s.version,
            Step::to(SightingStatus::Dispatched).team(near.id),
        )
        .await;
    assert!(matches!(
        second,
        Err(StoreError::Invalid("sighting_step_refused")) | Err(StoreError::Conflict { .. })
    ));
    assert_eq!(first.team_id, Some(near.id));
    assert_eq!(db.team(near.id).await.unwrap().busy_with, Some(s.id));

    // A stale version is a conflict, never an overwrite.
    let stale = db
        .sighting_step(&a, s.id, s.version, Step::to(SightingStatus::OnScene))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    let there = db
        .sighting_step(&a, s.id, first.version, Step::to(SightingStatus::OnScene))
        .await
        .unwrap();

    // Another team cannot answer it; the right one records a refusal with supplies.
    let not_theirs = db
        .contact_record(
            &a,
            &ContactInput {
                team_id: far.id,
                sighting_id: Some(s.id),
                stop_id: None,
                at: now_ms(),
                position: None,
                outcome: ContactOutcome::RefusedSupplies,
                people_count: 1,
                supplies: 2,
                card_given: true,
                note: String::new(),
                sighting_version: Some(there.version),
            },
        )
        .await;
    assert!(matches!(
        not_theirs,
        Err(StoreError::Invalid("sighting_not_assigned"))
    ));
    let c = db
        .contact_record(
            &a,
            &ContactInput {
                team_id: near.id,
                sighting_id: Some(s.id),
                stop_id: None,
                at: now_ms(),
                position: Some((28.4522, 119.9150)),
                outcome: ContactOutcome::RefusedSupplies,
                people_count: 1,
                supplies: 2,
                card_given: true,
                note: "发放棉被一床、热食一份".into(),
                sighting_version: Some(there.version),
            },
        )
        .await
        .unwrap();
    assert_eq!(c.hotspot_id, Some(bridge.id));
    let closed = db.sighting(s.id).await.unwrap();
    assert_eq!(closed.status(), SightingStatus::Closed);
    assert_eq!(closed.outcome.as_deref(), Some("refused_supplies"));
    let t = db.team(near.id).await.unwrap();
    assert_eq!(t.busy_with, None, "free again");
    assert!((t.lat - 28.4522).abs() < 1e-9, "position remembered");
    let looked = db.sighting_lookup(&s.reference).await.unwrap().unwrap();
    assert_eq!(looked.outcome, Some(ContactOutcome::RefusedSupplies));
    assert!(db.sighting_lookup("S000000XXXXXX").await.unwrap().is_none());
    assert_eq!(
        db.sighting_reveal(&a, s.id).await.unwrap().as_deref(),
        Some("13800138000")
    );

    // A cold warning for the whole city starts a campaign that covers the county. Its days
    // are in the past on purpose: the contact recorded below happens today and must fall
    // outside them whatever day the test runs.
    let (w, camp) = db
        .warning_add(
            &a,
            &WarningInput {
                region: RegionCode::parse("331100").unwrap(),
                kind: WeatherKind::Cold,
                level: WarningLevel::Yellow,
                valid_from: d("2025-12-01"),
                valid_to: d("2025-12-03"),
                source: "丽水市气象台".into(),
            },
            Some(&CampaignInput {
                kind: CampaignKind::WinterWarmth,
                extra: ExtraVisits {
                    key: 1,
                    secondary: 1,
                    general: 0,
                },
                instructions: "加密巡查".into(),
                supplies_target: 20,
                reference: "test".into(),
            }),
        )
        .await
        .unwrap();
    let camp = camp.unwrap();
    assert_eq!(w.campaign_id, Some(camp.id));
    assert_eq!(
        db.campaigns_on(&liandu, d("2025-12-02"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(db
        .campaigns_on(&liandu, d("2025-12-04"))
        .await
        .unwrap()
        .is_empty());
    let backwards = db
        .warning_add(
            &a,
            &WarningInput {
                region: liandu.clone(),
                kind: WeatherKind::Heat,
                level: WarningLevel::Red,
                valid_from: d("2026-07-03"),
                valid_to: d("2026-07-01"),
                source: String::new(),
            },
            None,
        )
        .await;
    assert!(matches!(
        backwards,
        Err(StoreError::Invalid("period_invalid"))
    ));
    assert_eq!(
        db.warnings(std::slice::from_ref(&liandu))
            .await
            .unwrap()
            .len(),
        0,
        "city-wide warnings are the city's"
    );
    assert_eq!(
        db.warnings(&[RegionCode::parse("331100").unwrap()])
            .await
            .unwrap()
            .len(),
        1
    );

    // A plan; a stop made; the plan made again keeps it.
    let day = d("2026-12-02");
    let stops = |n: i64| -> Vec<StopInput> {
        (0..n)
            .map(|i| StopInput {
                team_id: near.id,
                shift: 0,
                seq: i,
                hotspot_id: Some(bridge.id),
                sighting_id: None,
                tier: "key".into(),
                start_min: 480 + 180 * i,
                window_from: 470 + 180 * i,
                window_to: 540 + 180 * i,
            })
            .collect()
    };
    let plan = db
        .plan_save(&a, &liandu, day, "3 stops", &stops(3))
        .await
        .unwrap();
    let made = db.plan_stops(plan.id, Some(near.id)).await.unwrap();
    assert_eq!(made.len(), 3);
    db.contact_record(
        &a,
        &ContactInput {
            team_id: near.id,
            sighting_id: None,
            stop_id: Some(made[0].id),
            at: now_ms(),
            position: None,
            outcome: ContactOutcome::NotFound,
            people_count: 0,
            supplies: 0,
            card_given: false,
            note: String::new(),
            sighting_version: None,
        },
    )
    .await
    .unwrap();
    let again = db
        .plan_save(&a, &liandu, day, "4 stops", &stops(4))
        .await
        .unwrap();
    assert_eq!(again.id, plan.id);
    assert!(again.version > plan.version);
    let now_stops = db.plan_stops(plan.id, None).await.unwrap();
    assert_eq!(
        now_stops.len(),
        5,
        "the stop made is kept beside the 4 new ones"
    );
    assert_eq!(now_stops.iter().filter(|s| s.done_at.is_some()).count(), 1);
    // Moving a stop by hand checks the version and the team.
    let open_stop = now_stops.iter().find(|s| s.done_at.is_none()).unwrap();
    assert!(matches!(
        db.plan_stop_move(&a, open_stop.id, open_stop.version, far.id)
            .await,
        Err(StoreError::Invalid("team_unknown"))
    ));
    assert!(matches!(
        db.plan_stop_move(&a, open_stop.id, open_stop.version + 7, near.id)
            .await,
        Err(StoreError::Conflict { .. })
    ));

    // The campaign report counts the contacts of its days in its region (none were on
    // those days), and the figures count today's.
    assert_eq!(db.campaign_report(&camp).await.unwrap().contacts, 0);
    let today = jiuzhu_domain::time::local_date(now_ms()).unwrap();
    let stats = db
        .outreach_stats(std::slice::from_ref(&liandu), today, today)
        .await
        .unwrap();
    assert_eq!(stats.sightings, 2);
    assert_eq!(stats.contacts, 2);
    assert_eq!(stats.engaged, 1);
    assert_eq!(stats.refusals, 1);
    assert!(stats.to_scene_avg.is_some());
    let stats_qt = db
        .outreach_stats(std::slice::from_ref(&qingtian), today, today)
        .await
        .unwrap();
    assert_eq!(stats_qt.sightings, 0, "jurisdiction limits the figures");

    // Rescue posts: public information, stock kept with a version check.
    let p = db
        .post_add(
            &a,
            &PostInput {
                region: liandu.clone(),
                name: "丽阳街工会驿站".into(),
                partner_kind: "trade_union".into(),
                partner_name: "莲都区总工会".into(),
                lat: 28.455,
                lng: 119.91,
                address: "丽阳街 100 号".into(),
                hours: "08:00-20:00".into(),
                services: "water_food,shelter,charging".into(),
                stock: "矿泉水 40 瓶".into(),
                jobs: String::new(),
            },
        )
        .await
        .unwrap();
    let p2 = db
        .post_update(&a, p.id, p.version, "矿泉水 10 瓶", "", 31)
        .await
        .unwrap();
    assert_eq!(p2.visits_served, 31);
    assert!(matches!(
        db.post_update(&a, p.id, p.version, "x", "", 1).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(db.posts_all().await.unwrap().len(), 1);
    db.close().await;
}
