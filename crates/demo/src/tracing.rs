//! Demo family tracing: families' reports, some about people at the station (with the
//! name misheard the way it happens on the phone), most about someone else; and, once the
//! matching engine has suggested its candidates, a few reunions confirmed by DNA.

use crate::names::Person;
use crate::rng::SplitMix64;
use chrono::{Duration, Utc};
use jiuzhu_domain::tracing::{ChannelOutcome, Evidence, SearchChannel};
use jiuzhu_domain::{RegionCode, Sex};
use jiuzhu_storage::tracing::{ReportInput, ReportSource, SearchActionInput};
use jiuzhu_storage::{Actor, Db, Page, StoreError};

/// Characters a family's dialect or a hotline line turns into another one that sounds
/// alike (同音 / 近音), as the matching engine must forgive.
const MISHEARD: &[(char, char)] = &[
    ('国', '果'),
    ('平', '萍'),
    ('建', '剑'),
    ('军', '君'),
    ('志', '智'),
    ('明', '名'),
    ('海', '亥'),
    ('涛', '韬'),
    ('永', '勇'),
    ('福', '富'),
    ('春', '纯'),
    ('生', '升'),
    ('秀', '绣'),
    ('英', '莹'),
    ('桂', '贵'),
    ('芳', '方'),
    ('丽', '莉'),
    ('强', '墙'),
    ('陈', '程'),
    ('张', '章'),
    ('周', '邹'),
];

fn misheard(name: &str, rng: &mut SplitMix64) -> String {
    let chars: Vec<char> = name.chars().collect();
    let candidates: Vec<usize> = (0..chars.len())
        .filter(|i| MISHEARD.iter().any(|(a, _)| *a == chars[*i]))
        .collect();
    if candidates.is_empty() {
        return name.to_string();
    }
    let i = candidates[rng.below(candidates.len() as u64) as usize];
    chars
        .iter()
        .enumerate()
        .map(|(j, c)| {
            if j == i {
                MISHEARD
                    .iter()
                    .find(|(a, _)| a == c)
                    .map(|p| p.1)
                    .unwrap_or(*c)
            } else {
                *c
            }
        })
        .collect()
}

/// Home regions as a family would name them, from the accent the station wrote down.
fn home_of(dialect: &str) -> Option<&'static str> {
    Some(match dialect {
        "丽水话" => "331102",
        "温州话" => "330300",
        "江西口音" => "360000",
        "河南口音" => "410000",
        "四川话" => "510000",
        "湖南口音" => "430000",
        "贵州口音" => "520000",
        "安徽口音" => "340000",
        _ => return None,
    })
}

const RELATIONS: &[&str] = &["儿子", "女儿", "妻子", "丈夫", "哥哥", "母亲"];
const PLACES: &[&str] = &[
    "县城汽车站附近",
    "镇上集市",
    "外出打工后失联",
    "医院门口",
    "火车站",
    "村口",
];

/// Reports from families: `true_reports` about unidentified people at the station, and
/// `others` about people who are not there.
pub async fn seed_reports(
    db: &Db,
    rng: &mut SplitMix64,
    true_reports: usize,
    others: usize,
) -> Result<usize, StoreError> {
    let actor = Actor::system("demo");
    let lishui = RegionCode::parse("331102").expect("valid");
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
    let mut n = 0;
    let people = db.unidentified_cases_all().await?;
    for c in people
        .iter()
        .filter(|c| c.departed_at.is_none() && c.estimated_age.is_some())
        .take(true_reports)
    {
        let found = jiuzhu_domain::time::local_date(c.registered_at).expect("stored");
        let gone_days = 10 + rng.below(300) as i64;
        let age = c.estimated_age.unwrap_or(40);
        let birth = found - Duration::days(365 * age + rng.below(500) as i64 - 250);
        let family = Person::generate(rng, "331102", today);
        let input = ReportInput {
            region: Some(lishui.clone()),
            // Unnamed at the station: the family of course knows the name.
            name: if c.name.is_empty() {
                family.name.chars().take(1).collect::<String>() + "德明"
            } else {
                misheard(&c.name, rng)
            },
            sex: Sex::parse(&c.sex),
            birth_date: (rng.below(3) > 0).then_some(birth),
            age_when_missing: Some(age.max(1) as u32),
            missing_on: Some((found - Duration::days(gone_days)).min(today)),
            missing_place: PLACES[rng.below(PLACES.len() as u64) as usize].into(),
            origin_region: home_of(&c.dialect).and_then(|h| RegionCode::parse(h).ok()),
            dialect: c.dialect.clone(),
            height_cm: c.height_cm.map(|h| (h + rng.below(5) as i64 - 2) as u32),
            features: c.features.clone(),
            reporter_name: family.name,
            relation: RELATIONS[rng.below(RELATIONS.len() as u64) as usize].into(),
            contact: Some(family.phone),
            consent: true,
        };
        let source = if rng.below(2) == 0 {
            ReportSource::Public
        } else {
            ReportSource::Staff
        };
        db.report_create(&actor, source, &input).await?;
        n += 1;
    }
    for _ in 0..others {
        let missing = Person::generate(rng, "331121", today);
        let family = Person::generate(rng, "331121", today);
        let input = ReportInput {
            region: Some(lishui.clone()),
            name: missing.name,
            sex: Some(if missing.male { Sex::Male } else { Sex::Female }),
            birth_date: Some(missing.birth),
            age_when_missing: None,
            missing_on: Some(today - Duration::days(5 + rng.below(900) as i64)),
            missing_place: PLACES[rng.below(PLACES.len() as u64) as usize].into(),
            origin_region: RegionCode::parse("331121").ok(),
            dialect: "青田话".into(),
            height_cm: Some(150 + rng.below(35) as u32),
            features: String::new(),
            reporter_name: family.name,
            relation: RELATIONS[rng.below(RELATIONS.len() as u64) as usize].into(),
            contact: Some(family.phone),
            consent: true,
        };
        db.report_create(&actor, ReportSource::Public, &input)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// After the engine has suggested candidates: the station confirms the `n` most likely
/// with a DNA match, as happens when the police database answers. Returns how many.
pub async fn seed_reunions(db: &Db, n: usize) -> Result<usize, StoreError> {
    let actor = Actor::system("demo");
    let open = db
        .candidates_open(&[RegionCode::nation()], Page::new(None, Some(50)))
        .await?;
    let today = jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
    let mut done = 0;
    let mut used_cases = Vec::new();
    let mut used_reports = Vec::new();
    for cand in open.items.iter().filter(|c| c.probability >= 0.9) {
        if done == n {
            break;
        }
        if used_cases.contains(&cand.case_id) || used_reports.contains(&cand.report_id) {
            continue;
        }
        let c = db.case(cand.case_id).await?;
        let registered = jiuzhu_domain::time::local_date(c.registered_at).expect("stored");
        if !c.unidentified || (today - registered).num_days() < 20 {
            continue;
        }
        // An earlier reunion may have settled this pair (the same report, another man).
        if db.candidate(cand.id).await?.status != "open" {
            continue;
        }
        db.search_action_add(
            &actor,
            &SearchActionInput {
                case_id: c.id,
                channel: SearchChannel::Dna,
                requested_on: registered + Duration::days(5),
                reference: format!("DNA-BZ-{:04}", c.id),
                detail: "公安机关DNA数据库比对".into(),
                outcome: ChannelOutcome::Match,
                result_on: Some(registered + Duration::days(19)),
                result_note: "与寻亲家属比中".into(),
                shared_with: None,
            },
        )
        .await?;
        let fresh = db.candidate(cand.id).await?;
        db.candidate_confirm(
            &actor,
            fresh.id,
            fresh.version,
            Evidence::DnaMatch,
            &format!("比中通知 DNA-BZ-{:04}", c.id),
        )
        .await?;
        used_cases.push(c.id);
        used_reports.push(cand.report_id);
        done += 1;
    }
    Ok(done)
}
