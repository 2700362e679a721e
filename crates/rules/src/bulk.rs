//! Columnar (struct-of-arrays) 低保 evaluation for all households at once.
//!
//! Used when a standard changes on a date: re-evaluate every household,
//! compare with the previous result columns, and build full explanations
//! only for households whose decision changed — so 1M households cost a few
//! tens of MB, not a million explanation trees.

use crate::date::Date;
use crate::decision::{Decision, InputError, RuleError};
use crate::money::Fen;
use crate::params::{ParamUse, ParameterSet, ResolvedParams};
use crate::region::{Area, RegionCode};
use crate::rules::dibao::{decision_v1, dibao_calc, param_uses, DibaoNumbers, DibaoRow};
use crate::rules::{Household, SpecialCounts, MAX_INPUT_FEN};
use std::io::{self, Write};
use std::sync::Arc;

/// Households as columns. `region_idx[i]` indexes `regions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HouseholdColumns {
    /// Region lookup table (small: the counties of a city).
    pub regions: Vec<RegionCode>,
    pub region_idx: Vec<u16>,
    /// 城镇 (true) / 农村 (false)
    pub urban: Vec<bool>,
    pub members: Vec<u8>,
    pub monthly_income: Vec<i64>,
    pub financial_assets: Vec<i64>,
    pub houses: Vec<u8>,
    pub vehicle_value: Vec<i64>,
    pub has_business: Vec<bool>,
    pub severe_disability: Vec<u8>,
    pub elderly: Vec<u8>,
    pub minors: Vec<u8>,
}

impl HouseholdColumns {
    pub fn new(regions: Vec<RegionCode>) -> HouseholdColumns {
        HouseholdColumns {
            regions,
            ..Default::default()
        }
    }

    pub fn with_capacity(regions: Vec<RegionCode>, n: usize) -> HouseholdColumns {
        HouseholdColumns {
            regions,
            region_idx: Vec::with_capacity(n),
            urban: Vec::with_capacity(n),
            members: Vec::with_capacity(n),
            monthly_income: Vec::with_capacity(n),
            financial_assets: Vec::with_capacity(n),
            houses: Vec::with_capacity(n),
            vehicle_value: Vec::with_capacity(n),
            has_business: Vec::with_capacity(n),
            severe_disability: Vec::with_capacity(n),
            elderly: Vec::with_capacity(n),
            minors: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.region_idx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.region_idx.is_empty()
    }

    /// Total people across households.
    pub fn people(&self) -> u64 {
        self.members.iter().map(|&m| m as u64).sum()
    }

    /// Append one household (its region must be in the lookup table and
    /// counts must fit the column types).
    pub fn push(&mut self, h: &Household) -> Result<(), InputError> {
        h.validate()?;
        let idx = self
            .regions
            .iter()
            .position(|r| *r == h.region)
            .ok_or_else(|| InputError::new("region", format!("{} not in table", h.region)))?;
        let small = |f: &str, v: u32| {
            u8::try_from(v).map_err(|_| InputError::new(f, "too large for columnar form (> 255)"))
        };
        self.region_idx.push(idx as u16);
        self.urban.push(h.area == Area::Urban);
        self.members.push(small("members", h.members)?);
        self.monthly_income.push(h.monthly_income.0);
        self.financial_assets.push(h.financial_assets.0);
        self.houses.push(small("houses", h.houses)?);
        self.vehicle_value.push(h.vehicle_value.0);
        self.has_business.push(h.has_business);
        self.severe_disability.push(small(
            "special.severe_disability",
            h.special.severe_disability,
        )?);
        self.elderly
            .push(small("special.elderly", h.special.elderly)?);
        self.minors.push(small("special.minors", h.special.minors)?);
        Ok(())
    }

    /// Row `i` as a [`Household`] (for per-household evaluation).
    pub fn row(&self, i: usize) -> Household {
        Household {
            region: self.regions[self.region_idx[i] as usize],
            area: Area::from_urban(self.urban[i]),
            members: self.members[i] as u32,
            monthly_income: Fen(self.monthly_income[i]),
            financial_assets: Fen(self.financial_assets[i]),
            houses: self.houses[i] as u32,
            vehicle_value: Fen(self.vehicle_value[i]),
            has_business: self.has_business[i],
            special: SpecialCounts {
                severe_disability: self.severe_disability[i] as u32,
                elderly: self.elderly[i] as u32,
                minors: self.minors[i] as u32,
            },
        }
    }

    fn check_shape(&self) -> Result<(), InputError> {
        let n = self.len();
        let lens = [
            ("urban", self.urban.len()),
            ("members", self.members.len()),
            ("monthly_income", self.monthly_income.len()),
            ("financial_assets", self.financial_assets.len()),
            ("houses", self.houses.len()),
            ("vehicle_value", self.vehicle_value.len()),
            ("has_business", self.has_business.len()),
            ("severe_disability", self.severe_disability.len()),
            ("elderly", self.elderly.len()),
            ("minors", self.minors.len()),
        ];
        for (name, l) in lens {
            if l != n {
                return Err(InputError::new(
                    name,
                    format!("column has {l} rows, region_idx has {n}"),
                ));
            }
        }
        Ok(())
    }

    /// Write as CSV (header + one line per household) for the peer
    /// benchmarks. Money columns are integer fen.
    pub fn write_csv<W: Write>(&self, mut w: W) -> io::Result<()> {
        writeln!(w, "{}", Self::CSV_HEADER)?;
        for i in 0..self.len() {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{}",
                self.regions[self.region_idx[i] as usize],
                self.urban[i] as u8,
                self.members[i],
                self.monthly_income[i],
                self.financial_assets[i],
                self.houses[i],
                self.vehicle_value[i],
                self.has_business[i] as u8,
                self.severe_disability[i],
                self.elderly[i],
                self.minors[i]
            )?;
        }
        Ok(())
    }
}

impl HouseholdColumns {
    /// The CSV header written by [`HouseholdColumns::write_csv`].
    pub const CSV_HEADER: &'static str = "region_code,urban,members,monthly_income_fen,financial_assets_fen,houses,vehicle_value_fen,has_business,severe_disability,elderly,minors";

    /// Read the CSV format of [`HouseholdColumns::write_csv`] (strict: exact
    /// header, 11 integer fields per line). The region table is built in
    /// order of first appearance. Values are range-checked by the evaluator.
    pub fn read_csv<R: io::BufRead>(mut r: R) -> Result<HouseholdColumns, InputError> {
        let io_err = |e: io::Error| InputError::new("csv", e.to_string());
        let mut line = String::new();
        r.read_line(&mut line).map_err(io_err)?;
        if line.trim_end() != Self::CSV_HEADER {
            return Err(InputError::new("csv", "unexpected header"));
        }
        let mut cols = HouseholdColumns::default();
        let mut lineno = 1usize;
        loop {
            line.clear();
            if r.read_line(&mut line).map_err(io_err)? == 0 {
                break;
            }
            lineno += 1;
            let l = line.trim_end();
            if l.is_empty() {
                continue;
            }
            let mut f = [0i64; 11];
            let mut k = 0;
            for part in l.split(',') {
                if k == 11 {
                    k += 1;
                    break;
                }
                f[k] = part.parse().map_err(|_| {
                    InputError::new(
                        &format!("csv line {lineno}"),
                        format!("bad integer {part:?}"),
                    )
                })?;
                k += 1;
            }
            if k != 11 {
                return Err(InputError::new(
                    &format!("csv line {lineno}"),
                    "expected 11 fields",
                ));
            }
            let small = |v: i64, name: &str| {
                u8::try_from(v).map_err(|_| {
                    InputError::new(&format!("csv line {lineno}.{name}"), "out of range 0–255")
                })
            };
            let code = RegionCode::new(u32::try_from(f[0]).unwrap_or(0)).map_err(|e| {
                InputError::new(&format!("csv line {lineno}.region_code"), e.to_string())
            })?;
            let idx = match cols.regions.iter().position(|r| *r == code) {
                Some(i) => i,
                None => {
                    cols.regions.push(code);
                    cols.regions.len() - 1
                }
            };
            cols.region_idx.push(idx as u16);
            cols.urban.push(f[1] != 0);
            cols.members.push(small(f[2], "members")?);
            cols.monthly_income.push(f[3]);
            cols.financial_assets.push(f[4]);
            cols.houses.push(small(f[5], "houses")?);
            cols.vehicle_value.push(f[6]);
            cols.has_business.push(f[7] != 0);
            cols.severe_disability
                .push(small(f[8], "severe_disability")?);
            cols.elderly.push(small(f[9], "elderly")?);
            cols.minors.push(small(f[10], "minors")?);
        }
        Ok(cols)
    }
}

/// 低保 results as columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DibaoColumns {
    pub date: Date,
    pub eligible: Vec<bool>,
    /// Monthly amount in fen (0 when not eligible).
    pub amount_fen: Vec<i64>,
    /// Reason bit masks (see [`crate::ReasonCode::from_mask`]); 0 = eligible.
    pub reasons: Vec<u16>,
}

/// A household whose decision differs from the previous result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedDecision {
    pub index: usize,
    pub previous_eligible: bool,
    pub previous_amount: Fen,
    pub decision: Decision,
}

/// Result of a bulk run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub columns: DibaoColumns,
    /// Only filled when a previous result was given.
    pub changed: Vec<ChangedDecision>,
}

/// The compiled 低保 parameters for each (region, area) on a date:
/// `[region_index][area.index()]`.
pub fn dibao_parameter_table(
    params: &ParameterSet,
    regions: &[RegionCode],
    date: Date,
) -> Result<Vec<[DibaoNumbers; 2]>, RuleError> {
    regions
        .iter()
        .map(|r| {
            let p = params.resolve(*r, date)?;
            Ok([
                DibaoNumbers::from_params(&p, Area::Urban)?,
                DibaoNumbers::from_params(&p, Area::Rural)?,
            ])
        })
        .collect()
}

/// Evaluate 低保 (current rule version) for every household on `date`.
///
/// If `previous` is given (same households, same order), households whose
/// eligibility or amount changed get a full [`Decision`] in `changed`.
/// Input is validated in the same pass; the first bad row is an error.
pub fn evaluate_dibao_bulk(
    params: &ParameterSet,
    hh: &HouseholdColumns,
    date: Date,
    previous: Option<&DibaoColumns>,
) -> Result<BulkOutcome, RuleError> {
    let mut changed = Vec::new();
    let columns = evaluate_dibao_bulk_streaming(params, hh, date, previous, |c| changed.push(c))?;
    Ok(BulkOutcome { columns, changed })
}

/// Like [`evaluate_dibao_bulk`] but hands each changed decision to
/// `on_change` (in household order) instead of collecting them, so a caller
/// writing them to storage never holds all explanations at once.
pub fn evaluate_dibao_bulk_streaming(
    params: &ParameterSet,
    hh: &HouseholdColumns,
    date: Date,
    previous: Option<&DibaoColumns>,
    mut on_change: impl FnMut(ChangedDecision),
) -> Result<DibaoColumns, RuleError> {
    hh.check_shape()?;
    let n = hh.len();
    if let Some(prev) = previous {
        if prev.eligible.len() != n || prev.amount_fen.len() != n {
            return Err(InputError::new(
                "previous",
                format!("has {} rows, households have {n}", prev.amount_fen.len()),
            )
            .into());
        }
    }
    let table = dibao_parameter_table(params, &hh.regions, date)?;
    let mut eligible = Vec::with_capacity(n);
    let mut amount = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut changed_idx: Vec<usize> = Vec::new();
    let bad = |i: usize, f: &str, m: &str| -> RuleError {
        InputError::new(&format!("row {i}.{f}"), m.to_string()).into()
    };
    for i in 0..n {
        let ri = hh.region_idx[i] as usize;
        let nums = match table.get(ri) {
            Some(t) => &t[if hh.urban[i] { 0 } else { 1 }],
            None => return Err(bad(i, "region_idx", "out of range")),
        };
        let members = hh.members[i];
        let (inc, ast, veh) = (
            hh.monthly_income[i],
            hh.financial_assets[i],
            hh.vehicle_value[i],
        );
        // Same validation as Household::validate, inlined for speed.
        if members == 0 || members > 100 {
            return Err(bad(i, "members", "must be between 1 and 100"));
        }
        if !(0..=MAX_INPUT_FEN).contains(&inc)
            || !(0..=MAX_INPUT_FEN).contains(&ast)
            || !(0..=MAX_INPUT_FEN).contains(&veh)
        {
            return Err(bad(i, "money", "must be between 0 and 10^12 fen"));
        }
        let (sd, el, mi) = (hh.severe_disability[i], hh.elderly[i], hh.minors[i]);
        if sd > members || el > members || mi > members {
            return Err(bad(i, "special", "count exceeds members"));
        }
        let row = DibaoRow {
            members: members as i64,
            income: inc,
            assets: ast,
            houses: hh.houses[i] as u32,
            vehicle: veh,
            business: hh.has_business[i],
            severe_disability: sd as i64,
            elderly: el as i64,
            minors: mi as i64,
        };
        let c = dibao_calc(nums, &row)?;
        let e = c.reasons == 0;
        if let Some(prev) = previous {
            if prev.eligible[i] != e || prev.amount_fen[i] != c.amount {
                changed_idx.push(i);
            }
        }
        eligible.push(e);
        amount.push(c.amount);
        reasons.push(c.reasons);
    }
    if let Some(prev) = previous {
        // Resolve parameters and build the shared parameter list once per
        // (region, area) that actually has a changed household.
        type Cached = (ResolvedParams, [Option<Arc<[ParamUse]>>; 2]);
        let mut cache: Vec<Option<Cached>> = vec![None; hh.regions.len()];
        for i in changed_idx {
            let ri = hh.region_idx[i] as usize;
            let h = hh.row(i);
            if cache[ri].is_none() {
                cache[ri] = Some((params.resolve(hh.regions[ri], date)?, [None, None]));
            }
            let (p, uses) = cache[ri].as_mut().expect("just filled");
            let uses = uses[h.area.index()]
                .get_or_insert_with(|| param_uses(p, h.area))
                .clone();
            let nums = &table[ri][h.area.index()];
            let c = dibao_calc(nums, &DibaoRow::from_household(&h))?;
            on_change(ChangedDecision {
                index: i,
                previous_eligible: prev.eligible[i],
                previous_amount: Fen(prev.amount_fen[i]),
                decision: decision_v1(params, p, &h, nums, &c, uses),
            });
        }
    }
    Ok(DibaoColumns {
        date,
        eligible,
        amount_fen: amount,
        reasons,
    })
}
