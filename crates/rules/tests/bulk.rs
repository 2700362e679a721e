mod common;
use common::*;
use jiuzhu_rules::bulk::{evaluate_dibao_bulk, HouseholdColumns};
use jiuzhu_rules::synth::generate_lishui;
use jiuzhu_rules::*;
use proptest::prelude::*;

fn check_equal(p: &ParameterSet, hh: &HouseholdColumns, date: Date) {
    let out = evaluate_dibao_bulk(p, hh, date, None).unwrap();
    assert_eq!(out.columns.eligible.len(), hh.len());
    for i in 0..hh.len() {
        let dec = evaluate_dibao(p, &hh.row(i), date).unwrap();
        assert_eq!(out.columns.eligible[i], dec.eligible, "row {i}");
        assert_eq!(Fen(out.columns.amount_fen[i]), dec.amount_fen, "row {i}");
        assert_eq!(
            ReasonCode::from_mask(out.columns.reasons[i]),
            dec.reason_codes,
            "row {i}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Bulk and per-household evaluation agree on generated data, for any
    /// seed and any date in the parameter range.
    #[test]
    fn bulk_equals_per_household(seed in any::<u64>(), day in 0u32..900) {
        let mut date = d(2024, 7, 1);
        for _ in 0..day { date = date.succ(); }
        let hh = generate_lishui(300, seed);
        check_equal(&lishui(), &hh, date);
    }

    /// Same with arbitrary (valid) household rows, not just the generator's.
    #[test]
    fn bulk_equals_per_household_arbitrary_rows(
        rows in proptest::collection::vec(
            (0usize..9, any::<bool>(), 1u32..=8, 0i64..2_000_000, 0i64..100_000_000, 0u32..4,
             prop_oneof![Just(0i64), 0i64..10_000_000], any::<bool>(), 0u32..3, 0u32..3, 0u32..3),
            1..60),
        after_change in any::<bool>(),
    ) {
        let p = lishui();
        let regions: Vec<RegionCode> = p.leaf_regions();
        let mut cols = HouseholdColumns::new(regions.clone());
        for (ri, urban, m, inc, ast, houses, veh, biz, sd, el, mi) in rows {
            let h = Household {
                region: regions[ri], area: Area::from_urban(urban), members: m,
                monthly_income: Fen(inc), financial_assets: Fen(ast), houses,
                vehicle_value: Fen(veh), has_business: biz,
                special: SpecialCounts { severe_disability: sd.min(m), elderly: el.min(m), minors: mi.min(m) },
            };
            cols.push(&h).unwrap();
        }
        let date = if after_change { d(2026, 7, 1) } else { d(2026, 6, 30) };
        check_equal(&p, &cols, date);
    }
}

#[test]
fn changed_decisions_are_explained_only_for_changes() {
    let p = lishui();
    let hh = generate_lishui(20_000, 42);
    let before = evaluate_dibao_bulk(&p, &hh, d(2026, 6, 30), None).unwrap();
    assert!(before.changed.is_empty());
    let after = evaluate_dibao_bulk(&p, &hh, d(2026, 7, 1), Some(&before.columns)).unwrap();
    let expected: Vec<usize> = (0..hh.len())
        .filter(|&i| {
            before.columns.eligible[i] != after.columns.eligible[i]
                || before.columns.amount_fen[i] != after.columns.amount_fen[i]
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "a standard rise must change some decisions"
    );
    assert!(expected.len() < hh.len());
    let got: Vec<usize> = after.changed.iter().map(|c| c.index).collect();
    assert_eq!(got, expected);
    for c in &after.changed {
        let full = evaluate_dibao(&p, &hh.row(c.index), d(2026, 7, 1)).unwrap();
        assert_eq!(c.decision, full);
        assert_eq!(c.previous_amount, Fen(before.columns.amount_fen[c.index]));
        assert_eq!(c.previous_eligible, before.columns.eligible[c.index]);
    }
    // Re-running on the same date changes nothing.
    let again = evaluate_dibao_bulk(&p, &hh, d(2026, 7, 1), Some(&after.columns)).unwrap();
    assert!(again.changed.is_empty());
}

#[test]
fn bulk_rejects_invalid_rows_and_shapes() {
    let p = lishui();
    let mut hh = generate_lishui(10, 1);
    hh.monthly_income[7] = -1;
    let e = evaluate_dibao_bulk(&p, &hh, d(2026, 1, 1), None).unwrap_err();
    assert!(
        matches!(&e, RuleError::Input(i) if i.field.starts_with("row 7")),
        "{e}"
    );
    let mut hh = generate_lishui(10, 1);
    hh.minors.pop();
    assert!(matches!(
        evaluate_dibao_bulk(&p, &hh, d(2026, 1, 1), None),
        Err(RuleError::Input(_))
    ));
    let hh = generate_lishui(10, 1);
    let prev = evaluate_dibao_bulk(&p, &generate_lishui(5, 1), d(2026, 1, 1), None).unwrap();
    assert!(evaluate_dibao_bulk(&p, &hh, d(2026, 1, 1), Some(&prev.columns)).is_err());
    assert!(matches!(
        evaluate_dibao_bulk(&p, &hh, d(2020, 1, 1), None),
        Err(RuleError::Param(ParamError::NotInForce { .. }))
    ));
}

#[test]
fn generator_is_deterministic_and_plausible() {
    let a = generate_lishui(50_000, 7);
    let b = generate_lishui(50_000, 7);
    assert_eq!(a, b);
    assert_ne!(a, generate_lishui(50_000, 8));
    let people = a.people() as f64 / a.len() as f64;
    assert!((2.3..2.8).contains(&people), "mean household size {people}");
    let out = evaluate_dibao_bulk(&lishui(), &a, d(2025, 8, 1), None).unwrap();
    let rate = out.columns.eligible.iter().filter(|e| **e).count() as f64 / a.len() as f64;
    assert!((0.005..0.15).contains(&rate), "eligibility rate {rate}");
    let urban = a.urban.iter().filter(|u| **u).count() as f64 / a.len() as f64;
    assert!((0.5..0.8).contains(&urban), "urban share {urban}");
    let mut csv = Vec::new();
    a.write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count(), a.len() + 1);
}

#[test]
fn csv_round_trip_and_strict_reading() {
    let a = generate_lishui(500, 3);
    let mut buf = Vec::new();
    a.write_csv(&mut buf).unwrap();
    let b = HouseholdColumns::read_csv(&buf[..]).unwrap();
    // Region table order may differ; rows must be the same households.
    assert_eq!(a.len(), b.len());
    for i in 0..a.len() {
        assert_eq!(a.row(i), b.row(i), "row {i}");
    }
    let text = String::from_utf8(buf).unwrap();
    let bad_header = text.replacen("region_code", "region", 1);
    assert!(HouseholdColumns::read_csv(bad_header.as_bytes()).is_err());
    let extra_field = text.replacen("\n331", "\n1,331", 1);
    assert!(HouseholdColumns::read_csv(extra_field.as_bytes()).is_err());
    let bad_region = format!(
        "{}\n999999,1,1,0,0,1,0,0,0,0,0\n",
        HouseholdColumns::CSV_HEADER
    );
    assert!(HouseholdColumns::read_csv(bad_region.as_bytes()).is_err());
}
