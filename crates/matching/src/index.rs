//! Online matching: an in-memory index answering "who in the database could
//! this be?" for one new record (a family's report against all found persons,
//! or a newly found person against all reports).
//!
//! Each blocking rule has a hash map from key to a posting list of record
//! positions. A query collects the posting lists of its own keys (probing
//! nearby birth years when an age is only an estimate), deduplicates the
//! positions so that every candidate is scored once, scores them with a
//! pre-computed weight table and explains only the top `limit`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::compare::{compare_features, Features};
use crate::hash::{FxHashMap, FxHashSet};
use crate::model::{weight_to_probability, Explanation, Model, TermFrequencies, WeightTable};
use crate::record::Record;
use crate::MatchError;

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Caller's id of the indexed record.
    pub record_id: u64,
    /// Total match weight.
    pub match_weight: f64,
    /// Match probability.
    pub probability: f64,
    /// Per-field explanation.
    pub explanation: Explanation,
}

/// Query tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryOptions {
    /// For an estimated age (估计年龄), probe birth years within ± this many
    /// years in rules that use the birth year.
    pub estimated_birth_year_slack: u8,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            estimated_birth_year_slack: 3,
        }
    }
}

/// The online index.
#[derive(Debug, Clone)]
pub struct Index {
    model: Model,
    table: WeightTable,
    features: Vec<Features>,
    position: FxHashMap<u64, u32>,
    postings: Vec<FxHashMap<u64, Vec<u32>>>,
    tf: TermFrequencies,
    /// Records with marks when every record's marks were last weighed.
    weighed_at: u32,
    rejected: FxHashSet<(u64, u64)>,
    /// Positions of removed records (a person identified, a report closed): kept in the
    /// posting lists, skipped by queries.
    removed: FxHashSet<u32>,
    options: QueryOptions,
}

fn ordered(a: u64, b: u64) -> (u64, u64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

#[derive(PartialEq)]
struct Scored(f64, u32);
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    // Min-heap on weight (reversed), ties broken by position for determinism.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl Index {
    /// Builds the index over `records` with `model` (its blocking rules
    /// define the posting lists). Fails on a duplicate record id.
    pub fn build<'r>(
        records: impl IntoIterator<Item = &'r Record>,
        model: &Model,
    ) -> Result<Index, MatchError> {
        let mut idx = Index {
            model: model.clone(),
            table: model.weight_table(),
            features: Vec::new(),
            position: FxHashMap::default(),
            postings: vec![FxHashMap::default(); model.blocking_rules.len()],
            tf: TermFrequencies::default(),
            weighed_at: 0,
            rejected: FxHashSet::default(),
            removed: FxHashSet::default(),
            options: QueryOptions::default(),
        };
        for r in records {
            idx.insert_features(Features::from_record(r), false)?;
        }
        idx.weigh_all_marks();
        Ok(idx)
    }

    /// Marks tokens weighed by their rarity in the whole index, once it is
    /// built (weighed one by one, the first records would see a corpus of
    /// one), and again whenever the records with marks have doubled since:
    /// a record inserted in between is weighed against the counts of its
    /// day, which differ from the latest by at most one step of weight.
    fn weigh_all_marks(&mut self) {
        self.tf.weigh_all_marks(&mut self.features, 1);
        self.weighed_at = self.tf.marked();
    }

    /// Builds from already prepared features (avoids re-parsing in benchmarks).
    pub fn from_features(features: Vec<Features>, model: &Model) -> Result<Index, MatchError> {
        let mut idx = Index::build(std::iter::empty(), model)?;
        idx.features.reserve(features.len());
        for f in features {
            idx.insert_features(f, false)?;
        }
        idx.weigh_all_marks();
        Ok(idx)
    }

    /// Sets query options.
    pub fn set_options(&mut self, options: QueryOptions) {
        self.options = options;
    }

    /// Number of indexed records.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True if no record is indexed.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Adds one record (incremental; postings and term frequencies update;
    /// its marks are weighed by the counts so far, and every record's again
    /// once the records with marks have doubled).
    pub fn insert(&mut self, record: &Record) -> Result<(), MatchError> {
        self.insert_features(Features::from_record(record), true)
    }

    fn insert_features(&mut self, mut f: Features, weigh: bool) -> Result<(), MatchError> {
        if self.position.contains_key(&f.id) {
            return Err(MatchError::DuplicateRecordId(f.id));
        }
        let pos = u32::try_from(self.features.len()).map_err(|_| MatchError::IndexFull)?;
        for (rule, postings) in self.model.blocking_rules.iter().zip(&mut self.postings) {
            let key = rule.key(&f);
            if key != crate::blocking::NO_KEY {
                postings.entry(key).or_default().push(pos);
            }
        }
        self.tf.add(&f);
        let reweigh_all = weigh && self.tf.marked() > 2 * self.weighed_at;
        if weigh && !reweigh_all {
            self.tf.weigh_marks(&mut f);
        }
        self.position.insert(f.id, pos);
        self.features.push(f);
        if reweigh_all {
            self.weigh_all_marks();
        }
        Ok(())
    }

    /// Takes a record out of future answers (its id stays taken). Returns whether it was
    /// indexed.
    pub fn remove(&mut self, id: u64) -> bool {
        match self.position.get(&id) {
            Some(&pos) => {
                self.removed.insert(pos);
                true
            }
            None => false,
        }
    }

    /// Records that a human rejected this pair (不是同一人); it will not be
    /// suggested again.
    pub fn reject_pair(&mut self, a: u64, b: u64) {
        self.rejected.insert(ordered(a, b));
    }

    /// Replaces the whole rejected-pair set.
    pub fn set_rejected_pairs(&mut self, pairs: impl IntoIterator<Item = (u64, u64)>) {
        self.rejected = pairs.into_iter().map(|(a, b)| ordered(a, b)).collect();
    }

    /// Whether a pair was rejected.
    pub fn is_rejected(&self, a: u64, b: u64) -> bool {
        self.rejected.contains(&ordered(a, b))
    }

    fn collect_positions(&self, q: &Features, out: &mut Vec<u32>) {
        let year = q.birth_year();
        for (rule, postings) in self.model.blocking_rules.iter().zip(&self.postings) {
            // Birth years are uncertain on at least one side (an estimate on
            // the query or on indexed records), so probe nearby years.
            let slack = i32::from(self.options.estimated_birth_year_slack);
            match year {
                Some(y) if rule.uses_birth_year() => {
                    let mut keys = [0u64; 32];
                    let mut n = 0;
                    for yy in y - slack..=y + slack {
                        let k = rule.key_with_birth_year(q, Some(yy));
                        if k != crate::blocking::NO_KEY && !keys[..n].contains(&k) && n < keys.len()
                        {
                            keys[n] = k;
                            n += 1;
                        }
                    }
                    for k in &keys[..n] {
                        if let Some(p) = postings.get(k) {
                            out.extend_from_slice(p);
                        }
                    }
                }
                _ => {
                    let k = rule.key(q);
                    if k != crate::blocking::NO_KEY {
                        if let Some(p) = postings.get(&k) {
                            out.extend_from_slice(p);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Ranked candidates for `record` (best first), at most `limit`, each
    /// scored once and explained. The record itself (same id) and rejected
    /// pairs are excluded.
    pub fn candidates(&self, record: &Record, limit: usize) -> Vec<Candidate> {
        let mut q = Features::from_record(record);
        self.tf.weigh_marks(&mut q);
        self.candidates_weighed(&q, limit)
    }

    /// As [`Index::candidates`] for an already prepared record (its marks
    /// are weighed by this index's frequencies).
    pub fn candidates_for_features(&self, q: &Features, limit: usize) -> Vec<Candidate> {
        if q.marks.is_empty() {
            return self.candidates_weighed(q, limit);
        }
        let mut weighed = q.clone();
        self.tf.weigh_marks(&mut weighed);
        self.candidates_weighed(&weighed, limit)
    }

    /// Candidates for a record whose marks this index has weighed.
    fn candidates_weighed(&self, q: &Features, limit: usize) -> Vec<Candidate> {
        if limit == 0 {
            return Vec::new();
        }
        let mut positions = Vec::with_capacity(256);
        self.collect_positions(q, &mut positions);
        let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(limit + 1);
        for &pos in &positions {
            let f = &self.features[pos as usize];
            if f.id == q.id
                || (!self.removed.is_empty() && self.removed.contains(&pos))
                || (!self.rejected.is_empty() && self.is_rejected(q.id, f.id))
            {
                continue;
            }
            let v = compare_features(q, f, None);
            let w = self.model.score_vector(&self.table, &v, q, f, &self.tf);
            if heap.len() < limit {
                heap.push(Scored(w, pos));
            } else if heap.peek().is_some_and(|min| w > min.0) {
                heap.pop();
                heap.push(Scored(w, pos));
            }
        }
        let mut top = heap.into_vec();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.into_iter()
            .map(|Scored(w, pos)| {
                let f = &self.features[pos as usize];
                Candidate {
                    record_id: f.id,
                    match_weight: w,
                    probability: weight_to_probability(w),
                    explanation: self.model.explain(q, f, &self.tf, None),
                }
            })
            .collect()
    }

    /// Explains one indexed pair by ids, optionally with an external face score.
    pub fn explain_pair(
        &self,
        a: u64,
        b: u64,
        external_face_score: Option<f32>,
    ) -> Result<Explanation, MatchError> {
        let fa = self
            .position
            .get(&a)
            .ok_or(MatchError::UnknownRecordId(a))?;
        let fb = self
            .position
            .get(&b)
            .ok_or(MatchError::UnknownRecordId(b))?;
        Ok(self.model.explain(
            &self.features[*fa as usize],
            &self.features[*fb as usize],
            &self.tf,
            external_face_score,
        ))
    }
}
