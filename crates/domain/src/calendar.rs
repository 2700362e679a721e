//! 工作日历: the working-day calendar of a jurisdiction.
//!
//! Legal deadlines ("within 7 working days", "30 working days") count working days, which
//! in China are not just Monday to Friday: public holidays close offices on weekdays, and
//! make-up working days (调休) open them on weekends. The national schedule is published
//! each year; regions may add local holidays (an overlay).

use crate::region::RegionCode;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The national calendar shipped with Jiuzhu.
pub const NATIONAL_TOML: &str = include_str!("../../../reference/calendar/cn.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar_syntax: {0}")]
    Syntax(String),
    #[error("calendar_date: {0}")]
    Date(String),
    #[error("calendar_conflict: {0} is both a holiday and a working day")]
    Conflict(NaiveDate),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    region: String,
    #[serde(default)]
    years: Vec<i32>,
    #[serde(default)]
    holidays: BTreeMap<String, String>,
    #[serde(default)]
    workdays: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    pub fn national() -> WorkCalendar {
        let (_, cal) = WorkCalendar::parse(NATIONAL_TOML).expect("the shipped calendar is valid");
        cal
    }

    /// Parses a calendar file; returns the region it applies to and the calendar.
    pub fn parse(text: &str) -> Result<(RegionCode, WorkCalendar), CalendarError> {
        let file: CalendarFile =
            toml::from_str(text).map_err(|e| CalendarError::Syntax(e.message().to_string()))?;
        let region = RegionCode::try_from(file.region.clone())
            .map_err(|_| CalendarError::Syntax(format!("region {}", file.region)))?;
        let mut cal = WorkCalendar {
            years: file.years.into_iter().collect(),
            ..Default::default()
        };
        for (key, name) in &file.holidays {
            for d in expand(key)? {
                cal.holidays.insert(d, name.clone());
            }
        }
        for key in file.workdays.keys() {
            for d in expand(key)? {
                if cal.holidays.contains_key(&d) {
                    return Err(CalendarError::Conflict(d));
                }
                cal.workdays.insert(d);
            }
        }
        Ok((region, cal))
    }

    /// A regional calendar: this one plus local holidays and working days.
    pub fn with_overlay(&self, overlay: &WorkCalendar) -> WorkCalendar {
        let mut out = self.clone();
        for (d, n) in &overlay.holidays {
            out.workdays.remove(d);
            out.holidays.insert(*d, n.clone());
        }
        for d in &overlay.workdays {
            out.holidays.remove(d);
            out.workdays.insert(*d);
        }
        out
    }

    /// Whether the official schedule for `year` is loaded. Deadlines falling in a year
    /// that is not covered are computed with weekends only and flagged by callers.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn holiday_name(&self, d: NaiveDate) -> Option<&str> {
        self.holidays.get(&d).map(String::as_str)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains_key(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day on which `n` working days after `start` have passed: the last day of a
    /// "within n working days" period that begins on `start`. `n = 0` gives `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`; zero when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// Calendars by jurisdiction: a region uses the nearest ancestor's calendar that has one.
#[derive(Debug, Clone)]
pub struct Calendars {
    national: WorkCalendar,
    regional: BTreeMap<RegionCode, WorkCalendar>,
}

impl Calendars {
    pub fn national_only() -> Calendars {
        Calendars {
            national: WorkCalendar::national(),
            regional: BTreeMap::new(),
        }
    }

    /// Adds a regional overlay file (local holidays) on top of the national calendar.
    pub fn add_overlay(&mut self, text: &str) -> Result<(), CalendarError> {
        let (region, overlay) = WorkCalendar::parse(text)?;
        let merged = self.national.with_overlay(&overlay);
        self.regional.insert(region, merged);
        Ok(())
    }

    pub fn for_region(&self, region: &RegionCode) -> &WorkCalendar {
        region
            .ancestry()
            .iter()
            .find_map(|r| self.regional.get(r))
            .unwrap_or(&self.national)
    }
}

fn expand(key: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    let parse = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| CalendarError::Date(key.to_string()))
    };
    match key.split_once("..") {
        None => Ok(vec![parse(key)?]),
        Some((a, b)) => {
            let (a, b) = (parse(a)?, parse(b)?);
            if b < a || (b - a).num_days() > 31 {
                return Err(CalendarError::Date(key.to_string()));
            }
            Ok(a.iter_days().take_while(|d| *d <= b).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn spring_festival_2026_closes_offices_and_a_saturday_opens_them() {
        let cal = WorkCalendar::national();
        assert!(!cal.is_working_day(d("2026-02-16")), "Monday in 春节");
        assert_eq!(cal.holiday_name(d("2026-02-17")), Some("春节"));
        assert!(cal.is_working_day(d("2026-02-14")), "Saturday 调休");
        assert!(cal.is_working_day(d("2026-02-28")), "Saturday 调休");
        assert!(!cal.is_working_day(d("2026-03-01")), "ordinary Sunday");
    }

    #[test]
    fn seven_working_days_from_an_admission_before_spring_festival() {
        // Admitted Thursday 2026-02-12. Working days after it: Fri 13, Sat 14 (调休), then
        // the holiday 15–23, then Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 (调休).
        let cal = WorkCalendar::national();
        assert_eq!(cal.add_working_days(d("2026-02-12"), 7), d("2026-02-28"));
        assert_eq!(
            cal.working_days_between(d("2026-02-12"), d("2026-02-28")),
            7
        );
    }

    #[test]
    fn national_day_week() {
        let cal = WorkCalendar::national();
        // From Tuesday 2026-09-29: Wed 30, then 10-01..07 off, Thu 08, Fri 09, Sat 10 (调休).
        assert_eq!(cal.add_working_days(d("2026-09-29"), 4), d("2026-10-10"));
        assert!(cal.covers(2026));
        assert!(!cal.covers(2027));
    }

    #[test]
    fn a_local_holiday_applies_only_below_its_region() {
        let mut cals = Calendars::national_only();
        cals.add_overlay("region = \"331127\"\n[holidays]\n\"2026-04-20\" = \"畲族三月三\"\n")
            .unwrap();
        let jingning = RegionCode::parse("331127001000").unwrap();
        let lianduv = RegionCode::parse("331102").unwrap();
        assert!(!cals.for_region(&jingning).is_working_day(d("2026-04-20")));
        assert!(cals.for_region(&lianduv).is_working_day(d("2026-04-20")));
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(WorkCalendar::parse("region = \"000000\"\nunknown = 1\n").is_err());
        assert!(
            WorkCalendar::parse("region = \"000000\"\n[holidays]\n\"2026-02-30\" = \"x\"\n")
                .is_err()
        );
        assert!(matches!(
            WorkCalendar::parse("region = \"000000\"\n[holidays]\n\"2026-03-02\" = \"x\"\n[workdays]\n\"2026-03-02\" = \"y\"\n"),
            Err(CalendarError::Conflict(_))
        ));
    }

    proptest! {
        #[test]
        fn counting_and_adding_agree(day in 0u64..700, n in 0u32..40) {
            let cal = WorkCalendar::national();
            let start = d("2025-01-01") + Days::new(day);
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), n);
            prop_assert!(n == 0 || cal.is_working_day(end));
        }
    }
}
