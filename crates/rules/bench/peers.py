#!/usr/bin/env python3
"""Run the same 低保 v1 rule as (a) an OpenFisca formula and (b) a DuckDB SQL
query on the CSV written by `cargo run --release --bin bench`, each in its own
subprocess, and print wall time and peak memory (VmHWM) for each.

Usage: venv-rules/bin/python bench/peers.py [bench-out]
The parameter table (bench-out/dibao_params.csv) is the Rust crate's compiled
parameter table for 2026-07-01, so all engines use identical numbers.
"""
import json
import os
import subprocess
import sys
import time


def vmhwm_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def load_columns(out):
    """CSV → dict of numpy arrays (numpy only, no pandas)."""
    import numpy as np

    data = np.loadtxt(f"{out}/households.csv", delimiter=",", skiprows=1, dtype=np.int64)
    names = "region_code,urban,members,monthly_income_fen,financial_assets_fen,houses,vehicle_value_fen,has_business,severe_disability,elderly,minors".split(",")
    cols = {n: np.ascontiguousarray(data[:, i]) for i, n in enumerate(names)}
    params = np.loadtxt(f"{out}/dibao_params.csv", delimiter=",", skiprows=1, dtype=str)
    return cols, params


def run_openfisca(out):
    import numpy as np
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import MONTH
    from openfisca_core.simulations import SimulationBuilder
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    t0 = time.perf_counter()
    cols, params = load_columns(out)
    # Region parameters: looked up in numpy per household (not through
    # OpenFisca's parameter tree) — identical numbers to the Rust table.
    key = {(int(r[0]), int(r[1])): r for r in params}
    codes = sorted(set(int(r[0]) for r in params))
    code_idx = {c: i for i, c in enumerate(codes)}
    idx = np.vectorize(code_idx.get)(cols["region_code"]) * 2 + (1 - cols["urban"])
    table = np.array([[int(x) if x.lstrip("-").isdigit() else 0 for x in key[(c, u)][2:]] for c in codes for u in (1, 0)], dtype=np.int64)
    mode = {key[(c, u)][7] for c in codes for u in (1, 0)}
    assert mode == {"up"}, f"only 'up' rounding implemented in peers, got {mode}"
    t_load = time.perf_counter() - t0

    t1 = time.perf_counter()
    Person = build_entity(key="person", plural="persons", label="Person", is_person=True)
    Household = build_entity(key="household", plural="households", label="Household",
                             roles=[{"key": "member", "plural": "members", "label": "Member"}])
    tbs = TaxBenefitSystem([Person, Household])

    def hh_input(name):
        return type(name, (Variable,), {"value_type": int, "entity": Household,
                                         "definition_period": MONTH, "label": name})

    inputs = ["monthly_income_fen", "financial_assets_fen", "houses", "vehicle_value_fen",
              "has_business", "severe_disability", "elderly", "minors",
              "p_standard", "p_deposit_months", "p_max_houses", "p_vehicle_cap", "p_exclude_business",
              "p_unit", "p_minimum", "p_addon_disability", "p_addon_elderly", "p_addon_minor"]
    for n in inputs:
        tbs.add_variable(hh_input(n))

    class dibao_eligible(Variable):
        value_type = bool
        entity = Household
        definition_period = MONTH
        label = "低保 eligible (v1)"

        def formula(household, period):
            members = household.nb_persons()
            std_total = household("p_standard", period) * members
            limit = std_total * household("p_deposit_months", period)
            return ((household("monthly_income_fen", period) < std_total)
                    * (household("financial_assets_fen", period) <= limit)
                    * (household("houses", period) <= household("p_max_houses", period))
                    * (household("vehicle_value_fen", period) <= household("p_vehicle_cap", period))
                    * ~((household("p_exclude_business", period) == 1) * (household("has_business", period) == 1)))

    class dibao_amount(Variable):
        value_type = int
        entity = Household
        definition_period = MONTH
        label = "低保 monthly amount in fen (v1)"

        def formula(household, period):
            members = household.nb_persons()
            gap = household("p_standard", period) * members - household("monthly_income_fen", period)
            addon = (household("p_addon_disability", period) * household("severe_disability", period)
                     + household("p_addon_elderly", period) * household("elderly", period)
                     + household("p_addon_minor", period) * household("minors", period))
            before = gap + addon
            unit = household("p_unit", period)
            rounded = -((-before) // unit) * unit  # round up (before > 0 when eligible)
            amount = np.maximum(rounded, household("p_minimum", period))
            return np.where(household("dibao_eligible", period), amount, 0)

    tbs.add_variable(dibao_eligible)
    tbs.add_variable(dibao_amount)

    n = len(cols["members"])
    members = cols["members"]
    person_hh = np.repeat(np.arange(n), members)
    sb = SimulationBuilder()
    sb.create_entities(tbs)
    # Integer ids for both entities: string ids cost seconds at 2.5M persons,
    # and mixing int group ids with str entity ids silently mis-joins.
    sb.declare_person_entity("person", np.arange(len(person_hh)))
    hh_entity = sb.declare_entity("household", np.arange(n))
    sb.join_with_persons(hh_entity, person_hh, np.full(len(person_hh), "member"))
    sim = sb.build(tbs)
    period = "2026-07"
    for n_ in inputs[:8]:
        sim.set_input(n_, period, cols[n_])
    pnames = ["p_standard", "p_deposit_months", "p_max_houses", "p_vehicle_cap", "p_exclude_business",
              None, "p_unit", "p_minimum", "p_addon_disability", "p_addon_elderly", "p_addon_minor"]
    for j, pn in enumerate(pnames):
        if pn:
            sim.set_input(pn, period, table[idx, j])
    t_build = time.perf_counter() - t1

    assert (sim.household.nb_persons() == members).all(), "household membership mismatch"
    t2 = time.perf_counter()
    elig = sim.calculate("dibao_eligible", period)
    amount = sim.calculate("dibao_amount", period)
    t_calc = time.perf_counter() - t2
    return {"engine": "openfisca", "load_s": t_load, "build_s": t_build, "calc_s": t_calc,
            "eligible": int(elig.sum()), "total_amount_fen": int(amount.sum())}


SQL = """
WITH h AS (SELECT * FROM read_csv('{out}/households.csv', header=true)),
     p AS (SELECT * FROM read_csv('{out}/dibao_params.csv', header=true)),
     j AS (
       SELECT h.*, p.*, p.standard_fen * h.members AS std_total
       FROM h JOIN p ON h.region_code = p.region_code AND h.urban = p.urban),
     e AS (
       SELECT *,
         (monthly_income_fen < std_total
          AND financial_assets_fen <= std_total * deposit_months
          AND h_houses <= max_houses
          AND vehicle_value_fen <= vehicle_cap_fen
          AND NOT (exclude_business = 1 AND has_business = 1)) AS eligible,
         std_total - monthly_income_fen
           + addon_disability_fen * severe_disability
           + addon_elderly_fen * elderly
           + addon_minor_fen * minors AS before_rounding
       FROM (SELECT *, houses AS h_houses FROM j)),
     a AS (
       SELECT eligible,
         CASE WHEN eligible THEN greatest(
           CASE rounding_mode
             WHEN 'up' THEN ((before_rounding + rounding_unit_fen - 1) // rounding_unit_fen) * rounding_unit_fen
             WHEN 'down' THEN (before_rounding // rounding_unit_fen) * rounding_unit_fen
             ELSE ((before_rounding * 2 + rounding_unit_fen) // (2 * rounding_unit_fen)) * rounding_unit_fen
           END, minimum_fen) ELSE 0 END AS amount_fen
       FROM e)
SELECT count(*) FILTER (WHERE eligible) AS eligible, sum(amount_fen)::BIGINT AS total FROM a
"""


def run_duckdb(out):
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    eligible, total = con.execute(SQL.format(out=out)).fetchone()
    t = time.perf_counter() - t0
    return {"engine": "duckdb", "load_s": 0.0, "build_s": 0.0, "calc_s": t,
            "note": "CSV scan + join + rule in one query",
            "eligible": int(eligible), "total_amount_fen": int(total)}


def child(engine, out):
    t0 = time.perf_counter()
    res = {"openfisca": run_openfisca, "duckdb": run_duckdb}[engine](out)
    res["wall_s"] = time.perf_counter() - t0
    res["peak_rss_mib"] = vmhwm_mib()
    print(json.dumps(res))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-out"
    rust = json.load(open(f"{out}/rust_summary.json"))
    print(f"households {rust['households']}, people {rust['people']}, date {rust['date']}")
    print(f"rust   : eligible {rust['eligible']}, total {rust['total_amount_fen']} fen")
    for engine in ["duckdb", "openfisca"]:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, __file__, "--child", engine, out],
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            print(f"{engine}: FAILED\n{p.stderr[-3000:]}")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        same = r["eligible"] == rust["eligible"] and r["total_amount_fen"] == rust["total_amount_fen"]
        print(f"{engine:9}: process wall {wall:6.2f} s (incl. interpreter start+imports); "
              f"in-process {r['wall_s']:6.2f} s = load {r['load_s']:.2f} + build {r['build_s']:.2f} "
              f"+ calc {r['calc_s']:.2f}; peak RSS {r['peak_rss_mib']:.0f} MiB; "
              f"eligible {r['eligible']}, total {r['total_amount_fen']} fen; matches rust: {same}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
