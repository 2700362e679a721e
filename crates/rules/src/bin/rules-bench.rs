//! Benchmark: generate N synthetic 丽水 households, evaluate 低保 for all of
//! them before and on the 2026-07-01 standard change, explain the changed
//! decisions, and write the data as CSV for the peer benchmarks.
//!
//! Usage: rules-bench [--households N] [--seed S] [--out DIR] [--no-csv]

use jiuzhu_rules::bulk::{
    dibao_parameter_table, evaluate_dibao_bulk, evaluate_dibao_bulk_streaming,
};
use jiuzhu_rules::synth::generate_lishui;
use jiuzhu_rules::{evaluate_dibao, Date, ParameterSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut n: usize = 1_000_000;
    let mut seed: u64 = 20260701;
    let mut out = String::from("bench-out");
    let mut csv = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--households" => n = args.next().ok_or("missing N")?.replace('_', "").parse()?,
            "--seed" => seed = args.next().ok_or("missing seed")?.parse()?,
            "--out" => out = args.next().ok_or("missing dir")?,
            "--no-csv" => csv = false,
            // In a fresh process, only what the peers do: read the CSV and decide, with
            // the diff against the day before and explanations for every change; the
            // peak memory printed is then the whole job's.
            "--evaluate" => return evaluate_only(&args.next().ok_or("missing dir")?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let before = Date::ymd(2026, 6, 30);
    let change = Date::ymd(2026, 7, 1);
    let t_all = Instant::now();
    let phase = |name: &str, t: Instant| {
        println!(
            "{name:<58} {:>9.1} ms   RSS {:>10}",
            t.elapsed().as_secs_f64() * 1000.0,
            mib(status_kb("VmRSS:"))
        );
    };

    let t = Instant::now();
    let params = ParameterSet::lishui_default();
    phase("load + validate parameters", t);

    let t = Instant::now();
    let hh = generate_lishui(n, seed);
    phase(
        &format!("generate {n} households ({} people)", hh.people()),
        t,
    );

    let t = Instant::now();
    let r0 = evaluate_dibao_bulk(&params, &hh, before, None)?;
    phase(&format!("bulk 低保 on {before}"), t);

    // Streaming first, so its peak memory is measured before the collecting
    // variant raises the high-water mark.
    let t = Instant::now();
    let (mut streamed, mut json_bytes) = (0usize, 0usize);
    evaluate_dibao_bulk_streaming(&params, &hh, change, Some(&r0.columns), |c| {
        streamed += 1;
        // Stand-in for writing the decision to storage.
        json_bytes += serde_json::to_vec(&c.decision)
            .map(|v| v.len())
            .unwrap_or(0);
    })?;
    phase(
        &format!("bulk 低保 on {change} + diff + explain→JSON (stream)"),
        t,
    );
    println!(
        "  streamed {streamed} explained decisions, {:.1} MiB of JSON; peak RSS so far {}",
        json_bytes as f64 / 1048576.0,
        mib(status_kb("VmHWM:"))
    );

    let t = Instant::now();
    let r1 = evaluate_dibao_bulk(&params, &hh, change, Some(&r0.columns))?;
    phase(
        &format!("bulk 低保 on {change} + diff + explain (collect)"),
        t,
    );
    let e_run = t_all.elapsed();

    let count = |c: &jiuzhu_rules::bulk::DibaoColumns| {
        let e = c.eligible.iter().filter(|x| **x).count();
        let s: i64 = c.amount_fen.iter().sum();
        (e, s)
    };
    let (e0, s0) = count(&r0.columns);
    let (e1, s1) = count(&r1.columns);
    println!(
        "  {before}: eligible {e0}, total monthly {:.2} yuan",
        s0 as f64 / 100.0
    );
    println!(
        "  {change}: eligible {e1}, total monthly {:.2} yuan",
        s1 as f64 / 100.0
    );
    let newly = r1.changed.iter().filter(|c| !c.previous_eligible).count();
    println!(
        "  changed decisions: {} ({} newly eligible), explanations built only for these",
        r1.changed.len(),
        newly
    );

    // For contrast: the per-household API (full explanation each) on a sample.
    let sample = n.min(100_000);
    let t = Instant::now();
    let mut acc = 0i64;
    for i in 0..sample {
        acc += evaluate_dibao(&params, &hh.row(i), change)?.amount_fen.0;
    }
    let per = t.elapsed();
    let check: i64 = r1.columns.amount_fen[..sample].iter().sum();
    assert_eq!(acc, check, "per-household and bulk disagree");
    phase(
        &format!("per-household API x{sample} (with explanations)"),
        Instant::now() - per,
    );

    if csv {
        std::fs::create_dir_all(&out)?;
        let t = Instant::now();
        hh.write_csv(BufWriter::new(File::create(format!(
            "{out}/households.csv"
        ))?))?;
        let mut w = BufWriter::new(File::create(format!("{out}/dibao_params.csv"))?);
        writeln!(w, "region_code,urban,standard_fen,deposit_months,max_houses,vehicle_cap_fen,exclude_business,rounding_mode,rounding_unit_fen,minimum_fen,addon_disability_fen,addon_elderly_fen,addon_minor_fen")?;
        for (r, row) in hh
            .regions
            .iter()
            .zip(dibao_parameter_table(&params, &hh.regions, change)?)
        {
            for (urban, p) in [(1, row[0]), (0, row[1])] {
                writeln!(
                    w,
                    "{r},{urban},{},{},{},{},{},{},{},{},{},{},{}",
                    p.standard,
                    p.deposit_months,
                    p.max_houses,
                    p.vehicle_cap,
                    p.exclude_business as u8,
                    serde_json::to_string(&p.rounding.mode)?.trim_matches('"'),
                    p.rounding.unit.fen_per_unit(),
                    p.minimum,
                    p.addon_disability,
                    p.addon_elderly,
                    p.addon_minor
                )?;
            }
        }
        w.flush()?;
        let mut s = File::create(format!("{out}/rust_summary.json"))?;
        writeln!(
            s,
            "{{\"date\":\"{change}\",\"households\":{n},\"people\":{},\"eligible\":{e1},\"total_amount_fen\":{s1}}}",
            hh.people()
        )?;
        phase(&format!("write CSV to {out}/"), t);

        // Apples-to-apples with the peers: read the CSV back and evaluate.
        let t = Instant::now();
        let f = std::io::BufReader::with_capacity(
            1 << 20,
            File::open(format!("{out}/households.csv"))?,
        );
        let back = jiuzhu_rules::bulk::HouseholdColumns::read_csv(f)?;
        let r2 = evaluate_dibao_bulk(&params, &back, change, None)?;
        assert_eq!(
            count(&r2.columns),
            (e1, s1),
            "CSV round trip changed results"
        );
        phase("read CSV back + bulk 低保 (same work as peers)", t);
    }
    println!(
        "{:<58} {:>9.1} ms",
        "end to end (params+generate+3 bulk runs)",
        e_run.as_secs_f64() * 1000.0
    );
    println!("peak RSS (VmHWM): {}", mib(status_kb("VmHWM:")));
    Ok(())
}

/// `rules-bench --evaluate DIR`: read `DIR/households.csv`, decide 低保 on the day before and
/// the day of the standard change, and keep an explanation for every household whose
/// decision changes, written as storage would keep it: the parameters in force are the same
/// for every household of a region, so each list is written once and the decisions refer to
/// it; each decision carries its own inputs, intermediate steps, amount and reasons. Prints
/// the wall time and the process's peak memory (a fresh process: the whole job's).
fn evaluate_only(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    #[derive(serde::Serialize)]
    struct Kept<'a> {
        household: usize,
        previous_eligible: bool,
        previous_amount_fen: i64,
        eligible: bool,
        amount_fen: i64,
        reason_codes: &'a [jiuzhu_rules::ReasonCode],
        rules_version: &'a str,
        rule_id: &'a str,
        evaluation_date: String,
        region: String,
        /// Index of the parameter list written once for the region.
        parameters: usize,
        inputs: &'a [jiuzhu_rules::Fact],
        steps: &'a [jiuzhu_rules::Fact],
    }
    let t = Instant::now();
    let params = ParameterSet::lishui_default();
    let f =
        std::io::BufReader::with_capacity(1 << 20, File::open(format!("{dir}/households.csv"))?);
    let hh = jiuzhu_rules::bulk::HouseholdColumns::read_csv(f)?;
    let r0 = evaluate_dibao_bulk(&params, &hh, Date::ymd(2026, 6, 30), None)?;
    let mut lists: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let (mut changed, mut bytes) = (0usize, 0usize);
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    evaluate_dibao_bulk_streaming(
        &params,
        &hh,
        Date::ymd(2026, 7, 1),
        Some(&r0.columns),
        |c| {
            changed += 1;
            let e = &c.decision.explanation;
            let key = e.parameters.as_ptr() as usize;
            let next = lists.len();
            let list = *lists.entry(key).or_insert_with(|| {
                bytes += serde_json::to_vec(&*e.parameters)
                    .map(|v| v.len())
                    .unwrap_or(0);
                next
            });
            out.clear();
            let kept = Kept {
                household: c.index,
                previous_eligible: c.previous_eligible,
                previous_amount_fen: c.previous_amount.0,
                eligible: c.decision.eligible,
                amount_fen: c.decision.amount_fen.0,
                reason_codes: &c.decision.reason_codes,
                rules_version: &c.decision.rules_version,
                rule_id: &e.rule_id,
                evaluation_date: e.evaluation_date.to_string(),
                region: e.region.to_string(),
                parameters: list,
                inputs: &e.inputs,
                steps: &e.steps,
            };
            // Stand-in for writing the decision to storage.
            if serde_json::to_writer(&mut out, &kept).is_ok() {
                bytes += out.len();
            }
        },
    )?;
    println!(
        "evaluate-only: read CSV + 低保 on two dates + {changed} explanations ({} parameter lists, {:.1} MiB JSON): {:.3} s, peak RSS (VmHWM) {}",
        lists.len(),
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64(),
        mib(status_kb("VmHWM:"))
    );
    Ok(())
}
