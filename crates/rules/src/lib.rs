//! # jiuzhu-rules — 社会救助 rules as code
//!
//! Eligibility and benefit rules for the Chinese social-assistance
//! programmes handled by the 救助 (Jiuzhu) platform: 最低生活保障 (低保),
//! 特困人员救助供养, 低保边缘家庭, 刚性支出困难家庭 and 临时救助.
//!
//! Design choices:
//! * money is integer 分 ([`Fen`]) with explicit [`Rounding`]; ratios are
//!   [`BasisPoints`] — no floating point touches an amount;
//! * parameters are dated, referenced and per region ([`ParameterSet`]),
//!   loaded strictly from TOML;
//! * every [`Decision`] carries an [`Explanation`] listing rule id/version,
//!   each parameter used (value, in-force date, legal reference), the inputs
//!   and the intermediate values;
//! * [`bulk::evaluate_dibao_bulk`] evaluates 低保 for millions of households
//!   in columnar form, producing explanations only for changed decisions.
//!
//! No database, HTTP or async: pure functions over plain data.
//!
//! ```
//! use jiuzhu_rules::*;
//! let params = ParameterSet::lishui_default();
//! let household = Household {
//!     region: "331102".parse().unwrap(), // 莲都区, inherits 丽水市 values
//!     area: Area::Urban,
//!     members: 2,
//!     monthly_income: Fen::parse_yuan("1500.00").unwrap(),
//!     financial_assets: Fen::ZERO,
//!     houses: 1,
//!     vehicle_value: Fen::ZERO,
//!     has_business: false,
//!     special: SpecialCounts::default(),
//! };
//! let d = evaluate_dibao(&params, &household, Date::ymd(2026, 7, 1)).unwrap();
//! assert!(d.eligible);
//! // 1286 × 2 − 1500 = 1072 yuan, already whole yuan
//! assert_eq!(d.amount_fen, Fen::from_yuan(1072).unwrap());
//! assert_eq!(d.explanation.parameter("dibao_standard_urban").unwrap().from, Date::ymd(2026, 7, 1));
//! ```

pub mod bulk;
pub mod date;
pub mod decision;
pub mod money;
pub mod params;
pub mod region;
pub mod rules;
pub mod synth;

pub use date::Date;
pub use decision::{
    Decision, Explanation, Fact, FactValue, InputError, Item, ReasonCode, RuleError,
};
pub use money::{BasisPoints, Fen, MoneyError, Rounding, RoundingMode, RoundingUnit};
pub use params::{ParamError, ParamUse, ParamValue, ParameterSet, ResolvedParams};
pub use region::{Area, RegionCode};
pub use rules::{
    bianyuan::evaluate_bianyuan, dibao::evaluate_dibao, gangxing::evaluate_gangxing,
    gangxing::RigidSpendingHousehold, linshi::approval_level, linshi::evaluate_linshi,
    tekun::evaluate_tekun, Disability, DisabilityKind, ExistingStatus, Household, Member,
    RigidSpending, SpecialCounts, TekunApplicant, TemporaryKind, TemporaryRequest,
};

/// Version of this rule set as a whole; stored in every [`Decision`] so a
/// decision can be traced to (and reproduced with) the code that made it.
/// Bump when any rule's semantics or any explanation key changes.
pub const RULES_VERSION: &str = "jiuzhu-rules/2026.11.1";
