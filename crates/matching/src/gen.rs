//! Seeded synthetic data: Chinese missing-person reports (寻亲登记) and
//! found-person records (受助人员登记) with realistic surname frequencies,
//! and for a fraction of people a second record with the kind of noise a
//! rescue station produces — misheard names (模糊音, 同音字), traditional
//! characters, nicknames, swapped or missing characters, missing surname,
//! estimated ages a few years off, partial or missing fields.
//!
//! Every record carries the ground-truth person id (`truth[i]`), so blocking
//! recall, precision and recall can be measured. Fully deterministic from the
//! seed.

use std::collections::HashMap;
use std::io::Write;

use crate::names::{char_pinyin, fuzzy_fold, lookalikes, surname_frequencies, traditional_forms};
use crate::record::{AgeInfo, Date, HeightCm, Record, RecordKind, RegionCode, Sex, DAYS_PER_YEAR};
use crate::rng::{SplitMix64, WeightedTable};

const MALE_GIVEN: &str = "伟强磊军勇杰涛明超斌鹏辉华平刚飞峰建国文志波宇浩凯健俊帆帅旭宁龙林亮成东海洋阳兵松新春生学永庆福贵荣金德财宝江山光胜民保忠良清全和进利云武鑫晨轩睿博昊然泽子天一嘉振家兴祥发顺有";
const FEMALE_GIVEN: &str = "芳娜敏静丽艳娟霞秀英华慧巧美玲燕红梅琳萍雪琴云莉兰凤洁婷倩颖佳欣怡雨晶妍璐露瑶月春玉桂珍淑翠秋菊彩丹蕾薇娇媛思梦涵诗琪悦若萱小金素爱";
const MARKS: [&str; 30] = [
    "左手缺小指",
    "额头有疤",
    "右脸有痣",
    "镶金牙",
    "左臂有纹身",
    "跛行",
    "说话口吃",
    "耳聋",
    "戴眼镜",
    "秃顶",
    "右手有烫伤疤痕",
    "背部有胎记",
    "左眼失明",
    "门牙缺失",
    "右腿有手术疤",
    "脖子有胎记",
    "智力障碍",
    "六指",
    "驼背",
    "左耳有耳洞",
    "下巴有痣",
    "头顶有疤",
    "手背有刺青龙",
    "左脚残疾",
    "说四川话",
    "皮肤黝黑",
    "斜视",
    "兔唇修复疤痕",
    "右手无名指弯曲",
    "眉间有痣",
];
/// (province prefix, approximate population share in percent).
const PROVINCES: [(u32, f64); 31] = [
    (11, 1.5),
    (12, 1.0),
    (13, 5.3),
    (14, 2.5),
    (15, 1.7),
    (21, 3.0),
    (22, 1.7),
    (23, 2.2),
    (31, 1.8),
    (32, 6.0),
    (33, 4.6),
    (34, 4.3),
    (35, 2.9),
    (36, 3.2),
    (37, 7.2),
    (41, 7.1),
    (42, 4.1),
    (43, 4.7),
    (44, 9.0),
    (45, 3.6),
    (46, 0.7),
    (50, 2.3),
    (51, 5.9),
    (52, 2.7),
    (53, 3.3),
    (54, 0.3),
    (61, 2.8),
    (62, 1.8),
    (63, 0.4),
    (64, 0.5),
    (65, 1.8),
];

/// Generator settings.
#[derive(Debug, Clone, Copy)]
pub struct GenConfig {
    /// PRNG seed.
    pub seed: u64,
    /// Total number of records produced.
    pub records: usize,
    /// Fraction of people who get one or more extra (noisy) records.
    pub duplicate_rate: f64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            records: 10_000,
            duplicate_rate: 0.3,
        }
    }
}

/// Generated records and their ground truth.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Records; `records[i].id == i`.
    pub records: Vec<Record>,
    /// Person id per record (records of one person share it).
    pub truth: Vec<u64>,
}

struct Pools {
    surnames: Vec<String>,
    surname_table: WeightedTable,
    male: Vec<char>,
    female: Vec<char>,
    given_table_m: WeightedTable,
    given_table_f: WeightedTable,
    province_table: WeightedTable,
    homophones: HashMap<String, Vec<char>>,
    fuzzy: HashMap<String, Vec<char>>,
}

impl Pools {
    fn new() -> Pools {
        let freq = surname_frequencies();
        let male: Vec<char> = MALE_GIVEN.chars().collect();
        let female: Vec<char> = FEMALE_GIVEN.chars().collect();
        let zipf = |n: usize| WeightedTable::new((0..n).map(|r| 1.0 / (r as f64 + 4.0)));
        let mut homophones: HashMap<String, Vec<char>> = HashMap::new();
        let mut fuzzy: HashMap<String, Vec<char>> = HashMap::new();
        // Extra characters that share readings with common name characters,
        // so that misheard names (同音字) can be produced.
        let extra = "维玮炜薇卫位微威为纬刚钢岗港明鸣铭民敏闽华化桦骅花军君钧均俊峻骏国果郭建健剑坚键见娟鹃捐红宏洪虹鸿弘静晶京敬菁精丽莉俐立力利李里礼黎林琳霖麟玲铃灵凌伶龄零宁凝柠兰蓝岚澜南楠男难平萍屏评苹瓶春纯淳辉慧惠会晖徽辉飞菲非妃芳方放房云芸运韵勇永咏泳涌强墙蔷祥翔香湘相想湘晓小笑孝霞夏峡侠秀修袖绣英莹营迎盈颖莺鹰玉宇雨语禹羽誉毓燕艳雁彦岩颜宴陈程成城诚承晨沈申深身神绅张章彰樟詹展占站战湛赵照召兆肇周州洲舟邹朱珠竹祝助诸曾增赠";
        for c in male
            .iter()
            .chain(&female)
            .chain(&extra.chars().collect::<Vec<_>>())
        {
            if let Some(p) = char_pinyin(*c) {
                let h = homophones.entry(p.to_string()).or_default();
                if !h.contains(c) {
                    h.push(*c);
                }
                let fz = fuzzy.entry(fuzzy_fold(p)).or_default();
                if !fz.contains(c) {
                    fz.push(*c);
                }
            }
        }
        Pools {
            surnames: freq.iter().map(|(s, _)| s.clone()).collect(),
            surname_table: WeightedTable::new(freq.iter().map(|(_, p)| *p)),
            given_table_m: zipf(male.len()),
            given_table_f: zipf(female.len()),
            male,
            female,
            province_table: WeightedTable::new(PROVINCES.iter().map(|(_, w)| *w)),
            homophones,
            fuzzy,
        }
    }
}

fn random_date(rng: &mut SplitMix64, from: Date, to: Date) -> Date {
    let span = (to.days() - from.days()).max(0) as u64;
    Date::from_days(from.days() + rng.below(span + 1) as i32)
}

/// A base person (the truth, as a family would report it).
struct Person {
    surname: String,
    given: Vec<char>,
    sex: Sex,
    birth: Date,
    missing: Date,
    region: u32,
    height_adult: u16,
    marks: Vec<&'static str>,
    face: Option<Vec<f32>>,
}

fn child_height(adult: u16, age_years: f64) -> u16 {
    if age_years >= 18.0 {
        return adult;
    }
    // Rough growth curve: ~50 cm at birth, linear-ish to adult height at 18.
    let frac = (age_years / 18.0).clamp(0.0, 1.0).powf(0.8);
    (50.0 + (f64::from(adult) - 50.0) * frac) as u16
}

fn height_at(p: &Person, at: Date) -> u16 {
    child_height(
        p.height_adult,
        f64::from(at.days() - p.birth.days()) / DAYS_PER_YEAR,
    )
    .clamp(40, 250)
}

fn new_person(rng: &mut SplitMix64, pools: &Pools) -> Person {
    let surname = pools.surnames[pools.surname_table.sample(rng)].clone();
    let sex = if rng.chance(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let (chars, table) = match sex {
        Sex::Male => (&pools.male, &pools.given_table_m),
        Sex::Female => (&pools.female, &pools.given_table_f),
    };
    let n_given = if rng.chance(0.25) { 1 } else { 2 };
    let given = (0..n_given).map(|_| chars[table.sample(rng)]).collect();
    let birth = random_date(
        rng,
        Date::from_ymd(1940, 1, 1).unwrap(),
        Date::from_ymd(2020, 12, 31).unwrap(),
    );
    let earliest_missing = Date::from_days(birth.days() + (2.0 * DAYS_PER_YEAR) as i32);
    let missing = random_date(
        rng,
        earliest_missing.max(Date::from_ymd(1985, 1, 1).unwrap()),
        Date::from_ymd(2024, 6, 30).unwrap(),
    );
    let prov = PROVINCES[pools.province_table.sample(rng)].0;
    let region = prov * 10_000 + (1 + rng.below(15) as u32) * 100 + 1 + rng.below(12) as u32;
    let (mean, sd) = match sex {
        Sex::Male => (170.0, 7.0),
        Sex::Female => (159.0, 6.0),
    };
    let height_adult = (mean + sd * rng.normal()).round().clamp(130.0, 200.0) as u16;
    let n_marks = if rng.chance(0.5) {
        1 + rng.below(3) as usize
    } else {
        0
    };
    let marks = (0..n_marks).map(|_| *rng.pick(&MARKS)).collect();
    let face = rng
        .chance(0.2)
        .then(|| (0..16).map(|_| rng.normal() as f32).collect());
    Person {
        surname,
        given,
        sex,
        birth,
        missing,
        region,
        height_adult,
        marks,
        face,
    }
}

fn report(p: &Person, id: u64, rng: &mut SplitMix64) -> Record {
    let age = if rng.chance(0.9) {
        Some(AgeInfo::BirthDate(p.birth))
    } else {
        Some(AgeInfo::Estimated {
            years: p.birth.age_at(p.missing).clamp(0, 120) as u8,
            at: p.missing,
        })
    };
    Record {
        id,
        kind: RecordKind::MissingReport,
        name: Some(format!(
            "{}{}",
            p.surname,
            p.given.iter().collect::<String>()
        )),
        sex: Some(p.sex),
        age,
        date_missing: Some(p.missing),
        date_found: None,
        region: RegionCode::from_u32(if rng.chance(0.9) {
            p.region
        } else {
            p.region / 100 * 100
        }),
        accent: rng
            .chance(0.3)
            .then(|| RegionCode::from_u32(p.region / 10_000 * 10_000))
            .flatten(),
        height: rng
            .chance(0.6)
            .then(|| HeightCm::new(height_at(p, p.missing)).ok())
            .flatten(),
        marks: (!p.marks.is_empty()).then(|| p.marks.join("，")),
        face_embedding: p.face.clone(),
    }
}

/// Replaces one character by a homophone (`fuzzy == false`) or a
/// fuzzy-pinyin confusion (`fuzzy == true`).
fn mishear(c: char, pools: &Pools, fuzzy: bool, rng: &mut SplitMix64) -> char {
    let Some(p) = char_pinyin(c) else { return c };
    let options: Vec<char> = if fuzzy {
        pools
            .fuzzy
            .get(&fuzzy_fold(p))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&x| char_pinyin(x) != Some(p))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        pools
            .homophones
            .get(p)
            .map(|v| v.iter().copied().filter(|&x| x != c).collect())
            .unwrap_or_default()
    };
    if options.is_empty() {
        return lookalikes(c).first().copied().unwrap_or(c);
    }
    *rng.pick(&options)
}

fn noisy_name(p: &Person, pools: &Pools, rng: &mut SplitMix64) -> Option<String> {
    let mut surname: Vec<char> = p.surname.chars().collect();
    let mut given = p.given.clone();
    let x = rng.unit();
    match x {
        x if x < 0.30 => {}
        x if x < 0.45 => {
            let i = rng.below(given.len() as u64) as usize;
            given[i] = mishear(given[i], pools, false, rng);
        }
        x if x < 0.57 => {
            // Misheard in dialect: one character (often the surname) swaps z/zh, n/l, …
            if rng.chance(0.4) && surname.len() == 1 {
                surname[0] = mishear(surname[0], pools, true, rng);
            } else {
                let i = rng.below(given.len() as u64) as usize;
                given[i] = mishear(given[i], pools, true, rng);
            }
        }
        x if x < 0.65 => {
            for c in surname.iter_mut().chain(given.iter_mut()) {
                if let Some(t) = traditional_forms(*c).first() {
                    *c = *t;
                }
            }
        }
        x if x < 0.73 => {
            // Nickname: 小明 / 阿明 / 老王.
            let core = if rng.chance(0.3) && surname.len() == 1 {
                surname[0]
            } else {
                *given.last().unwrap_or(&'明')
            };
            let prefix = if core == surname[0] {
                '老'
            } else if rng.chance(0.5) {
                '小'
            } else {
                '阿'
            };
            return Some(format!("{prefix}{core}"));
        }
        x if x < 0.80 => given.reverse(),
        x if x < 0.87 => {
            if given.len() > 1 {
                let i = rng.below(given.len() as u64) as usize;
                given.remove(i);
            } else {
                given[0] = mishear(given[0], pools, false, rng);
            }
        }
        x if x < 0.94 => surname.clear(),
        _ => return None,
    }
    Some(surname.into_iter().chain(given).collect())
}

fn found_record(p: &Person, id: u64, pools: &Pools, rng: &mut SplitMix64) -> Record {
    let max_found = Date::from_ymd(2026, 10, 31).unwrap();
    let years_later = rng.unit().powi(2) * 20.0;
    let found = Date::from_days(
        (p.missing.days() + (years_later * DAYS_PER_YEAR) as i32).min(max_found.days()),
    );
    let true_age = p.birth.age_at(found).max(0);
    let x = rng.unit();
    let age = if x < 0.7 {
        let err = (rng.normal() * 2.5).round().clamp(-5.0, 5.0) as i32;
        Some(AgeInfo::Estimated {
            years: (true_age + err).clamp(0, 120) as u8,
            at: found,
        })
    } else if x < 0.8 {
        Some(AgeInfo::BirthDate(p.birth))
    } else {
        None
    };
    let y = rng.unit();
    let region = if y < 0.5 {
        Some(p.region)
    } else if y < 0.65 {
        Some(p.region / 10_000 * 10_000)
    } else if y < 0.75 {
        Some(p.region / 100 * 100 + 1 + (p.region % 100) % 12)
    } else {
        None
    };
    let height = rng.chance(0.5).then(|| {
        let h = f64::from(height_at(p, found)) + rng.normal() * 2.0;
        HeightCm::new(h.round().clamp(40.0, 250.0) as u16).ok()
    });
    let marks = if !p.marks.is_empty() && rng.chance(0.6) {
        let k = 1 + rng.below(p.marks.len() as u64) as usize;
        Some(p.marks[..k].join("、"))
    } else if rng.chance(0.1) {
        Some(rng.pick(&MARKS).to_string())
    } else {
        None
    };
    let face = p
        .face
        .as_ref()
        .filter(|_| rng.chance(0.7))
        .map(|v| v.iter().map(|x| x + (rng.normal() * 0.3) as f32).collect());
    Record {
        id,
        kind: RecordKind::Found,
        name: noisy_name(p, pools, rng),
        sex: rng.chance(0.98).then_some(p.sex),
        age,
        date_missing: None,
        date_found: Some(found),
        region: region.and_then(RegionCode::from_u32),
        accent: rng
            .chance(0.6)
            .then(|| RegionCode::from_u32(p.region / 10_000 * 10_000))
            .flatten(),
        height: height.flatten(),
        marks,
        face_embedding: face,
    }
}

/// Generates `cfg.records` records.
pub fn generate(cfg: &GenConfig) -> Generated {
    let pools = Pools::new();
    let mut rng = SplitMix64::new(cfg.seed);
    let mut records = Vec::with_capacity(cfg.records);
    let mut truth = Vec::with_capacity(cfg.records);
    let mut person_id = 0u64;
    while records.len() < cfg.records {
        let p = new_person(&mut rng, &pools);
        let dup = rng.chance(cfg.duplicate_rate);
        let id = records.len() as u64;
        // A person without duplicates is a lone report or a lone found person.
        let first = if dup || rng.chance(0.5) {
            report(&p, id, &mut rng)
        } else {
            found_record(&p, id, &pools, &mut rng)
        };
        records.push(first);
        truth.push(person_id);
        if dup {
            let copies = if rng.chance(0.2) { 2 } else { 1 };
            for _ in 0..copies {
                if records.len() >= cfg.records {
                    break;
                }
                let id = records.len() as u64;
                records.push(found_record(&p, id, &pools, &mut rng));
                truth.push(person_id);
            }
        }
        person_id += 1;
    }
    Generated { records, truth }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Where each of `names` stands among a CSV file's `headers`.
pub(crate) fn column_positions<const N: usize>(
    headers: &csv::StringRecord,
    names: [&str; N],
) -> Result<[usize; N], String> {
    let mut at = [0; N];
    for (slot, name) in at.iter_mut().zip(names) {
        *slot = headers
            .iter()
            .position(|h| h == name)
            .ok_or(format!("column {name} missing"))?;
    }
    Ok(at)
}

/// Positions of the columns [`read_csv`] reads.
struct CsvColumns([usize; 14]);

impl CsvColumns {
    const NAMES: [&'static str; 14] = [
        "unique_id",
        "cluster",
        "kind",
        "name",
        "sex",
        "birth_date",
        "est_age",
        "est_age_at",
        "date_missing",
        "date_found",
        "region",
        "accent",
        "height",
        "marks",
    ];

    fn find(headers: &csv::StringRecord) -> Result<CsvColumns, String> {
        column_positions(headers, Self::NAMES).map(CsvColumns)
    }

    /// One row; `line` (1-based, in the whole file) for errors.
    fn parse(&self, row: &csv::ByteRecord, line: u64) -> Result<(Record, u64), String> {
        let [id, cluster, kind, name, sex, birth_date, est_age, est_at, missing, found, region, accent, height, marks] =
            self.0;
        let bad = |what: &str| format!("line {line}: bad {what}");
        // Only the columns read are checked for UTF-8.
        let get = |c: usize| {
            row.get(c)
                .filter(|v| !v.is_empty())
                .map(|v| std::str::from_utf8(v).map_err(|_| format!("line {line}: not UTF-8")))
                .transpose()
        };
        let date = |c: usize| {
            get(c)?
                .map(Date::parse)
                .transpose()
                .map_err(|e| format!("line {line}: {e}"))
        };
        let region_at = |c: usize| {
            get(c)?
                .map(RegionCode::new)
                .transpose()
                .map_err(|e| format!("line {line}: {e}"))
        };
        let text = |c: usize| get(c).map(|v| v.map(str::to_string));
        let age = match (date(birth_date)?, get(est_age)?, date(est_at)?) {
            (Some(d), _, _) => Some(AgeInfo::BirthDate(d)),
            (None, Some(y), Some(at)) => Some(AgeInfo::Estimated {
                years: y.parse().map_err(|_| bad("est_age"))?,
                at,
            }),
            _ => None,
        };
        let record = Record {
            id: get(id)?
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad("unique_id"))?,
            kind: match get(kind)? {
                Some("found") => RecordKind::Found,
                Some("report") => RecordKind::MissingReport,
                _ => return Err(bad("kind")),
            },
            name: text(name)?,
            sex: match get(sex)? {
                Some("M") => Some(Sex::Male),
                Some("F") => Some(Sex::Female),
                None => None,
                Some(_) => return Err(bad("sex")),
            },
            age,
            date_missing: date(missing)?,
            date_found: date(found)?,
            region: region_at(region)?,
            accent: region_at(accent)?,
            height: get(height)?
                .map(|h| {
                    h.parse()
                        .ok()
                        .and_then(|cm| HeightCm::new(cm).ok())
                        .ok_or_else(|| bad("height"))
                })
                .transpose()?,
            marks: text(marks)?,
            face_embedding: None,
        };
        let person = get(cluster)?
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("cluster"))?;
        Ok((record, person))
    }

    /// Every remaining row of `rdr`, whose first row is line `first_line` of
    /// the file (1 for a reader that starts at the header).
    fn parse_all<R: std::io::Read>(
        &self,
        mut rdr: csv::Reader<R>,
        first_line: u64,
    ) -> Result<Generated, String> {
        let (mut records, mut truth) = (Vec::new(), Vec::new());
        let mut row = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut row).map_err(|e| e.to_string())? {
            let line = first_line + row.position().map_or(1, |p| p.line()) - 1;
            let (r, t) = self.parse(&row, line)?;
            records.push(r);
            truth.push(t);
        }
        Ok(Generated { records, truth })
    }
}

/// Reads back what [`write_csv_with`] wrote (the raw fields and the
/// `cluster` column as the truth; derived and extra columns are ignored, and
/// face embeddings are not in the file). The benchmark reads the same file
/// Splink reads, so that both are timed from the same bytes.
pub fn read_csv(mut input: impl std::io::Read) -> Result<Generated, String> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    read_csv_bytes(&bytes, 1)
}

/// As [`read_csv`], for a file already in memory, parsed on `threads`
/// threads: the body is cut at line breaks outside quoted fields (an even
/// number of `"` before the cut), so every piece starts a row.
pub fn read_csv_bytes(bytes: &[u8], threads: usize) -> Result<Generated, String> {
    if threads <= 1 {
        // One reader over the whole file: its positions are the file's lines.
        let mut rdr = csv::Reader::from_reader(bytes);
        let cols = CsvColumns::find(rdr.headers().map_err(|e| e.to_string())?)?;
        return cols.parse_all(rdr, 1);
    }
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| p + 1);
    let mut hdr = csv::Reader::from_reader(&bytes[..header_end]);
    let cols = CsvColumns::find(hdr.headers().map_err(|e| e.to_string())?)?;
    let body = &bytes[header_end..];
    // Cut points: near k/threads of the body, moved to just after a line
    // break outside quotes; one scan counts the quotes (for the parity) and
    // the line breaks (each piece's first line; the header is line 1).
    let mut cuts = vec![(0usize, 2u64)];
    let (mut quotes, mut lines, mut counted) = (0usize, 2u64, 0usize);
    for k in 1..threads {
        let target = (body.len() * k / threads).max(counted);
        let mut at = counted;
        while at < body.len() {
            let b = body[at];
            at += 1;
            if b == b'"' {
                quotes += 1;
            } else if b == b'\n' {
                lines += 1;
                if at > target && quotes % 2 == 0 {
                    break;
                }
            }
        }
        counted = at;
        cuts.push((at, lines));
    }
    cuts.push((body.len(), lines));
    let pieces: Vec<(&[u8], u64)> = cuts
        .windows(2)
        .map(|w| (&body[w[0].0..w[1].0], w[0].1))
        .collect();
    let cols = &cols;
    let parts: Vec<Result<Generated, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|&(piece, line)| {
                scope.spawn(move || {
                    let rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(piece);
                    cols.parse_all(rdr, line)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("csv worker"))
            .collect()
    });
    // Any error: read again on one thread, which reports it with the file's
    // line (and is right even if a stray quote misled the cuts).
    if parts.iter().any(Result::is_err) {
        return read_csv_bytes(bytes, 1);
    }
    let mut out = Generated {
        records: Vec::new(),
        truth: Vec::new(),
    };
    for part in parts.into_iter().flatten() {
        out.records.extend(part.records);
        out.truth.extend(part.truth);
    }
    Ok(out)
}

/// Writes records as CSV for external tools (e.g. Splink). Besides the raw
/// fields it writes derived columns a SQL engine cannot compute itself:
/// surname/given-name pinyin (with surname readings), fuzzy pinyin keys and
/// the implied birth year/day.
pub fn write_csv(g: &Generated, out: impl Write) -> std::io::Result<()> {
    write_csv_with(g, &[], |_, _| String::new(), out)
}

/// As [`write_csv`], with extra columns appended: `extra[c]` is the header
/// of column `c`, `value(record position, c)` its value (it must need no
/// quoting).
pub fn write_csv_with(
    g: &Generated,
    extra: &[String],
    value: impl Fn(usize, usize) -> String,
    mut out: impl Write,
) -> std::io::Result<()> {
    write!(
        out,
        "unique_id,cluster,kind,name,sex,birth_date,est_age,est_age_at,birth_days,birth_exact,birth_year,date_missing,date_found,region,province,city,accent,accent_province,height,marks,surname_py,given_py,full_py,fuzzy_full,fuzzy_given,name_simplified"
    )?;
    for h in extra {
        write!(out, ",{h}")?;
    }
    writeln!(out)?;
    for (pos, (r, t)) in g.records.iter().zip(&g.truth).enumerate() {
        let f = crate::compare::Features::from_record(r);
        let name = f.name.as_ref();
        let py = |cs: &[crate::names::NameChar], fuzzy: bool| {
            cs.iter()
                .map(|c| crate::names::syllable_to_string(if fuzzy { c.fuzzy } else { c.syllable }))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (surname_py, given_py, full_py, fuzzy_full, fuzzy_given, simp) = match name {
            Some(n) => (
                py(n.surname(), false),
                py(n.given(), false),
                py(&n.chars, false),
                py(&n.chars, true),
                py(n.given(), true),
                n.chars.iter().map(|c| c.simplified).collect::<String>(),
            ),
            None => Default::default(),
        };
        let (birth_date, est_age, est_at) = match r.age {
            Some(AgeInfo::BirthDate(d)) => (d.to_string(), String::new(), String::new()),
            Some(AgeInfo::Estimated { years, at }) => {
                (String::new(), years.to_string(), at.to_string())
            }
            None => Default::default(),
        };
        let opt = |o: Option<String>| o.unwrap_or_default();
        write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.id,
            t,
            match r.kind {
                RecordKind::Found => "found",
                RecordKind::MissingReport => "report",
            },
            csv_field(r.name.as_deref().unwrap_or("")),
            match r.sex {
                Some(Sex::Male) => "M",
                Some(Sex::Female) => "F",
                None => "",
            },
            birth_date,
            est_age,
            est_at,
            opt(f.birth.map(|b| b.0.to_string())),
            opt(f.birth.map(|b| u8::from(b.1).to_string())),
            opt(f.birth_year().map(|y| y.to_string())),
            opt(r.date_missing.map(|d| d.to_string())),
            opt(r.date_found.map(|d| d.to_string())),
            opt(r.region.map(|x| x.to_string())),
            opt(r.region.map(|x| x.province().to_string())),
            opt(r.region.and_then(|x| x.city()).map(|c| c.to_string())),
            opt(r.accent.map(|x| x.to_string())),
            opt(r.accent.map(|x| x.province().to_string())),
            opt(r.height.map(|h| h.cm().to_string())),
            csv_field(r.marks.as_deref().unwrap_or("")),
            surname_py,
            given_py,
            full_py,
            fuzzy_full,
            fuzzy_given,
            simp,
        )?;
        for c in 0..extra.len() {
            write!(out, ",{}", value(pos, c))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
