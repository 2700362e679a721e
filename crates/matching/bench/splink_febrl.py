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

import sys
import time

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from splink_common import Phases, connect, predict_evaluate_cluster, read_csv

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
phase = Phases()
df, read_csv_secs = read_csv(path, phase)
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

con = connect(threads)
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
predict_evaluate_cluster(linker, con, df, phase, linkage_start, read_csv_secs)
