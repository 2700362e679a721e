//! 地方设置: the station rules the regulations leave to local practice, as dated regional
//! settings with the national default. Loaded strictly: an unknown key, a missing
//! reference or two entries for one region on one date is an error, never ignored.

use crate::case::ExitRules;
use crate::follow_up::{After, FollowUpKind, Schedule};
use crate::money::Fen;
use crate::region::RegionCode;
use chrono::NaiveDate;
use serde::Deserialize;

pub const STATION_TOML: &str = include_str!("../../../reference/settings/station.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("settings_syntax: {0}")]
    Syntax(String),
    #[error("settings_invalid: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    region: String,
    from: String,
    reference: String,
    dna_request_working_days: u32,
    self_discharge_min_age: u32,
    cash_limit_fen: i64,
    minors_only_with_guardian: bool,
    follow_up_after_days: Vec<u32>,
    repeat_help_window_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entry: Vec<EntryFile>,
}

/// The settings in force for one region on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSettings {
    pub region: RegionCode,
    pub from: NaiveDate,
    pub reference: String,
    pub dna_request_working_days: u32,
    pub exit: ExitRules,
    pub follow_up: Schedule,
    /// Someone back within this many days is generally not helped again (0: no such rule);
    /// minors and people with mental or intellectual disability excepted.
    pub repeat_help_window_days: u32,
}

impl StationSettings {
    /// Whether someone whose last stay ended at `last_departed` is back within the local
    /// repeat-help window (a warning for staff: minors and people with mental or
    /// intellectual disability are helped regardless, and staff decide).
    pub fn is_repeat_request(
        &self,
        last_departed: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.repeat_help_window_days > 0
            && last_departed.is_some_and(|d| {
                d <= now && (now - d).num_days() < self.repeat_help_window_days as i64
            })
    }
}

#[derive(Debug, Clone)]
pub struct SettingsBook {
    entries: Vec<StationSettings>,
}

impl SettingsBook {
    pub fn shipped() -> SettingsBook {
        SettingsBook::parse(STATION_TOML).expect("the shipped settings are valid")
    }

    pub fn parse(text: &str) -> Result<SettingsBook, SettingsError> {
        let file: File =
            toml::from_str(text).map_err(|e| SettingsError::Syntax(e.message().to_string()))?;
        let mut entries = Vec::new();
        for e in file.entry {
            let region = RegionCode::try_from(e.region.clone())
                .map_err(|_| SettingsError::Invalid(format!("region {}", e.region)))?;
            let from = NaiveDate::parse_from_str(&e.from, "%Y-%m-%d")
                .map_err(|_| SettingsError::Invalid(format!("from {}", e.from)))?;
            if e.reference.trim().is_empty() {
                return Err(SettingsError::Invalid(format!(
                    "{region} {from}: reference missing"
                )));
            }
            if e.dna_request_working_days == 0
                || e.dna_request_working_days > 60
                || e.cash_limit_fen < 0
                || e.self_discharge_min_age > 18
            {
                return Err(SettingsError::Invalid(format!(
                    "{region} {from}: value out of range"
                )));
            }
            if entries
                .iter()
                .any(|x: &StationSettings| x.region == region && x.from == from)
            {
                return Err(SettingsError::Invalid(format!("{region} {from}: twice")));
            }
            entries.push(StationSettings {
                region,
                from,
                reference: e.reference,
                dna_request_working_days: e.dna_request_working_days,
                exit: ExitRules {
                    self_discharge_min_age: e.self_discharge_min_age,
                    cash_limit: Fen(e.cash_limit_fen),
                    minors_only_with_guardian: e.minors_only_with_guardian,
                },
                follow_up: Schedule(
                    e.follow_up_after_days
                        .iter()
                        .enumerate()
                        // The middle visit is at home; the others by phone.
                        .map(|(i, d)| {
                            (
                                After::Days(*d),
                                if i == 1 {
                                    FollowUpKind::Home
                                } else {
                                    FollowUpKind::Phone
                                },
                            )
                        })
                        .collect(),
                ),
                repeat_help_window_days: e.repeat_help_window_days,
            });
        }
        if !entries.iter().any(|e| e.region.is_nation()) {
            return Err(SettingsError::Invalid("no national default".into()));
        }
        Ok(SettingsBook { entries })
    }

    /// The nearest region's latest entry in force on `on`, else the national default.
    pub fn for_region(&self, region: &RegionCode, on: NaiveDate) -> &StationSettings {
        let mut chain = region.ancestry();
        chain.push(RegionCode::nation());
        for r in &chain {
            if let Some(e) = self
                .entries
                .iter()
                .filter(|e| &e.region == r && e.from <= on)
                .max_by_key(|e| e.from)
            {
                return e;
            }
        }
        self.entries
            .iter()
            .filter(|e| e.region.is_nation())
            .min_by_key(|e| e.from)
            .expect("checked at parse")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_nearest_region_in_force_wins() {
        let book = SettingsBook::shipped();
        let chengdu = RegionCode::parse("510104").unwrap();
        let lishui = RegionCode::parse("331102").unwrap();
        assert_eq!(
            book.for_region(&chengdu, d("2026-01-01"))
                .repeat_help_window_days,
            30
        );
        assert_eq!(
            book.for_region(&chengdu, d("2019-06-01"))
                .repeat_help_window_days,
            0,
            "not yet in force"
        );
        let national = book.for_region(&lishui, d("2026-01-01"));
        assert_eq!(national.dna_request_working_days, 7);
        assert_eq!(national.exit, ExitRules::default());
        assert_eq!(
            national.follow_up,
            Schedule(vec![
                (After::Days(7), FollowUpKind::Phone),
                (After::Days(30), FollowUpKind::Home),
                (After::Days(90), FollowUpKind::Phone)
            ])
        );
    }

    #[test]
    fn a_return_within_the_window_is_flagged_only_where_the_rule_exists() {
        use chrono::{Duration, Utc};
        let book = SettingsBook::shipped();
        let now = Utc::now();
        let sichuan = book.for_region(&RegionCode::parse("510104").unwrap(), now.date_naive());
        let zhejiang = book.for_region(&RegionCode::parse("331102").unwrap(), now.date_naive());
        assert!(sichuan.is_repeat_request(Some(now - Duration::days(20)), now));
        assert!(!sichuan.is_repeat_request(Some(now - Duration::days(40)), now));
        assert!(!sichuan.is_repeat_request(None, now));
        assert!(!zhejiang.is_repeat_request(Some(now - Duration::days(2)), now));
    }

    #[test]
    fn bad_files_are_refused() {
        let good = STATION_TOML.to_string();
        assert!(
            SettingsBook::parse(&good.replacen(
                "repeat_help_window_days = 0",
                "repeat_help_window_days = 0\ncash_limt_fen = 1",
                1
            ))
            .is_err(),
            "misspelt key"
        );
        assert!(
            SettingsBook::parse(&good.replacen(
                "reference = \"救助管理机构工作规程",
                "reference = \" \"\n#",
                1
            ))
            .is_err(),
            "blank reference"
        );
        assert!(
            SettingsBook::parse(&good.replace("region = \"000000\"", "region = \"330000\""))
                .is_err(),
            "no national default"
        );
        assert!(SettingsBook::parse(&good.replacen(
            "dna_request_working_days = 7",
            "dna_request_working_days = 0",
            1
        ))
        .is_err());
    }
}
