//! A seeded city like the demo's (莲都区: hotspots in three tiers, teams on two shifts from
//! the station), for tests and the benchmark. Positions are synthetic.

use crate::model::{Hotspot, Input, LatLon, Policies, Region, Shift, Team, Tier, TierPolicy};

const H: u32 = 3600;

/// 莲都区, roughly.
pub fn region() -> Region {
    Region {
        min_lat: 28.35,
        max_lat: 28.55,
        min_lon: 119.80,
        max_lon: 120.05,
    }
}

/// Key points three times a day at least 3 h apart; secondary twice, 4 h apart; general once.
pub fn policies() -> Policies {
    Policies {
        key: TierPolicy {
            visits: 3,
            spacing_s: 3 * H,
            start_s: 8 * H,
            end_s: 22 * H,
            service_s: 600,
            weight: 0,
        },
        secondary: TierPolicy {
            visits: 2,
            spacing_s: 4 * H,
            start_s: 8 * H,
            end_s: 20 * H,
            service_s: 600,
            weight: 30,
        },
        general: TierPolicy {
            visits: 1,
            spacing_s: 0,
            start_s: 9 * H,
            end_s: 18 * H,
            service_s: 600,
            weight: 10,
        },
    }
}

/// A deterministic stream of numbers in [0, 1).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `hotspots` points (a quarter key, a quarter secondary, half general) and `teams` teams
/// on 08–15 and 15–22 shifts from the station.
pub fn city(seed: u64, hotspots: usize, teams: u32) -> Input {
    let mut r = Lcg(seed);
    let station = LatLon {
        lat: 28.45,
        lon: 119.92,
    };
    let hs = (0..hotspots)
        .map(|i| Hotspot {
            id: i as u32,
            name: format!("点位{i}"),
            pos: LatLon {
                lat: 28.40 + r.next_f64() * 0.10,
                lon: 119.85 + r.next_f64() * 0.15,
            },
            tier: match i % 4 {
                0 => Tier::Key,
                1 => Tier::Secondary,
                _ => Tier::General,
            },
        })
        .collect();
    let ts = (0..teams)
        .map(|id| Team {
            id,
            shifts: vec![
                Shift {
                    start_s: 8 * H,
                    end_s: 15 * H,
                    start: station,
                    end: station,
                },
                Shift {
                    start_s: 15 * H,
                    end_s: 22 * H,
                    start: station,
                    end: station,
                },
            ],
        })
        .collect();
    Input {
        region: region(),
        policies: policies(),
        hotspots: hs,
        teams: ts,
        sightings: Vec::new(),
        speed_kmh: 25.0,
        detour: 1.3,
        min_window_s: 15 * 60,
    }
}
