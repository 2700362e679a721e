#!/usr/bin/env python3
"""Peers of the patrol planner's solver on Solomon VRPTW instances: PyVRP, OR-Tools and
VROOM, each on one thread with the same time limit, on the same parsed instance.

Usage: planner_peers.py [--seconds S] [--solvers pyvrp,ortools,vroom] FILE...

Every solver gets the same integer data: travel duration ceil(SCALE * d) (so a route that
is on time with these durations is on time with exact distances too) and arc cost
round(SCALE * d), service and windows times SCALE; a fixed cost per used vehicle makes
the objective vehicles first, then distance, as in the best-known tables. Every returned
solution is then recomputed by one evaluator here with exact Euclidean distances (windows,
capacity, depot return, each customer once); the distance printed is that one.

Prints a line per (solver, instance) and a `RESULT` line for bench/planner.sh.
"""

import argparse
import math
import os
import sys
import time
from datetime import timedelta

SCALE = 1000
FIXED = 10**9  # per used vehicle: more than any total distance × SCALE


def parse(path):
    """Solomon's layout (or the simplified one): fleet line, then 7 numbers per node."""
    fleet, nodes = None, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            try:
                nums = [float(p) for p in parts]
            except ValueError:
                continue
            if not nums:
                continue
            if len(nums) == 7:
                nodes.append(nums)
            elif len(nums) == 2 and not nodes:
                fleet = (int(nums[0]), int(nums[1]))
            elif len(nums) == 1 and not nodes:
                fleet = (25, int(nums[0]))
            else:
                raise ValueError(f"{path}: unexpected line {line!r}")
    vehicles, capacity = fleet
    name = os.path.splitext(os.path.basename(path))[0].upper()
    return {
        "name": name,
        "vehicles": vehicles,
        "capacity": capacity,
        "x": [n[1] for n in nodes],
        "y": [n[2] for n in nodes],
        "demand": [int(n[3]) for n in nodes],
        "ready": [n[4] for n in nodes],
        "due": [n[5] for n in nodes],
        "service": [n[6] for n in nodes],
    }


def dist(inst, a, b):
    return math.hypot(inst["x"][a] - inst["x"][b], inst["y"][a] - inst["y"][b])


def int_data(inst):
    n = len(inst["x"])
    d = [[dist(inst, i, j) for j in range(n)] for i in range(n)]
    dur = [[math.ceil(SCALE * d[i][j] - 1e-9) for j in range(n)] for i in range(n)]
    cost = [[round(SCALE * d[i][j]) for j in range(n)] for i in range(n)]
    s = lambda v: [round(SCALE * t) for t in v]  # noqa: E731 (all integers in Solomon)
    return dur, cost, s(inst["ready"]), s(inst["due"]), s(inst["service"])


def evaluate(inst, routes):
    """Vehicles, exact distance and what is wrong (empty: feasible)."""
    wrong, seen, total = [], [0] * len(inst["x"]), 0.0
    for r, route in enumerate(routes):
        t, at, load = inst["ready"][0], 0, 0
        for c in route:
            seen[c] += 1
            total += dist(inst, at, c)
            start = max(t + dist(inst, at, c), inst["ready"][c])
            if start > inst["due"][c] + 1e-6:
                wrong.append(f"route {r}: customer {c} late")
            load += inst["demand"][c]
            t, at = start + inst["service"][c], c
        total += dist(inst, at, 0)
        if t + dist(inst, at, 0) > inst["due"][0] + 1e-6:
            wrong.append(f"route {r}: back late")
        if load > inst["capacity"]:
            wrong.append(f"route {r}: over capacity")
    wrong += [f"customer {c} served {k} times" for c, k in enumerate(seen) if c and k != 1]
    return len([r for r in routes if r]), total, wrong


def solve_pyvrp(inst, seconds):
    import pyvrp
    from pyvrp.stop import MaxRuntime

    dur, cost, ready, due, service = int_data(inst)
    m = pyvrp.Model()
    locs = [m.add_location(x, y) for x, y in zip(inst["x"], inst["y"])]
    depot = m.add_depot(locs[0], tw_early=ready[0], tw_late=due[0])
    m.add_vehicle_type(
        num_available=inst["vehicles"],
        capacity=inst["capacity"],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=FIXED,
        tw_early=ready[0],
        tw_late=due[0],
    )
    for c in range(1, len(locs)):
        m.add_client(
            locs[c],
            delivery=inst["demand"][c],
            service_duration=service[c],
            tw_early=ready[c],
            tw_late=due[c],
        )
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=cost[i][j], duration=dur[i][j])
    res = m.solve(stop=MaxRuntime(seconds), seed=0, display=False)
    return [[a.idx + 1 for a in route if a.is_client()] for route in res.best.routes()]


def solve_ortools(inst, seconds):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    dur, cost, ready, due, service = int_data(inst)
    n, k = len(inst["x"]), inst["vehicles"]
    mgr = pywrapcp.RoutingIndexManager(n, k, 0)
    model = pywrapcp.RoutingModel(mgr)
    cost_cb = model.RegisterTransitCallback(
        lambda i, j: cost[mgr.IndexToNode(i)][mgr.IndexToNode(j)]
    )
    model.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = model.RegisterTransitCallback(
        lambda i, j: service[mgr.IndexToNode(i)] + dur[mgr.IndexToNode(i)][mgr.IndexToNode(j)]
    )
    model.AddDimension(time_cb, due[0], due[0], False, "Time")
    td = model.GetDimensionOrDie("Time")
    for node in range(1, n):
        td.CumulVar(mgr.NodeToIndex(node)).SetRange(ready[node], due[node])
    for v in range(k):
        td.CumulVar(model.Start(v)).SetRange(ready[0], due[0])
        td.CumulVar(model.End(v)).SetRange(ready[0], due[0])
    dem_cb = model.RegisterUnaryTransitCallback(lambda i: inst["demand"][mgr.IndexToNode(i)])
    model.AddDimensionWithVehicleCapacity(dem_cb, 0, [inst["capacity"]] * k, True, "Capacity")
    model.SetFixedCostOfAllVehicles(FIXED)
    p = pywrapcp.DefaultRoutingSearchParameters()
    p.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    p.time_limit.FromMilliseconds(int(seconds * 1000))
    sol = model.SolveWithParameters(p)
    if sol is None:
        return None
    routes = []
    for v in range(k):
        i, route = sol.Value(model.NextVar(model.Start(v))), []
        while not model.IsEnd(i):
            route.append(mgr.IndexToNode(i))
            i = sol.Value(model.NextVar(i))
        routes.append(route)
    return routes


def solve_vroom(inst, seconds):
    import numpy as np
    import vroom

    dur, cost, ready, due, service = int_data(inst)
    inp = vroom.Input()
    inp.set_durations_matrix("car", np.array(dur, dtype=np.uint32))
    inp.set_costs_matrix("car", np.array(cost, dtype=np.uint32))
    inp.add_vehicle(
        [
            vroom.Vehicle(
                v + 1,
                start=0,
                end=0,
                capacity=[inst["capacity"]],
                time_window=vroom.TimeWindow(ready[0], due[0]),
                costs=vroom.VehicleCosts(fixed=FIXED),
            )
            for v in range(inst["vehicles"])
        ]
    )
    inp.add_job(
        [
            vroom.Job(
                c,
                location=c,
                default_service=service[c],
                delivery=[inst["demand"][c]],
                time_windows=[vroom.TimeWindow(ready[c], due[c])],
            )
            for c in range(1, len(inst["x"]))
        ]
    )
    sol = inp.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=seconds))
    routes = {}
    for row in sol.routes.itertuples():
        if row.type == "job":
            routes.setdefault(row.vehicle_id, []).append(int(row.id))
    return list(routes.values())


SOLVERS = {
    "pyvrp": ("PyVRP", solve_pyvrp),
    "ortools": ("OR-Tools", solve_ortools),
    "vroom": ("VROOM", solve_vroom),
}


def version(key):
    import importlib.metadata as md

    return md.version({"pyvrp": "pyvrp", "ortools": "ortools", "vroom": "pyvroom"}[key])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--solvers", default="pyvrp,ortools,vroom")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    for path in a.files:
        inst = parse(path)
        for key in a.solvers.split(","):
            label, fn = SOLVERS[key]
            t = time.perf_counter()
            routes = fn(inst, a.seconds)
            secs = time.perf_counter() - t
            if routes is None:
                print(f"{inst['name']:<6} {label:<9} no solution in {secs:.1f} s")
                print(f"RESULT solomon solver={key} instance={inst['name']} feasible=no seconds={secs:.2f}")
                continue
            veh, d, wrong = evaluate(inst, routes)
            ok = "yes" if not wrong else "no"
            print(
                f"{inst['name']:<6} {label:<9} {version(key):<10} {veh:>3} vehicles  "
                f"{d:9.2f}  {secs:5.1f} s  feasible={ok}" + (f"  {wrong[:3]}" if wrong else "")
            )
            print(
                f"RESULT solomon solver={key} instance={inst['name']} vehicles={veh} "
                f"distance={d:.2f} seconds={secs:.2f} feasible={ok}"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
