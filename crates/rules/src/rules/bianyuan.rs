//! 低保边缘家庭 (near-threshold households) identification.
//!
//! v1: not eligible for 低保 by income (家庭月收入 ≥ 标准 × 人数), income
//! strictly below 系数 (1.5) × 标准 × 人数, and asset tests with the wider
//! 低保边缘 deposit limit. Identification only: amount is 0 because support
//! comes through 专项救助 (medical, education, housing…), not cash.

use super::{Household, Trace};
use crate::date::Date;
use crate::decision::{Decision, Explanation, FactValue, Item, ReasonCode, RuleError};
use crate::money::{Fen, RoundingMode};
use crate::params::ParameterSet;

pub const RULE_ID: &str = "dibao_bianyuan";
pub const RULE_VERSION: u32 = 1;

/// Evaluate 低保边缘 with the current rule version.
pub fn evaluate_bianyuan(
    params: &ParameterSet,
    household: &Household,
    date: Date,
) -> Result<Decision, RuleError> {
    evaluate_bianyuan_version(RULE_VERSION, params, household, date)
}

/// Evaluate with an explicit rule version.
pub fn evaluate_bianyuan_version(
    version: u32,
    params: &ParameterSet,
    h: &Household,
    date: Date,
) -> Result<Decision, RuleError> {
    if version != 1 {
        return Err(RuleError::UnknownRuleVersion {
            rule: RULE_ID,
            version,
        });
    }
    h.validate()?;
    let p = params.resolve(h.region, date)?;
    let std_p = p.dibao_standard(h.area);
    let factor = p.bianyuan_income_factor.value.0;
    let months = p.bianyuan_deposit_months.value.0 as i64;
    let mut t = Trace::new();
    for u in [
        std_p.to_use(),
        p.bianyuan_income_factor.to_use(),
        p.bianyuan_deposit_months.to_use(),
        p.max_houses.to_use(),
        p.vehicle_value_cap.to_use(),
        p.exclude_business_registration.to_use(),
    ] {
        t.param(u);
    }
    let s = std_p.value.0;
    let total = s.checked_mul_int(h.members as i64)?;
    // Exact comparison income < factor × total without rounding the line:
    // income × 10000 < total × factor_bp.
    let line_num = (total.0 as i128) * (factor.0 as i128);
    let income_num = (h.monthly_income.0 as i128) * 10_000;
    let line_display = total.mul_ratio(factor, RoundingMode::Up)?;
    let limit = total.checked_mul_int(months)?;
    let mut reasons = Vec::new();
    if h.monthly_income < total {
        reasons.push(ReasonCode::EligibleForDibaoInstead);
    }
    if income_num >= line_num {
        reasons.push(ReasonCode::IncomeNotBelowNearPoorLine);
    }
    if h.financial_assets > limit {
        reasons.push(ReasonCode::FinancialAssetsOverLimit);
    }
    if h.houses > p.max_houses.value.0 {
        reasons.push(ReasonCode::ExcessHousing);
    }
    if h.vehicle_value > p.vehicle_value_cap.value.0 {
        reasons.push(ReasonCode::VehicleOverLimit);
    }
    if p.exclude_business_registration.value.0 && h.has_business {
        reasons.push(ReasonCode::BusinessRegistered);
    }
    t.step(
        "standard_total",
        FactValue::Money(total),
        format!("低保标准 {s} × 人数 {} = {total}", h.members),
    );
    t.step(
        "near_poor_line",
        FactValue::Money(line_display),
        format!(
            "{total} × {factor} = {line_display}（比较时不取整：收入须严格低于 {total} × {factor}）"
        ),
    );
    t.step(
        "income_in_band",
        FactValue::Bool(h.monthly_income >= total && income_num < line_num),
        format!("{total} ≤ 家庭月收入 {} < 收入线", h.monthly_income),
    );
    t.step(
        "financial_asset_limit",
        FactValue::Money(limit),
        format!(
            "{total} × {months} 个月 = {limit}；家庭金融资产 {}",
            h.financial_assets
        ),
    );
    Ok(Decision {
        item: Item::DibaoBianyuan,
        eligible: reasons.is_empty(),
        amount_fen: Fen::ZERO,
        reason_codes: reasons,
        rules_version: crate::RULES_VERSION.to_string(),
        explanation: Explanation {
            rule_id: RULE_ID.to_string(),
            rule_version: 1,
            evaluation_date: date,
            region: h.region,
            area: Some(h.area),
            parameter_source: params.source().to_string(),
            parameters: t.params.into(),
            inputs: h.input_facts(),
            steps: t.steps,
        },
    })
}
