//! 特困人员救助供养 (destitute persons) eligibility and basic living amount.
//!
//! v1: category — aged ≥ 60 (`tekun_elderly_age`) on the evaluation date,
//! or under 16 (`tekun_minor_age`), or severely disabled (智力/精神 一二级,
//! 肢体 一级); 本人月收入 below the local 低保 standard ("无劳动能力、无
//! 生活来源" read as income below the standard); and no legal supporter able
//! to support. Amount: 基本生活标准 = 低保标准 × 系数 (≥ 1.3), rounded with
//! the 低保 rounding rule. Care allowances (照料护理) are not covered.

use super::{check_money, TekunApplicant, Trace};
use crate::date::Date;
use crate::decision::{
    Decision, Explanation, Fact, FactValue, InputError, Item, ReasonCode, RuleError,
};
use crate::money::{Fen, RoundingMode};
use crate::params::ParameterSet;

pub const RULE_ID: &str = "tekun";
pub const RULE_VERSION: u32 = 1;

/// Evaluate 特困 with the current rule version.
pub fn evaluate_tekun(
    params: &ParameterSet,
    applicant: &TekunApplicant,
    date: Date,
) -> Result<Decision, RuleError> {
    evaluate_tekun_version(RULE_VERSION, params, applicant, date)
}

/// Evaluate with an explicit rule version.
pub fn evaluate_tekun_version(
    version: u32,
    params: &ParameterSet,
    a: &TekunApplicant,
    date: Date,
) -> Result<Decision, RuleError> {
    if version != 1 {
        return Err(RuleError::UnknownRuleVersion {
            rule: RULE_ID,
            version,
        });
    }
    check_money("monthly_income", a.monthly_income)?;
    if let Some(d) = a.disability {
        d.validate()?;
    }
    if a.birth_date > date {
        return Err(InputError::new("birth_date", "is after the evaluation date").into());
    }
    let p = params.resolve(a.region, date)?;
    let std_p = p.dibao_standard(a.area);
    let mut t = Trace::new();
    for u in [
        p.tekun_elderly_age.to_use(),
        p.tekun_minor_age.to_use(),
        std_p.to_use(),
        p.tekun_basic_factor.to_use(),
        p.dibao_rounding.to_use(),
    ] {
        t.param(u);
    }
    let age = a.birth_date.age_on(date);
    let elderly = age >= p.tekun_elderly_age.value.0 as i32;
    let minor = age < p.tekun_minor_age.value.0 as i32;
    let severe = a.disability.is_some_and(|d| d.is_severe());
    let s = std_p.value.0;
    let mut reasons = Vec::new();
    if !(elderly || minor || severe) {
        reasons.push(ReasonCode::NotInTekunCategory);
    }
    if a.monthly_income >= s {
        reasons.push(ReasonCode::IncomeNotBelowStandard);
    }
    if a.has_capable_supporter {
        reasons.push(ReasonCode::HasCapableSupporter);
    }
    t.step(
        "age",
        FactValue::Int(age as i64),
        format!("{} 出生，{} 时 {age} 周岁", a.birth_date, date),
    );
    t.step(
        "category",
        FactValue::Text(
            [
                ("elderly", elderly),
                ("minor", minor),
                ("severe_disability", severe),
            ]
            .iter()
            .filter(|(_, b)| *b)
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(","),
        ),
        format!("老年人 {elderly}；未成年人 {minor}；重度残疾 {severe}"),
    );
    t.step(
        "income_below_standard",
        FactValue::Bool(a.monthly_income < s),
        format!("本人月收入 {} vs 低保标准 {s}", a.monthly_income),
    );
    let eligible = reasons.is_empty();
    let mut amount = Fen::ZERO;
    if eligible {
        let factor = p.tekun_basic_factor.value.0;
        let raw = s.mul_ratio(factor, RoundingMode::HalfUp)?;
        amount = raw.round(p.dibao_rounding.value)?;
        t.step(
            "basic_living_standard",
            FactValue::Money(raw),
            format!("{s} × {factor} = {raw}"),
        );
        t.step(
            "amount",
            FactValue::Money(amount),
            format!("{amount} ({})", p.dibao_rounding.value),
        );
    }
    let inputs = vec![
        Fact::new("birth_date", FactValue::Date(a.birth_date)),
        Fact::new(
            "disability",
            FactValue::Text(match a.disability {
                Some(d) => format!("{:?} grade {}", d.kind, d.grade).to_lowercase(),
                None => "none".into(),
            }),
        ),
        Fact::new("monthly_income", FactValue::Money(a.monthly_income)),
        Fact::new(
            "has_capable_supporter",
            FactValue::Bool(a.has_capable_supporter),
        ),
    ];
    Ok(Decision {
        item: Item::Tekun,
        eligible,
        amount_fen: amount,
        reason_codes: reasons,
        rules_version: crate::RULES_VERSION.to_string(),
        explanation: Explanation {
            rule_id: RULE_ID.to_string(),
            rule_version: 1,
            evaluation_date: date,
            region: a.region,
            area: Some(a.area),
            parameter_source: params.source().to_string(),
            parameters: t.params.into(),
            inputs,
            steps: t.steps,
        },
    })
}
