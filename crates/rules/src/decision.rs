//! The common shape of every rule outcome: [`Decision`] + [`Explanation`].

use crate::date::Date;
use crate::money::{BasisPoints, Fen, MoneyError};
use crate::params::{ParamError, ParamUse};
use crate::region::{Area, RegionCode};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;

/// The assistance item (救助事项) a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    /// 最低生活保障
    Dibao,
    /// 特困人员救助供养
    Tekun,
    /// 低保边缘家庭认定
    DibaoBianyuan,
    /// 刚性支出困难家庭认定
    GangxingZhichu,
    /// 临时救助 (amount suggestion)
    Linshi,
}

/// Stable reasons for non-eligibility. The snake_case strings are an API:
/// stored in decisions, matched by the web layer; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// 家庭人均收入不低于低保标准
    IncomeNotBelowStandard,
    /// 人均金融资产超过限额
    FinancialAssetsOverLimit,
    /// 住房超过限额 (拥有第二套住房)
    ExcessHousing,
    /// 机动车辆价值超过限额
    VehicleOverLimit,
    /// 登记有经营性市场主体
    BusinessRegistered,
    /// 收入低于低保标准，应申请低保而非低保边缘
    EligibleForDibaoInstead,
    /// 收入不低于低保边缘收入线 (1.5 倍)
    IncomeNotBelowNearPoorLine,
    /// 已是低保/特困/低保边缘对象
    AlreadyAssisted,
    /// 人均收入不低于上年度人均可支配收入
    IncomeNotBelowDisposableIncome,
    /// 刚性支出未超过收入的规定比例
    RigidSpendingNotAboveShare,
    /// 不属于特困人员年龄或残疾类别
    NotInTekunCategory,
    /// 有具备赡养/抚养/扶养能力的法定义务人
    HasCapableSupporter,
    /// 无未覆盖的困难支出
    NoUncoveredNeed,
}

impl ReasonCode {
    /// All codes, in bit order for bulk reason masks.
    pub const ALL: [ReasonCode; 13] = [
        ReasonCode::IncomeNotBelowStandard,
        ReasonCode::FinancialAssetsOverLimit,
        ReasonCode::ExcessHousing,
        ReasonCode::VehicleOverLimit,
        ReasonCode::BusinessRegistered,
        ReasonCode::EligibleForDibaoInstead,
        ReasonCode::IncomeNotBelowNearPoorLine,
        ReasonCode::AlreadyAssisted,
        ReasonCode::IncomeNotBelowDisposableIncome,
        ReasonCode::RigidSpendingNotAboveShare,
        ReasonCode::NotInTekunCategory,
        ReasonCode::HasCapableSupporter,
        ReasonCode::NoUncoveredNeed,
    ];

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::IncomeNotBelowStandard => "income_not_below_standard",
            ReasonCode::FinancialAssetsOverLimit => "financial_assets_over_limit",
            ReasonCode::ExcessHousing => "excess_housing",
            ReasonCode::VehicleOverLimit => "vehicle_over_limit",
            ReasonCode::BusinessRegistered => "business_registered",
            ReasonCode::EligibleForDibaoInstead => "eligible_for_dibao_instead",
            ReasonCode::IncomeNotBelowNearPoorLine => "income_not_below_near_poor_line",
            ReasonCode::AlreadyAssisted => "already_assisted",
            ReasonCode::IncomeNotBelowDisposableIncome => "income_not_below_disposable_income",
            ReasonCode::RigidSpendingNotAboveShare => "rigid_spending_not_above_share",
            ReasonCode::NotInTekunCategory => "not_in_tekun_category",
            ReasonCode::HasCapableSupporter => "has_capable_supporter",
            ReasonCode::NoUncoveredNeed => "no_uncovered_need",
        }
    }

    /// Plain-language reason for the applicant (Chinese).
    pub fn plain_zh(self) -> &'static str {
        match self {
            ReasonCode::IncomeNotBelowStandard => "家庭人均月收入不低于当地低保标准",
            ReasonCode::FinancialAssetsOverLimit => "家庭人均存款等金融资产超过规定限额",
            ReasonCode::ExcessHousing => "家庭名下住房超过规定套数",
            ReasonCode::VehicleOverLimit => "家庭名下机动车辆价值超过规定限额",
            ReasonCode::BusinessRegistered => "家庭成员登记有经营性市场主体",
            ReasonCode::EligibleForDibaoInstead => "家庭收入低于低保标准，可直接申请低保",
            ReasonCode::IncomeNotBelowNearPoorLine => "家庭人均收入不低于低保边缘收入线",
            ReasonCode::AlreadyAssisted => "已纳入低保、特困或低保边缘救助",
            ReasonCode::IncomeNotBelowDisposableIncome => {
                "家庭人均收入不低于上年度当地居民人均可支配收入"
            }
            ReasonCode::RigidSpendingNotAboveShare => "刚性支出未超过家庭收入的规定比例",
            ReasonCode::NotInTekunCategory => "不属于老年人、未成年人或重度残疾人",
            ReasonCode::HasCapableSupporter => "有具备赡养、抚养或扶养能力的法定义务人",
            ReasonCode::NoUncoveredNeed => "没有需要救助的未覆盖支出",
        }
    }

    /// Bit in a bulk reason mask.
    pub fn bit(self) -> u16 {
        1 << (ReasonCode::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(15) as u16)
    }

    /// Decode a bulk reason mask.
    pub fn from_mask(mask: u16) -> Vec<ReasonCode> {
        ReasonCode::ALL
            .iter()
            .copied()
            .filter(|c| mask & c.bit() != 0)
            .collect()
    }
}

/// A value in an explanation (input or intermediate step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FactValue {
    Money(Fen),
    Ratio(BasisPoints),
    Int(i64),
    Bool(bool),
    Date(Date),
    Text(String),
}

/// A named input or intermediate value; `detail` shows how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Static for built-in rules: no allocation per fact.
    pub key: Cow<'static, str>,
    pub value: FactValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Fact {
    pub fn new(key: &'static str, value: FactValue) -> Fact {
        Fact {
            key: Cow::Borrowed(key),
            value,
            detail: None,
        }
    }
    pub fn with(key: &'static str, value: FactValue, detail: String) -> Fact {
        Fact {
            key: Cow::Borrowed(key),
            value,
            detail: Some(detail),
        }
    }
}

/// Everything needed to audit or reproduce a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// e.g. `dibao`.
    pub rule_id: String,
    /// Version of that rule's semantics; old versions stay callable.
    pub rule_version: u32,
    /// Date the rule was evaluated for (parameters in force on this date).
    pub evaluation_date: Date,
    pub region: RegionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    /// Parameter file label the values came from.
    pub parameter_source: String,
    /// Every parameter the rule read, with value, in-force dates, reference.
    /// Shared (`Arc`) because bulk runs give every household of a region
    /// the same list: one copy instead of one per explanation.
    pub parameters: Arc<[ParamUse]>,
    /// The input data used.
    pub inputs: Vec<Fact>,
    /// Intermediate values in evaluation order.
    pub steps: Vec<Fact>,
}

impl Explanation {
    /// Find a parameter use by name.
    pub fn parameter(&self, name: &str) -> Option<&ParamUse> {
        self.parameters.iter().find(|p| p.name == name)
    }
    /// Find an intermediate step by key.
    pub fn step(&self, key: &str) -> Option<&Fact> {
        self.steps.iter().find(|s| s.key == key)
    }
}

/// The outcome of one rule for one applicant or household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub item: Item,
    pub eligible: bool,
    /// Monthly amount for 低保/特困, one-off suggestion for 临时救助, 0 for
    /// identification-only items (低保边缘, 刚性支出) and when not eligible.
    pub amount_fen: Fen,
    /// Empty when eligible.
    pub reason_codes: Vec<ReasonCode>,
    /// [`crate::RULES_VERSION`] at evaluation time.
    pub rules_version: String,
    pub explanation: Explanation,
}

impl Decision {
    /// A short plain-language summary for the applicant (Chinese).
    pub fn summary_zh(&self) -> String {
        let name = match self.item {
            Item::Dibao => "最低生活保障",
            Item::Tekun => "特困人员救助供养",
            Item::DibaoBianyuan => "低保边缘家庭认定",
            Item::GangxingZhichu => "刚性支出困难家庭认定",
            Item::Linshi => "临时救助",
        };
        if self.eligible {
            if self.amount_fen.0 > 0 {
                format!("符合{name}条件，金额 {} 元。", self.amount_fen)
            } else {
                format!("符合{name}条件。")
            }
        } else {
            let why: Vec<&str> = self.reason_codes.iter().map(|r| r.plain_zh()).collect();
            format!("暂不符合{name}条件：{}。", why.join("；"))
        }
    }
}

/// Invalid input data (rejected before any rule runs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input `{field}`: {message}")]
pub struct InputError {
    pub field: String,
    pub message: String,
}

impl InputError {
    pub fn new(field: &str, message: impl Into<String>) -> InputError {
        InputError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Why a rule could not produce a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("rule `{rule}` has no version {version}")]
    UnknownRuleVersion { rule: &'static str, version: u32 },
}
