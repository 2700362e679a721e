//! The planning problem in the words of street outreach: hotspots in three tiers, how often
//! each tier is visited and when, teams and their shifts, sightings waiting for a team.
//! Times are seconds since local midnight of the planned day.

use serde::{Deserialize, Serialize};

/// 巡查点位等级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 重点: every visit is required.
    Key,
    /// 次重点
    Secondary,
    /// 一般
    General,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Key, Tier::Secondary, Tier::General];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Key => "key",
            Tier::Secondary => "secondary",
            Tier::General => "general",
        }
    }
}

/// How a tier is patrolled: `visits` a day, at least `spacing_s` apart, within the tier's
/// hours, each visit taking `service_s`; `weight` ranks optional visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPolicy {
    pub visits: u8,
    pub spacing_s: u32,
    pub start_s: u32,
    pub end_s: u32,
    pub service_s: u32,
    pub weight: u32,
}

/// One policy per tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policies {
    pub key: TierPolicy,
    pub secondary: TierPolicy,
    pub general: TierPolicy,
}

impl Policies {
    pub fn of(&self, tier: Tier) -> &TierPolicy {
        match tier {
            Tier::Key => &self.key,
            Tier::Secondary => &self.secondary,
            Tier::General => &self.general,
        }
    }
}

/// A position in degrees (WGS-84 as phones report it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// Great-circle distance in metres.
    pub fn metres_to(self, other: LatLon) -> f64 {
        let r = 6_371_000.0;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().min(1.0).asin()
    }
}

/// The jurisdiction's bounding box: every position must fall inside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl Region {
    pub fn contains(&self, p: LatLon) -> bool {
        p.lat.is_finite()
            && p.lon.is_finite()
            && (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

/// 巡查点位.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hotspot {
    pub id: u32,
    pub name: String,
    pub pos: LatLon,
    pub tier: Tier,
}

/// 班次: a team on duty from `start_s` to `end_s`, leaving from and returning to a place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    pub start_s: u32,
    pub end_s: u32,
    pub start: LatLon,
    pub end: LatLon,
}

/// 巡查队.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: u32,
    pub shifts: Vec<Shift>,
}

/// An open sighting (求助线索) for a team to attend: urgent ones (a child, bad weather) must be
/// reached by `respond_by_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    pub id: u32,
    pub pos: LatLon,
    pub urgent: bool,
    pub ready_s: u32,
    pub respond_by_s: u32,
    pub service_s: u32,
}

/// Everything a day's plan is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub region: Region,
    pub policies: Policies,
    pub hotspots: Vec<Hotspot>,
    pub teams: Vec<Team>,
    pub sightings: Vec<Sighting>,
    /// Straight-line travel: speed and a detour factor for streets (≥ 1).
    pub speed_kmh: f64,
    pub detour: f64,
    /// The narrowest window a visit may be given when a tier's visits are spread.
    pub min_window_s: u32,
}

/// A planned stop: which visit, and when its service starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub visit: usize,
    pub start_s: u32,
}

/// One team's route in one shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub team: u32,
    pub shift: usize,
    pub stops: Vec<Stop>,
}

/// A day's plan: routes, and the visits nobody could make.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub routes: Vec<Route>,
    pub unassigned: Vec<usize>,
}
