//! Batch linkage (deduplicate a whole data set): blocking → scoring →
//! clustering, plus evaluation against ground truth.

use serde::{Deserialize, Serialize};

use crate::blocking::Blocker;
use crate::compare::Features;
use crate::hash::mix64;
use crate::model::{prior_weight, weight_to_probability, Model, TermFrequencies, WeightHistogram};

/// A scored candidate pair (positions into the feature slice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    /// First record position.
    pub a: u32,
    /// Second record position.
    pub b: u32,
    /// Match weight.
    pub weight: f32,
    /// Match probability.
    pub probability: f32,
}

/// Scores every blocked pair once on `threads` threads; keeps those with
/// probability ≥ `keep_at_least`. Returns the kept pairs (in an order fixed
/// by the data and the thread count) and the number scored.
pub fn score_blocked_pairs(
    features: &[Features],
    model: &Model,
    blocker: &Blocker<'_>,
    tf: &TermFrequencies,
    keep_at_least: f64,
    threads: usize,
) -> (Vec<ScoredPair>, u64) {
    let table = model.weight_table();
    let cache = tf.per_record(features, threads);
    // The probability is computed only for the pairs kept.
    let min_weight = weight_to_keep(keep_at_least);
    let parts = blocker.par_for_each_pair(
        threads,
        || (Vec::new(), 0u64),
        |(out, scored): &mut (Vec<ScoredPair>, u64), a, b, _| {
            let (fa, fb) = (&features[a as usize], &features[b as usize]);
            *scored += 1;
            // A pair that cannot reach the weight kept is not compared further.
            let Ok(w) = model
                .score_pair_bounded(&table, fa, fb, a as usize, b as usize, &cache, min_weight)
            else {
                return;
            };
            if w >= min_weight {
                let p = weight_to_probability(w);
                if p >= keep_at_least {
                    out.push(ScoredPair {
                        a,
                        b,
                        weight: w as f32,
                        probability: p as f32,
                    });
                }
            }
        },
    );
    let scored = parts.iter().map(|p| p.1).sum();
    (parts.into_iter().flat_map(|p| p.0).collect(), scored)
}

/// Scores every blocked pair once and fits the prior λ on the same pass:
/// the histogram of the candidate pairs' weights gives λ, and one walk over
/// the pairs serves both. Up to [`THIN_ABOVE_PAIRS`] candidate pairs the
/// histogram holds every pair's exact weight; beyond, the pairs that
/// cannot be kept whatever their later fields say are thinned to a
/// stratified sample, one in [`THIN`] (their marks, height, dates and face
/// are read only for that one). `model.prior` must hold
/// a first estimate (for example [`crate::model::estimate_prior`] on a small
/// sample); pairs are kept provisionally as if λ were up to `margin` times
/// that, then filtered at the fitted λ. Should the fitted λ exceed the
/// provisional bound, the pairs are scored again (never a pair lost).
/// Sets `model.prior`; returns what [`score_blocked_pairs`] returns (an
/// impossible-dates pair is capped before the prior is added, not after:
/// the same pairs are kept for any `keep_at_least` above 1e-12).
#[allow(clippy::too_many_arguments)]
pub fn score_blocked_pairs_fitting_prior(
    features: &[Features],
    model: &mut Model,
    blocker: &Blocker<'_>,
    tf: &TermFrequencies,
    keep_at_least: f64,
    margin: f64,
    max_iterations: usize,
    threads: usize,
) -> (Vec<ScoredPair>, u64) {
    let thin = prior_thinning(blocker, threads);
    let fit = Fitting {
        keep_at_least,
        margin,
        max_iterations,
        threads,
        thin,
    };
    fit_prior_while_scoring(features, model, blocker, tf, &fit)
}

/// How [`fit_prior_while_scoring`] keeps pairs and fits λ.
#[derive(Clone, Copy)]
struct Fitting {
    keep_at_least: f64,
    margin: f64,
    max_iterations: usize,
    threads: usize,
    /// One in how many pairs that cannot be kept stands for them in λ's
    /// histogram (1: every pair).
    thin: u64,
}

fn fit_prior_while_scoring(
    features: &[Features],
    model: &mut Model,
    blocker: &Blocker<'_>,
    tf: &TermFrequencies,
    fit: &Fitting,
) -> (Vec<ScoredPair>, u64) {
    let Fitting {
        keep_at_least,
        margin,
        max_iterations,
        threads,
        thin,
    } = *fit;
    let no_prior = Model {
        prior: 0.5,
        ..model.clone()
    };
    let table = no_prior.weight_table();
    let cache = tf.per_record(features, threads);
    let bound = (model.prior * margin.max(1.0)).clamp(1e-15, 0.5);
    let floor = weight_to_keep(keep_at_least) - prior_weight(bound);
    // Most pairs are told apart by their first fields (name, sex, age,
    // region, accent) and could not be kept whatever their marks, height, dates and
    // face say. Those fields are then read only for one such pair in
    // `thin` (chosen by a hash of the pair, so the same on any thread
    // count), which stands in the λ histogram for `thin` of them: a
    // stratified sample, unbiased for λ.
    let parts = blocker.par_for_each_pair(
        threads,
        || (Vec::new(), WeightHistogram::new(), 0u64),
        |(out, hist, scored): &mut (Vec<(u32, u32, f64)>, WeightHistogram, u64), a, b, _| {
            let (fa, fb) = (&features[a as usize], &features[b as usize]);
            let (i, j) = (a as usize, b as usize);
            *scored += 1;
            match no_prior.score_pair_bounded(&table, fa, fb, i, j, &cache, floor) {
                Ok(w) => {
                    hist.add(w, 1);
                    if w >= floor {
                        out.push((a, b, w));
                    }
                }
                Err(stopped) if mix64((u64::from(a) << 32) | u64::from(b)).is_multiple_of(thin) => {
                    let w = no_prior.finish_pair(&table, fa, fb, i, j, &cache, stopped.vector);
                    hist.add(w, thin);
                }
                Err(_) => {}
            }
        },
    );
    let mut hist = WeightHistogram::new();
    let mut provisional = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    let mut scored = 0;
    for (out, h, n) in parts {
        provisional.extend(out);
        hist = hist.merge(h);
        scored += n;
    }
    let lambda = hist.fixed_point_prior(1.0, features.len(), max_iterations);
    model.prior = lambda;
    if lambda > bound {
        return score_blocked_pairs(features, model, blocker, tf, keep_at_least, threads);
    }
    let pw = prior_weight(lambda);
    let pairs = provisional
        .into_iter()
        .filter_map(|(a, b, w0)| {
            let w = w0 + pw;
            let p = weight_to_probability(w);
            (p >= keep_at_least).then_some(ScoredPair {
                a,
                b,
                weight: w as f32,
                probability: p as f32,
            })
        })
        .collect();
    (pairs, scored)
}

/// One in how many pairs that cannot be kept is compared in full for λ
/// ([`score_blocked_pairs_fitting_prior`]). At 1 M records (42 M candidate
/// pairs, about two in three of them such pairs) λ stayed the same to
/// four digits, and the same pairs were kept at every threshold.
pub const THIN: u64 = 8;

/// One in how many pairs that cannot be kept stands for them in the λ
/// histogram of [`score_blocked_pairs_fitting_prior`] for these candidate
/// pairs: [`THIN`] above [`THIN_ABOVE_PAIRS`], else 1 (every pair).
pub fn prior_thinning(blocker: &Blocker<'_>, threads: usize) -> u64 {
    if blocker.par_raw_pair_total(threads) > THIN_ABOVE_PAIRS {
        THIN
    } else {
        1
    }
}

/// Candidate pairs (before deduplication) above which λ thins the pairs
/// that cannot be kept; below it every pair is compared in full. A sample
/// of one in eight of millions of pairs is as good as all of them; of a
/// few thousand it is not.
pub const THIN_ABOVE_PAIRS: u64 = 10_000_000;

/// The smallest match weight (prior included) whose probability reaches
/// `keep_at_least`: p ≥ keep ⇔ w ≥ log2(keep / (1 − keep)), with a hair of
/// slack for rounding.
fn weight_to_keep(keep_at_least: f64) -> f64 {
    let keep = keep_at_least.clamp(1e-300, 1.0 - 1e-16);
    (keep / (1.0 - keep)).log2() - 1e-9
}

/// Precision / recall / F1 of pairwise decisions at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairMetrics {
    /// Probability threshold.
    pub threshold: f64,
    /// True positives.
    pub true_positives: u64,
    /// False positives.
    pub false_positives: u64,
    /// False negatives (true pairs below threshold or never blocked).
    pub false_negatives: u64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / all true pairs.
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
}

/// Number of true pairs in the ground truth (Σ C(size, 2)).
pub fn true_pair_count(truth: &[u64]) -> u64 {
    let mut sizes: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for t in truth {
        *sizes.entry(*t).or_default() += 1;
    }
    sizes.values().map(|s| s * (s - 1) / 2).sum()
}

/// True pairs produced by blocking / all true pairs.
pub fn blocking_recall(blocker: &Blocker<'_>, truth: &[u64], threads: usize) -> (u64, u64) {
    let found = blocker
        .par_for_each_pair(
            threads,
            || 0u64,
            |n, a, b, _| {
                if truth[a as usize] == truth[b as usize] {
                    *n += 1;
                }
            },
        )
        .iter()
        .sum();
    (found, true_pair_count(truth))
}

/// Pairwise metrics at a threshold. `pairs` must contain every pair that
/// could be at or above it (see `keep_at_least` in [`score_blocked_pairs`]).
pub fn pair_metrics(pairs: &[ScoredPair], truth: &[u64], threshold: f64) -> PairMetrics {
    let (mut tp, mut fp) = (0u64, 0u64);
    for p in pairs
        .iter()
        .filter(|p| f64::from(p.probability) >= threshold)
    {
        if truth[p.a as usize] == truth[p.b as usize] {
            tp += 1;
        } else {
            fp += 1;
        }
    }
    let all_true = true_pair_count(truth);
    let precision = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if all_true == 0 {
        0.0
    } else {
        tp as f64 / all_true as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    PairMetrics {
        threshold,
        true_positives: tp,
        false_positives: fp,
        false_negatives: all_true - tp,
        precision,
        recall,
        f1,
    }
}

/// Connected components over pairs at or above `threshold`.
pub fn cluster(n: usize, pairs: &[ScoredPair], threshold: f64) -> Vec<u32> {
    crate::cluster::cluster_pairs(
        n,
        pairs.iter().map(|p| (p.a, p.b, f64::from(p.probability))),
        threshold,
    )
}

/// A storage order that puts records likely to be blocked together next to
/// each other: by fuzzy given name, then surname, then birth year (records
/// without a name last, in input order). Scoring reads both records of
/// every candidate pair; with the records of a block adjacent in memory
/// those reads mostly hit the cache. Returns positions into `features`;
/// reorder the records (and anything indexed like them) by it before
/// blocking. Deterministic: ties keep input order. Names are stored
/// inline in [`Features`], so reordering the records in place carries them
/// along (scoring at 1 M records: 3.0–3.2 s against 4.0–4.3 s unordered).
pub fn locality_order(features: &[Features]) -> Vec<u32> {
    locality_order_on(features, 1)
}

/// As [`locality_order`] on `threads` threads (the same order on any
/// number): the keys are computed and sorted in contiguous shares, which
/// are then merged.
pub fn locality_order_on(features: &[Features], threads: usize) -> Vec<u32> {
    type Key = ((bool, u64, u64, i32), u32);
    let key = |f: &Features| {
        let name = f.name.as_ref();
        (
            name.is_none(),
            name.and_then(|n| n.fuzzy_given_key()).unwrap_or(0),
            name.and_then(|n| n.surname_key()).unwrap_or(0),
            f.birth_year().unwrap_or(i32::MIN),
        )
    };
    let threads = threads.max(1);
    let chunk = features.len().div_ceil(threads).max(1);
    // Each share sorted on its own thread; the record's position breaks
    // ties, so the merged order is the single-threaded one.
    let shares: Vec<Vec<Key>> = std::thread::scope(|scope| {
        let handles: Vec<_> = features
            .chunks(chunk)
            .enumerate()
            .map(|(s, part)| {
                scope.spawn(move || {
                    let mut keys: Vec<Key> = part
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (key(f), (s * chunk + i) as u32))
                        .collect();
                    keys.sort_unstable();
                    keys
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sorting keys does not panic"))
            .collect()
    });
    // A merge over a handful of sorted shares: the smallest head each time
    // (keys are unique, as they hold the position).
    let mut at = vec![0usize; shares.len()];
    let mut order = Vec::with_capacity(features.len());
    while let Some(s) = (0..shares.len())
        .filter(|&s| at[s] < shares[s].len())
        .min_by_key(|&s| shares[s][at[s]])
    {
        order.push(shares[s][at[s]].1);
        at[s] += 1;
    }
    order
}

/// Reorders `items` so that `out[k] = items[order[k]]` (`order` a
/// permutation, e.g. from [`locality_order`]).
pub fn apply_order<T>(mut items: Vec<T>, order: &[u32]) -> Vec<T> {
    assert_eq!(items.len(), order.len(), "order must be a permutation");
    // In place, cycle by cycle (no second copy of the records).
    let mut done = vec![false; items.len()];
    for start in 0..items.len() {
        let mut k = start;
        while !done[k] {
            done[k] = true;
            let src = order[k] as usize;
            if src == start {
                break;
            }
            assert!(!done[src], "order must be a permutation");
            items.swap(k, src);
            k = src;
        }
    }
    items
}

/// Features of every record, computed on `threads` threads (contiguous
/// shares, so the result is the same on any thread count).
pub fn prepare_features(records: &[crate::record::Record], threads: usize) -> Vec<Features> {
    par_map(records, threads, Features::from_record)
}

/// `items.iter().map(f)` on `threads` threads, in order. The output is
/// allocated once and each thread fills its own share of it (collecting per
/// thread and concatenating wrote every item twice, which at 5 M records of
/// ~200 bytes was a second or more of page faults and copying).
pub(crate) fn par_map<T: Sync, U: Send + Default>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let threads = threads.max(1);
    if threads == 1 || items.len() < 1024 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut out: Vec<U> = std::iter::repeat_with(U::default)
        .take(items.len())
        .collect();
    let f = &f;
    std::thread::scope(|scope| {
        for (src, dst) in items.chunks(chunk).zip(out.chunks_mut(chunk)) {
            scope.spawn(move || {
                for (x, slot) in src.iter().zip(dst) {
                    *slot = f(x);
                }
            });
        }
    });
    out
}

/// `(0..n).map(f)` with the indices dealt round-robin to `threads` threads
/// (for a few uneven jobs such as one per blocking rule); results in index
/// order, the same on any thread count.
pub(crate) fn par_indexed<R: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, n.max(1));
    let f = &f;
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|k| (k, f(k)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (k, r) in h.join().expect("worker thread") {
                out[k] = Some(r);
            }
        }
    });
    out.into_iter()
        .map(|r| r.expect("every index computed"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare_features;
    use crate::gen::{generate, GenConfig};
    use crate::model::{train, TrainingConfig};

    /// Generated records (30 % duplicates) with their marks weighed, and a
    /// model trained on them with `u_pairs` random pairs for u.
    fn trained(seed: u64, records: usize, u_pairs: usize) -> (Vec<Features>, Model) {
        let g = generate(&GenConfig {
            seed,
            records,
            duplicate_rate: 0.3,
        });
        let mut f: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let cfg = TrainingConfig {
            u_sample_pairs: u_pairs,
            ..TrainingConfig::default()
        };
        let (model, _) = train(&mut f, crate::default_rules(), &cfg);
        (f, model)
    }

    #[test]
    fn a_thinned_histogram_fits_the_same_prior_and_keeps_the_same_pairs() {
        let (f, model) = trained(5, 20_000, 200_000);
        let rules = model.blocking_rules.clone();
        let blocker = Blocker::new(&rules, &f);
        let tf = TermFrequencies::build(&f);
        let fit = |thin| {
            let mut m = model.clone();
            let fit = Fitting {
                keep_at_least: 0.01,
                margin: 4.0,
                max_iterations: 200,
                threads: 2,
                thin,
            };
            let (pairs, scored) = fit_prior_while_scoring(&f, &mut m, &blocker, &tf, &fit);
            (m.prior, pairs, scored)
        };
        let (exact, all, _) = fit(1);
        let (thinned, some, _) = fit(THIN);
        // The sample stood in for the pairs left out (λ is not the exact
        // one), and the pairs that cannot be kept matter little to λ:
        // measured 9e-9 of it here.
        assert_ne!(thinned, exact, "every pair was compared in full");
        let rel = (thinned - exact).abs() / exact;
        assert!(rel < 1e-4, "λ {thinned} against {exact}");
        let kept = |pairs: &[ScoredPair], at: f32| {
            pairs
                .iter()
                .filter(|p| p.probability >= at)
                .map(|p| (p.a, p.b))
                .collect::<std::collections::HashSet<_>>()
        };
        // λ a hair apart moves no pair across a threshold here.
        for at in [0.01, 0.5, 0.9, 0.99] {
            assert!(kept(&all, at) == kept(&some, at), "pairs moved at {at}");
        }
    }

    #[test]
    fn scoring_keeps_exactly_the_pairs_a_full_comparison_keeps() {
        let (f, model) = trained(6, 8_000, 100_000);
        let rules = model.blocking_rules.clone();
        let blocker = Blocker::new(&rules, &f);
        let tf = TermFrequencies::build(&f);
        let (table, cache) = (model.weight_table(), tf.per_record(&f, 1));
        let mut full = Vec::new();
        blocker.for_each_pair(|a, b, _| {
            let v = compare_features(&f[a as usize], &f[b as usize], None);
            let w = model.score_vector_cached(&table, &v, a as usize, b as usize, &cache);
            if weight_to_probability(w) >= 0.01 {
                full.push((a, b, (w as f32).to_bits()));
            }
        });
        let (pairs, scored) = score_blocked_pairs(&f, &model, &blocker, &tf, 0.01, 2);
        let mut kept: Vec<_> = pairs
            .iter()
            .map(|p| (p.a, p.b, p.weight.to_bits()))
            .collect();
        full.sort_unstable();
        kept.sort_unstable();
        assert!(full.len() > 1000, "{}", full.len());
        assert_eq!(kept, full);
        assert_eq!(scored, blocker.pair_counts().iter().sum::<u64>());
    }
}
