//! Property tests: name comparison symmetry and reflexivity, age bands,
//! finite weights and probabilities, a pair scored from its first fields
//! only when the rest could not lift it to the cutoff, pairs scored once
//! across blocking rules, and index answers free of duplicates,
//! self-matches and rejected pairs.

use std::collections::HashSet;

use jiuzhu_matching::compare::{compare_age, compare_features};
use jiuzhu_matching::model::weight_to_probability;
use jiuzhu_matching::{
    compare_names, default_rules, AgeInfo, Blocker, Date, Features, HeightCm, Index, Model,
    NameLevel, Record, RegionCode, Sex, TermFrequencies,
};
use proptest::prelude::*;

const POOL: &[&str] = &[
    "王",
    "张",
    "張",
    "李",
    "陈",
    "陳",
    "单",
    "曾",
    "欧阳",
    "司马",
    "小",
    "阿",
    "老",
    "伟",
    "偉",
    "维",
    "建",
    "国",
    "國",
    "明",
    "敏",
    "华",
    "華",
    "静",
    "晶",
    "侯",
    "候",
    "兰",
    "南",
    "飞",
    "辉",
    "芳",
    "强",
    "·",
    "a",
    " smith",
    " Smyth",
    " john",
    " jonh",
    " harrington",
];

fn name_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(POOL), 1..5).prop_map(|v| v.concat())
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.7, s)
}

fn record_strategy() -> impl Strategy<Value = Record> {
    (
        opt(name_strategy()),
        opt(prop::bool::ANY.prop_map(|m| if m { Sex::Male } else { Sex::Female })),
        opt((1950i32..2020, 0u8..90, prop::bool::ANY)),
        opt(7000i32..20000),
        opt(7000i32..20000),
        opt(prop::sample::select(vec![
            "110101", "110102", "110000", "510104", "510105", "440305", "440000",
        ])),
        opt(prop::sample::select(vec!["110000", "510000", "440000"])),
        opt(100u16..200),
        opt(prop::sample::select(vec![
            "左手缺小指",
            "额头有疤，跛行",
            "右脸有痣",
        ])),
        opt(prop::collection::vec(-1.0f32..1.0, 4)),
    )
        .prop_map(
            |(name, sex, age, missing, found, region, accent, height, marks, face)| Record {
                id: 0,
                name,
                sex,
                age: age.map(|(y, years, exact)| {
                    let d = Date::from_ymd(y, 6, 1).unwrap();
                    if exact {
                        AgeInfo::BirthDate(d)
                    } else {
                        AgeInfo::Estimated { years, at: d }
                    }
                }),
                date_missing: missing.map(Date::from_days),
                date_found: found.map(Date::from_days),
                region: region.map(|r| RegionCode::new(r).unwrap()),
                accent: accent.map(|r| RegionCode::new(r).unwrap()),
                height: height.map(|h| HeightCm::new(h).unwrap()),
                marks: marks.map(str::to_string),
                face_embedding: face,
                ..Default::default()
            },
        )
}

/// A model trained once on generated records (m and u as real data give
/// them, face weights included).
fn trained_model() -> &'static Model {
    static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let g = jiuzhu_matching::gen::generate(&jiuzhu_matching::gen::GenConfig {
            seed: 3,
            records: 5_000,
            duplicate_rate: 0.3,
        });
        let mut f: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let cfg = jiuzhu_matching::TrainingConfig {
            u_sample_pairs: 50_000,
            ..Default::default()
        };
        jiuzhu_matching::model::train(&mut f, default_rules(), &cfg).0
    })
}

fn with_ids(mut v: Vec<Record>) -> Vec<Record> {
    for (i, r) in v.iter_mut().enumerate() {
        r.id = i as u64;
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn name_comparison_is_symmetric(a in name_strategy(), b in name_strategy()) {
        prop_assert_eq!(compare_names(Some(&a), Some(&b)), compare_names(Some(&b), Some(&a)));
    }

    #[test]
    fn age_bands_in_days_are_the_bands_in_years(a in -60_000i32..60_000, exact in any::<bool>()) {
        // Estimated ages (not exact) never take the typing-error level, so
        // every difference falls in a band of whole years: ≤1, ≤3, ≤5,
        // ≤10 years of 365.2425 days, or beyond. Every difference up to
        // 8,000 days, so that each band's edge is met.
        for apart in 0..=8_000 {
            let b = a + apart;
            let years = f64::from(apart) / 365.2425;
            let expected = [1.0, 3.0, 5.0, 10.0].iter().position(|&y| years <= y).unwrap_or(4) as u8 + 2;
            let level = compare_age(Some((a, exact)), Some((b, false)));
            prop_assert_eq!(level, expected, "{} days apart", apart);
            prop_assert_eq!(compare_age(Some((b, false)), Some((a, exact))), level);
        }
    }

    #[test]
    fn identical_names_are_exact(a in name_strategy()) {
        let level = compare_names(Some(&a), Some(&a));
        // Han characters, or failing those a real Latin word, make a name
        // (lone letters like "a" or "aa" are placeholders, not names).
        let has_han = a.chars().any(|c| c as u32 >= 0x4E00);
        let lower = a.to_lowercase();
        let has_word = ["smith", "smyth", "john", "jonh", "harrington"]
            .iter()
            .any(|w| lower.contains(w));
        prop_assert_eq!(level, if has_han || has_word { NameLevel::Exact } else { NameLevel::Missing });
    }

    #[test]
    fn a_pair_stopped_early_could_not_have_reached_the_cutoff(a in record_strategy(), b in record_strategy(), cutoff in -30.0f64..30.0, trained in any::<bool>()) {
        let recs = with_ids(vec![a, b]);
        let f: Vec<Features> = recs.iter().map(Features::from_record).collect();
        let tf = TermFrequencies::build(&f);
        let cache = tf.per_record(&f, 1);
        let model = if trained { trained_model().clone() } else { Model::initial(default_rules()) };
        let table = model.weight_table();
        let full = model.score_vector_cached(&table, &compare_features(&f[0], &f[1], None), 0, 1, &cache);
        match model.score_pair_bounded(&table, &f[0], &f[1], 0, 1, &cache, cutoff) {
            // Compared in full: the very weight, bit for bit.
            Ok(w) => prop_assert_eq!(w.to_bits(), full.to_bits()),
            // Stopped after the first fields: below the cutoff, no lower
            // than the weight all fields give, and finished to it.
            Err(stopped) => {
                prop_assert!(stopped.bound < cutoff);
                prop_assert!(full <= stopped.bound, "{} > {}", full, stopped.bound);
                let finished = model.finish_pair(&table, &f[0], &f[1], 0, 1, &cache, stopped.vector);
                prop_assert_eq!(finished.to_bits(), full.to_bits());
            }
        }
    }

    #[test]
    fn weights_finite_probability_in_unit_interval(a in record_strategy(), b in record_strategy(), face in opt(-1.0f32..1.0)) {
        let recs = with_ids(vec![a, b]);
        let f: Vec<Features> = recs.iter().map(Features::from_record).collect();
        let tf = TermFrequencies::build(&f);
        let model = Model::initial(default_rules());
        let e = model.explain(&f[0], &f[1], &tf, face);
        prop_assert!(e.total_weight.is_finite());
        prop_assert!((0.0..=1.0).contains(&e.probability));
        for row in &e.fields {
            prop_assert!(row.weight.is_finite(), "{:?}", row);
        }
        let sum: f64 = e.prior_weight + e.fields.iter().map(|r| r.weight).sum::<f64>();
        if e.hard_non_match {
            prop_assert!(e.total_weight <= jiuzhu_matching::model::IMPOSSIBLE_WEIGHT);
            prop_assert!(e.total_weight <= sum + 1e-9);
        } else {
            prop_assert!((sum - e.total_weight).abs() < 1e-9);
        }
        prop_assert!((weight_to_probability(e.total_weight) - e.probability).abs() < 1e-12);
    }

    #[test]
    fn each_pair_scored_once_across_rules(recs in prop::collection::vec(record_strategy(), 2..40)) {
        let recs = with_ids(recs);
        let f: Vec<Features> = recs.iter().map(Features::from_record).collect();
        let rules = default_rules();
        let blocker = Blocker::new(&rules, &f);
        let mut seen = HashSet::new();
        blocker.for_each_pair(|a, b, _| {
            assert!(a < b);
            assert!(seen.insert((a, b)), "pair ({a},{b}) produced twice");
        });
        // Same set as the union of every rule on its own.
        let mut union = HashSet::new();
        for r in 0..rules.len() {
            blocker.for_each_pair_of_rule(r, false, |a, b| { union.insert((a, b)); });
        }
        prop_assert_eq!(seen, union);
    }

    #[test]
    fn index_candidates_unique_not_self_not_rejected(recs in prop::collection::vec(record_strategy(), 2..40), q in 0usize..40) {
        let recs = with_ids(recs);
        let model = Model::initial(default_rules());
        let mut index = Index::build(&recs, &model).unwrap();
        let query = &recs[q % recs.len()];
        let before = index.candidates(query, 10);
        if let Some(first) = before.first() {
            index.reject_pair(first.record_id, query.id);
        }
        let after = index.candidates(query, 10);
        let ids: HashSet<u64> = after.iter().map(|c| c.record_id).collect();
        prop_assert_eq!(ids.len(), after.len());
        prop_assert!(!ids.contains(&query.id));
        if let Some(first) = before.first() {
            prop_assert!(!ids.contains(&first.record_id));
        }
        for w in after.windows(2) {
            prop_assert!(w[0].match_weight >= w[1].match_weight);
        }
    }
}
