//! The metaheuristic behind [`Solver`]: vrp-core 1.25 (an evolutionary ruin-and-recreate
//! search), the only file that imports `vrp_core`.
//!
//! * One vehicle per (team, shift), leaving its start place at the shift start and back at
//!   its end place by the shift end; visits are jobs with the windows [`crate::visits`]
//!   made, so the spacing holds whatever the search does.
//! * Goal, in lexicographic order: required visits missed (key visits and urgent sightings,
//!   weighted by their weight so an urgent sighting outranks a key visit), then the weight
//!   of optional visits missed, then seconds on the road.
//! * Warm start from the greedy plan, one thread, and a budget in milliseconds kept by our
//!   own quota (vrp-core's own limit counts whole seconds).
//! * What it returns is rescheduled by our own code and checked by [`crate::check`]; a
//!   failure or a worse plan falls back to the greedy one, so the solver never does worse
//!   than the baseline.

use crate::greedy::schedule;
use crate::model::{Plan, Route, Stop};
use crate::visits::Problem;
use crate::{GreedyInsertion, Solver};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vrp_core::construction::features::create_minimize_tours_feature;
use vrp_core::construction::heuristics::UnassignmentInfo;
use vrp_core::models::common::{Schedule, TimeWindow};
use vrp_core::models::problem::{Actor, Single, VehicleIdDimension};
use vrp_core::models::solution::{Activity, Place};
use vrp_core::models::Problem as VrpProblem;
use vrp_core::prelude::*;
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::rosomaxa::utils::{Parallelism, Quota, ThreadPool};
use vrp_core::solver::{MaxGenerationTermination, MaxTimeTermination, TargetCompositeTermination};

/// How long the search may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock budget for the whole call, problem building included.
    pub millis: u64,
    /// Stop earlier after this many generations (tests use it to bound work in debug builds).
    pub max_generations: Option<usize>,
}

/// The daily plan's solver: vrp-core warm-started from [`GreedyInsertion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VrpCoreSolver {
    pub budget: Budget,
}

impl Default for VrpCoreSolver {
    /// 700 ms: the demo city's day is planned in under a second.
    fn default() -> Self {
        Self::with_millis(700)
    }
}

impl VrpCoreSolver {
    pub fn with_millis(millis: u64) -> Self {
        Self {
            budget: Budget {
                millis,
                max_generations: None,
            },
        }
    }
}

/// A vehicle routing problem with time windows in plain numbers, for both the patrol plan
/// and the Solomon instances.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Vrptw {
    /// Number of locations; `durations` and `distances` are `n × n`, row-major.
    pub n: usize,
    pub durations: Vec<f64>,
    pub distances: Vec<f64>,
    pub jobs: Vec<JobSpec>,
    pub vehicles: Vec<VehicleSpec>,
    pub objective: Objective,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JobSpec {
    pub location: usize,
    pub service: f64,
    pub window: (f64, f64),
    /// Load a Solomon customer takes (0 for patrols, which have no capacity).
    pub demand: i32,
    pub weight: f64,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct VehicleSpec {
    pub start_location: usize,
    pub end_location: usize,
    pub start: f64,
    pub end: f64,
    /// Capacity (`None`: no capacity constraint).
    pub capacity: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Objective {
    /// Required jobs missed (by weight), optional weight missed, then travel (the distance
    /// matrix holds travel seconds).
    Patrol,
    /// Jobs missed, vehicles, then distance (Solomon's hierarchical objective).
    VehiclesThenDistance,
    /// Jobs missed, then distance.
    Distance,
}

/// A stop for the given time: `Instant` at which the search must give up.
struct Deadline(Instant);

impl Quota for Deadline {
    fn is_reached(&self) -> bool {
        Instant::now() >= self.0
    }
}

/// The vehicles' job sequences (indices into `spec.jobs`), one per vehicle.
pub(crate) type Sequences = Vec<Vec<usize>>;

/// Solves `spec` on one thread within `budget`, optionally starting from `warm`, as `runs`
/// independent vrp-core searches that share the budget in equal parts; the best result wins
/// (fewest jobs missed, then fewest vehicles unless the objective is distance only, then
/// distance). The patrol plan uses one run.
pub(crate) fn run(
    spec: &Vrptw,
    warm: Option<&Sequences>,
    budget: Budget,
    runs: u32,
) -> Result<Sequences, String> {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(budget.millis);
    let runs = runs.max(1);
    let spec = spec.clone();
    let warm = warm.cloned();
    // A pool of one thread: rosomaxa's parallel steps run on it, and its random generator
    // (thread-local, fixed seed) starts afresh for every call; the runs of one call follow
    // each other on that thread, so each continues the generator and searches differently.
    ThreadPool::new(1).execute(move || {
        let mut best: Option<((usize, usize, f64), Sequences)> = None;
        for k in 1..=runs {
            let until = if k == runs {
                deadline
            } else {
                start + Duration::from_millis(budget.millis * u64::from(k) / u64::from(runs))
            };
            let seqs = run_here(&spec, warm.as_ref(), budget, until)?;
            let key = rank(&spec, &seqs);
            if best.as_ref().is_none_or(|(b, _)| key < *b) {
                best = Some((key, seqs));
            }
        }
        best.map(|(_, s)| s).ok_or_else(|| "no run".to_string())
    })
}

/// (jobs missed, vehicles used, distance) of job sequences, smaller is better; vehicles
/// count as 0 when the objective is distance only. Only compares runs of one problem (for
/// patrols "distance" is travel seconds and missed jobs are not weighted).
fn rank(spec: &Vrptw, seqs: &Sequences) -> (usize, usize, f64) {
    let placed: usize = seqs.iter().map(Vec::len).sum();
    let used = seqs.iter().filter(|s| !s.is_empty()).count();
    let mut distance = 0.0;
    for (v, seq) in spec
        .vehicles
        .iter()
        .zip(seqs)
        .filter(|(_, s)| !s.is_empty())
    {
        let mut at = v.start_location;
        for &j in seq {
            let to = spec.jobs[j].location;
            distance += spec.distances[at * spec.n + to];
            at = to;
        }
        distance += spec.distances[at * spec.n + v.end_location];
    }
    let used = if spec.objective == Objective::Distance {
        0
    } else {
        used
    };
    (spec.jobs.len() - placed, used, distance)
}

struct VisitIndex;
struct VehicleIndex;

fn run_here(
    spec: &Vrptw,
    warm: Option<&Sequences>,
    budget: Budget,
    deadline: Instant,
) -> Result<Sequences, String> {
    let err = |e: GenericError| e.to_string();
    let transport: Arc<dyn TransportCost> = Arc::new(
        SimpleTransportCost::new(spec.durations.clone(), spec.distances.clone()).map_err(err)?,
    );
    let jobs = spec
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let mut b = SingleBuilder::default()
                .id(&i.to_string())
                .dimension(|d| d.set_value::<VisitIndex, usize>(i))
                .location(j.location)?
                .duration(j.service)?
                .times(vec![TimeWindow::new(j.window.0, j.window.1)])?;
            if spec.objective != Objective::Patrol {
                b = b.demand(Demand::<SingleDimLoad>::delivery(j.demand));
            }
            b.build_as_job()
        })
        .collect::<Result<Vec<Job>, _>>()
        .map_err(err)?;
    let vehicles = spec
        .vehicles
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let detail = VehicleDetailBuilder::default()
                .set_start_location(v.start_location)
                .set_start_time(v.start)
                .set_end_location(v.end_location)
                .set_end_time(v.end)
                .build()?;
            let mut b = VehicleBuilder::default()
                .id(&k.to_string())
                .add_detail(detail)
                .dimension(|d| d.set_value::<VehicleIndex, usize>(k))
                .set_distance_cost(1.0);
            if let Some(c) = v.capacity {
                b = b.capacity(SingleDimLoad::new(c));
            }
            b.build()
        })
        .collect::<Result<Vec<Vehicle>, _>>()
        .map_err(err)?;

    let weights: HashMap<Job, (f64, bool)> = jobs
        .iter()
        .zip(&spec.jobs)
        .map(|(j, s)| (j.clone(), (s.weight, s.required)))
        .collect();
    let weights = Arc::new(weights);
    let transport_feature = TransportFeatureBuilder::new("travel")
        .set_transport_cost(transport.clone())
        .set_time_constrained(true)
        .build_minimize_distance()
        .map_err(err)?;
    let features = match spec.objective {
        Objective::Patrol => {
            let (w1, w2) = (weights.clone(), weights.clone());
            vec![
                MinimizeUnassignedBuilder::new("required-missed")
                    .set_job_estimator(move |_, job| match w1.get(job) {
                        Some(&(w, true)) => w,
                        _ => 0.0,
                    })
                    .build()
                    .map_err(err)?,
                MinimizeUnassignedBuilder::new("optional-missed")
                    .set_job_estimator(move |_, job| match w2.get(job) {
                        Some(&(w, false)) => w,
                        _ => 0.0,
                    })
                    .build()
                    .map_err(err)?,
                transport_feature,
            ]
        }
        Objective::VehiclesThenDistance => vec![
            MinimizeUnassignedBuilder::new("missed")
                .build()
                .map_err(err)?,
            create_minimize_tours_feature("vehicles").map_err(err)?,
            transport_feature,
            CapacityFeatureBuilder::<SingleDimLoad>::new("capacity")
                .build()
                .map_err(err)?,
        ],
        Objective::Distance => vec![
            MinimizeUnassignedBuilder::new("missed")
                .build()
                .map_err(err)?,
            transport_feature,
            CapacityFeatureBuilder::<SingleDimLoad>::new("capacity")
                .build()
                .map_err(err)?,
        ],
    };
    let goal = GoalContextBuilder::with_features(&features)
        .and_then(|g| g.build())
        .map_err(err)?;
    let silent: InfoLogger = Arc::new(|_: &str| {});
    let problem = Arc::new(
        ProblemBuilder::default()
            .add_jobs(jobs.iter().cloned())
            .add_vehicles(vehicles.into_iter())
            .with_goal(goal)
            .with_transport_cost(transport)
            .with_logger(silent.clone())
            .build()
            .map_err(err)?,
    );
    let environment = Arc::new(Environment::new(
        Arc::new(DefaultRandom::new_repeatable()),
        Some(Arc::new(Deadline(deadline))),
        Parallelism::new_with_cpus(1),
        silent,
        false,
    ));

    let mut init = Vec::new();
    if let Some(seqs) = warm {
        init.push(warm_start(&problem, &environment, &jobs, seqs)?);
    }
    let mut config = VrpConfigBuilder::new(problem.clone())
        .set_environment(environment)
        .set_telemetry_mode(TelemetryMode::None)
        .prebuild()
        .map_err(err)?
        .with_init_solutions(init, Some(4))
        .build()
        .map_err(err)?;
    // The remaining budget as a fractional-second limit, so the search's exploration and
    // exploitation phases are paced to our budget, not to vrp-core's default 300 s.
    let left = deadline
        .saturating_duration_since(Instant::now())
        .as_secs_f64();
    config.termination = Box::new(TargetCompositeTermination::new(vec![
        Box::new(MaxTimeTermination::new(left)),
        Box::new(MaxGenerationTermination::new(
            budget.max_generations.unwrap_or(usize::MAX),
        )),
    ]));
    let solution = vrp_core::solver::Solver::new(problem, config)
        .solve()
        .map_err(err)?;

    let mut out = vec![Vec::new(); spec.vehicles.len()];
    for route in &solution.routes {
        let k = *route
            .actor
            .vehicle
            .dimens
            .get_value::<VehicleIndex, usize>()
            .ok_or("a route without its vehicle")?;
        out[k] = route
            .tour
            .all_activities()
            .filter_map(|a| a.job.as_ref())
            .map(|s| s.dimens.get_value::<VisitIndex, usize>().copied())
            .collect::<Option<Vec<_>>>()
            .ok_or("an activity without its visit")?;
    }
    Ok(out)
}

/// The greedy plan as vrp-core's starting solution: its tours as they are, the rest
/// unassigned (so the first generation already knows what is missing).
fn warm_start(
    problem: &Arc<VrpProblem>,
    environment: &Arc<Environment>,
    jobs: &[Job],
    seqs: &Sequences,
) -> Result<InsertionContext, String> {
    let mut ctx = InsertionContext::new_empty(problem.clone(), environment.clone());
    let actors: Vec<Arc<Actor>> = problem.fleet.actors.to_vec();
    let actor_of = |k: usize| {
        actors
            .iter()
            .find(|a| a.vehicle.dimens.get_vehicle_id().map(String::as_str) == Some(&k.to_string()))
            .cloned()
    };
    let mut placed = vec![false; jobs.len()];
    for (k, seq) in seqs.iter().enumerate() {
        if seq.is_empty() {
            continue;
        }
        let actor = actor_of(k).ok_or("warm start: unknown vehicle")?;
        let mut route = ctx
            .solution
            .registry
            .get_route(&actor)
            .ok_or("warm start: vehicle used twice")?;
        for &i in seq {
            let single: &Arc<Single> = jobs[i].to_single();
            let place = &single.places[0];
            let time = place
                .times
                .first()
                .and_then(|t| t.as_time_window())
                .ok_or("warm start: job without a window")?;
            route.route_mut().tour.insert_last(Activity {
                place: Place {
                    idx: 0,
                    location: place.location.ok_or("warm start: job without a place")?,
                    duration: place.duration,
                    time,
                },
                schedule: Schedule::new(0.0, 0.0),
                job: Some(single.clone()),
                commute: None,
            });
            placed[i] = true;
        }
        ctx.solution.routes.push(route);
    }
    for (job, _) in jobs.iter().zip(&placed).filter(|(_, p)| !**p) {
        ctx.solution
            .unassigned
            .insert(job.clone(), UnassignmentInfo::Unknown);
    }
    // Schedules and feature states for the routes as built.
    for route in ctx.solution.routes.iter_mut() {
        problem.goal.accept_route_state(route);
    }
    ctx.restore();
    Ok(ctx)
}

/// The patrol problem as plain numbers: travel seconds as both durations and distances.
fn patrol_spec(p: &Problem) -> Vrptw {
    let secs: Vec<f64> = p.travel_s.iter().map(|&t| f64::from(t)).collect();
    Vrptw {
        n: p.places.len(),
        durations: secs.clone(),
        distances: secs,
        jobs: p
            .visits
            .iter()
            .map(|v| JobSpec {
                location: v.place,
                service: f64::from(v.service_s),
                window: (f64::from(v.earliest_s), f64::from(v.latest_s)),
                demand: 0,
                weight: f64::from(v.weight),
                required: v.required,
            })
            .collect(),
        vehicles: p
            .shifts
            .iter()
            .map(|s| VehicleSpec {
                start_location: s.start_place,
                end_location: s.end_place,
                start: f64::from(s.start_s),
                end: f64::from(s.end_s),
                capacity: None,
            })
            .collect(),
        objective: Objective::Patrol,
    }
}

/// (required weight missed, optional weight missed, travel seconds): smaller is better.
fn score(p: &Problem, plan: &Plan) -> (u64, u64, u64) {
    let (mut req, mut opt) = (0u64, 0u64);
    for &i in &plan.unassigned {
        let v = &p.visits[i];
        if v.required {
            req += u64::from(v.weight);
        } else {
            opt += u64::from(v.weight);
        }
    }
    (req, opt, crate::replan::coverage(p, plan).travel_s)
}

/// A plan from job sequences per shift, scheduled by our own code; `None` if a sequence
/// cannot be carried out.
fn plan_from(p: &Problem, seqs: &Sequences) -> Option<Plan> {
    let mut made = vec![false; p.visits.len()];
    let mut routes = Vec::with_capacity(p.shifts.len());
    for (slot, seq) in p.shifts.iter().zip(seqs) {
        let (starts, _) = schedule(p, slot, seq)?;
        for &i in seq {
            if std::mem::replace(&mut made[i], true) {
                return None;
            }
        }
        routes.push(Route {
            team: slot.team,
            shift: slot.shift,
            stops: seq
                .iter()
                .zip(starts)
                .map(|(&visit, start_s)| Stop { visit, start_s })
                .collect(),
        });
    }
    let unassigned = (0..p.visits.len()).filter(|&i| !made[i]).collect();
    Some(Plan { routes, unassigned })
}

/// Which plan [`VrpCoreSolver::solve_explained`] returned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The search's plan: at least as good as the baseline's.
    Search,
    /// The baseline's plan, because the search found nothing better in its budget.
    NotBetter,
    /// The baseline's plan, because the search's plan failed our schedule or [`crate::check`]
    /// (a modelling fault: tests assert it never happens).
    Infeasible(String),
    /// The baseline's plan, because vrp-core reported an error.
    Failed(String),
}

impl VrpCoreSolver {
    /// The plan and which solver's plan it is.
    pub fn solve_explained(&self, p: &Problem) -> (Plan, Outcome) {
        let greedy = GreedyInsertion.solve(p);
        if p.visits.is_empty() || p.shifts.is_empty() {
            return (greedy, Outcome::NotBetter);
        }
        let warm: Sequences = p
            .shifts
            .iter()
            .map(|s| {
                greedy
                    .routes
                    .iter()
                    .find(|r| r.team == s.team && r.shift == s.shift)
                    .map(|r| r.stops.iter().map(|st| st.visit).collect())
                    .unwrap_or_default()
            })
            .collect();
        let seqs = match run(&patrol_spec(p), Some(&warm), self.budget, 1) {
            Ok(seqs) => seqs,
            Err(e) => return (greedy, Outcome::Failed(e)),
        };
        let Some(plan) = plan_from(p, &seqs) else {
            return (
                greedy,
                Outcome::Infeasible("a route misses a window or its shift end".into()),
            );
        };
        let wrong: Vec<_> = crate::check(p, &plan)
            .into_iter()
            .filter(|v| !matches!(v, crate::Violation::RequiredMissed { .. }))
            .collect();
        if !wrong.is_empty() {
            return (greedy, Outcome::Infeasible(format!("{wrong:?}")));
        }
        if score(p, &plan) <= score(p, &greedy) {
            (plan, Outcome::Search)
        } else {
            (greedy, Outcome::NotBetter)
        }
    }
}

impl Solver for VrpCoreSolver {
    fn name(&self) -> &'static str {
        "vrp-core"
    }

    fn solve(&self, p: &Problem) -> Plan {
        self.solve_explained(p).0
    }
}
