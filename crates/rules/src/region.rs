//! Region codes (GB/T 2260 行政区划代码) and 城乡 (urban/rural) classification.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A 6-digit GB/T 2260 administrative division code, e.g. 331100 丽水市,
/// 331102 莲都区. Stored as an integer for cheap comparison in bulk runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid region code {0:?}: expected 6 digits (GB/T 2260), e.g. \"331102\"")]
pub struct RegionCodeError(pub String);

impl RegionCode {
    pub fn new(code: u32) -> Result<RegionCode, RegionCodeError> {
        if (110000..=829999).contains(&code) {
            Ok(RegionCode(code))
        } else {
            Err(RegionCodeError(code.to_string()))
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
    /// 省级 (province level): xx0000.
    pub fn is_province(self) -> bool {
        self.0.is_multiple_of(10_000)
    }
    /// 地级 (prefecture/city level): xxxx00 but not a province.
    pub fn is_city(self) -> bool {
        self.0.is_multiple_of(100) && !self.is_province()
    }
    /// Whether `self` lies inside `parent` by code structure: the GB/T 2260
    /// prefix rule, used to catch a county attached to the wrong city.
    pub fn is_within(self, parent: RegionCode) -> bool {
        if self == parent {
            return false;
        }
        if parent.is_province() {
            self.0 / 10_000 == parent.0 / 10_000
        } else if parent.is_city() {
            self.0 / 100 == parent.0 / 100
        } else {
            false
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError(s.to_string()));
        }
        let v: u32 = s.parse().map_err(|_| RegionCodeError(s.to_string()))?;
        RegionCode::new(v).map_err(|_| RegionCodeError(s.to_string()))
    }
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RegionCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// 城镇 / 农村: many places still publish separate 低保 standards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// 城镇
    Urban,
    /// 农村
    Rural,
}

impl Area {
    pub fn from_urban(urban: bool) -> Area {
        if urban {
            Area::Urban
        } else {
            Area::Rural
        }
    }
    pub fn index(self) -> usize {
        match self {
            Area::Urban => 0,
            Area::Rural => 1,
        }
    }
}
