//! `solomon-bench [--seconds S] [--goal vehicles|distance] [--runs N] FILE...`: solves Solomon
//! VRPTW instances with vrp-core on one thread at a fixed time limit (N independent runs
//! sharing it, default `solomon::DEFAULT_RUNS`), checks every solution with
//! the crate's own evaluator (exact Euclidean distances) and prints vehicles, distance,
//! the gap to the best known and the time. One `RESULT` line per instance for
//! `bench/planner.sh`.

use jiuzhu_planner::solomon::{
    best_known_distance, best_known_hierarchical, evaluate, parse, solve_runs, Goal, DEFAULT_RUNS,
};
use jiuzhu_planner::Budget;
use std::time::Instant;

fn main() {
    let mut seconds = 10.0f64;
    let mut goal = Goal::VehiclesThenDistance;
    let mut runs = DEFAULT_RUNS;
    let mut files = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => seconds = it.next().and_then(|v| v.parse().ok()).expect("--seconds S"),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--goal" => {
                goal = match it.next().as_deref() {
                    Some("vehicles") => Goal::VehiclesThenDistance,
                    Some("distance") => Goal::Distance,
                    _ => panic!("--goal vehicles|distance"),
                }
            }
            f => files.push(f.to_string()),
        }
    }
    assert!(
        !files.is_empty(),
        "usage: solomon-bench [--seconds S] [--goal vehicles|distance] [--runs N] FILE..."
    );
    println!("instance  vehicles  distance   best known        gap      time");
    for f in files {
        let name = std::path::Path::new(&f)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_uppercase();
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let inst = parse(&name, &text).unwrap_or_else(|e| panic!("{f}: {e}"));
        let budget = Budget {
            millis: (seconds * 1000.0) as u64,
            max_generations: None,
        };
        let t = Instant::now();
        let routes =
            solve_runs(&inst, goal, budget, runs).unwrap_or_else(|e| panic!("{name}: {e}"));
        let secs = t.elapsed().as_secs_f64();
        let e = evaluate(&inst, &routes);
        assert!(e.violations.is_empty(), "{name}: {:?}", e.violations);
        let bk = match goal {
            Goal::VehiclesThenDistance => best_known_hierarchical(&name),
            Goal::Distance => best_known_distance(&name),
        };
        let (bk_text, gap_text, gap) = match bk {
            Some(b) => {
                let gap = (e.distance - b.distance) / b.distance * 100.0;
                let extra = e.vehicles as i64 - b.vehicles as i64;
                let g = if extra == 0 || goal == Goal::Distance {
                    format!("{gap:+.2} %")
                } else {
                    format!("{extra:+} veh, {gap:+.2} %")
                };
                (format!("{} / {:.2}", b.vehicles, b.distance), g, gap)
            }
            None => ("-".into(), "-".into(), f64::NAN),
        };
        println!(
            "{name:<8}  {:>8}  {:>8.2}   {bk_text:<15}  {gap_text:<8}  {secs:.1} s",
            e.vehicles, e.distance
        );
        println!(
            "RESULT solomon solver=vrp-core instance={name} vehicles={} distance={:.2} gap_pct={gap:.2} seconds={secs:.2} runs={runs} feasible=yes",
            e.vehicles, e.distance
        );
    }
}
