//! The storage story: a city's regions, its organisations and staff, edits that collide,
//! secrets that must not leak, and an audit trail that must not be bent. Runs on a
//! temporary SQLite file, and again on PostgreSQL when `JIUZHU_TEST_POSTGRES_URL` is set.

use jiuzhu_domain::authz::{decide, Action, Decision, Grant, Resource, Role, Target};
use jiuzhu_domain::{RegionCode, ResidentId};
use jiuzhu_storage::audit::{AuditFilter, ChainVerdict};
use jiuzhu_storage::crypto::generate_key;
use jiuzhu_storage::orgs::{OrgFilter, OrgInput, OrgKind};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::sessions::{SessionPolicy, TokenScope};
use jiuzhu_storage::users::{NewUser, UserFilter};
use jiuzhu_storage::{Actor, Backend, Db, Keyring, Page, PasswordHasher, Sort, StoreError};
use sqlx::Connection;

const REGIONS: &str = "
330000,浙江省
331100,丽水市
331102,莲都区
331102001000,紫金街道
331102001001,紫金社区
331121,青田县
";

const ID_NUMBER: &str = "331102198803150419";

/// A fresh, empty database of each available kind.
async fn databases() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        format!("sqlite://{}/story.db", dir.path().display()),
        Some(dir),
    )];
    match std::env::var("JIUZHU_TEST_POSTGRES_URL") {
        Ok(base) => out.push((fresh_postgres(&base).await, None)),
        Err(_) => eprintln!("PostgreSQL story SKIPPED: JIUZHU_TEST_POSTGRES_URL is not set"),
    }
    out
}

/// Creates a uniquely named database on the server at `base` and returns its URL.
async fn fresh_postgres(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!(
        "jiuzhu_story_{}",
        std::process::id() as u64 * 1000 + rand_suffix()
    );
    let mut conn = sqlx::AnyConnection::connect(base)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    format!("{head}/{name}")
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        % 1000
}

fn r(code: &str) -> RegionCode {
    RegionCode::parse(code).unwrap()
}

fn admin() -> Actor {
    Actor {
        user_id: Some(1),
        name: "admin".into(),
        ip: "127.0.0.1".into(),
        request_id: "t".into(),
    }
}

#[tokio::test]
async fn story_runs_on_every_backend() {
    for (url, _dir) in databases().await {
        eprintln!("story on {}", Backend::from_url(&url).unwrap().as_str());
        story(&url).await;
    }
}

async fn story(url: &str) {
    let k1 = generate_key();
    let idx = generate_key();
    let keys = || Keyring::from_config(&format!("1:{k1}"), 1, &idx).unwrap();
    let db = Db::connect(url, keys()).await.unwrap();
    db.migrate().await.expect("migrations are idempotent");
    let a = admin();

    // The city's regions load from a file; a child without its parent is refused.
    let rows = parse_region_file(REGIONS).unwrap();
    assert_eq!(db.import_regions(&a, &rows).await.unwrap(), 6);
    assert_eq!(
        db.import_regions(&a, &rows).await.unwrap(),
        0,
        "importing again changes nothing"
    );
    let orphan = parse_region_file("331199001000,不存在的街道").unwrap();
    assert!(matches!(
        db.import_regions(&a, &orphan).await,
        Err(StoreError::Invalid("region_parent_missing"))
    ));
    let kids = db.region_children(Some(&r("331100"))).await.unwrap();
    assert_eq!(
        kids.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["莲都区", "青田县"]
    );

    // Organisations in two counties; a county's list shows its own only.
    let station = db
        .org_create(
            &a,
            &OrgInput {
                region: r("331102"),
                kind: OrgKind::RescueStation,
                name: "丽水市救助管理站".into(),
                address: "莲都区丽青路".into(),
                phone: Some("0578-2123456".into()),
            },
        )
        .await
        .unwrap();
    db.org_create(
        &a,
        &OrgInput {
            region: r("331121"),
            kind: OrgKind::CivilAffairsBureau,
            name: "青田县民政局".into(),
            address: String::new(),
            phone: None,
        },
    )
    .await
    .unwrap();
    let dup = db
        .org_create(
            &a,
            &OrgInput {
                region: r("331102"),
                kind: OrgKind::Charity,
                name: "丽水市救助管理站".into(),
                address: String::new(),
                phone: None,
            },
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate("name"))));
    let unknown_region = db
        .org_create(
            &a,
            &OrgInput {
                region: r("331123"),
                kind: OrgKind::Charity,
                name: "遂昌慈善".into(),
                address: String::new(),
                phone: None,
            },
        )
        .await;
    assert!(matches!(
        unknown_region,
        Err(StoreError::Invalid("region_unknown"))
    ));
    let lishui = db
        .orgs_list(
            &[r("331100")],
            &OrgFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(lishui.total, 2);
    let liandu = db
        .orgs_list(
            &[r("331102")],
            &OrgFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        liandu
            .items
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["丽水市救助管理站"]
    );
    assert_eq!(
        liandu.items[0].phone_masked.as_deref(),
        Some("057*****3456")
    );
    let nowhere = db
        .orgs_list(
            &[],
            &OrgFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(nowhere.total, 0, "no scope, no rows");
    let search = db
        .orgs_list(
            &[r("331100")],
            &OrgFilter {
                q: "救助".into(),
                ..Default::default()
            },
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(search.total, 1);
    let injection = db
        .orgs_list(
            &[r("331100")],
            &OrgFilter {
                q: "' OR 1=1 --%_".into(),
                ..Default::default()
            },
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(injection.total, 0);

    // Two people edit the station from the same version: the second save is refused and
    // writes nothing.
    let audit_before = db
        .audit_list(
            &[RegionCode::nation()],
            &AuditFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap()
        .total;
    let mut edit = OrgInput {
        region: r("331102"),
        kind: OrgKind::RescueStation,
        name: "丽水市救助管理站（本部）".into(),
        address: "莲都区丽青路1号".into(),
        phone: Some("0578-2123456".into()),
    };
    let saved = db
        .org_update(&a, station.id, station.version, &edit)
        .await
        .unwrap();
    assert_eq!(saved.version, station.version + 1);
    edit.name = "被覆盖的名字".into();
    match db.org_update(&a, station.id, station.version, &edit).await {
        Err(StoreError::Conflict { current }) => assert_eq!(current, saved.version),
        other => panic!("stale update was not refused: {other:?}"),
    }
    assert_eq!(
        db.org(station.id).await.unwrap().name,
        "丽水市救助管理站（本部）"
    );
    let audit_after = db
        .audit_list(
            &[RegionCode::nation()],
            &AuditFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap()
        .total;
    assert_eq!(
        audit_after,
        audit_before + 1,
        "only the successful save is audited"
    );

    // Ten people save at once from the same version: exactly one wins.
    let current = db.org(station.id).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let db = db.clone();
        let a = a.clone();
        let mut e = edit.clone();
        e.name = format!("并发保存{i}");
        tasks.push(tokio::spawn(async move {
            db.org_update(&a, current.id, current.version, &e).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);

    // A staff member with an identity number and a phone.
    let hasher = PasswordHasher::with_cost(1024, 1);
    let rid = ResidentId::parse(ID_NUMBER).unwrap();
    let zhang = db
        .user_create(
            &a,
            &NewUser {
                region: r("331102"),
                organisation_id: Some(station.id),
                username: "zhang.wei".into(),
                display_name: "张伟".into(),
                password_hash: hasher.hash("Lishui-rescue-2026"),
                must_change_password: true,
                resident_id: Some(rid.clone()),
                phone: Some("13857812345".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        zhang.resident_id_masked.as_deref(),
        Some("331102********0419")
    );
    assert_eq!(zhang.phone_masked.as_deref(), Some("138****2345"));
    let bad = db
        .user_create(
            &a,
            &NewUser {
                username: "Robert'); DROP TABLE users;--".into(),
                ..new_user_like(&zhang, &hasher)
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid("username_invalid"))));
    let again = db.user_create(&a, &new_user_like(&zhang, &hasher)).await;
    assert!(matches!(again, Err(StoreError::Duplicate("username"))));

    db.user_grant(
        &a,
        zhang.id,
        &Grant {
            role: Role::StationStaff,
            scope: r("331102"),
            organisation_id: Some(station.id),
        },
    )
    .await
    .unwrap();
    let zhang = db.user(zhang.id).await.unwrap();
    let p = zhang.principal();
    let inside = r("331102001001");
    assert_eq!(
        decide(
            &p,
            Action::View,
            Resource::Organisation,
            Target::Record {
                region: &inside,
                organisation_id: Some(station.id)
            }
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &p,
            Action::View,
            Resource::Organisation,
            Target::Record {
                region: &r("331121"),
                organisation_id: None
            }
        ),
        Decision::Deny
    );

    // Exact look-up by identity number uses the keyed index; outside the scope, nothing.
    let found = db.users_by_resident_id(&[r("331100")], &rid).await.unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [zhang.id]);
    assert!(db
        .users_by_resident_id(&[r("331121")], &rid)
        .await
        .unwrap()
        .is_empty());
    let listed = db
        .users_list(
            &[r("331100")],
            &UserFilter {
                role: Some(Role::StationStaff),
                ..Default::default()
            },
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);

    // Revealing is logged in the access log.
    let (shown_id, shown_phone) = db.user_reveal(&a, zhang.id).await.unwrap();
    assert_eq!(shown_id.as_deref(), Some(ID_NUMBER));
    assert_eq!(shown_phone.as_deref(), Some("13857812345"));
    let access = db
        .access_list(
            &[r("331100")],
            &AuditFilter::default(),
            &Sort::default(),
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(access.total, 1);
    assert_eq!(access.items[0].record_id, zhang.id.to_string());

    // Sessions and tokens: only hashes stored; revoked tokens stop working.
    let (cookie, s) = db
        .session_create(
            zhang.id,
            "331102",
            "127.0.0.1",
            "test",
            SessionPolicy::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        db.session_get(&cookie, SessionPolicy::default())
            .await
            .unwrap()
            .unwrap()
            .csrf_token,
        s.csrf_token
    );
    assert!(db
        .session_get("forged", SessionPolicy::default())
        .await
        .unwrap()
        .is_none());
    let scope = TokenScope::parse("view:organisation").unwrap();
    let (bearer, tok) = db
        .token_create(&a, zhang.id, "公安数据接口", &[scope], None)
        .await
        .unwrap();
    assert!(db
        .token_lookup(&bearer)
        .await
        .unwrap()
        .unwrap()
        .allows(Action::View, Resource::Organisation));
    db.token_revoke(&a, zhang.id, tok.id).await.unwrap();
    assert!(db.token_lookup(&bearer).await.unwrap().is_none());
    // A password change ends the account's sessions.
    db.user_set_password(&a, zhang.id, &hasher.hash("Another-pass-2026"), false)
        .await
        .unwrap();
    assert!(db
        .session_get(&cookie, SessionPolicy::default())
        .await
        .unwrap()
        .is_none());

    // The raw stored data holds no identity number or phone in plain text.
    assert_no_plaintext(url, &db, &[ID_NUMBER, "13857812345", "2123456"]).await;

    // Key rotation: a second key becomes active and every value is rewritten with it.
    let k2 = generate_key();
    db.close().await;
    let db = Db::connect(
        url,
        Keyring::from_config(&format!("1:{k1},2:{k2}"), 2, &idx).unwrap(),
    )
    .await
    .unwrap();
    let rewritten = db.rotate_keys(&a).await.unwrap();
    assert_eq!(rewritten, 3, "resident id, user phone and station phone");
    assert_eq!(
        db.rotate_keys(&a).await.unwrap(),
        0,
        "rotation is idempotent"
    );
    db.close().await;
    let db = Db::connect(
        url,
        Keyring::from_config(&format!("2:{k2}"), 2, &idx).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        db.user_reveal(&a, zhang.id).await.unwrap().0.as_deref(),
        Some(ID_NUMBER),
        "readable with the new key alone"
    );
    assert_eq!(
        db.users_by_resident_id(&[r("331100")], &rid)
            .await
            .unwrap()
            .len(),
        1
    );

    // The audit chain is intact, refuses edits, and detects tampering done behind its back.
    let verdict = db.audit_verify().await.unwrap();
    let ChainVerdict::Intact { entries } = verdict else {
        panic!("chain broken: {verdict:?}")
    };
    assert!(entries >= 12, "{entries}");
    let mut raw = sqlx::AnyConnection::connect(url).await.unwrap();
    assert!(
        sqlx::query("UPDATE audit_log SET actor_name = 'nobody' WHERE seq = 3")
            .execute(&mut raw)
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&mut raw)
        .await
        .is_err());
    match db.backend() {
        Backend::Sqlite => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&mut raw)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                .execute(&mut raw)
                .await
                .unwrap();
        }
    }
    sqlx::query("UPDATE audit_log SET actor_name = 'nobody' WHERE seq = 3")
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        db.audit_verify().await.unwrap(),
        ChainVerdict::Broken {
            seq: 3,
            reason: "content_changed"
        }
    );

    // A backup is a consistent copy that opens on its own (SQLite; PostgreSQL uses pg_dump).
    if db.backend() == Backend::Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("backup.db");
        db.backup(&dest).await.unwrap();
        assert!(db.backup(&dest).await.is_err(), "never overwrites");
        let copy = Db::connect(
            &format!("sqlite://{}", dest.display()),
            Keyring::from_config(&format!("2:{k2}"), 2, &idx).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(copy.user(zhang.id).await.unwrap().username, "zhang.wei");
    }
    db.close().await;
}

fn new_user_like(u: &jiuzhu_storage::users::User, h: &PasswordHasher) -> NewUser {
    NewUser {
        region: r(&u.region_code),
        organisation_id: u.organisation_id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        password_hash: h.hash("Lishui-rescue-2026"),
        must_change_password: true,
        resident_id: None,
        phone: None,
    }
}

async fn assert_no_plaintext(url: &str, db: &Db, secrets: &[&str]) {
    match db.backend() {
        Backend::Sqlite => {
            let path = jiuzhu_storage::dialect::sqlite_path(url).unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            for s in secrets {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{s} found in the SQLite file"
                );
            }
        }
        Backend::Postgres => {
            let mut raw = sqlx::AnyConnection::connect(url).await.unwrap();
            for table in [
                "users",
                "organisations",
                "audit_log",
                "access_log",
                "sessions",
                "api_tokens",
            ] {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                        .fetch_all(&mut raw)
                        .await
                        .unwrap();
                assert!(!rows.is_empty() || table == "sessions");
                for row in rows {
                    for s in secrets {
                        assert!(!row.contains(s), "{s} found in {table}");
                    }
                }
            }
        }
    }
}
