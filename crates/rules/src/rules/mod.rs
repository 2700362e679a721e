//! The rules, one module per assistance item, and their shared inputs.
//!
//! Each rule has a `RULE_ID`, a `RULE_VERSION` and an `evaluate_*_version`
//! entry point dispatching on the version, so a stored decision can be
//! re-evaluated with the semantics it was made under.

pub mod bianyuan;
pub mod dibao;
pub mod gangxing;
pub mod linshi;
pub mod tekun;

use crate::date::Date;
use crate::decision::{Fact, FactValue, InputError};
use crate::money::Fen;
use crate::params::{ParamUse, ResolvedParams};
use crate::region::{Area, RegionCode};
use serde::{Deserialize, Serialize};

/// 残疾类别 (disability category, as on the 残疾人证).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityKind {
    /// 视力
    Visual,
    /// 听力
    Hearing,
    /// 言语
    Speech,
    /// 肢体
    Physical,
    /// 智力
    Intellectual,
    /// 精神
    Mental,
    /// 多重
    Multiple,
}

/// A certified disability: category and grade 1 (most severe) to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Disability {
    pub kind: DisabilityKind,
    pub grade: u8,
}

impl Disability {
    /// 重度残疾 in the 特困 sense: 智力/精神 一、二级, 肢体 一级 (as in the
    /// brief and 《特困人员认定办法》); other categories are not counted here
    /// because local rules differ on them.
    pub fn is_severe(&self) -> bool {
        match self.kind {
            DisabilityKind::Intellectual | DisabilityKind::Mental => self.grade <= 2,
            DisabilityKind::Physical => self.grade == 1,
            _ => false,
        }
    }

    fn validate(&self) -> Result<(), InputError> {
        if !(1..=4).contains(&self.grade) {
            return Err(InputError::new("disability.grade", "grade must be 1–4"));
        }
        Ok(())
    }
}

/// A household member, for deriving special-category counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub birth_date: Date,
    #[serde(default)]
    pub disability: Option<Disability>,
}

/// Counts of members in 增发 (add-on) categories. A member may count in
/// several categories (e.g. a disabled child), each add-on applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialCounts {
    /// 重度残疾人
    pub severe_disability: u32,
    /// 高龄老人 (≥ `addon_elderly_age`)
    pub elderly: u32,
    /// 未成年人 (< `addon_minor_age`)
    pub minors: u32,
}

impl SpecialCounts {
    /// Derive the counts from member data using the age lines in force.
    pub fn from_members(members: &[Member], on: Date, p: &ResolvedParams) -> SpecialCounts {
        let mut c = SpecialCounts::default();
        for m in members {
            let age = m.birth_date.age_on(on);
            if m.disability.is_some_and(|d| d.is_severe()) {
                c.severe_disability += 1;
            }
            if age >= p.addon_elderly_age.value.0 as i32 {
                c.elderly += 1;
            }
            if age < p.addon_minor_age.value.0 as i32 {
                c.minors += 1;
            }
        }
        c
    }
}

/// 共同生活的家庭: the household data the 低保 and 低保边缘 rules need.
/// Income and assets are household totals as verified by 家庭经济状况核对.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub region: RegionCode,
    pub area: Area,
    /// 共同生活家庭成员人数
    pub members: u32,
    /// 家庭月收入 (total, 分)
    pub monthly_income: Fen,
    /// 家庭金融资产 (deposits, securities…, total, 分)
    pub financial_assets: Fen,
    /// 名下住房套数
    pub houses: u32,
    /// 名下机动车辆最高价值 (0 = none)
    pub vehicle_value: Fen,
    /// 成员登记有经营性市场主体
    pub has_business: bool,
    #[serde(default)]
    pub special: SpecialCounts,
}

impl Household {
    /// Reject impossible data before any rule runs (e.g. negative income).
    pub fn validate(&self) -> Result<(), InputError> {
        if self.members == 0 || self.members > 100 {
            return Err(InputError::new("members", "must be between 1 and 100"));
        }
        check_money("monthly_income", self.monthly_income)?;
        check_money("financial_assets", self.financial_assets)?;
        check_money("vehicle_value", self.vehicle_value)?;
        if self.houses > 1000 {
            return Err(InputError::new("houses", "implausible house count"));
        }
        for (name, v) in [
            ("special.severe_disability", self.special.severe_disability),
            ("special.elderly", self.special.elderly),
            ("special.minors", self.special.minors),
        ] {
            if v > self.members {
                return Err(InputError::new(name, "exceeds the number of members"));
            }
        }
        Ok(())
    }

    pub(crate) fn input_facts(&self) -> Vec<Fact> {
        vec![
            Fact::new("members", FactValue::Int(self.members as i64)),
            Fact::new("monthly_income", FactValue::Money(self.monthly_income)),
            Fact::new("financial_assets", FactValue::Money(self.financial_assets)),
            Fact::new("houses", FactValue::Int(self.houses as i64)),
            Fact::new("vehicle_value", FactValue::Money(self.vehicle_value)),
            Fact::new("has_business", FactValue::Bool(self.has_business)),
            Fact::new(
                "special.severe_disability",
                FactValue::Int(self.special.severe_disability as i64),
            ),
            Fact::new(
                "special.elderly",
                FactValue::Int(self.special.elderly as i64),
            ),
            Fact::new("special.minors", FactValue::Int(self.special.minors as i64)),
        ]
    }
}

/// Upper bound on any single money input: 10¹² 分 = 100 亿元. Bounding
/// inputs keeps every product in the rules far inside i64.
pub const MAX_INPUT_FEN: i64 = 1_000_000_000_000;

pub(crate) fn check_money(field: &str, v: Fen) -> Result<(), InputError> {
    if v.0 < 0 {
        return Err(InputError::new(
            field,
            format!("must not be negative, got {v}"),
        ));
    }
    if v.0 > MAX_INPUT_FEN {
        return Err(InputError::new(field, "implausibly large amount"));
    }
    Ok(())
}

/// Existing assistance status, for the 刚性支出 exclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExistingStatus {
    None,
    /// 低保对象
    Dibao,
    /// 特困人员
    Tekun,
    /// 低保边缘家庭
    Bianyuan,
}

/// 刚性支出 over the previous 12 months (totals, 分).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RigidSpending {
    /// 基本生活支出
    pub living: Fen,
    /// 医疗支出 (自付)
    pub medical: Fen,
    /// 教育支出
    pub education: Fen,
    /// 康复支出
    pub rehabilitation: Fen,
}

/// An applicant for 特困人员救助供养.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TekunApplicant {
    pub region: RegionCode,
    pub area: Area,
    pub birth_date: Date,
    #[serde(default)]
    pub disability: Option<Disability>,
    /// 本人月收入 (分)
    pub monthly_income: Fen,
    /// 有具备赡养、抚养、扶养能力的法定义务人
    pub has_capable_supporter: bool,
}

/// 临时救助 type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemporaryKind {
    /// 急难型: sudden events (accident, fire, serious illness onset).
    Emergency,
    /// 支出型: essential spending exceeding the household's means.
    Expenditure,
}

/// A 临时救助 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryRequest {
    pub region: RegionCode,
    pub area: Area,
    pub kind: TemporaryKind,
    /// 经其他救助、保险等后仍未覆盖的困难支出 (分)
    pub uncovered_need: Fen,
}

/// Collects the explanation parts while a rule runs.
pub(crate) struct Trace {
    pub params: Vec<ParamUse>,
    pub steps: Vec<Fact>,
}

impl Trace {
    pub fn new() -> Trace {
        Trace {
            params: Vec::new(),
            steps: Vec::new(),
        }
    }
    pub fn param(&mut self, u: ParamUse) {
        self.params.push(u);
    }
    pub fn step(&mut self, key: &'static str, value: FactValue, detail: String) {
        self.steps.push(Fact::with(key, value, detail));
    }
}
