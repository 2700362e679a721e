#!/usr/bin/env bash
# Family-tracing matching: Jiuzhu's engine against Splink (DuckDB) on the same generated
# records with the same blocking rules. Usage: bench/matching.sh [100k|1M|5M] (default 100k;
# Splink is run up to 1M). Both engines use two threads, as many as the CI machine has.
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
