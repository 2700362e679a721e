//! A year of station history for the demo city: intakes by every channel, checks,
//! refusals, stays, every legal way out, minors, long-stayers and people still inside.
//! Written through the same storage calls the pages use, so every rule applies.

use crate::names::{Person, SURNAMES};
use crate::rng::SplitMix64;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use jiuzhu_domain::case::{CaseEvent, Channel, Diversion, Exit, Screening, Travel};
use jiuzhu_domain::deadline::DeadlineKind;
use jiuzhu_domain::tracing::{ChannelOutcome, SearchChannel};
use jiuzhu_domain::{Fen, RegionCode, Sex};
use jiuzhu_storage::station::{IntakeInput, PersonInput};
use jiuzhu_storage::tracing::SearchActionInput;
use jiuzhu_storage::{Actor, Db, StoreError};

const PROVINCES: &[(&str, &str, u32)] = &[
    ("331102", "浙江丽水", 30),
    ("330302", "浙江温州", 12),
    ("330102", "浙江杭州", 6),
    ("340102", "安徽合肥", 8),
    ("360102", "江西南昌", 10),
    ("410102", "河南郑州", 9),
    ("510104", "四川成都", 8),
    ("430102", "湖南长沙", 6),
    ("520102", "贵州贵阳", 6),
    ("450102", "广西南宁", 5),
];
const DIALECTS: &[&str] = &[
    "丽水话",
    "温州话",
    "普通话",
    "江西口音",
    "河南口音",
    "四川话",
    "湖南口音",
    "贵州口音",
    "安徽口音",
    "畲语",
];
const FEATURES: &[&str] = &[
    "左手背有疤痕",
    "右眉上方有痣",
    "门牙缺失",
    "左腿微跛",
    "右耳有胎记",
    "额头有旧伤疤",
    "背部有纹身",
    "戴眼镜",
    "头发花白",
    "身材消瘦",
];
const CAUSES: &[&str] = &[
    "务工未果，身无分文",
    "钱物被盗，无法返乡",
    "在街头流浪乞讨",
    "走失，无法说清住址",
    "与家人争吵后离家",
    "看病花光路费",
    "被骗来丽水",
];
const CLOTHING: &[&str] = &[
    "深蓝色棉袄，黑色长裤",
    "灰色夹克，迷彩裤",
    "红色羽绒服",
    "白色衬衫，破旧布鞋",
    "黑色外套，拖鞋",
];

fn pick<'a>(rng: &mut SplitMix64, xs: &'a [&'a str]) -> &'a str {
    xs[rng.below(xs.len() as u64) as usize]
}

/// Seeds `n` stays at `station_id` over the year before `now`. Returns how many.
pub async fn seed_history(
    db: &Db,
    rng: &mut SplitMix64,
    station_id: i64,
    region: &RegionCode,
    n: usize,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let actor = Actor::system("demo");
    let rules = jiuzhu_domain::settings::SettingsBook::shipped()
        .for_region(&RegionCode::nation(), chrono::Utc::now().date_naive())
        .clone();
    let provinces: Vec<((&str, &str), u32)> =
        PROVINCES.iter().map(|(c, n, w)| ((*c, *n), *w)).collect();
    for i in 0..n {
        // Long-stayers among the first cases: unidentified, registered months ago.
        let long_stayer = i < 6;
        let days_ago = if long_stayer {
            95 + rng.below(200) as i64
        } else {
            rng.below(365) as i64
        };
        let registered = now - Duration::days(days_ago) - Duration::minutes(rng.below(600) as i64);
        let (origin, place) = *rng.weighted(&provinces);
        let roll = rng.below(100);
        let age_band = if roll < 8 {
            8 + rng.below(10)
        } else if roll < 28 {
            60 + rng.below(25)
        } else {
            18 + rng.below(42)
        };
        let age = age_band as u32;
        let unidentified = long_stayer || rng.below(100) < 35;
        let male = rng.below(100) < 78;
        let registered_day =
            jiuzhu_domain::time::local_date(registered.timestamp_millis()).expect("valid");
        let birth = registered_day - Duration::days(365 * age as i64 + rng.below(365) as i64);
        let surname = rng.weighted(SURNAMES);
        let given = [
            "国平", "建军", "志明", "海涛", "永福", "春生", "秀英", "桂芳", "丽", "军", "强", "芳",
        ];
        let name = if unidentified && rng.below(3) == 0 {
            String::new()
        } else {
            format!("{surname}{}", pick(rng, &given))
        };
        // Identified people have a real-looking number for their home county; the unidentified
        // are known only by what the station can see.
        let resident_id = (!unidentified).then(|| crate::resident_id(rng, origin, birth, male));
        let input = PersonInput {
            name,
            sex: Some(if male { Sex::Male } else { Sex::Female }),
            estimated_age: unidentified.then_some(age),
            birth_date: (!unidentified).then_some(birth),
            resident_id,
            registered_residence: if unidentified {
                String::new()
            } else {
                place.to_string()
            },
            origin_region: if unidentified {
                String::new()
            } else {
                origin.to_string()
            },
            dialect: pick(rng, DIALECTS).into(),
            height_cm: Some(150 + rng.below(32) as u32),
            features: pick(rng, FEATURES).into(),
            clothing: pick(rng, CLOTHING).into(),
            health: if rng.below(10) == 0 {
                "高血压".into()
            } else {
                String::new()
            },
            needs_collection: rng.below(20) == 0,
            mental_or_intellectual: long_stayer || rng.below(12) == 0,
            special_groups: if age < 18 && rng.below(3) == 0 {
                vec![jiuzhu_domain::case::SpecialGroup::LeftBehindChild]
            } else if !male && rng.below(15) == 0 {
                vec![jiuzhu_domain::case::SpecialGroup::DomesticViolenceVictim]
            } else {
                Vec::new()
            },
            ..Default::default()
        };
        let channel = *rng.weighted(&[
            (Channel::WalkIn, 40),
            (Channel::PoliceEscort, 20),
            (Channel::CityManagementEscort, 8),
            (Channel::Patrol, 20),
            (Channel::Hotline, 7),
            (Channel::Referral, 5),
        ]);
        let c = db
            .intake(
                &actor,
                region,
                &IntakeInput {
                    station_id,
                    channel,
                    cause: pick(rng, CAUSES).into(),
                    registered_at: registered,
                    person: input,
                },
            )
            .await?;
        let t = |mins: i64| (registered + Duration::minutes(mins)).min(now);
        let diverted = rng.below(100) < 4;
        let c = db
            .case_apply(
                &actor,
                c.id,
                c.version,
                &CaseEvent::FirstCheck {
                    note: "体温正常".into(),
                    diversion: diverted.then_some(Diversion::Hospital),
                },
                t(30),
                &rules,
            )
            .await?;
        let c = if diverted {
            if rng.below(2) == 0 {
                db.case_apply(
                    &actor,
                    c.id,
                    c.version,
                    &CaseEvent::Depart(Exit::Transferred {
                        to: "丽水市中心医院".into(),
                        reason: "住院治疗".into(),
                    }),
                    t(120),
                    &rules,
                )
                .await?;
                continue;
            }
            db.case_apply(
                &actor,
                c.id,
                c.version,
                &CaseEvent::Returned,
                t(600),
                &rules,
            )
            .await?
        } else {
            c
        };
        if rng.below(100) < 4 && !long_stayer {
            db.case_apply(
                &actor,
                c.id,
                c.version,
                &CaseEvent::Screen(Screening::Refuse {
                    reasons: "有固定住所和生活来源，不属于救助对象".into(),
                }),
                t(60),
                &rules,
            )
            .await?;
            continue;
        }
        let mut c = db
            .case_apply(
                &actor,
                c.id,
                c.version,
                &CaseEvent::Screen(Screening::Admit {
                    verify_later: unidentified,
                }),
                t(60),
                &rules,
            )
            .await?;
        // Services during the stay: meals and bedding for most, a hospital visit for some.
        use jiuzhu_storage::station::ServiceKind;
        db.case_add_service(
            &actor,
            c.id,
            ServiceKind::Living,
            t(90),
            "本站",
            "提供饮食、衣物和床铺",
            Fen::ZERO,
        )
        .await?;
        if rng.below(100) < 15 {
            let cost = Fen(5_000 + rng.below(200_000) as i64);
            db.case_add_service(
                &actor,
                c.id,
                ServiceKind::Medical,
                t(180),
                "丽水市中心医院",
                "门诊检查及药费",
                cost,
            )
            .await?;
        }
        if age < 18 {
            db.case_add_service(
                &actor,
                c.id,
                ServiceKind::Education,
                t(240),
                "驻站社工",
                "法治与安全教育",
                Fen::ZERO,
            )
            .await?;
        }
        // The family search: a notice within a day, a DNA sample within the week, and for
        // some a face comparison; each recorded as a search action, which meets its deadline.
        if unidentified && rng.below(100) < 88 {
            let on = day_of(t(60 * (2 + rng.below(20) as i64)));
            search(
                db,
                &actor,
                c.id,
                SearchChannel::Notice,
                on,
                format!("XQGG-{}", c.id),
                ChannelOutcome::Pending,
            )
            .await?;
        }
        if unidentified && days_ago > 7 && rng.below(100) < 75 {
            let on = day_of(t(60 * 24 * (1 + rng.below(6) as i64)));
            let outcome = if days_ago > 60 {
                ChannelOutcome::NoMatch
            } else {
                ChannelOutcome::Pending
            };
            search(
                db,
                &actor,
                c.id,
                SearchChannel::Dna,
                on,
                format!("DNA{}-{:04}", on.format("%Y%m"), c.id),
                outcome,
            )
            .await?;
        }
        if unidentified && days_ago > 14 && rng.below(100) < 40 {
            let on = day_of(t(60 * 24 * (8 + rng.below(6) as i64)));
            search(
                db,
                &actor,
                c.id,
                SearchChannel::Face,
                on,
                format!("RX-{:05}", c.id),
                ChannelOutcome::NoMatch,
            )
            .await?;
        }
        c = db.case(c.id).await?;
        // Recent arrivals mostly still here; long-stayers stay.
        if long_stayer || (days_ago < 12 && rng.below(100) < 75) {
            if days_ago > 10 && rng.below(2) == 0 {
                c = db
                    .case_mark(
                        &actor,
                        c.id,
                        c.version,
                        DeadlineKind::StayExtension,
                        t(60 * 24 * 10),
                    )
                    .await?;
            }
            let today = jiuzhu_domain::time::local_date(now.timestamp_millis()).expect("valid");
            let area = jiuzhu_domain::case::suggest_area(
                Sex::parse(&c.sex),
                c.age_on(today),
                c.mental_or_intellectual || c.needs_collection,
                false,
            );
            let bed = format!(
                "{}-{:02}",
                area.as_str()
                    .chars()
                    .next()
                    .unwrap_or('X')
                    .to_ascii_uppercase(),
                1 + i % 40
            );
            db.case_assign_bed(&actor, c.id, c.version, area, &bed)
                .await?;
            continue;
        }
        // Most stays are short; some unidentified people stay for weeks before their family
        // is found, and a few, never identified, are given household registration.
        let long_return = unidentified && days_ago > 120 && rng.below(3) == 0;
        let settle = unidentified && days_ago > 200 && !long_return && rng.below(6) == 0;
        let stay_days = if settle {
            95 + rng.below(20) as i64
        } else if long_return {
            15 + rng.below(45) as i64
        } else {
            (1 + rng.below(9) as i64).min(days_ago.max(1))
        };
        let leave = t(60 * 24 * stay_days);
        // The rules use the age on the day of leaving, which the birth date decides.
        let on = jiuzhu_domain::time::local_date(leave.timestamp_millis()).expect("valid");
        let minor = c.age_on(on).unwrap_or(age) < 18;
        let r = rng.below(100);
        let exit = if settle {
            Exit::Placed {
                institution: "丽水市社会福利院".into(),
                household_registration: true,
            }
        } else if long_return {
            Exit::EscortedHome {
                receiving_unit: format!("{place}救助管理站"),
                receipt_no: format!("HS{}{:04}", registered.format("%Y%m"), i),
                destination_region: origin.into(),
            }
        } else if minor || c.needs_collection || c.mental_or_intellectual {
            if r < 60 {
                Exit::CollectedByRelatives {
                    collector_name: format!("{}某", &pick(rng, &["王", "李", "张", "陈"])),
                    relation: "父亲".into(),
                    collector_id: Some(
                        Person::generate(
                            rng,
                            origin,
                            NaiveDate::from_ymd_opt(1975, 3, 1).expect("date"),
                        )
                        .resident_id,
                    ),
                }
            } else {
                Exit::EscortedHome {
                    receiving_unit: format!("{place}救助管理站"),
                    receipt_no: format!("HS{}{:04}", registered.format("%Y%m"), i),
                    destination_region: origin.into(),
                }
            }
        } else if r < 35 {
            let travel = if rng.below(3) == 0 {
                Travel::Cash {
                    amount: Fen::from_yuan(10 + rng.below(11) as i64),
                }
            } else {
                Travel::Ticket {
                    description: format!("丽水—{place}"),
                }
            };
            Exit::SelfDischarge {
                statement_signed: true,
                travel,
            }
        } else if r < 55 {
            Exit::EscortedHome {
                receiving_unit: format!("{place}救助管理站"),
                receipt_no: format!("HS{}{:04}", registered.format("%Y%m"), i),
                destination_region: origin.into(),
            }
        } else if r < 73 {
            Exit::CollectedByRelatives {
                collector_name: "亲属".into(),
                relation: "子女".into(),
                collector_id: Some(
                    Person::generate(
                        rng,
                        origin,
                        NaiveDate::from_ymd_opt(1988, 6, 1).expect("date"),
                    )
                    .resident_id,
                ),
            }
        } else if r < 86 {
            Exit::LeftWithoutNotice {
                note: "夜间自行离开".into(),
            }
        } else if r < 92 {
            Exit::Transferred {
                to: "丽水市第二人民医院".into(),
                reason: "精神障碍，转介治疗".into(),
            }
        } else if r < 98 {
            Exit::Terminated {
                reasons: "违反站内管理规定，经劝阻无效".into(),
            }
        } else {
            Exit::Died {
                cause: "突发心脏病，经抢救无效".into(),
            }
        };
        db.case_apply(
            &actor,
            c.id,
            c.version,
            &CaseEvent::Depart(exit),
            leave,
            &rules,
        )
        .await?;
    }
    Ok(n)
}

/// A few people on 紫金街道's register of people prone to wandering; the last of them turns
/// up at the station today, so the street office has an alert waiting.
pub async fn seed_register(
    db: &Db,
    rng: &mut SplitMix64,
    station_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use jiuzhu_storage::register::RegisterInput;
    let actor = Actor::system("demo");
    let reasons = [
        "阿尔茨海默病，曾两次走失",
        "精神障碍，病情不稳定时外出流浪",
        "智力障碍，独居",
        "留守老人，子女在外务工",
        "曾多次外出乞讨",
    ];
    let mut last = None;
    for (i, reason) in reasons.iter().enumerate() {
        let person = Person::generate(
            rng,
            "331102",
            NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
        );
        let grid = RegionCode::parse(&format!("331102001{:03}{:03}", 1 + i % 4, 1 + i % 3))
            .expect("demo grid");
        db.register_add(
            &actor,
            &RegisterInput {
                region: grid,
                name: person.name.clone(),
                sex: None,
                resident_id: Some(person.resident_id.clone()),
                guardian_name: format!("{}家属", &person.name[..3]),
                guardian_phone: Some(person.phone.clone()),
                reason: reason.to_string(),
            },
        )
        .await?;
        last = Some(person);
    }
    if let Some(p) = last {
        let input = PersonInput {
            name: p.name,
            sex: Some(if p.male { Sex::Male } else { Sex::Female }),
            birth_date: Some(p.birth),
            resident_id: Some(p.resident_id),
            features: "神志不清，自称找不到家".into(),
            ..Default::default()
        };
        db.intake(
            &actor,
            &RegionCode::parse("331102").expect("code"),
            &IntakeInput {
                station_id,
                channel: Channel::PoliceEscort,
                cause: "派出所民警在街头发现".into(),
                registered_at: now - Duration::hours(2),
                person: input,
            },
        )
        .await?;
    }
    Ok(())
}

fn day_of(t: DateTime<Utc>) -> NaiveDate {
    jiuzhu_domain::time::local_date(t.timestamp_millis()).expect("valid instant")
}

#[allow(clippy::too_many_arguments)]
async fn search(
    db: &Db,
    actor: &Actor,
    case_id: i64,
    channel: SearchChannel,
    on: NaiveDate,
    reference: String,
    outcome: ChannelOutcome,
) -> Result<(), StoreError> {
    // Searches started today cannot have results dated in the future.
    let today = day_of(Utc::now());
    db.search_action_add(
        actor,
        &SearchActionInput {
            case_id,
            channel,
            requested_on: on.min(today),
            reference,
            detail: String::new(),
            outcome,
            result_on: (outcome != ChannelOutcome::Pending)
                .then(|| (on + Duration::days(20)).min(today)),
            result_note: String::new(),
            shared_with: None,
        },
    )
    .await?;
    Ok(())
}
