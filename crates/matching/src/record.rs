//! The record type shared by found-person records (受助人员登记, filled in at a
//! rescue station) and families' missing-person reports (寻亲登记).
//!
//! Every field is optional because both sides are usually incomplete: a
//! stranded person may not know their own birthday, and a family may not know
//! the height of someone who went missing as a child.

use serde::{Deserialize, Serialize};

use crate::MatchError;

/// A calendar date (proleptic Gregorian). Stored as days since 1970-01-01 so
/// that differences are plain integer arithmetic; constructed only through
/// [`Date::from_ymd`], which rejects impossible dates such as 2023-02-29.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date(i32);

impl Date {
    /// Builds a date, validating month and day (leap years included).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, MatchError> {
        if !(1800..=2200).contains(&year) || !(1..=12).contains(&month) {
            return Err(MatchError::InvalidDate(format!(
                "{year:04}-{month:02}-{day:02}"
            )));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(MatchError::InvalidDate(format!(
                "{year:04}-{month:02}-{day:02}"
            )));
        }
        Ok(Date(days_from_civil(year, month, day)))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i32 {
        self.0
    }

    /// Inverse of [`Date::days`]; any i32 in the supported year range is valid.
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// (year, month, day).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Calendar year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Fractional years between two dates (`later - self`), using 365.2425 days.
    pub fn years_until(self, later: Date) -> f64 {
        f64::from(later.0 - self.0) / DAYS_PER_YEAR
    }

    /// Whole years of age at `at` for someone born on `self` (周岁).
    pub fn age_at(self, at: Date) -> i32 {
        let (by, bm, bd) = self.ymd();
        let (ay, am, ad) = at.ymd();
        let mut age = ay - by;
        if (am, ad) < (bm, bd) {
            age -= 1;
        }
        age
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, MatchError> {
        let bad = || MatchError::InvalidDate(s.to_string());
        let mut it = s.trim().split('-');
        let y = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let m = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let d = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if it.next().is_some() {
            return Err(bad());
        }
        Date::from_ymd(y, m, d)
    }
}

/// Mean Gregorian year length, used to turn day differences into years.
pub const DAYS_PER_YEAR: f64 = 365.2425;

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Date {
    type Error = MatchError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Date::parse(&s)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// 性别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

/// A GB/T 2260 administrative division code (行政区划代码): 2 digits province
/// (省), 2 digits prefecture-level city (地级市), 2 digits county (区县).
/// `00` in the city or county part means "known only down to the level above"
/// (e.g. `510000` = 四川省, exact city unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(u32);

/// Province-level prefixes in GB/T 2260 (including 港澳台 71/81/82).
pub const PROVINCE_PREFIXES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

impl RegionCode {
    /// Parses and validates a 6-digit code: the province prefix must exist
    /// and a county cannot be given without its city.
    pub fn new(code: &str) -> Result<RegionCode, MatchError> {
        let bad = || MatchError::InvalidRegionCode(code.to_string());
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v: u32 = code.parse().map_err(|_| bad())?;
        RegionCode::from_u32(v).ok_or_else(bad)
    }

    /// Validating constructor from the numeric form (e.g. `510104`).
    pub fn from_u32(v: u32) -> Option<RegionCode> {
        let prov = v / 10_000;
        let city = (v / 100) % 100;
        let county = v % 100;
        if v >= 1_000_000 || !PROVINCE_PREFIXES.contains(&prov) || (city == 0 && county != 0) {
            return None;
        }
        Some(RegionCode(v))
    }

    /// Numeric value, e.g. 510104.
    pub fn as_u32(self) -> u32 {
        self.0
    }
    /// Province prefix (2 digits).
    pub fn province(self) -> u32 {
        self.0 / 10_000
    }
    /// Province+city prefix (4 digits), `None` if the city is unknown.
    pub fn city(self) -> Option<u32> {
        let c = self.0 / 100;
        (!c.is_multiple_of(100)).then_some(c)
    }
    /// Full county code, `None` if the county is unknown.
    pub fn county(self) -> Option<u32> {
        (!self.0.is_multiple_of(100) && self.city().is_some()).then_some(self.0)
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}
impl TryFrom<String> for RegionCode {
    type Error = MatchError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::new(&s)
    }
}
impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.to_string()
    }
}

/// What is known about a person's age. A family knows the birth date (出生日期);
/// station staff can only estimate an age (估计年龄) on the day they record it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum AgeInfo {
    /// Exact birth date.
    BirthDate(Date),
    /// Estimated age in whole years as judged on `at` (usually the date found,
    /// or for a report the date the person went missing).
    Estimated {
        /// Estimated age in years.
        years: u8,
        /// Date the estimate refers to.
        at: Date,
    },
}

impl AgeInfo {
    /// Implied birth date in days since epoch (mid-year for an estimate), and
    /// whether it is exact.
    pub fn implied_birth_days(self) -> (i32, bool) {
        match self {
            AgeInfo::BirthDate(d) => (d.days(), true),
            AgeInfo::Estimated { years, at } => (
                at.days() - (f64::from(years) * DAYS_PER_YEAR + DAYS_PER_YEAR / 2.0) as i32,
                false,
            ),
        }
    }
    /// Implied birth year.
    pub fn implied_birth_year(self) -> i32 {
        Date::from_days(self.implied_birth_days().0).year()
    }
}

/// Height in centimetres, limited to a humanly possible range (40–250 cm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct HeightCm(u16);

impl HeightCm {
    /// Validating constructor.
    pub fn new(cm: u16) -> Result<HeightCm, MatchError> {
        if (40..=250).contains(&cm) {
            Ok(HeightCm(cm))
        } else {
            Err(MatchError::InvalidHeight(cm))
        }
    }
    /// Centimetres.
    pub fn cm(self) -> u16 {
        self.0
    }
}
impl TryFrom<u16> for HeightCm {
    type Error = MatchError;
    fn try_from(v: u16) -> Result<Self, Self::Error> {
        HeightCm::new(v)
    }
}
impl From<HeightCm> for u16 {
    fn from(h: HeightCm) -> u16 {
        h.0
    }
}

/// Which side of the platform a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RecordKind {
    /// 受助人员: a person found and registered at a rescue station.
    #[default]
    Found,
    /// 寻亲登记: a family's missing-person report.
    MissingReport,
}

/// One person record. `id` is chosen by the caller and must be unique within
/// an [`crate::Index`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Caller's identifier.
    pub id: u64,
    /// Found person or missing-person report.
    pub kind: RecordKind,
    /// Name as told or remembered (姓名), Chinese characters.
    pub name: Option<String>,
    /// 性别.
    pub sex: Option<Sex>,
    /// Birth date or estimated age.
    pub age: Option<AgeInfo>,
    /// 走失日期: date the person went missing.
    pub date_missing: Option<Date>,
    /// 发现日期 / 救助日期: date the person was found.
    pub date_found: Option<Date>,
    /// 籍贯 / 户籍地: region of origin.
    pub region: Option<RegionCode>,
    /// 口音: region whose dialect the person speaks (often province level only).
    pub accent: Option<RegionCode>,
    /// Height.
    pub height: Option<HeightCm>,
    /// 体貌特征: physical marks and features, free text.
    pub marks: Option<String>,
    /// Face embedding from an external model (any dimension; compared by cosine).
    pub face_embedding: Option<Vec<f32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_roundtrip_and_validation() {
        let d = Date::from_ymd(2000, 2, 29).unwrap();
        assert_eq!(d.ymd(), (2000, 2, 29));
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days(), 0);
        assert!(Date::from_ymd(2023, 2, 29).is_err());
        assert!(Date::from_ymd(2023, 13, 1).is_err());
        assert_eq!(Date::parse("2015-06-01").unwrap().to_string(), "2015-06-01");
        for days in (-50_000..60_000).step_by(97) {
            assert_eq!(Date::from_days(days).days(), days);
            let (y, m, dd) = Date::from_days(days).ymd();
            assert_eq!(Date::from_ymd(y, m, dd).unwrap().days(), days);
        }
    }

    #[test]
    fn age_arithmetic() {
        let born = Date::from_ymd(2010, 3, 15).unwrap();
        assert_eq!(born.age_at(Date::from_ymd(2020, 3, 14).unwrap()), 9);
        assert_eq!(born.age_at(Date::from_ymd(2020, 3, 15).unwrap()), 10);
        // An estimate of 10 years on 2020-09-15 implies a birth around 2009/2010.
        let est = AgeInfo::Estimated {
            years: 10,
            at: Date::from_ymd(2020, 9, 15).unwrap(),
        };
        let y = est.implied_birth_year();
        assert!((2009..=2010).contains(&y), "{y}");
    }

    #[test]
    fn region_code_hierarchy() {
        let r = RegionCode::new("510104").unwrap();
        assert_eq!(r.province(), 51);
        assert_eq!(r.city(), Some(5101));
        assert_eq!(r.county(), Some(510104));
        let p = RegionCode::new("510000").unwrap();
        assert_eq!(p.city(), None);
        assert!(RegionCode::new("990101").is_err());
        assert!(RegionCode::new("510001").is_err());
        assert!(RegionCode::new("5101").is_err());
        assert!(HeightCm::new(300).is_err());
    }
}
