//! Diagnostics: oracle m (from ground truth) vs EM m, and name levels of true
//! pairs missed by blocking. `cargo run --release --example diag -- 100000`
use jiuzhu_matching::gen::{generate, GenConfig};
use jiuzhu_matching::model::{estimate_m, estimate_u, TrainingReport};
use jiuzhu_matching::{
    compare_features, default_rules, Blocker, Features, Field, Model, TrainingConfig,
};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let g = generate(&GenConfig {
        seed: 7,
        records: n,
        duplicate_rate: 0.3,
    });
    let f: Vec<Features> = g.records.iter().map(Features::from_record).collect();
    let rules = default_rules();
    let blocker = Blocker::new(&rules, &f);
    // All true pairs.
    let mut by_person: std::collections::HashMap<u64, Vec<u32>> = Default::default();
    for (i, t) in g.truth.iter().enumerate() {
        by_person.entry(*t).or_default().push(i as u32);
    }
    let mut oracle: Vec<Vec<f64>> = Field::ALL
        .iter()
        .map(|f| vec![0.0; f.num_levels()])
        .collect();
    let mut missed_levels: Vec<Vec<f64>> = Field::ALL
        .iter()
        .map(|f| vec![0.0; f.num_levels()])
        .collect();
    let mut missed = 0;
    let mut shown = 0;
    for ids in by_person.values() {
        for i in 0..ids.len() {
            for j in i + 1..ids.len() {
                let (a, b) = (ids[i], ids[j]);
                let v = compare_features(&f[a as usize], &f[b as usize], None);
                for (k, &l) in v.iter().enumerate() {
                    oracle[k][l as usize] += 1.0;
                }
                if blocker.first_rule(a, b).is_none() {
                    missed += 1;
                    for (k, &l) in v.iter().enumerate() {
                        missed_levels[k][l as usize] += 1.0;
                    }
                    if shown < 10 {
                        shown += 1;
                        let (ra, rb) = (&g.records[a as usize], &g.records[b as usize]);
                        println!(
                            "missed: {:?} {:?} {:?} | {:?} {:?} | {:?} {:?}",
                            ra.name,
                            rb.name,
                            v,
                            ra.region.map(|r| r.to_string()),
                            rb.region.map(|r| r.to_string()),
                            f[a as usize].birth_year(),
                            f[b as usize].birth_year()
                        );
                    }
                }
            }
        }
    }
    let mut model = Model::initial(rules.clone());
    let mut cfg = TrainingConfig::default();
    if let Some(k) = std::env::args()
        .nth(2)
        .and_then(|s| s.parse::<usize>().ok())
    {
        cfg.training_rules.truncate(k);
    }
    estimate_u(&mut model, &f, &cfg);
    let mut rep = TrainingReport::default();
    estimate_m(&mut model, &f, &cfg, &mut rep);
    println!("{:?}", rep.em_runs);
    {
        use jiuzhu_matching::model::estimate_prior;
        use jiuzhu_matching::TermFrequencies;
        let tf = TermFrequencies::build(&f);
        let mut m2 = model.clone();
        estimate_prior(&mut m2, &f, &blocker, &tf, &cfg, &mut rep);
        let table = m2.weight_table();
        let mut hist = vec![[0u64; 10]; 9];
        let mut shown = 0;
        blocker.for_each_pair(|a, b, _| {
            if g.truth[a as usize] != g.truth[b as usize] {
                return;
            }
            let (fa, fb) = (&f[a as usize], &f[b as usize]);
            let v = compare_features(fa, fb, None);
            let w = m2.score_vector(&table, &v, fa, fb, &tf);
            if w < 0.0 {
                for (k, &l) in v.iter().enumerate() {
                    hist[k][l as usize] += 1;
                }
                if shown < 12 {
                    shown += 1;
                    println!(
                        "low: {:?} {:?} {v:?} w={w:.1}",
                        g.records[a as usize].name, g.records[b as usize].name
                    );
                }
            }
        });
        for fl in Field::ALL {
            println!(
                "low-scored true pairs, {:<7} levels {:?}",
                fl.label(),
                &hist[fl.index()][..fl.num_levels()]
            );
        }
    }
    let trules = cfg.training_rules.clone();
    let tb = Blocker::new(&trules, &f);
    for r in 0..trules.len() {
        let (mut n, mut t) = (0u64, 0u64);
        let mut lv = [[0u64; 10]; 2];
        tb.for_each_pair_of_rule(r, false, |a, b| {
            n += 1;
            let m = g.truth[a as usize] == g.truth[b as usize];
            if m {
                t += 1;
            }
            let v = compare_features(&f[a as usize], &f[b as usize], None);
            lv[m as usize][v[3] as usize] += 1;
        });
        println!("training rule {r}: {n} pairs, {t} true ({:.3}); region levels nonmatch {:?} match {:?}", t as f64 / n as f64, lv[0], lv[1]);
    }
    println!("missed {missed}");
    for fl in Field::ALL {
        let o = &oracle[fl.index()];
        let nl = fl.num_levels() - 1;
        let tot: f64 = o[..nl].iter().sum();
        let om: Vec<String> = o[..nl]
            .iter()
            .map(|c| format!("{:.3}", c / tot.max(1.0)))
            .collect();
        let em: Vec<String> = model.fields[fl.index()].m[..nl]
            .iter()
            .map(|c| format!("{:.3}", c))
            .collect();
        let ms: Vec<String> = missed_levels[fl.index()]
            .iter()
            .map(|c| format!("{c}"))
            .collect();
        println!(
            "{:<7} oracle m {:?}\n        em     m {:?}\n        missed   {:?}",
            fl.label(),
            om,
            em,
            ms
        );
    }
}

/// Name levels of true pairs that blocking found but the model scored < 0.5.
#[allow(dead_code)]
fn low_scored_true_pairs() {}
