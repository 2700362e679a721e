//! Seeded synthetic households across the 丽水 counties, for benchmarks and
//! property tests. Integer-only sampling (hand-written SplitMix64, no `rand`)
//! so the same seed gives the same data on every platform.
//!
//! Distributions are plausible, not statistics: county weights follow
//! rough 2020-census population shares, per-capita income is a piecewise
//! uniform mixture centred near 丽水's reported ~4,000–5,000 yuan/month
//! disposable income, rural incomes are scaled to 70 %.

use crate::bulk::HouseholdColumns;
use crate::region::RegionCode;

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for test data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; bias < 2⁻⁴⁰ for our small n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille`/1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Index drawn with integer weights.
    pub fn pick(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| w as u64).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w as u64 {
                return i;
            }
            x -= w as u64;
        }
        weights.len() - 1
    }
}

/// (code, population weight in 万, urban share ‰) for the 丽水 counties.
pub const LISHUI_COUNTIES: [(u32, u32, u32); 9] = [
    (331102, 60, 850), // 莲都区
    (331121, 50, 560), // 青田县
    (331122, 40, 530), // 缙云县
    (331123, 19, 520), // 遂昌县
    (331124, 20, 500), // 松阳县
    (331125, 13, 600), // 云和县
    (331126, 14, 500), // 庆元县
    (331127, 11, 480), // 景宁畲族自治县
    (331181, 25, 580), // 龙泉市
];

/// Household size 1..=6, weights ‰ (mean ≈ 2.56 people).
const SIZE_WEIGHTS: [u32; 6] = [250, 300, 220, 130, 70, 30];

/// Per-capita monthly income buckets (yuan, urban), weights ‰.
const INCOME_BUCKETS: [(i64, i64, u32); 9] = [
    (0, 600, 15),
    (600, 1_300, 25),
    (1_300, 2_000, 50),
    (2_000, 3_000, 130),
    (3_000, 4_500, 280),
    (4_500, 6_500, 260),
    (6_500, 10_000, 150),
    (10_000, 20_000, 70),
    (20_000, 60_000, 20),
];

/// Generate `n` households with the given seed.
pub fn generate_lishui(n: usize, seed: u64) -> HouseholdColumns {
    let regions: Vec<RegionCode> = LISHUI_COUNTIES
        .iter()
        .map(|(c, _, _)| RegionCode::new(*c).expect("valid code"))
        .collect();
    let region_w: Vec<u32> = LISHUI_COUNTIES.iter().map(|(_, w, _)| *w).collect();
    let income_w: Vec<u32> = INCOME_BUCKETS.iter().map(|b| b.2).collect();
    let mut rng = SplitMix64::new(seed);
    let mut cols = HouseholdColumns::with_capacity(regions, n);
    for _ in 0..n {
        let ri = rng.pick(&region_w);
        let urban = rng.chance(LISHUI_COUNTIES[ri].2 as u64);
        let members = rng.pick(&SIZE_WEIGHTS) as i64 + 1;
        let b = INCOME_BUCKETS[rng.pick(&income_w)];
        let mut pc_fen = rng.range(b.0 * 100, b.1 * 100);
        if !urban {
            pc_fen = pc_fen * 7 / 10;
        }
        // Household income is not an exact multiple of the per-capita draw.
        let income = (pc_fen * members + rng.range(-5_000, 5_000)).max(0);
        let low = pc_fen < 2_000 * 100;
        let pc_assets_yuan = if low {
            match rng.below(10) {
                0..=5 => rng.range(0, 5_000),
                6..=8 => rng.range(5_000, 30_000),
                _ => rng.range(30_000, 80_000),
            }
        } else {
            match rng.below(20) {
                0..=5 => rng.range(0, 5_000),
                6..=11 => rng.range(5_000, 30_000),
                12..=16 => rng.range(30_000, 100_000),
                _ => rng.range(100_000, 500_000),
            }
        };
        let houses = if low {
            [0u8, 1, 1, 1, 1, 1, 1, 1, 1, 2][rng.below(10) as usize]
        } else {
            [0u8, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3][rng.below(12) as usize]
        };
        let vehicle = if low {
            if rng.chance(100) {
                rng.range(5_000, 60_000) * 100
            } else {
                0
            }
        } else if rng.chance(450) {
            rng.range(20_000, 300_000) * 100
        } else {
            0
        };
        let business = rng.chance(if low { 20 } else { 60 });
        let (mut sd, mut el, mut mi) = (0u8, 0u8, 0u8);
        for _ in 0..members {
            match rng.below(1000) {
                0..=179 => mi += 1,
                180..=219 => el += 1,
                _ => {}
            }
            if rng.chance(15) {
                sd += 1;
            }
        }
        cols.region_idx.push(ri as u16);
        cols.urban.push(urban);
        cols.members.push(members as u8);
        cols.monthly_income.push(income);
        cols.financial_assets.push(pc_assets_yuan * 100 * members);
        cols.houses.push(houses);
        cols.vehicle_value.push(vehicle);
        cols.has_business.push(business);
        cols.severe_disability.push(sd);
        cols.elderly.push(el);
        cols.minors.push(mi);
    }
    cols
}
