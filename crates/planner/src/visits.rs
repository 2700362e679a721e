//! From the input to what a solver sees: every visit a day needs (a key hotspot visited
//! three times is three visits, each in its own window), the places involved, and the
//! travel times between them.
//!
//! N visits at least H apart within a tier's hours [S, E] with service d: with
//! T = E − S − d, each visit k gets the window [S + k(w + H), S + k(w + H) + w] where
//! w = (T − (N − 1)H) / N. Any two starts in neighbouring windows are then at least H
//! apart, whatever the solver does, and each visit may still fall anywhere in its window.

use crate::model::{Input, LatLon, Tier};
use crate::PlanError;
use serde::{Deserialize, Serialize};

/// What a visit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VisitKind {
    /// The `k`th visit of the day to hotspot `hotspot` (an index into `Input::hotspots`).
    Hotspot { hotspot: usize, k: u8 },
    /// Attending sighting `sighting` (an index into `Input::sightings`).
    Sighting { sighting: usize },
}

/// One job for a team.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub kind: VisitKind,
    /// Index into [`Problem::places`].
    pub place: usize,
    pub earliest_s: u32,
    pub latest_s: u32,
    pub service_s: u32,
    /// For a hotspot's visits: the least time between two of them (the tier's spacing).
    pub spacing_s: u32,
    /// Key-tier visits and urgent sightings must be made.
    pub required: bool,
    pub weight: u32,
}

/// The expanded problem: places (hotspots, sightings, then shift ends), visits and travel.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub places: Vec<LatLon>,
    pub visits: Vec<Visit>,
    /// `travel_s[i * n + j]`: seconds from place `i` to place `j`.
    pub travel_s: Vec<u32>,
    /// `(team, shift index, start place, end place, start_s, end_s)` for every shift.
    pub shifts: Vec<ShiftSlot>,
}

/// A shift as the solver sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftSlot {
    pub team: u32,
    pub shift: usize,
    pub start_place: usize,
    pub end_place: usize,
    pub start_s: u32,
    pub end_s: u32,
}

impl Problem {
    pub fn travel(&self, from: usize, to: usize) -> u32 {
        self.travel_s[from * self.places.len() + to]
    }
}

/// Urgent sightings outrank every hotspot visit; key visits outrank optional ones.
const URGENT_WEIGHT: u32 = 100_000;
const KEY_WEIGHT: u32 = 10_000;

/// Checks the input and expands it. Errors are the ones a user can act on.
pub fn expand(input: &Input) -> Result<Problem, PlanError> {
    crate::validate(input)?;
    let mut places: Vec<LatLon> = input.hotspots.iter().map(|h| h.pos).collect();
    places.extend(input.sightings.iter().map(|s| s.pos));
    let mut visits = Vec::new();
    for (i, h) in input.hotspots.iter().enumerate() {
        let p = input.policies.of(h.tier);
        for (k, (a, b)) in windows(p.visits, p.spacing_s, p.start_s, p.end_s, p.service_s)
            .into_iter()
            .enumerate()
        {
            // First visits count a little more, so coverage spreads over hotspots.
            let n = u32::from(p.visits.max(1));
            let base = if h.tier == Tier::Key {
                KEY_WEIGHT
            } else {
                p.weight
            };
            visits.push(Visit {
                kind: VisitKind::Hotspot {
                    hotspot: i,
                    k: k as u8,
                },
                place: i,
                earliest_s: a,
                latest_s: b,
                service_s: p.service_s,
                spacing_s: p.spacing_s,
                required: h.tier == Tier::Key,
                weight: base + base * (n - k as u32) / (10 * n),
            });
        }
    }
    for (j, s) in input.sightings.iter().enumerate() {
        visits.push(Visit {
            kind: VisitKind::Sighting { sighting: j },
            place: input.hotspots.len() + j,
            earliest_s: s.ready_s,
            latest_s: s.respond_by_s,
            service_s: s.service_s,
            spacing_s: 0,
            required: s.urgent,
            weight: if s.urgent {
                URGENT_WEIGHT
            } else {
                KEY_WEIGHT / 2
            },
        });
    }
    let mut shifts = Vec::new();
    for t in &input.teams {
        for (k, sh) in t.shifts.iter().enumerate() {
            places.push(sh.start);
            places.push(sh.end);
            shifts.push(ShiftSlot {
                team: t.id,
                shift: k,
                start_place: places.len() - 2,
                end_place: places.len() - 1,
                start_s: sh.start_s,
                end_s: sh.end_s,
            });
        }
    }
    let n = places.len();
    let mps = input.speed_kmh * 1000.0 / 3600.0;
    let mut travel_s = vec![0u32; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let m = places[i].metres_to(places[j]) * input.detour;
                travel_s[i * n + j] = (m / mps).ceil() as u32;
            }
        }
    }
    Ok(Problem {
        places,
        visits,
        travel_s,
        shifts,
    })
}

/// The windows of `n` visits at least `spacing` apart in [start, end] with `service`
/// (the module's formula); empty when they do not fit.
pub fn windows(n: u8, spacing: u32, start: u32, end: u32, service: u32) -> Vec<(u32, u32)> {
    let n32 = u32::from(n);
    if n == 0 || end < start + service {
        return Vec::new();
    }
    let t = end - start - service;
    let need = (n32 - 1) * spacing;
    if need > t {
        return Vec::new();
    }
    let w = (t - need) / n32;
    (0..n32)
        .map(|k| {
            let a = start + k * (w + spacing);
            (a, a + w)
        })
        .collect()
}

/// The window each visit of a tier would get, or `None` when narrower than `min_window`.
pub fn window_width(n: u8, spacing: u32, start: u32, end: u32, service: u32) -> Option<u32> {
    windows(n, spacing, start, end, service)
        .first()
        .map(|(a, b)| b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_key_visits_three_hours_apart_between_eight_and_ten() {
        let h = 3600;
        let w = windows(4, 3 * h, 8 * h, 22 * h, 600);
        assert_eq!(w.len(), 4);
        // T = 14 h − 10 min; w = (T − 3 × 3 h) / 4 = 72.5 min.
        assert_eq!(w[0], (8 * h, 8 * h + 72 * 60 + 30));
        assert_eq!(w[1].0, 12 * h + 12 * 60 + 30);
        for pair in w.windows(2) {
            assert!(pair[1].0 - pair[0].1 >= 3 * h, "spacing kept");
        }
        assert!(w[3].1 + 600 <= 22 * h, "the last visit ends in hours");
    }

    #[test]
    fn visits_that_cannot_fit_get_no_windows() {
        assert!(windows(5, 4 * 3600, 8 * 3600, 20 * 3600, 600).is_empty());
        assert!(windows(0, 0, 0, 3600, 60).is_empty());
        assert!(windows(1, 0, 3600, 3000, 60).is_empty());
        assert_eq!(windows(1, 0, 0, 3600, 600), vec![(0, 3000)]);
    }
}
