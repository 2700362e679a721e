//! 街面巡查: street outreach. Hotspots in tiers, sightings from every channel and the
//! steps they go through, what a patrol team records when it meets someone, and weather
//! warnings turned into campaigns (夏季送清凉 / 寒冬送温暖) by dated regional rules.
//!
//! The rules live in `reference/settings/outreach.toml`, loaded strictly like the station
//! settings: an unknown key, a missing reference or a value out of range is an error.

use crate::region::RegionCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const OUTREACH_TOML: &str = include_str!("../../../reference/settings/outreach.toml");

code_enum! {
    /// 点位等级: 重点 / 次重点 / 一般.
    pub enum Tier {
        Key = "key",
        Secondary = "secondary",
        General = "general",
    }
}

code_enum! {
    /// Where a sighting (求助线索) came from.
    pub enum SightingChannel {
        /// 求助热线
        Hotline = "hotline",
        /// 视频巡查
        Video = "video",
        /// 群众报告 through the public web form.
        Public = "public",
        /// 公安
        Police = "police",
        /// 城管
        CityManagement = "city_management",
        /// 救助驿站
        RescuePost = "rescue_post",
        /// 巡查队自行发现
        Patrol = "patrol",
    }
}

code_enum! {
    pub enum SightingStatus {
        /// Waiting for a team.
        Open = "open",
        /// 已派单
        Dispatched = "dispatched",
        /// 已到场
        OnScene = "on_scene",
        Closed = "closed",
    }
}

code_enum! {
    /// 处置结果: what the team found and did.
    pub enum ContactOutcome {
        /// 引导/护送入站
        BroughtIn = "brought_in",
        /// 拒绝救助，发放物资和爱心救助卡
        RefusedSupplies = "refused_supplies",
        /// 已离开
        Gone = "gone",
        /// 未发现
        NotFound = "not_found",
        /// 移交公安
        ReferredPolice = "referred_police",
        /// 送医
        ReferredHospital = "referred_hospital",
    }
}

impl ContactOutcome {
    /// Whether someone was reached and helped (the "engaged" figure).
    pub fn engaged(self) -> bool {
        !matches!(self, ContactOutcome::Gone | ContactOutcome::NotFound)
    }
}

code_enum! {
    pub enum WeatherKind {
        Heat = "heat",
        Cold = "cold",
        Rain = "rain",
        Typhoon = "typhoon",
    }
}

code_enum! {
    /// 预警级别, from the mildest.
    pub enum WarningLevel {
        Blue = "blue",
        Yellow = "yellow",
        Orange = "orange",
        Red = "red",
    }
}

impl WarningLevel {
    pub fn rank(self) -> u8 {
        match self {
            WarningLevel::Blue => 1,
            WarningLevel::Yellow => 2,
            WarningLevel::Orange => 3,
            WarningLevel::Red => 4,
        }
    }
}

code_enum! {
    pub enum CampaignKind {
        /// 夏季送清凉
        SummerCooling = "summer_cooling",
        /// 寒冬送温暖
        WinterWarmth = "winter_warmth",
        /// 防汛防台: bring people in from rain and typhoon.
        StormShelter = "storm_shelter",
    }
}

/// A step a sighting cannot take from where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sighting_step_refused")]
pub struct StepRefused;

impl SightingStatus {
    /// The one place that says which step follows which: a team is dispatched to an open
    /// sighting, arrives, and closes it; the operator may close an open one without a team
    /// (a duplicate, or the camera shows the person has gone); a dispatched team may be
    /// recalled, which opens the sighting again.
    pub fn step(self, to: SightingStatus) -> Result<SightingStatus, StepRefused> {
        use SightingStatus::*;
        match (self, to) {
            (Open, Dispatched)
            | (Dispatched, OnScene)
            | (Dispatched | OnScene | Open, Closed)
            | (Dispatched, Open) => Ok(to),
            _ => Err(StepRefused),
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, SightingStatus::Dispatched | SightingStatus::OnScene)
    }
}

/// How a tier is patrolled, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    pub visits: u8,
    pub spacing_minutes: u32,
    /// Minutes after midnight.
    #[serde(deserialize_with = "hhmm")]
    pub from: u32,
    #[serde(deserialize_with = "hhmm")]
    pub to: u32,
    pub service_minutes: u32,
    pub weight: u32,
}

fn hhmm<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let s = String::deserialize(d)?;
    parse_hhmm(&s).ok_or_else(|| serde::de::Error::custom(format!("not a time of day: {s}")))
}

/// "08:30" as minutes after midnight; "24:00" is the end of the day.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

pub fn format_hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub key: TierRule,
    pub secondary: TierRule,
    pub general: TierRule,
}

impl Tiers {
    pub fn of(&self, t: Tier) -> &TierRule {
        match t {
            Tier::Key => &self.key,
            Tier::Secondary => &self.secondary,
            Tier::General => &self.general,
        }
    }
    fn of_mut(&mut self, t: Tier) -> &mut TierRule {
        match t {
            Tier::Key => &mut self.key,
            Tier::Secondary => &mut self.secondary,
            Tier::General => &mut self.general,
        }
    }
}

/// Extra visits a day per tier while a campaign runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraVisits {
    #[serde(default)]
    pub key: u8,
    #[serde(default)]
    pub secondary: u8,
    #[serde(default)]
    pub general: u8,
}

/// A rule that turns a weather warning into a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignRule {
    #[serde(deserialize_with = "weather")]
    pub weather: WeatherKind,
    #[serde(deserialize_with = "level")]
    pub min_level: WarningLevel,
    #[serde(deserialize_with = "campaign")]
    pub campaign: CampaignKind,
    pub extra_visits: ExtraVisits,
    /// Pushed to every team's phone while the campaign runs.
    pub instructions: String,
    /// Supplies each team should hand out a day (bottles of water, quilts…).
    pub supplies_per_team: u32,
}

macro_rules! code_de {
    ($f:ident, $t:ty) => {
        fn $f<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
            let s = String::deserialize(d)?;
            <$t>::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown code: {s}")))
        }
    };
}
code_de!(weather, WeatherKind);
code_de!(level, WarningLevel);
code_de!(campaign, CampaignKind);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    region: String,
    from: String,
    reference: String,
    urgent_response_minutes: u32,
    normal_response_minutes: u32,
    tiers: Tiers,
    /// The area positions must fall in: [south, west, north, east] in degrees.
    #[serde(default)]
    area: Option<[f64; 4]>,
    #[serde(default)]
    campaign: Vec<CampaignRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    entry: Vec<EntryFile>,
}

/// The outreach rules in force for a region from a date.
#[derive(Debug, Clone, PartialEq)]
pub struct OutreachSettings {
    pub region: RegionCode,
    pub from: NaiveDate,
    pub reference: String,
    /// A child, or anyone in a weather warning: a team should be there within this.
    pub urgent_response_minutes: u32,
    pub normal_response_minutes: u32,
    pub tiers: Tiers,
    pub campaigns: Vec<CampaignRule>,
    /// [south, west, north, east]: hotspots, teams, sightings and posts must lie inside.
    /// None: anywhere on Earth.
    pub area: Option<[f64; 4]>,
}

impl OutreachSettings {
    /// Whether a position lies in the region's area (a typo in a coordinate, or a point
    /// picked in the wrong city, is caught here).
    pub fn covers(&self, lat: f64, lng: f64) -> bool {
        valid_position(lat, lng)
            && self
                .area
                .is_none_or(|[s, w, n, e]| (s..=n).contains(&lat) && (w..=e).contains(&lng))
    }

    /// The rule a warning triggers here: the strictest rule for its kind that the level
    /// reaches.
    pub fn campaign_for(&self, kind: WeatherKind, level: WarningLevel) -> Option<&CampaignRule> {
        self.campaigns
            .iter()
            .filter(|r| r.weather == kind && level.rank() >= r.min_level.rank())
            .max_by_key(|r| r.min_level.rank())
    }

    /// The tiers for a day with the extra visits of the campaigns running that day. Two
    /// campaigns at once do not add up: the larger extra per tier wins.
    pub fn tiers_with(&self, extras: &[ExtraVisits]) -> Tiers {
        let mut t = self.tiers;
        for tier in Tier::ALL {
            let add = extras
                .iter()
                .map(|e| match tier {
                    Tier::Key => e.key,
                    Tier::Secondary => e.secondary,
                    Tier::General => e.general,
                })
                .max()
                .unwrap_or(0);
            let r = t.of_mut(*tier);
            r.visits = r.visits.saturating_add(add);
        }
        t
    }

    /// Minutes a team has to reach a sighting.
    pub fn response_minutes(&self, urgent: bool) -> u32 {
        if urgent {
            self.urgent_response_minutes
        } else {
            self.normal_response_minutes
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutreachBook {
    entries: Vec<OutreachSettings>,
}

impl OutreachBook {
    pub fn shipped() -> OutreachBook {
        OutreachBook::parse(OUTREACH_TOML).expect("the shipped outreach settings are valid")
    }

    pub fn parse(text: &str) -> Result<OutreachBook, crate::settings::SettingsError> {
        use crate::settings::SettingsError::{Invalid, Syntax};
        let file: File = toml::from_str(text).map_err(|e| Syntax(e.message().to_string()))?;
        let mut entries: Vec<OutreachSettings> = Vec::new();
        for e in file.entry {
            let region = RegionCode::try_from(e.region.clone())
                .map_err(|_| Invalid(format!("region {}", e.region)))?;
            let from = NaiveDate::parse_from_str(&e.from, "%Y-%m-%d")
                .map_err(|_| Invalid(format!("from {}", e.from)))?;
            let at = format!("{region} {from}");
            if e.reference.trim().is_empty() {
                return Err(Invalid(format!("{at}: reference missing")));
            }
            if e.urgent_response_minutes == 0
                || e.urgent_response_minutes > e.normal_response_minutes
                || e.normal_response_minutes > 24 * 60
            {
                return Err(Invalid(format!("{at}: response minutes out of range")));
            }
            for tier in Tier::ALL {
                let r = e.tiers.of(*tier);
                if r.from >= r.to || r.visits > 12 || r.service_minutes == 0 {
                    return Err(Invalid(format!(
                        "{at}: {} tier out of range",
                        tier.as_str()
                    )));
                }
            }
            for c in &e.campaign {
                if c.instructions.trim().is_empty() {
                    return Err(Invalid(format!("{at}: campaign without instructions")));
                }
            }
            if let Some([s, w, n, e]) = e.area {
                if !(valid_position(s, w) && valid_position(n, e) && s < n && w < e) {
                    return Err(Invalid(format!("{at}: area out of range")));
                }
            }
            if entries.iter().any(|x| x.region == region && x.from == from) {
                return Err(Invalid(format!("{at}: twice")));
            }
            entries.push(OutreachSettings {
                region,
                from,
                reference: e.reference,
                urgent_response_minutes: e.urgent_response_minutes,
                normal_response_minutes: e.normal_response_minutes,
                tiers: e.tiers,
                campaigns: e.campaign,
                area: e.area,
            });
        }
        if !entries.iter().any(|e| e.region.is_nation()) {
            return Err(Invalid("no national default".into()));
        }
        Ok(OutreachBook { entries })
    }

    /// The nearest region's latest entry in force on `on`, else the national default.
    pub fn for_region(&self, region: &RegionCode, on: NaiveDate) -> &OutreachSettings {
        let mut chain = region.ancestry();
        chain.push(RegionCode::nation());
        chain
            .iter()
            .find_map(|r| {
                self.entries
                    .iter()
                    .filter(|e| &e.region == r && e.from <= on)
                    .max_by_key(|e| e.from)
            })
            .unwrap_or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.region.is_nation())
                    .expect("checked on load")
            })
    }
}

/// A public sighting's reference says nothing about the person, so the reporter sees
/// only what happened, in plain words: never the team, the place found or the name.
pub fn public_outcome(status: SightingStatus, outcome: Option<ContactOutcome>) -> &'static str {
    match (status, outcome) {
        (SightingStatus::Open, _) => "received",
        (SightingStatus::Dispatched | SightingStatus::OnScene, _) => "team_on_way",
        (SightingStatus::Closed, Some(ContactOutcome::BroughtIn)) => "brought_in",
        (SightingStatus::Closed, Some(ContactOutcome::RefusedSupplies)) => "helped_on_street",
        (
            SightingStatus::Closed,
            Some(ContactOutcome::ReferredHospital | ContactOutcome::ReferredPolice),
        ) => "referred",
        (SightingStatus::Closed, _) => "not_found",
    }
}

/// Straight-line distance in metres between two WGS-84 positions (nearest team, nearest post).
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0;
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().min(1.0).asin()
}

/// A position typed or picked on the map: finite, and on Earth.
pub fn valid_position(lat: f64, lng: f64) -> bool {
    lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_sighting_goes_open_dispatched_on_scene_closed_and_nothing_skips_back() {
        use SightingStatus::*;
        assert_eq!(Open.step(Dispatched), Ok(Dispatched));
        assert_eq!(Dispatched.step(OnScene), Ok(OnScene));
        assert_eq!(OnScene.step(Closed), Ok(Closed));
        assert_eq!(
            Open.step(Closed),
            Ok(Closed),
            "a duplicate closes without a team"
        );
        assert_eq!(
            Dispatched.step(Open),
            Ok(Open),
            "a recalled team reopens it"
        );
        assert_eq!(Open.step(OnScene), Err(StepRefused));
        assert_eq!(Closed.step(Open), Err(StepRefused));
        assert_eq!(Closed.step(Dispatched), Err(StepRefused));
        assert_eq!(OnScene.step(Dispatched), Err(StepRefused));
    }

    #[test]
    fn the_shipped_rules_load_and_a_cold_warning_starts_winter_warmth() {
        let book = OutreachBook::shipped();
        let lishui = RegionCode::parse("331102").unwrap();
        let s = book.for_region(&lishui, d("2026-12-01"));
        let rule = s
            .campaign_for(WeatherKind::Cold, WarningLevel::Yellow)
            .expect("a yellow cold warning starts a campaign");
        assert_eq!(rule.campaign, CampaignKind::WinterWarmth);
        assert!(s
            .campaign_for(WeatherKind::Cold, WarningLevel::Blue)
            .is_none());
        let more = s.tiers_with(&[rule.extra_visits]);
        assert!(more.key.visits > s.tiers.key.visits);
        // The strictest rule the level reaches wins.
        let red = s
            .campaign_for(WeatherKind::Cold, WarningLevel::Red)
            .unwrap();
        assert!(red.extra_visits.key >= rule.extra_visits.key);
    }

    #[test]
    fn two_campaigns_at_once_take_the_larger_extra_not_the_sum() {
        let s = OutreachBook::shipped()
            .for_region(&RegionCode::nation(), d("2026-01-01"))
            .clone();
        let a = ExtraVisits {
            key: 1,
            secondary: 0,
            general: 0,
        };
        let b = ExtraVisits {
            key: 2,
            secondary: 1,
            general: 0,
        };
        let t = s.tiers_with(&[a, b]);
        assert_eq!(t.key.visits, s.tiers.key.visits + 2);
        assert_eq!(t.secondary.visits, s.tiers.secondary.visits + 1);
        assert_eq!(s.tiers_with(&[]), s.tiers);
    }

    #[test]
    fn settings_are_strict() {
        let good = OUTREACH_TOML;
        assert!(OutreachBook::parse(good).is_ok());
        let unknown = good.replacen("urgent_response_minutes", "urgent_minutes", 1);
        assert!(OutreachBook::parse(&unknown).is_err(), "unknown key");
        let bad_time = good.replacen("from = \"08:00\"", "from = \"8h\"", 1);
        assert!(OutreachBook::parse(&bad_time).is_err(), "bad time of day");
        let bad_code = good.replacen("weather = \"cold\"", "weather = \"snowy\"", 1);
        assert!(OutreachBook::parse(&bad_code).is_err(), "unknown weather");
        let no_ref = good.replacen("reference = \"", "reference = \" \" #", 1);
        assert!(OutreachBook::parse(&no_ref).is_err(), "reference missing");
    }

    #[test]
    fn a_position_outside_the_citys_area_is_caught() {
        let book = OutreachBook::shipped();
        let lishui = book.for_region(&RegionCode::parse("331102").unwrap(), d("2026-12-01"));
        assert!(lishui.covers(28.45, 119.91));
        assert!(!lishui.covers(30.27, 120.15), "Hangzhou is not in Lishui");
        assert!(
            !lishui.covers(119.91, 28.45),
            "latitude and longitude swapped"
        );
        let nation = book.for_region(&RegionCode::nation(), d("2026-12-01"));
        assert!(nation.covers(30.27, 120.15) && !nation.covers(f64::NAN, 1.0));
        let bad = OUTREACH_TOML.replacen(
            "urgent_response_minutes = 20",
            "area = [29.0, 118.0, 28.0, 120.0]\nurgent_response_minutes = 20",
            1,
        );
        assert!(OutreachBook::parse(&bad).is_err(), "an area upside down");
    }

    #[test]
    fn times_of_day_parse_strictly() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("7:60"), None);
        assert_eq!(parse_hhmm("0800"), None);
        assert_eq!(parse_hhmm("-1:00"), None);
        assert_eq!(format_hhmm(510), "08:30");
    }

    #[test]
    fn the_reporter_reads_what_happened_and_nothing_else() {
        use ContactOutcome::*;
        use SightingStatus::*;
        assert_eq!(public_outcome(Open, None), "received");
        assert_eq!(public_outcome(OnScene, None), "team_on_way");
        assert_eq!(
            public_outcome(Closed, Some(RefusedSupplies)),
            "helped_on_street"
        );
        assert_eq!(public_outcome(Closed, Some(BroughtIn)), "brought_in");
        assert_eq!(public_outcome(Closed, Some(Gone)), "not_found");
        assert_eq!(public_outcome(Closed, None), "not_found");
        assert!(RefusedSupplies.engaged() && !NotFound.engaged());
    }

    #[test]
    fn distances_are_roughly_right() {
        // One degree of latitude is about 111 km.
        let m = metres_between((28.0, 120.0), (29.0, 120.0));
        assert!((m - 111_195.0).abs() < 200.0, "{m}");
        assert!(valid_position(28.4, 119.9));
        assert!(!valid_position(f64::NAN, 0.0) && !valid_position(91.0, 0.0));
    }
}
