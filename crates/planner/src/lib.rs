//! # jiuzhu-planner — 巡查路线规划
//!
//! Turns hotspots in three tiers (重点 / 次重点 / 一般), how often and when each tier is
//! visited, teams and their shifts, travel times and open sightings into routes for the
//! day: every key visit made, the others as time allows by weight, urgent sightings first.
//!
//! * [`model`]: the problem and the plan in the domain's words.
//! * [`visits`]: expansion into visits with windows ("N visits a day at least H apart" is
//!   modelled here, not left to a solver) and the travel matrix.
//! * [`check`]: an independent feasibility check of any plan; tests run every plan through it.
//! * [`Solver`]: the seam for solver crates. [`GreedyInsertion`] is the baseline and the
//!   fast first step of a re-plan; a metaheuristic solver crate goes behind the same trait.
//!
//! No database, HTTP, async or clock: plain data in, plain data out.

pub mod check;
pub mod demo;
mod greedy;
pub mod model;
pub mod replan;
pub mod solomon;
pub mod visits;
mod vrp;

pub use check::{check, Violation};
pub use greedy::GreedyInsertion;
pub use model::{
    Hotspot, Input, LatLon, Plan, Policies, Region, Route, Shift, Sighting, Stop, Team, Tier,
    TierPolicy,
};
pub use replan::{coverage, insert_urgent, Churn, Coverage};
pub use visits::{expand, Problem, Visit, VisitKind};
pub use vrp::{Budget, Outcome, VrpCoreSolver};

/// Input a user can correct, with stable codes for the pages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no team has a shift to plan")]
    NoTeams,
    #[error("{what} {id} is outside the region")]
    OutsideRegion { what: &'static str, id: u32 },
    #[error("team {team} has overlapping shifts")]
    ShiftsOverlap { team: u32 },
    #[error("team {team} has a shift that ends before it starts")]
    BadShift { team: u32 },
    #[error("the {tier} tier's hours end before they start")]
    BadHours { tier: &'static str },
    #[error("{visits} visits of the {tier} tier do not fit in its hours; at most {max_visits} do")]
    FrequencyDoesNotFit {
        tier: &'static str,
        visits: u8,
        max_visits: u8,
    },
    #[error("sighting {id} must be ready before it is due")]
    BadSighting { id: u32 },
    #[error("travel speed must be positive and the detour factor at least 1")]
    BadTravel,
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::NoTeams => "plan_no_teams",
            PlanError::OutsideRegion { .. } => "plan_outside_region",
            PlanError::ShiftsOverlap { .. } => "plan_shifts_overlap",
            PlanError::BadShift { .. } => "plan_bad_shift",
            PlanError::BadHours { .. } => "plan_bad_hours",
            PlanError::FrequencyDoesNotFit { .. } => "plan_frequency_does_not_fit",
            PlanError::BadSighting { .. } => "plan_bad_sighting",
            PlanError::BadTravel => "plan_bad_travel",
        }
    }
}

/// Everything wrong with an input that a person can fix, first problem first.
pub fn validate(input: &Input) -> Result<(), PlanError> {
    if !(input.speed_kmh > 0.0 && input.speed_kmh.is_finite() && input.detour >= 1.0) {
        return Err(PlanError::BadTravel);
    }
    if input.teams.iter().all(|t| t.shifts.is_empty()) {
        return Err(PlanError::NoTeams);
    }
    for h in &input.hotspots {
        if !input.region.contains(h.pos) {
            return Err(PlanError::OutsideRegion {
                what: "hotspot",
                id: h.id,
            });
        }
    }
    for s in &input.sightings {
        if !input.region.contains(s.pos) {
            return Err(PlanError::OutsideRegion {
                what: "sighting",
                id: s.id,
            });
        }
        if s.ready_s > s.respond_by_s {
            return Err(PlanError::BadSighting { id: s.id });
        }
    }
    for t in &input.teams {
        let mut shifts: Vec<_> = t.shifts.iter().collect();
        for sh in &shifts {
            if sh.start_s >= sh.end_s {
                return Err(PlanError::BadShift { team: t.id });
            }
            if !input.region.contains(sh.start) || !input.region.contains(sh.end) {
                return Err(PlanError::OutsideRegion {
                    what: "team",
                    id: t.id,
                });
            }
        }
        shifts.sort_by_key(|s| s.start_s);
        if shifts.windows(2).any(|w| w[1].start_s < w[0].end_s) {
            return Err(PlanError::ShiftsOverlap { team: t.id });
        }
    }
    for tier in Tier::ALL {
        let p = input.policies.of(tier);
        if p.start_s >= p.end_s {
            return Err(PlanError::BadHours {
                tier: tier.as_str(),
            });
        }
        let fits = |n: u8| {
            visits::window_width(n, p.spacing_s, p.start_s, p.end_s, p.service_s)
                .is_some_and(|w| w >= input.min_window_s)
        };
        if p.visits > 0 && !fits(p.visits) {
            let max_visits = (1..p.visits).rev().find(|n| fits(*n)).unwrap_or(0);
            return Err(PlanError::FrequencyDoesNotFit {
                tier: tier.as_str(),
                visits: p.visits,
                max_visits,
            });
        }
    }
    Ok(())
}

/// A way of routing visits. Implementations must return a plan that passes [`check`].
pub trait Solver {
    fn name(&self) -> &'static str;
    fn solve(&self, problem: &Problem) -> Plan;
}

/// Checks the input, expands it and solves it with `solver`.
pub fn plan(input: &Input, solver: &dyn Solver) -> Result<(Problem, Plan), PlanError> {
    let problem = expand(input)?;
    let plan = solver.solve(&problem);
    Ok((problem, plan))
}
