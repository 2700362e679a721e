mod common;
use common::*;
use jiuzhu_rules::params::PARAM_NAMES;
use jiuzhu_rules::*;

fn load(text: &str) -> Result<ParameterSet, ParamError> {
    ParameterSet::from_toml_str("test.toml", text)
}

fn err_text(text: &str) -> String {
    load(text).expect_err("should fail").to_string()
}

#[test]
fn default_lishui_file_loads_and_covers_all_counties() {
    let p = lishui();
    let leaves = p.leaf_regions();
    assert_eq!(leaves.len(), 9);
    for r in leaves {
        let rp = p.resolve(r, d(2025, 8, 1)).unwrap();
        assert_eq!(rp.dibao_standard_urban.defined_in, rc("331100"));
        assert!(rp.dibao_standard_urban.value.0 >= yuan(1200));
    }
}

#[test]
fn minimal_file_loads() {
    load(&minimal_toml("", "")).unwrap();
}

#[test]
fn values_switch_on_the_from_date_and_implicit_until_is_day_before() {
    let p = load(&minimal_toml("", "")).unwrap();
    let before = p.resolve(rc("331102"), d(2026, 6, 30)).unwrap();
    let on = p.resolve(rc("331102"), d(2026, 7, 1)).unwrap();
    assert_eq!(before.dibao_standard_urban.value.0, yuan(1000));
    assert_eq!(before.dibao_standard_urban.until, Some(d(2026, 6, 30)));
    assert_eq!(&*before.dibao_standard_urban.reference, "ref A");
    assert_eq!(on.dibao_standard_urban.value.0, yuan(1100));
    assert_eq!(on.dibao_standard_urban.from, d(2026, 7, 1));
    assert_eq!(on.dibao_standard_urban.until, None);
}

#[test]
fn before_first_value_is_not_in_force() {
    let p = load(&minimal_toml("", "")).unwrap();
    let e = p.resolve(rc("331102"), d(2025, 6, 30)).unwrap_err();
    assert!(
        matches!(
            e,
            ParamError::NotInForce {
                param: "dibao_standard_urban",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn county_override_wins_and_falls_back_outside_its_dates() {
    let extra = r#"dibao_standard_urban = [ { from = 2026-01-01, until = 2026-03-31, value = "1050", reference = "county ref" } ]"#;
    let p = load(&minimal_toml("", extra)).unwrap();
    let r = rc("331102");
    let a = p.resolve(r, d(2025, 12, 31)).unwrap();
    assert_eq!(
        (
            a.dibao_standard_urban.value.0,
            a.dibao_standard_urban.defined_in
        ),
        (yuan(1000), rc("331100"))
    );
    let b = p.resolve(r, d(2026, 2, 1)).unwrap();
    assert_eq!(
        (
            b.dibao_standard_urban.value.0,
            b.dibao_standard_urban.defined_in
        ),
        (yuan(1050), r)
    );
    assert_eq!(&*b.dibao_standard_urban.reference, "county ref");
    let c = p.resolve(r, d(2026, 4, 1)).unwrap();
    assert_eq!(c.dibao_standard_urban.value.0, yuan(1000));
    // The city itself never sees the county override.
    let city = p.resolve(rc("331100"), d(2026, 2, 1)).unwrap();
    assert_eq!(city.dibao_standard_urban.value.0, yuan(1000));
}

#[test]
fn unknown_key_in_region_is_rejected_with_path() {
    let e = err_text(&minimal_toml("", "dibao_standrd_urban = []"));
    assert!(e.contains("test.toml"), "{e}");
    assert!(e.contains("regions.331102"), "{e}");
    assert!(e.contains("dibao_standrd_urban"), "{e}");
}

#[test]
fn unknown_key_in_dated_value_is_rejected_with_path() {
    let extra =
        r#"max_houses = [ { from = 2026-01-01, value = 2, reference = "x", note = "typo" } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(e.contains("regions.331102.max_houses[0]"), "{e}");
    assert!(e.contains("note"), "{e}");
}

#[test]
fn unknown_top_level_key_is_rejected() {
    let e = err_text(&format!("{}\n[defaults]\nx = 1\n", minimal_toml("", "")));
    assert!(e.contains("defaults"), "{e}");
}

#[test]
fn misplaced_keys_are_rejected() {
    // `reference` belongs to a dated value, not to a region.
    let e = err_text(&minimal_toml("", r#"reference = "somewhere""#));
    assert!(
        e.contains("regions.331102") && e.contains("reference"),
        "{e}"
    );
    // A parameter placed in [meta] instead of a region.
    let text = minimal_toml("", "").replacen(
        "title = \"test\"",
        "title = \"test\"\nmax_houses = [ { from = 2025-01-01, value = 1, reference = \"r\" } ]",
        1,
    );
    let e = err_text(&text);
    assert!(e.contains("meta") && e.contains("max_houses"), "{e}");
    // `parent` inside a dated value.
    let extra =
        r#"max_houses = [ { from = 2026-01-01, value = 2, reference = "x", parent = "331100" } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(e.contains("max_houses[0]") && e.contains("parent"), "{e}");
}

#[test]
fn missing_reference_is_rejected() {
    let extra = r#"max_houses = [ { from = 2026-01-01, value = 2 } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(
        e.contains("max_houses[0]") && e.contains("reference"),
        "{e}"
    );
    let extra = r#"max_houses = [ { from = 2026-01-01, value = 2, reference = "  " } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(e.contains("regions.331102.max_houses[0].reference"), "{e}");
}

#[test]
fn overlapping_dates_are_rejected() {
    let extra = r#"max_houses = [
  { from = 2026-01-01, until = 2026-06-30, value = 2, reference = "a" },
  { from = 2026-06-30, value = 3, reference = "b" } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(
        e.contains("regions.331102.max_houses[1].from") && e.contains("overlaps"),
        "{e}"
    );
    // Adjacent (until = day before next from) is fine.
    let ok = extra.replace("from = 2026-06-30", "from = 2026-07-01");
    load(&minimal_toml("", &ok)).unwrap();
}

#[test]
fn out_of_order_and_duplicate_dates_are_rejected() {
    let extra = r#"max_houses = [
  { from = 2026-07-01, value = 2, reference = "a" },
  { from = 2026-01-01, value = 3, reference = "b" } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(
        e.contains("max_houses[1].from") && e.contains("ascending"),
        "{e}"
    );
    let dup = extra.replace("2026-01-01", "2026-07-01");
    assert!(err_text(&minimal_toml("", &dup)).contains("ascending"));
}

#[test]
fn until_before_from_is_rejected() {
    let extra =
        r#"max_houses = [ { from = 2026-07-01, until = 2026-06-01, value = 2, reference = "a" } ]"#;
    let e = err_text(&minimal_toml("", extra));
    assert!(e.contains("max_houses[0].until"), "{e}");
}

#[test]
fn float_money_and_bad_yuan_strings_are_rejected() {
    for bad in ["1000.5e0", "1,000", "1000.123", "abc"] {
        let extra = format!(
            r#"vehicle_value_cap = [ {{ from = 2026-01-01, value = "{bad}", reference = "a" }} ]"#
        );
        let e = err_text(&minimal_toml("", &extra));
        assert!(e.contains("vehicle_value_cap[0].value"), "{bad}: {e}");
    }
    let extra = r#"vehicle_value_cap = [ { from = 2026-01-01, value = 1000.5, reference = "a" } ]"#;
    assert!(err_text(&minimal_toml("", extra)).contains("vehicle_value_cap[0].value"));
    let extra = r#"vehicle_value_cap = [ { from = 2026-01-01, value = "-1", reference = "a" } ]"#;
    assert!(err_text(&minimal_toml("", extra)).contains("negative"));
}

#[test]
fn missing_parameter_without_parent_is_rejected() {
    let text = minimal_toml("", "").replace(
        "linshi_township_cap = [ { from = 2025-01-01, value = \"5000\", reference = \"r\" } ]",
        "",
    );
    let e = err_text(&text);
    assert!(
        e.contains("linshi_township_cap") && e.contains("not defined"),
        "{e}"
    );
}

#[test]
fn region_tree_is_checked() {
    let e = err_text(&format!(
        "{}\n[regions.\"331202\"]\nname = \"x\"\nparent = \"331100\"\n",
        minimal_toml("", "")
    ));
    assert!(
        e.contains("regions.331202.parent") && e.contains("not inside"),
        "{e}"
    );
    let e = err_text(&format!(
        "{}\n[regions.\"331199\"]\nname = \"x\"\nparent = \"331300\"\n",
        minimal_toml("", "")
    ));
    assert!(e.contains("not defined"), "{e}");
    let e = err_text(&format!(
        "{}\n[regions.\"33110\"]\nname = \"x\"\n",
        minimal_toml("", "")
    ));
    assert!(e.contains("regions.33110"), "{e}");
}

#[test]
fn datetime_with_time_is_rejected() {
    let extra = r#"max_houses = [ { from = 2026-01-01T00:00:00, value = 2, reference = "a" } ]"#;
    assert!(err_text(&minimal_toml("", extra)).contains("max_houses[0]"));
}

#[test]
fn syntax_error_reports_line() {
    let e = load("[meta]\nschema_version = 1\ntitle = \"x\"\n[regions\n").unwrap_err();
    match e {
        ParamError::Schema { line, .. } => assert_eq!(line, 4),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn every_param_name_is_in_the_default_file() {
    for n in PARAM_NAMES {
        assert!(LISHUI_HAS(n), "{n} missing from lishui.toml");
    }
}

#[allow(non_snake_case)]
fn LISHUI_HAS(name: &str) -> bool {
    jiuzhu_rules::params::LISHUI_TOML.contains(&format!("\n{name} = ["))
}

#[test]
fn change_dates_lists_the_standard_changes() {
    let p = lishui();
    let dates = p.change_dates(rc("331102")).unwrap();
    assert!(dates.contains(&d(2025, 7, 1)) && dates.contains(&d(2026, 7, 1)));
}

#[test]
fn file_loading_reports_io_errors() {
    let e = ParameterSet::load_file("/nonexistent/params.toml").unwrap_err();
    assert!(matches!(e, ParamError::Io { .. }));
    let p = ParameterSet::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/params/lishui.toml"))
        .unwrap();
    assert_eq!(p.leaf_regions().len(), 9);
}
