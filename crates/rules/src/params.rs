//! Dated, referenced parameters per region, loaded from TOML.
//!
//! Modelled on OpenFisca parameters: each parameter is a list of values,
//! each with a `from` date, an optional `until` date and a mandatory legal
//! `reference`. Regions form a tree (county → city) and a region inherits
//! any parameter it does not override on a given date.
//!
//! Loading is strict because a silently ignored typo in a benefit parameter
//! file pays people the wrong amount: unknown or misplaced keys, unsorted or
//! overlapping dates and missing references are all load errors that name
//! the file and the key path.

use crate::date::Date;
use crate::money::{BasisPoints, Fen, Rounding};
use crate::region::{Area, RegionCode};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Default parameters for 丽水市 (Lishui, Zhejiang) and its counties.
pub const LISHUI_TOML: &str = include_str!("../params/lishui.toml");

/// Errors while loading or resolving parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    /// TOML syntax or schema error (unknown key, wrong type, missing field).
    #[error("{file}: at `{path}` (line {line}): {message}")]
    Schema {
        file: String,
        path: String,
        line: usize,
        message: String,
    },
    /// A semantic check failed (dates, references, region tree, values).
    #[error("{file}: at `{path}`: {message}")]
    Invalid {
        file: String,
        path: String,
        message: String,
    },
    /// The region is not in the parameter set.
    #[error("unknown region {0}")]
    UnknownRegion(RegionCode),
    /// No value of the parameter is in force on that date for the region
    /// or any of its parents.
    #[error("no value of `{param}` in force on {date} for region {region} or its parents")]
    NotInForce {
        param: &'static str,
        region: RegionCode,
        date: Date,
    },
}

/// A parameter value type: how it is written in TOML and how it is shown
/// in an explanation.
pub trait ParamType: Clone + std::fmt::Debug {
    /// Range checks that serde cannot express; `Err` carries the message.
    fn check(&self) -> Result<(), String>;
    fn to_value(&self) -> ParamValue;
}

/// A money amount written in yuan as a decimal *string* ("1213.00") so that
/// TOML floats can never sneak in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuan(pub Fen);

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Fen::parse_yuan(&s)
            .map(Yuan)
            .map_err(serde::de::Error::custom)
    }
}

impl ParamType for Yuan {
    fn check(&self) -> Result<(), String> {
        if self.0 .0 < 0 {
            return Err(format!("money value must not be negative, got {}", self.0));
        }
        Ok(())
    }
    fn to_value(&self) -> ParamValue {
        ParamValue::Money {
            fen: self.0,
            yuan: self.0.to_string(),
        }
    }
}

/// A ratio written as a decimal *string* ("1.5", "0.3"), stored in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(pub BasisPoints);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BasisPoints::parse_ratio(&s)
            .map(Ratio)
            .map_err(serde::de::Error::custom)
    }
}

impl ParamType for Ratio {
    fn check(&self) -> Result<(), String> {
        if self.0 .0 > 1_000_000 {
            return Err(format!("ratio {} is implausibly large (> 100)", self.0));
        }
        Ok(())
    }
    fn to_value(&self) -> ParamValue {
        ParamValue::Ratio {
            basis_points: self.0,
            decimal: self.0.to_string(),
        }
    }
}

/// A small non-negative integer (months, ages, counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Count(pub u32);

impl ParamType for Count {
    fn check(&self) -> Result<(), String> {
        if self.0 > 1200 {
            return Err(format!("count {} is implausibly large", self.0));
        }
        Ok(())
    }
    fn to_value(&self) -> ParamValue {
        ParamValue::Int {
            value: self.0 as i64,
        }
    }
}

/// A yes/no switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl ParamType for Flag {
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
    fn to_value(&self) -> ParamValue {
        ParamValue::Bool { value: self.0 }
    }
}

impl ParamType for Rounding {
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
    fn to_value(&self) -> ParamValue {
        ParamValue::Rounding {
            rounding: *self,
            text: self.to_string(),
        }
    }
}

/// A parameter value as shown in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamValue {
    Money {
        fen: Fen,
        yuan: String,
    },
    Ratio {
        basis_points: BasisPoints,
        decimal: String,
    },
    Int {
        value: i64,
    },
    Bool {
        value: bool,
    },
    Rounding {
        rounding: Rounding,
        text: String,
    },
}

/// One dated value as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedValue<T> {
    pub from: Date,
    #[serde(default)]
    pub until: Option<Date>,
    pub value: T,
    pub reference: String,
}

/// A parameter value resolved for a date, with its provenance.
#[derive(Debug, Clone)]
pub struct Resolved<T> {
    /// Parameter key as in the file, e.g. `dibao_standard_urban`.
    pub name: &'static str,
    pub value: T,
    /// Date this value is in force from.
    pub from: Date,
    /// Last day in force: explicit `until`, or the day before the next
    /// value's `from`; `None` if open-ended.
    pub until: Option<Date>,
    pub reference: Arc<str>,
    /// The region whose entry supplied the value (the region itself or a parent).
    pub defined_in: RegionCode,
}

/// A parameter used by a decision, as recorded in its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamUse {
    pub name: std::borrow::Cow<'static, str>,
    pub value: ParamValue,
    pub from: Date,
    pub until: Option<Date>,
    pub reference: String,
    pub defined_in: RegionCode,
}

impl<T: ParamType> Resolved<T> {
    pub fn to_use(&self) -> ParamUse {
        ParamUse {
            name: std::borrow::Cow::Borrowed(self.name),
            value: self.value.to_value(),
            from: self.from,
            until: self.until,
            reference: self.reference.to_string(),
            defined_in: self.defined_in,
        }
    }
}

/// Stored series: values sorted by `from`, effective `until` precomputed.
#[derive(Debug, Clone)]
struct Series<T> {
    values: Vec<(Date, Option<Date>, T, Arc<str>)>,
}

impl<T: Clone> Series<T> {
    fn at(&self, date: Date) -> Option<&(Date, Option<Date>, T, Arc<str>)> {
        // Few values per series: a linear scan from the end is simplest.
        self.values
            .iter()
            .rev()
            .find(|(from, until, _, _)| *from <= date && until.is_none_or(|u| date <= u))
    }
}

fn build_series<T: ParamType>(
    file: &str,
    path: &str,
    raw: Vec<DatedValue<T>>,
) -> Result<Series<T>, ParamError> {
    let invalid = |p: String, m: String| ParamError::Invalid {
        file: file.to_string(),
        path: p,
        message: m,
    };
    if raw.is_empty() {
        return Err(invalid(
            path.to_string(),
            "empty list: give at least one dated value or omit the key to inherit".into(),
        ));
    }
    let mut out: Vec<(Date, Option<Date>, T, Arc<str>)> = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let p = format!("{path}[{i}]");
        if v.reference.trim().is_empty() {
            return Err(invalid(
                format!("{p}.reference"),
                "every value needs a legal reference (文件名称和文号)".into(),
            ));
        }
        if let Some(u) = v.until {
            if u < v.from {
                return Err(invalid(
                    format!("{p}.until"),
                    format!("until {u} is before from {}", v.from),
                ));
            }
        }
        v.value
            .check()
            .map_err(|m| invalid(format!("{p}.value"), m))?;
        if let Some(prev) = out.last_mut() {
            if v.from <= prev.0 {
                return Err(invalid(
                    format!("{p}.from"),
                    format!(
                        "dated values must be in ascending order of `from`: {} does not come after {}",
                        v.from, prev.0
                    ),
                ));
            }
            match prev.1 {
                Some(pu) if pu >= v.from => {
                    return Err(invalid(
                        format!("{p}.from"),
                        format!(
                            "overlaps the previous value (in force {} until {pu})",
                            prev.0
                        ),
                    ));
                }
                Some(_) => {}
                // OpenFisca semantics: a later `from` ends an open value.
                None => prev.1 = Some(v.from.pred()),
            }
        }
        out.push((v.from, v.until, v.value, Arc::from(v.reference.trim())));
    }
    Ok(Series { values: out })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    meta: RawMeta,
    regions: BTreeMap<String, RawRegion>,
}

/// File metadata.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Format version of the file; only 1 exists.
    pub schema_version: u32,
    pub title: String,
    #[serde(default)]
    pub notes: Option<String>,
}
type RawMeta = Meta;

macro_rules! define_params {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty ),* $(,)?) => {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawRegion {
            name: String,
            #[serde(default)]
            parent: Option<String>,
            $( #[serde(default)] $field: Option<Vec<DatedValue<$ty>>>, )*
        }

        #[derive(Debug, Clone)]
        struct RegionEntry {
            name: String,
            parent: Option<RegionCode>,
            $( $field: Option<Series<$ty>>, )*
        }

        /// All parameters resolved for one region on one date.
        #[derive(Debug, Clone)]
        pub struct ResolvedParams {
            pub region: RegionCode,
            pub date: Date,
            $( $(#[doc = $doc])* pub $field: Resolved<$ty>, )*
        }

        /// Every parameter key a region may define, in file order.
        pub const PARAM_NAMES: &[&str] = &[$( stringify!($field), )*];

        fn build_region(file: &str, code: &str, raw: RawRegion) -> Result<RegionEntry, ParamError> {
            let parent = match raw.parent {
                None => None,
                Some(p) => Some(p.parse::<RegionCode>().map_err(|e| ParamError::Invalid {
                    file: file.to_string(),
                    path: format!("regions.{code}.parent"),
                    message: e.to_string(),
                })?),
            };
            Ok(RegionEntry {
                name: raw.name,
                parent,
                $( $field: match raw.$field {
                    None => None,
                    Some(v) => Some(build_series(file, &format!("regions.{code}.{}", stringify!($field)), v)?),
                }, )*
            })
        }

        /// Names of parameters this region defines itself (not inherited).
        fn defined_names(e: &RegionEntry) -> Vec<&'static str> {
            let mut v = Vec::new();
            $( if e.$field.is_some() { v.push(stringify!($field)); } )*
            v
        }

        impl ParameterSet {
            /// Resolve every parameter for `region` on `date`, walking up to
            /// parents for values the region does not define on that date.
            pub fn resolve(&self, region: RegionCode, date: Date) -> Result<ResolvedParams, ParamError> {
                let chain = self.chain(region)?;
                Ok(ResolvedParams {
                    region,
                    date,
                    $( $field: {
                        let mut found = None;
                        for (code, e) in &chain {
                            if let Some(s) = &e.$field {
                                if let Some((from, until, v, r)) = s.at(date) {
                                    found = Some(Resolved {
                                        name: stringify!($field),
                                        value: v.clone(),
                                        from: *from,
                                        until: *until,
                                        reference: r.clone(),
                                        defined_in: *code,
                                    });
                                    break;
                                }
                            }
                        }
                        found.ok_or(ParamError::NotInForce { param: stringify!($field), region, date })?
                    }, )*
                })
            }

            /// All dates on which any parameter of `region` (or its parents)
            /// changes: the dates a bulk re-evaluation is needed.
            pub fn change_dates(&self, region: RegionCode) -> Result<Vec<Date>, ParamError> {
                let chain = self.chain(region)?;
                let mut d = Vec::new();
                for (_, e) in &chain {
                    $( if let Some(s) = &e.$field {
                        for (from, until, _, _) in &s.values {
                            d.push(*from);
                            if let Some(u) = until { d.push(u.succ()); }
                        }
                    } )*
                }
                d.sort();
                d.dedup();
                Ok(d)
            }
        }
    };
}

define_params! {
    /// 城镇低保标准 (元/人·月).
    dibao_standard_urban: Yuan,
    /// 农村低保标准 (元/人·月).
    dibao_standard_rural: Yuan,
    /// 低保金取整规则 (rounding of the monthly payment).
    dibao_rounding: Rounding,
    /// 最低发放金额: an eligible household receives at least this much.
    dibao_minimum_benefit: Yuan,
    /// 家庭人均金融资产上限 = N 个月当地低保标准 (低保).
    dibao_deposit_months: Count,
    /// 家庭名下房产套数上限 (1 = 不得拥有第二套住房).
    max_houses: Count,
    /// 机动车辆价值上限 (元); a vehicle above this value excludes the household.
    vehicle_value_cap: Yuan,
    /// 是否排除有工商登记 (经营性主体) 的家庭.
    exclude_business_registration: Flag,
    /// 重度残疾人增发比例 (of the 低保 standard).
    addon_severe_disability: Ratio,
    /// 高龄老人增发比例 (of the 低保 standard).
    addon_elderly: Ratio,
    /// 高龄增发起始年龄 (周岁).
    addon_elderly_age: Count,
    /// 未成年人增发比例 (of the 低保 standard).
    addon_minor: Ratio,
    /// 未成年人增发年龄上限 (under this age, 周岁).
    addon_minor_age: Count,
    /// 低保边缘家庭收入系数 (× 低保标准).
    bianyuan_income_factor: Ratio,
    /// 低保边缘 / 刚性支出家庭人均金融资产上限 = N 个月低保标准.
    bianyuan_deposit_months: Count,
    /// 刚性支出占家庭总收入比例阈值.
    rigid_spending_share: Ratio,
    /// 上年度当地居民人均可支配收入 (元/年).
    per_capita_disposable_income: Yuan,
    /// 特困: 老年人年龄 (周岁, inclusive).
    tekun_elderly_age: Count,
    /// 特困: 未成年人年龄 (under this age, 周岁).
    tekun_minor_age: Count,
    /// 特困人员基本生活标准系数 (× 低保标准).
    tekun_basic_factor: Ratio,
    /// 临时救助上限 = N × 月低保标准.
    linshi_cap_months: Count,
    /// 乡镇 (街道) 审批权限上限 (元); above goes to the county.
    linshi_township_cap: Yuan,
}

impl ResolvedParams {
    /// The 低保 standard for the area.
    pub fn dibao_standard(&self, area: Area) -> &Resolved<Yuan> {
        match area {
            Area::Urban => &self.dibao_standard_urban,
            Area::Rural => &self.dibao_standard_rural,
        }
    }
}

/// A validated parameter set: a tree of regions with dated parameters.
#[derive(Debug, Clone)]
pub struct ParameterSet {
    source: String,
    meta: Meta,
    regions: BTreeMap<RegionCode, RegionEntry>,
}

impl ParameterSet {
    /// Parse and validate TOML text; `source` names the file in errors.
    pub fn from_toml_str(source: &str, text: &str) -> Result<ParameterSet, ParamError> {
        let de = toml::Deserializer::parse(text).map_err(|e| schema_err(source, text, "", &e))?;
        let raw: RawFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            schema_err(source, text, &path, e.inner())
        })?;
        Self::from_raw(source, raw)
    }

    /// Load and validate a parameter file.
    pub fn load_file(path: impl AsRef<Path>) -> Result<ParameterSet, ParamError> {
        let p = path.as_ref();
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|e| ParamError::Io {
            file: name.clone(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&name, &text)
    }

    /// The embedded default parameters for 丽水市.
    pub fn lishui_default() -> ParameterSet {
        Self::from_toml_str("params/lishui.toml", LISHUI_TOML)
            .expect("embedded default parameter file is valid (checked by tests)")
    }

    fn from_raw(file: &str, raw: RawFile) -> Result<ParameterSet, ParamError> {
        let invalid = |path: String, message: String| ParamError::Invalid {
            file: file.to_string(),
            path,
            message,
        };
        if raw.meta.schema_version != 1 {
            return Err(invalid(
                "meta.schema_version".into(),
                format!(
                    "unsupported schema_version {} (only 1)",
                    raw.meta.schema_version
                ),
            ));
        }
        let mut regions = BTreeMap::new();
        for (key, r) in raw.regions {
            let code: RegionCode = key.parse().map_err(|e: crate::region::RegionCodeError| {
                invalid(format!("regions.{key}"), e.to_string())
            })?;
            if r.name.trim().is_empty() {
                return Err(invalid(format!("regions.{key}.name"), "empty name".into()));
            }
            regions.insert(code, build_region(file, &key, r)?);
        }
        if regions.is_empty() {
            return Err(invalid("regions".into(), "no regions defined".into()));
        }
        // Region tree: parents exist, codes nest by GB/T 2260 structure, and
        // (implied by nesting) there are no cycles.
        for (code, e) in &regions {
            if let Some(p) = e.parent {
                if !regions.contains_key(&p) {
                    return Err(invalid(
                        format!("regions.{code}.parent"),
                        format!("parent region {p} is not defined in this file"),
                    ));
                }
                if !code.is_within(p) {
                    return Err(invalid(
                        format!("regions.{code}.parent"),
                        format!("region {code} is not inside {p} by its GB/T 2260 code"),
                    ));
                }
            }
        }
        // Every parameter must be reachable from every region, so a lookup
        // can only fail for a date, never for a forgotten key.
        let set = ParameterSet {
            source: file.to_string(),
            meta: raw.meta,
            regions,
        };
        for code in set.regions.keys() {
            let chain = set.chain(*code)?;
            let mut have: Vec<&str> = Vec::new();
            for (_, e) in &chain {
                have.extend(defined_names(e));
            }
            for name in PARAM_NAMES {
                if !have.contains(name) {
                    return Err(invalid(
                        format!("regions.{code}.{name}"),
                        "parameter is not defined for this region or any parent".into(),
                    ));
                }
            }
        }
        Ok(set)
    }

    /// The region and its parents, nearest first.
    fn chain(&self, region: RegionCode) -> Result<Vec<(RegionCode, &RegionEntry)>, ParamError> {
        let mut out = Vec::with_capacity(3);
        let mut cur = Some(region);
        while let Some(c) = cur {
            let e = self
                .regions
                .get(&c)
                .ok_or(ParamError::UnknownRegion(region))?;
            out.push((c, e));
            cur = e.parent;
            if out.len() > 8 {
                break; // impossible after the nesting check; guards against loops
            }
        }
        Ok(out)
    }

    /// File name or label this set was loaded from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// All region codes with their names.
    pub fn regions(&self) -> impl Iterator<Item = (RegionCode, &str)> {
        self.regions.iter().map(|(c, e)| (*c, e.name.as_str()))
    }

    /// Region name, if known.
    pub fn region_name(&self, code: RegionCode) -> Option<&str> {
        self.regions.get(&code).map(|e| e.name.as_str())
    }

    /// Regions with no children: counties/districts where people live.
    pub fn leaf_regions(&self) -> Vec<RegionCode> {
        self.regions
            .keys()
            .copied()
            .filter(|c| !self.regions.values().any(|e| e.parent == Some(*c)))
            .collect()
    }
}

fn schema_err(file: &str, text: &str, path: &str, e: &toml::de::Error) -> ParamError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(0);
    ParamError::Schema {
        file: file.to_string(),
        path: if path.is_empty() || path == "." {
            "(root)".to_string()
        } else {
            path.to_string()
        },
        line,
        message: e.message().to_string(),
    }
}
