#![allow(dead_code)]
use jiuzhu_rules::*;

pub fn lishui() -> ParameterSet {
    ParameterSet::lishui_default()
}

pub fn d(y: i32, m: u8, day: u8) -> Date {
    Date::ymd(y, m, day)
}

pub fn rc(s: &str) -> RegionCode {
    s.parse().unwrap()
}

pub fn yuan(y: i64) -> Fen {
    Fen::from_yuan(y).unwrap()
}

/// A 莲都区 urban household with no assets and no special members.
pub fn household(members: u32, income: Fen) -> Household {
    Household {
        region: rc("331102"),
        area: Area::Urban,
        members,
        monthly_income: income,
        financial_assets: Fen::ZERO,
        houses: 1,
        vehicle_value: Fen::ZERO,
        has_business: false,
        special: SpecialCounts::default(),
    }
}

/// Build a minimal valid parameter file; `extra_root` is appended to the
/// root region table, `extra` after everything.
pub fn minimal_toml(extra_root: &str, extra: &str) -> String {
    format!(
        r#"
[meta]
schema_version = 1
title = "test"

[regions."331100"]
name = "丽水市"
dibao_standard_urban = [ {{ from = 2025-07-01, value = "1000.00", reference = "ref A" }}, {{ from = 2026-07-01, value = "1100.00", reference = "ref B" }} ]
dibao_standard_rural = [ {{ from = 2025-07-01, value = "800.00", reference = "ref C" }} ]
dibao_rounding = [ {{ from = 2025-01-01, value = {{ mode = "up", unit = "yuan" }}, reference = "r" }} ]
dibao_minimum_benefit = [ {{ from = 2025-01-01, value = "30", reference = "r" }} ]
dibao_deposit_months = [ {{ from = 2025-01-01, value = 24, reference = "r" }} ]
max_houses = [ {{ from = 2025-01-01, value = 1, reference = "r" }} ]
vehicle_value_cap = [ {{ from = 2025-01-01, value = "50000", reference = "r" }} ]
exclude_business_registration = [ {{ from = 2025-01-01, value = true, reference = "r" }} ]
addon_severe_disability = [ {{ from = 2025-01-01, value = "0.3", reference = "r" }} ]
addon_elderly = [ {{ from = 2025-01-01, value = "0.2", reference = "r" }} ]
addon_elderly_age = [ {{ from = 2025-01-01, value = 80, reference = "r" }} ]
addon_minor = [ {{ from = 2025-01-01, value = "0.2", reference = "r" }} ]
addon_minor_age = [ {{ from = 2025-01-01, value = 18, reference = "r" }} ]
bianyuan_income_factor = [ {{ from = 2025-01-01, value = "1.5", reference = "r" }} ]
bianyuan_deposit_months = [ {{ from = 2025-01-01, value = 36, reference = "r" }} ]
rigid_spending_share = [ {{ from = 2025-01-01, value = "0.5", reference = "r" }} ]
per_capita_disposable_income = [ {{ from = 2025-01-01, value = "48000", reference = "r" }} ]
tekun_elderly_age = [ {{ from = 2025-01-01, value = 60, reference = "r" }} ]
tekun_minor_age = [ {{ from = 2025-01-01, value = 16, reference = "r" }} ]
tekun_basic_factor = [ {{ from = 2025-01-01, value = "1.3", reference = "r" }} ]
linshi_cap_months = [ {{ from = 2025-01-01, value = 10, reference = "r" }} ]
linshi_township_cap = [ {{ from = 2025-01-01, value = "5000", reference = "r" }} ]
{extra_root}

[regions."331102"]
name = "莲都区"
parent = "331100"
{extra}
"#
    )
}
