//! 返乡回访: after someone goes home, the home side visits or phones them on a schedule,
//! so they do not drift away again. The schedule is local practice [U]: a regional
//! setting whose national default is 7 days, 1 month and 3 months.

use crate::case::ExitKind;
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// 电话回访
    Phone,
    /// 入户回访
    Home,
}

impl FollowUpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Phone => "phone",
            FollowUpKind::Home => "home",
        }
    }
    pub fn parse(s: &str) -> Option<FollowUpKind> {
        match s {
            "phone" => Some(FollowUpKind::Phone),
            "home" => Some(FollowUpKind::Home),
            _ => None,
        }
    }
}

/// What a visit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 生活稳定
    Settled,
    /// 再次外出流浪
    LeftAgain,
    /// 已纳入社会救助
    ReferredToAssistance,
    /// 联系不上
    Unreachable,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[
        Outcome::Settled,
        Outcome::LeftAgain,
        Outcome::ReferredToAssistance,
        Outcome::Unreachable,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Settled => "settled",
            Outcome::LeftAgain => "left_again",
            Outcome::ReferredToAssistance => "referred_to_assistance",
            Outcome::Unreachable => "unreachable",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.iter().copied().find(|o| o.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum After {
    Days(u32),
    Months(u32),
}

/// The follow-up schedule of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule(pub Vec<(After, FollowUpKind)>);

impl Default for Schedule {
    fn default() -> Self {
        Schedule(vec![
            (After::Days(7), FollowUpKind::Phone),
            (After::Months(1), FollowUpKind::Home),
            (After::Months(3), FollowUpKind::Phone),
        ])
    }
}

/// Only people who went home are followed up; the others are someone else's to follow.
pub fn follows_up(exit: ExitKind) -> bool {
    matches!(
        exit,
        ExitKind::EscortedHome | ExitKind::CollectedByRelatives | ExitKind::SelfDischarge
    )
}

/// The visits due after leaving on `left`.
pub fn schedule(left: NaiveDate, s: &Schedule) -> Vec<(NaiveDate, FollowUpKind)> {
    s.0.iter()
        .filter_map(|(after, kind)| {
            let due = match after {
                After::Days(d) => left.checked_add_days(Days::new(*d as u64)),
                After::Months(m) => left.checked_add_months(Months::new(*m)),
            };
            due.map(|d| (d, *kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_a_week_a_month_and_three_months() {
        let left = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let dates: Vec<String> = schedule(left, &Schedule::default())
            .iter()
            .map(|(d, k)| format!("{d} {}", k.as_str()))
            .collect();
        // A month after 31 January is the last day of February.
        assert_eq!(
            dates,
            ["2026-02-07 phone", "2026-02-28 home", "2026-04-30 phone"]
        );
    }

    #[test]
    fn only_people_who_went_home_are_followed_up() {
        assert!(follows_up(ExitKind::EscortedHome));
        assert!(follows_up(ExitKind::CollectedByRelatives));
        assert!(!follows_up(ExitKind::Died));
        assert!(!follows_up(ExitKind::LeftWithoutNotice));
    }
}
