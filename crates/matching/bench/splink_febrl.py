"""Run Splink 4 (DuckDB) on a FEBRL data set as written by
`matching-bench --febrl FILES --csv OUT`, and print the same metrics as
jiuzhu-matching.

Usage: venv/bin/python splink_febrl.py data.csv [duckdb_threads]

Same records, same information: names, birth date and the address fields
(`soc_sec_id` is withheld from both engines). Same candidate pairs: the CSV
carries jiuzhu's blocking key of every record under each rule (`key_<r>`),
and Splink blocks on those columns in the same order. Comparisons and
training are Splink's own idiom for this kind of data (its FEBRL examples):
name comparisons with Jaro-Winkler levels, a date-of-birth comparison that
tolerates typos, Jaro-Winkler on the street and suburb, exact postcode,
street number and state; u from random pairs, m by EM on name and on birth
date, λ from deterministic rules.
"""

import resource
import sys
import time

import duckdb
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
phase_start = time.perf_counter()


def phase(name, extra=""):
    global phase_start
    now = time.perf_counter()
    print(f"{name:<20}{now - phase_start:>9.2f} s  {extra}", flush=True)
    phase_start = now


df = pd.read_csv(path, dtype=str, keep_default_na=False)
read_csv_secs = time.perf_counter() - phase_start
phase("read csv", f"({len(df)} records)")
linkage_start = time.perf_counter()
df = df.replace({"": None})
keys = sorted((c for c in df.columns if c.startswith("key_")), key=lambda c: int(c[4:]))

settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="unique_id",
    blocking_rules_to_generate_predictions=[block_on(k) for k in keys],
    comparisons=[
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison(
            "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
        ),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        cl.ExactMatch("postcode"),
        cl.ExactMatch("state"),
    ],
    additional_columns_to_retain=["cluster"],
    retain_intermediate_calculation_columns=False,
    retain_matching_columns=False,
)

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
print(f"duckdb threads      {threads}")
linker = Linker(df, settings, db_api=DuckDBAPI(connection=con))
phase("linker setup")
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
phase("u estimation", "(1e6 random pairs)")
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("given_name", "surname")
)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("date_of_birth")
)
phase("EM (m)", "(2 sessions: names, birth date)")
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth")], recall=0.6
)
phase(
    "prior (λ)",
    f"(λ = {linker._settings_obj._probability_two_random_records_match:.3e})",
)
pred = linker.inference.predict()
n_scored = con.execute(f"select count(*) from {pred.physical_name}").fetchall()[0][0]
phase("blocking+scoring", f"({n_scored} pairs)")
linkage_before_eval = time.perf_counter() - linkage_start

sizes = df.groupby("cluster").size()
all_true = int((sizes * (sizes - 1) // 2).sum())
blocked_true = con.execute(
    f"select count(*) from {pred.physical_name} where cluster_l = cluster_r"
).fetchall()[0][0]
print(f"blocking recall     {blocked_true / all_true:9.4f}    ({blocked_true} of {all_true} true pairs)")
for th in [0.5, 0.9, 0.99]:
    tp, fp = con.execute(
        f"select coalesce(sum(case when cluster_l = cluster_r then 1 else 0 end),0),"
        f" coalesce(sum(case when cluster_l <> cluster_r then 1 else 0 end),0)"
        f" from {pred.physical_name} where match_probability >= {th}"
    ).fetchall()[0]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / all_true
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"p≥{th:<5} precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}  (TP {tp} FP {fp} FN {all_true - tp})"
    )
phase_start = time.perf_counter()
clustering_start = phase_start
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9)
phase("clustering @0.9")
linkage = linkage_before_eval + (time.perf_counter() - clustering_start)
print(f"linkage total       {linkage:9.2f} s")
print(f"end to end          {linkage + read_csv_secs:9.2f} s  (reading the CSV + linkage)")
print(f"peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:9.0f} MiB")
