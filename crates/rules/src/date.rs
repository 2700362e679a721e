//! A minimal civil date (proleptic Gregorian). Hand-written rather than a
//! chrono/time dependency: the rules only need ordering, parsing, ages and
//! "day before", and fewer dependencies keep the crate auditable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A calendar date. Field order makes the derived `Ord` chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {0:?}: expected YYYY-MM-DD")]
pub struct DateError(pub String);

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    /// Checked constructor.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Panicking constructor for literals in tests and defaults.
    pub fn ymd(year: i32, month: u8, day: u8) -> Date {
        Date::new(year, month, day).expect("valid literal date")
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// The previous calendar day (used for "day before a change" and for
    /// implicit `until` of a value superseded by a later `from`).
    pub fn pred(self) -> Date {
        if self.day > 1 {
            Date {
                day: self.day - 1,
                ..self
            }
        } else if self.month > 1 {
            let m = self.month - 1;
            Date {
                year: self.year,
                month: m,
                day: days_in_month(self.year, m),
            }
        } else {
            Date {
                year: self.year - 1,
                month: 12,
                day: 31,
            }
        }
    }

    /// The next calendar day.
    pub fn succ(self) -> Date {
        if self.day < days_in_month(self.year, self.month) {
            Date {
                day: self.day + 1,
                ..self
            }
        } else if self.month < 12 {
            Date {
                year: self.year,
                month: self.month + 1,
                day: 1,
            }
        } else {
            Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        }
    }

    /// Completed years of age on `on` for someone born on `self`
    /// (a person born 29 Feb turns a year older on 1 Mar in common years,
    /// the usual reading of 周岁).
    pub fn age_on(self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// The date `years` years earlier, clamping 29 Feb to 28 Feb; used to
    /// derive birth-date cut-offs from age thresholds.
    pub fn years_before(self, years: i32) -> Date {
        let y = self.year - years;
        let d = self.day.min(days_in_month(y, self.month));
        Date {
            year: y,
            month: self.month,
            day: d,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        let err = || DateError(s.to_string());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let y: i32 = s[0..4].parse().map_err(|_| err())?;
        let m: u8 = s[5..7].parse().map_err(|_| err())?;
        let d: u8 = s[8..10].parse().map_err(|_| err())?;
        Date::new(y, m, d).ok_or_else(err)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Accepts a "YYYY-MM-DD" string or a TOML local-date literal
    /// (`from = 2025-07-01`); TOML datetimes with a time part are rejected
    /// because parameter changes take effect on whole days.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Toml(toml::value::Datetime),
            Str(String),
        }
        let s = match Raw::deserialize(d)? {
            Raw::Toml(dt) => {
                if dt.time.is_some() || dt.offset.is_some() || dt.date.is_none() {
                    return Err(serde::de::Error::custom(format!(
                        "expected a plain date (YYYY-MM-DD), got {dt}"
                    )));
                }
                dt.to_string()
            }
            Raw::Str(s) => s,
        };
        s.parse().map_err(serde::de::Error::custom)
    }
}
