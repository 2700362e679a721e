//! Money, always in integer 分 (fen). Floating point never touches an amount.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("money_invalid")]
    Invalid,
    #[error("money_overflow")]
    Overflow,
}

/// An amount in fen (1 元 = 100 分). Arithmetic that could overflow is checked.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Parses what a person types into a 元 field: `1234`, `1,234.5`, `¥1234.56`, `-3.2`.
    /// More than two decimals is an error rather than a silent rounding.
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        let t = input.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let s: String = t
            .trim_start_matches('¥')
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let s = s.as_str();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() || whole.len() > 15 || frac.len() > 2 {
            return Err(MoneyError::Invalid);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Invalid)?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}")
                .parse()
                .map_err(|_| MoneyError::Invalid)?
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Fen(if neg { -fen } else { fen }))
    }

    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }

    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }

    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The form a person reads: `¥1,234.56`.
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}¥{grouped}.{:02}", abs % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0.checked_add(o.0).expect("money overflow"))
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        *self = *self + o;
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0.checked_sub(o.0).expect("money overflow"))
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        *self = *self - o;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}
impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("1234"), Ok(Fen(123_400)));
        assert_eq!(Fen::parse_yuan("¥1,234.5"), Ok(Fen(123_450)));
        assert_eq!(Fen::parse_yuan("20元"), Ok(Fen(2_000)));
        assert_eq!(Fen::parse_yuan("-0.07"), Ok(Fen(-7)));
        for bad in ["", "1.234", "abc", "1e3", "--1", ".5", "１２"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_with_grouping() {
        assert_eq!(Fen(123_456).display(), "¥1,234.56");
        assert_eq!(Fen(5).display(), "¥0.05");
        assert_eq!(Fen(-100_000_000).display(), "-¥1,000,000.00");
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(f in -10_000_000_000_000i64..10_000_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(f).display()), Ok(Fen(f)));
        }

        #[test]
        fn sums_are_exact(xs in proptest::collection::vec(-100_000_000_i64..100_000_000, 0..50)) {
            let total: Fen = xs.iter().map(|x| Fen(*x)).sum();
            prop_assert_eq!(total.0, xs.iter().sum::<i64>());
        }
    }
}
