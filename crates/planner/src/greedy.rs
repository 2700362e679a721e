//! Cheapest feasible insertion: visits in order of importance (urgent sightings, key
//! visits, then by weight), each put where it lengthens a route least. Not a metaheuristic:
//! the baseline every solver must beat, and the fast first step of an urgent re-plan.

use crate::model::{Plan, Route, Stop};
use crate::visits::{Problem, ShiftSlot};
use crate::Solver;

/// The baseline solver.
#[derive(Debug, Clone, Copy, Default)]
pub struct GreedyInsertion;

/// Service starts for `seq` on `slot`, waiting for windows to open, and the time back at
/// the end place; `None` when a window or the shift end is missed.
pub(crate) fn schedule(p: &Problem, slot: &ShiftSlot, seq: &[usize]) -> Option<(Vec<u32>, u32)> {
    let (mut t, mut at) = (slot.start_s, slot.start_place);
    let mut starts = Vec::with_capacity(seq.len());
    for &i in seq {
        let v = &p.visits[i];
        let start = (t + p.travel(at, v.place)).max(v.earliest_s);
        if start > v.latest_s {
            return None;
        }
        starts.push(start);
        t = start + v.service_s;
        at = v.place;
    }
    let back = t + p.travel(at, slot.end_place);
    (back <= slot.end_s).then_some((starts, back))
}

impl Solver for GreedyInsertion {
    fn name(&self) -> &'static str {
        "greedy-insertion"
    }

    fn solve(&self, p: &Problem) -> Plan {
        let mut order: Vec<usize> = (0..p.visits.len()).collect();
        order.sort_by_key(|&i| {
            let v = &p.visits[i];
            (!v.required, std::cmp::Reverse(v.weight), v.earliest_s, i)
        });
        let mut seqs: Vec<Vec<usize>> = vec![Vec::new(); p.shifts.len()];
        let mut ends: Vec<u32> = p
            .shifts
            .iter()
            .map(|s| s.start_s + p.travel(s.start_place, s.end_place))
            .collect();
        let mut unassigned = Vec::new();
        for i in order {
            // (added duration, shift, position)
            let mut best: Option<(u32, usize, usize)> = None;
            for (r, slot) in p.shifts.iter().enumerate() {
                for pos in 0..=seqs[r].len() {
                    let mut trial = seqs[r].clone();
                    trial.insert(pos, i);
                    if let Some((_, back)) = schedule(p, slot, &trial) {
                        let added = back.saturating_sub(ends[r]);
                        if best.is_none_or(|b| added < b.0) {
                            best = Some((added, r, pos));
                        }
                    }
                }
            }
            match best {
                Some((_, r, pos)) => {
                    seqs[r].insert(pos, i);
                    ends[r] = schedule(p, &p.shifts[r], &seqs[r]).expect("just checked").1;
                }
                None => unassigned.push(i),
            }
        }
        let routes = p
            .shifts
            .iter()
            .zip(&seqs)
            .map(|(slot, seq)| {
                let (starts, _) = schedule(p, slot, seq).expect("kept feasible");
                Route {
                    team: slot.team,
                    shift: slot.shift,
                    stops: seq
                        .iter()
                        .zip(starts)
                        .map(|(&visit, start_s)| Stop { visit, start_s })
                        .collect(),
                }
            })
            .collect();
        Plan { routes, unassigned }
    }
}
