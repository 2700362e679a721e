//! Synthetic people: names, identity numbers and phones.

use crate::rng::SplitMix64;
use chrono::{Datelike, Days, NaiveDate};
use jiuzhu_domain::ResidentId;

/// The commonest surnames with their approximate national share in hundredths of a
/// percent (第七次全国人口普查 as reported by the Ministry of Public Security, 2021).
pub const SURNAMES: &[(&str, u32)] = &[
    ("王", 725),
    ("李", 719),
    ("张", 690),
    ("刘", 538),
    ("陈", 461),
    ("杨", 322),
    ("黄", 245),
    ("赵", 229),
    ("吴", 205),
    ("周", 197),
    ("徐", 163),
    ("孙", 148),
    ("马", 144),
    ("朱", 128),
    ("胡", 121),
    ("郭", 115),
    ("何", 109),
    ("林", 101),
    ("高", 100),
    ("罗", 95),
    ("郑", 93),
    ("梁", 83),
    ("谢", 73),
    ("宋", 70),
    ("唐", 69),
    ("许", 66),
    ("韩", 62),
    ("邓", 61),
    ("冯", 60),
    ("曹", 59),
    ("彭", 54),
    ("曾", 53),
    ("肖", 52),
    ("田", 51),
    ("董", 51),
    ("潘", 50),
    ("袁", 49),
    ("蔡", 47),
    ("蒋", 46),
    ("余", 45),
    ("于", 45),
    ("杜", 43),
    ("叶", 42),
    ("程", 42),
    ("魏", 40),
    ("苏", 39),
    ("吕", 39),
    ("丁", 38),
    ("任", 37),
    ("卢", 36),
    ("姚", 36),
    ("沈", 35),
    ("钟", 35),
    ("姜", 34),
    ("崔", 33),
    ("谭", 33),
    ("陆", 32),
    ("范", 30),
    ("汪", 30),
    ("廖", 30),
    ("石", 29),
    ("金", 29),
    ("韦", 28),
    ("贾", 27),
    ("夏", 26),
    ("付", 26),
    ("方", 26),
    ("邹", 24),
    ("熊", 24),
    ("白", 24),
    ("孟", 23),
    ("秦", 23),
    ("邱", 23),
    ("侯", 22),
    ("江", 22),
    ("尹", 21),
    ("薛", 21),
    ("闫", 21),
    ("段", 20),
    ("雷", 20),
    ("季", 18),
    ("龚", 17),
    ("蓝", 8),
    ("单", 6),
    ("区", 2),
];

const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "建华", "国平", "志强", "海涛",
    "建军", "文斌", "晓东", "俊杰", "永福", "金龙", "德明", "春生", "子豪", "宇航", "浩然",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "婷", "丽萍", "晓燕", "秀英", "桂芳",
    "海燕", "雪梅", "春兰", "美玲", "欣怡", "梓涵", "雨桐", "思琪", "佳怡", "月娥", "素珍",
];

/// Mobile prefixes of the three carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "177",
    "180", "181", "187", "188", "189", "198",
];

pub struct Person {
    pub name: String,
    pub male: bool,
    pub birth: NaiveDate,
    pub resident_id: ResidentId,
    pub phone: String,
}

impl Person {
    /// An adult of working age registered in `county`.
    pub fn generate(rng: &mut SplitMix64, county: &str, today: NaiveDate) -> Person {
        let male = rng.below(2) == 0;
        let surname = rng.weighted(SURNAMES);
        let given = if male { GIVEN_MALE } else { GIVEN_FEMALE };
        let name = format!("{surname}{}", given[rng.below(given.len() as u64) as usize]);
        let age_days = 22 * 365 + rng.below(38 * 365);
        let birth = today - Days::new(age_days);
        let resident_id = crate::resident_id(rng, county, birth, male);
        let prefix = MOBILE_PREFIXES[rng.below(MOBILE_PREFIXES.len() as u64) as usize];
        let phone = format!("{prefix}{:08}", rng.below(100_000_000));
        debug_assert!(birth.year() > 1900);
        Person {
            name,
            male,
            birth,
            resident_id,
            phone,
        }
    }
}

/// A random password that meets the password rules.
pub fn password(rng: &mut SplitMix64) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let body: String = (0..12)
        .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize] as char)
        .collect();
    format!("Jz-{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_people_have_valid_numbers_for_their_county(seed in any::<u64>()) {
            let mut rng = SplitMix64::new(seed);
            let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let p = Person::generate(&mut rng, "331121", today);
            let parsed = ResidentId::parse(p.resident_id.as_str()).unwrap();
            prop_assert_eq!(parsed.region(), "331121");
            prop_assert_eq!(parsed.birth_date(), p.birth);
            prop_assert_eq!(parsed.sex() == jiuzhu_domain::Sex::Male, p.male);
            let age = parsed.age_on(today);
            prop_assert!((21..=60).contains(&age), "{}", age);
            prop_assert_eq!(p.phone.len(), 11);
            prop_assert!(jiuzhu_domain::password::check(&password(&mut rng), "admin").is_ok());
        }
    }

    #[test]
    fn surnames_follow_their_frequencies() {
        let mut rng = SplitMix64::new(7);
        let n = 20_000;
        let wang = (0..n).filter(|_| *rng.weighted(SURNAMES) == "王").count() as f64 / n as f64;
        let total: u32 = SURNAMES.iter().map(|(_, w)| w).sum();
        let expected = 725.0 / total as f64;
        assert!((wang - expected).abs() < 0.01, "{wang} vs {expected}");
    }
}
