//! Blocking (分块): only pairs that share a blocking key are compared.
//!
//! A rule is a conjunction of key parts ("same surname pinyin AND same sex").
//! As in Splink, several rules are OR-ed, and a pair produced by rule *k* is
//! skipped if an earlier rule *j < k* already produced it, so every candidate
//! pair is scored exactly once.

use serde::{Deserialize, Serialize};

use crate::compare::{Features, Field};
use crate::hash::{combine, mix64};

/// One component of a blocking key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyPart {
    /// Exact toneless pinyin of the surname (so 張/张 and 单(shan)/善 agree).
    SurnamePinyin,
    /// Fuzzy pinyin of the whole name.
    FuzzyFullName,
    /// Fuzzy pinyin of the given name (catches a missing or misheard surname).
    FuzzyGivenName,
    /// Fuzzy pinyin of the last given-name character (for a nickname
    /// 小X/阿X, of X): catches nicknames and dropped characters.
    LastGivenChar,
    /// Fuzzy pinyin of the first given-name character: with the surname it
    /// catches a dropped later character (唐红芳 / 唐红).
    FirstGivenChar,
    /// The given name's fuzzy syllables in sorted order: catches swapped
    /// characters (杨军伟 / 杨伟军).
    GivenNameBag,
    /// Sex.
    Sex,
    /// Birth year implied by birth date or estimated age.
    BirthYear,
    /// Exact birth date (only records that state one; estimates give no key).
    ExactBirthDate,
    /// Five-year band of the implied birth year (tolerates estimated ages).
    BirthYearBand5,
    /// Province of origin (2 digits).
    Province,
    /// Province of origin, or of the accent when the origin is unknown.
    ProvinceOrAccent,
    /// City of origin (4 digits).
    City,
    /// County of origin (6 digits).
    County,
}

impl KeyPart {
    /// The compared field this part constrains (such fields are not
    /// estimated by EM on this rule's pairs).
    pub fn field(self) -> Field {
        match self {
            KeyPart::SurnamePinyin
            | KeyPart::FuzzyFullName
            | KeyPart::FuzzyGivenName
            | KeyPart::LastGivenChar
            | KeyPart::FirstGivenChar
            | KeyPart::GivenNameBag => Field::Name,
            KeyPart::Sex => Field::Sex,
            KeyPart::BirthYear | KeyPart::ExactBirthDate | KeyPart::BirthYearBand5 => Field::Age,
            KeyPart::Province | KeyPart::ProvinceOrAccent | KeyPart::City | KeyPart::County => {
                Field::Region
            }
        }
    }

    fn value(self, f: &Features, birth_year: Option<i32>) -> Option<u64> {
        let v = match self {
            KeyPart::SurnamePinyin => f.name.as_ref()?.surname_key()?,
            KeyPart::FuzzyFullName => f.name.as_ref()?.fuzzy_full_key(),
            KeyPart::FuzzyGivenName => f.name.as_ref()?.fuzzy_given_key()?,
            KeyPart::LastGivenChar => u64::from(f.name.as_ref()?.given().last()?.fuzzy),
            KeyPart::FirstGivenChar => u64::from(f.name.as_ref()?.given().first()?.fuzzy),
            KeyPart::GivenNameBag => {
                let g = f.name.as_ref()?.given();
                let mut syl: Vec<u32> = g.iter().map(|c| c.fuzzy).collect();
                if syl.is_empty() {
                    return None;
                }
                syl.sort_unstable();
                crate::hash::fx_hash_u32s(syl)
            }
            KeyPart::Sex => f.sex? as u64 + 1,
            KeyPart::BirthYear => birth_year? as u64,
            KeyPart::BirthYearBand5 => birth_year?.div_euclid(5) as u64,
            KeyPart::ExactBirthDate => match f.birth? {
                (days, true) => days as u64,
                _ => return None,
            },
            KeyPart::Province => u64::from(f.region?.province()),
            KeyPart::ProvinceOrAccent => u64::from(f.region.or(f.accent)?.province()),
            KeyPart::City => u64::from(f.region?.city()?),
            KeyPart::County => u64::from(f.region?.county()?),
        };
        Some(mix64(v ^ ((self as u64 + 1) << 56)))
    }
}

/// A blocking rule: records agreeing on every part are compared. Built only
/// through [`BlockingRule::new`] (also when deserialised), so it always has
/// between 1 and [`MAX_KEY_PARTS`] parts: an empty rule would put every
/// record in one block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct BlockingRule {
    name: String,
    parts: Vec<KeyPart>,
}

#[derive(Deserialize)]
struct RawRule {
    name: String,
    parts: Vec<KeyPart>,
}

impl TryFrom<RawRule> for BlockingRule {
    type Error = crate::MatchError;
    fn try_from(r: RawRule) -> Result<Self, Self::Error> {
        BlockingRule::new(&r.name, &r.parts)
    }
}

/// Most parts a rule may combine.
pub const MAX_KEY_PARTS: usize = 8;

/// Sentinel for "this record has no key under this rule".
pub const NO_KEY: u64 = 0;

impl BlockingRule {
    /// Creates a rule from 1..=[`MAX_KEY_PARTS`] parts.
    pub fn new(name: &str, parts: &[KeyPart]) -> Result<BlockingRule, crate::MatchError> {
        if parts.is_empty() || parts.len() > MAX_KEY_PARTS {
            return Err(crate::MatchError::InvalidBlockingRule(name.to_string()));
        }
        Ok(BlockingRule {
            name: name.to_string(),
            parts: parts.to_vec(),
        })
    }

    /// For the crate's own fixed rule lists (never empty, never too long).
    pub(crate) fn fixed(name: &str, parts: &[KeyPart]) -> BlockingRule {
        debug_assert!(!parts.is_empty() && parts.len() <= MAX_KEY_PARTS);
        BlockingRule {
            name: name.to_string(),
            parts: parts.to_vec(),
        }
    }

    /// Human-readable name, shown in reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key parts.
    pub fn parts(&self) -> &[KeyPart] {
        &self.parts
    }

    /// Key of a record, or [`NO_KEY`] if any part is missing.
    pub fn key(&self, f: &Features) -> u64 {
        self.key_with_birth_year(f, f.birth_year())
    }

    /// Key with an explicit birth year (used by queries to probe nearby years
    /// when the age is only an estimate).
    pub fn key_with_birth_year(&self, f: &Features, birth_year: Option<i32>) -> u64 {
        let mut vals = [0u64; MAX_KEY_PARTS];
        for (slot, p) in vals.iter_mut().zip(&self.parts) {
            match p.value(f, birth_year) {
                Some(v) => *slot = v,
                None => return NO_KEY,
            }
        }
        combine(&vals[..self.parts.len()]).max(1)
    }

    /// Whether the rule involves the birth year.
    pub fn uses_birth_year(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, KeyPart::BirthYear | KeyPart::BirthYearBand5))
    }

    /// Fields constrained by this rule, directly or through a strong
    /// correlation: blocking on region also fixes accent (compared against
    /// the region), and blocking on a name nearly fixes sex (Chinese given
    /// names are strongly gendered: 伟/强 vs 芳/娜), so non-matches in such a
    /// block agree on sex far more often than u says.
    pub fn fields(&self) -> Vec<Field> {
        let mut v: Vec<Field> = self.parts.iter().map(|p| p.field()).collect();
        if v.contains(&Field::Region) {
            v.push(Field::Accent);
        }
        if v.contains(&Field::Name) {
            v.push(Field::Sex);
        }
        v.sort();
        v.dedup();
        v
    }
}

/// The default rules used by the benchmark and [`crate::Index`]: tight
/// enough for millions of records, diverse enough to catch noisy duplicates.
pub fn default_rules() -> Vec<BlockingRule> {
    use KeyPart::*;
    let rule = BlockingRule::fixed;
    vec![
        rule("fuzzy_full_name", &[FuzzyFullName]),
        rule(
            "surname_pinyin+given_name_bag",
            &[SurnamePinyin, GivenNameBag],
        ),
        rule("surname_pinyin+county", &[SurnamePinyin, County]),
        rule(
            "fuzzy_given_name+province_or_accent",
            &[FuzzyGivenName, ProvinceOrAccent],
        ),
        rule("last_given_char+county", &[LastGivenChar, County]),
        rule(
            "surname_pinyin+first_given_char+sex+province_or_accent",
            &[SurnamePinyin, FirstGivenChar, Sex, ProvinceOrAccent],
        ),
        rule(
            "surname_pinyin+birth_year+province_or_accent",
            &[SurnamePinyin, BirthYear, ProvinceOrAccent],
        ),
        rule(
            "county+sex+birth_year_band5",
            &[County, Sex, BirthYearBand5],
        ),
    ]
}

/// Blocking keys of a set of records under a list of rules, with pair
/// enumeration that scores each pair once.
///
/// With [`Blocker::with_max_block`], blocks larger than a fixed size are
/// refined (see [`Refinement`]); every pair is still produced once, by the
/// first rule that produces it.
pub struct Blocker<'a> {
    rules: &'a [BlockingRule],
    /// Row-major: `keys[i * rules.len() + r]` is record `i`'s key under rule
    /// `r`, so the "already produced by an earlier rule?" check for a pair
    /// reads two short contiguous rows instead of one cache line per rule.
    /// A key with [`WINDOWED`] set belongs to an oversized block in which
    /// only records with nearby birth years are paired.
    keys: Vec<u64>,
    /// Implied birth year of each record ([`NO_YEAR`] if none); read only
    /// for windowed keys.
    years: Vec<i32>,
    /// Largest birth-year difference paired inside a windowed block.
    window: i32,
    /// Row-major like `keys`: whether record `i`'s block under rule `r` was
    /// refined (empty when nothing is refined).
    cut: Vec<bool>,
    /// Pairs per rule, counted once (training and the benchmark both ask).
    counts: std::sync::OnceLock<Vec<u64>>,
    /// Per rule, the records with a key in sorted order and the pieces
    /// they walk in (built once, on the first parallel enumeration, instead
    /// of once per pass).
    layouts: std::sync::OnceLock<Vec<Layout>>,
    /// What the refinement did, per rule.
    refined: Vec<RefineStats>,
}

/// Flag bit of a key whose block is windowed by birth year.
const WINDOWED: u64 = 1 << 63;

/// Sentinel birth year: none known.
const NO_YEAR: i32 = i32::MIN;

/// How oversized blocks are refined ([`Blocker::with_max_block`]).
///
/// A block of more than `max_block` records (a very common name, say) keeps
/// only its pairs whose implied birth years differ by at most `year_window`
/// years (an estimated age a few years off still meets its match); records
/// of such a block without any birth year are paired with each other only
/// (other rules have to find their pairs with dated records). A rule that
/// already fixes the birth year has its oversized blocks cut by sex instead
/// (records without a sex form their own sub-block); one that fixes both is
/// left alone. Blocks at or below `max_block` records are untouched, so
/// small data sets get exactly the plain rules' pairs. What is refined
/// depends only on the data (block sizes), never on record order or threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refinement {
    /// Largest block left whole.
    pub max_block: usize,
    /// Largest birth-year difference paired inside an oversized block.
    pub year_window: i32,
}

impl Default for Refinement {
    fn default() -> Self {
        Refinement {
            max_block: 100,
            year_window: 5,
        }
    }
}

/// What [`Blocker::with_max_block`] did to one rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefineStats {
    /// Blocks larger than the limit.
    pub blocks_cut: u64,
    /// Records in those blocks.
    pub records_in_cut_blocks: u64,
    /// Records in those blocks without a birth year (windowed rules only).
    pub records_without_year: u64,
}

/// One piece of a rule's pair enumeration: rows `[from, to)` of the block
/// `sorted[start..end]`. Large blocks are cut into several pieces so that
/// threads get even shares.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    from: usize,
    to: usize,
    pairs: u64,
    /// The block is windowed by birth year.
    windowed: bool,
}

/// One rule's records in block order, `(birth year if the block is
/// windowed else 0, record)`, and the pieces to walk them in. The keys are
/// not kept: the pieces carry the blocks' bounds.
struct Layout {
    rows: Vec<(i32, u32)>,
    pieces: Vec<Piece>,
}

impl Layout {
    fn new(sorted: &[Sorted], window: i32) -> Layout {
        Layout {
            rows: sorted.iter().map(|&(_, y, i)| (y, i)).collect(),
            pieces: pieces(sorted, window),
        }
    }
}

/// Pairs per piece when a block is cut.
const PIECE_PAIRS: u64 = 1 << 20;

/// `(key, birth year if the key is windowed else 0, record)`.
type Sorted = (u64, i32, u32);

/// Whether a record with birth year `yb ≥ ya` (sort order) is paired with
/// one with `ya` inside a windowed block.
#[inline]
fn near_sorted(ya: i32, yb: i32, window: i32) -> bool {
    if ya == NO_YEAR {
        yb == NO_YEAR
    } else {
        yb - ya <= window
    }
}

impl<'a> Blocker<'a> {
    /// Computes all keys (plain rules, no block is refined).
    pub fn new(rules: &'a [BlockingRule], features: &[Features]) -> Blocker<'a> {
        Blocker::new_on(rules, features, 1)
    }

    /// As [`Blocker::new`], computing the keys on `threads` threads.
    pub fn new_on(rules: &'a [BlockingRule], features: &[Features], threads: usize) -> Blocker<'a> {
        // Filled in place, contiguous shares per thread: no second copy.
        let width = rules.len();
        let mut keys = vec![NO_KEY; features.len() * width];
        let fill = |fs: &[Features], out: &mut [u64]| {
            for (f, row) in fs.iter().zip(out.chunks_mut(width.max(1))) {
                for (slot, rule) in row.iter_mut().zip(rules) {
                    let k = rule.key(f);
                    *slot = if k == NO_KEY {
                        k
                    } else {
                        (k & !WINDOWED).max(1)
                    };
                }
            }
        };
        let threads = threads.max(1);
        if threads == 1 || features.len() < 1024 || width == 0 {
            fill(features, &mut keys);
        } else {
            let chunk = features.len().div_ceil(threads);
            let fill = &fill;
            std::thread::scope(|scope| {
                for (fs, out) in features.chunks(chunk).zip(keys.chunks_mut(chunk * width)) {
                    scope.spawn(move || fill(fs, out));
                }
            });
        }
        Blocker {
            rules,
            keys,
            years: Vec::new(),
            window: 0,
            cut: Vec::new(),
            counts: std::sync::OnceLock::new(),
            layouts: std::sync::OnceLock::new(),
            refined: vec![RefineStats::default(); rules.len()],
        }
    }

    /// Sorts every rule's blocks now, on `threads` threads (otherwise done
    /// by the first parallel enumeration), so that a caller can time
    /// blocking as one phase.
    pub fn sort_blocks(&self, threads: usize) {
        self.layouts(threads);
    }

    /// The sorted order of every rule, computed once on `threads` threads
    /// (rules dealt out round-robin; the result does not depend on it).
    fn layouts(&self, threads: usize) -> &[Layout] {
        self.layouts.get_or_init(|| {
            crate::pipeline::par_indexed(self.rules.len(), threads, |r| {
                Layout::new(&self.sorted(r), self.window)
            })
        })
    }

    /// As [`Blocker::new`], but blocks of more than `refine.max_block`
    /// records are refined (see [`Refinement`]).
    pub fn with_max_block(
        rules: &'a [BlockingRule],
        features: &[Features],
        refine: Refinement,
    ) -> Blocker<'a> {
        Blocker::with_max_block_on(rules, features, refine, 1)
    }

    /// As [`Blocker::with_max_block`], computing the keys on `threads`
    /// threads (the result does not depend on it).
    pub fn with_max_block_on(
        rules: &'a [BlockingRule],
        features: &[Features],
        refine: Refinement,
        threads: usize,
    ) -> Blocker<'a> {
        let mut b = Blocker::new_on(rules, features, threads);
        let n_rules = rules.len();
        b.years = features
            .iter()
            .map(|f| f.birth_year().unwrap_or(NO_YEAR))
            .collect();
        b.window = refine.year_window.max(0);
        b.cut = vec![false; b.keys.len()];
        // The oversized blocks of each rule, found by sorting its keys (a
        // hash map of millions of block sizes misses the cache on every
        // record); rules dealt out to the threads. Only the oversized keys
        // are kept, a set small enough to stay in cache for the pass below.
        let keys = &b.keys;
        let oversized_of = |r: usize| -> crate::hash::FxHashSet<u64> {
            let rule = &rules[r];
            if rule.uses_birth_year() && rule.parts().contains(&KeyPart::Sex) {
                return Default::default();
            }
            let mut ks: Vec<u64> = keys
                .iter()
                .skip(r)
                .step_by(n_rules)
                .copied()
                .filter(|&k| k != NO_KEY)
                .collect();
            ks.sort_unstable();
            ks.chunk_by(|x, y| x == y)
                .filter(|run| run.len() > refine.max_block)
                .map(|run| run[0])
                .collect()
        };
        let oversized = crate::pipeline::par_indexed(n_rules, threads, oversized_of);
        for (r, rule) in rules.iter().enumerate() {
            let set = &oversized[r];
            let stats = &mut b.refined[r];
            stats.blocks_cut = set.len() as u64;
            if set.is_empty() {
                continue;
            }
            let by_sex = rule.uses_birth_year();
            for (i, f) in features.iter().enumerate() {
                let k = &mut b.keys[i * n_rules + r];
                if *k == NO_KEY || !set.contains(k) {
                    continue;
                }
                b.cut[i * n_rules + r] = true;
                stats.records_in_cut_blocks += 1;
                if by_sex {
                    let s = f.sex.map_or(0, |s| s as u64 + 1);
                    *k = (combine(&[*k, mix64(s ^ (4 << 60))]) & !WINDOWED).max(1);
                } else {
                    if b.years[i] == NO_YEAR {
                        stats.records_without_year += 1;
                    }
                    *k |= WINDOWED;
                }
            }
        }
        b
    }

    /// The rules.
    pub fn rules(&self) -> &[BlockingRule] {
        self.rules
    }

    /// What the refinement did, per rule (all zero for [`Blocker::new`]).
    pub fn refine_stats(&self) -> &[RefineStats] {
        &self.refined
    }

    /// Whether record `i`'s block under rule `rule` was refined.
    pub fn is_cut(&self, i: u32, rule: usize) -> bool {
        self.cut
            .get(i as usize * self.rules.len() + rule)
            .copied()
            .unwrap_or(false)
    }

    fn row(&self, i: u32) -> &[u64] {
        let n = self.rules.len();
        &self.keys[i as usize * n..(i as usize + 1) * n]
    }

    /// Whether rule `r` produces the pair, given both keys under it.
    #[inline]
    fn produces(&self, x: u64, y: u64, a: u32, b: u32) -> bool {
        x != NO_KEY
            && x == y
            && (x & WINDOWED == 0 || {
                let (ya, yb) = (self.years[a as usize], self.years[b as usize]);
                if ya == NO_YEAR || yb == NO_YEAR {
                    ya == yb
                } else {
                    (ya - yb).abs() <= self.window
                }
            })
    }

    /// Index of the first rule that produces the pair, if any.
    pub fn first_rule(&self, a: u32, b: u32) -> Option<usize> {
        self.row(a)
            .iter()
            .zip(self.row(b))
            .position(|(x, y)| self.produces(*x, *y, a, b))
    }

    /// Whether a rule before `rule` already produces the pair.
    #[inline]
    fn earlier(&self, rule: usize, a: u32, b: u32) -> bool {
        let (ra, rb) = (&self.row(a)[..rule], &self.row(b)[..rule]);
        ra.iter().zip(rb).any(|(x, y)| self.produces(*x, *y, a, b))
    }

    /// `(key, year, record)` of every record with a key under `rule`,
    /// sorted (the year only for windowed keys, else 0).
    fn sorted(&self, rule: usize) -> Vec<Sorted> {
        let n = self.rules.len();
        let mut sorted: Vec<Sorted> = self
            .keys
            .iter()
            .skip(rule)
            .step_by(n)
            .enumerate()
            .filter(|(_, &k)| k != NO_KEY)
            .map(|(i, &k)| {
                let y = if k & WINDOWED != 0 { self.years[i] } else { 0 };
                (k, y, i as u32)
            })
            .collect();
        sorted.sort_unstable();
        sorted
    }

    /// Calls `f(a, b)` (with `a < b`) for every pair rule `rule` produces. With
    /// `dedupe`, pairs already produced by an earlier rule are skipped.
    pub fn for_each_pair_of_rule(&self, rule: usize, dedupe: bool, mut f: impl FnMut(u32, u32)) {
        let layout = Layout::new(&self.sorted(rule), self.window);
        for p in &layout.pieces {
            self.walk_rows(&layout.rows, *p, rule, dedupe, &|_| true, &mut f);
        }
    }

    fn walk_rows(
        &self,
        rows: &[(i32, u32)],
        p: Piece,
        rule: usize,
        dedupe: bool,
        row: &impl Fn(u32) -> bool,
        f: &mut impl FnMut(u32, u32),
    ) {
        let group = &rows[p.start..p.end];
        let windowed = p.windowed;
        for i in p.from..p.to {
            let (ya, a) = group[i];
            if !row(a) {
                continue;
            }
            for &(yb, b) in &group[i + 1..] {
                if windowed && !near_sorted(ya, yb, self.window) {
                    break;
                }
                if dedupe && self.earlier(rule, a, b) {
                    continue;
                }
                f(a.min(b), a.max(b));
            }
        }
    }

    /// Pairs rule `rule` produces on its own, cheap.
    pub fn rule_pair_count(&self, rule: usize) -> u64 {
        pieces(&self.sorted(rule), self.window)
            .iter()
            .map(|p| p.pairs)
            .sum()
    }

    /// Σ over rules of the pairs each produces on its own (before
    /// deduplication across rules): an upper bound on the candidate pairs,
    /// from block sizes only.
    pub fn par_raw_pair_total(&self, threads: usize) -> u64 {
        (0..self.rules.len())
            .map(|r| {
                self.layouts(threads)[r]
                    .pieces
                    .iter()
                    .map(|p| p.pairs)
                    .sum::<u64>()
            })
            .sum()
    }

    /// Every candidate pair exactly once, across all rules; `f(a, b, rule)`.
    pub fn for_each_pair(&self, mut f: impl FnMut(u32, u32, usize)) {
        for r in 0..self.rules.len() {
            self.for_each_pair_of_rule(r, true, |a, b| f(a, b, r));
        }
    }

    /// As [`Blocker::for_each_pair`] on `threads` threads, each with its own
    /// state from `init`; returns the states in thread order. Every pair is
    /// still visited exactly once, and which thread sees which pair depends
    /// only on the data and the thread count, so results are reproducible.
    pub fn par_for_each_pair<S: Send>(
        &self,
        threads: usize,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, u32, u32, usize) + Sync,
    ) -> Vec<S> {
        self.par_for_each_pair_from_rows(threads, |_| true, init, f)
    }

    /// As [`Blocker::par_for_each_pair`], but only the pairs enumerated
    /// from the rows (records) `row` accepts: each pair `(a, b)` belongs to
    /// exactly one of its two records' rows (the one first in its block's
    /// order), so a row sample that keeps each record with probability q is
    /// a sample of pairs, each kept with probability q, without walking the
    /// others.
    pub fn par_for_each_pair_from_rows<S: Send>(
        &self,
        threads: usize,
        row: impl Fn(u32) -> bool + Sync,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, u32, u32, usize) + Sync,
    ) -> Vec<S> {
        let row = &row;
        let threads = threads.max(1);
        let mut states: Vec<S> = (0..threads).map(|_| init()).collect();
        for rule in 0..self.rules.len() {
            let layout = &self.layouts(threads)[rule];
            let (sorted, all) = (&layout.rows, &layout.pieces);
            if threads == 1 {
                for p in all {
                    let st = &mut states[0];
                    self.walk_rows(sorted, *p, rule, true, row, &mut |a, b| f(st, a, b, rule));
                }
                continue;
            }
            // Contiguous runs of pieces with about equal numbers of pairs.
            let total: u64 = all.iter().map(|p| p.pairs).sum();
            let share = total / threads as u64 + 1;
            let mut runs: Vec<&[Piece]> = Vec::with_capacity(threads);
            let (mut begin, mut acc) = (0, 0u64);
            for (k, p) in all.iter().enumerate() {
                acc += p.pairs;
                if acc >= share && runs.len() + 1 < threads {
                    runs.push(&all[begin..=k]);
                    begin = k + 1;
                    acc = 0;
                }
            }
            runs.push(&all[begin..]);
            let f = &f;
            std::thread::scope(|scope| {
                for (st, run) in states.iter_mut().zip(runs) {
                    scope.spawn(move || {
                        for p in run {
                            self.walk_rows(sorted, *p, rule, true, row, &mut |a, b| {
                                f(st, a, b, rule)
                            });
                        }
                    });
                }
            });
        }
        states
    }

    /// Number of pairs each rule adds after deduplication.
    pub fn pair_counts(&self) -> Vec<u64> {
        self.par_pair_counts(1)
    }

    /// As [`Blocker::pair_counts`] on `threads` threads (counted once, then
    /// remembered).
    pub fn par_pair_counts(&self, threads: usize) -> Vec<u64> {
        self.counts
            .get_or_init(|| {
                let n = self.rules.len();
                let states =
                    self.par_for_each_pair(threads, || vec![0u64; n], |c, _, _, r| c[r] += 1);
                (0..n).map(|r| states.iter().map(|c| c[r]).sum()).collect()
            })
            .clone()
    }
}

/// The blocks of a sorted key list, big ones cut into pieces of about
/// [`PIECE_PAIRS`] pairs. In a windowed block, row `i` pairs only with the
/// following rows within `window` years.
fn pieces(sorted: &[Sorted], window: i32) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let key = sorted[start].0;
        let mut end = start + 1;
        while end < sorted.len() && sorted[end].0 == key {
            end += 1;
        }
        let n = end - start;
        let windowed = key & WINDOWED != 0;
        if n > 1 {
            let group = &sorted[start..end];
            let mut from = 0;
            let mut acc = 0u64;
            let mut hi = 0;
            for i in 0..n - 1 {
                let row = if windowed {
                    hi = hi.max(i + 1);
                    while hi < n && near_sorted(group[i].1, group[hi].1, window) {
                        hi += 1;
                    }
                    // A record without a year ends its run of undated ones.
                    (hi - i - 1) as u64
                } else {
                    (n - i - 1) as u64
                };
                acc += row;
                if acc >= PIECE_PAIRS || i == n - 2 {
                    out.push(Piece {
                        start,
                        end,
                        from,
                        to: i + 1,
                        pairs: acc,
                        windowed,
                    });
                    from = i + 1;
                    acc = 0;
                }
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, RegionCode, Sex};

    #[test]
    fn rules_must_have_parts() {
        assert!(BlockingRule::new("empty", &[]).is_err());
        assert!(BlockingRule::new("too many", &[KeyPart::Sex; 9]).is_err());
        let ok = BlockingRule::new("sex", &[KeyPart::Sex]).unwrap();
        assert_eq!(ok.name(), "sex");
        // Deserialisation goes through the same check.
        let bad: Result<BlockingRule, _> = serde_json::from_str(r#"{"name":"x","parts":[]}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn keys_need_every_part_and_respect_pinyin() {
        let rule = BlockingRule::new("surname+county", &[KeyPart::SurnamePinyin, KeyPart::County])
            .unwrap();
        let rec = |name: &str, region: &str| {
            Features::from_record(&Record {
                name: Some(name.into()),
                region: Some(RegionCode::new(region).unwrap()),
                sex: Some(Sex::Male),
                ..Default::default()
            })
        };
        // 張 (traditional) and 章 share the pinyin zhang; 单 as a surname is shan like 善 (a 3-character name, so 善 is read as its surname).
        assert_eq!(
            rule.key(&rec("張三", "510104")),
            rule.key(&rec("章伟", "510104"))
        );
        assert_eq!(
            rule.key(&rec("单雄", "510104")),
            rule.key(&rec("善明华", "510104"))
        );
        assert_ne!(
            rule.key(&rec("张三", "510104")),
            rule.key(&rec("张三", "510105"))
        );
        // County unknown: no key at all.
        assert_eq!(rule.key(&rec("张三", "510000")), NO_KEY);
    }

    #[test]
    fn every_thread_count_sees_every_pair_exactly_once() {
        let g = crate::gen::generate(&crate::gen::GenConfig {
            records: 3000,
            seed: 11,
            ..Default::default()
        });
        let features: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let rules = default_rules();
        let blocker = Blocker::new(&rules, &features);
        let mut one = Vec::new();
        blocker.for_each_pair(|a, b, r| one.push((a, b, r)));
        let seq_counts = blocker.pair_counts();
        assert_eq!(seq_counts.iter().sum::<u64>(), one.len() as u64);
        one.sort_unstable();
        let before = one.len();
        one.dedup_by_key(|p| (p.0, p.1));
        assert_eq!(one.len(), before, "a pair produced twice");
        for threads in [2, 3, 7] {
            let mut par: Vec<(u32, u32, usize)> = blocker
                .par_for_each_pair(threads, Vec::new, |v, a, b, r| v.push((a, b, r)))
                .concat();
            par.sort_unstable();
            assert_eq!(par, one, "{threads} threads");
            assert_eq!(
                Blocker::new(&rules, &features).par_pair_counts(threads),
                seq_counts
            );
        }
    }

    #[test]
    fn refined_blocks_give_exactly_the_defined_pairs_once_on_any_thread_count() {
        let g = crate::gen::generate(&crate::gen::GenConfig {
            records: 3000,
            seed: 3,
            ..Default::default()
        });
        let features: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let rules = default_rules();
        let refine = Refinement {
            max_block: 8,
            year_window: 2,
        };
        let blocker = Blocker::with_max_block(&rules, &features, refine);
        assert!(blocker.refine_stats().iter().any(|s| s.blocks_cut > 0));
        // By definition: some rule's plain keys agree and, if that block is
        // oversized, the years are within the window (both undated also
        // counts) or, for a rule fixing the year, the sexes agree.
        let plain = Blocker::new(&rules, &features);
        let mut expected = Vec::new();
        for a in 0..features.len() as u32 {
            for b in a + 1..features.len() as u32 {
                let first = (0..rules.len()).find(|&r| {
                    let (x, y) = (plain.row(a)[r], plain.row(b)[r]);
                    if x == NO_KEY || x != y {
                        return false;
                    }
                    if !blocker.is_cut(a, r) {
                        return true;
                    }
                    let (fa, fb) = (&features[a as usize], &features[b as usize]);
                    if rules[r].uses_birth_year() {
                        return fa.sex == fb.sex;
                    }
                    match (fa.birth_year(), fb.birth_year()) {
                        (None, None) => true,
                        (Some(p), Some(q)) => (p - q).abs() <= refine.year_window,
                        _ => false,
                    }
                });
                if let Some(r) = first {
                    expected.push((a, b, r));
                }
            }
        }
        assert!(expected.len() > 1000, "{}", expected.len());
        for threads in [1, 2, 3] {
            let mut got: Vec<(u32, u32, usize)> = blocker
                .par_for_each_pair(threads, Vec::new, |v, a, b, r| v.push((a, b, r)))
                .concat();
            got.sort_unstable();
            assert_eq!(got, expected, "{threads} threads");
        }
        let counts = blocker.par_pair_counts(2);
        assert_eq!(counts.iter().sum::<u64>(), expected.len() as u64);
        assert!(blocker.par_raw_pair_total(2) >= expected.len() as u64);
        // Nothing cut: the plain pairs.
        let big = Blocker::with_max_block(
            &rules,
            &features,
            Refinement {
                max_block: usize::MAX,
                year_window: 2,
            },
        );
        assert_eq!(big.par_pair_counts(2), plain.par_pair_counts(2));
    }

    #[test]
    fn locality_order_is_a_permutation_the_same_on_any_thread_count() {
        let g = crate::gen::generate(&crate::gen::GenConfig {
            records: 500,
            seed: 9,
            ..Default::default()
        });
        let features: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let order = crate::pipeline::locality_order(&features);
        // Sorted in shares and merged: the same order on any thread count.
        for threads in [2, 3, 7] {
            assert_eq!(
                crate::pipeline::locality_order_on(&features, threads),
                order,
                "{threads} threads"
            );
        }
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..500).collect::<Vec<u32>>());
        let ids: Vec<u64> = crate::pipeline::apply_order(features, &order)
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(
            ids,
            order
                .iter()
                .map(|&i| g.records[i as usize].id)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_block_cut_into_pieces_is_still_enumerated_once_on_any_thread_count() {
        // 1,600 records with one key: one block of 1.28 M pairs, more than a piece.
        let rules = vec![BlockingRule::new("sex", &[KeyPart::Sex]).unwrap()];
        let f: Vec<Features> = (0..1600)
            .map(|i| {
                Features::from_record(&Record {
                    id: i,
                    sex: Some(Sex::Male),
                    ..Default::default()
                })
            })
            .collect();
        let blocker = Blocker::new(&rules, &f);
        assert!(pieces(&blocker.sorted(0), 0).len() > 1);
        for threads in [1, 2, 5] {
            let counts: Vec<u64> = blocker.par_for_each_pair(
                threads,
                || 0u64,
                |n, a, b, _| {
                    assert!(a < b);
                    *n += 1
                },
            );
            assert_eq!(counts.iter().sum::<u64>(), 1600 * 1599 / 2, "{threads}");
        }
    }

    #[test]
    fn a_big_block_is_cut_into_pieces_that_cover_it() {
        let sorted: Vec<Sorted> = (0..3000u32).map(|i| (7, 0, i)).collect();
        let ps = pieces(&sorted, 0);
        assert!(ps.len() > 1);
        assert_eq!(ps.iter().map(|p| p.pairs).sum::<u64>(), 3000 * 2999 / 2);
        assert_eq!(ps[0].from, 0);
        assert_eq!(ps.last().unwrap().to, 2999);
        for w in ps.windows(2) {
            assert_eq!(w[0].to, w[1].from);
        }
    }
}
