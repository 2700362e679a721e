//! Field comparisons. Each returns an ordered level (best agreement first,
//! "missing" last); the Fellegi–Sunter model attaches an m and a u
//! probability to every level.
//!
//! Records are first turned into [`Features`] (parsed name, implied birth
//! date, hashed marks tokens, unit face vector) so that the per-pair work in
//! blocking and querying is integer arithmetic only.

use serde::{Deserialize, Serialize};

use crate::names::{compare_prepared, NameLevel, PreparedName};
use crate::record::{Date, Record, RegionCode, Sex, DAYS_PER_YEAR};

/// The compared fields, in the order of a [`ComparisonVector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Field {
    /// 姓名
    Name,
    /// 性别
    Sex,
    /// 年龄 / 出生日期
    Age,
    /// 籍贯
    Region,
    /// 口音
    Accent,
    /// 身高
    Height,
    /// 体貌特征
    Marks,
    /// 走失/发现日期
    Dates,
    /// 人脸
    Face,
}

/// Number of compared fields.
pub const NUM_FIELDS: usize = 9;

impl Field {
    /// All fields in vector order.
    pub const ALL: [Field; NUM_FIELDS] = [
        Field::Name,
        Field::Sex,
        Field::Age,
        Field::Region,
        Field::Accent,
        Field::Height,
        Field::Marks,
        Field::Dates,
        Field::Face,
    ];

    /// Position in a comparison vector.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Stable lower-case name for explanations.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Sex => "sex",
            Field::Age => "age",
            Field::Region => "region",
            Field::Accent => "accent",
            Field::Height => "height",
            Field::Marks => "marks",
            Field::Dates => "dates",
            Field::Face => "face",
        }
    }

    /// Labels of this field's levels, best first; the last one is the null
    /// ("missing") level, which carries weight 0.
    pub fn level_labels(self) -> &'static [&'static str] {
        match self {
            Field::Name => &[
                "exact",
                "trad_simp_equal",
                "same_pinyin_or_lookalike",
                "fuzzy_pinyin",
                "given_name_swapped_or_missing_char",
                "given_name_only_or_nickname",
                "partial_overlap",
                "different",
                "missing",
            ],
            Field::Sex => &["agree", "disagree", "missing"],
            Field::Age => &[
                "same_birth_date",
                "birth_date_one_digit_off",
                "within_1_year",
                "within_3_years",
                "within_5_years",
                "within_10_years",
                "beyond_10_years",
                "missing",
            ],
            Field::Region => &[
                "same_county",
                "same_city",
                "same_province",
                "different",
                "missing",
            ],
            Field::Accent => &[
                "accent_matches_city",
                "accent_matches_province",
                "different",
                "missing",
            ],
            Field::Height => &[
                "within_2cm",
                "within_5cm",
                "within_10cm",
                "beyond_10cm",
                "missing",
            ],
            Field::Marks => &[
                "nearly_same_description",
                "strong_overlap",
                "half_overlap",
                "some_overlap",
                "no_overlap",
                "missing",
            ],
            Field::Dates => &["consistent", "impossible_found_before_missing", "missing"],
            Field::Face => &["very_high", "high", "medium", "low", "missing"],
        }
    }

    /// Number of levels including the null level.
    pub fn num_levels(self) -> usize {
        self.level_labels().len()
    }

    /// Index of the null level.
    pub fn null_level(self) -> u8 {
        (self.num_levels() - 1) as u8
    }
}

/// Level index per field, in [`Field::ALL`] order.
pub type ComparisonVector = [u8; NUM_FIELDS];

/// Dates level for an impossible pair (found before going missing).
pub const DATES_IMPOSSIBLE: u8 = 1;

/// A record pre-processed for fast comparison (the default: nothing known).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Caller's id.
    pub id: u64,
    /// Parsed name.
    pub name: Option<PreparedName>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Implied birth date (days since epoch) and whether it is exact.
    pub birth: Option<(i32, bool)>,
    /// 走失日期.
    pub date_missing: Option<Date>,
    /// 发现日期.
    pub date_found: Option<Date>,
    /// 籍贯.
    pub region: Option<RegionCode>,
    /// 口音.
    pub accent: Option<RegionCode>,
    /// Height in cm.
    pub height: Option<u16>,
    /// Sorted, deduplicated hashes of marks tokens (character bigrams).
    pub marks: Box<[u32]>,
    /// Unit-length face embedding.
    pub face: Option<Box<[f32]>>,
}

impl Features {
    /// Prepares a record.
    pub fn from_record(r: &Record) -> Features {
        Features {
            id: r.id,
            name: r.name.as_deref().and_then(PreparedName::new),
            sex: r.sex,
            birth: r.age.map(|a| a.implied_birth_days()),
            date_missing: r.date_missing,
            date_found: r.date_found,
            region: r.region,
            accent: r.accent,
            height: r.height.map(|h| h.cm()),
            marks: r
                .marks
                .as_deref()
                .map(marks_tokens)
                .unwrap_or_default()
                .into_boxed_slice(),
            face: r.face_embedding.as_deref().and_then(unit_vector),
        }
    }

    /// Birth year implied by the age information.
    pub fn birth_year(&self) -> Option<i32> {
        self.birth.map(|(d, _)| Date::from_days(d).year())
    }

    /// The date this record describes the person at (found or missing).
    fn reference_date(&self) -> Option<Date> {
        self.date_found.or(self.date_missing)
    }
}

fn unit_vector(v: &[f32]) -> Option<Box<[f32]>> {
    let norm = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    (norm > 0.0 && norm.is_finite())
        .then(|| v.iter().map(|x| (f64::from(*x) / norm) as f32).collect())
}

/// Tokenises a marks/features description (体貌特征) into hashed character
/// bigrams (and single characters for one-character segments). Chinese
/// descriptions are not space separated, and bigrams like 左手 / 胎记 / 小指
/// carry most of the meaning. Punctuation splits segments.
pub fn marks_tokens(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for seg in text.split(|c: char| !c.is_alphanumeric()) {
        let cs: Vec<char> = seg.chars().map(crate::names::to_simplified).collect();
        if cs.len() == 1 {
            out.push(crate::hash::mix64(cs[0] as u64) as u32 & TOKEN_HASH);
        }
        for w in cs.windows(2) {
            out.push(crate::hash::mix64(((w[0] as u64) << 32) | w[1] as u64) as u32 & TOKEN_HASH);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A marks token is a 28-bit hash; the low four bits hold its rarity
/// weight once [`crate::model::TermFrequencies::weigh_marks`] has seen the
/// collection (0: not weighed, counted as 1).
pub const TOKEN_HASH: u32 = !0xF;

/// 性别: agree / disagree / missing.
pub fn compare_sex(a: Option<Sex>, b: Option<Sex>) -> u8 {
    match (a, b) {
        (Some(x), Some(y)) if x == y => 0,
        (Some(_), Some(_)) => 1,
        _ => 2,
    }
}

/// Age: compares implied birth dates. An estimate (估计年龄) made on the day a
/// person was found is turned into a birth date, so "estimated 30 in 2024"
/// is compared with "born 1993" correctly even if the report was filed
/// years earlier. Bands: same exact birth date; exact birth dates one
/// typing error apart; ≤1, ≤3, ≤5, ≤10, >10 years.
pub fn compare_age(a: Option<(i32, bool)>, b: Option<(i32, bool)>) -> u8 {
    let ((da, ea), (db, eb)) = match (a, b) {
        (Some(x), Some(y)) => (x, y),
        _ => return Field::Age.null_level(),
    };
    if ea && eb && da == db {
        return 0;
    }
    if ea && eb && one_digit_off(da, db) {
        return 1;
    }
    // Whole days against the bands' ends in days (n × 365.2425, rounded
    // down): the same bands as comparing years, without a division per pair.
    match da.abs_diff(db) {
        0..=365 => 2,
        366..=1095 => 3,
        1096..=1826 => 4,
        1827..=3652 => 5,
        _ => 6,
    }
}

/// Two birth dates whose YYYYMMDD forms differ in one digit, or in two
/// neighbouring digits swapped, within the year, the month or the day: a
/// typing error copying an ID card or a form (19920819 / 19920829 /
/// 19290819), which a difference in days cannot tell from a wrong year. (A
/// swap across the year and the month, 1990-12 / 1991-02, is not counted.)
fn one_digit_off(a: i32, b: i32) -> bool {
    // Beyond a year apart only the year can differ, so the dates must be
    // whole years apart (give or take a leap day): most pairs stop here,
    // before two calendar conversions.
    let apart = a.abs_diff(b);
    if apart > 366 {
        let years = (f64::from(apart) / DAYS_PER_YEAR).round();
        if (f64::from(apart) - years * DAYS_PER_YEAR).abs() > 1.5 {
            return false;
        }
    }
    let ((ya, ma, da), (yb, mb, db)) = (Date::from_days(a).ymd(), Date::from_days(b).ymd());
    let (ya, yb) = (ya.clamp(0, 9999) as u32, yb.clamp(0, 9999) as u32);
    match (ya == yb, ma == mb, da == db) {
        (false, true, true) => digits_one_off(ya, yb, 4),
        (true, false, true) => digits_one_off(ma, mb, 2),
        (true, true, false) => digits_one_off(da, db, 2),
        _ => false,
    }
}

/// Whether two `width`-digit numbers differ in one digit or in two
/// neighbouring digits swapped.
fn digits_one_off(x: u32, y: u32, width: u32) -> bool {
    let digit = |v: u32, i: u32| v / 10u32.pow(width - 1 - i) % 10;
    let mut diff = (0..width).filter(|&i| digit(x, i) != digit(y, i));
    match (diff.next(), diff.next(), diff.next()) {
        (Some(_), None, _) => true,
        (Some(i), Some(j), None) => {
            j == i + 1 && digit(x, i) == digit(y, j) && digit(x, j) == digit(y, i)
        }
        _ => false,
    }
}

/// Region of origin by GB/T 2260 hierarchy: same county / city / province.
pub fn compare_region(a: Option<RegionCode>, b: Option<RegionCode>) -> u8 {
    let (a, b) = match (a, b) {
        (Some(x), Some(y)) => (x, y),
        _ => return 4,
    };
    if a.county().is_some() && a.county() == b.county() {
        0
    } else if a.city().is_some() && a.city() == b.city() {
        1
    } else if a.province() == b.province() {
        2
    } else {
        3
    }
}

/// Accent (口音) as a stand-in for an unknown region of origin. A stranded
/// person who cannot say where they are from may still be recognised as
/// speaking 四川话; that should agree with a report from 四川. When both
/// regions are known the accent adds nothing independent of the region
/// comparison (it would double-count the same evidence), so it is only
/// compared against the other side's region when this side's region is
/// missing, or accent against accent when both regions are missing.
pub fn compare_accent(a: &Features, b: &Features) -> u8 {
    let pairs = match (a.region, b.region) {
        (Some(_), Some(_)) => return 3,
        (None, Some(rb)) => [(a.accent, Some(rb)), (None, None)],
        (Some(ra), None) => [(b.accent, Some(ra)), (None, None)],
        (None, None) => [(a.accent, b.accent), (None, None)],
    };
    let mut best = 3u8;
    for (acc, reg) in pairs {
        if let (Some(acc), Some(reg)) = (acc, reg) {
            let lvl = if acc.city().is_some() && acc.city() == reg.city() {
                0
            } else if acc.province() == reg.province() {
                1
            } else {
                2
            };
            best = best.min(lvl);
        }
    }
    best
}

/// Height bands. Heights of children change, so a height recorded before 18
/// is only compared with one recorded within a year of it.
pub fn compare_height(a: &Features, b: &Features) -> u8 {
    let (ha, hb) = match (a.height, b.height) {
        (Some(x), Some(y)) => (x, y),
        _ => return 4,
    };
    if let (Some(ra), Some(rb)) = (a.reference_date(), b.reference_date()) {
        // Under 18 (18 × 365.2425 = 6574.4 days) at the date `r`.
        let child = |f: &Features, r: Date| f.birth.is_some_and(|(bd, _)| r.days() - bd <= 6574);
        let apart = (ra.days() - rb.days()).abs() > 366;
        if apart && (child(a, ra) || child(b, rb) || child(a, rb) || child(b, ra)) {
            return 4;
        }
    }
    match ha.abs_diff(hb) {
        0..=2 => 0,
        3..=5 => 1,
        6..=10 => 2,
        _ => 3,
    }
}

/// Marks overlap coefficient |A∩B| / min(|A|,|B|), each token counted by
/// its rarity weight (see [`TOKEN_HASH`]), in five bands: ≥0.8 (nearly the
/// same description), ≥0.6, ≥0.4, ≥0.2, below. The overlap coefficient
/// (not Jaccard) because a family's description is often much longer than
/// a station's note. Bands this fine because a fifth of the bigrams of two
/// unrelated descriptions agree by chance (common characters, shared place
/// words), while a description that kept half its details (the same town
/// and number on a new street) is still evidence: with one wide band from
/// 0.25 to 0.6 both drew the same weight.
pub fn compare_marks(a: &[u32], b: &[u32]) -> u8 {
    if a.is_empty() || b.is_empty() {
        return Field::Marks.null_level();
    }
    let w = |t: u32| (t & !TOKEN_HASH).max(1);
    let (mut i, mut j, mut inter) = (0, 0, 0u32);
    // Advancing both sides by comparison results rather than a three-way
    // branch: which side moves is unpredictable, and this is the hot loop
    // of u's random pairs.
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i] & TOKEN_HASH, b[j] & TOKEN_HASH);
        if x == y {
            inter += w(a[i]).min(w(b[j]));
        }
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    let total = |x: &[u32]| x.iter().map(|&t| w(t)).sum::<u32>();
    let ratio = f64::from(inter) / f64::from(total(a).min(total(b)));
    if ratio >= 0.8 {
        0
    } else if ratio >= 0.6 {
        1
    } else if ratio >= 0.4 {
        2
    } else if ratio >= 0.2 {
        3
    } else {
        4
    }
}

/// Dates: a person cannot be found before they went missing, nor go missing
/// or be found before being born. Any such contradiction is `impossible`,
/// which the model treats as a hard non-match.
pub fn compare_dates(a: &Features, b: &Features) -> u8 {
    let mut consistent = false;
    let mut check = |earlier: Option<Date>, later: Option<Date>| {
        if let (Some(e), Some(l)) = (earlier, later) {
            if l < e {
                return true;
            }
            consistent = true;
        }
        false
    };
    let exact_birth = |f: &Features| {
        f.birth
            .filter(|(_, exact)| *exact)
            .map(|(d, _)| Date::from_days(d))
    };
    let impossible = check(a.date_missing, b.date_found)
        || check(b.date_missing, a.date_found)
        || check(exact_birth(a), b.date_missing)
        || check(exact_birth(b), a.date_missing)
        || check(exact_birth(a), b.date_found)
        || check(exact_birth(b), a.date_found);
    if impossible {
        DATES_IMPOSSIBLE
    } else if consistent {
        0
    } else {
        2
    }
}

/// Face similarity bands on cosine similarity (or an external score in the
/// same 0–1 scale): ≥0.9, ≥0.75, ≥0.5, below.
pub fn face_level(score: f32) -> u8 {
    if score >= 0.9 {
        0
    } else if score >= 0.75 {
        1
    } else if score >= 0.5 {
        2
    } else {
        3
    }
}

/// Cosine similarity of two unit vectors (`None` if dimensions differ).
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f32> {
    (a.len() == b.len()).then(|| a.iter().zip(b).map(|(x, y)| x * y).sum())
}

/// Compares two prepared records. `external_face_score` (0–1, from a face
/// service) overrides embedding cosine when given.
pub fn compare_features(
    a: &Features,
    b: &Features,
    external_face_score: Option<f32>,
) -> ComparisonVector {
    let mut v = compare_first_fields(a, b);
    compare_other_fields(a, b, external_face_score, &mut v);
    v
}

/// The fields compared first: name, sex, age, region and accent, which
/// tell most pairs apart. The others ([`OTHER_FIELDS`]) are left at their
/// null level; [`compare_other_fields`] fills them in. A batch can stop
/// after these when the others cannot lift a pair above what it keeps.
pub fn compare_first_fields(a: &Features, b: &Features) -> ComparisonVector {
    let name = match (&a.name, &b.name) {
        (Some(x), Some(y)) => compare_prepared(x, y),
        _ => NameLevel::Missing,
    };
    let mut v = Field::ALL.map(Field::null_level);
    v[Field::Name.index()] = name as u8;
    v[Field::Sex.index()] = compare_sex(a.sex, b.sex);
    v[Field::Age.index()] = compare_age(a.birth, b.birth);
    v[Field::Region.index()] = compare_region(a.region, b.region);
    v[Field::Accent.index()] = compare_accent(a, b);
    v
}

/// The fields [`compare_first_fields`] leaves out.
pub const OTHER_FIELDS: [Field; 4] = [Field::Height, Field::Marks, Field::Dates, Field::Face];

/// Fills in the [`OTHER_FIELDS`] of `v`.
pub fn compare_other_fields(
    a: &Features,
    b: &Features,
    external_face_score: Option<f32>,
    v: &mut ComparisonVector,
) {
    let face = external_face_score
        .filter(|s| s.is_finite())
        .or_else(|| match (&a.face, &b.face) {
            (Some(x), Some(y)) => cosine(x, y),
            _ => None,
        })
        .map_or(Field::Face.null_level(), face_level);
    v[Field::Height.index()] = compare_height(a, b);
    v[Field::Marks.index()] = compare_marks(&a.marks, &b.marks);
    v[Field::Dates.index()] = compare_dates(a, b);
    v[Field::Face.index()] = face;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{AgeInfo, HeightCm};

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn levels_have_null_last() {
        for f in Field::ALL {
            assert_eq!(*f.level_labels().last().unwrap(), "missing");
        }
        assert_eq!(Field::Name.num_levels(), NameLevel::ALL.len());
    }

    #[test]
    fn estimated_age_against_birth_date_plus_years_missing() {
        // Report: born 2008-05-01, missing since 2012. Found 2024, estimated 16.
        let report = Record {
            age: Some(AgeInfo::BirthDate(d("2008-05-01"))),
            date_missing: Some(d("2012-07-01")),
            ..Default::default()
        };
        let found = Record {
            age: Some(AgeInfo::Estimated {
                years: 16,
                at: d("2024-03-01"),
            }),
            date_found: Some(d("2024-03-01")),
            ..Default::default()
        };
        let (a, b) = (
            Features::from_record(&report),
            Features::from_record(&found),
        );
        assert_eq!(compare_age(a.birth, b.birth), 2);
        // Estimated 25 instead: 8+ years off.
        let older = Record {
            age: Some(AgeInfo::Estimated {
                years: 25,
                at: d("2024-03-01"),
            }),
            ..found
        };
        assert_eq!(compare_age(a.birth, Features::from_record(&older).birth), 5);
        assert_eq!(compare_age(a.birth, None), 7);
        let same = Features::from_record(&report);
        assert_eq!(compare_age(a.birth, same.birth), 0);
        // Typing errors in an exact birth date: one digit, or two
        // neighbours swapped, in any of year, month and day.
        let born = |s: &str| Some((d(s).days(), true));
        for typo in [
            "2008-05-11",
            "2008-08-01",
            "2003-05-01",
            "2080-05-01",
            "2008-05-10",
        ] {
            assert_eq!(compare_age(born("2008-05-01"), born(typo)), 1, "{typo}");
        }
        // Two digits apart, or a swap of digits that are not neighbours.
        assert_eq!(compare_age(born("2008-05-01"), born("2008-06-02")), 2);
        assert_eq!(compare_age(born("2008-05-01"), born("2008-01-05")), 2);
        // An estimate is not a typed date.
        let estimated = Some((d("2008-05-11").days(), false));
        assert_eq!(compare_age(born("2008-05-01"), estimated), 2);
    }

    #[test]
    fn impossible_dates() {
        let report = Features::from_record(&Record {
            date_missing: Some(d("2020-01-10")),
            ..Default::default()
        });
        let found_before = Features::from_record(&Record {
            date_found: Some(d("2019-12-31")),
            ..Default::default()
        });
        let found_after = Features::from_record(&Record {
            date_found: Some(d("2020-01-10")),
            ..Default::default()
        });
        assert_eq!(compare_dates(&report, &found_before), DATES_IMPOSSIBLE);
        assert_eq!(compare_dates(&found_before, &report), DATES_IMPOSSIBLE);
        assert_eq!(compare_dates(&report, &found_after), 0);
        assert_eq!(compare_dates(&report, &report), 2);
        // Missing before being born.
        let baby = Features::from_record(&Record {
            age: Some(AgeInfo::BirthDate(d("2021-01-01"))),
            ..Default::default()
        });
        assert_eq!(compare_dates(&baby, &report), DATES_IMPOSSIBLE);
    }

    #[test]
    fn region_and_accent_hierarchy() {
        let r = |s: &str| Some(RegionCode::new(s).unwrap());
        assert_eq!(compare_region(r("510104"), r("510104")), 0);
        assert_eq!(compare_region(r("510104"), r("510105")), 1);
        assert_eq!(compare_region(r("510104"), r("511502")), 2);
        assert_eq!(compare_region(r("510104"), r("440305")), 3);
        assert_eq!(compare_region(r("510000"), r("510000")), 2);
        assert_eq!(compare_region(None, r("440305")), 4);
        let a = Features::from_record(&Record {
            accent: r("510000"),
            ..Default::default()
        });
        let b = Features::from_record(&Record {
            region: r("510104"),
            ..Default::default()
        });
        let c = Features::from_record(&Record {
            region: r("440305"),
            ..Default::default()
        });
        assert_eq!(compare_accent(&a, &b), 1);
        assert_eq!(compare_accent(&b, &a), 1);
        assert_eq!(compare_accent(&a, &c), 2);
        // Both regions known: accent adds nothing.
        assert_eq!(compare_accent(&b, &c), 3);
        let both = Features::from_record(&Record {
            accent: r("510000"),
            region: r("510104"),
            ..Default::default()
        });
        assert_eq!(compare_accent(&both, &c), 3);
        let accent_only = Features::from_record(&Record {
            accent: r("440000"),
            ..Default::default()
        });
        assert_eq!(compare_accent(&a, &accent_only), 2);
    }

    #[test]
    fn height_bands_and_children() {
        let h = |cm, age: Option<AgeInfo>, found: Option<Date>| {
            Features::from_record(&Record {
                height: Some(HeightCm::new(cm).unwrap()),
                age,
                date_found: found,
                ..Default::default()
            })
        };
        assert_eq!(compare_height(&h(170, None, None), &h(172, None, None)), 0);
        assert_eq!(compare_height(&h(170, None, None), &h(175, None, None)), 1);
        assert_eq!(compare_height(&h(170, None, None), &h(180, None, None)), 2);
        assert_eq!(compare_height(&h(170, None, None), &h(150, None, None)), 3);
        let born = Some(AgeInfo::BirthDate(d("2010-01-01")));
        let child = h(120, born, Some(d("2017-01-01")));
        let adult = h(170, born, Some(d("2030-01-01")));
        assert_eq!(compare_height(&child, &adult), 4);
        // Under 18 is up to 6574 days (18 × 365.2425 = 6574.4): measured
        // on the day 6574 days after birth a height still changes; a day
        // later it no longer does (heights 5 cm apart, years between them).
        let at = |days: i32| Some(Date::from_days(d("2010-01-01").days() + days));
        let later = h(175, born, Some(d("2040-01-01")));
        assert_eq!(compare_height(&h(170, born, at(6574)), &later), 4);
        assert_eq!(compare_height(&h(170, born, at(6575)), &later), 1);
    }

    #[test]
    fn marks_overlap_and_face() {
        let a = marks_tokens("左手缺小指，额头有疤");
        let b = marks_tokens("额头有疤");
        let c = marks_tokens("右腿跛行");
        assert_eq!(compare_marks(&a, &b), 0);
        assert_eq!(compare_marks(&a, &c), 4);
        assert_eq!(compare_marks(&a, &[]), 5);
        // The same town and house number on a new street: half the
        // description kept, a band of its own rather than lumped with chance
        // agreement.
        let home = marks_tokens("99, rivett street, kingstgorpe, 2032, vic");
        let moved = marks_tokens("99, leahy close, kingsthorpe, 2032, vic");
        let other = marks_tokens("21, neworra place, worongary, 6225, qld");
        assert_eq!(compare_marks(&home, &moved), 2);
        assert_eq!(compare_marks(&home, &other), 4);
        let scar = marks_tokens("额头有疤，左手缺小指，右腿跛行");
        assert_eq!(
            compare_marks(&scar, &marks_tokens("额头有疤，左手缺小指，右腿跛")),
            0
        );
        assert_eq!(
            compare_marks(&scar, &marks_tokens("额头有疤，左手缺小指，背上有痣")),
            1
        );
        assert_eq!(face_level(0.95), 0);
        assert_eq!(face_level(0.2), 3);
        let f1 = Features::from_record(&Record {
            face_embedding: Some(vec![1.0, 0.0]),
            ..Default::default()
        });
        let f2 = Features::from_record(&Record {
            face_embedding: Some(vec![2.0, 0.1]),
            ..Default::default()
        });
        assert_eq!(compare_features(&f1, &f2, None)[Field::Face.index()], 0);
        assert_eq!(
            compare_features(&f1, &f2, Some(0.6))[Field::Face.index()],
            2
        );
        assert_eq!(compare_sex(Some(Sex::Male), Some(Sex::Female)), 1);
    }
}
