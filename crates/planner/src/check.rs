//! Whether a plan can be carried out, decided without any solver: the schedule is
//! recomputed from the travel times, and every window, shift, spacing and required visit
//! is checked. Tests run every plan through it, whichever solver made it.

use crate::model::Plan;
use crate::visits::{Problem, VisitKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One thing wrong with a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Violation {
    UnknownVisit {
        visit: usize,
    },
    UnknownShift {
        team: u32,
        shift: usize,
    },
    ShiftPlannedTwice {
        team: u32,
        shift: usize,
    },
    VisitedTwice {
        visit: usize,
    },
    /// Service starts before the team can be there, or before the window opens.
    TooEarly {
        visit: usize,
    },
    TooLate {
        visit: usize,
    },
    /// The team is back after its shift ends.
    ShiftOverrun {
        team: u32,
        shift: usize,
    },
    /// Two visits of one hotspot closer than the tier's spacing.
    SpacingBroken {
        hotspot: usize,
    },
    /// A key visit or an urgent sighting nobody makes.
    RequiredMissed {
        visit: usize,
    },
    /// Neither planned nor listed as unassigned.
    Unaccounted {
        visit: usize,
    },
}

/// Every violation of `plan` for `problem` (empty: the plan is feasible).
pub fn check(problem: &Problem, plan: &Plan) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut seen = vec![0u32; problem.visits.len()];
    let mut used_shifts = HashMap::new();
    let mut starts_by_hotspot: HashMap<usize, Vec<(u32, u32)>> = HashMap::new();
    for r in &plan.routes {
        let Some(slot) = problem
            .shifts
            .iter()
            .find(|s| s.team == r.team && s.shift == r.shift)
        else {
            out.push(Violation::UnknownShift {
                team: r.team,
                shift: r.shift,
            });
            continue;
        };
        if used_shifts.insert((r.team, r.shift), ()).is_some() {
            out.push(Violation::ShiftPlannedTwice {
                team: r.team,
                shift: r.shift,
            });
        }
        let (mut t, mut at) = (slot.start_s, slot.start_place);
        for stop in &r.stops {
            let Some(v) = problem.visits.get(stop.visit) else {
                out.push(Violation::UnknownVisit { visit: stop.visit });
                continue;
            };
            seen[stop.visit] += 1;
            let arrive = t + problem.travel(at, v.place);
            if stop.start_s < arrive || stop.start_s < v.earliest_s {
                out.push(Violation::TooEarly { visit: stop.visit });
            }
            if stop.start_s > v.latest_s {
                out.push(Violation::TooLate { visit: stop.visit });
            }
            if let VisitKind::Hotspot { hotspot, .. } = v.kind {
                starts_by_hotspot
                    .entry(hotspot)
                    .or_default()
                    .push((stop.start_s, v.spacing_s));
            }
            t = stop.start_s.max(arrive) + v.service_s;
            at = v.place;
        }
        if t + problem.travel(at, slot.end_place) > slot.end_s {
            out.push(Violation::ShiftOverrun {
                team: r.team,
                shift: r.shift,
            });
        }
    }
    for (hotspot, mut starts) in starts_by_hotspot {
        starts.sort_unstable();
        if starts.windows(2).any(|w| w[1].0 - w[0].0 < w[0].1) {
            out.push(Violation::SpacingBroken { hotspot });
        }
    }
    for (i, v) in problem.visits.iter().enumerate() {
        let unassigned = plan.unassigned.contains(&i);
        match seen[i] {
            0 if v.required => out.push(Violation::RequiredMissed { visit: i }),
            0 if !unassigned => out.push(Violation::Unaccounted { visit: i }),
            n if n > 1 => out.push(Violation::VisitedTwice { visit: i }),
            _ => {}
        }
    }
    out
}
