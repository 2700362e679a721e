//! Benchmark: `bench <records> [--max-block K] [--year-window W] [--locality|--no-locality] [--blocking-only] [--seed S] [--csv PATH] [--from-csv PATH] [--febrl PATHS] [--queries Q] [--no-batch] [--no-online] [--csv-only] [--no-tf] [--threads T]`
//!
//! `records` accepts suffixes: 100k, 1M, 5M.
//! Batch: generate → prepare → blocking → u → EM → scoring → clustering,
//! with blocking recall and precision/recall/F1 at 0.5/0.9/0.99.
//! Online: build an [`Index`] over all records, time `Q` queries (p50/p95/p99).

use std::time::{Duration, Instant};

use jiuzhu_matching::febrl;
use jiuzhu_matching::gen::{generate, read_csv_bytes, write_csv_with, GenConfig, Generated};
use jiuzhu_matching::model::{estimate_m, estimate_prior, estimate_u, refine_u, TrainingReport};
use jiuzhu_matching::pipeline::{
    apply_order, blocking_recall, cluster, locality_order_on, pair_metrics, prepare_features,
    prior_thinning, score_blocked_pairs_fitting_prior, THIN,
};
use jiuzhu_matching::rng::SplitMix64;
use jiuzhu_matching::{
    default_rules, Blocker, BlockingRule, Features, Index, Model, Refinement, TermFrequencies,
    TrainingConfig,
};

fn parse_count(s: &str) -> Option<usize> {
    let s = s.to_ascii_lowercase();
    let (num, mul) = if let Some(n) = s.strip_suffix('k') {
        (n, 1_000.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 1_000_000.0)
    } else {
        (s.as_str(), 1.0)
    };
    num.parse::<f64>().ok().map(|v| (v * mul) as usize)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn make_blocker<'a>(rules: &'a [BlockingRule], features: &[Features], a: &Args) -> Blocker<'a> {
    if a.max_block == 0 {
        Blocker::new_on(rules, features, a.threads)
    } else {
        Blocker::with_max_block_on(
            rules,
            features,
            Refinement {
                max_block: a.max_block,
                year_window: a.year_window,
            },
            a.threads,
        )
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

struct Args {
    n: usize,
    seed: u64,
    csv: Option<String>,
    /// Read the records from this CSV (as written by `--csv`) instead of generating them.
    from_csv: Option<String>,
    /// FEBRL files (comma-separated paths) to link instead of generated records.
    febrl: Option<String>,
    queries: usize,
    batch: bool,
    online: bool,
    csv_only: bool,
    tf: bool,
    threads: usize,
    /// Blocks above this many records are cut by birth-year band (0: never).
    max_block: usize,
    /// Reorder records for memory locality before blocking.
    locality: bool,
    /// Largest birth-year difference paired inside a refined block.
    year_window: i32,
    blocking_only: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        n: 100_000,
        seed: 7,
        csv: None,
        from_csv: None,
        febrl: None,
        queries: 1000,
        batch: true,
        online: true,
        csv_only: false,
        tf: true,
        // The machine this runs on in CI has two cores.
        threads: 2,
        max_block: Refinement::default().max_block,
        // On unless `--no-locality` (faster at 100k, 1M and 5M once the
        // names were stored inline).
        locality: false,
        year_window: Refinement::default().year_window,
        blocking_only: false,
    };
    let mut locality = None;
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--seed" => {
                a.seed = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed needs a number")?
            }
            "--csv" => a.csv = Some(it.next().ok_or("--csv needs a path")?),
            "--from-csv" => a.from_csv = Some(it.next().ok_or("--from-csv needs a path")?),
            "--febrl" => a.febrl = Some(it.next().ok_or("--febrl needs paths, comma-separated")?),
            "--queries" => {
                a.queries = it
                    .next()
                    .and_then(|v| parse_count(&v))
                    .ok_or("--queries needs a number")?
            }
            "--no-batch" => a.batch = false,
            "--no-online" => a.online = false,
            "--csv-only" => a.csv_only = true,
            "--no-tf" => a.tf = false,
            "--threads" => {
                a.threads = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|t| *t > 0)
                    .ok_or("--threads needs a positive number")?
            }
            "--max-block" => {
                a.max_block = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--max-block needs a number (0: never cut)")?
            }
            "--year-window" => {
                a.year_window = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--year-window needs a number of years")?
            }
            "--locality" => locality = Some(true),
            "--no-locality" => locality = Some(false),
            "--blocking-only" => a.blocking_only = true,
            other => a.n = parse_count(other).ok_or(format!("bad argument {other}"))?,
        }
    }
    a.locality = locality.unwrap_or(true);
    if a.febrl.is_some() {
        // Small files: no block needs refining, and Splink blocks on the
        // plain keys this engine exports.
        a.max_block = 0;
    }
    Ok(a)
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: bench <records, e.g. 100k|1M|5M> [--seed S] [--csv PATH] [--from-csv PATH] [--febrl PATHS] [--locality|--no-locality] [--queries Q] [--no-batch] [--no-online] [--csv-only] [--no-tf] [--threads T]");
            std::process::exit(2);
        }
    };
    println!(
        "# jiuzhu-matching benchmark: {} records, seed {}",
        a.n, a.seed
    );
    let t = Instant::now();
    // Reading the CSV counts towards "end to end" (as it does for Splink).
    let (g, read) = match (&a.from_csv, &a.febrl) {
        (_, Some(paths)) => {
            let mut rows = Vec::new();
            for path in paths.split(',') {
                let text = std::fs::read_to_string(path).expect("read febrl file");
                rows.extend(febrl::read(&text).unwrap_or_else(|e| {
                    eprintln!("{path}: {e}");
                    std::process::exit(2)
                }));
            }
            let g = Generated {
                records: (0..).zip(&rows).map(|(i, r)| r.to_record(i)).collect(),
                truth: rows
                    .iter()
                    .map(|r| r.person().unwrap_or(u64::MAX))
                    .collect(),
            };
            let read = t.elapsed();
            println!(
                "read febrl          {:>9.2} s  ({} records from {paths})",
                secs(read),
                rows.len()
            );
            if let Some(path) = &a.csv {
                let features: Vec<Features> = g.records.iter().map(Features::from_record).collect();
                let file = std::fs::File::create(path).expect("create csv");
                febrl::write_splink_csv(
                    &rows,
                    &features,
                    &febrl::rules(),
                    std::io::BufWriter::new(file),
                )
                .expect("write csv");
                println!("write csv for Splink -> {path}");
            }
            (g, read)
        }
        (Some(path), None) => {
            let bytes = std::fs::read(path).expect("read csv");
            let g = read_csv_bytes(&bytes, a.threads).unwrap_or_else(|e| {
                eprintln!("{path}: {e}");
                std::process::exit(2)
            });
            let read = t.elapsed();
            println!(
                "read csv            {:>9.2} s  ({} records from {path})",
                secs(read),
                g.records.len()
            );
            (g, read)
        }
        (None, None) => {
            let g = generate(&GenConfig {
                seed: a.seed,
                records: a.n,
                duplicate_rate: 0.3,
            });
            println!("generate            {:>9.2} s", secs(t.elapsed()));
            (g, Duration::ZERO)
        }
    };
    if let (Some(path), None) = (&a.csv, &a.febrl) {
        let t = Instant::now();
        let file = std::fs::File::create(path).expect("create csv");
        // Which blocks the refinement cut, per rule (`cut_<rule>` = 1), so
        // that Splink can apply exactly the same rules.
        let features: Vec<Features> = g.records.iter().map(Features::from_record).collect();
        let rules = default_rules();
        let blocker = make_blocker(&rules, &features, &a);
        let headers: Vec<String> = (0..rules.len()).map(|r| format!("cut_{r}")).collect();
        write_csv_with(
            &g,
            &headers,
            |i, r| u8::from(blocker.is_cut(i as u32, r)).to_string(),
            std::io::BufWriter::new(file),
        )
        .expect("write csv");
        println!(
            "write csv           {:>9.2} s  -> {path}",
            secs(t.elapsed())
        );
    }
    if a.csv_only {
        return;
    }
    let t = Instant::now();
    let features: Vec<Features> = prepare_features(&g.records, a.threads);
    // Store the records of likely blocks next to each other (part of the
    // linkage, timed); the truth follows the same order for evaluation.
    println!("prepare features    {:>9.2} s", secs(t.elapsed()));
    let t_loc = Instant::now();
    let (mut features, truth) = if a.locality {
        let order = locality_order_on(&features, a.threads);
        // In place: the names are stored inline (no heap data left behind
        // in generation order), so moving the records is enough.
        let ordered = apply_order(features, &order);
        (ordered, apply_order(g.truth.clone(), &order))
    } else {
        (features, g.truth.clone())
    };
    // Linkage from records in memory to clusters: every phase below except
    // the evaluation against the truth (blocking recall, P/R/F1).
    println!("locality order      {:>9.2} s", secs(t_loc.elapsed()));
    // Name frequencies (term-frequency adjustment) and marks tokens' rarity,
    // which the marks comparison weighs from here on.
    let t_tf = Instant::now();
    let tf = TermFrequencies::build(&features);
    tf.weigh_all_marks(&mut features, a.threads);
    let features = features;
    println!(
        "term frequencies    {:>9.2} s  (names; marks tokens weighed by rarity)",
        secs(t_tf.elapsed())
    );
    let mut linkage = t.elapsed();
    let rules = if a.febrl.is_some() {
        febrl::rules()
    } else {
        default_rules()
    };
    let cfg = TrainingConfig {
        threads: a.threads,
        training_rules: if a.febrl.is_some() {
            febrl::training_rules()
        } else {
            TrainingConfig::default().training_rules
        },
        ..TrainingConfig::default()
    };
    println!("threads             {:>9}", a.threads);
    let mut model = Model::initial(rules.clone());
    model.tf_adjustment = a.tf;

    if a.batch {
        let t = Instant::now();
        let blocker = make_blocker(&rules, &features, &a);
        blocker.sort_blocks(a.threads);
        let t_block = t.elapsed();
        linkage += t_block;
        // Per-rule counts are for the report only (λ counts the pairs on
        // its own pass): not part of the linkage time.
        let t = Instant::now();
        let counts = blocker.par_pair_counts(a.threads);
        let t_count = t.elapsed();
        let (found, all_true) = blocking_recall(&blocker, &truth, a.threads);
        let total_pairs: u64 = counts.iter().sum();
        println!("blocking keys+sort  {:>9.2} s", secs(t_block));
        println!(
            "count pairs/rule    {:>9.2} s  ({} candidate pairs; report only)",
            secs(t_count),
            total_pairs
        );
        println!(
            "    blocks above {} records cut by birth-year band (0: none)",
            a.max_block
        );
        for ((r, c), st) in rules.iter().zip(&counts).zip(blocker.refine_stats()) {
            println!(
                "    rule {:<40} {:>12} new pairs  ({} blocks cut, {} records in them, {} without a year)",
                r.name(),
                c,
                st.blocks_cut,
                st.records_in_cut_blocks,
                st.records_without_year
            );
        }
        println!(
            "blocking recall     {:>9.4}    ({found} of {all_true} true pairs)",
            found as f64 / all_true.max(1) as f64
        );
        if a.blocking_only {
            return;
        }

        let mut report = TrainingReport::default();
        let t = Instant::now();
        let u_sample = estimate_u(&mut model, &features, &cfg);
        report.u_pairs = u_sample.pairs;
        linkage += t.elapsed();
        println!(
            "u estimation        {:>9.2} s  ({} pairs{})",
            secs(t.elapsed()),
            report.u_pairs,
            if u_sample.every_pair {
                ": every pair"
            } else {
                " at random"
            }
        );
        let t = Instant::now();
        estimate_m(&mut model, &features, &cfg, &mut report);
        linkage += t.elapsed();
        println!("EM (m)              {:>9.2} s", secs(t.elapsed()));
        for r in &report.em_runs {
            println!(
                "    session {:<30} {:>11} pairs {:>9} used {:>6} patterns {:>3} iters converged={} λ={:.4}",
                r.rule, r.pairs, r.sampled, r.patterns, r.iterations, r.converged, r.lambda
            );
        }
        // λ: a first guess from a small sample of the candidate pairs, then
        // fitted exactly on the scoring pass itself (every pair's weight
        // histogrammed; the pairs kept provisionally at up to 4× the guess).
        let t = Instant::now();
        let guess_cfg = TrainingConfig {
            max_pairs_per_session: 200_000,
            ..cfg.clone()
        };
        estimate_prior(
            &mut model,
            &features,
            &blocker,
            &tf,
            &guess_cfg,
            &mut report,
        );
        // u again without the random pairs this model takes for matches (λ
        // is then fitted exactly while scoring).
        refine_u(&mut model, &u_sample);
        linkage += t.elapsed();
        println!(
            "prior (λ) guess     {:>9.2} s  (λ = {:.3e} from a sample of the candidate pairs)",
            secs(t.elapsed()),
            model.prior,
        );

        let t = Instant::now();
        let (pairs, scored) = score_blocked_pairs_fitting_prior(
            &features,
            &mut model,
            &blocker,
            &tf,
            0.01,
            4.0,
            cfg.max_iterations,
            a.threads,
        );
        let d = t.elapsed();
        linkage += d;
        println!(
            "scoring + λ         {:>9.2} s  ({scored} pairs, {:.2} M pairs/s, {} kept ≥0.01; λ = {:.3e}, expected matches {:.0})",
            secs(d),
            scored as f64 / secs(d).max(1e-9) / 1e6,
            pairs.len(),
            model.prior,
            model.prior * (features.len() as f64) * (features.len() as f64 - 1.0) / 2.0
        );
        if prior_thinning(&blocker, a.threads) > 1 {
            println!(
                "    λ from every pair that can be kept and 1 in {THIN} of those that cannot (their marks, height, dates and face not read)"
            );
        }
        let t = Instant::now();
        let clusters = cluster(features.len(), &pairs, 0.9);
        linkage += t.elapsed();
        let mut distinct = clusters.clone();
        distinct.sort_unstable();
        distinct.dedup();
        println!(
            "clustering @0.9     {:>9.2} s  ({} clusters)",
            secs(t.elapsed()),
            distinct.len()
        );
        let mut people = truth.clone();
        people.sort_unstable();
        people.dedup();
        println!("    true people: {}", people.len());
        println!(
            "linkage total       {:>9.2} s  (records in memory -> clusters: prepare, blocking, u, EM, λ, scoring, clustering; no generation, no evaluation)",
            secs(linkage)
        );
        if a.from_csv.is_some() {
            println!(
                "end to end          {:>9.2} s  (reading the CSV + linkage)",
                secs(read + linkage)
            );
        }
        for th in [0.5, 0.9, 0.99] {
            let m = pair_metrics(&pairs, &truth, th);
            println!(
                "p≥{th:<5} precision {:.4} recall {:.4} F1 {:.4}  (TP {} FP {} FN {})",
                m.precision, m.recall, m.f1, m.true_positives, m.false_positives, m.false_negatives
            );
        }
        println!("peak RSS after batch {:>8.0} MiB", peak_rss_mib());
        println!("model m/u:");
        for p in &model.fields {
            let fmt = |v: &[f64]| {
                v.iter()
                    .map(|x| format!("{x:.4}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            println!(
                "    {:<7} m [{}]\n            u [{}]",
                p.field.label(),
                fmt(&p.m),
                fmt(&p.u)
            );
        }
    }

    if a.online {
        let t = Instant::now();
        let index = Index::from_features(features, &model).expect("unique ids");
        println!(
            "index build         {:>9.2} s  ({} records)",
            secs(t.elapsed()),
            index.len()
        );
        let mut rng = SplitMix64::new(a.seed ^ 0xabcdef);
        let mut times = Vec::with_capacity(a.queries);
        let mut with_match = 0usize;
        let mut hit_at_10 = 0usize;
        let mut candidates_total = 0usize;
        let mut person_size: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        for p in &g.truth {
            *person_size.entry(*p).or_default() += 1;
        }
        for _ in 0..a.queries {
            let i = rng.below(g.records.len() as u64) as usize;
            let rec = &g.records[i];
            let t = Instant::now();
            let c = index.candidates(rec, 10);
            times.push(t.elapsed());
            candidates_total += c.len();
            let has_match = person_size[&g.truth[i]] > 1;
            if has_match {
                with_match += 1;
                if c.iter()
                    .any(|c| g.truth[c.record_id as usize] == g.truth[i])
                {
                    hit_at_10 += 1;
                }
            }
        }
        times.sort_unstable();
        let pct = |q: f64| {
            times[((times.len() as f64 * q) as usize).min(times.len() - 1)].as_secs_f64() * 1e3
        };
        println!(
            "online queries: {}  p50 {:.3} ms  p95 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            times.len(),
            pct(0.5),
            pct(0.95),
            pct(0.99),
            times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
        println!(
            "    queries with a true match: {with_match}, true match in top 10: {hit_at_10} ({:.3}); mean candidates returned {:.1}",
            hit_at_10 as f64 / with_match.max(1) as f64,
            candidates_total as f64 / a.queries.max(1) as f64
        );
        println!("peak RSS            {:>9.0} MiB", peak_rss_mib());
    }
}
