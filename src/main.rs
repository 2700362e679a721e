//! `jiuzhu`: the one binary. `serve` runs the server; the other subcommands are the
//! operator's tools. Errors here are `anyhow`: this is the edge.

mod config;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use jiuzhu_domain::authz::{Grant, Role};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::audit::ChainVerdict;
use jiuzhu_storage::users::NewUser;
use jiuzhu_storage::{Actor, Db, PasswordHasher};
use jiuzhu_web::{AppState, WebConfig};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "jiuzhu",
    version,
    about = "救助 Jiuzhu: rescue stations, family tracing and social assistance on one platform"
)]
struct Cli {
    /// Configuration file (default: ./jiuzhu.toml if present).
    #[arg(long, global = true, env = "JIUZHU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Build the demo city (丽水市) in ./data/demo and serve it. Passwords are printed
    /// when the city is first built.
    Demo {
        /// Throw away the existing demo database and build a new one.
        #[arg(long)]
        reset: bool,
        /// Build the demo database and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the live database to a new file.
    Backup { dest: PathBuf },
    /// Replace the database with a backup (stop the server first).
    Restore { src: PathBuf },
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Re-encrypt every sensitive field with the active key (after adding a new key to
    /// the configuration and making it active).
    RotateKey,
    /// Load or update regions from a `code,name` file.
    ImportRegions { file: PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints a temporary password the user must change.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// Jurisdiction region code.
        #[arg(long)]
        region: String,
        #[arg(long)]
        org: Option<i64>,
    },
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    /// Sets a new temporary password and prints it.
    ResetPassword {
        username: String,
    },
    Grant {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        region: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first broken entry.
    Verify,
}

fn init_logging(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("JIUZHU_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{},tower_http=info,sqlx=warn", cfg.log_level)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn hasher(cfg: &Config) -> PasswordHasher {
    PasswordHasher::with_cost(cfg.argon2_memory_kib, cfg.argon2_passes)
}

async fn open(cfg: &Config) -> Result<Db> {
    let url = cfg.database_url.expose_secret().to_string();
    if let Some(path) = jiuzhu_storage::dialect::sqlite_path(&url) {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let keys = config::keyring(cfg, cfg.is_sqlite())?;
    Db::connect(&url, keys)
        .await
        .context("opening the database")
}

fn web_config(cfg: &Config) -> WebConfig {
    WebConfig {
        secure_cookies: cfg.secure_cookies,
        trust_proxy: cfg.trust_proxy,
        site_name: cfg.site_name.clone(),
        public_form_limit: cfg.public_form_limit,
        public_form_total: cfg.public_form_total,
        map_tiles: cfg.map_tiles.clone(),
        ..WebConfig::default()
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn serve(cfg: &Config, db: Db) -> Result<()> {
    let addr: SocketAddr = cfg
        .listen
        .parse()
        .with_context(|| format!("listen address {}", cfg.listen))?;
    let state = AppState::new(db.clone(), web_config(cfg), hasher(cfg));
    // Load the matching indexes and look at reports filed while matching was down, without
    // holding up the start.
    let matcher = state.matcher.clone();
    let db2 = db.clone();
    tokio::spawn(async move {
        match matcher.catch_up(&db2).await {
            Ok(n) => tracing::info!(new_candidates = n, "matching caught up"),
            Err(e) => tracing::warn!(error = %e, "matching catch-up failed"),
        }
    });
    jiuzhu_web::serve(state, addr, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

async fn find_user(db: &Db, username: &str) -> Result<i64> {
    match db.user_for_login(username).await? {
        Some((u, _)) => Ok(u.id),
        None => bail!("no user {username}"),
    }
}

fn temp_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..12)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect();
    format!("Jz-{body}")
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut cfg = Config::load(cli.config.as_deref())?;
    init_logging(&cfg);
    let actor = Actor::system("cli");
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let db = open(&cfg).await?;
            serve(&cfg, db).await
        }
        Command::Demo { reset, no_serve } => {
            let dir = cfg.data_dir.join("demo");
            if reset && dir.exists() {
                std::fs::remove_dir_all(&dir).context("removing the old demo")?;
            }
            std::fs::create_dir_all(&dir)?;
            cfg.database_url = format!("sqlite://{}/jiuzhu.db", dir.display()).into();
            cfg.data_dir = dir;
            let db = open(&cfg).await?;
            if !jiuzhu_demo::is_seeded(&db).await? {
                println!("正在生成演示城市 丽水市 (331100)… / Building the demo city…");
                let opts = jiuzhu_demo::DemoOptions {
                    password: std::env::var("JIUZHU_DEMO_PASSWORD").ok(),
                    ..Default::default()
                };
                let accounts = jiuzhu_demo::seed(&db, &hasher(&cfg), &opts).await?;
                // The families' reports meet the matching engine, and the station has
                // already confirmed a few reunions by DNA.
                let pairs = jiuzhu_web::matcher::Matcher::default()
                    .catch_up(&db)
                    .await?;
                let reunions = jiuzhu_demo::tracing::seed_reunions(&db, 3).await?;
                // Yesterday's, today's and tomorrow's patrol plans for 莲都区, with yesterday's
                // round and today's so far.
                let liandu = jiuzhu_domain::RegionCode::parse("331102")?;
                let today = jiuzhu_domain::time::local_date(chrono::Utc::now().timestamp_millis())
                    .ok_or_else(|| anyhow::anyhow!("clock out of range"))?;
                let book = jiuzhu_domain::outreach::OutreachBook::shipped();
                let yesterday = today - chrono::Duration::days(1);
                for day in [yesterday, today, today + chrono::Duration::days(1)] {
                    jiuzhu_web::plan_for_day(
                        &db,
                        &book,
                        &jiuzhu_storage::Actor::system("demo"),
                        &liandu,
                        day,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("demo plan: {}", e.code))?;
                }
                let mut rng = jiuzhu_demo::rng::SplitMix64::new(opts.seed);
                let mut made = 0;
                for day in [yesterday, today] {
                    made += jiuzhu_demo::outreach::walk_plan(&db, &mut rng, &liandu, day).await?;
                }
                println!(
                    "寻亲比对 / family tracing: {pairs} candidates, {reunions} reunions confirmed"
                );
                println!("街面巡查 / street outreach: plans for yesterday, today and tomorrow; {made} planned stops made");
                // Households and a year of applications, decided by the same rules as the pages.
                let decide = |h: &jiuzhu_storage::assistance::Household,
                              m: &[jiuzhu_storage::assistance::Member],
                              f: &[jiuzhu_storage::assistance::Finance],
                              i: &jiuzhu_storage::assistance::ApplicationItem,
                              on: chrono::NaiveDate| {
                    jiuzhu_web::decide(h, m, f, i, on).ok().flatten()
                };
                let assistance =
                    jiuzhu_demo::assistance::seed(&db, &mut rng, opts.households, &decide).await?;
                println!(
                    "社会救助 / social assistance: {} households, {} applications, {} approved, {} payments",
                    assistance.households, assistance.applications, assistance.approved, assistance.payments
                );
                println!("\n演示账号（密码只显示这一次）/ Demo accounts (passwords are shown only this once):");
                for a in &accounts {
                    println!(
                        "  {:<10} {:<18} {:<13} {}",
                        a.username,
                        a.role.as_str(),
                        a.scope,
                        a.password
                    );
                }
                println!();
            } else {
                println!("使用已有演示数据库 / Using the existing demo database ({}); `jiuzhu demo --reset` builds a new one.", cfg.data_dir.display());
            }
            if no_serve {
                db.close().await;
                return Ok(());
            }
            println!("打开 / Open http://{}", cfg.listen);
            serve(&cfg, db).await
        }
        Command::Migrate => {
            let db = open(&cfg).await?;
            println!("migrations applied ({})", db.backend().as_str());
            db.close().await;
            Ok(())
        }
        Command::User(cmd) => {
            let db = open(&cfg).await?;
            match cmd {
                UserCommand::Add {
                    username,
                    name,
                    role,
                    region,
                    org,
                } => {
                    let role = Role::parse(&role)
                        .filter(|r| *r != Role::Public)
                        .context("unknown role")?;
                    let region = RegionCode::parse(&region)
                        .map_err(|_| anyhow::anyhow!("bad region code"))?;
                    let password = temp_password();
                    let u = db
                        .user_create(
                            &actor,
                            &NewUser {
                                region: region.clone(),
                                organisation_id: org,
                                username,
                                display_name: name,
                                password_hash: hasher(&cfg).hash(&password),
                                must_change_password: true,
                                resident_id: None,
                                phone: None,
                            },
                        )
                        .await?;
                    db.user_grant(
                        &actor,
                        u.id,
                        &Grant {
                            role,
                            scope: region,
                            organisation_id: org,
                        },
                    )
                    .await?;
                    println!(
                        "created {} (id {}); temporary password: {password}",
                        u.username, u.id
                    );
                }
                UserCommand::Disable { username } => {
                    db.user_set_disabled(&actor, find_user(&db, &username).await?, true)
                        .await?;
                    println!("disabled {username}");
                }
                UserCommand::Enable { username } => {
                    db.user_set_disabled(&actor, find_user(&db, &username).await?, false)
                        .await?;
                    println!("enabled {username}");
                }
                UserCommand::ResetPassword { username } => {
                    let password = temp_password();
                    db.user_set_password(
                        &actor,
                        find_user(&db, &username).await?,
                        &hasher(&cfg).hash(&password),
                        true,
                    )
                    .await?;
                    println!("{username}: temporary password {password}");
                }
                UserCommand::Grant {
                    username,
                    role,
                    region,
                } => {
                    let role = Role::parse(&role)
                        .filter(|r| *r != Role::Public)
                        .context("unknown role")?;
                    let region = RegionCode::parse(&region)
                        .map_err(|_| anyhow::anyhow!("bad region code"))?;
                    db.user_grant(
                        &actor,
                        find_user(&db, &username).await?,
                        &Grant {
                            role,
                            scope: region,
                            organisation_id: None,
                        },
                    )
                    .await?;
                    println!("granted {role} to {username}");
                }
            }
            db.close().await;
            Ok(())
        }
        Command::Backup { dest } => {
            let db = open(&cfg).await?;
            db.backup(&dest).await?;
            println!("backup written to {}", dest.display());
            db.close().await;
            Ok(())
        }
        Command::Restore { src } => {
            jiuzhu_storage::dialect::restore(cfg.database_url.expose_secret(), &src).await?;
            println!("restored from {}", src.display());
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let db = open(&cfg).await?;
            let verdict = db.audit_verify().await?;
            db.close().await;
            match verdict {
                ChainVerdict::Intact { entries } => {
                    println!("audit chain intact: {entries} entries");
                    Ok(())
                }
                ChainVerdict::Broken { seq, reason } => {
                    bail!("audit chain BROKEN at entry {seq}: {reason}")
                }
            }
        }
        Command::RotateKey => {
            let db = open(&cfg).await?;
            let n = db.rotate_keys(&actor).await?;
            println!("re-encrypted {n} values with key {}", db.keys().active_id());
            db.close().await;
            Ok(())
        }
        Command::ImportRegions { file } => {
            let db = open(&cfg).await?;
            let text = std::fs::read_to_string(&file)?;
            let rows = jiuzhu_storage::regions::parse_region_file(&text)
                .map_err(|e| anyhow::anyhow!(e))?;
            let n = db.import_regions(&actor, &rows).await?;
            println!("{} rows read, {n} new regions", rows.len());
            db.close().await;
            Ok(())
        }
    }
}
