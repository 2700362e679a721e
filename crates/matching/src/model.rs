//! The Fellegi–Sunter model (as in Splink): for every field level an
//! m probability (P(level | same person)) and a u probability
//! (P(level | different people)); a pair's match weight is
//! `log2(λ/(1-λ)) + Σ log2(m/u)` and its probability `2^w / (1 + 2^w)`.
//!
//! * u is estimated from random pairs (almost all random pairs are
//!   different people), then again with each counted as a non-match by the
//!   chance the trained model gives that it is one ([`refine_u`]);
//! * m is estimated by expectation–maximisation over blocked pairs, one
//!   training pass per blocking rule with the rule's own fields left out
//!   (their agreement is forced by blocking, so EM could not learn them there);
//! * λ (prior) is the expected number of matches among blocked pairs divided
//!   by the number of all pairs;
//! * term-frequency adjustment: agreeing on a rare name or surname counts
//!   more than agreeing on 张伟 or 王.

use serde::{Deserialize, Serialize};

use crate::blocking::{Blocker, BlockingRule};
use crate::compare::{
    compare_features, compare_first_fields, compare_other_fields, ComparisonVector, Features,
    Field, DATES_IMPOSSIBLE, NUM_FIELDS, OTHER_FIELDS, TOKEN_HASH,
};
use crate::hash::{mix64, FxHashMap};
use crate::names::NameLevel;
use crate::rng::SplitMix64;

/// Weight given to contradictory dates (found before missing). Not learned:
/// it is a logical impossibility. The field row shows this weight, and the
/// pair's *total* is also capped at it, so that no amount of other evidence
/// (same name, same county, same face) can lift an impossible pair above
/// 2^-40 ≈ 1e-12 — a hard non-match that keeps every weight finite.
pub const IMPOSSIBLE_WEIGHT: f64 = -40.0;

/// Applies the hard non-match cap for impossible dates.
#[inline]
fn cap_impossible(v: &ComparisonVector, total: f64) -> f64 {
    if v[Field::Dates.index()] == DATES_IMPOSSIBLE {
        total.min(IMPOSSIBLE_WEIGHT)
    } else {
        total
    }
}

/// Bounds on term-frequency adjustments, so that a single very rare name
/// cannot dominate every other field.
const TF_CLAMP: f64 = 8.0;

/// m and u probabilities of one field, indexed by level (the null level's
/// entries are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldParams {
    /// Field.
    pub field: Field,
    /// P(level | match).
    pub m: Vec<f64>,
    /// P(level | non-match).
    pub u: Vec<f64>,
}

/// A trained (or hand-initialised) Fellegi–Sunter model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// λ: probability that two random records are the same person.
    pub prior: f64,
    /// Per-field parameters in [`Field::ALL`] order.
    pub fields: Vec<FieldParams>,
    /// Blocking rules used for training and by the index.
    pub blocking_rules: Vec<BlockingRule>,
    /// Whether to apply term-frequency adjustments to name agreement.
    pub tf_adjustment: bool,
}

/// Counts of name and surname pinyin values, for term-frequency adjustment,
/// and of marks tokens, for their rarity weights ([`TermFrequencies::weigh_marks`]).
#[derive(Debug, Clone, Default)]
pub struct TermFrequencies {
    full: FxHashMap<u64, u32>,
    surname: FxHashMap<u64, u32>,
    names: u64,
    surnames: u64,
    /// Σ count² of surnames: Σ tf² = P(two random records share a surname).
    surname_sq: f64,
    /// Σ count² of full-name pinyin: P(two random records share a name).
    full_sq: f64,
    /// Records holding each marks token (its hash, weight bits cleared).
    marks: FxHashMap<u32, u32>,
    /// Records with any marks.
    marked: u32,
}

impl TermFrequencies {
    /// Counts over prepared records.
    /// Names and marks are counted on two threads: at 5 M records each is
    /// a few hundred milliseconds.
    pub fn build(features: &[Features]) -> TermFrequencies {
        std::thread::scope(|s| {
            let marks = s.spawn(|| {
                let mut tf = TermFrequencies::default();
                features.iter().for_each(|f| tf.add_marks(f));
                tf
            });
            let mut tf = TermFrequencies::default();
            features.iter().for_each(|f| tf.add_name(f));
            let marks = marks.join().expect("counting marks does not panic");
            tf.marks = marks.marks;
            tf.marked = marks.marked;
            tf
        })
    }

    /// Adds one record (incremental index insert).
    pub fn add(&mut self, f: &Features) {
        self.add_marks(f);
        self.add_name(f);
    }

    fn add_marks(&mut self, f: &Features) {
        if !f.marks.is_empty() {
            self.marked += 1;
            for t in f.marks.iter() {
                *self.marks.entry(t & TOKEN_HASH).or_default() += 1;
            }
        }
    }

    fn add_name(&mut self, f: &Features) {
        if let Some(n) = &f.name {
            let c = self.full.entry(n.full_pinyin_key()).or_default();
            self.full_sq += 2.0 * f64::from(*c) + 1.0;
            *c += 1;
            self.names += 1;
            if let Some(s) = n.surname_key() {
                let c = self.surname.entry(s).or_default();
                self.surname_sq += 2.0 * f64::from(*c) + 1.0;
                *c += 1;
                self.surnames += 1;
            }
        }
    }

    /// Weighs a record's marks tokens by their rarity among the records
    /// counted: log2 of records with marks over records with the token,
    /// rounded, from 1 to 15, in the token's low four bits (see
    /// [`crate::compare::compare_marks`]). Sharing a rare detail (a town, a
    /// house number, 六指) then counts more than sharing a common one (街,
    /// 有疤, a state). A token never counted is as rare as one seen once.
    pub fn weigh_marks(&self, f: &mut Features) {
        let n = f64::from(self.marked.max(1));
        for t in f.marks.iter_mut() {
            let df = self
                .marks
                .get(&(*t & TOKEN_HASH))
                .copied()
                .unwrap_or(0)
                .max(1);
            let w = (n / f64::from(df)).log2().round().clamp(1.0, 15.0) as u32;
            *t = (*t & TOKEN_HASH) | w;
        }
    }

    /// Records counted that have marks.
    pub(crate) fn marked(&self) -> u32 {
        self.marked
    }

    /// [`Self::weigh_marks`] for a batch, on `threads` threads.
    pub fn weigh_all_marks(&self, features: &mut [Features], threads: usize) {
        if threads <= 1 {
            features.iter_mut().for_each(|f| self.weigh_marks(f));
            return;
        }
        let chunk = features.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for part in features.chunks_mut(chunk) {
                s.spawn(move || part.iter_mut().for_each(|f| self.weigh_marks(f)));
            }
        });
    }

    fn full_tf(&self, key: u64) -> f64 {
        let n = self.names.max(1) as f64;
        f64::from(*self.full.get(&key).unwrap_or(&0)).max(1.0) / n
    }

    fn surname_tf(&self, key: u64) -> f64 {
        let n = self.surnames.max(1) as f64;
        f64::from(*self.surname.get(&key).unwrap_or(&0)).max(1.0) / n
    }

    /// Each record's term-frequency adjustments, computed once for a batch
    /// (on `threads` threads) instead of two hash look-ups and a logarithm
    /// per pair: each record keeps how many share its name and which
    /// surname it has (8 bytes, so that the records' entries mostly stay in
    /// the cache), and the adjustments are read from small tables.
    pub fn per_record(&self, features: &[Features], threads: usize) -> TfCache {
        let mean_full = self.mean_full_tf();
        let mean_surname = self.mean_surname_tf();
        let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
        let mut surname_adj = Vec::with_capacity(self.surname.len());
        for &key in self.surname.keys() {
            ids.insert(key, surname_adj.len() as u32);
            surname_adj.push((mean_surname / self.surname_tf(key)).log2());
        }
        let mut records = crate::pipeline::par_map(features, threads, |f| match &f.name {
            Some(n) => TfEntry {
                full_count: *self.full.get(&n.full_pinyin_key()).unwrap_or(&0),
                surname: n.surname_key().map_or(TfEntry::NO_SURNAME, |k| {
                    *ids.get(&k).unwrap_or(&TfEntry::UNSEEN)
                }),
            },
            None => TfEntry::default(),
        });
        // A surname never counted (records from outside the collection)
        // gets an id of its own, as rare as a surname seen once.
        for (e, f) in records.iter_mut().zip(features) {
            if e.surname == TfEntry::UNSEEN {
                let key = f.name.as_ref().and_then(|n| n.surname_key()).unwrap_or(0);
                e.surname = *ids.entry(key).or_insert_with(|| {
                    surname_adj.push((mean_surname / self.surname_tf(key)).log2());
                    surname_adj.len() as u32 - 1
                });
            }
        }
        let names = self.names.max(1) as f64;
        TfCache {
            records,
            full_by_count: (0..FULL_BY_COUNT)
                .map(|count| full_adjustment(mean_full, count, names))
                .collect(),
            mean_full,
            names,
            surname_adj,
        }
    }

    /// Σ tf² over surnames: the chance that two random records share a
    /// surname, i.e. the u an average surname agreement has.
    fn mean_surname_tf(&self) -> f64 {
        let n = self.surnames.max(1) as f64;
        (self.surname_sq / (n * n)).max(1.0 / n)
    }

    /// Σ tf² over full-name pinyin (as [`Self::mean_surname_tf`]).
    fn mean_full_tf(&self) -> f64 {
        let n = self.names.max(1) as f64;
        (self.full_sq / (n * n)).max(1.0 / n)
    }
}

/// What a batch needs for its term-frequency adjustments
/// ([`TermFrequencies::per_record`]): each record's name count and surname
/// id, and the adjustments by count and by surname.
#[derive(Debug, Clone, Default)]
pub struct TfCache {
    records: Vec<TfEntry>,
    /// The full-name adjustment of a name shared by `count` records, for
    /// the counts below [`FULL_BY_COUNT`].
    full_by_count: Vec<f64>,
    mean_full: f64,
    /// Records with a name (at least 1).
    names: f64,
    /// The adjustment of each surname, by its id.
    surname_adj: Vec<f64>,
}

/// Counts whose full-name adjustment is looked up rather than computed.
const FULL_BY_COUNT: u32 = 4096;

impl TfCache {
    /// The full-name adjustment of a name shared by `count` records.
    #[inline]
    fn full(&self, count: u32) -> f64 {
        match self.full_by_count.get(count as usize) {
            Some(&adj) => adj,
            None => full_adjustment(self.mean_full, count, self.names),
        }
    }
}

/// The full-name adjustment of a name shared by `count` of `names` named
/// records: log2(mean tf / tf), with the arithmetic of
/// [`TermFrequencies::full_tf`], so that the batch and the index agree to
/// the bit.
fn full_adjustment(mean_full: f64, count: u32, names: f64) -> f64 {
    (mean_full / (f64::from(count).max(1.0) / names)).log2()
}

/// A record's place in the term frequencies.
#[derive(Debug, Clone, Copy)]
struct TfEntry {
    /// Records sharing its full-name pinyin ([`TfEntry::NO_NAME`]: none).
    full_count: u32,
    /// Its surname's id ([`TfEntry::NO_SURNAME`]: none).
    surname: u32,
}

impl TfEntry {
    const NO_NAME: u32 = u32::MAX;
    const NO_SURNAME: u32 = u32::MAX;
    /// A surname the counts have not seen, given an id afterwards.
    const UNSEEN: u32 = u32::MAX - 1;
}

impl Default for TfEntry {
    fn default() -> Self {
        TfEntry {
            full_count: TfEntry::NO_NAME,
            surname: TfEntry::NO_SURNAME,
        }
    }
}

/// One row of an explanation table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldContribution {
    /// Field name (`name`, `sex`, …).
    pub field: String,
    /// Level label (`fuzzy_pinyin`, `within_3_years`, …).
    pub level: String,
    /// Level index (0 = best agreement).
    pub level_index: u8,
    /// m probability (0 for the null level).
    pub m: f64,
    /// u probability (0 for the null level).
    pub u: f64,
    /// log2(m/u) including any term-frequency adjustment (0 for null).
    pub weight: f64,
    /// Term-frequency part of `weight`.
    pub tf_adjustment: f64,
}

/// Why a pair scored as it did — serialisable for a web page table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// λ.
    pub prior: f64,
    /// log2(λ/(1-λ)).
    pub prior_weight: f64,
    /// Per-field rows in [`Field::ALL`] order.
    pub fields: Vec<FieldContribution>,
    /// Prior weight + Σ field weights (capped at [`IMPOSSIBLE_WEIGHT`] for a
    /// hard non-match).
    pub total_weight: f64,
    /// Match probability.
    pub probability: f64,
    /// Whether a hard contradiction (impossible dates) decided the pair.
    pub hard_non_match: bool,
}

/// Converts a match weight to a probability; finite and within [0, 1] for
/// every input.
pub fn weight_to_probability(w: f64) -> f64 {
    if w.is_nan() {
        return 0.0;
    }
    let p = 1.0 / (1.0 + (-w).exp2());
    p.clamp(0.0, 1.0)
}

pub(crate) fn prior_weight(prior: f64) -> f64 {
    let p = prior.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).log2()
}

impl Model {
    /// Sensible starting values before training (also usable untrained).
    pub fn initial(blocking_rules: Vec<BlockingRule>) -> Model {
        let spec: [(Field, &[f64], &[f64]); NUM_FIELDS] = [
            (
                Field::Name,
                &[0.35, 0.05, 0.14, 0.10, 0.10, 0.12, 0.12, 0.02, 0.0],
                &[
                    0.0005, 0.0001, 0.0005, 0.001, 0.001, 0.003, 0.12, 0.8743, 0.0,
                ],
            ),
            (Field::Sex, &[0.97, 0.03, 0.0], &[0.5, 0.5, 0.0]),
            (
                Field::Age,
                &[0.2, 0.02, 0.28, 0.25, 0.15, 0.07, 0.03, 0.0],
                &[0.0001, 0.0004, 0.0396, 0.08, 0.08, 0.15, 0.6499, 0.0],
            ),
            (
                Field::Region,
                &[0.6, 0.19, 0.19, 0.02, 0.0],
                &[0.0005, 0.005, 0.04, 0.9545, 0.0],
            ),
            (
                Field::Accent,
                &[0.4, 0.5, 0.1, 0.0],
                &[0.005, 0.05, 0.945, 0.0],
            ),
            (
                Field::Height,
                &[0.6, 0.25, 0.1, 0.05, 0.0],
                &[0.1, 0.2, 0.3, 0.4, 0.0],
            ),
            (
                Field::Marks,
                &[0.35, 0.25, 0.15, 0.1, 0.15, 0.0],
                &[0.002, 0.01, 0.04, 0.15, 0.798, 0.0],
            ),
            (Field::Dates, &[0.999, 0.001, 0.0], &[0.7, 0.3, 0.0]),
            (
                Field::Face,
                &[0.7, 0.2, 0.08, 0.02, 0.0],
                &[0.001, 0.01, 0.1, 0.889, 0.0],
            ),
        ];
        Model {
            prior: 1e-4,
            fields: spec
                .iter()
                .map(|(f, m, u)| FieldParams {
                    field: *f,
                    m: m.to_vec(),
                    u: u.to_vec(),
                })
                .collect(),
            blocking_rules,
            tf_adjustment: true,
        }
    }

    /// log2(m/u) of a level (0 for the null level, fixed for impossible dates).
    #[inline]
    pub fn level_weight(&self, field: Field, level: u8) -> f64 {
        if level >= field.null_level() {
            return 0.0;
        }
        if field == Field::Dates && level == DATES_IMPOSSIBLE {
            return IMPOSSIBLE_WEIGHT;
        }
        let p = &self.fields[field.index()];
        let (m, u) = (
            p.m[level as usize].max(1e-12),
            p.u[level as usize].max(1e-12),
        );
        (m / u).log2()
    }

    /// Pre-computed weight table `[field][level]`.
    pub fn weight_table(&self) -> WeightTable {
        let mut w = [[0.0; 10]; NUM_FIELDS];
        for f in Field::ALL {
            for (l, slot) in w[f.index()].iter_mut().enumerate().take(f.num_levels()) {
                *slot = self.level_weight(f, l as u8);
            }
        }
        // The most each later field can add (its null level adds nothing).
        let most = |f: Field| {
            w[f.index()][..f.num_levels()]
                .iter()
                .fold(0.0f64, |a, &b| a.max(b))
        };
        WeightTable {
            w,
            prior_weight: prior_weight(self.prior),
            others_most: OTHER_FIELDS
                .iter()
                .filter(|&&f| f != Field::Face)
                .map(|&f| most(f))
                .sum(),
            face_most: most(Field::Face),
        }
    }

    fn tf_adjustment(
        &self,
        v: &ComparisonVector,
        a: &Features,
        b: &Features,
        tf: &TermFrequencies,
    ) -> f64 {
        if !self.tf_adjustment {
            return 0.0;
        }
        let (Some(na), Some(nb)) = (&a.name, &b.name) else {
            return 0.0;
        };
        let level = v[Field::Name.index()];
        // As in Splink, the adjustment is log2(u_avg / tf(value)): how much
        // rarer this value is than the value an average agreeing pair shares.
        // u_avg is Σ tf² from the data itself rather than the level's u,
        // because the 繁简 and homophone levels are far rarer than exact
        // agreement yet share the same name frequencies.
        let adj = if level <= NameLevel::SamePinyin as u8 {
            let t = tf
                .full_tf(na.full_pinyin_key())
                .max(tf.full_tf(nb.full_pinyin_key()));
            (tf.mean_full_tf() / t).log2()
        } else if level <= NameLevel::PartialOverlap as u8 {
            match (na.surname_key(), nb.surname_key()) {
                (Some(x), Some(y)) if x == y => (tf.mean_surname_tf() / tf.surname_tf(x)).log2(),
                _ => 0.0,
            }
        } else {
            0.0
        };
        adj.clamp(-TF_CLAMP, TF_CLAMP)
    }

    /// As [`Model::score_vector`] for records `a` and `b` of a batch whose
    /// adjustments are in `cache`. The same number, bit for bit: log2 of the
    /// larger frequency is the smaller of the two per-record values.
    #[inline]
    pub fn score_vector_cached(
        &self,
        table: &WeightTable,
        v: &ComparisonVector,
        a: usize,
        b: usize,
        cache: &TfCache,
    ) -> f64 {
        let w = table.total(v);
        let (ta, tb) = (cache.records[a], cache.records[b]);
        let adj = if !self.tf_adjustment
            || ta.full_count == TfEntry::NO_NAME
            || tb.full_count == TfEntry::NO_NAME
        {
            0.0
        } else {
            let level = v[Field::Name.index()];
            if level <= NameLevel::SamePinyin as u8 {
                cache.full(ta.full_count).min(cache.full(tb.full_count))
            } else if level <= NameLevel::PartialOverlap as u8 {
                if ta.surname == tb.surname && ta.surname != TfEntry::NO_SURNAME {
                    cache.surname_adj[ta.surname as usize]
                } else {
                    0.0
                }
            } else {
                0.0
            }
        };
        cap_impossible(v, w + adj.clamp(-TF_CLAMP, TF_CLAMP))
    }

    /// As [`Model::score_vector_cached`] for records `a` and `b` of a batch,
    /// but comparing the [`OTHER_FIELDS`] only if they could lift the
    /// weight to `cutoff`: `Ok(weight)` when every field was compared (the
    /// same weight, bit for bit), else a [`Stopped`] pair whose weight
    /// cannot exceed its bound, below `cutoff`. Most candidate pairs are
    /// told apart by name, sex, age, region and accent alone, and the
    /// marks, height, dates and face of those need not be read.
    ///
    /// Faces are compared by embedding only here: the face's share of the
    /// bound counts only when both records have one (an external face
    /// score would give a level without them).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn score_pair_bounded(
        &self,
        table: &WeightTable,
        fa: &Features,
        fb: &Features,
        a: usize,
        b: usize,
        cache: &TfCache,
        cutoff: f64,
    ) -> Result<f64, Stopped> {
        let vector = compare_first_fields(fa, fb);
        // The other fields are at their null level (weight 0, no cap).
        let first = self.score_vector_cached(table, &vector, a, b, cache);
        let face = if fa.face.is_some() && fb.face.is_some() {
            table.face_most
        } else {
            0.0
        };
        // A hair above, so that rounding in the sum cannot put a pair that
        // reaches the cutoff below it.
        let bound = first + table.others_most + face + 1e-9;
        if bound < cutoff {
            return Err(Stopped { bound, vector });
        }
        Ok(self.finish_pair(table, fa, fb, a, b, cache, vector))
    }

    /// The weight of a pair whose first fields are compared in `vector`
    /// ([`compare_first_fields`]): compares the others and scores it.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn finish_pair(
        &self,
        table: &WeightTable,
        fa: &Features,
        fb: &Features,
        a: usize,
        b: usize,
        cache: &TfCache,
        mut vector: ComparisonVector,
    ) -> f64 {
        compare_other_fields(fa, fb, None, &mut vector);
        self.score_vector_cached(table, &vector, a, b, cache)
    }

    /// Match weight of a comparison vector (no explanation, hot path).
    #[inline]
    pub fn score_vector(
        &self,
        table: &WeightTable,
        v: &ComparisonVector,
        a: &Features,
        b: &Features,
        tf: &TermFrequencies,
    ) -> f64 {
        cap_impossible(v, table.total(v) + self.tf_adjustment(v, a, b, tf))
    }

    /// Full explanation of one pair.
    pub fn explain(
        &self,
        a: &Features,
        b: &Features,
        tf: &TermFrequencies,
        external_face_score: Option<f32>,
    ) -> Explanation {
        let v = compare_features(a, b, external_face_score);
        let tf_adj = self.tf_adjustment(&v, a, b, tf);
        let pw = prior_weight(self.prior);
        let mut total = pw;
        let fields = Field::ALL
            .iter()
            .map(|&f| {
                let l = v[f.index()];
                let null = l >= f.null_level();
                let p = &self.fields[f.index()];
                let adj = if f == Field::Name { tf_adj } else { 0.0 };
                let weight = self.level_weight(f, l) + adj;
                total += weight;
                FieldContribution {
                    field: f.label().to_string(),
                    level: f.level_labels()[l as usize].to_string(),
                    level_index: l,
                    m: if null { 0.0 } else { p.m[l as usize] },
                    u: if null { 0.0 } else { p.u[l as usize] },
                    weight,
                    tf_adjustment: adj,
                }
            })
            .collect();
        let total = cap_impossible(&v, total);
        Explanation {
            prior: self.prior,
            prior_weight: pw,
            fields,
            total_weight: total,
            probability: weight_to_probability(total),
            hard_non_match: v[Field::Dates.index()] == DATES_IMPOSSIBLE,
        }
    }
}

/// A pair [`Model::score_pair_bounded`] stopped after its first fields.
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    /// The most the pair's weight can be.
    pub bound: f64,
    /// Its first fields compared, the others at their null level
    /// ([`Model::finish_pair`] completes it).
    pub vector: ComparisonVector,
}

/// Weights `[field][level]` and the prior weight, looked up in the hot loop.
#[derive(Debug, Clone)]
pub struct WeightTable {
    w: [[f64; 10]; NUM_FIELDS],
    prior_weight: f64,
    /// The most [`OTHER_FIELDS`] but the face can add to a weight.
    others_most: f64,
    /// The most the face can add (only a pair with two faces has one).
    face_most: f64,
}

impl WeightTable {
    /// Prior weight + Σ field weights of a comparison vector (no
    /// term-frequency adjustment, no cap).
    #[inline]
    fn total(&self, v: &ComparisonVector) -> f64 {
        let mut w = self.prior_weight;
        for (i, &l) in v.iter().enumerate() {
            w += self.w[i][l as usize];
        }
        w
    }
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainingConfig {
    /// Random pairs sampled for u.
    pub u_sample_pairs: usize,
    /// PRNG seed for the u sample.
    pub seed: u64,
    /// EM iteration cap.
    pub max_iterations: usize,
    /// EM stops when no parameter changes by more than this.
    pub tolerance: f64,
    /// Rules whose pairs train m (one EM session each). They should give a
    /// good share of true matches *and* leave strong fields unblocked — the
    /// usual Splink advice: block on names to learn the other fields, block
    /// on birth year + place to learn names.
    pub training_rules: Vec<BlockingRule>,
    /// At most this many pairs (deterministic hash sample) per EM session
    /// and for the prior.
    pub max_pairs_per_session: u64,
    /// Threads for the passes over all blocked pairs (the prior). Results do
    /// not depend on it beyond floating-point summation order.
    pub threads: usize,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            u_sample_pairs: 1_000_000,
            seed: 42,
            max_iterations: 200,
            tolerance: 1e-5,
            training_rules: default_training_rules(),
            max_pairs_per_session: 3_000_000,
            threads: 1,
        }
    }
}

/// Training rules, in order — each chosen so that most of its pairs are
/// true matches (EM is unreliable when strangers dominate a block):
/// same fuzzy full name + county (learns age, height, marks, dates, face),
/// same fuzzy full name + exact birth date (learns region and accent), same
/// exact birth date + county (learns name and sex, everything else fixed).
pub fn default_training_rules() -> Vec<BlockingRule> {
    use crate::blocking::KeyPart::*;
    vec![
        BlockingRule::fixed("train:fuzzy_full_name+county", &[FuzzyFullName, County]),
        BlockingRule::fixed(
            "train:fuzzy_full_name+exact_birth_date",
            &[FuzzyFullName, ExactBirthDate],
        ),
        BlockingRule::fixed("train:exact_birth_date+county", &[ExactBirthDate, County]),
    ]
}

/// What training did (for logs and the benchmark).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingReport {
    /// Pairs used for u (at random, or every pair when there are fewer).
    pub u_pairs: usize,
    /// Per EM session: rule name, pairs in the rule, pairs used, distinct
    /// patterns, iterations, converged.
    pub em_runs: Vec<EmRun>,
    /// Expected matches among the deduplicated blocked pairs.
    pub expected_matches: f64,
}

/// One EM session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EmRun {
    /// Training rule.
    pub rule: String,
    /// Pairs the rule produces.
    pub pairs: u64,
    /// Pairs used (after sampling).
    pub sampled: u64,
    /// Distinct comparison vectors.
    pub patterns: usize,
    /// Iterations run.
    pub iterations: usize,
    /// Whether the tolerance was reached.
    pub converged: bool,
    /// λ within the session's pairs.
    pub lambda: f64,
}

/// The comparison patterns of u's random pairs, kept so that u can be
/// worked out again once the model can tell which of them are matches
/// ([`refine_u`]).
#[derive(Debug, Clone, Default)]
pub struct RandomPairs {
    /// Pairs compared.
    pub pairs: usize,
    /// Whether they are every pair of the collection (fewer than the sample).
    pub every_pair: bool,
    /// Distinct comparison vectors and how many pairs had each, sorted.
    patterns: Vec<(ComparisonVector, u32)>,
}

/// Estimates u from random pairs (Laplace-smoothed), or from every pair
/// when there are no more than `cfg.u_sample_pairs` of them (as Splink
/// samples a proportion capped at one).
pub fn estimate_u(model: &mut Model, features: &[Features], cfg: &TrainingConfig) -> RandomPairs {
    let n = features.len();
    if n < 2 {
        return RandomPairs::default();
    }
    // A fixed number of shares, each with its own random stream, so the
    // pairs (and u) are the same on any thread count; the shares run on
    // `cfg.threads` threads (random pairs miss the cache: worth two cores).
    const SHARES: usize = 16;
    let all_pairs = n as u64 * (n as u64 - 1) / 2;
    let exhaustive = all_pairs <= cfg.u_sample_pairs as u64;
    let share = |k: usize| {
        let pairs: Vec<(u32, u32)> = if exhaustive {
            (k..n)
                .step_by(SHARES)
                .flat_map(|a| (a + 1..n).map(move |b| (a as u32, b as u32)))
                .collect()
        } else {
            let mut rng = SplitMix64::new(cfg.seed ^ mix64(k as u64 + 1));
            let count = cfg.u_sample_pairs / SHARES + usize::from(k < cfg.u_sample_pairs % SHARES);
            (0..count)
                .map(|_| {
                    let a = rng.below(n as u64) as u32;
                    let mut b = rng.below(n as u64 - 1) as u32;
                    if b >= a {
                        b += 1;
                    }
                    (a, b)
                })
                .collect()
        };
        let mut counts: FxHashMap<ComparisonVector, u32> = FxHashMap::default();
        for &(a, b) in &pairs {
            let v = compare_features(&features[a as usize], &features[b as usize], None);
            *counts.entry(v).or_default() += 1;
        }
        (pairs.len(), counts)
    };
    let mut merged: FxHashMap<ComparisonVector, u32> = FxHashMap::default();
    let mut total = 0;
    for (pairs, counts) in crate::pipeline::par_indexed(SHARES, cfg.threads, share) {
        total += pairs;
        for (v, c) in counts {
            *merged.entry(v).or_default() += c;
        }
    }
    let mut patterns: Vec<(ComparisonVector, u32)> = merged.into_iter().collect();
    patterns.sort_unstable();
    let sample = RandomPairs {
        pairs: total,
        every_pair: exhaustive,
        patterns,
    };
    set_u(model, &sample, |_| 1.0);
    sample
}

/// u again from the same random pairs, each counted as a non-match by the
/// chance the current model gives that it is not one (1 - p at the model's
/// λ). Random pairs include true matches: about λ of them, and far more
/// than that among the pairs that agree on a name and a birth date, so
/// plain counts overstate how often strangers agree. On a large collection
/// λ is tiny and this changes little; on a small one with many duplicates
/// (FEBRL's 5,000 records, 6,500 true pairs) it is most of u for exact
/// agreement.
pub fn refine_u(model: &mut Model, sample: &RandomPairs) {
    let table = model.weight_table();
    set_u(model, sample, |v| {
        1.0 - weight_to_probability(table.total(v))
    });
}

/// Sets u from the sample's patterns, each pair counted `weight(pattern)`
/// times, Laplace-smoothed (half a pair per level).
fn set_u(model: &mut Model, sample: &RandomPairs, weight: impl Fn(&ComparisonVector) -> f64) {
    let mut counts: Vec<Vec<f64>> = Field::ALL
        .iter()
        .map(|f| vec![0.0; f.num_levels()])
        .collect();
    for (v, c) in &sample.patterns {
        let x = f64::from(*c) * weight(v);
        for (i, &l) in v.iter().enumerate() {
            counts[i][l as usize] += x;
        }
    }
    for f in Field::ALL {
        let c = &counts[f.index()];
        let nl = f.num_levels() - 1;
        let observed: f64 = c[..nl].iter().sum();
        if observed == 0.0 {
            continue; // field never observed: keep the prior guess
        }
        let total = observed + nl as f64 * 0.5;
        let p = &mut model.fields[f.index()];
        for (u, count) in p.u.iter_mut().zip(&c[..nl]) {
            *u = (count + 0.5) / total;
        }
    }
}

type PatternCounts = Vec<(ComparisonVector, f64)>;

/// Deterministic pair sampler: keeps a pair when its hash falls below
/// `rate`, so the same pairs are kept on every run.
fn keep_pair(a: u32, b: u32, rate: f64) -> bool {
    rate >= 1.0 || (mix64((u64::from(a) << 32) | u64::from(b)) as f64) < rate * u64::MAX as f64
}

fn count_patterns(
    features: &[Features],
    pairs: impl FnOnce(&mut dyn FnMut(u32, u32)),
    mask: &[bool; NUM_FIELDS],
    rate: f64,
) -> (PatternCounts, u64) {
    let mut map: FxHashMap<ComparisonVector, f64> = FxHashMap::default();
    let mut n = 0u64;
    pairs(&mut |a, b| {
        if !keep_pair(a, b, rate) {
            return;
        }
        let mut v = compare_features(&features[a as usize], &features[b as usize], None);
        for (i, excluded) in mask.iter().enumerate() {
            if *excluded {
                v[i] = Field::ALL[i].null_level();
            }
        }
        *map.entry(v).or_default() += 1.0;
        n += 1;
    });
    let mut patterns: PatternCounts = map.into_iter().collect();
    patterns.sort_by_key(|x| x.0); // deterministic summation order
    (patterns, n)
}

/// Runs EM on aggregated patterns, updating m for non-excluded fields and λ.
/// Returns (iterations, converged, final λ).
fn em(
    model: &mut Model,
    patterns: &PatternCounts,
    mask: &[bool; NUM_FIELDS],
    frozen: &[bool; NUM_FIELDS],
    cfg: &TrainingConfig,
) -> (usize, bool, f64) {
    let mut lambda = 0.1f64;
    let total: f64 = patterns.iter().map(|(_, c)| c).sum();
    if total == 0.0 {
        return (0, true, 0.0);
    }
    for it in 1..=cfg.max_iterations {
        let table = model.weight_table();
        let pw = prior_weight(lambda);
        let mut sum_p = 0.0;
        let mut m_counts: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|f| vec![0.0; f.num_levels()])
            .collect();
        for (v, c) in patterns {
            let mut w = pw;
            for (i, &l) in v.iter().enumerate() {
                if !mask[i] {
                    w += table.w[i][l as usize];
                }
            }
            let p = weight_to_probability(w) * c;
            sum_p += p;
            for (i, &l) in v.iter().enumerate() {
                m_counts[i][l as usize] += p;
            }
        }
        let new_lambda = (sum_p / total).clamp(1e-9, 1.0 - 1e-9);
        let mut delta = (new_lambda - lambda).abs();
        lambda = new_lambda;
        for f in Field::ALL {
            if mask[f.index()] || frozen[f.index()] {
                continue;
            }
            let nl = f.num_levels() - 1;
            let c = &m_counts[f.index()];
            let observed: f64 = c[..nl].iter().sum();
            if observed < 1e-6 {
                continue;
            }
            // Light smoothing so that a level never seen among matches gets
            // a small m (weight ≈ -13 bits against an everyday u) instead of
            // an unbounded penalty.
            let alpha = 1e-4 * observed;
            let p = &mut model.fields[f.index()];
            for (l, (m, count)) in p.m.iter_mut().zip(&c[..nl]).enumerate() {
                if f == Field::Dates && l == DATES_IMPOSSIBLE as usize {
                    continue;
                }
                let new = (count + alpha) / (observed + alpha * nl as f64);
                delta = delta.max((new - *m).abs());
                *m = new;
            }
        }
        if delta < cfg.tolerance {
            return (it, true, lambda);
        }
    }
    (cfg.max_iterations, false, lambda)
}

/// Weighs the records' marks by rarity ([`TermFrequencies::weigh_marks`]:
/// the model's marks levels are those of weighed marks, as the index and
/// the batch compare them), then trains u (random pairs), m (EM per
/// training rule) and λ (over the prediction blocking rules' pairs), then u
/// and λ again with the random pairs the model takes for matches left out
/// ([`refine_u`]).
pub fn train(
    features: &mut [Features],
    blocking_rules: Vec<BlockingRule>,
    cfg: &TrainingConfig,
) -> (Model, TrainingReport) {
    let tf = TermFrequencies::build(features);
    tf.weigh_all_marks(features, cfg.threads);
    let features = &*features;
    let mut model = Model::initial(blocking_rules);
    let sample = estimate_u(&mut model, features, cfg);
    let mut report = TrainingReport {
        u_pairs: sample.pairs,
        ..Default::default()
    };
    estimate_m(&mut model, features, cfg, &mut report);
    let rules = model.blocking_rules.clone();
    let blocker = Blocker::new_on(&rules, features, cfg.threads);
    estimate_prior(&mut model, features, &blocker, &tf, cfg, &mut report);
    refine_u(&mut model, &sample);
    estimate_prior(&mut model, features, &blocker, &tf, cfg, &mut report);
    (model, report)
}

/// Match weights binned 1/64 bit wide over ±128 bits (beyond: the end bins),
/// each bin with its count and weight sum.
pub(crate) struct WeightHistogram {
    count: Vec<u64>,
    sum: Vec<f64>,
    pub(crate) pairs: u64,
}

impl WeightHistogram {
    const PER_BIT: f64 = 64.0;
    const HALF_RANGE: f64 = 128.0;

    pub(crate) fn new() -> Self {
        let n = (2.0 * Self::HALF_RANGE * Self::PER_BIT) as usize + 1;
        WeightHistogram {
            count: vec![0; n],
            sum: vec![0.0; n],
            pairs: 0,
        }
    }

    /// Counts weight `w` for `times` pairs (more than one when it stands
    /// for a sample).
    pub(crate) fn add(&mut self, w: f64, times: u64) {
        if w.is_nan() {
            return;
        }
        // Non-negative after the shift, so truncating x + 0.5 rounds.
        let x = ((w.clamp(-Self::HALF_RANGE, Self::HALF_RANGE) + Self::HALF_RANGE) * Self::PER_BIT
            + 0.5) as usize;
        self.count[x] += times;
        self.sum[x] += w * times as f64;
        self.pairs += times;
    }

    pub(crate) fn merge(mut self, other: Self) -> Self {
        for (i, c) in other.count.iter().enumerate() {
            self.count[i] += c;
            self.sum[i] += other.sum[i];
        }
        self.pairs += other.pairs;
        self
    }

    /// λ such that the expected matches among all pairs of `records`
    /// records equal the sum of the candidate pairs' match probabilities at
    /// that λ (the pairs outside the blocks taken as non-matches). The
    /// histogram holds a `rate` sample of the candidate pairs' weights
    /// without a prior.
    pub(crate) fn fixed_point_prior(
        &self,
        rate: f64,
        records: usize,
        max_iterations: usize,
    ) -> f64 {
        let bins = self.bins();
        // Candidate pairs, estimated from the sample (exact below the cap).
        let total = self.pairs as f64 / rate;
        let all_pairs = all_pairs_of(records);
        let scale = 1.0 / rate;
        // Start from the largest possible value (every blocked pair a match);
        // the map is increasing in λ, so iteration descends to the largest fixed point.
        let mut lambda = (total / all_pairs).clamp(1e-12, 0.5);
        let step = |lambda: f64| {
            let pw = prior_weight(lambda);
            let expected = bins
                .iter()
                .map(|&(count, mean)| count * weight_to_probability(mean + pw))
                .sum::<f64>()
                * scale;
            (expected / all_pairs).clamp(1e-12, 0.5)
        };
        let done = |old: f64, new: f64| ((new - old) / old).abs() < 1e-6;
        // Plain iteration converges linearly (slowly when the map's slope is
        // near 1); every two steps an Aitken Δ² extrapolation jumps towards the
        // fixed point. It is kept only if it stays between half the last
        // iterate and the last iterate, so the descent cannot jump past the
        // largest fixed point by much, and plain steps then finish.
        let mut steps = 0;
        while steps < max_iterations.max(50) {
            let l1 = step(lambda);
            steps += 1;
            if done(lambda, l1) {
                lambda = l1;
                break;
            }
            let l2 = step(l1);
            steps += 1;
            if done(l1, l2) {
                lambda = l2;
                break;
            }
            let denom = l2 - 2.0 * l1 + lambda;
            let jump = lambda - (l1 - lambda) * (l1 - lambda) / denom;
            lambda = if jump.is_finite() && jump >= 0.5 * l2 && jump <= l2 {
                jump
            } else {
                l2
            };
        }
        lambda
    }

    /// Non-empty bins as (count, mean weight).
    fn bins(&self) -> Vec<(f64, f64)> {
        self.count
            .iter()
            .zip(&self.sum)
            .filter(|(c, _)| **c > 0)
            .map(|(&c, &s)| (c as f64, s / c as f64))
            .collect()
    }
}

fn sample_rate(total: u64, cap: u64) -> f64 {
    if total <= cap {
        1.0
    } else {
        cap as f64 / total as f64
    }
}

/// m by EM, one session per training rule, in order. A session cannot see
/// the fields its rule blocks on (they agree by construction). Fields
/// learned by an earlier session are held fixed in later ones and still
/// take part in the E-step: the first sessions (blocked on names, where
/// matches are dense) learn the non-name fields well, and the later session
/// blocked on birth year + place — where most pairs are strangers — then
/// only has to learn the name levels, which keeps EM from drifting towards
/// a "looks alike on marks and height" class.
pub fn estimate_m(
    model: &mut Model,
    features: &[Features],
    cfg: &TrainingConfig,
    report: &mut TrainingReport,
) {
    let rules = cfg.training_rules.clone();
    let blocker = Blocker::new_on(&rules, features, cfg.threads);
    let mut learned = [false; NUM_FIELDS];
    for (r, rule) in rules.iter().enumerate() {
        let mut mask = [false; NUM_FIELDS];
        for f in rule.fields() {
            mask[f.index()] = true;
        }
        if (0..NUM_FIELDS).all(|i| mask[i] || learned[i]) {
            continue; // nothing new to learn from this rule
        }
        let total = blocker.rule_pair_count(r);
        let rate = sample_rate(total, cfg.max_pairs_per_session);
        let (patterns, n) = count_patterns(
            features,
            |cb| blocker.for_each_pair_of_rule(r, false, cb),
            &mask,
            rate,
        );
        let mut session = model.clone();
        let (iterations, converged, lambda) = em(&mut session, &patterns, &mask, &learned, cfg);
        report.em_runs.push(EmRun {
            rule: rule.name().to_string(),
            pairs: total,
            sampled: n,
            patterns: patterns.len(),
            iterations,
            converged,
            lambda,
        });
        if n == 0 {
            continue;
        }
        for f in Field::ALL {
            let i = f.index();
            if !mask[i] && !learned[i] {
                model.fields[i].m.clone_from(&session.fields[i].m);
                learned[i] = true;
            }
        }
    }
}

/// λ, the probability that two random records match. Every blocked pair
/// is scored with the global prior — blocking is (almost) a function of the
/// comparison vector, so using a "prior within blocks" would count the name
/// agreement twice — and λ is the fixed point of
/// `λ = Σ_blocked P(match | pair, λ) / (all pairs)`, assuming blocking finds
/// (nearly) all matches. Pairs are hash-sampled above
/// `max_pairs_per_session` and the sum scaled back up.
pub fn estimate_prior(
    model: &mut Model,
    features: &[Features],
    blocker: &Blocker<'_>,
    tf: &TermFrequencies,
    cfg: &TrainingConfig,
    report: &mut TrainingReport,
) {
    // Pairs are sampled by row: a record is kept with probability `rate`
    // (a hash of its position), and the pairs enumerated from kept rows are
    // scored; the others are never walked. The rate comes from the pairs
    // before deduplication (cheap: block sizes only), an upper bound on the
    // candidate pairs; below the cap every pair is taken.
    let upper = blocker.par_raw_pair_total(cfg.threads);
    let rate = sample_rate(upper, cfg.max_pairs_per_session);
    let no_prior = Model {
        prior: 0.5,
        ..model.clone()
    };
    let table = no_prior.weight_table();
    let cache = tf.per_record(features, cfg.threads);
    // The fixed point below takes dozens of steps over every sampled pair;
    // the weights are binned once (1/64 bit wide, each bin keeping its
    // count and the sum of its weights) and the steps run over the bins at
    // their mean weight. The logistic curve is smooth at that width: the
    // relative error of a bin's probability is below 1e-4.
    let hist = blocker
        .par_for_each_pair_from_rows(
            cfg.threads,
            |a| keep_pair(a, u32::MAX, rate),
            WeightHistogram::new,
            |h: &mut WeightHistogram, a, b, _| {
                let (fa, fb) = (&features[a as usize], &features[b as usize]);
                let v = compare_features(fa, fb, None);
                h.add(
                    no_prior.score_vector_cached(&table, &v, a as usize, b as usize, &cache),
                    1,
                );
            },
        )
        .into_iter()
        .reduce(WeightHistogram::merge)
        .unwrap_or_else(WeightHistogram::new);
    let n = features.len();
    let lambda = hist.fixed_point_prior(rate, n, cfg.max_iterations);
    report.expected_matches = lambda * all_pairs_of(n);
    model.prior = lambda;
}

fn all_pairs_of(records: usize) -> f64 {
    (records as f64 * (records as f64 - 1.0) / 2.0).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare_marks;

    #[test]
    fn the_batch_cache_scores_every_pair_exactly_as_the_index_does() {
        let g = crate::gen::generate(&crate::gen::GenConfig {
            records: 4000,
            seed: 5,
            ..Default::default()
        });
        let f: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let model = Model::initial(crate::blocking::default_rules());
        let table = model.weight_table();
        // Counted on three records in four: the others' names and surnames
        // may be unseen, as for records scored against another collection.
        let tf = TermFrequencies::build(&f[..3000]);
        let blocker = Blocker::new(&model.blocking_rules, &f);
        for threads in [1, 2] {
            let cache = tf.per_record(&f, threads);
            let mut n = 0;
            blocker.for_each_pair(|a, b, _| {
                let (fa, fb) = (&f[a as usize], &f[b as usize]);
                let v = compare_features(fa, fb, None);
                let slow = model.score_vector(&table, &v, fa, fb, &tf);
                let fast = model.score_vector_cached(&table, &v, a as usize, b as usize, &cache);
                assert_eq!(slow.to_bits(), fast.to_bits(), "pair {a} {b}");
                n += 1;
            });
            assert!(n > 1000, "{n}");
        }
    }

    fn person(id: u64, name: &str, born: &str, marks: &str) -> Features {
        Features::from_record(&crate::record::Record {
            id,
            name: Some(name.into()),
            age: Some(crate::record::AgeInfo::BirthDate(
                crate::record::Date::parse(born).unwrap(),
            )),
            marks: (!marks.is_empty()).then(|| marks.into()),
            ..Default::default()
        })
    }

    #[test]
    fn sharing_a_rare_detail_counts_more_than_sharing_a_common_one() {
        // Everyone in this station's records has a scar on the forehead; one
        // man also has six fingers on his left hand.
        let mut f: Vec<Features> = (0..40)
            .map(|i| person(i, "张伟", "1980-01-01", "额头有疤，穿蓝色外套"))
            .collect();
        f.push(person(
            40,
            "王强",
            "1975-03-02",
            "左手六指，额头有疤，穿蓝色外套",
        ));
        f.push(person(41, "王强", "1975-03-02", "左手六指，背着黑色双肩包"));
        let unweighed = (
            compare_marks(&f[40].marks, &f[41].marks),
            compare_marks(&f[0].marks, &f[40].marks),
        );
        let tf = TermFrequencies::build(&f);
        tf.weigh_all_marks(&mut f, 2);
        let weighed = (
            compare_marks(&f[40].marks, &f[41].marks),
            compare_marks(&f[0].marks, &f[40].marks),
        );
        // The two descriptions of the six-fingered man share only 左手六指:
        // counted token for token that is "some" agreement, weighed by rarity
        // it is most of what makes him stand out.
        assert!(weighed.0 < unweighed.0, "{unweighed:?} → {weighed:?}");
        // The common scar and coat: all of the shorter description agree,
        // weighed or not.
        assert_eq!(weighed.1, 0);
        assert_eq!(unweighed.1, 0);
        // A new report weighed by the same counts: the hand, which nobody
        // else in the collection has, carries it as it does in the batch.
        let mut q = person(99, "王强", "1975-03-02", "左手六指，灰色毛衣");
        let plain = compare_marks(&q.marks, &f[40].marks);
        tf.weigh_marks(&mut q);
        assert!(
            compare_marks(&q.marks, &f[40].marks) < plain,
            "{plain} → {}",
            compare_marks(&q.marks, &f[40].marks)
        );
    }

    #[test]
    fn u_leaves_out_the_random_pairs_that_are_the_same_person() {
        // A small collection where most records have a duplicate: random
        // pairs then often land on the same person, and plain counting says
        // strangers share a name and a birth date far more often than they
        // do.
        let mut f = Vec::new();
        for i in 0..150u64 {
            let name = format!(
                "{}{}",
                ["王", "李", "张", "刘", "陈"][(i % 5) as usize],
                ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋"][(i / 5 % 10) as usize]
            );
            let born = format!("19{:02}-{:02}-{:02}", 40 + i % 50, 1 + i % 12, 1 + i % 28);
            for k in 0..3 {
                f.push(person(i * 10 + k, &name, &born, ""));
            }
        }
        let cfg = TrainingConfig {
            training_rules: vec![BlockingRule::fixed(
                "train:exact_birth_date",
                &[crate::blocking::KeyPart::ExactBirthDate],
            )],
            ..TrainingConfig::default()
        };
        let mut model = Model::initial(crate::blocking::default_rules());
        let sample = estimate_u(&mut model, &f, &cfg);
        // 450 records: 101,025 pairs, fewer than the sample size, so every
        // pair is compared once.
        assert_eq!(sample.pairs, 450 * 449 / 2);
        let exact = |m: &Model| m.fields[Field::Name.index()].u[0];
        let same_birth_date = |m: &Model| m.fields[Field::Age.index()].u[0];
        let counted = (exact(&model), same_birth_date(&model));
        // 150 people × 3 pairs each among 101,025: 0.45 % of the pairs.
        assert!(counted.1 > 0.004, "{counted:?}");
        let mut report = TrainingReport::default();
        estimate_m(&mut model, &f, &cfg, &mut report);
        model.prior = 450.0 / 101_025.0;
        refine_u(&mut model, &sample);
        let refined = (exact(&model), same_birth_date(&model));
        assert!(refined.1 < counted.1 / 10.0, "{counted:?} → {refined:?}");
        assert!(refined.0 < counted.0, "{counted:?} → {refined:?}");
        // Levels of disagreement keep their share.
        let beyond = Field::Age.num_levels() - 2;
        let u = &model.fields[Field::Age.index()].u;
        assert!(u[beyond] > 0.5, "{u:?}");
    }
}
