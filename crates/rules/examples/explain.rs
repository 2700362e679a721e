//! Print one 低保 decision as JSON: `cargo run --example explain`.
use jiuzhu_rules::*;

fn main() {
    let params = ParameterSet::lishui_default();
    let h = Household {
        region: "331127".parse().unwrap(), // 景宁畲族自治县
        area: Area::Rural,
        members: 3,
        monthly_income: Fen::parse_yuan("2100.50").unwrap(),
        financial_assets: Fen::from_yuan(20_000).unwrap(),
        houses: 1,
        vehicle_value: Fen::ZERO,
        has_business: false,
        special: SpecialCounts {
            severe_disability: 0,
            elderly: 1,
            minors: 1,
        },
    };
    let d = evaluate_dibao(&params, &h, Date::ymd(2026, 7, 1)).unwrap();
    println!("{}", serde_json::to_string_pretty(&d).unwrap());
    println!("{}", d.summary_zh());
}
