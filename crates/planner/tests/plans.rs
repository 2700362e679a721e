//! Plans for a city like the demo's (47 hotspots in three tiers, five teams on two shifts)
//! and for random small ones: every plan is checked by `check`, independently of the
//! solver; broken plans are caught; bad input is refused with the error a user can act on.

use jiuzhu_planner::{
    check, coverage, expand, plan, validate, Budget, GreedyInsertion, LatLon, Outcome, PlanError,
    Sighting, Violation, VrpCoreSolver,
};
use proptest::prelude::*;

use jiuzhu_planner::demo::city;

const H: u32 = 3600;

/// Violations other than a required visit nobody could make (an over-full day is still a
/// plan a team can carry out; the pages show what is missing).
fn executable(v: &[Violation]) -> Vec<&Violation> {
    v.iter()
        .filter(|x| !matches!(x, Violation::RequiredMissed { .. }))
        .collect()
}

#[test]
fn the_demo_city_is_planned_with_every_key_visit_made() {
    let input = city(331102, 47, 5);
    let (problem, p) = plan(&input, &GreedyInsertion).unwrap();
    assert_eq!(
        check(&problem, &p),
        vec![],
        "a feasible plan with every key visit"
    );
    let planned: usize = p.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(planned + p.unassigned.len(), problem.visits.len());
    assert!(
        planned * 10 >= problem.visits.len() * 8,
        "{planned} of {}",
        problem.visits.len()
    );
}

#[test]
fn an_urgent_sighting_is_attended_in_time() {
    let mut input = city(7, 47, 5);
    input.sightings.push(Sighting {
        id: 1,
        pos: LatLon {
            lat: 28.47,
            lon: 119.95,
        },
        urgent: true,
        ready_s: 10 * H,
        respond_by_s: 10 * H + 1800,
        service_s: 900,
    });
    let (problem, p) = plan(&input, &GreedyInsertion).unwrap();
    assert_eq!(check(&problem, &p), vec![]);
    let urgent = problem.visits.len() - 1;
    let stop = p
        .routes
        .iter()
        .flat_map(|r| &r.stops)
        .find(|s| s.visit == urgent)
        .expect("the sighting is planned");
    assert!(stop.start_s <= 10 * H + 1800);
}

#[test]
fn broken_plans_are_caught() {
    let input = city(3, 12, 2);
    let (problem, good) = plan(&input, &GreedyInsertion).unwrap();
    assert_eq!(check(&problem, &good), vec![]);
    let route = good
        .routes
        .iter()
        .position(|r| !r.stops.is_empty())
        .unwrap();

    let mut early = good.clone();
    early.routes[route].stops[0].start_s = 0;
    assert!(check(&problem, &early)
        .iter()
        .any(|v| matches!(v, Violation::TooEarly { .. })));

    let mut late = good.clone();
    late.routes[route].stops.last_mut().unwrap().start_s = 23 * H;
    let found = check(&problem, &late);
    assert!(
        found.iter().any(|v| matches!(v, Violation::TooLate { .. })),
        "{found:?}"
    );

    let mut dropped = good.clone();
    let key = problem.visits.iter().position(|v| v.required).unwrap();
    for r in &mut dropped.routes {
        r.stops.retain(|s| s.visit != key);
    }
    assert!(check(&problem, &dropped).contains(&Violation::RequiredMissed { visit: key }));

    let mut twice = good.clone();
    let s = twice.routes[route].stops[0];
    twice.routes[route].stops.push(s);
    assert!(check(&problem, &twice)
        .iter()
        .any(|v| matches!(v, Violation::VisitedTwice { .. })));

    // Two visits of one key hotspot an hour apart: closer than the tier's three hours.
    let mut close = good.clone();
    let visits: Vec<usize> = problem
        .visits
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            matches!(
                v.kind,
                jiuzhu_planner::VisitKind::Hotspot { hotspot: 0, .. }
            )
        })
        .map(|(i, _)| i)
        .collect();
    for r in &mut close.routes {
        r.stops.retain(|s| !visits.contains(&s.visit));
    }
    close.routes[0].stops = vec![
        jiuzhu_planner::Stop {
            visit: visits[0],
            start_s: problem.visits[visits[0]].latest_s,
        },
        jiuzhu_planner::Stop {
            visit: visits[1],
            start_s: problem.visits[visits[0]].latest_s + H,
        },
    ];
    assert!(check(&problem, &close).contains(&Violation::SpacingBroken { hotspot: 0 }));
}

#[test]
fn bad_input_gets_an_error_a_user_can_act_on() {
    let mut far = city(1, 5, 1);
    far.hotspots[2].pos = LatLon {
        lat: 30.27,
        lon: 120.15,
    }; // 杭州, not 莲都
    assert_eq!(
        validate(&far),
        Err(PlanError::OutsideRegion {
            what: "hotspot",
            id: 2
        })
    );

    let mut overlap = city(1, 5, 1);
    overlap.teams[0].shifts[1].start_s = 14 * H;
    assert_eq!(
        validate(&overlap),
        Err(PlanError::ShiftsOverlap { team: 0 })
    );

    let mut too_often = city(1, 5, 1);
    too_often.policies.key.visits = 6;
    too_often.policies.key.spacing_s = 3 * H;
    let e = validate(&too_often).unwrap_err();
    assert_eq!(
        e,
        PlanError::FrequencyDoesNotFit {
            tier: "key",
            visits: 6,
            max_visits: 5
        }
    );
    assert_eq!(e.code(), "plan_frequency_does_not_fit");
    assert!(e.to_string().contains("at most 5"));

    let mut backwards = city(1, 5, 1);
    backwards.sightings.push(Sighting {
        id: 9,
        pos: LatLon {
            lat: 28.45,
            lon: 119.9,
        },
        urgent: true,
        ready_s: 12 * H,
        respond_by_s: 11 * H,
        service_s: 60,
    });
    assert_eq!(validate(&backwards), Err(PlanError::BadSighting { id: 9 }));

    let mut nobody = city(1, 5, 1);
    nobody.teams.clear();
    assert_eq!(expand(&nobody).unwrap_err(), PlanError::NoTeams);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the city, the solver's plan can be carried out: windows, shifts, spacing,
    /// each visit once, every visit accounted for.
    #[test]
    fn every_plan_passes_the_independent_check(
        seed in any::<u64>(),
        hotspots in 1usize..30,
        teams in 1u32..4,
        urgent_at in 8u32..20,
    ) {
        let mut input = city(seed, hotspots, teams);
        input.sightings.push(Sighting {
            id: 1,
            pos: LatLon { lat: 28.44, lon: 119.9 },
            urgent: true,
            ready_s: urgent_at * H,
            respond_by_s: urgent_at * H + 3600,
            service_s: 600,
        });
        let (problem, p) = plan(&input, &GreedyInsertion).unwrap();
        let v = check(&problem, &p);
        prop_assert!(executable(&v).is_empty(), "{:?}", v);

        // The metaheuristic on a small budget: also executable, and never below the
        // baseline's coverage (it starts from the greedy plan and keeps the better one).
        let (m, outcome) = small_vrp().solve_explained(&problem);
        prop_assert!(
            matches!(outcome, Outcome::Search | Outcome::NotBetter),
            "{:?}",
            outcome
        );
        let v = check(&problem, &m);
        prop_assert!(executable(&v).is_empty(), "{:?}", v);
        let (cg, cm) = (coverage(&problem, &p), coverage(&problem, &m));
        prop_assert!(cm.key >= cg.key && cm.weighted >= cg.weighted, "{:?} vs {:?}", cm, cg);
        if cm.weighted == cg.weighted {
            prop_assert!(cm.travel_s <= cg.travel_s);
        }
    }
}

/// A budget that keeps the debug test suite fast.
fn small_vrp() -> VrpCoreSolver {
    VrpCoreSolver {
        budget: Budget {
            millis: 60,
            max_generations: Some(40),
        },
    }
}

#[test]
fn the_metaheuristic_plans_the_demo_city_with_less_travel_than_the_baseline() {
    let input = city(331102, 47, 5);
    let (problem, g) = plan(&input, &GreedyInsertion).unwrap();
    let solver = VrpCoreSolver {
        budget: Budget {
            millis: 1500,
            max_generations: Some(150),
        },
    };
    let (m, outcome) = solver.solve_explained(&problem);
    assert_eq!(outcome, Outcome::Search);
    assert_eq!(check(&problem, &m), vec![]);
    let (cg, cm) = (coverage(&problem, &g), coverage(&problem, &m));
    assert_eq!(cm.key, 1.0);
    assert!(cm.weighted >= cg.weighted);
    assert!(
        cm.travel_s < cg.travel_s,
        "{} s vs greedy {} s",
        cm.travel_s,
        cg.travel_s
    );
    // The urgent fast path works on its plan as on the baseline's.
    let now = 11 * H;
    let mut urgent = input.clone();
    urgent.sightings.push(Sighting {
        id: 5,
        pos: LatLon {
            lat: 28.45,
            lon: 119.93,
        },
        urgent: true,
        ready_s: now,
        respond_by_s: now + 1800,
        service_s: 900,
    });
    let p2 = expand(&urgent).unwrap();
    let visit = p2.visits.len() - 1;
    let (after, churn) = jiuzhu_planner::insert_urgent(&p2, &m, visit, now).expect("a team can go");
    assert_eq!(executable(&check(&p2, &after)), Vec::<&Violation>::new());
    assert_eq!(churn.moved, 0);
}

#[test]
fn an_urgent_sighting_mid_day_goes_into_the_running_plan_without_moving_anyone() {
    let input = city(331102, 47, 5);
    let (problem, day) = plan(&input, &GreedyInsertion).unwrap();
    let before = jiuzhu_planner::coverage(&problem, &day);
    for (k, (lat, lon)) in [(28.41, 119.86), (28.48, 119.97), (28.44, 119.91)]
        .into_iter()
        .enumerate()
    {
        let now = (10 + 3 * k as u32) * H;
        let mut urgent = input.clone();
        urgent.sightings.push(Sighting {
            id: 100 + k as u32,
            pos: LatLon { lat, lon },
            urgent: true,
            ready_s: now,
            respond_by_s: now + 1800,
            service_s: 900,
        });
        let problem2 = expand(&urgent).unwrap();
        let visit = problem2.visits.len() - 1;
        let mut day2 = day.clone();
        day2.unassigned.retain(|v| *v < visit);
        let (after, churn) =
            jiuzhu_planner::insert_urgent(&problem2, &day2, visit, now).expect("a team can go");
        assert_eq!(
            executable(&check(&problem2, &after)),
            Vec::<&Violation>::new()
        );
        assert_eq!(churn.moved, 0);
        assert!(churn.dropped <= 2, "{churn:?}");
        let stop = after
            .routes
            .iter()
            .flat_map(|r| &r.stops)
            .find(|s| s.visit == visit)
            .unwrap();
        assert!(stop.start_s >= now && stop.start_s <= now + 1800);
        // Everything already done or under way stays where it was.
        for (r0, r1) in day.routes.iter().zip(&after.routes) {
            let done0: Vec<_> = r0.stops.iter().filter(|s| s.start_s < now).collect();
            let done1: Vec<_> = r1.stops.iter().filter(|s| s.start_s < now).collect();
            assert_eq!(done0, done1);
        }
        let after_cov = jiuzhu_planner::coverage(&problem2, &after);
        assert_eq!(after_cov.key, before.key);
    }
}
