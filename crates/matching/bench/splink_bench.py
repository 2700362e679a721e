"""Run Splink 4 (DuckDB backend) on the CSV written by `bench --csv`, with
the same blocking rules and training rules as jiuzhu-matching and comparable
comparisons, and print the same metrics.

Usage: venv/bin/python bench/splink_bench.py data.csv [duckdb_threads] [year_window]

Blocking: the same eight rules as jiuzhu-matching. When the CSV has
`cut_<rule>` columns (written by `matching-bench --csv`), a record whose block
under that rule is oversized (more than `--max-block` records) only meets
records of the block whose birth years are within `year_window` years (or,
both undated, each other); in the rule that already fixes the birth year an
oversized block is cut by sex. That is exactly jiuzhu's refinement, written
as SQL, so both engines score the same candidate pairs.

Differences kept on purpose (documented in BENCHMARKS.md): Splink cannot
compute pinyin itself, so the CSV carries pinyin / fuzzy-pinyin columns made
by the Rust crate; the name comparison is built from exact-match levels on
those columns plus Jaro-Winkler on pinyin (no nickname / swapped-character
logic); face embeddings are not exported, so there is no face comparison.
"""

import sys
import time

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from splink_common import Phases, connect, predict_evaluate_cluster, read_csv

path = sys.argv[1]
phase = Phases()
df, read_csv_secs = read_csv(path, phase)
linkage_start = time.perf_counter()
df = df.replace({"": None})
df["county"] = df["region"].where(
    df["region"].notna() & ~df["region"].fillna("").str.endswith("00"), None
)
df["prov_or_accent"] = df["province"].fillna(df["accent_province"])
fg = df["fuzzy_given"].fillna("")
df["given_bag"] = fg.map(lambda s: " ".join(sorted(s.split())) if s else None)
df["first_given"] = fg.map(lambda s: s.split()[0] if s else None)
df["last_given"] = fg.map(lambda s: s.split()[-1] if s else None)
df["birth_days"] = pd.to_numeric(df["birth_days"])
df["birth_year"] = pd.to_numeric(df["birth_year"])
df["birth_band5"] = (df["birth_year"] // 5).astype("Int64")
df["exact_birth_days"] = df["birth_days"].where(df["birth_exact"] == "1")
df["height"] = pd.to_numeric(df["height"])
df["date_missing"] = pd.to_datetime(df["date_missing"])
df["date_found"] = pd.to_datetime(df["date_found"])
df["unique_id"] = pd.to_numeric(df["unique_id"])
df["cluster"] = pd.to_numeric(df["cluster"])
phase("prepare columns")

rule_columns = [
    ["fuzzy_full"],
    ["surname_py", "given_bag"],
    ["surname_py", "county"],
    ["fuzzy_given", "prov_or_accent"],
    ["last_given", "county"],
    ["surname_py", "first_given", "sex", "prov_or_accent"],
    ["surname_py", "birth_year", "prov_or_accent"],
    ["county", "sex", "birth_band5"],
]
year_window = int(sys.argv[3]) if len(sys.argv) > 3 else 5
blocking_rules = []
for i, cols in enumerate(rule_columns):
    if f"cut_{i}" not in df.columns or (df[f"cut_{i}"] == "0").all():
        blocking_rules.append(block_on(*cols))
        continue
    eq = " AND ".join(f"l.{c} = r.{c}" for c in cols)
    if "birth_year" in cols or "birth_band5" in cols:
        refine = "l.sex IS NOT DISTINCT FROM r.sex"
    else:
        refine = (
            "(l.birth_year IS NULL AND r.birth_year IS NULL)"
            f" OR abs(l.birth_year - r.birth_year) <= {year_window}"
        )
    blocking_rules.append(f"{eq} AND (l.cut_{i} = '0' OR {refine})")
print("blocking rules:")
for i, r in enumerate(blocking_rules):
    print("   ", r if isinstance(r, str) else " AND ".join(f"l.{c} = r.{c}" for c in rule_columns[i]))

name = cl.CustomComparison(
    output_column_name="name",
    comparison_levels=[
        cll.NullLevel("name"),
        cll.ExactMatchLevel("name", term_frequency_adjustments=True),
        cll.ExactMatchLevel("name_simplified"),
        cll.ExactMatchLevel("full_py"),
        cll.ExactMatchLevel("fuzzy_full"),
        cll.And(cll.ExactMatchLevel("surname_py"), cll.ExactMatchLevel("given_bag")),
        cll.ExactMatchLevel("fuzzy_given"),
        cll.JaroWinklerLevel("full_py", 0.85),
        cll.ExactMatchLevel("surname_py"),
        cll.ElseLevel(),
    ],
)
region = cl.CustomComparison(
    output_column_name="region",
    comparison_levels=[
        cll.NullLevel("region"),
        cll.ExactMatchLevel("county"),
        cll.ExactMatchLevel("city"),
        cll.ExactMatchLevel("province"),
        cll.ElseLevel(),
    ],
)
accent = cl.CustomComparison(
    output_column_name="accent",
    comparison_levels=[
        {
            "sql_condition": "NOT ((region_l IS NULL AND accent_province_l IS NOT NULL AND province_r IS NOT NULL)"
            " OR (region_r IS NULL AND accent_province_r IS NOT NULL AND province_l IS NOT NULL))",
            "label_for_charts": "not comparable",
            "is_null_level": True,
        },
        {
            "sql_condition": "(region_l IS NULL AND accent_province_l = province_r)"
            " OR (region_r IS NULL AND accent_province_r = province_l)",
            "label_for_charts": "accent matches province",
        },
        cll.ElseLevel(),
    ],
)
dates = cl.CustomComparison(
    output_column_name="dates",
    comparison_levels=[
        {
            "sql_condition": "NOT ((date_found_l IS NOT NULL AND date_missing_r IS NOT NULL)"
            " OR (date_found_r IS NOT NULL AND date_missing_l IS NOT NULL))",
            "label_for_charts": "not comparable",
            "is_null_level": True,
        },
        {
            "sql_condition": "date_found_l < date_missing_r OR date_found_r < date_missing_l",
            "label_for_charts": "impossible: found before missing",
            "fix_m_probability": True,
            "m_probability": 1e-12,
        },
        cll.ElseLevel(),
    ],
)



def abs_diff(col, thresholds):
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[cll.NullLevel(col)]
        + [cll.AbsoluteDifferenceLevel(col, t) for t in thresholds]
        + [cll.ElseLevel()],
    )


settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="unique_id",
    blocking_rules_to_generate_predictions=blocking_rules,
    comparisons=[
        name,
        cl.ExactMatch("sex"),
        abs_diff("birth_days", [0, 366, 1096, 1827, 3653]),
        region,
        accent,
        abs_diff("height", [2, 5, 10]),
        cl.JaccardAtThresholds("marks", [0.6, 0.25]),
        dates,
    ],
    additional_columns_to_retain=["cluster"],
    retain_intermediate_calculation_columns=False,
    retain_matching_columns=False,
)

con = connect(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
db_api = DuckDBAPI(connection=con)
linker = Linker(df, settings, db_api=db_api)
phase("linker setup")

linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
phase("u estimation", "(1e6 random pairs)")
for rule in [
    block_on("fuzzy_full", "county"),
    block_on("fuzzy_full", "exact_birth_days"),
    block_on("exact_birth_days", "county"),
]:
    linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
phase("EM (m)", "(3 sessions, same training rules)")
# Splink's own way to set λ: deterministic rules with an assumed recall.
linker.training.estimate_probability_two_random_records_match(
    [block_on("name", "birth_days"), block_on("name", "county")], recall=0.5
)
phase("prior (λ)", f"(λ = {linker._settings_obj._probability_two_random_records_match:.3e})")

predict_evaluate_cluster(linker, con, df, phase, linkage_start, read_csv_secs)
