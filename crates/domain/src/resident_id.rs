//! 公民身份号码 (GB 11643-1999): the resident identity number.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 7064 MOD 11-2 weights for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum modulo 11.
const CHECK: [u8; 11] = *b"10X98765432";

/// 性别: sex as recorded on identity documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        match s {
            "male" | "m" | "男" => Some(Sex::Male),
            "female" | "f" | "女" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Why a string is not a resident identity number. Each variant is a stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("resident_id_length")]
    Length,
    #[error("resident_id_characters")]
    Characters,
    #[error("resident_id_region")]
    Region,
    #[error("resident_id_birth_date")]
    BirthDate,
    #[error("resident_id_check_digit")]
    CheckDigit,
}

/// A valid 18-character resident identity number: 6-digit region of first registration,
/// 8-digit birth date, 3-digit sequence (odd for men), and the check character.
///
/// Only [`ResidentId::parse`] builds one, so a value of this type is always valid.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId(String);

impl ResidentId {
    /// Parses an 18-character number, or upgrades a legacy 15-digit one (born 19xx).
    /// Surrounding spaces and a lower-case `x` are accepted because people type them.
    pub fn parse(input: &str) -> Result<ResidentId, ResidentIdError> {
        let s = input.trim().to_ascii_uppercase();
        if !s.is_ascii() {
            // Full-width digits and other look-alikes are refused rather than guessed at.
            return Err(if s.chars().count() == 18 || s.chars().count() == 15 {
                ResidentIdError::Characters
            } else {
                ResidentIdError::Length
            });
        }
        match s.len() {
            18 => {
                let (body, check) = s.split_at(17);
                if !body.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ResidentIdError::Characters);
                }
                if !(check.as_bytes()[0].is_ascii_digit() || check == "X") {
                    return Err(ResidentIdError::Characters);
                }
                validate_body(body)?;
                if check.as_bytes()[0] != check_char(body) {
                    return Err(ResidentIdError::CheckDigit);
                }
                Ok(ResidentId(s))
            }
            15 => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ResidentIdError::Characters);
                }
                let body = format!("{}19{}", &s[..6], &s[6..]);
                validate_body(&body)?;
                let check = check_char(&body) as char;
                Ok(ResidentId(format!("{body}{check}")))
            }
            _ => Err(ResidentIdError::Length),
        }
    }

    /// Builds a number from its parts, computing the check character. Used by generators
    /// of synthetic data; the parts are validated exactly as [`parse`](Self::parse) would.
    pub fn from_parts(
        region: &str,
        birth: NaiveDate,
        sequence: u16,
    ) -> Result<ResidentId, ResidentIdError> {
        if sequence > 999 {
            return Err(ResidentIdError::Characters);
        }
        let body = format!("{region}{}{sequence:03}", birth.format("%Y%m%d"));
        if body.len() != 17 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidentIdError::Characters);
        }
        validate_body(&body)?;
        let check = check_char(&body) as char;
        Ok(ResidentId(format!("{body}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit region where the number was first issued (not necessarily where the
    /// person lives now).
    pub fn region(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        parse_birth(&self.0[6..14]).expect("validated at parse")
    }

    /// The sequence's last digit is odd for men and even for women.
    pub fn sex(&self) -> Sex {
        if !(self.0.as_bytes()[16] - b'0').is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }

    /// The form shown in lists: `331102********1234`.
    pub fn masked(&self) -> String {
        crate::mask::resident_id(&self.0)
    }
}

/// Whole years between a birth date and a day.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

fn validate_body(body: &str) -> Result<(), ResidentIdError> {
    let province: u32 = body[..2].parse().map_err(|_| ResidentIdError::Region)?;
    // Province codes run from 11 (北京) to 82 (澳门); 10 and below are unused.
    if !(11..=82).contains(&province) {
        return Err(ResidentIdError::Region);
    }
    parse_birth(&body[6..14]).ok_or(ResidentIdError::BirthDate)?;
    Ok(())
}

fn parse_birth(digits: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?;
    (date.year() >= 1900).then_some(date)
}

fn check_char(body17: &str) -> u8 {
    let sum: u32 = body17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl fmt::Debug for ResidentId {
    /// Debug output is masked so that an identity number never reaches a log by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_published_example_number_is_valid() {
        // The worked example of GB 11643-1999 annex: 11010519491231002X.
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region(), "110105");
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(ResidentIdError::CheckDigit)
        );
    }

    #[test]
    fn impossible_birth_dates_and_regions_are_refused() {
        let bad_date =
            ResidentId::from_parts("331102", NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(), 1)
                .unwrap()
                .as_str()
                .replace("20000101", "20000230");
        assert_eq!(
            ResidentId::parse(&bad_date).unwrap_err(),
            ResidentIdError::BirthDate
        );
        assert_eq!(
            ResidentId::parse("091105194912310021"),
            Err(ResidentIdError::Region)
        );
        assert_eq!(
            ResidentId::parse("3311021990"),
            Err(ResidentIdError::Length)
        );
        assert_eq!(
            ResidentId::parse("33110219900101１２３4"),
            Err(ResidentIdError::Characters)
        );
        assert_eq!(
            ResidentId::parse("3311021990010112A4"),
            Err(ResidentIdError::Characters)
        );
    }

    #[test]
    fn a_fifteen_digit_number_upgrades_to_eighteen() {
        // 15-digit numbers were issued before 1999 and omit the century and check digit.
        let id = ResidentId::parse("110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn masking_keeps_region_and_last_four() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(110105********002X)");
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = NaiveDate::from_ymd_opt(2010, 6, 15).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()),
            15
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()),
            16
        );
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (1900i32..2026, 1u32..=12, 1u32..=31)
            .prop_filter_map("valid date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
    }

    proptest! {
        #[test]
        fn every_built_number_parses_back(date in arb_date(), seq in 0u16..1000, county in 1u32..99) {
            let region = format!("3311{county:02}");
            let id = ResidentId::from_parts(&region, date, seq).unwrap();
            let again = ResidentId::parse(id.as_str()).unwrap();
            prop_assert_eq!(&again, &id);
            prop_assert_eq!(again.birth_date(), date);
            prop_assert_eq!(again.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn changing_any_one_digit_breaks_the_check(date in arb_date(), seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let id = ResidentId::from_parts("331102", date, seq).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single-digit substitution; the altered number may
            // also fail for its region or date, but it is never accepted.
            prop_assert!(ResidentId::parse(&altered).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = ResidentId::parse(&s);
        }

        #[test]
        fn legacy_numbers_upgrade_to_the_same_person(date in (1900i32..2000, 1u32..=12, 1u32..=28), seq in 0u16..1000) {
            let (y, m, d) = date;
            let legacy = format!("331102{:02}{m:02}{d:02}{seq:03}", y % 100);
            let id = ResidentId::parse(&legacy).unwrap();
            prop_assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(y, m, d).unwrap());
            prop_assert_eq!(&id.as_str()[..6], "331102");
        }
    }
}
