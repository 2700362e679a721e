use jiuzhu_rules::*;

fn r(mode: RoundingMode, unit: RoundingUnit) -> Rounding {
    Rounding { mode, unit }
}

#[test]
fn parse_yuan_is_exact_to_the_fen() {
    assert_eq!(Fen::parse_yuan("1213").unwrap(), Fen(121300));
    assert_eq!(Fen::parse_yuan("1213.5").unwrap(), Fen(121350));
    assert_eq!(Fen::parse_yuan("1213.05").unwrap(), Fen(121305));
    assert_eq!(Fen::parse_yuan("0.01").unwrap(), Fen(1));
    assert_eq!(Fen::parse_yuan("-3.10").unwrap(), Fen(-310));
    for bad in ["", ".5", "1.", "1.234", "1,000", "1e3", "+1", " 1", "1.-5"] {
        assert!(Fen::parse_yuan(bad).is_err(), "{bad:?} should be rejected");
    }
    assert_eq!(
        Fen::parse_yuan("99999999999999999999"),
        Err(MoneyError::Parse("99999999999999999999".into()))
    );
}

#[test]
fn display_round_trips() {
    for v in [0i64, 1, 10, 99, 100, 121305, -1, -121305] {
        let s = Fen(v).to_string();
        assert_eq!(Fen::parse_yuan(&s).unwrap(), Fen(v), "{s}");
    }
    assert_eq!(Fen(5).to_string(), "0.05");
}

#[test]
fn checked_arithmetic_detects_overflow() {
    assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), Err(MoneyError::Overflow));
    assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), Err(MoneyError::Overflow));
    assert_eq!(
        Fen(i64::MAX / 2 + 1).checked_mul_int(2),
        Err(MoneyError::Overflow)
    );
    assert_eq!(Fen(100).checked_mul_int(3), Ok(Fen(300)));
    assert_eq!(Fen::from_yuan(i64::MAX), Err(MoneyError::Overflow));
    assert_eq!(
        Fen(i64::MAX).mul_ratio(BasisPoints(20000), RoundingMode::Down),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn rounding_modes_and_units() {
    use RoundingMode::*;
    use RoundingUnit::{Jiao, Yuan};
    let cases = [
        // (fen, mode, unit, expected)
        (121301, Up, Yuan, 121400),
        (121300, Up, Yuan, 121300),
        (121350, HalfUp, Yuan, 121400),
        (121349, HalfUp, Yuan, 121300),
        (121399, Down, Yuan, 121300),
        (121301, Up, Jiao, 121310),
        (121305, HalfUp, Jiao, 121310),
        (121304, HalfUp, Jiao, 121300),
        (121309, Down, Jiao, 121300),
        (121309, Up, RoundingUnit::Fen, 121309),
        (1, Up, Yuan, 100),
        (0, Up, Yuan, 0),
        (-150, HalfUp, Yuan, -200),
        (-101, Up, Yuan, -200),
        (-199, Down, Yuan, -100),
    ];
    for (v, m, u, e) in cases {
        assert_eq!(Fen(v).round(r(m, u)).unwrap(), Fen(e), "{v} {m:?} {u:?}");
    }
}

#[test]
fn ratios_parse_exactly_and_multiply_with_explicit_rounding() {
    assert_eq!(BasisPoints::parse_ratio("1.5").unwrap(), BasisPoints(15000));
    assert_eq!(BasisPoints::parse_ratio("0.3").unwrap(), BasisPoints(3000));
    assert_eq!(BasisPoints::parse_ratio("0.0001").unwrap(), BasisPoints(1));
    assert!(BasisPoints::parse_ratio("0.00001").is_err());
    assert!(BasisPoints::parse_ratio("-1").is_err());
    assert_eq!(BasisPoints(15000).to_string(), "1.5");
    assert_eq!(BasisPoints(20000).to_string(), "2");
    // 1213.01 × 1.5 = 1819.515 → half up 1819.52, down 1819.51
    assert_eq!(
        Fen(121301)
            .mul_ratio(BasisPoints(15000), RoundingMode::HalfUp)
            .unwrap(),
        Fen(181952)
    );
    assert_eq!(
        Fen(121301)
            .mul_ratio(BasisPoints(15000), RoundingMode::Down)
            .unwrap(),
        Fen(181951)
    );
    assert_eq!(
        Fen(121300)
            .mul_ratio(BasisPoints(3000), RoundingMode::Up)
            .unwrap(),
        Fen(36390)
    );
}

#[test]
fn dates_parse_order_and_ages() {
    let d: Date = "2026-07-01".parse().unwrap();
    assert_eq!(d.pred(), Date::ymd(2026, 6, 30));
    assert_eq!(Date::ymd(2026, 1, 1).pred(), Date::ymd(2025, 12, 31));
    assert_eq!(Date::ymd(2024, 3, 1).pred(), Date::ymd(2024, 2, 29));
    assert_eq!(Date::ymd(2024, 2, 29).succ(), Date::ymd(2024, 3, 1));
    assert_eq!(Date::ymd(2025, 12, 31).succ(), Date::ymd(2026, 1, 1));
    assert!("2025-02-29".parse::<Date>().is_err());
    assert!("2025-7-1".parse::<Date>().is_err());
    let born = Date::ymd(2010, 7, 1);
    assert_eq!(born.age_on(Date::ymd(2026, 6, 30)), 15);
    assert_eq!(born.age_on(Date::ymd(2026, 7, 1)), 16);
    let leap = Date::ymd(2008, 2, 29);
    assert_eq!(leap.age_on(Date::ymd(2026, 2, 28)), 17);
    assert_eq!(leap.age_on(Date::ymd(2026, 3, 1)), 18);
    assert_eq!(
        Date::ymd(2024, 2, 29).years_before(1),
        Date::ymd(2023, 2, 28)
    );
    assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-07-01\"");
}

#[test]
fn reason_masks_round_trip_and_codes_are_stable() {
    let all: u16 = ReasonCode::ALL
        .iter()
        .map(|c| c.bit())
        .fold(0, |a, b| a | b);
    assert_eq!(ReasonCode::from_mask(all), ReasonCode::ALL.to_vec());
    for c in ReasonCode::ALL {
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.as_str()));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn any_rounding() -> impl Strategy<Value = Rounding> {
        (
            prop_oneof![
                Just(RoundingMode::Up),
                Just(RoundingMode::HalfUp),
                Just(RoundingMode::Down)
            ],
            prop_oneof![
                Just(RoundingUnit::Fen),
                Just(RoundingUnit::Jiao),
                Just(RoundingUnit::Yuan)
            ],
        )
            .prop_map(|(mode, unit)| Rounding { mode, unit })
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// Rounding lands on a multiple of the unit, within one unit, on the
        /// side the mode promises (for non-negative amounts).
        #[test]
        fn rounding_invariants(v in 0i64..10_000_000_000, rule in any_rounding()) {
            let u = rule.unit.fen_per_unit();
            let r = Fen(v).round(rule).unwrap().0;
            prop_assert_eq!(r % u, 0);
            prop_assert!((r - v).abs() < u);
            match rule.mode {
                RoundingMode::Up => prop_assert!(r >= v),
                RoundingMode::Down => prop_assert!(r <= v),
                RoundingMode::HalfUp => prop_assert!(2 * (r - v).abs() <= u),
            }
        }

        /// Yuan strings round-trip exactly.
        #[test]
        fn yuan_display_parse_round_trip(v in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(v).to_string()).unwrap(), Fen(v));
        }
    }
}
