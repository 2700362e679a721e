//! 最低生活保障 (低保): eligibility and monthly benefit.
//!
//! v1 semantics:
//! * eligible iff 家庭月收入 < 低保标准 × 人数 (i.e. per-capita income below
//!   the standard, compared exactly on totals) and all asset tests pass;
//! * 低保金 = (标准 × 人数 − 家庭月收入) + Σ 特殊类别增发 (标准 × 比例 per
//!   member, each rounded half-up to 分), then the regional rounding, then
//!   the 最低发放额 floor.
//!
//! The numeric core ([`DibaoNumbers`] and the private `dibao_calc`) is shared with the
//! bulk evaluator so the two cannot drift apart.

use super::{Household, Trace};
use crate::date::Date;
use crate::decision::{Decision, Explanation, FactValue, Item, ReasonCode, RuleError};
use crate::money::{BasisPoints, Fen, MoneyError, Rounding, RoundingMode};
use crate::params::{ParamUse, ParameterSet, ResolvedParams};
use crate::region::Area;
use std::sync::Arc;

pub const RULE_ID: &str = "dibao";
/// Current version of the 低保 rule.
pub const RULE_VERSION: u32 = 1;

/// The parameter values the 低保 rule needs, as plain integers, for one
/// (region, area, date). Precomputed once per region in bulk runs; public so
/// peers (SQL, OpenFisca benchmarks) can be fed exactly the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DibaoNumbers {
    pub standard: i64,
    pub deposit_months: i64,
    pub max_houses: u32,
    pub vehicle_cap: i64,
    pub exclude_business: bool,
    pub rounding: Rounding,
    pub minimum: i64,
    /// Per-member add-on amounts (分), already rounded.
    pub addon_disability: i64,
    pub addon_elderly: i64,
    pub addon_minor: i64,
}

impl DibaoNumbers {
    pub fn from_params(p: &ResolvedParams, area: Area) -> Result<DibaoNumbers, MoneyError> {
        let s = p.dibao_standard(area).value.0;
        let addon = |r: BasisPoints| s.mul_ratio(r, RoundingMode::HalfUp).map(|f| f.0);
        Ok(DibaoNumbers {
            standard: s.0,
            deposit_months: p.dibao_deposit_months.value.0 as i64,
            max_houses: p.max_houses.value.0,
            vehicle_cap: p.vehicle_value_cap.value.0 .0,
            exclude_business: p.exclude_business_registration.value.0,
            rounding: p.dibao_rounding.value,
            minimum: p.dibao_minimum_benefit.value.0 .0,
            addon_disability: addon(p.addon_severe_disability.value.0)?,
            addon_elderly: addon(p.addon_elderly.value.0)?,
            addon_minor: addon(p.addon_minor.value.0)?,
        })
    }
}

/// Household data in the integer form used by the core.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DibaoRow {
    pub members: i64,
    pub income: i64,
    pub assets: i64,
    pub houses: u32,
    pub vehicle: i64,
    pub business: bool,
    pub severe_disability: i64,
    pub elderly: i64,
    pub minors: i64,
}

/// All intermediate values of one evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DibaoCalc {
    pub standard_total: i64,
    pub asset_limit: i64,
    pub gap: i64,
    pub addon_total: i64,
    pub before_rounding: i64,
    pub rounded: i64,
    pub minimum_applied: bool,
    pub amount: i64,
    pub reasons: u16,
}

impl DibaoCalc {
    pub fn eligible(&self) -> bool {
        self.reasons == 0
    }
}

const OVF: MoneyError = MoneyError::Overflow;

/// The 低保 v1 computation. No allocation: called per household in bulk.
#[inline]
pub(crate) fn dibao_calc(n: &DibaoNumbers, h: &DibaoRow) -> Result<DibaoCalc, MoneyError> {
    let mut c = DibaoCalc {
        standard_total: n.standard.checked_mul(h.members).ok_or(OVF)?,
        ..DibaoCalc::default()
    };
    c.asset_limit = c.standard_total.checked_mul(n.deposit_months).ok_or(OVF)?;
    let mut reasons = 0u16;
    if h.income >= c.standard_total {
        reasons |= R_INCOME;
    }
    if h.assets > c.asset_limit {
        reasons |= R_ASSETS;
    }
    if h.houses > n.max_houses {
        reasons |= R_HOUSING;
    }
    if h.vehicle > n.vehicle_cap {
        reasons |= R_VEHICLE;
    }
    if n.exclude_business && h.business {
        reasons |= R_BUSINESS;
    }
    c.reasons = reasons;
    if reasons != 0 {
        return Ok(c);
    }
    c.gap = c.standard_total - h.income; // > 0 since income < standard_total
    c.addon_total = n
        .addon_disability
        .checked_mul(h.severe_disability)
        .and_then(|a| n.addon_elderly.checked_mul(h.elderly)?.checked_add(a))
        .and_then(|a| n.addon_minor.checked_mul(h.minors)?.checked_add(a))
        .ok_or(OVF)?;
    c.before_rounding = c.gap.checked_add(c.addon_total).ok_or(OVF)?;
    c.rounded = Fen(c.before_rounding).round(n.rounding)?.0;
    if c.rounded < n.minimum {
        c.minimum_applied = true;
        c.amount = n.minimum;
    } else {
        c.amount = c.rounded;
    }
    Ok(c)
}

const R_INCOME: u16 = 1 << 0;
const R_ASSETS: u16 = 1 << 1;
const R_HOUSING: u16 = 1 << 2;
const R_VEHICLE: u16 = 1 << 3;
const R_BUSINESS: u16 = 1 << 4;

impl DibaoRow {
    pub fn from_household(h: &Household) -> DibaoRow {
        DibaoRow {
            members: h.members as i64,
            income: h.monthly_income.0,
            assets: h.financial_assets.0,
            houses: h.houses,
            vehicle: h.vehicle_value.0,
            business: h.has_business,
            severe_disability: h.special.severe_disability as i64,
            elderly: h.special.elderly as i64,
            minors: h.special.minors as i64,
        }
    }
}

/// Evaluate 低保 for one household on `date` with the current rule version.
pub fn evaluate_dibao(
    params: &ParameterSet,
    household: &Household,
    date: Date,
) -> Result<Decision, RuleError> {
    evaluate_dibao_version(RULE_VERSION, params, household, date)
}

/// Evaluate with an explicit rule version (for reproducing old decisions).
pub fn evaluate_dibao_version(
    version: u32,
    params: &ParameterSet,
    household: &Household,
    date: Date,
) -> Result<Decision, RuleError> {
    match version {
        1 => {
            household.validate()?;
            let p = params.resolve(household.region, date)?;
            let n = DibaoNumbers::from_params(&p, household.area)?;
            let calc = dibao_calc(&n, &DibaoRow::from_household(household))?;
            let uses = param_uses(&p, household.area);
            Ok(decision_v1(params, &p, household, &n, &calc, uses))
        }
        _ => Err(RuleError::UnknownRuleVersion {
            rule: RULE_ID,
            version,
        }),
    }
}

/// The parameters the 低保 rule reads, in explanation order.
pub(crate) fn param_uses(p: &ResolvedParams, area: Area) -> Arc<[ParamUse]> {
    vec![
        p.dibao_standard(area).to_use(),
        p.dibao_deposit_months.to_use(),
        p.max_houses.to_use(),
        p.vehicle_value_cap.to_use(),
        p.exclude_business_registration.to_use(),
        p.addon_severe_disability.to_use(),
        p.addon_elderly.to_use(),
        p.addon_elderly_age.to_use(),
        p.addon_minor.to_use(),
        p.addon_minor_age.to_use(),
        p.dibao_rounding.to_use(),
        p.dibao_minimum_benefit.to_use(),
    ]
    .into()
}

/// Build the decision and its explanation from a finished calculation.
/// Used by the bulk evaluator for changed households.
pub(crate) fn decision_v1(
    params: &ParameterSet,
    p: &ResolvedParams,
    h: &Household,
    n: &DibaoNumbers,
    c: &DibaoCalc,
    parameters: Arc<[ParamUse]>,
) -> Decision {
    let mut t = Trace::new();
    let s = Fen(n.standard);
    t.step(
        "standard_total",
        FactValue::Money(Fen(c.standard_total)),
        format!(
            "低保标准 {s} × 人数 {} = {}",
            h.members,
            Fen(c.standard_total)
        ),
    );
    t.step(
        "income_below_standard_total",
        FactValue::Bool(h.monthly_income.0 < c.standard_total),
        format!(
            "家庭月收入 {} {} 标准合计 {}",
            h.monthly_income,
            if h.monthly_income.0 < c.standard_total {
                "<"
            } else {
                "≥"
            },
            Fen(c.standard_total)
        ),
    );
    t.step(
        "financial_asset_limit",
        FactValue::Money(Fen(c.asset_limit)),
        format!(
            "标准合计 {} × {} 个月 = {}；家庭金融资产 {}",
            Fen(c.standard_total),
            n.deposit_months,
            Fen(c.asset_limit),
            h.financial_assets
        ),
    );
    if c.eligible() {
        t.step(
            "gap",
            FactValue::Money(Fen(c.gap)),
            format!(
                "{} − {} = {}",
                Fen(c.standard_total),
                h.monthly_income,
                Fen(c.gap)
            ),
        );
        t.step(
            "addon_total",
            FactValue::Money(Fen(c.addon_total)),
            format!(
                "重度残疾 {} × {} + 高龄 {} × {} + 未成年 {} × {} = {}",
                h.special.severe_disability,
                Fen(n.addon_disability),
                h.special.elderly,
                Fen(n.addon_elderly),
                h.special.minors,
                Fen(n.addon_minor),
                Fen(c.addon_total)
            ),
        );
        t.step(
            "before_rounding",
            FactValue::Money(Fen(c.before_rounding)),
            format!("{} + {}", Fen(c.gap), Fen(c.addon_total)),
        );
        t.step(
            "after_rounding",
            FactValue::Money(Fen(c.rounded)),
            format!("{} ({})", Fen(c.rounded), n.rounding),
        );
        t.step(
            "minimum_applied",
            FactValue::Bool(c.minimum_applied),
            format!("最低发放额 {}", Fen(n.minimum)),
        );
        t.step(
            "amount",
            FactValue::Money(Fen(c.amount)),
            format!("月低保金 {}", Fen(c.amount)),
        );
    }
    let reasons = ReasonCode::from_mask(c.reasons);
    Decision {
        item: Item::Dibao,
        eligible: c.eligible(),
        amount_fen: Fen(c.amount),
        reason_codes: reasons,
        rules_version: crate::RULES_VERSION.to_string(),
        explanation: Explanation {
            rule_id: RULE_ID.to_string(),
            rule_version: 1,
            evaluation_date: p.date,
            region: h.region,
            area: Some(h.area),
            parameter_source: params.source().to_string(),
            parameters,
            inputs: h.input_facts(),
            steps: t.steps,
        },
    }
}
