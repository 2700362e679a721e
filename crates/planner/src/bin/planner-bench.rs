//! `planner-bench [--seed S] [--replans N] [--budget-ms MS] [--solver greedy|vrp-core|both]
//! [--hotspots H] [--teams T] [--label L]`: the demo city's day (by default 47 hotspots, 5 teams
//! on two shifts; more hotspots or fewer teams make a busier day) planned by each solver, then N
//! urgent sightings at random times and places each put into that running plan by the
//! re-plan fast path (insertion, no stop moved between teams). Prints plan time, coverage,
//! travel, re-plan latency p50/p95/max and churn, then one `RESULT` line per solver for
//! `bench/planner.sh`. The Solomon comparison is `solomon-bench`.

use jiuzhu_planner::demo::{city, Lcg};
use jiuzhu_planner::{
    check, coverage, expand, insert_urgent, plan, GreedyInsertion, LatLon, Sighting, Solver,
    Violation, VrpCoreSolver,
};
use std::time::Instant;

fn main() {
    let mut seed = 331102u64;
    let mut replans = 200usize;
    let mut budget_ms = 700u64;
    let mut which = "both".to_string();
    let (mut hotspots, mut teams, mut label) = (47usize, 5u32, "demo".to_string());
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).expect("--seed N"),
            "--replans" => replans = it.next().and_then(|v| v.parse().ok()).expect("--replans N"),
            "--budget-ms" => {
                budget_ms = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--budget-ms MS")
            }
            "--solver" => which = it.next().expect("--solver greedy|vrp-core|both"),
            "--hotspots" => {
                hotspots = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--hotspots H")
            }
            "--teams" => teams = it.next().and_then(|v| v.parse().ok()).expect("--teams T"),
            "--label" => label = it.next().expect("--label L"),
            other => panic!("unknown argument {other}"),
        }
    }
    let vrp = VrpCoreSolver::with_millis(budget_ms);
    let solvers: Vec<&dyn Solver> = match which.as_str() {
        "greedy" => vec![&GreedyInsertion],
        "vrp-core" => vec![&vrp],
        "both" => vec![&GreedyInsertion, &vrp],
        other => panic!("unknown solver {other}"),
    };
    for solver in solvers {
        run(
            solver,
            &Scenario {
                seed,
                hotspots,
                teams,
                label: &label,
            },
            replans,
            budget_ms,
        );
    }
}

struct Scenario<'a> {
    seed: u64,
    hotspots: usize,
    teams: u32,
    label: &'a str,
}

fn run(solver: &dyn Solver, sc: &Scenario, replans: usize, budget_ms: u64) {
    let seed = sc.seed;
    let input = city(seed, sc.hotspots, sc.teams);
    let t = Instant::now();
    let (problem, day) = plan(&input, solver).expect("valid demo city");
    let plan_ms = t.elapsed().as_secs_f64() * 1000.0;
    // A key visit nobody can make is a coverage figure (a busy day); anything else is a bug.
    let violations: Vec<_> = check(&problem, &day)
        .into_iter()
        .filter(|v| !matches!(v, Violation::RequiredMissed { .. }))
        .collect();
    assert!(
        violations.is_empty(),
        "the day's plan is feasible: {violations:?}"
    );
    let c = coverage(&problem, &day);
    let planned: usize = day.routes.iter().map(|r| r.stops.len()).sum();
    println!(
        "scenario            {} ({} hotspots, {} teams × 2 shifts)",
        sc.label, sc.hotspots, sc.teams
    );
    println!("solver              {}", solver.name());
    if solver.name() == "vrp-core" {
        println!("budget              {budget_ms} ms, one thread, warm start from greedy");
    }
    println!(
        "visits              {} ({} required), {planned} planned",
        problem.visits.len(),
        problem.visits.iter().filter(|v| v.required).count()
    );
    println!("plan                {plan_ms:.1} ms");
    println!("key coverage        {:.3}", c.key);
    println!("weighted coverage   {:.3}", c.weighted);
    println!("travel              {:.2} h", c.travel_s as f64 / 3600.0);

    let mut r = Lcg(seed ^ 0x9e37_79b9);
    let mut lat_ms = Vec::with_capacity(replans);
    let (mut failed, mut max_moved, mut max_dropped) = (0, 0, 0);
    for k in 0..replans {
        let now = 8 * 3600 + (r.next_f64() * 13.0 * 3600.0) as u32;
        let mut urgent = input.clone();
        urgent.sightings.push(Sighting {
            id: k as u32,
            pos: LatLon {
                lat: 28.40 + r.next_f64() * 0.10,
                lon: 119.85 + r.next_f64() * 0.15,
            },
            urgent: true,
            ready_s: now,
            respond_by_s: now + 1800,
            service_s: 900,
        });
        let t = Instant::now();
        let p2 = expand(&urgent).expect("valid");
        let visit = p2.visits.len() - 1;
        let result = insert_urgent(&p2, &day, visit, now);
        lat_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        match result {
            Some((after, churn)) => {
                debug_assert!(check(&p2, &after)
                    .iter()
                    .all(|v| matches!(v, Violation::RequiredMissed { .. })));
                max_moved = max_moved.max(churn.moved);
                max_dropped = max_dropped.max(churn.dropped);
            }
            None => failed += 1,
        }
    }
    lat_ms.sort_by(f64::total_cmp);
    let q = |p: f64| lat_ms[((lat_ms.len() as f64 - 1.0) * p).round() as usize];
    println!("urgent re-plans     {replans} ({failed} with no team able to reach in 30 min)");
    println!(
        "re-plan latency     p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        q(0.5),
        q(0.95),
        q(1.0)
    );
    println!("churn               moved between teams ≤ {max_moved}, optional stops dropped ≤ {max_dropped}");
    println!();
    println!(
        "RESULT demo scenario={} solver={} plan_ms={plan_ms:.1} key={:.3} weighted={:.3} travel_h={:.2} planned={planned} visits={} replan_p50_ms={:.2} replan_p95_ms={:.2} moved_max={max_moved} dropped_max={max_dropped} unreachable={failed}",
        sc.label,
        solver.name(),
        c.key,
        c.weighted,
        c.travel_s as f64 / 3600.0,
        problem.visits.len(),
        q(0.5),
        q(0.95),
    );
}
