//! Demo street outreach for 莲都区: 47 hotspots in three tiers (seed 004), cameras on the
//! key ones, five patrol teams on two shifts, 210 rescue posts across the city with the
//! station among them, a season of sightings from every channel with what the teams found,
//! and two weather campaigns (a summer heat wave and this week's cold wave).
//! Positions are synthetic, around the district's real centre.

use crate::rng::SplitMix64;
use chrono::{Duration, Utc};
use jiuzhu_domain::outreach::{
    ContactOutcome, OutreachBook, SightingChannel, SightingStatus, Tier, WarningLevel, WeatherKind,
};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::outreach::{
    CampaignInput, ContactInput, HotspotInput, PostInput, SightingInput, Step, TeamInput,
    WarningInput,
};
use jiuzhu_storage::{Actor, Db, StoreError};

const STREET_CODES: &[&str] = &[
    "331102001000",
    "331102002000",
    "331102003000",
    "331102004000",
    "331102005000",
];
const KEY_PLACES: &[&str] = &[
    "丽水火车站广场",
    "汽车客运中心",
    "大洋路桥洞",
    "紫金大桥桥下",
    "人民医院门诊楼前",
    "中山街步行街",
    "解放街地下通道",
    "南明湖公园东门",
    "万象山公园",
    "丽阳门广场",
    "城东菜市场",
    "江滨公园长廊",
];
const SECONDARY_PLACES: &[&str] = &[
    "囿山路公交站",
    "白云山森林公园入口",
    "花园路高架桥下",
    "丽阳街商业区",
    "中医院后门",
    "继光街口",
    "府前广场",
    "括苍路隧道口",
    "灯塔街农贸市场",
    "城北客运站",
    "水东大桥桥下",
    "西溪路口",
    "五一路地下通道",
    "学院路公交枢纽",
    "好溪堰公园",
];
const GENERAL_PLACES: &[&str] = &[
    "新华书店门口",
    "天宁寺外",
    "南城大润发门前",
    "北苑公园",
    "应星楼",
    "三岩寺路口",
    "城西街心公园",
    "紫金街菜场",
    "岩泉农贸市场",
    "万地广场",
    "丽东路口",
    "滨江小区后门",
    "少年宫广场",
    "体育中心西门",
    "会展中心",
    "老城墙遗址",
    "通济堰路口",
    "丽青路加油站",
    "开发区公交站",
    "万象街道办事处门前",
];
const TEAM_NAMES: &[&str] = &["巡查一队", "巡查二队", "巡查三队", "巡查四队", "巡查五队"];
const PARTNERS: &[(&str, &str, &str)] = &[
    ("trade_union", "总工会", "户外劳动者驿站"),
    ("lottery_shop", "福利彩票站", "爱心驿站"),
    ("community_centre", "社区服务中心", "社区驿站"),
    ("enterprise", "爱心企业", "暖心驿站"),
    ("volunteer", "志愿者协会", "志愿驿站"),
];
const COUNTIES: &[(&str, &str, f64, f64)] = &[
    ("331102", "莲都", 28.446, 119.912),
    ("331121", "青田", 28.139, 120.290),
    ("331122", "缙云", 28.659, 120.091),
    ("331123", "遂昌", 28.593, 119.276),
    ("331124", "松阳", 28.449, 119.482),
    ("331125", "云和", 28.116, 119.573),
    ("331126", "庆元", 27.619, 119.063),
    ("331127", "景宁", 27.973, 119.636),
    ("331181", "龙泉", 28.074, 119.141),
];
/// The station's position in the demo city (丽水市救助管理站).
pub const STATION: (f64, f64) = (28.452, 119.905);

fn r(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("demo region codes are valid")
}

fn jitter(rng: &mut SplitMix64, spread: f64) -> f64 {
    (rng.below(20_001) as f64 / 10_000.0 - 1.0) * spread
}

/// Everything above. `history_days`: how far back the season of sightings goes (0: none).
pub async fn seed(db: &Db, rng: &mut SplitMix64, history_days: i64) -> Result<(), StoreError> {
    let a = Actor::system("demo");
    let liandu = r("331102");
    let mut hotspots = Vec::new();
    let tiers = [
        (Tier::Key, KEY_PLACES, "夜间常有人露宿，每日重点巡查"),
        (Tier::Secondary, SECONDARY_PLACES, "白天有人乞讨"),
        (Tier::General, GENERAL_PLACES, ""),
    ];
    for (tier, places, note) in tiers {
        for (i, name) in places.iter().enumerate() {
            let street = rng.below(STREET_CODES.len() as u64) as usize;
            let h = db
                .hotspot_add(
                    &a,
                    &HotspotInput {
                        region: r(STREET_CODES[street]),
                        name: name.to_string(),
                        lat: 28.452 + jitter(rng, 0.035),
                        lng: 119.915 + jitter(rng, 0.045),
                        tier,
                        notes: if i % 3 == 0 {
                            note.to_string()
                        } else {
                            String::new()
                        },
                    },
                )
                .await?;
            if tier == Tier::Key {
                db.camera_add(
                    &a,
                    &r(STREET_CODES[street]),
                    &format!("{name}监控{}", i + 1),
                    h.lat + 0.0004,
                    h.lng + 0.0004,
                    Some(h.id),
                )
                .await?;
            }
            hotspots.push(h);
        }
    }
    let mut teams = Vec::new();
    for (i, name) in TEAM_NAMES.iter().enumerate() {
        teams.push(
            db.team_add(
                &a,
                &TeamInput {
                    region: liandu.clone(),
                    name: name.to_string(),
                    members: format!(
                        "{}、{}",
                        ["吴国平", "李强", "王敏", "赵磊", "孙杰"][i],
                        ["钱伟", "郑涛", "冯丽", "陈刚", "何军"][i]
                    ),
                    shifts: "08:00-15:00,15:00-22:00".into(),
                    base_lat: STATION.0,
                    base_lng: STATION.1,
                },
            )
            .await?,
        );
    }
    // The station itself on the public map, then 210 posts across the city.
    db.post_add(
        &a,
        &PostInput {
            region: liandu.clone(),
            name: "丽水市救助管理站".into(),
            partner_kind: "rescue_station".into(),
            partner_name: "丽水市民政局".into(),
            lat: STATION.0,
            lng: STATION.1,
            address: "莲都区括苍路 88 号".into(),
            hours: "24 小时".into(),
            services: "water_food,shelter,meal_heating,counselling,charging,jobs".into(),
            stock: String::new(),
            jobs: String::new(),
        },
    )
    .await?;
    for n in 0..210usize {
        // Half in 莲都区, the rest spread over the other counties.
        let (code, county, lat, lng) = if n < 105 {
            COUNTIES[0]
        } else {
            COUNTIES[1 + n % (COUNTIES.len() - 1)]
        };
        let (kind, partner, label) = PARTNERS[n % PARTNERS.len()];
        let services = match n % 4 {
            0 => "water_food,shelter,charging",
            1 => "water_food,meal_heating,charging",
            2 => "water_food,shelter,meal_heating,counselling",
            _ => "water_food,charging,jobs",
        };
        db.post_add(
            &a,
            &PostInput {
                region: r(code),
                name: format!("{county}{label}{:03}", n + 1),
                partner_kind: kind.into(),
                partner_name: format!("{county}{partner}"),
                lat: lat + jitter(rng, if n < 105 { 0.03 } else { 0.02 }),
                lng: lng + jitter(rng, if n < 105 { 0.04 } else { 0.02 }),
                address: format!("{county}城区"),
                hours: if n % 3 == 0 {
                    "24 小时".into()
                } else {
                    "08:00-20:00".into()
                },
                services: services.into(),
                stock: format!(
                    "矿泉水 {} 瓶，面包 {} 个",
                    20 + rng.below(40),
                    5 + rng.below(20)
                ),
                jobs: if services.contains("jobs") {
                    "保洁员、快递分拣（日结）".into()
                } else {
                    String::new()
                },
            },
        )
        .await?;
    }
    let book = OutreachBook::shipped();
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
    // Two campaigns: a heat wave last summer, and a cold wave from today.
    for (kind, level, from, days) in [
        (
            WeatherKind::Heat,
            WarningLevel::Orange,
            today - Duration::days(120),
            5,
        ),
        (WeatherKind::Cold, WarningLevel::Yellow, today, 3),
    ] {
        let region = r("331100");
        let rules = book.for_region(&region, from);
        let campaign = rules.campaign_for(kind, level).map(|c| CampaignInput {
            kind: c.campaign,
            extra: c.extra_visits,
            instructions: c.instructions.clone(),
            supplies_target: c.supplies_per_team as i64,
            reference: rules.reference.clone(),
        });
        db.warning_add(
            &a,
            &WarningInput {
                region,
                kind,
                level,
                valid_from: from,
                valid_to: from + Duration::days(days - 1),
                source: "丽水市气象台".into(),
            },
            campaign.as_ref(),
        )
        .await?;
    }
    if history_days <= 0 {
        return Ok(());
    }
    // A season of sightings: about two a day, most answered within the hour.
    let channels = [
        (SightingChannel::Video, 35),
        (SightingChannel::Hotline, 25),
        (SightingChannel::Public, 15),
        (SightingChannel::Patrol, 10),
        (SightingChannel::Police, 8),
        (SightingChannel::CityManagement, 4),
        (SightingChannel::RescuePost, 3),
    ];
    let outcomes = [
        (ContactOutcome::RefusedSupplies, 40),
        (ContactOutcome::BroughtIn, 25),
        (ContactOutcome::Gone, 15),
        (ContactOutcome::NotFound, 10),
        (ContactOutcome::ReferredHospital, 6),
        (ContactOutcome::ReferredPolice, 4),
    ];
    let now = Utc::now().timestamp_millis();
    let n = history_days * 2;
    for k in 0..n {
        let ago = Duration::minutes((history_days * 24 * 60 * (n - k) / n) + rng.below(300) as i64);
        let reported = now - ago.num_milliseconds();
        if reported > now - 3 * 3_600_000 {
            break;
        }
        let h = &hotspots[rng.below(hotspots.len() as u64) as usize];
        let channel = *rng.weighted(&channels);
        let child = rng.below(40) == 0;
        let s = db
            .sighting_create(
                &a,
                &SightingInput {
                    region: RegionCode::try_from(h.region_code.clone()).unwrap_or(liandu.clone()),
                    channel,
                    reported_at: reported,
                    position: Some((h.lat + jitter(rng, 0.001), h.lng + jitter(rng, 0.001))),
                    place: h.name.clone(),
                    description: [
                        "一名男子躺在地上",
                        "老人在此露宿",
                        "有人沿街乞讨",
                        "衣着单薄，神情恍惚",
                    ][rng.below(4) as usize]
                        .into(),
                    people_count: 1 + (rng.below(10) == 0) as i64,
                    child,
                    urgent: false,
                    caller_name: String::new(),
                    contact: None,
                    call_ref: if channel == SightingChannel::Hotline {
                        format!("REC-{}", 10_000 + k)
                    } else {
                        String::new()
                    },
                    camera_id: None,
                    snapshot_ref: if channel == SightingChannel::Video {
                        format!("CAM-{}", rng.below(12) + 1)
                    } else {
                        String::new()
                    },
                    hotspot_id: Some(h.id),
                    respond_within_minutes: if child { 20 } else { 90 },
                },
            )
            .await?;
        let team = &teams[rng.below(teams.len() as u64) as usize];
        let dispatched = reported + (2 + rng.below(12) as i64) * 60_000;
        let s = db
            .sighting_step(
                &a,
                s.id,
                s.version,
                Step::to(SightingStatus::Dispatched)
                    .team(team.id)
                    .at(dispatched),
            )
            .await?;
        let arrived = dispatched + (6 + rng.below(40) as i64) * 60_000;
        let s = db
            .sighting_step(
                &a,
                s.id,
                s.version,
                Step::to(SightingStatus::OnScene).at(arrived),
            )
            .await?;
        let outcome = *rng.weighted(&outcomes);
        db.contact_record(
            &a,
            &ContactInput {
                team_id: team.id,
                sighting_id: Some(s.id),
                stop_id: None,
                at: arrived + (5 + rng.below(25) as i64) * 60_000,
                position: s.lat.zip(s.lng),
                outcome,
                people_count: if outcome.engaged() { s.people_count } else { 0 },
                supplies: if outcome == ContactOutcome::RefusedSupplies {
                    1 + rng.below(3) as i64
                } else {
                    0
                },
                card_given: outcome == ContactOutcome::RefusedSupplies,
                note: String::new(),
                sighting_version: Some(s.version),
            },
        )
        .await?;
    }
    // Today: two sightings waiting for a team, one of them a child at the station square.
    for (place, child, channel) in [
        ("丽水火车站广场", true, SightingChannel::Video),
        ("大洋路桥洞", false, SightingChannel::Hotline),
    ] {
        let h = hotspots
            .iter()
            .find(|h| h.name == place)
            .expect("a demo hotspot");
        db.sighting_create(
            &a,
            &SightingInput {
                region: RegionCode::try_from(h.region_code.clone()).unwrap_or(liandu.clone()),
                channel,
                reported_at: now - 10 * 60_000,
                position: Some((h.lat, h.lng)),
                place: h.name.clone(),
                description: if child {
                    "一名十岁左右男孩独自徘徊".into()
                } else {
                    "一名老人蜷缩在桥洞，衣着单薄".into()
                },
                people_count: 1,
                child,
                urgent: !child,
                caller_name: if child {
                    String::new()
                } else {
                    "李女士".into()
                },
                contact: if child {
                    None
                } else {
                    Some("13905781234".into())
                },
                call_ref: String::new(),
                camera_id: None,
                snapshot_ref: String::new(),
                hotspot_id: Some(h.id),
                respond_within_minutes: 20,
            },
        )
        .await?;
    }
    Ok(())
}

/// Today's round so far: the teams have made most stops of the plan due by now (a few were
/// missed), finding someone at some of them. Run after the day's plan is made.
pub async fn walk_plan(
    db: &Db,
    rng: &mut SplitMix64,
    region: &RegionCode,
    day: chrono::NaiveDate,
) -> Result<usize, StoreError> {
    let a = Actor::system("demo");
    let Some(plan) = db.plan(region, day).await? else {
        return Ok(0);
    };
    let now = Utc::now().timestamp_millis();
    let midnight = jiuzhu_domain::time::local_midnight_ms(day);
    let mut made = 0;
    for stop in db.plan_stops(plan.id, None).await? {
        let at = midnight + stop.start_min * 60_000;
        if at > now || stop.done_at.is_some() || stop.sighting_id.is_some() || rng.below(10) == 0 {
            continue;
        }
        let outcome = *rng.weighted(&[
            (ContactOutcome::NotFound, 70),
            (ContactOutcome::RefusedSupplies, 20),
            (ContactOutcome::BroughtIn, 10),
        ]);
        db.contact_record(
            &a,
            &ContactInput {
                team_id: stop.team_id,
                sighting_id: None,
                stop_id: Some(stop.id),
                at,
                position: Some((stop.lat, stop.lng)),
                outcome,
                people_count: if outcome.engaged() { 1 } else { 0 },
                supplies: if outcome == ContactOutcome::RefusedSupplies {
                    2
                } else {
                    0
                },
                card_given: outcome == ContactOutcome::RefusedSupplies,
                note: String::new(),
                sighting_version: None,
            },
        )
        .await?;
        made += 1;
    }
    Ok(made)
}
