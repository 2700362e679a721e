//! The family-tracing story: a man without papers is at the station; his daughter reports
//! him missing with his name misheard; the engine's pair is kept; a DNA result backs the
//! confirmation, which identifies him and closes every other pair. A rejected pair stays
//! rejected until its data changes. On SQLite, and on PostgreSQL when
//! `JIUZHU_TEST_POSTGRES_URL` is set.

mod common;

use chrono::{Duration, Utc};
use jiuzhu_domain::case::Channel;
use jiuzhu_domain::tracing::{ChannelOutcome, Evidence, SearchChannel};
use jiuzhu_domain::{RegionCode, Sex};
use jiuzhu_storage::orgs::{OrgInput, OrgKind};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::station::{IntakeInput, PersonInput};
use jiuzhu_storage::tracing::{
    CandidateInput, NoticeFilter, ReportInput, ReportSource, SearchActionInput,
};
use jiuzhu_storage::{Actor, Backend, Db, Keyring, Page, StoreError};

fn pair(case_id: i64, report_id: i64, fingerprint: &str) -> CandidateInput {
    CandidateInput {
        case_id,
        report_id,
        probability: 0.97,
        match_weight: 5.0,
        explanation: "{\"fields\":[]}".into(),
        fingerprint: fingerprint.into(),
    }
}

#[tokio::test]
async fn tracing_story_runs_on_every_backend() {
    for (url, _dir) in common::databases("tracing").await {
        eprintln!(
            "tracing story on {}",
            Backend::from_url(&url).unwrap().as_str()
        );
        story(&url).await;
    }
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
    let lishui = RegionCode::parse("331102").unwrap();
    let station = db
        .org_create(
            &a,
            &OrgInput {
                region: lishui.clone(),
                kind: OrgKind::RescueStation,
                name: "丽水市救助管理站".into(),
                address: "丽水市莲都区".into(),
                phone: None,
            },
        )
        .await
        .unwrap();
    let intake = |name: &str| IntakeInput {
        station_id: station.id,
        channel: Channel::Patrol,
        cause: String::new(),
        registered_at: Utc::now() - Duration::days(30),
        person: PersonInput {
            name: name.into(),
            sex: Some(Sex::Male),
            estimated_age: Some(60),
            dialect: "青田话".into(),
            features: "左手背有疤".into(),
            ..Default::default()
        },
    };
    let man = db.intake(&a, &lishui, &intake("陈国华")).await.unwrap();
    let other = db.intake(&a, &lishui, &intake("陈国平")).await.unwrap();
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).unwrap();

    // The notice goes up: recording it meets the 24-hour deadline.
    db.search_action_add(
        &a,
        &SearchActionInput {
            case_id: man.id,
            channel: SearchChannel::Notice,
            requested_on: today - Duration::days(29),
            reference: "GG-1".into(),
            detail: String::new(),
            outcome: ChannelOutcome::Pending,
            result_on: None,
            result_note: String::new(),
            shared_with: None,
        },
    )
    .await
    .unwrap();
    assert!(db.case(man.id).await.unwrap().notice_published_at.is_some());
    // A search action dated before the intake is refused.
    let early = SearchActionInput {
        case_id: man.id,
        channel: SearchChannel::Media,
        requested_on: today - Duration::days(60),
        reference: String::new(),
        detail: String::new(),
        outcome: ChannelOutcome::Pending,
        result_on: None,
        result_note: String::new(),
        shared_with: None,
    };
    assert!(matches!(
        db.search_action_add(&a, &early).await,
        Err(StoreError::Invalid("date_before_intake"))
    ));

    // The search is shared with 青田; sharing needs a jurisdiction that exists.
    let share = |with: Option<&str>| SearchActionInput {
        case_id: man.id,
        channel: SearchChannel::Shared,
        requested_on: today,
        reference: String::new(),
        detail: String::new(),
        outcome: ChannelOutcome::Pending,
        result_on: None,
        result_note: String::new(),
        shared_with: with.map(|w| RegionCode::parse(w).unwrap()),
    };
    assert!(matches!(
        db.search_action_add(&a, &share(None)).await,
        Err(StoreError::Invalid("shared_with_required"))
    ));
    let media_with_region = SearchActionInput {
        channel: SearchChannel::Media,
        ..share(Some("331121"))
    };
    assert!(matches!(
        db.search_action_add(&a, &media_with_region).await,
        Err(StoreError::Invalid("shared_with_not_shared"))
    ));
    assert!(matches!(
        db.search_action_add(&a, &share(Some("331122"))).await,
        Err(StoreError::Invalid("region_unknown"))
    ));
    db.search_action_add(&a, &share(Some("331121")))
        .await
        .unwrap();
    db.search_action_add(&a, &share(Some("331121")))
        .await
        .unwrap();
    assert_eq!(
        db.case_shares(man.id).await.unwrap(),
        vec![RegionCode::parse("331121").unwrap()]
    );
    let shared_in = db
        .cases_shared_with(&[RegionCode::parse("331121").unwrap()])
        .await
        .unwrap();
    assert_eq!(shared_in.len(), 1);
    assert_eq!(shared_in[0].case_id, man.id);
    assert!(db
        .cases_shared_with(&[RegionCode::parse("331102").unwrap()])
        .await
        .unwrap()
        .is_empty());
    // A township of 青田 sees what was shared with its county.
    assert_eq!(
        db.cases_shared_with(&[RegionCode::parse("331121001000").unwrap()])
            .await
            .unwrap()
            .len(),
        1
    );

    // The public notice shows what a notice may show, and only for a published notice.
    let notices = db
        .public_notices(&NoticeFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(notices.total, 1);
    assert_eq!(notices.items[0].id, man.id);
    assert!(matches!(
        db.public_notice(other.id).await,
        Err(StoreError::NotFound)
    ));

    // The daughter reports him online: consent and a phone are required from the public.
    let mut report = ReportInput {
        region: Some(lishui.clone()),
        name: "陈果华".into(),
        sex: Some(Sex::Male),
        dialect: "青田话".into(),
        reporter_name: "陈丽".into(),
        relation: "女儿".into(),
        contact: Some("13800001111".into()),
        consent: false,
        ..Default::default()
    };
    assert!(matches!(
        db.report_create(&a, ReportSource::Public, &report).await,
        Err(StoreError::Invalid("consent_required"))
    ));
    report.consent = true;
    let r = db
        .report_create(&a, ReportSource::Public, &report)
        .await
        .unwrap();
    assert!(r.ref_no.starts_with("XQ"));
    assert_eq!(r.contact_masked.as_deref(), Some("138****1111"));
    let lookup = db.report_lookup(&r.ref_no.to_lowercase()).await.unwrap();
    assert_eq!(lookup.unwrap().status, "open");

    // The engine's pairs are kept: the right man and a namesake.
    assert_eq!(
        db.candidates_save(&[pair(man.id, r.id, "a"), pair(other.id, r.id, "b")])
            .await
            .unwrap(),
        2
    );
    // Saving the same pairs again adds nothing and does not move their version (a
    // worker's open form stays valid).
    let v0 = db.candidates_for_case(man.id).await.unwrap()[0].version;
    assert_eq!(
        db.candidates_save(&[pair(man.id, r.id, "a")])
            .await
            .unwrap(),
        0
    );
    assert_eq!(db.candidates_for_case(man.id).await.unwrap()[0].version, v0);
    let cands = db.candidates_for_case(man.id).await.unwrap();
    let right = cands[0].clone();
    let wrong = db.candidates_for_case(other.id).await.unwrap()[0].clone();

    // The namesake is rejected with a reason; it is not suggested again with the same
    // data, and comes back when the data changes.
    assert!(matches!(
        db.candidate_reject(&a, wrong.id, wrong.version, " ").await,
        Err(StoreError::Invalid("reason_required"))
    ));
    let wrong = db
        .candidate_reject(&a, wrong.id, wrong.version, "年龄不符")
        .await
        .unwrap();
    assert_eq!(wrong.status, "rejected");
    assert_eq!(
        db.candidates_save(&[pair(other.id, r.id, "b")])
            .await
            .unwrap(),
        0
    );
    assert_eq!(db.candidate(wrong.id).await.unwrap().status, "rejected");
    // Edited data reopens it, without the old decision; it is rejected again.
    assert_eq!(
        db.candidates_save(&[pair(other.id, r.id, "b2")])
            .await
            .unwrap(),
        1
    );
    let reopened = db.candidate(wrong.id).await.unwrap();
    assert_eq!(reopened.status, "open");
    assert_eq!(reopened.decision_note, "");
    assert_eq!(reopened.decided_at, None);
    db.candidate_reject(&a, reopened.id, reopened.version, "仍然不符：身高差20厘米")
        .await
        .unwrap();

    // Confirming on a DNA match needs the match recorded first.
    assert!(matches!(
        db.candidate_confirm(&a, right.id, right.version, Evidence::DnaMatch, "比中通知")
            .await,
        Err(StoreError::Invalid("evidence_not_recorded"))
    ));
    let dna = db
        .search_action_add(
            &a,
            &SearchActionInput {
                case_id: man.id,
                channel: SearchChannel::Dna,
                requested_on: today - Duration::days(25),
                reference: "DNA-7".into(),
                detail: String::new(),
                outcome: ChannelOutcome::Pending,
                result_on: None,
                result_note: String::new(),
                shared_with: None,
            },
        )
        .await
        .unwrap();
    // A stale result is refused.
    assert!(matches!(
        db.search_action_result(
            &a,
            dna.id,
            dna.version + 1,
            ChannelOutcome::Match,
            today,
            ""
        )
        .await,
        Err(StoreError::Conflict { .. })
    ));
    let dna = db
        .search_action_result(
            &a,
            dna.id,
            dna.version,
            ChannelOutcome::Match,
            today,
            "比中",
        )
        .await
        .unwrap();
    // A recorded result is not rewritten afterwards.
    assert!(matches!(
        db.search_action_result(&a, dna.id, dna.version, ChannelOutcome::NoMatch, today, "")
            .await,
        Err(StoreError::Invalid("result_already_recorded"))
    ));
    let confirmed = db
        .candidate_confirm(
            &a,
            right.id,
            right.version,
            Evidence::DnaMatch,
            "比中通知 DNA-7",
        )
        .await
        .unwrap();
    assert_eq!(confirmed.status, "confirmed");
    let man = db.case(man.id).await.unwrap();
    assert!(!man.unidentified);
    assert_eq!(db.report(r.id).await.unwrap().status, "found");
    assert_eq!(db.report(r.id).await.unwrap().found_case_id, Some(man.id));
    assert!(db
        .case_events(man.id)
        .await
        .unwrap()
        .iter()
        .any(|e| e.event == "identity_confirmed"));
    // He is off the public notices; the public lookup says found.
    assert_eq!(
        db.public_notices(&NoticeFilter::default(), Page::new(None, None))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        db.report_lookup(&r.ref_no).await.unwrap().unwrap().status,
        "found"
    );
    // A found report and an identified man take no new pairs, even with new data.
    assert_eq!(
        db.candidates_save(&[pair(other.id, r.id, "changed")])
            .await
            .unwrap(),
        0
    );

    // The figures: one search of two identified by a DNA-confirmed match.
    let s = db
        .tracing_stats(
            &[RegionCode::nation()],
            jiuzhu_storage::now_ms() - 90 * 86_400_000,
            jiuzhu_storage::now_ms() + 1,
        )
        .await
        .unwrap();
    assert_eq!(s.open_searches, 1);
    assert_eq!(s.started, 2);
    assert_eq!(s.identified, 1);
    assert_eq!(s.reunited_by_match, 1);
    assert_eq!(s.by_evidence, vec![("dna_match".to_string(), 1)]);
    assert_eq!(s.reports_filed, 1);
    assert_eq!(s.reports_found, 1);
    assert!(s.mean_days_to_reunite.unwrap() >= 29.0);
    // Another jurisdiction sees none of it.
    let qingtian = db
        .tracing_stats(
            &[RegionCode::parse("331121").unwrap()],
            0,
            jiuzhu_storage::now_ms() + 1,
        )
        .await
        .unwrap();
    assert_eq!((qingtian.started, qingtian.reports_filed), (0, 0));

    // Every step is in the audit chain, which still verifies.
    assert!(matches!(
        db.audit_verify().await.unwrap(),
        jiuzhu_storage::audit::ChainVerdict::Intact { .. }
    ));
}
