//! # jiuzhu-matching — 救助寻亲匹配引擎
//!
//! Probabilistic record linkage (Fellegi–Sunter, as in Splink) specialised
//! for Chinese missing-person records: rescue-station records of found
//! people (受助人员) against families' reports (寻亲登记), and duplicates
//! within either.
//!
//! * [`names`]: Chinese name comparison — surname readings of polyphonic
//!   surnames, compound surnames, fuzzy pinyin, 繁简 folding, homophones,
//!   look-alike characters, nicknames ([`compare_names`]).
//! * [`compare`]: the other field comparisons, each with ordered levels.
//! * [`blocking`]: blocking rules; each pair is scored once across rules.
//! * [`model`]: u from random pairs, m by EM, λ, term-frequency adjustment,
//!   per-field explanations.
//! * [`index`]: online candidate search ([`Index::build`], [`Index::candidates`]).
//! * [`pipeline`]: batch scoring, clustering, evaluation.
//! * [`gen`]: seeded synthetic data with ground truth.
//!
//! No database, no network, no async: plain data in, plain data out.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod febrl;
pub mod gen;
pub mod hash;
pub mod index;
pub mod model;
pub mod names;
pub mod pipeline;
pub mod record;
pub mod rng;

pub use blocking::{default_rules, Blocker, BlockingRule, KeyPart, RefineStats, Refinement};
pub use compare::{compare_features, ComparisonVector, Features, Field};
pub use index::{Candidate, Index, QueryOptions};
pub use model::{
    train, EmRun, Explanation, FieldContribution, Model, TermFrequencies, TrainingConfig,
    TrainingReport,
};
pub use names::{compare_names, NameLevel};
pub use record::{AgeInfo, Date, HeightCm, Record, RecordKind, RegionCode, Sex};

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// Not a valid calendar date.
    #[error("invalid date: {0}")]
    InvalidDate(String),
    /// Not a valid GB/T 2260 code.
    #[error("invalid GB/T 2260 region code: {0}")]
    InvalidRegionCode(String),
    /// Height outside 40–250 cm.
    #[error("implausible height: {0} cm")]
    InvalidHeight(u16),
    /// A blocking rule with no key parts or too many.
    #[error("blocking rule {0:?} must have 1 to 8 key parts")]
    InvalidBlockingRule(String),
    /// Two records with one id in an index.
    #[error("duplicate record id {0}")]
    DuplicateRecordId(u64),
    /// Id not in the index.
    #[error("unknown record id {0}")]
    UnknownRecordId(u64),
    /// More than u32::MAX records.
    #[error("index is full")]
    IndexFull,
}
