mod common;
use common::*;
use jiuzhu_rules::rules::{dibao, gangxing::RigidSpendingHousehold};
use jiuzhu_rules::*;

const S25: i64 = 121300; // 丽水 default 2025-07-01 standard, fen
const S26: i64 = 128600; // 2026-07-01

fn on25() -> Date {
    d(2025, 8, 1)
}

fn dibao(h: &Household, date: Date) -> Decision {
    evaluate_dibao(&lishui(), h, date).unwrap()
}

// ---------- 低保 ----------

#[test]
fn dibao_income_at_standard_is_not_eligible() {
    let dec = dibao(&household(3, Fen(S25 * 3)), on25());
    assert!(!dec.eligible);
    assert_eq!(dec.amount_fen, Fen::ZERO);
    assert_eq!(dec.reason_codes, vec![ReasonCode::IncomeNotBelowStandard]);
    let above = dibao(&household(3, Fen(S25 * 3 + 1)), on25());
    assert!(!above.eligible);
}

#[test]
fn dibao_one_fen_below_standard_gets_minimum_after_rounding() {
    let dec = dibao(&household(3, Fen(S25 * 3 - 1)), on25());
    assert!(dec.eligible, "{:?}", dec.reason_codes);
    let e = &dec.explanation;
    assert_eq!(e.step("gap").unwrap().value, FactValue::Money(Fen(1)));
    // 0.01 yuan rounds up to 1 yuan, then the 30-yuan minimum applies.
    assert_eq!(
        e.step("after_rounding").unwrap().value,
        FactValue::Money(Fen(100))
    );
    assert_eq!(
        e.step("minimum_applied").unwrap().value,
        FactValue::Bool(true)
    );
    assert_eq!(dec.amount_fen, Fen(3000));
}

#[test]
fn dibao_amount_is_gap_rounded_up_to_yuan() {
    // income 1000.50 for 2 people: gap = 2426.00 − 1000.50 = 1425.50 → 1426.00
    let dec = dibao(&household(2, Fen(100050)), on25());
    assert!(dec.eligible);
    assert_eq!(dec.amount_fen, Fen(142600));
    assert_eq!(
        dec.explanation.step("gap").unwrap().value,
        FactValue::Money(Fen(142550))
    );
    // zero income: full standard
    assert_eq!(dibao(&household(1, Fen::ZERO), on25()).amount_fen, Fen(S25));
}

#[test]
fn dibao_special_addons_are_added_per_member() {
    let mut h = household(3, Fen::ZERO);
    h.special = SpecialCounts {
        severe_disability: 1,
        elderly: 1,
        minors: 1,
    };
    let dec = dibao(&h, on25());
    // 3 × 1213 + 1213 × (0.3 + 0.2 + 0.2) = 3639 + 363.90 + 242.60 + 242.60
    assert_eq!(
        dec.explanation.step("addon_total").unwrap().value,
        FactValue::Money(Fen(36390 + 24260 * 2))
    );
    assert_eq!(
        dec.amount_fen,
        Fen(S25 * 3 + 36390 + 24260 * 2)
            .round(Rounding {
                mode: RoundingMode::Up,
                unit: RoundingUnit::Yuan
            })
            .unwrap()
    );
}

#[test]
fn dibao_across_standard_change_date() {
    let h = household(2, Fen(S25 * 2)); // exactly at the 2025 standard
    let before = dibao(&h, d(2026, 6, 30));
    let on = dibao(&h, d(2026, 7, 1));
    assert!(!before.eligible);
    assert!(on.eligible);
    assert_eq!(on.amount_fen, Fen((S26 - S25) * 2));
    let p = on.explanation.parameter("dibao_standard_urban").unwrap();
    assert_eq!(p.from, d(2026, 7, 1));
    assert_eq!(
        before
            .explanation
            .parameter("dibao_standard_urban")
            .unwrap()
            .until,
        Some(d(2026, 6, 30))
    );
}

#[test]
fn dibao_asset_boundaries() {
    // Deposit limit: standard × members × 24 months.
    let limit = S25 * 2 * 24;
    let mut h = household(2, Fen::ZERO);
    h.financial_assets = Fen(limit);
    assert!(dibao(&h, on25()).eligible);
    h.financial_assets = Fen(limit + 1);
    assert_eq!(
        dibao(&h, on25()).reason_codes,
        vec![ReasonCode::FinancialAssetsOverLimit]
    );

    let mut h = household(2, Fen::ZERO);
    h.houses = 2;
    assert_eq!(
        dibao(&h, on25()).reason_codes,
        vec![ReasonCode::ExcessHousing]
    );
    h.houses = 1;
    h.vehicle_value = yuan(50000);
    assert!(dibao(&h, on25()).eligible);
    h.vehicle_value = Fen(yuan(50000).0 + 1);
    assert_eq!(
        dibao(&h, on25()).reason_codes,
        vec![ReasonCode::VehicleOverLimit]
    );
    h.vehicle_value = Fen::ZERO;
    h.has_business = true;
    assert_eq!(
        dibao(&h, on25()).reason_codes,
        vec![ReasonCode::BusinessRegistered]
    );
}

#[test]
fn dibao_reports_all_reasons_at_once() {
    let mut h = household(1, Fen(S25 * 5));
    h.houses = 3;
    h.has_business = true;
    assert_eq!(
        dibao(&h, on25()).reason_codes,
        vec![
            ReasonCode::IncomeNotBelowStandard,
            ReasonCode::ExcessHousing,
            ReasonCode::BusinessRegistered
        ]
    );
}

#[test]
fn dibao_rejects_invalid_input() {
    let h = household(2, Fen(-1));
    let e = evaluate_dibao(&lishui(), &h, on25()).unwrap_err();
    assert!(
        matches!(&e, RuleError::Input(i) if i.field == "monthly_income"),
        "{e}"
    );
    let h = household(0, Fen(0));
    assert!(matches!(
        evaluate_dibao(&lishui(), &h, on25()),
        Err(RuleError::Input(_))
    ));
    let mut h = household(1, Fen(0));
    h.special.minors = 2;
    assert!(matches!(
        evaluate_dibao(&lishui(), &h, on25()),
        Err(RuleError::Input(_))
    ));
    let mut h = household(1, Fen(0));
    h.region = rc("330102");
    assert!(matches!(
        evaluate_dibao(&lishui(), &h, on25()),
        Err(RuleError::Param(ParamError::UnknownRegion(_)))
    ));
}

#[test]
fn dibao_rule_versions() {
    let h = household(2, Fen(0));
    let a = dibao::evaluate_dibao_version(1, &lishui(), &h, on25()).unwrap();
    assert_eq!(a, dibao(&h, on25()));
    assert_eq!(a.explanation.rule_version, 1);
    assert_eq!(a.rules_version, RULES_VERSION);
    assert!(matches!(
        dibao::evaluate_dibao_version(99, &lishui(), &h, on25()),
        Err(RuleError::UnknownRuleVersion {
            rule: "dibao",
            version: 99
        })
    ));
}

#[test]
fn special_counts_from_members_use_age_lines_on_the_date() {
    let p = lishui().resolve(rc("331102"), d(2026, 7, 1)).unwrap();
    let members = vec![
        Member {
            birth_date: d(1946, 7, 1),
            disability: None,
        }, // turns 80 on the date
        Member {
            birth_date: d(1946, 7, 2),
            disability: None,
        }, // 79
        Member {
            birth_date: d(2008, 7, 2),
            disability: Some(Disability {
                kind: DisabilityKind::Mental,
                grade: 2,
            }),
        }, // 17, severe
        Member {
            birth_date: d(2008, 7, 1),
            disability: Some(Disability {
                kind: DisabilityKind::Physical,
                grade: 2,
            }),
        }, // 18, not severe
    ];
    let c = SpecialCounts::from_members(&members, d(2026, 7, 1), &p);
    assert_eq!(
        c,
        SpecialCounts {
            severe_disability: 1,
            elderly: 1,
            minors: 1
        }
    );
}

// ---------- explanation ----------

#[test]
fn explanation_records_params_inputs_steps_and_serialises() {
    let dec = dibao(&household(2, Fen(100000)), on25());
    let e = &dec.explanation;
    assert_eq!(e.rule_id, "dibao");
    assert_eq!(e.evaluation_date, on25());
    let resolved = lishui().resolve(rc("331102"), on25()).unwrap();
    let std = e.parameter("dibao_standard_urban").unwrap();
    assert_eq!(
        std.value,
        ParamValue::Money {
            fen: Fen(S25),
            yuan: "1213.00".into()
        }
    );
    assert_eq!(std.from, d(2025, 7, 1));
    assert_eq!(std.reference, &*resolved.dibao_standard_urban.reference);
    assert_eq!(std.defined_in, rc("331100"));
    for p in e.parameters.iter() {
        assert!(!p.reference.is_empty(), "{}", p.name);
    }
    assert!(e
        .inputs
        .iter()
        .any(|f| f.key == "monthly_income" && f.value == FactValue::Money(Fen(100000))));
    assert_eq!(
        e.step("standard_total").unwrap().value,
        FactValue::Money(Fen(S25 * 2))
    );
    let json = serde_json::to_string(&dec).unwrap();
    let back: Decision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, dec);
    assert!(json.contains("\"rule_id\":\"dibao\""));
    assert!(dec.summary_zh().contains("符合"));
    let no = dibao(&household(1, Fen(S25)), on25());
    assert!(no.summary_zh().contains("家庭人均月收入不低于当地低保标准"));
}

/// Completeness: any parameter *not* listed in an explanation must not
/// change the decision. For each such parameter we override it in the
/// county with a very different value and re-evaluate.
#[test]
fn explanation_lists_every_parameter_that_matters() {
    let alt = |name: &str| -> &'static str {
        match name {
            "dibao_standard_urban" | "dibao_standard_rural" => r#""3000""#,
            "dibao_rounding" => r#"{ mode = "down", unit = "fen" }"#,
            "dibao_minimum_benefit" | "vehicle_value_cap" | "linshi_township_cap" => r#""1""#,
            "per_capita_disposable_income" => r#""1""#,
            "exclude_business_registration" => "false",
            "addon_severe_disability" | "addon_elderly" | "addon_minor" => r#""5""#,
            "bianyuan_income_factor" | "tekun_basic_factor" => r#""9""#,
            "rigid_spending_share" => r#""0.01""#,
            "addon_elderly_age" | "tekun_elderly_age" => "20",
            "addon_minor_age" | "tekun_minor_age" => "99",
            "max_houses"
            | "dibao_deposit_months"
            | "bianyuan_deposit_months"
            | "linshi_cap_months" => "0",
            other => panic!("no alternative value for {other}"),
        }
    };
    let date = on25();
    let base = lishui();
    let mut hh = household(2, Fen(S25 * 2 + 5000));
    hh.special = SpecialCounts {
        severe_disability: 1,
        elderly: 0,
        minors: 1,
    };
    hh.has_business = false;
    let tk = TekunApplicant {
        region: rc("331102"),
        area: Area::Urban,
        birth_date: d(1960, 1, 1),
        disability: None,
        monthly_income: Fen(10000),
        has_capable_supporter: false,
    };
    let rig = RigidSpendingHousehold {
        region: rc("331102"),
        area: Area::Urban,
        members: 2,
        existing_status: ExistingStatus::None,
        income_12m: yuan(40000),
        spending_12m: RigidSpending {
            living: yuan(10000),
            medical: yuan(15000),
            ..Default::default()
        },
        financial_assets: Fen::ZERO,
        houses: 1,
        vehicle_value: Fen::ZERO,
        has_business: false,
    };
    let lin = TemporaryRequest {
        region: rc("331102"),
        area: Area::Urban,
        kind: TemporaryKind::Expenditure,
        uncovered_need: Fen(400001),
    };
    type Eval = Box<dyn Fn(&ParameterSet) -> Decision>;
    let evals: Vec<(&str, Eval)> = vec![
        (
            "dibao",
            Box::new({
                let h = household(2, Fen(100000));
                move |p| evaluate_dibao(p, &h, date).unwrap()
            }),
        ),
        (
            "bianyuan",
            Box::new({
                let h = hh.clone();
                move |p| evaluate_bianyuan(p, &h, date).unwrap()
            }),
        ),
        (
            "tekun",
            Box::new(move |p| evaluate_tekun(p, &tk, date).unwrap()),
        ),
        (
            "gangxing",
            Box::new(move |p| evaluate_gangxing(p, &rig, date).unwrap()),
        ),
        (
            "linshi",
            Box::new(move |p| evaluate_linshi(p, &lin, date).unwrap()),
        ),
    ];
    for (label, eval) in &evals {
        let d0 = eval(&base);
        let listed: Vec<String> = d0
            .explanation
            .parameters
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        assert!(!listed.is_empty());
        let mut perturbed_listed_changes = 0;
        for name in jiuzhu_rules::params::PARAM_NAMES {
            let text = format!(
                "{}\n{name} = [ {{ from = 2025-01-01, value = {}, reference = \"test override\" }} ]\n",
                jiuzhu_rules::params::LISHUI_TOML, alt(name)
            )
            .replace("[regions.\"331102\"]\nname = \"莲都区\"\nparent = \"331100\"\n", "")
;
            // Re-attach 331102 at the end so the override lands in its table.
            let text = text.replace(
                &format!("\n{name} = [ {{ from = 2025-01-01"),
                &format!("\n[regions.\"331102\"]\nname = \"莲都区\"\nparent = \"331100\"\n{name} = [ {{ from = 2025-01-01"),
            );
            let p = ParameterSet::from_toml_str("perturbed", &text).unwrap();
            let d1 = eval(&p);
            let same = d1.eligible == d0.eligible
                && d1.amount_fen == d0.amount_fen
                && d1.reason_codes == d0.reason_codes;
            if listed.iter().any(|l| l == name) {
                if !same {
                    perturbed_listed_changes += 1;
                }
            } else {
                assert!(
                    same,
                    "{label}: unlisted parameter {name} changed the decision"
                );
            }
        }
        // Sanity: the perturbation mechanism does bite on listed parameters.
        assert!(
            perturbed_listed_changes > 0,
            "{label}: no listed parameter changed anything"
        );
    }
}

// ---------- 低保边缘 ----------

#[test]
fn bianyuan_band_boundaries() {
    let p = lishui();
    let n = 2i64;
    let total = S25 * n; // 2426.00
    let line_x10000 = total * 15000; // exact 1.5× line × 10000
    let eval = |inc: i64| evaluate_bianyuan(&p, &household(n as u32, Fen(inc)), on25()).unwrap();
    // Below the 低保 line: should apply for 低保 instead.
    assert_eq!(
        eval(total - 1).reason_codes,
        vec![ReasonCode::EligibleForDibaoInstead]
    );
    assert!(eval(total).eligible);
    let line = line_x10000 / 10000; // 3639.00 exactly here
    assert_eq!(line * 10000, line_x10000);
    assert!(eval(line - 1).eligible);
    assert_eq!(
        eval(line).reason_codes,
        vec![ReasonCode::IncomeNotBelowNearPoorLine]
    );
    assert_eq!(eval(0).explanation.rule_id, "dibao_bianyuan");
}

#[test]
fn bianyuan_line_with_fractional_fen_is_compared_exactly() {
    // standard 1213.01 ×1 ×1.5 = 1819.515: 1819.51 is below, 1819.52 is not.
    let extra =
        r#"dibao_standard_urban = [ { from = 2025-01-01, value = "1213.01", reference = "t" } ]"#;
    let p = ParameterSet::from_toml_str("t", &minimal_toml("", extra)).unwrap();
    let ev = |inc: i64| evaluate_bianyuan(&p, &household(1, Fen(inc)), on25()).unwrap();
    assert!(ev(181951).eligible);
    assert!(!ev(181952).eligible);
}

#[test]
fn bianyuan_uses_its_own_asset_limit() {
    let mut h = household(1, Fen(S25));
    h.financial_assets = Fen(S25 * 36);
    assert!(evaluate_bianyuan(&lishui(), &h, on25()).unwrap().eligible);
    h.financial_assets = Fen(S25 * 36 + 1);
    assert_eq!(
        evaluate_bianyuan(&lishui(), &h, on25())
            .unwrap()
            .reason_codes,
        vec![ReasonCode::FinancialAssetsOverLimit]
    );
}

// ---------- 特困 ----------

fn applicant(birth: Date) -> TekunApplicant {
    TekunApplicant {
        region: rc("331102"),
        area: Area::Rural,
        birth_date: birth,
        disability: None,
        monthly_income: Fen::ZERO,
        has_capable_supporter: false,
    }
}

#[test]
fn tekun_age_boundaries() {
    let date = d(2026, 3, 15);
    let p = lishui();
    let ev = |b: Date| evaluate_tekun(&p, &applicant(b), date).unwrap();
    // 60: eligible on the 60th birthday, not the day before.
    assert!(ev(d(1966, 3, 15)).eligible);
    assert_eq!(
        ev(d(1966, 3, 16)).reason_codes,
        vec![ReasonCode::NotInTekunCategory]
    );
    // 16: under 16 qualifies; on the 16th birthday no longer.
    assert!(ev(d(2010, 3, 16)).eligible);
    assert_eq!(
        ev(d(2010, 3, 15)).reason_codes,
        vec![ReasonCode::NotInTekunCategory]
    );
}

#[test]
fn tekun_severe_disability_and_amount() {
    let date = d(2026, 3, 15);
    let p = lishui();
    let mut a = applicant(d(1990, 1, 1));
    for (kind, grade, ok) in [
        (DisabilityKind::Intellectual, 2, true),
        (DisabilityKind::Mental, 1, true),
        (DisabilityKind::Mental, 3, false),
        (DisabilityKind::Physical, 1, true),
        (DisabilityKind::Physical, 2, false),
        (DisabilityKind::Visual, 1, false),
    ] {
        a.disability = Some(Disability { kind, grade });
        assert_eq!(
            evaluate_tekun(&p, &a, date).unwrap().eligible,
            ok,
            "{kind:?} {grade}"
        );
    }
    a.disability = Some(Disability {
        kind: DisabilityKind::Physical,
        grade: 1,
    });
    let dec = evaluate_tekun(&p, &a, date).unwrap();
    // 1213 × 1.3 = 1576.90 → round up to yuan = 1577
    assert_eq!(dec.amount_fen, Fen(157700));
    assert!(dec.explanation.parameter("tekun_basic_factor").is_some());
    a.disability = Some(Disability {
        kind: DisabilityKind::Physical,
        grade: 7,
    });
    assert!(matches!(
        evaluate_tekun(&p, &a, date),
        Err(RuleError::Input(_))
    ));
}

#[test]
fn tekun_income_and_supporter() {
    let date = d(2026, 3, 15);
    let p = lishui();
    let mut a = applicant(d(1950, 1, 1));
    a.monthly_income = Fen(S25 - 1);
    assert!(evaluate_tekun(&p, &a, date).unwrap().eligible);
    a.monthly_income = Fen(S25);
    assert_eq!(
        evaluate_tekun(&p, &a, date).unwrap().reason_codes,
        vec![ReasonCode::IncomeNotBelowStandard]
    );
    a.monthly_income = Fen::ZERO;
    a.has_capable_supporter = true;
    assert_eq!(
        evaluate_tekun(&p, &a, date).unwrap().reason_codes,
        vec![ReasonCode::HasCapableSupporter]
    );
    a.monthly_income = Fen(-5);
    assert!(matches!(
        evaluate_tekun(&p, &a, date),
        Err(RuleError::Input(_))
    ));
}

// ---------- 刚性支出困难 ----------

fn rigid(income: Fen, spending: Fen) -> RigidSpendingHousehold {
    RigidSpendingHousehold {
        region: rc("331102"),
        area: Area::Urban,
        members: 2,
        existing_status: ExistingStatus::None,
        income_12m: income,
        spending_12m: RigidSpending {
            medical: spending,
            ..Default::default()
        },
        financial_assets: Fen::ZERO,
        houses: 1,
        vehicle_value: Fen::ZERO,
        has_business: false,
    }
}

#[test]
fn gangxing_boundaries() {
    let p = lishui();
    let date = d(2026, 3, 1); // per-capita disposable income 56,500 in force
    let ev = |h: &RigidSpendingHousehold| evaluate_gangxing(&p, h, date).unwrap();
    let line = yuan(56500 * 2);
    // spending share boundary: 0.5 × income
    let inc = yuan(60000);
    assert!(ev(&rigid(inc, Fen(yuan(30000).0 + 1))).eligible);
    assert_eq!(
        ev(&rigid(inc, yuan(30000))).reason_codes,
        vec![ReasonCode::RigidSpendingNotAboveShare]
    );
    // income boundary: per-capita income must be below PCDI
    let big = yuan(100000);
    assert!(ev(&rigid(Fen(line.0 - 1), big)).eligible);
    assert_eq!(
        ev(&rigid(line, big)).reason_codes,
        vec![ReasonCode::IncomeNotBelowDisposableIncome]
    );
    // previous year's figure applies before 2026-01-01
    let dec = evaluate_gangxing(&p, &rigid(yuan(53000 * 2), big), d(2025, 12, 31)).unwrap();
    assert_eq!(
        dec.reason_codes,
        vec![ReasonCode::IncomeNotBelowDisposableIncome]
    );
    assert!(
        evaluate_gangxing(&p, &rigid(yuan(53000 * 2), big), d(2026, 1, 1))
            .unwrap()
            .eligible
    );
    // already assisted households are excluded
    for s in [
        ExistingStatus::Dibao,
        ExistingStatus::Tekun,
        ExistingStatus::Bianyuan,
    ] {
        let mut h = rigid(inc, big);
        h.existing_status = s;
        assert_eq!(ev(&h).reason_codes, vec![ReasonCode::AlreadyAssisted]);
    }
    assert!(matches!(
        evaluate_gangxing(&p, &rigid(Fen(-1), big), date),
        Err(RuleError::Input(_))
    ));
}

// ---------- 临时救助 ----------

fn temp(need: Fen, kind: TemporaryKind) -> TemporaryRequest {
    TemporaryRequest {
        region: rc("331102"),
        area: Area::Urban,
        kind,
        uncovered_need: need,
    }
}

#[test]
fn linshi_cap_and_approval_boundaries() {
    let p = lishui();
    let ev =
        |need: Fen| evaluate_linshi(&p, &temp(need, TemporaryKind::Expenditure), on25()).unwrap();
    let cap = Fen(S25 * 10);
    assert_eq!(ev(cap).amount_fen, cap);
    assert_eq!(ev(Fen(cap.0 + 1)).amount_fen, cap);
    assert_eq!(ev(Fen(cap.0 - 100)).amount_fen, Fen(cap.0 - 100));
    // Township can approve up to and including 5000 yuan.
    assert_eq!(linshi::approval_level(&ev(yuan(5000))), Some("township"));
    assert_eq!(
        linshi::approval_level(&ev(Fen(yuan(5000).0 + 100))),
        Some("county")
    );
    // Rounding up to whole yuan happens before the approval check.
    assert_eq!(
        linshi::approval_level(&ev(Fen(yuan(5000).0 + 1))),
        Some("county")
    );
    assert_eq!(ev(Fen(yuan(5000).0 + 1)).amount_fen, yuan(5001));
    let none = ev(Fen::ZERO);
    assert!(!none.eligible);
    assert_eq!(none.reason_codes, vec![ReasonCode::NoUncoveredNeed]);
    let em = evaluate_linshi(&p, &temp(yuan(100), TemporaryKind::Emergency), on25()).unwrap();
    assert!(em.explanation.step("prior_assistance_allowed").is_some());
    assert!(matches!(
        evaluate_linshi(&p, &temp(Fen(-1), TemporaryKind::Emergency), on25()),
        Err(RuleError::Input(_))
    ));
}

use jiuzhu_rules::rules::linshi;

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// More income never means more 低保; eligibility flips exactly at
        /// standard × members.
        #[test]
        fn dibao_monotone_in_income(m in 1u32..7, a in 0i64..1_000_000, b in 0i64..1_000_000) {
            let p = lishui();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let dl = evaluate_dibao(&p, &household(m, Fen(lo)), on25()).unwrap();
            let dh = evaluate_dibao(&p, &household(m, Fen(hi)), on25()).unwrap();
            prop_assert!(dl.amount_fen >= dh.amount_fen);
            prop_assert_eq!(dl.eligible, lo < S25 * m as i64);
            prop_assert_eq!(dh.eligible, hi < S25 * m as i64);
        }
    }
}
