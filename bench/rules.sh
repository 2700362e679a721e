#!/usr/bin/env bash
# 低保 for 1,000,000 households: Jiuzhu's rules engine against OpenFisca and DuckDB, same
# data, same run. Results go to stdout; record them in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench/rules
mkdir -p "$OUT"
cargo build --release -p jiuzhu-rules --bin rules-bench
./target/release/rules-bench --out "$OUT"
# The same job as the peers, in its own process, so its peak memory is the whole job's.
./target/release/rules-bench --evaluate "$OUT"
VENV=target/bench/venv-rules
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q openfisca-core duckdb numpy
fi
"$VENV/bin/python" crates/rules/bench/peers.py "$OUT"
