//! 救助管理月报: the monthly rescue report (a provincial form in use since 2012, due by the
//! 5th), computed from the facts of each stay. One function, so the screen, the Excel file
//! and the drill-down always agree, and every figure carries the cases behind it.

use crate::case::ExitKind;
use crate::resident_id::Sex;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

/// What the report needs to know about one stay.
#[derive(Debug, Clone)]
pub struct StayRecord {
    pub case_id: i64,
    pub sex: Option<Sex>,
    /// Age on admission.
    pub age: Option<u32>,
    /// Two-digit province of origin, when known.
    pub origin_province: Option<String>,
    pub mental_or_intellectual: bool,
    /// Any other health condition noted at intake (critical illness, disability…).
    pub other_condition: bool,
    pub minor: bool,
    pub unidentified: bool,
    pub admitted_at: Option<DateTime<Utc>>,
    pub departed_at: Option<DateTime<Utc>>,
    pub exit: Option<ExitKind>,
    /// A ticket was given for a self-discharge.
    pub ticket: bool,
    /// Two-digit province an escort went to.
    pub destination_province: Option<String>,
    /// 落户安置 (household registration), for placements.
    pub settled: bool,
    /// Services given during the stay (`medical`, `living`, `education`, …).
    pub services: Vec<String>,
    /// Special groups the person belongs to (`case::SpecialGroup` codes).
    pub special_groups: Vec<String>,
}

/// One figure and the cases behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub key: &'static str,
    pub count: usize,
    pub case_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub key: &'static str,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReport {
    pub year: i32,
    pub month: u32,
    /// 平均在站天数 of those who left this month, in tenths of a day.
    pub average_days_tenths: i64,
    pub sections: Vec<Section>,
}

impl MonthlyReport {
    pub fn cell(&self, key: &str) -> Option<&Cell> {
        self.sections
            .iter()
            .flat_map(|s| s.cells.iter())
            .find(|c| c.key == key)
    }
}

/// The first instant of a month and of the next, in Shanghai time, as UTC.
pub fn month_bounds(year: i32, month: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let at = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(crate::time::shanghai()).single())
            .map(|t| t.with_timezone(&Utc))
    };
    Some((at(start)?, at(next)?))
}

struct Builder {
    cells: Vec<(&'static str, Vec<i64>)>,
}

impl Builder {
    fn new(keys: &[&'static str]) -> Builder {
        Builder {
            cells: keys.iter().map(|k| (*k, Vec::new())).collect(),
        }
    }
    fn add(&mut self, key: &str, id: i64) {
        if let Some((_, ids)) = self.cells.iter_mut().find(|(k, _)| *k == key) {
            ids.push(id);
        }
    }
    fn section(self, key: &'static str) -> Section {
        Section {
            key,
            cells: self
                .cells
                .into_iter()
                .map(|(key, case_ids)| Cell {
                    key,
                    count: case_ids.len(),
                    case_ids,
                })
                .collect(),
        }
    }
}

/// The report for one month. `home_province` is the reporting province's two digits
/// (本省 / 外省), e.g. `33` for Zhejiang.
pub fn monthly(
    stays: &[StayRecord],
    year: i32,
    month: u32,
    home_province: &str,
) -> Option<MonthlyReport> {
    let (start, end) = month_bounds(year, month)?;
    let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= start && t < end);
    let helped: Vec<&StayRecord> = stays.iter().filter(|s| within(s.admitted_at)).collect();
    let left: Vec<&StayRecord> = stays
        .iter()
        .filter(|s| within(s.departed_at) && s.exit.is_some() && s.admitted_at.is_some())
        .collect();

    let mut total = Builder::new(&["total.helped", "total.minors", "total.unidentified"]);
    let mut sex = Builder::new(&["sex.male", "sex.female", "sex.unknown"]);
    let mut age = Builder::new(&[
        "age.0_6",
        "age.7_18",
        "age.19_59",
        "age.60_plus",
        "age.unknown",
    ]);
    let mut health = Builder::new(&[
        "health.healthy",
        "health.mental_intellectual",
        "health.other_condition",
    ]);
    let mut origin = Builder::new(&[
        "origin.this_province",
        "origin.other_province",
        "origin.unknown",
    ]);
    for s in &helped {
        let id = s.case_id;
        total.add("total.helped", id);
        if s.minor {
            total.add("total.minors", id);
        }
        if s.unidentified {
            total.add("total.unidentified", id);
        }
        sex.add(
            match s.sex {
                Some(Sex::Male) => "sex.male",
                Some(Sex::Female) => "sex.female",
                None => "sex.unknown",
            },
            id,
        );
        age.add(
            match s.age {
                Some(0..=6) => "age.0_6",
                Some(7..=18) => "age.7_18",
                Some(19..=59) => "age.19_59",
                Some(_) => "age.60_plus",
                None => "age.unknown",
            },
            id,
        );
        health.add(
            if s.mental_or_intellectual {
                "health.mental_intellectual"
            } else if s.other_condition {
                "health.other_condition"
            } else {
                "health.healthy"
            },
            id,
        );
        origin.add(
            match s.origin_province.as_deref() {
                Some(p) if p == home_province => "origin.this_province",
                Some(_) => "origin.other_province",
                None => "origin.unknown",
            },
            id,
        );
    }

    let mut exits = Builder::new(&[
        "exit.placed",
        "exit.settled",
        "exit.ticket",
        "exit.went_home",
        "exit.terminated",
        "exit.left_without_notice",
        "exit.escorted_home",
        "exit.escorted_home_cross_province",
        "exit.collected",
        "exit.collected_cross_province",
        "exit.transferred",
        "exit.died",
        "exit.still_stranded",
    ]);
    let mut days_sum = 0i64;
    for s in &left {
        let id = s.case_id;
        let cross = |p: Option<&str>| p.is_some_and(|p| p != home_province);
        match s.exit.expect("filtered") {
            ExitKind::Placed => {
                exits.add("exit.placed", id);
                if s.settled {
                    exits.add("exit.settled", id);
                }
            }
            ExitKind::SelfDischarge if s.ticket => exits.add("exit.ticket", id),
            ExitKind::SelfDischarge => exits.add("exit.went_home", id),
            ExitKind::Terminated => exits.add("exit.terminated", id),
            ExitKind::LeftWithoutNotice => exits.add("exit.left_without_notice", id),
            ExitKind::EscortedHome => {
                exits.add("exit.escorted_home", id);
                if cross(s.destination_province.as_deref()) {
                    exits.add("exit.escorted_home_cross_province", id);
                }
            }
            ExitKind::CollectedByRelatives => {
                exits.add("exit.collected", id);
                if cross(s.origin_province.as_deref()) {
                    exits.add("exit.collected_cross_province", id);
                }
            }
            ExitKind::Transferred => exits.add("exit.transferred", id),
            ExitKind::Died => exits.add("exit.died", id),
        }
        let (a, d) = (
            s.admitted_at.expect("filtered"),
            s.departed_at.expect("filtered"),
        );
        days_sum += ((d - a).num_hours().max(0) * 10 + 12) / 24;
    }
    for s in stays {
        let admitted_before_end = s.admitted_at.is_some_and(|a| a < end);
        let still_in = s.departed_at.is_none_or(|d| d >= end);
        if admitted_before_end && still_in {
            exits.add("exit.still_stranded", s.case_id);
        }
    }
    // 按救助方式: help given to those helped this month.
    let mut help = Builder::new(&[
        "help.medical",
        "help.education",
        "help.living",
        "help.counselling",
        "help.return_home",
        "help.temporary_placement",
    ]);
    for s in &helped {
        for (service, key) in [
            ("medical", "help.medical"),
            ("education", "help.education"),
            ("living", "help.living"),
            ("counselling", "help.counselling"),
        ] {
            if s.services.iter().any(|x| x == service) {
                help.add(key, s.case_id);
            }
        }
        match s.exit {
            Some(ExitKind::EscortedHome | ExitKind::CollectedByRelatives) => {
                help.add("help.return_home", s.case_id)
            }
            Some(ExitKind::SelfDischarge) if s.ticket => help.add("help.return_home", s.case_id),
            Some(ExitKind::Placed) => help.add("help.temporary_placement", s.case_id),
            _ => {}
        }
    }
    let mut special = Builder::new(&[
        "special.trafficking_victim",
        "special.domestic_violence_victim",
        "special.child_of_prisoner",
        "special.left_behind_child",
        "special.hk_macao_taiwan",
        "special.foreigner",
    ]);
    for s in &helped {
        for g in &s.special_groups {
            special.add(&format!("special.{g}"), s.case_id);
        }
    }
    let average_days_tenths = if left.is_empty() {
        0
    } else {
        days_sum / left.len() as i64
    };
    Some(MonthlyReport {
        year,
        month,
        average_days_tenths,
        sections: vec![
            total.section("total"),
            sex.section("sex"),
            age.section("age"),
            health.section("health"),
            origin.section("origin"),
            exits.section("exit"),
            help.section("help"),
            special.section("special"),
        ],
    })
}

/// The figures the sources quote (rescues, minors, without identity, escorted home,
/// long-stayers returned, settled) over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Headline {
    pub rescues: usize,
    pub minors: usize,
    pub unidentified: usize,
    pub escorted_home: usize,
    /// 滞留 (over 10 days) and then returned to family: escorted home or collected.
    pub long_stayers_returned: usize,
    /// 落户安置
    pub settled: usize,
}

pub fn headline(stays: &[StayRecord], from: DateTime<Utc>, to: DateTime<Utc>) -> Headline {
    let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t >= from && t < to);
    let mut h = Headline::default();
    for s in stays {
        if within(s.admitted_at) {
            h.rescues += 1;
            h.minors += usize::from(s.minor);
            h.unidentified += usize::from(s.unidentified);
        }
        if within(s.departed_at) {
            let home = matches!(
                s.exit,
                Some(ExitKind::EscortedHome | ExitKind::CollectedByRelatives)
            );
            h.escorted_home += usize::from(s.exit == Some(ExitKind::EscortedHome));
            let long = match (s.admitted_at, s.departed_at) {
                (Some(a), Some(d)) => (d - a).num_days() > 10,
                _ => false,
            };
            h.long_stayers_returned += usize::from(home && long);
            h.settled += usize::from(s.exit == Some(ExitKind::Placed) && s.settled);
        }
    }
    h
}

/// The year and month a day falls in.
pub fn month_of(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> Option<DateTime<Utc>> {
        Some(
            crate::time::shanghai()
                .with_ymd_and_hms(y, m, d, 10, 0, 0)
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    fn stay(id: i64) -> StayRecord {
        StayRecord {
            case_id: id,
            sex: Some(Sex::Male),
            age: Some(40),
            origin_province: Some("33".into()),
            mental_or_intellectual: false,
            other_condition: false,
            minor: false,
            unidentified: false,
            admitted_at: at(2026, 10, 5),
            departed_at: None,
            exit: None,
            ticket: false,
            destination_province: None,
            settled: false,
            services: Vec::new(),
            special_groups: Vec::new(),
        }
    }

    #[test]
    fn every_figure_counts_its_cases() {
        let stays = vec![
            StayRecord {
                departed_at: at(2026, 10, 8),
                exit: Some(ExitKind::SelfDischarge),
                ticket: true,
                ..stay(1)
            },
            StayRecord {
                sex: Some(Sex::Female),
                age: Some(5),
                minor: true,
                departed_at: at(2026, 10, 15),
                exit: Some(ExitKind::EscortedHome),
                destination_province: Some("36".into()),
                origin_province: Some("36".into()),
                ..stay(2)
            },
            StayRecord {
                age: Some(70),
                unidentified: true,
                origin_province: None,
                mental_or_intellectual: true,
                ..stay(3)
            },
            // Admitted in September, left in October: counted as leaving, not as helped.
            StayRecord {
                admitted_at: at(2026, 9, 20),
                departed_at: at(2026, 10, 2),
                exit: Some(ExitKind::CollectedByRelatives),
                origin_province: Some("41".into()),
                ..stay(4)
            },
            // Admitted in November: outside the month entirely.
            StayRecord {
                admitted_at: at(2026, 11, 2),
                ..stay(5)
            },
        ];
        let r = monthly(&stays, 2026, 10, "33").unwrap();
        let ids = |k: &str| r.cell(k).unwrap().case_ids.clone();
        assert_eq!(ids("total.helped"), [1, 2, 3]);
        assert_eq!(ids("total.minors"), [2]);
        assert_eq!(ids("sex.female"), [2]);
        assert_eq!(ids("age.0_6"), [2]);
        assert_eq!(ids("age.60_plus"), [3]);
        assert_eq!(ids("health.mental_intellectual"), [3]);
        assert_eq!(ids("origin.other_province"), [2]);
        assert_eq!(ids("origin.unknown"), [3]);
        assert_eq!(ids("exit.ticket"), [1]);
        assert_eq!(ids("exit.escorted_home_cross_province"), [2]);
        assert_eq!(ids("exit.collected_cross_province"), [4]);
        assert_eq!(ids("exit.still_stranded"), [3]);
        assert_eq!(ids("help.return_home"), [1, 2]);
        assert!(ids("special.foreigner").is_empty());
        // Stays of 3, 10 and 12 days: 8.3 days on average.
        assert_eq!(r.average_days_tenths, 83);
    }

    #[test]
    fn the_headline_counts_long_stayers_who_went_home() {
        let stays = vec![
            StayRecord {
                admitted_at: at(2026, 9, 1),
                departed_at: at(2026, 10, 1),
                exit: Some(ExitKind::EscortedHome),
                ..stay(1)
            },
            StayRecord {
                departed_at: at(2026, 10, 8),
                exit: Some(ExitKind::CollectedByRelatives),
                minor: true,
                ..stay(2)
            },
            StayRecord {
                admitted_at: at(2026, 1, 1),
                departed_at: at(2026, 10, 9),
                exit: Some(ExitKind::Placed),
                settled: true,
                unidentified: true,
                ..stay(3)
            },
        ];
        let (from, _) = month_bounds(2026, 9).unwrap();
        let (_, to) = month_bounds(2026, 10).unwrap();
        let h = headline(&stays, from, to);
        assert_eq!(
            h,
            Headline {
                rescues: 2,
                minors: 1,
                unidentified: 0,
                escorted_home: 1,
                long_stayers_returned: 1,
                settled: 1
            }
        );
    }

    #[test]
    fn months_begin_at_midnight_in_shanghai() {
        let (start, end) = month_bounds(2026, 12).unwrap();
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
        assert!(month_bounds(2026, 13).is_none());
    }
}
