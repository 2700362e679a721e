//! 行政区划代码: administrative division codes (GB/T 2260 for province, city and county;
//! the statistical 12-digit codes for township and village; three more digits for a grid
//! cell, 网格).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Level of an administrative division, from the top down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省 province
    Province,
    /// 市 prefecture-level city
    City,
    /// 县/区 county or district
    County,
    /// 乡镇/街道 township or street office
    Township,
    /// 村/社区 village or community
    Village,
    /// 网格 grid cell of a community
    Grid,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
            RegionLevel::Grid => "grid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region_code_invalid")]
pub struct RegionCodeError;

/// A region code in its canonical form: 6 digits (province, city, county), 12 digits
/// (township, village) or 15 digits (grid cell).
///
/// Jurisdiction is a subtree, and a subtree is a prefix: 丽水市 331100 covers every code that
/// starts with `3311`. That is why codes are stored whole and compared by prefix, which
/// both SQLite and PostgreSQL can answer from an ordinary index as a range.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = s.trim();
        if !matches!(s.len(), 6 | 12 | 15) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError);
        }
        // The province part must be a real province number, and a 12-digit code must not
        // have a zero county part (that would be a city written long).
        let province: u32 = s[..2].parse().map_err(|_| RegionCodeError)?;
        if !(11..=82).contains(&province) {
            return Err(RegionCodeError);
        }
        if s.len() >= 12 && (&s[4..6] == "00" || &s[6..9] == "000") {
            return Err(RegionCodeError);
        }
        if s.len() == 15 && &s[9..12] == "000" {
            return Err(RegionCodeError);
        }
        if s.len() == 6 && &s[2..4] == "00" && &s[4..6] != "00" {
            return Err(RegionCodeError);
        }
        Ok(RegionCode(s.to_string()))
    }

    /// The whole country, used for the anonymous public and national-level staff.
    pub fn nation() -> RegionCode {
        RegionCode("000000".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_nation(&self) -> bool {
        self.0 == "000000"
    }

    pub fn level(&self) -> Option<RegionLevel> {
        let s = &self.0;
        if self.is_nation() {
            return None;
        }
        Some(match s.len() {
            6 if &s[2..] == "0000" => RegionLevel::Province,
            6 if &s[4..] == "00" => RegionLevel::City,
            6 => RegionLevel::County,
            12 if &s[9..] == "000" => RegionLevel::Township,
            12 => RegionLevel::Village,
            _ => RegionLevel::Grid,
        })
    }

    /// The significant prefix: every code in this region's subtree starts with it.
    pub fn subtree_prefix(&self) -> &str {
        match self.level() {
            None => "",
            Some(RegionLevel::Province) => &self.0[..2],
            Some(RegionLevel::City) => &self.0[..4],
            Some(RegionLevel::County) => &self.0[..6],
            Some(RegionLevel::Township) => &self.0[..9],
            Some(RegionLevel::Village) => &self.0[..12],
            Some(RegionLevel::Grid) => &self.0[..15],
        }
    }

    /// The half-open range `[low, high)` of stored codes in this subtree, for an indexed
    /// `code >= low AND code < high` query. `:` sorts right after `9`.
    pub fn subtree_range(&self) -> (String, String) {
        let p = self.subtree_prefix();
        (p.to_string(), format!("{p}:"))
    }

    /// Whether `other` lies in this region's subtree (a region contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.subtree_prefix())
    }

    /// The region one level up; `None` for a province and the nation.
    pub fn parent(&self) -> Option<RegionCode> {
        let s = &self.0;
        let up = match self.level()? {
            RegionLevel::Province => return Some(RegionCode::nation()),
            RegionLevel::City => format!("{}0000", &s[..2]),
            RegionLevel::County => format!("{}00", &s[..4]),
            RegionLevel::Township => s[..6].to_string(),
            RegionLevel::Village => format!("{}000", &s[..9]),
            RegionLevel::Grid => s[..12].to_string(),
        };
        Some(RegionCode(up))
    }

    /// This region and every ancestor up to the province, nearest first.
    pub fn ancestry(&self) -> Vec<RegionCode> {
        let mut out = vec![self.clone()];
        let mut cur = self.clone();
        while let Some(p) = cur.parent() {
            if p.is_nation() {
                break;
            }
            out.push(p.clone());
            cur = p;
        }
        out
    }

    /// The six-digit county-level code this region belongs to (itself when it is one).
    pub fn county(&self) -> &str {
        &self.0[..6.min(self.0.len())]
    }

    /// The two-digit province number, for "same province / other province" statistics.
    pub fn province(&self) -> &str {
        &self.0[..2]
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "000000" {
            return Ok(RegionCode::nation());
        }
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_the_digits() {
        assert_eq!(r("330000").level(), Some(RegionLevel::Province));
        assert_eq!(r("331100").level(), Some(RegionLevel::City));
        assert_eq!(r("331102").level(), Some(RegionLevel::County));
        assert_eq!(r("331102001000").level(), Some(RegionLevel::Township));
        assert_eq!(r("331102001001").level(), Some(RegionLevel::Village));
        assert_eq!(r("331102001001002").level(), Some(RegionLevel::Grid));
    }

    #[test]
    fn lishui_contains_its_counties_but_not_hangzhou() {
        let lishui = r("331100");
        assert!(lishui.contains(&r("331102")));
        assert!(lishui.contains(&r("331181")));
        assert!(lishui.contains(&r("331102001001")));
        assert!(!lishui.contains(&r("330100")));
        assert!(r("330000").contains(&lishui));
        assert!(!r("331102").contains(&lishui));
        assert!(RegionCode::nation().contains(&lishui));
    }

    #[test]
    fn parents_climb_to_the_province() {
        let grid = r("331102001001002");
        let names: Vec<String> = grid.ancestry().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            names,
            [
                "331102001001002",
                "331102001001",
                "331102001000",
                "331102",
                "331100",
                "330000"
            ]
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "33110",
            "3311020",
            "001100",
            "990000",
            "330012",
            "33110200100a",
            "331100001000",
            "331102000001",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn subtree_range_agrees_with_contains(county in 1u32..99, town in 1u32..999, village in 0u32..999) {
            let code = r(&format!("3311{county:02}{town:03}{village:03}"));
            for anc in code.ancestry() {
                let (lo, hi) = anc.subtree_range();
                prop_assert!(anc.contains(&code));
                prop_assert!(code.as_str() >= lo.as_str() && code.as_str() < hi.as_str());
            }
            let other = r("330100");
            let (lo, hi) = other.subtree_range();
            prop_assert!(!(code.as_str() >= lo.as_str() && code.as_str() < hi.as_str()));
        }
    }
}
