#!/usr/bin/env bash
# Family-tracing matching: Jiuzhu's engine against Splink (DuckDB) on the same generated
# records with the same blocking rules. Usage: bench/matching.sh [100k|1M|5M] (default 100k;
# Splink is run up to 1M). Both engines use two threads, as many as the CI machine has.
# Both apply the same blocking rules, including the refinement of oversized blocks (more than
# 100 records: birth years within ±5, or by sex where the rule fixes the year), which
# matching-bench exports as cut_<rule> columns of the CSV and splink_bench.py turns into SQL.
# Timed: "linkage total" (each engine prints it) runs from records in memory (ours) or the
# DataFrame just read (Splink; "linkage + CSV read" adds the read) to clusters, without
# generation or evaluation; the /usr/bin/time "Elapsed" line is each process's wall (ours also
# generates the data, evaluates and runs the online benchmark).
# Record the figures in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100k}
DATA=target/bench/matching
mkdir -p "$DATA"
cargo build --release -p jiuzhu-matching --bin matching-bench
/usr/bin/time -v ./target/release/matching-bench "$N" 2>&1 | grep -vE '^\s+(Page|Socket|Signals|Swaps|File system|Average|Exit|Voluntary|Involuntary|Minor|Major|Percent|System time|User time)'
if [ "$N" != "5M" ]; then
  ./target/release/matching-bench "$N" --csv "$DATA/gen_$N.csv" --csv-only
  VENV=target/bench/venv-matching
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "splink>=4,<5" duckdb
  fi
  /usr/bin/time -v "$VENV/bin/python" crates/matching/bench/splink_bench.py "$DATA/gen_$N.csv" 2 2>&1 | grep -vE '^\s+(Page|Socket|Signals|Swaps|File system|Average|Exit|Voluntary|Involuntary|Minor|Major|Percent|System time|User time)'
fi
