//! 演示城市: the demo city, 丽水市 (331100).
//!
//! Everything is synthetic but shaped like the real thing: real county codes, township
//! names, surnames at their national frequencies, identity numbers with valid check
//! characters for the right region and birth date, and mobile numbers on real prefixes.
//! The same seed always gives the same city, so tests and screenshots are repeatable.
//!
//! Boundary: writes only through `jiuzhu-storage`'s public API, like any other client.

pub mod assistance;
pub mod names;
pub mod outreach;
pub mod rng;
pub mod station;
pub mod tracing;

use chrono::NaiveDate;
use jiuzhu_domain::authz::{Grant, Role};
use jiuzhu_domain::{RegionCode, ResidentId};
use jiuzhu_storage::orgs::{OrgInput, OrgKind};
use jiuzhu_storage::regions::parse_region_file;
use jiuzhu_storage::users::NewUser;
use jiuzhu_storage::{Actor, Db, PasswordHasher, StoreError};
use rng::SplitMix64;

pub const REGIONS: &str = include_str!("../../../reference/regions/331100.csv");

/// One demo account, with the password to print once.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub password: String,
}

pub struct DemoOptions {
    pub seed: u64,
    /// Every demo account gets this password when set (for automated tests); otherwise
    /// each gets its own random one.
    pub password: Option<String>,
    /// Extra synthetic staff accounts spread over the counties.
    pub extra_staff: usize,
    /// Stays of the past year at the city's rescue station.
    pub station_history: usize,
    /// Days of street sightings before today (about two a day).
    pub outreach_days: i64,
    /// Households on file for social assistance (seeded by the binary, which passes in the
    /// rules).
    pub households: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 331100,
            password: None,
            extra_staff: 60,
            station_history: 360,
            outreach_days: 90,
            households: 2_000,
        }
    }
}

fn r(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("demo region codes are valid")
}

/// Organisations of the demo city: (key, kind, region, name, address, phone).
const ORGS: &[(&str, OrgKind, &str, &str, &str, &str)] = &[
    (
        "bureau",
        OrgKind::CivilAffairsBureau,
        "331100",
        "丽水市民政局",
        "莲都区花园路1号",
        "0578-2091234",
    ),
    (
        "station",
        OrgKind::RescueStation,
        "331102",
        "丽水市救助管理站",
        "莲都区丽青路128号",
        "0578-2123110",
    ),
    (
        "minors",
        OrgKind::MinorsProtectionCentre,
        "331102",
        "丽水市未成年人救助保护中心",
        "莲都区丽青路130号",
        "0578-2123120",
    ),
    (
        "liandu_bureau",
        OrgKind::CivilAffairsBureau,
        "331102",
        "莲都区民政局",
        "莲都区中山街346号",
        "0578-2133456",
    ),
    (
        "qingtian_bureau",
        OrgKind::CivilAffairsBureau,
        "331121",
        "青田县民政局",
        "青田县鹤城街道鹤城中路",
        "0578-6822345",
    ),
    (
        "qingtian_station",
        OrgKind::RescueStation,
        "331121",
        "青田县救助管理站",
        "青田县瓯南街道江南路",
        "0578-6833110",
    ),
    (
        "longquan_station",
        OrgKind::RescueStation,
        "331181",
        "龙泉市救助管理站",
        "龙泉市剑池街道",
        "0578-7123110",
    ),
    (
        "zijin_office",
        OrgKind::TownshipOffice,
        "331102001000",
        "紫金街道社会事务办",
        "紫金街道",
        "0578-2151001",
    ),
    (
        "bihu_office",
        OrgKind::TownshipOffice,
        "331102100000",
        "碧湖镇社会事务办",
        "碧湖镇",
        "0578-2561001",
    ),
    (
        "sw_agency",
        OrgKind::SocialWorkAgency,
        "331102",
        "丽水市善行社会工作服务中心",
        "莲都区万象街道",
        "0578-2188001",
    ),
    (
        "charity",
        OrgKind::Charity,
        "331100",
        "丽水市慈善总会",
        "莲都区白云街道",
        "0578-2199001",
    ),
    (
        "police",
        OrgKind::PartnerDepartment,
        "331100",
        "丽水市公安局",
        "莲都区丽阳街",
        "0578-2111110",
    ),
    (
        "health",
        OrgKind::PartnerDepartment,
        "331100",
        "丽水市卫生健康委员会",
        "莲都区丽阳街",
        "0578-2111120",
    ),
];

/// The demo accounts: one for every role, and a second county's leader to show that
/// jurisdiction limits what people see. (username, display name, role, scope, org key)
pub const ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    ("admin", "叶建华", Role::SystemAdmin, "331100", "bureau"),
    ("leader", "王丽萍", Role::BureauLeader, "331100", "bureau"),
    ("station", "陈志强", Role::StationStaff, "331100", "station"),
    ("patrol", "吴国平", Role::PatrolStaff, "331102", "station"),
    (
        "hotline",
        "周晓燕",
        Role::HotlineOperator,
        "331100",
        "station",
    ),
    ("social", "刘芳", Role::SocialWorker, "331102", "sw_agency"),
    (
        "clerk",
        "徐建军",
        Role::TownshipClerk,
        "331102001000",
        "zijin_office",
    ),
    (
        "approver",
        "李明",
        Role::CountyApprover,
        "331102",
        "liandu_bureau",
    ),
    ("liaison", "张伟", Role::PartnerLiaison, "331100", "police"),
    ("auditor", "金晓东", Role::Auditor, "331100", "bureau"),
    (
        "qt.leader",
        "季海燕",
        Role::BureauLeader,
        "331121",
        "qingtian_bureau",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("region file: {0}")]
    Regions(String),
}

/// Whether the database already holds the demo city.
pub async fn is_seeded(db: &Db) -> Result<bool, DemoError> {
    Ok(db.user_for_login("admin").await?.is_some())
}

/// Seeds the demo city into an empty database. Returns the accounts with passwords.
pub async fn seed(
    db: &Db,
    hasher: &PasswordHasher,
    opts: &DemoOptions,
) -> Result<Vec<DemoAccount>, DemoError> {
    let actor = Actor::system("demo");
    let mut rng = SplitMix64::new(opts.seed);
    let rows = parse_region_file(REGIONS).map_err(DemoError::Regions)?;
    db.import_regions(&actor, &rows).await?;

    let mut org_ids = std::collections::HashMap::new();
    for (key, kind, region, name, address, phone) in ORGS {
        let o = db
            .org_create(
                &actor,
                &OrgInput {
                    region: r(region),
                    kind: *kind,
                    name: name.to_string(),
                    address: address.to_string(),
                    phone: Some(phone.to_string()),
                },
            )
            .await?;
        org_ids.insert(*key, o.id);
    }
    // A township office for every township, so lists have realistic length.
    for row in rows
        .iter()
        .filter(|row| row.code.level() == Some(jiuzhu_domain::region::RegionLevel::Township))
    {
        if ORGS
            .iter()
            .any(|(_, _, code, ..)| *code == row.code.as_str())
        {
            continue;
        }
        let phone = format!("0578-{}", 2_000_000 + rng.below(8_000_000));
        db.org_create(
            &actor,
            &OrgInput {
                region: row.code.clone(),
                kind: OrgKind::TownshipOffice,
                name: format!("{}社会事务办", row.name),
                address: row.name.clone(),
                phone: Some(phone),
            },
        )
        .await?;
    }

    let mut accounts = Vec::new();
    for (username, display, role, scope, org) in ACCOUNTS {
        let password = opts
            .password
            .clone()
            .unwrap_or_else(|| names::password(&mut rng));
        let org_id = org_ids.get(org).copied();
        let region = r(scope);
        // People are registered in a county; city-level accounts live in 莲都区.
        let home = match region.level() {
            Some(jiuzhu_domain::region::RegionLevel::City) => "331102",
            _ => region.county(),
        };
        let person = names::Person::generate(
            &mut rng,
            home,
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        );
        let u = db
            .user_create(
                &actor,
                &NewUser {
                    region: region.clone(),
                    organisation_id: org_id,
                    username: username.to_string(),
                    display_name: display.to_string(),
                    password_hash: hasher.hash(&password),
                    must_change_password: false,
                    resident_id: Some(person.resident_id),
                    phone: Some(person.phone),
                },
            )
            .await?;
        db.user_grant(
            &actor,
            u.id,
            &Grant {
                role: *role,
                scope: region,
                organisation_id: None,
            },
        )
        .await?;
        accounts.push(DemoAccount {
            username: username.to_string(),
            role: *role,
            scope: scope.to_string(),
            password,
        });
    }

    // Ordinary staff across the counties: realistic names, ID numbers and phones.
    let counties: Vec<&RegionCode> = rows
        .iter()
        .map(|row| &row.code)
        .filter(|c| c.level() == Some(jiuzhu_domain::region::RegionLevel::County))
        .collect();
    let staff_roles = [
        Role::StationStaff,
        Role::PatrolStaff,
        Role::SocialWorker,
        Role::TownshipClerk,
        Role::HotlineOperator,
    ];
    for i in 0..opts.extra_staff {
        let county = counties[rng.below(counties.len() as u64) as usize].clone();
        let person = names::Person::generate(
            &mut rng,
            county.as_str(),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        );
        let role = staff_roles[rng.below(staff_roles.len() as u64) as usize];
        let u = db
            .user_create(
                &actor,
                &NewUser {
                    region: county.clone(),
                    organisation_id: None,
                    username: format!("staff{:03}", i + 1),
                    display_name: person.name.clone(),
                    password_hash: hasher.hash(&names::password(&mut rng)),
                    must_change_password: true,
                    resident_id: Some(person.resident_id),
                    phone: Some(person.phone),
                },
            )
            .await?;
        db.user_grant(
            &actor,
            u.id,
            &Grant {
                role,
                scope: county,
                organisation_id: None,
            },
        )
        .await?;
    }
    let station = org_ids["station"];
    station::seed_history(
        db,
        &mut rng,
        station,
        &r("331102"),
        opts.station_history,
        chrono::Utc::now(),
    )
    .await?;
    station::seed_register(db, &mut rng, station, chrono::Utc::now()).await?;
    if opts.station_history > 0 {
        tracing::seed_reports(db, &mut rng, 12, 20).await?;
    }
    outreach::seed(db, &mut rng, opts.outreach_days).await?;
    Ok(accounts)
}

/// Builds a synthetic identity number; exposed for other modules' demo data.
pub fn resident_id(rng: &mut SplitMix64, county: &str, birth: NaiveDate, male: bool) -> ResidentId {
    let seq = rng.below(500) as u16 * 2 + u16::from(male);
    ResidentId::from_parts(county, birth, seq).expect("demo parts are valid")
}
