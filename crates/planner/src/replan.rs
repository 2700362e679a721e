//! An urgent sighting during the day: put it into the plan the teams already follow, moving
//! as little as possible. No stop changes team; if no route has room, the lowest-weight
//! optional stops of the best route are dropped until it fits.

use crate::greedy::schedule;
use crate::model::{Plan, Stop};
use crate::visits::Problem;

/// What a re-plan changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Churn {
    /// Stops that went to another team (this re-plan never does that).
    pub moved: usize,
    /// Optional stops given up to make room.
    pub dropped: usize,
}

/// Inserts visit `urgent` of `problem` into `plan` after `now_s` (stops already started stay
/// as they are). Returns the new plan and its churn, or `None` if no route can take it.
pub fn insert_urgent(
    problem: &Problem,
    plan: &Plan,
    urgent: usize,
    now_s: u32,
) -> Option<(Plan, Churn)> {
    let mut best: Option<(u32, usize, Vec<usize>, usize)> = None; // (cost, route, sequence, dropped)
    for (r, route) in plan.routes.iter().enumerate() {
        let slot = problem
            .shifts
            .iter()
            .find(|s| s.team == route.team && s.shift == route.shift)?;
        let seq: Vec<usize> = route.stops.iter().map(|s| s.visit).collect();
        // Stops whose service has begun are fixed; the sighting goes after them.
        let fixed = route.stops.iter().take_while(|s| s.start_s < now_s).count();
        let mut optional: Vec<usize> = seq[fixed..]
            .iter()
            .copied()
            .filter(|&v| !problem.visits[v].required)
            .collect();
        optional.sort_by_key(|&v| problem.visits[v].weight);
        let mut candidate = seq.clone();
        let mut dropped = 0;
        loop {
            let mut found: Option<(u32, Vec<usize>)> = None;
            for pos in fixed..=candidate.len() {
                let mut trial = candidate.clone();
                trial.insert(pos, urgent);
                if let Some((starts, back)) = schedule(problem, slot, &trial) {
                    let cost = starts[pos] * 4 + back;
                    if found.as_ref().is_none_or(|f| cost < f.0) {
                        found = Some((cost, trial));
                    }
                }
            }
            if let Some((cost, trial)) = found {
                // Prefer routes that give up nothing, then the earliest arrival.
                let key = cost + dropped as u32 * 1_000_000;
                if best.as_ref().is_none_or(|b| key < b.0) {
                    best = Some((key, r, trial, dropped));
                }
                break;
            }
            let Some(v) = optional.first().copied() else {
                break;
            };
            optional.remove(0);
            candidate.retain(|&x| x != v);
            dropped += 1;
        }
    }
    let (_, r, seq, dropped) = best?;
    let mut out = plan.clone();
    let route = &mut out.routes[r];
    let slot = problem
        .shifts
        .iter()
        .find(|s| s.team == route.team && s.shift == route.shift)?;
    let gone: Vec<usize> = route
        .stops
        .iter()
        .map(|s| s.visit)
        .filter(|v| !seq.contains(v))
        .collect();
    let (starts, _) = schedule(problem, slot, &seq)?;
    route.stops = seq
        .iter()
        .zip(starts)
        .map(|(&visit, start_s)| Stop { visit, start_s })
        .collect();
    out.unassigned.retain(|&v| v != urgent);
    out.unassigned.extend(gone);
    Some((out, Churn { moved: 0, dropped }))
}

/// How well a plan covers the day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Coverage {
    /// Key visits made ÷ key visits.
    pub key: f64,
    /// Weight of visits made ÷ weight of all visits.
    pub weighted: f64,
    /// Seconds on the road, all routes.
    pub travel_s: u64,
}

pub fn coverage(problem: &Problem, plan: &Plan) -> Coverage {
    let made: Vec<bool> = {
        let mut m = vec![false; problem.visits.len()];
        for s in plan.routes.iter().flat_map(|r| &r.stops) {
            m[s.visit] = true;
        }
        m
    };
    let (mut key, mut key_made, mut w, mut w_made) = (0u64, 0u64, 0u64, 0u64);
    for (v, &m) in problem.visits.iter().zip(&made) {
        if v.required {
            key += 1;
            key_made += u64::from(m);
        }
        w += u64::from(v.weight);
        if m {
            w_made += u64::from(v.weight);
        }
    }
    let mut travel_s = 0u64;
    for r in &plan.routes {
        let Some(slot) = problem
            .shifts
            .iter()
            .find(|s| s.team == r.team && s.shift == r.shift)
        else {
            continue;
        };
        let mut at = slot.start_place;
        for s in &r.stops {
            let p = problem.visits[s.visit].place;
            travel_s += u64::from(problem.travel(at, p));
            at = p;
        }
        if !r.stops.is_empty() {
            travel_s += u64::from(problem.travel(at, slot.end_place));
        }
    }
    Coverage {
        key: if key == 0 {
            1.0
        } else {
            key_made as f64 / key as f64
        },
        weighted: if w == 0 {
            1.0
        } else {
            w_made as f64 / w as f64
        },
        travel_s,
    }
}
