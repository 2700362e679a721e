//! Nothing acknowledged is ever lost: a burst of API writes, the server killed with
//! SIGKILL in the middle of it, and every write that got a 201 is still there after a
//! restart, with the audit chain whole and the database file consistent.

use jiuzhu_domain::authz::{Grant, Role};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::audit::ChainVerdict;
use jiuzhu_storage::crypto::generate_key;
use jiuzhu_storage::sessions::TokenScope;
use jiuzhu_storage::users::NewUser;
use jiuzhu_storage::{Actor, Db, Keyring, PasswordHasher};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path, url: &str, keys: &str, index: &str, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .arg("serve")
        .current_dir(dir)
        .env("JIUZHU_DATABASE_URL", url)
        .env("JIUZHU_LISTEN", format!("127.0.0.1:{port}"))
        .env("JIUZHU_ENCRYPTION_KEYS", keys)
        .env("JIUZHU_INDEX_KEY", index)
        .env("JIUZHU_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the jiuzhu binary starts");
    Server(child)
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_burst_of_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db", dir.path().display());
    let (k, idx) = (generate_key(), generate_key());
    let keys = format!("1:{k}");
    let token = {
        let db = Db::connect(&url, Keyring::from_config(&keys, 1, &idx).unwrap())
            .await
            .unwrap();
        let a = Actor::system("test");
        let rows = jiuzhu_storage::regions::parse_region_file(
            "330000,浙江省\n331100,丽水市\n331102,莲都区\n",
        )
        .unwrap();
        db.import_regions(&a, &rows).await.unwrap();
        let u = db
            .user_create(
                &a,
                &NewUser {
                    region: RegionCode::parse("331100").unwrap(),
                    organisation_id: None,
                    username: "feed".into(),
                    display_name: "数据接口".into(),
                    password_hash: PasswordHasher::with_cost(1024, 1).hash("Feed-account-2026"),
                    must_change_password: false,
                    resident_id: None,
                    phone: None,
                },
            )
            .await
            .unwrap();
        db.user_grant(
            &a,
            u.id,
            &Grant {
                role: Role::SystemAdmin,
                scope: RegionCode::parse("331100").unwrap(),
                organisation_id: None,
            },
        )
        .await
        .unwrap();
        let scopes = [TokenScope::parse("create:organisation").unwrap()];
        let (token, _) = db
            .token_create(&a, u.id, "burst", &scopes, None)
            .await
            .unwrap();
        db.close().await;
        token
    };

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), &url, &keys, &idx, port);
    wait_ready(&base).await;

    // Eight writers post as fast as they can; each remembers what was acknowledged.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (acked, client, base, token) =
            (acked.clone(), client.clone(), base.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("救助驿站-{w}-{i}");
                let body =
                    serde_json::json!({"name": name, "kind": "charity", "region_code": "331102"});
                match client
                    .post(format!("{base}/api/v1/organisations"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        acked.lock().unwrap().push(name)
                    }
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let the burst run, then kill the server without warning.
    while acked.lock().unwrap().len() < 150 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.0.kill().unwrap(); // SIGKILL on Unix
    server.0.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150);

    // Restart on the same file: everything acknowledged is there and the chain is whole.
    let db = Db::connect(&url, Keyring::from_config(&keys, 1, &idx).unwrap())
        .await
        .unwrap();
    let scope = [RegionCode::parse("331100").unwrap()];
    let stored = db
        .orgs_list(
            &scope,
            &Default::default(),
            &Default::default(),
            jiuzhu_storage::Page::new(Some(1), Some(200)),
        )
        .await
        .unwrap();
    let mut names: std::collections::HashSet<String> =
        stored.items.into_iter().map(|o| o.name).collect();
    let mut page = 2;
    while names.len() < stored.total as usize {
        let more = db
            .orgs_list(
                &scope,
                &Default::default(),
                &Default::default(),
                jiuzhu_storage::Page::new(Some(page), Some(200)),
            )
            .await
            .unwrap();
        names.extend(more.items.into_iter().map(|o| o.name));
        page += 1;
    }
    let lost: Vec<_> = acked.iter().filter(|n| !names.contains(*n)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    assert!(matches!(
        db.audit_verify().await.unwrap(),
        ChainVerdict::Intact { .. }
    ));
    db.close().await;
    sqlx_integrity(&url).await;
}

async fn sqlx_integrity(url: &str) {
    let path = jiuzhu_storage::dialect::sqlite_path(url).unwrap();
    let copy = path.with_extension("check.db");
    // Opening it read-write above already replayed the WAL; check the file itself.
    let db = Db::connect(url, Keyring::ephemeral()).await.unwrap();
    db.backup(&copy).await.unwrap();
    db.close().await;
    jiuzhu_storage::dialect::restore(
        &format!("sqlite://{}", dir_of(&path).join("restored.db").display()),
        &copy,
    )
    .await
    .expect("integrity_check passes on the recovered database");
}

fn dir_of(p: &std::path::Path) -> std::path::PathBuf {
    p.parent().unwrap().to_path_buf()
}
