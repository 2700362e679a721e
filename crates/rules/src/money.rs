//! Money as integer 分 (fen): no floating point anywhere near amounts.
//!
//! Benefit law is written in 元 (yuan) with explicit rounding instructions
//! ("不足1元按1元计" etc.), so every rounding step is a named, explicit
//! [`Rounding`] and every ratio is an integer [`BasisPoints`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// Arithmetic overflow or a malformed money literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("money arithmetic overflow")]
    Overflow,
    #[error("invalid yuan amount {0:?}: expected e.g. \"1213\", \"1213.5\" or \"1213.05\"")]
    Parse(String),
    #[error(
        "invalid ratio {0:?}: expected a decimal with at most 4 places, e.g. \"1.5\" or \"0.3\""
    )]
    ParseRatio(String),
}

/// An amount of money in 分 (fen, 0.01 yuan). Signed so that differences
/// (e.g. standard − income) are representable; inputs are validated ≥ 0.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan to fen (checked).
    pub fn from_yuan(yuan: i64) -> Result<Fen, MoneyError> {
        yuan.checked_mul(100).map(Fen).ok_or(MoneyError::Overflow)
    }

    pub fn checked_add(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_add(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, o: Fen) -> Result<Fen, MoneyError> {
        self.0.checked_sub(o.0).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Multiply by an integer count (e.g. household members).
    pub fn checked_mul_int(self, k: i64) -> Result<Fen, MoneyError> {
        self.0.checked_mul(k).map(Fen).ok_or(MoneyError::Overflow)
    }

    /// Multiply by a ratio and round the result to whole fen with `mode`.
    /// Exact: computed in i128 before the single rounding step.
    pub fn mul_ratio(self, r: BasisPoints, mode: RoundingMode) -> Result<Fen, MoneyError> {
        let num = self.0 as i128 * r.0 as i128;
        let q = div_round(num, 10_000, mode);
        i64::try_from(q).map(Fen).map_err(|_| MoneyError::Overflow)
    }

    /// Round to the given unit (fen / 角 jiao / 元 yuan) with the given mode.
    pub fn round(self, rule: Rounding) -> Result<Fen, MoneyError> {
        let unit = rule.unit.fen_per_unit() as i128;
        let q = div_round(self.0 as i128, unit, rule.mode);
        i64::try_from(q * unit)
            .map(Fen)
            .map_err(|_| MoneyError::Overflow)
    }

    /// Parse a yuan decimal string with at most two decimals, exactly.
    /// Accepted: "1213", "1213.5", "1213.05", "-3.10". Rejected: "1,213", "1e3", "1.234".
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let err = || MoneyError::Parse(s.to_string());
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
        {
            return Err(err());
        }
        let i: i64 = int.parse().map_err(|_| err())?;
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| err())?
        };
        if frac.len() == 1 {
            f *= 10;
        }
        let v = i
            .checked_mul(100)
            .and_then(|v| v.checked_add(f))
            .ok_or(MoneyError::Overflow)?;
        Ok(Fen(if neg { -v } else { v }))
    }
}

impl fmt::Display for Fen {
    /// Renders as yuan with two decimals, e.g. `1213.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// A ratio in basis points (1/10000): 15000 = 1.5×, 3000 = 30 %.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct BasisPoints(pub i64);

impl BasisPoints {
    /// Parse a decimal ratio such as "1.5" or "0.3" (max 4 decimals) exactly.
    pub fn parse_ratio(s: &str) -> Result<BasisPoints, MoneyError> {
        let err = || MoneyError::ParseRatio(s.to_string());
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 4
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac.is_empty())
        {
            return Err(err());
        }
        let i: i64 = int.parse().map_err(|_| err())?;
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| err())?
        };
        for _ in frac.len()..4 {
            f *= 10;
        }
        i.checked_mul(10_000)
            .and_then(|v| v.checked_add(f))
            .map(BasisPoints)
            .ok_or(MoneyError::Overflow)
    }
}

impl fmt::Display for BasisPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        let frac = format!("{:04}", a % 10_000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{sign}{}", a / 10_000)
        } else {
            write!(f, "{sign}{}.{frac}", a / 10_000)
        }
    }
}

/// How to resolve a remainder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// 进位 / 不足一元按一元计: towards +∞ for positive amounts.
    Up,
    /// 四舍五入: half away from zero.
    HalfUp,
    /// 舍去: towards zero.
    Down,
}

/// The unit to round to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingUnit {
    /// 分
    Fen,
    /// 角 (0.1 yuan)
    Jiao,
    /// 元
    Yuan,
}

impl RoundingUnit {
    pub fn fen_per_unit(self) -> i64 {
        match self {
            RoundingUnit::Fen => 1,
            RoundingUnit::Jiao => 10,
            RoundingUnit::Yuan => 100,
        }
    }
}

/// A complete rounding instruction, e.g. "round up to whole yuan".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    pub mode: RoundingMode,
    pub unit: RoundingUnit,
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = match self.mode {
            RoundingMode::Up => "up",
            RoundingMode::HalfUp => "half_up",
            RoundingMode::Down => "down",
        };
        let u = match self.unit {
            RoundingUnit::Fen => "fen",
            RoundingUnit::Jiao => "jiao",
            RoundingUnit::Yuan => "yuan",
        };
        write!(f, "{m} to {u}")
    }
}

/// Integer division with an explicit rounding mode; `d > 0`.
/// Symmetric for negative numerators (Up = away from zero) so that
/// rounding a refund mirrors rounding a payment.
pub(crate) fn div_round(n: i128, d: i128, mode: RoundingMode) -> i128 {
    debug_assert!(d > 0);
    let q = n / d;
    let r = n % d;
    if r == 0 {
        return q;
    }
    let away = if n >= 0 { 1 } else { -1 };
    match mode {
        RoundingMode::Down => q,
        RoundingMode::Up => q + away,
        RoundingMode::HalfUp => {
            if 2 * r.abs() >= d {
                q + away
            } else {
                q
            }
        }
    }
}
