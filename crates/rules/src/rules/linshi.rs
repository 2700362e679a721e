//! 临时救助 (temporary assistance) amount suggestion and approval level.
//!
//! v1: suggested amount = the uncovered need, rounded with the 低保 rounding
//! rule, capped at `linshi_cap_months` × the monthly 低保 standard. Amounts
//! up to `linshi_township_cap` (inclusive) can be approved by the 乡镇
//! (街道); above that the 县级民政部门 approves. Both 急难型 and 支出型 use the
//! same cap here; 急难型 additionally allows 先行救助 (help first, paperwork
//! after), recorded in the explanation for staff.

use super::{check_money, TemporaryKind, TemporaryRequest, Trace};
use crate::date::Date;
use crate::decision::{Decision, Explanation, Fact, FactValue, Item, ReasonCode, RuleError};
use crate::money::Fen;
use crate::params::ParameterSet;

pub const RULE_ID: &str = "linshi";
pub const RULE_VERSION: u32 = 1;

/// Evaluate 临时救助 with the current rule version.
pub fn evaluate_linshi(
    params: &ParameterSet,
    request: &TemporaryRequest,
    date: Date,
) -> Result<Decision, RuleError> {
    evaluate_linshi_version(RULE_VERSION, params, request, date)
}

/// Evaluate with an explicit rule version.
pub fn evaluate_linshi_version(
    version: u32,
    params: &ParameterSet,
    r: &TemporaryRequest,
    date: Date,
) -> Result<Decision, RuleError> {
    if version != 1 {
        return Err(RuleError::UnknownRuleVersion {
            rule: RULE_ID,
            version,
        });
    }
    check_money("uncovered_need", r.uncovered_need)?;
    let p = params.resolve(r.region, date)?;
    let std_p = p.dibao_standard(r.area);
    let mut t = Trace::new();
    for u in [
        std_p.to_use(),
        p.linshi_cap_months.to_use(),
        p.linshi_township_cap.to_use(),
        p.dibao_rounding.to_use(),
    ] {
        t.param(u);
    }
    let s = std_p.value.0;
    let months = p.linshi_cap_months.value.0 as i64;
    let cap = s.checked_mul_int(months)?;
    let mut reasons = Vec::new();
    if r.uncovered_need.0 == 0 {
        reasons.push(ReasonCode::NoUncoveredNeed);
    }
    t.step(
        "cap",
        FactValue::Money(cap),
        format!("低保标准 {s} × {months} = {cap}"),
    );
    let mut amount = Fen::ZERO;
    if reasons.is_empty() {
        let rounded = r.uncovered_need.round(p.dibao_rounding.value)?;
        amount = rounded.min(cap);
        t.step(
            "need_rounded",
            FactValue::Money(rounded),
            format!(
                "{} → {rounded} ({})",
                r.uncovered_need, p.dibao_rounding.value
            ),
        );
        t.step(
            "capped",
            FactValue::Bool(rounded > cap),
            format!("min({rounded}, {cap}) = {amount}"),
        );
        let township = p.linshi_township_cap.value.0;
        let level = if amount <= township {
            "township"
        } else {
            "county"
        };
        t.step(
            "approval_level",
            FactValue::Text(level.into()),
            format!(
                "{amount} {} 乡镇审批权限 {township}：{}",
                if amount <= township { "≤" } else { ">" },
                if amount <= township {
                    "乡镇（街道）审批"
                } else {
                    "报县级民政部门审批"
                }
            ),
        );
        if r.kind == TemporaryKind::Emergency {
            t.step(
                "prior_assistance_allowed",
                FactValue::Bool(true),
                "急难型可先行救助，事后补充说明情况".into(),
            );
        }
        t.step(
            "amount",
            FactValue::Money(amount),
            format!("建议救助金额 {amount}"),
        );
    }
    let inputs = vec![
        Fact::new(
            "kind",
            FactValue::Text(match r.kind {
                TemporaryKind::Emergency => "emergency".into(),
                TemporaryKind::Expenditure => "expenditure".into(),
            }),
        ),
        Fact::new("uncovered_need", FactValue::Money(r.uncovered_need)),
    ];
    Ok(Decision {
        item: Item::Linshi,
        eligible: reasons.is_empty(),
        amount_fen: amount,
        reason_codes: reasons,
        rules_version: crate::RULES_VERSION.to_string(),
        explanation: Explanation {
            rule_id: RULE_ID.to_string(),
            rule_version: 1,
            evaluation_date: date,
            region: r.region,
            area: Some(r.area),
            parameter_source: params.source().to_string(),
            parameters: t.params.into(),
            inputs,
            steps: t.steps,
        },
    })
}

/// Approval level helper for callers that only need the level.
pub fn approval_level(decision: &Decision) -> Option<&str> {
    match &decision.explanation.step("approval_level")?.value {
        FactValue::Text(s) => Some(s.as_str()),
        _ => None,
    }
}
