//! 刚性支出困难家庭 (hardship from unavoidable spending) identification.
//!
//! v1: not already 低保/特困/低保边缘; 12-month household income per capita
//! below last year's local 人均可支配收入 (compared exactly on totals:
//! income < PCDI × members); 刚性支出 (living + medical + education +
//! rehabilitation, previous 12 months) strictly above the local share of
//! income; asset tests as for 低保边缘. Identification only (amount 0).

use super::{check_money, ExistingStatus, RigidSpending, Trace};
use crate::date::Date;
use crate::decision::{
    Decision, Explanation, Fact, FactValue, InputError, Item, ReasonCode, RuleError,
};
use crate::money::Fen;
use crate::params::ParameterSet;
use crate::region::{Area, RegionCode};
use serde::{Deserialize, Serialize};

pub const RULE_ID: &str = "gangxing_zhichu";
pub const RULE_VERSION: u32 = 1;

/// Household data for the 刚性支出 rule (12-month totals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RigidSpendingHousehold {
    pub region: RegionCode,
    pub area: Area,
    pub members: u32,
    pub existing_status: ExistingStatus,
    /// 申请前12个月家庭总收入
    pub income_12m: Fen,
    pub spending_12m: RigidSpending,
    pub financial_assets: Fen,
    pub houses: u32,
    pub vehicle_value: Fen,
    pub has_business: bool,
}

impl RigidSpendingHousehold {
    pub fn validate(&self) -> Result<(), InputError> {
        if self.members == 0 || self.members > 100 {
            return Err(InputError::new("members", "must be between 1 and 100"));
        }
        check_money("income_12m", self.income_12m)?;
        check_money("spending_12m.living", self.spending_12m.living)?;
        check_money("spending_12m.medical", self.spending_12m.medical)?;
        check_money("spending_12m.education", self.spending_12m.education)?;
        check_money(
            "spending_12m.rehabilitation",
            self.spending_12m.rehabilitation,
        )?;
        check_money("financial_assets", self.financial_assets)?;
        check_money("vehicle_value", self.vehicle_value)?;
        Ok(())
    }
}

/// Evaluate 刚性支出困难 with the current rule version.
pub fn evaluate_gangxing(
    params: &ParameterSet,
    household: &RigidSpendingHousehold,
    date: Date,
) -> Result<Decision, RuleError> {
    evaluate_gangxing_version(RULE_VERSION, params, household, date)
}

/// Evaluate with an explicit rule version.
pub fn evaluate_gangxing_version(
    version: u32,
    params: &ParameterSet,
    h: &RigidSpendingHousehold,
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
    let mut t = Trace::new();
    for u in [
        p.per_capita_disposable_income.to_use(),
        p.rigid_spending_share.to_use(),
        std_p.to_use(),
        p.bianyuan_deposit_months.to_use(),
        p.max_houses.to_use(),
        p.vehicle_value_cap.to_use(),
        p.exclude_business_registration.to_use(),
    ] {
        t.param(u);
    }
    let m = h.members as i64;
    let pcdi = p.per_capita_disposable_income.value.0;
    let income_line = pcdi.checked_mul_int(m)?;
    let sp = h.spending_12m;
    let spending = sp
        .living
        .checked_add(sp.medical)?
        .checked_add(sp.education)?
        .checked_add(sp.rehabilitation)?;
    let share = p.rigid_spending_share.value.0;
    // spending > share × income, exactly: spending × 10000 > income × bp.
    let above = (spending.0 as i128) * 10_000 > (h.income_12m.0 as i128) * (share.0 as i128);
    let limit = std_p
        .value
        .0
        .checked_mul_int(m)?
        .checked_mul_int(p.bianyuan_deposit_months.value.0 as i64)?;

    let mut reasons = Vec::new();
    if h.existing_status != ExistingStatus::None {
        reasons.push(ReasonCode::AlreadyAssisted);
    }
    if h.income_12m >= income_line {
        reasons.push(ReasonCode::IncomeNotBelowDisposableIncome);
    }
    if !above {
        reasons.push(ReasonCode::RigidSpendingNotAboveShare);
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
        "income_line",
        FactValue::Money(income_line),
        format!(
            "人均可支配收入 {pcdi} × 人数 {m} = {income_line}；12个月家庭收入 {}",
            h.income_12m
        ),
    );
    t.step(
        "rigid_spending_total",
        FactValue::Money(spending),
        format!(
            "生活 {} + 医疗 {} + 教育 {} + 康复 {} = {spending}",
            sp.living, sp.medical, sp.education, sp.rehabilitation
        ),
    );
    t.step(
        "spending_above_share",
        FactValue::Bool(above),
        format!("{spending} > {} × {share} ?", h.income_12m),
    );
    t.step(
        "financial_asset_limit",
        FactValue::Money(limit),
        format!("家庭金融资产 {}", h.financial_assets),
    );
    let inputs = vec![
        Fact::new("members", FactValue::Int(m)),
        Fact::new(
            "existing_status",
            FactValue::Text(format!("{:?}", h.existing_status).to_lowercase()),
        ),
        Fact::new("income_12m", FactValue::Money(h.income_12m)),
        Fact::new("spending_12m.living", FactValue::Money(sp.living)),
        Fact::new("spending_12m.medical", FactValue::Money(sp.medical)),
        Fact::new("spending_12m.education", FactValue::Money(sp.education)),
        Fact::new(
            "spending_12m.rehabilitation",
            FactValue::Money(sp.rehabilitation),
        ),
        Fact::new("financial_assets", FactValue::Money(h.financial_assets)),
        Fact::new("houses", FactValue::Int(h.houses as i64)),
        Fact::new("vehicle_value", FactValue::Money(h.vehicle_value)),
        Fact::new("has_business", FactValue::Bool(h.has_business)),
    ];
    Ok(Decision {
        item: Item::GangxingZhichu,
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
            inputs,
            steps: t.steps,
        },
    })
}
