//! `planner-bench [--seed S] [--replans N]`: the demo city's day (47 hotspots, 5 teams on
//! two shifts) planned by the baseline solver, then N urgent sightings at random times and
//! places each put into the running plan. Prints plan time, coverage, travel, re-plan
//! latency p50/p95/max and churn. (The Solomon comparison with PyVRP, OR-Tools and VROOM
//! comes with the metaheuristic solver.)

use jiuzhu_planner::demo::{city, Lcg};
use jiuzhu_planner::{
    check, coverage, expand, insert_urgent, plan, GreedyInsertion, LatLon, Sighting,
};
use std::time::Instant;

fn main() {
    let mut seed = 331102u64;
    let mut replans = 200usize;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).expect("--seed N"),
            "--replans" => replans = it.next().and_then(|v| v.parse().ok()).expect("--replans N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let input = city(seed, 47, 5);
    let t = Instant::now();
    let (problem, day) = plan(&input, &GreedyInsertion).expect("valid demo city");
    let plan_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert!(
        check(&problem, &day).is_empty(),
        "the day's plan is feasible"
    );
    let c = coverage(&problem, &day);
    println!("solver              greedy-insertion (baseline)");
    println!(
        "visits              {} ({} required)",
        problem.visits.len(),
        problem.visits.iter().filter(|v| v.required).count()
    );
    println!("plan                {plan_ms:.2} ms");
    println!("key coverage        {:.3}", c.key);
    println!("weighted coverage   {:.3}", c.weighted);
    println!("travel              {:.1} h", c.travel_s as f64 / 3600.0);

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
                    .all(|v| matches!(v, jiuzhu_planner::Violation::RequiredMissed { .. })));
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
}
