//! The station story: a man found by the patrol is registered, checked and admitted; his
//! deadlines run; a boy cannot walk out alone; a second stay of the same man is linked to
//! the first. On SQLite, and on PostgreSQL when `JIUZHU_TEST_POSTGRES_URL` is set.

mod common;

use chrono::{Duration, NaiveDate, Utc};
use jiuzhu_domain::case::{CaseEvent, Channel, Exit, Screening, Travel};
use jiuzhu_domain::deadline::{DeadlineKind, DeadlineStatus};
use jiuzhu_domain::{Fen, RegionCode, ResidentId, Sex, WorkCalendar};
use jiuzhu_storage::orgs::{OrgInput, OrgKind};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::station::{IntakeInput, PersonInput};
use jiuzhu_storage::{Actor, Backend, Db, Keyring, StoreError};
use sqlx::Connection;

fn staff() -> Actor {
    Actor {
        user_id: None,
        name: "station".into(),
        ip: "127.0.0.1".into(),
        request_id: "t".into(),
    }
}

fn person(name: &str, sex: Sex, age: u32) -> PersonInput {
    PersonInput {
        name: name.into(),
        sex: Some(sex),
        estimated_age: Some(age),
        dialect: "温州话".into(),
        features: "左手背有疤".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn station_story_runs_on_every_backend() {
    for (url, _dir) in common::databases("station").await {
        eprintln!(
            "station story on {}",
            Backend::from_url(&url).unwrap().as_str()
        );
        story(&url).await;
    }
}

async fn story(url: &str) {
    let db = Db::connect(url, Keyring::ephemeral()).await.unwrap();
    let a = staff();
    db.import_regions(
        &a,
        &parse_region_file("330000,浙江省\n331100,丽水市\n331102,莲都区\n331121,青田县\n").unwrap(),
    )
    .await
    .unwrap();
    let lishui = RegionCode::parse("331102").unwrap();
    let station = db
        .org_create(
            &a,
            &OrgInput {
                region: lishui.clone(),
                kind: OrgKind::RescueStation,
                name: "丽水市救助管理站".into(),
                address: String::new(),
                phone: None,
            },
        )
        .await
        .unwrap();
    let rules = jiuzhu_domain::settings::SettingsBook::shipped()
        .for_region(&RegionCode::nation(), chrono::Utc::now().date_naive())
        .clone();
    let now = Utc::now();
    let cal = WorkCalendar::national();

    // The patrol brings in a man who cannot say where he is from: unidentified.
    let intake = |p: PersonInput, at| IntakeInput {
        station_id: station.id,
        channel: Channel::Patrol,
        cause: "街面巡查发现，衣着单薄".into(),
        registered_at: at,
        person: p,
    };
    let c = db
        .intake(
            &a,
            &lishui,
            &intake(person("老王", Sex::Male, 60), now - Duration::days(12)),
        )
        .await
        .unwrap();
    assert_eq!(c.state, "registered");
    assert!(c.unidentified);
    assert!(c.case_no.ends_with(&format!("{:06}", c.id)));

    // Impossible input is refused and leaves nothing behind.
    let before = db
        .cases_list(
            std::slice::from_ref(&lishui),
            &Default::default(),
            &Default::default(),
            Default::default(),
        )
        .await
        .unwrap()
        .total;
    let future = PersonInput {
        birth_date: NaiveDate::from_ymd_opt(2099, 1, 1),
        ..person("未来人", Sex::Male, 30)
    };
    assert!(matches!(
        db.intake(&a, &lishui, &intake(future, now)).await,
        Err(StoreError::Invalid("birth_date_invalid"))
    ));
    assert!(matches!(
        db.intake(&a, &lishui, &intake(person("寿星", Sex::Female, 150), now))
            .await,
        Err(StoreError::Invalid("age_invalid"))
    ));
    assert!(matches!(
        db.intake(
            &a,
            &lishui,
            &intake(person("明天", Sex::Female, 30), now + Duration::days(1))
        )
        .await,
        Err(StoreError::Invalid("time_in_future"))
    ));
    assert_eq!(
        db.cases_list(
            std::slice::from_ref(&lishui),
            &Default::default(),
            &Default::default(),
            Default::default()
        )
        .await
        .unwrap()
        .total,
        before
    );

    // Leaving before admission is not a legal transition.
    let walk_out = CaseEvent::Depart(Exit::SelfDischarge {
        statement_signed: true,
        travel: Travel::None,
    });
    assert!(matches!(
        db.case_apply(&a, c.id, c.version, &walk_out, now, &rules)
            .await,
        Err(StoreError::Invalid("case_illegal_transition"))
    ));

    let c = db
        .case_apply(
            &a,
            c.id,
            c.version,
            &CaseEvent::FirstCheck {
                note: "体温36.8，无外伤".into(),
                diversion: None,
            },
            now - Duration::days(12),
            &rules,
        )
        .await
        .unwrap();
    let c = db
        .case_apply(
            &a,
            c.id,
            c.version,
            &CaseEvent::Screen(Screening::Admit { verify_later: true }),
            now - Duration::days(12),
            &rules,
        )
        .await
        .unwrap();
    assert_eq!(c.state, "in_station");
    assert_eq!(c.days_in_station(now.timestamp_millis()), 12);

    // He sleeps in the men's area; the women's area is refused by the separation rules.
    use jiuzhu_domain::case::Area;
    assert!(matches!(
        db.case_assign_bed(&a, c.id, c.version, Area::WomenArea, "W-03")
            .await,
        Err(StoreError::Invalid("case_area_not_allowed"))
    ));
    let c = db
        .case_assign_bed(&a, c.id, c.version, Area::MenArea, "M-12")
        .await
        .unwrap();
    assert_eq!((c.area.as_str(), c.bed.as_str()), ("men", "M-12"));

    // Twelve days in: the notice, the DNA request and the ten-day filing are all late.
    let ds = c.deadlines(&cal, &rules, now);
    for kind in [
        DeadlineKind::SearchNotice,
        DeadlineKind::DnaRequest,
        DeadlineKind::StayExtension,
    ] {
        assert_eq!(
            ds.iter().find(|d| d.kind == kind).unwrap().status,
            DeadlineStatus::Overdue,
            "{kind:?}"
        );
    }
    let c = db
        .case_mark(
            &a,
            c.id,
            c.version,
            DeadlineKind::SearchNotice,
            now - Duration::days(11),
        )
        .await
        .unwrap();
    assert_eq!(
        c.deadlines(&cal, &rules, now)
            .iter()
            .find(|d| d.kind == DeadlineKind::SearchNotice)
            .unwrap()
            .status,
        DeadlineStatus::Done
    );

    // A stale edit conflicts.
    assert!(matches!(
        db.case_mark(&a, c.id, c.version - 1, DeadlineKind::DnaRequest, now)
            .await,
        Err(StoreError::Conflict { .. })
    ));

    // He leaves on his own with a ticket; cash over 20 yuan would have been refused.
    let too_much = CaseEvent::Depart(Exit::SelfDischarge {
        statement_signed: true,
        travel: Travel::Cash {
            amount: Fen::from_yuan(50),
        },
    });
    assert!(matches!(
        db.case_apply(&a, c.id, c.version, &too_much, now, &rules)
            .await,
        Err(StoreError::Invalid("case_cash_over_limit"))
    ));
    let ticket = CaseEvent::Depart(Exit::SelfDischarge {
        statement_signed: true,
        travel: Travel::Ticket {
            description: "丽水—温州 K1234".into(),
        },
    });
    let c = db
        .case_apply(&a, c.id, c.version, &ticket, now, &rules)
        .await
        .unwrap();
    assert_eq!(c.state, "departed");
    assert_eq!(c.exit_kind.as_deref(), Some("self_discharge"));
    assert!(
        c.deadlines(&cal, &rules, now).is_empty(),
        "no deadlines after leaving"
    );
    let timeline: Vec<String> = db
        .case_events(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        timeline,
        [
            "intake",
            "first_check",
            "admit",
            "search_notice",
            "self_discharge"
        ]
    );

    // A fifteen-year-old cannot leave alone; his father collects him with his ID checked.
    let boy = db
        .intake(
            &a,
            &lishui,
            &intake(person("小明", Sex::Male, 15), now - Duration::hours(5)),
        )
        .await
        .unwrap();
    let boy = db
        .case_apply(
            &a,
            boy.id,
            boy.version,
            &CaseEvent::FirstCheck {
                note: String::new(),
                diversion: None,
            },
            now - Duration::hours(5),
            &rules,
        )
        .await
        .unwrap();
    let boy = db
        .case_apply(
            &a,
            boy.id,
            boy.version,
            &CaseEvent::Screen(Screening::Admit {
                verify_later: false,
            }),
            now - Duration::hours(5),
            &rules,
        )
        .await
        .unwrap();
    assert!(matches!(
        db.case_apply(&a, boy.id, boy.version, &ticket, now, &rules)
            .await,
        Err(StoreError::Invalid("case_self_discharge_under_16"))
    ));
    let father_id = ResidentId::parse("331121198001011237")
        .or_else(|_| {
            ResidentId::from_parts("331121", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), 123)
        })
        .unwrap();
    let collect = CaseEvent::Depart(Exit::CollectedByRelatives {
        collector_name: "王建国".into(),
        relation: "父亲".into(),
        collector_id: Some(father_id.clone()),
    });
    let boy = db
        .case_apply(&a, boy.id, boy.version, &collect, now, &rules)
        .await
        .unwrap();
    assert_eq!(boy.exit_kind.as_deref(), Some("collected_by_relatives"));

    // Both went home, so the home side has three follow-ups for each: a week, a month and
    // three months after leaving.
    let ledger = db
        .follow_ups(
            std::slice::from_ref(&lishui),
            &Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(ledger.total, 6);
    let visit = ledger
        .items
        .iter()
        .find(|f| f.case_id == boy.id)
        .unwrap()
        .clone();
    assert_eq!(visit.kind, "phone");
    let elsewhere = db
        .follow_ups(
            &[RegionCode::parse("331121").unwrap()],
            &Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        elsewhere.total, 0,
        "another county's ledger does not show them"
    );
    use jiuzhu_domain::follow_up::Outcome;
    let done = db
        .follow_up_record(
            &a,
            visit.id,
            visit.version,
            Outcome::Settled,
            "已返校，父亲在家照看",
            true,
            false,
            now,
        )
        .await
        .unwrap();
    assert!(done.done_at.is_some() && done.guardian_reminded);
    // The sending station reads the home side's feedback on its own case.
    let timeline = db.case_events(boy.id).await.unwrap();
    assert!(timeline
        .iter()
        .any(|e| e.event == "home_feedback" && e.detail.contains("已返校")));
    assert!(matches!(
        db.follow_up_record(
            &a,
            visit.id,
            done.version,
            Outcome::LeftAgain,
            "",
            false,
            false,
            now
        )
        .await,
        Err(StoreError::Invalid("follow_up_already_recorded"))
    ));
    let open = db
        .follow_ups(
            std::slice::from_ref(&lishui),
            &jiuzhu_storage::station::FollowUpFilter {
                open: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(open.total, 5);

    // 李国强 is on his village's register of people prone to wandering; when he turns up at
    // a station, the village is alerted.
    let rid =
        ResidentId::from_parts("331121", NaiveDate::from_ymd_opt(1970, 5, 6).unwrap(), 31).unwrap();
    let village = RegionCode::parse("331121").unwrap();
    db.register_add(
        &a,
        &jiuzhu_storage::register::RegisterInput {
            region: village.clone(),
            name: "李国强".into(),
            sex: None,
            resident_id: Some(rid.clone()),
            guardian_name: "李建华".into(),
            guardian_phone: Some("13905781234".into()),
            reason: "阿尔茨海默病，曾多次走失".into(),
        },
    )
    .await
    .unwrap();

    // A known man, registered twice: the second intake finds the first by ID and links.
    let rid =
        ResidentId::from_parts("331121", NaiveDate::from_ymd_opt(1970, 5, 6).unwrap(), 31).unwrap();
    let known = PersonInput {
        resident_id: Some(rid.clone()),
        health: "高血压".into(),
        relatives: "妻 138********".into(),
        ..person("李国强", Sex::Male, 56)
    };
    let first = db
        .intake(
            &a,
            &lishui,
            &intake(known.clone(), now - Duration::days(40)),
        )
        .await
        .unwrap();
    assert!(!first.unidentified);
    let prior = db
        .prior_people(&[RegionCode::nation()], &known, now.date_naive())
        .await
        .unwrap();
    assert_eq!(
        prior.first().map(|p| (p.person_id, p.matched_on)),
        Some((first.person_id, "resident_id"))
    );
    let second = db
        .intake(&a, &lishui, &intake(known.clone(), now - Duration::days(1)))
        .await
        .unwrap();
    assert_eq!(second.person_id, first.person_id, "same person record");
    assert_eq!(
        second.linked_case_id,
        Some(first.id),
        "new stay linked to the old one"
    );
    // A name-only match is a suggestion, and only inside the caller's jurisdiction.
    let namesake = person("李国强", Sex::Male, 58);
    assert_eq!(
        db.prior_people(std::slice::from_ref(&lishui), &namesake, now.date_naive())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(db
        .prior_people(
            &[RegionCode::parse("331121").unwrap()],
            &namesake,
            now.date_naive()
        )
        .await
        .unwrap()
        .is_empty());

    // Sensitive fields are encrypted at rest and revealed only through the logged call.
    assert_eq!(second.resident_id_masked, Some(rid.masked()));
    let (shown, health, _) = db.person_reveal(&a, first.person_id).await.unwrap();
    assert_eq!(shown.as_deref(), Some(rid.as_str()));
    assert_eq!(health.as_deref(), Some("高血压"));
    if db.backend() == Backend::Sqlite {
        db.close().await;
        let path = jiuzhu_storage::dialect::sqlite_path(url).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        for secret in [rid.as_str(), father_id.as_str(), "高血压"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in the file"
            );
        }
    } else {
        let mut raw = sqlx::AnyConnection::connect(url).await.unwrap();
        for table in [
            "persons",
            "cases",
            "case_events",
            "audit_log",
            "wandering_register",
        ] {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                    .fetch_all(&mut raw)
                    .await
                    .unwrap();
            for row in rows {
                for secret in [rid.as_str(), father_id.as_str(), "高血压"] {
                    assert!(!row.contains(secret), "{secret} in {table}");
                }
            }
        }
        db.close().await;
    }
}
