"""What splink_bench.py and splink_febrl.py share: timing phases, reading the CSV, the
DuckDB connection, and predict → evaluation → clustering with the lines matching-bench
prints, so both report the same figures the same way."""

import resource
import time

import duckdb
import pandas as pd


class Phases:
    """Prints each phase's time since the previous one."""

    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self, name, extra=""):
        now = time.perf_counter()
        print(f"{name:<20}{now - self.start:>9.2f} s  {extra}", flush=True)
        self.start = now


def read_csv(path, phase):
    """The CSV as text columns (empty strings kept), and the seconds reading took."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    secs = time.perf_counter() - phase.start
    phase("read csv", f"({len(df)} records)")
    return df, secs


def connect(threads):
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    print(f"duckdb threads      {threads}")
    return con


def predict_evaluate_cluster(linker, con, df, phase, linkage_start, read_csv_secs):
    """Scores the blocked pairs, prints blocking recall and P/R/F1 at 0.5, 0.9 and 0.99
    (not timed), clusters at 0.9 and prints the linkage, end-to-end and memory lines."""
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

    phase.start = time.perf_counter()
    clustering_start = phase.start
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9)
    n_clusters = con.execute(f"select count(distinct cluster_id) from {clusters.physical_name}").fetchall()[0][0]
    phase("clustering @0.9", f"({n_clusters} clusters)")
    linkage = linkage_before_eval + (time.perf_counter() - clustering_start)
    print(
        f"linkage total       {linkage:9.2f} s  (DataFrame read -> clusters: prepare columns, setup, u, EM, λ,"
        f" blocking+scoring, clustering; no CSV read, no evaluation)"
    )
    print(f"end to end          {linkage + read_csv_secs:9.2f} s  (reading the CSV + linkage)")
    print(f"peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:9.0f} MiB")
