//! 时限: the legal deadlines of a stay, computed from admission with the working-day
//! calendar of the station's jurisdiction, each warning before it passes.
//!
//! | deadline | from | rule |
//! |---|---|---|
//! | 寻亲公告 published | admission | 24 hours, for anyone unidentified |
//! | DNA request to police | admission day | 7 working days [U], unidentified |
//! | stay extension filed | admission day | 10 days, for 16+ without mental or intellectual disability |
//! | notice kept updated | admission day | every month after the first, unidentified |
//! | 落户安置 started | admission day | 3 months, unidentified |

use crate::calendar::WorkCalendar;
use chrono::{DateTime, Days, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// 寻亲公告
    SearchNotice,
    /// DNA 采血比对申请
    DnaRequest,
    /// 超 10 天滞留报备
    StayExtension,
    /// 超 1 个月更新寻亲信息
    NoticeUpdate,
    /// 超 3 个月落户安置
    Settlement,
}

impl DeadlineKind {
    pub const ALL: &'static [DeadlineKind] = &[
        DeadlineKind::SearchNotice,
        DeadlineKind::DnaRequest,
        DeadlineKind::StayExtension,
        DeadlineKind::NoticeUpdate,
        DeadlineKind::Settlement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::SearchNotice => "search_notice",
            DeadlineKind::DnaRequest => "dna_request",
            DeadlineKind::StayExtension => "stay_extension",
            DeadlineKind::NoticeUpdate => "notice_update",
            DeadlineKind::Settlement => "settlement",
        }
    }

    pub fn parse(s: &str) -> Option<DeadlineKind> {
        DeadlineKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// Where a deadline stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    Done,
    Pending,
    /// Inside the warning window: shown amber.
    DueSoon,
    /// Passed and not done: shown red.
    Overdue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due: DateTime<Utc>,
    pub status: DeadlineStatus,
    /// When it was met, if it was.
    pub done_at: Option<DateTime<Utc>>,
}

/// The facts of a stay that deadlines depend on.
#[derive(Debug, Clone, Copy)]
pub struct StayFacts {
    pub admitted_at: DateTime<Utc>,
    pub unidentified: bool,
    pub age: Option<u32>,
    pub mental_or_intellectual: bool,
    /// Still in the station (deadlines stop mattering after departure).
    pub in_station: bool,
    pub notice_published_at: Option<DateTime<Utc>>,
    pub dna_requested_at: Option<DateTime<Utc>>,
    pub extension_approved_at: Option<DateTime<Utc>>,
    pub notice_updated_at: Option<DateTime<Utc>>,
    pub settlement_started_at: Option<DateTime<Utc>>,
    /// The region's time limit for the DNA request (national default 7 [U]).
    pub dna_request_working_days: u32,
}

/// Local end of a day (23:59:59 Shanghai) as UTC: a "within N days" deadline runs to the
/// end of its last day.
fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_hms_opt(23, 59, 59).expect("valid time");
    local
        .and_local_timezone(crate::time::shanghai())
        .single()
        .expect("fixed offset")
        .with_timezone(&Utc)
}

fn status(
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    warn: Duration,
) -> DeadlineStatus {
    match done {
        Some(_) => DeadlineStatus::Done,
        None if now > due => DeadlineStatus::Overdue,
        None if now > due - warn => DeadlineStatus::DueSoon,
        None => DeadlineStatus::Pending,
    }
}

/// Every deadline that applies to this stay, in due order.
pub fn deadlines(f: &StayFacts, cal: &WorkCalendar, now: DateTime<Utc>) -> Vec<Deadline> {
    if !f.in_station {
        return Vec::new();
    }
    let day = crate::time::local_date(f.admitted_at.timestamp_millis()).expect("valid instant");
    let mut out = Vec::new();
    let mut push = |kind, due: DateTime<Utc>, done: Option<DateTime<Utc>>, warn: Duration| {
        out.push(Deadline {
            kind,
            due,
            status: status(due, done, now, warn),
            done_at: done,
        });
    };
    if f.unidentified {
        push(
            DeadlineKind::SearchNotice,
            f.admitted_at + Duration::hours(24),
            f.notice_published_at,
            Duration::hours(8),
        );
        push(
            DeadlineKind::DnaRequest,
            end_of_day(cal.add_working_days(day, f.dna_request_working_days)),
            f.dna_requested_at,
            Duration::days(2),
        );
    }
    let long_stay_rule = f.age.is_none_or(|a| a >= 16) && !f.mental_or_intellectual;
    if long_stay_rule {
        push(
            DeadlineKind::StayExtension,
            end_of_day(day + Days::new(10)),
            f.extension_approved_at,
            Duration::days(2),
        );
    }
    if f.unidentified {
        // Monthly after the first month: due a month after the last update (or admission).
        let first = day
            .checked_add_months(Months::new(1))
            .expect("date in range");
        let due = match f.notice_updated_at {
            Some(u) => {
                let last = crate::time::local_date(u.timestamp_millis()).expect("valid instant");
                last.checked_add_months(Months::new(1))
                    .expect("date in range")
                    .max(first)
            }
            None => first,
        };
        // An update is "done" only until the next month comes round; here it is the next
        // due date that matters, so it is pending or late, never done.
        push(
            DeadlineKind::NoticeUpdate,
            end_of_day(due),
            None,
            Duration::days(5),
        );
        let settle = day
            .checked_add_months(Months::new(3))
            .expect("date in range");
        push(
            DeadlineKind::Settlement,
            end_of_day(settle),
            f.settlement_started_at,
            Duration::days(14),
        );
    }
    out.sort_by_key(|d| d.due);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        crate::time::shanghai()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn unidentified(admitted: DateTime<Utc>) -> StayFacts {
        StayFacts {
            admitted_at: admitted,
            unidentified: true,
            age: Some(50),
            mental_or_intellectual: false,
            in_station: true,
            notice_published_at: None,
            dna_requested_at: None,
            extension_approved_at: None,
            notice_updated_at: None,
            settlement_started_at: None,
            dna_request_working_days: 7,
        }
    }

    fn find(ds: &[Deadline], k: DeadlineKind) -> &Deadline {
        ds.iter().find(|d| d.kind == k).unwrap()
    }

    #[test]
    fn the_search_notice_is_due_a_day_after_admission_and_warns_before() {
        let cal = WorkCalendar::national();
        let f = unidentified(at(2026, 11, 2, 9));
        let ds = deadlines(&f, &cal, at(2026, 11, 2, 20));
        assert_eq!(
            find(&ds, DeadlineKind::SearchNotice).due,
            at(2026, 11, 3, 9)
        );
        assert_eq!(
            find(&ds, DeadlineKind::SearchNotice).status,
            DeadlineStatus::Pending
        );
        assert_eq!(
            find(
                &deadlines(&f, &cal, at(2026, 11, 3, 2)),
                DeadlineKind::SearchNotice
            )
            .status,
            DeadlineStatus::DueSoon
        );
        assert_eq!(
            find(
                &deadlines(&f, &cal, at(2026, 11, 3, 10)),
                DeadlineKind::SearchNotice
            )
            .status,
            DeadlineStatus::Overdue
        );
        let done = StayFacts {
            notice_published_at: Some(at(2026, 11, 2, 15)),
            ..f
        };
        assert_eq!(
            find(
                &deadlines(&done, &cal, at(2026, 11, 9, 0)),
                DeadlineKind::SearchNotice
            )
            .status,
            DeadlineStatus::Done
        );
    }

    #[test]
    fn the_dna_request_counts_working_days_across_national_day() {
        // Admitted Tuesday 2026-09-29: working days after it are 09-30, 10-08, 10-09,
        // 10-10 (调休 Saturday), 10-12, 10-13, 10-14: due at the end of 10-14.
        let cal = WorkCalendar::national();
        let ds = deadlines(
            &unidentified(at(2026, 9, 29, 10)),
            &cal,
            at(2026, 9, 29, 11),
        );
        let due = find(&ds, DeadlineKind::DnaRequest).due;
        assert_eq!(
            crate::time::local_date(due.timestamp_millis()),
            NaiveDate::from_ymd_opt(2026, 10, 14)
        );
    }

    #[test]
    fn an_unidentified_person_past_three_months_shows_settlement_overdue() {
        let cal = WorkCalendar::national();
        let f = unidentified(at(2026, 6, 1, 10));
        let ds = deadlines(&f, &cal, at(2026, 9, 2, 10));
        assert_eq!(
            find(&ds, DeadlineKind::Settlement).status,
            DeadlineStatus::Overdue
        );
        assert_eq!(
            find(&ds, DeadlineKind::StayExtension).status,
            DeadlineStatus::Overdue
        );
        let identified = StayFacts {
            unidentified: false,
            ..f
        };
        assert!(deadlines(&identified, &cal, at(2026, 9, 2, 10))
            .iter()
            .all(|d| d.kind == DeadlineKind::StayExtension));
    }

    #[test]
    fn children_and_people_with_mental_disability_have_no_ten_day_limit() {
        let cal = WorkCalendar::national();
        let child = StayFacts {
            age: Some(12),
            ..unidentified(at(2026, 6, 1, 10))
        };
        assert!(!deadlines(&child, &cal, at(2026, 6, 20, 0))
            .iter()
            .any(|d| d.kind == DeadlineKind::StayExtension));
        let ill = StayFacts {
            mental_or_intellectual: true,
            ..unidentified(at(2026, 6, 1, 10))
        };
        assert!(!deadlines(&ill, &cal, at(2026, 6, 20, 0))
            .iter()
            .any(|d| d.kind == DeadlineKind::StayExtension));
    }

    #[test]
    fn the_notice_update_comes_round_every_month() {
        let cal = WorkCalendar::national();
        let f = StayFacts {
            notice_updated_at: Some(at(2026, 7, 20, 10)),
            ..unidentified(at(2026, 6, 1, 10))
        };
        let due = find(
            &deadlines(&f, &cal, at(2026, 8, 1, 0)),
            DeadlineKind::NoticeUpdate,
        )
        .due;
        assert_eq!(
            crate::time::local_date(due.timestamp_millis()),
            NaiveDate::from_ymd_opt(2026, 8, 20)
        );
    }

    #[test]
    fn nothing_is_due_after_departure() {
        let f = StayFacts {
            in_station: false,
            ..unidentified(at(2026, 6, 1, 10))
        };
        assert!(deadlines(&f, &WorkCalendar::national(), at(2026, 12, 1, 0)).is_empty());
    }
}
