#!/usr/bin/env bash
# Patrol planner benchmark, one command: builds the planner's binaries (release), creates
# bench/.venv with PyVRP, OR-Tools and VROOM if it is missing, then runs
#   1. Solomon C101, R101, RC101: vrp-core (solomon-bench, best of 3 runs and one run) and the three peers
#      (bench/planner_peers.py), each on one thread with the same time limit;
#   2. the demo city (planner-bench) on its usual day and on a busy one: greedy baseline and
#      vrp-core, plan time, coverage, travel, urgent re-plan latency and churn;
# and prints markdown tables for docs/benchmarks.md.
# Usage: bench/planner.sh [SECONDS] (default 10). Raw output: target/bench/planner/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_LIMIT=${1:-10}
OUT=target/bench/planner
mkdir -p "$OUT"
INSTANCES=(bench/solomon/C101.txt bench/solomon/R101.txt bench/solomon/RC101.txt)

cargo build --release -p jiuzhu-planner --bin solomon-bench --bin planner-bench
VENV=bench/.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pyvrp==0.14.1 ortools==9.15.6755 pyvroom==1.15.2
fi
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1

echo "## machine"
{
  echo "cpu: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed "s/^ //") ($(nproc --all) cores)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version)"
  echo "python: $("$VENV/bin/python" --version 2>&1)"
} | tee "$OUT/machine.txt"

echo "## solomon (time limit ${SECONDS_LIMIT} s, one thread each)"
./target/release/solomon-bench --seconds "$SECONDS_LIMIT" "${INSTANCES[@]}" | tee "$OUT/ours.txt"
# The same with one vrp-core run for the whole limit (the configuration before 2026-11-23).
./target/release/solomon-bench --seconds "$SECONDS_LIMIT" --runs 1 "${INSTANCES[@]}" | tee "$OUT/ours-1run.txt"
"$VENV/bin/python" bench/planner_peers.py --seconds "$SECONDS_LIMIT" "${INSTANCES[@]}" | tee "$OUT/peers.txt"

echo "## demo city"
./target/release/planner-bench --budget-ms 700 | tee "$OUT/demo.txt"
# A busier day: 100 hotspots (175 visits, 75 of them key) for 3 teams, where coverage matters.
./target/release/planner-bench --budget-ms 700 --hotspots 100 --teams 3 --label busy --replans 100 | tee -a "$OUT/demo.txt"

python3 - "$OUT" "$SECONDS_LIMIT" <<'EOF'
import sys, collections
out, limit = sys.argv[1], sys.argv[2]
def results(path):
    for line in open(path):
        if line.startswith("RESULT "):
            parts = line.split()[1:]
            yield parts[0], dict(p.split("=", 1) for p in parts[1:])
# Hierarchical best known (vehicles, then exact-distance distance): SINTEF TOP, LKH-3 tours.
BKS = {"C101": (10, 828.94), "R101": (19, 1650.80), "RC101": (14, 1696.94)}
# Distance-only optima (any number of vehicles, distances truncated to one decimal).
DIST = {"C101": (10, 827.3), "R101": (20, 1637.7), "RC101": (15, 1619.8)}
NAMES = {"vrp-core": "Jiuzhu (vrp-core 1.25, best of 3 runs)",
         "vrp-core-1run": "Jiuzhu (vrp-core 1.25, one run)", "pyvrp": "PyVRP 0.14.1",
         "ortools": "OR-Tools 9.15 (GLS)", "vroom": "VROOM 1.15.2 (pyvroom, level 5)"}
rows = collections.defaultdict(dict)
for f in ("ours.txt", "ours-1run.txt", "peers.txt"):
    for kind, r in results(f"{out}/{f}"):
        key = "vrp-core-1run" if f == "ours-1run.txt" else r["solver"]
        rows[r["instance"]][key] = r
print(f"\n### Solomon, {limit} s, one thread (vehicles / exact Euclidean distance)\n")
print("| instance | solver | vehicles | distance | vs hierarchical best known (veh / dist) | vs distance-only best known | time | distance ÷ Jiuzhu's |")
print("|---|---|---|---|---|---|---|---|")
for inst in ("C101", "R101", "RC101"):
    ours = rows[inst].get("vrp-core")
    bv, bd = BKS[inst]
    for key in ("vrp-core", "vrp-core-1run", "pyvrp", "ortools", "vroom"):
        r = rows[inst].get(key)
        if r is None or r.get("feasible") != "yes":
            print(f"| {inst} | {NAMES[key]} | – | – | infeasible or none | – | – | – |")
            continue
        v, d = int(r["vehicles"]), float(r["distance"])
        gap = (d - bd) / bd * 100
        vs = f"{gap:+.2f} %" if v == bv else f"{v - bv:+d} veh ({gap:+.2f} %)"
        dv, dd = DIST[inst]
        vs_dist = f"{(d - dd) / dd * 100:+.2f} % ({v - dv:+d} veh)"
        ratio = f"{d / float(ours['distance']):.3f}" if ours else "–"
        if ours and v != int(ours["vehicles"]):
            ratio += f" ({v - int(ours['vehicles']):+d} veh)"
        print(f"| {inst} | {NAMES[key]} | {v} | {d:.2f} | {vs} | {vs_dist} | {float(r['seconds']):.1f} s | {ratio} |")
print("\n### Demo city: demo = 47 hotspots, 5 teams × 2 shifts, 200 urgent re-plans; busy = 100 hotspots, 3 teams, 100 re-plans\n")
print("| day | solver | plan time | key coverage | weighted coverage | visits planned | travel | re-plan p50 / p95 | moved between teams (max) | optional stops dropped (max) | sightings no team can reach |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for kind, r in results(f"{out}/demo.txt"):
    print(f"| {r['scenario']} | {r['solver']} | {float(r['plan_ms']):.1f} ms | {r['key']} | {r['weighted']} | {r['planned']}/{r['visits']} | {r['travel_h']} h | "
          f"{r['replan_p50_ms']} / {r['replan_p95_ms']} ms | {r['moved_max']} | {r['dropped_max']} | {r['unreachable']} |")
EOF
