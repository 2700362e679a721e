//! The monthly report over the demo city's year equals an independent count made with
//! plain SQL over the same database, figure by figure, for every month.

use chrono::{Datelike, Utc};
use jiuzhu_domain::report::{month_bounds, monthly};
use jiuzhu_domain::RegionCode;
use jiuzhu_storage::{Db, Keyring, PasswordHasher};
use sqlx::Connection;

#[tokio::test]
async fn the_monthly_report_matches_an_independent_count() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/report.db", dir.path().display());
    let db = Db::connect(&url, Keyring::ephemeral()).await.unwrap();
    let opts = jiuzhu_demo::DemoOptions {
        extra_staff: 0,
        station_history: 240,
        outreach_days: 0,
        password: Some("Demo-pass-2026".into()),
        ..Default::default()
    };
    jiuzhu_demo::seed(&db, &PasswordHasher::with_cost(1024, 1), &opts)
        .await
        .unwrap();
    let mut raw = sqlx::AnyConnection::connect(&url).await.unwrap();
    let scope = [RegionCode::parse("331100").unwrap()];
    let today = Utc::now().date_naive();
    let mut months_with_data = 0;
    for back in 0..12 {
        let d = today - chrono::Months::new(back);
        let (y, m) = (d.year(), d.month());
        let (from, to) = month_bounds(y, m).unwrap();
        let stays = db.report_stays(&scope, from, to).await.unwrap();
        let r = monthly(&stays, y, m, "33").unwrap();
        let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
        let helped = count(
            &mut raw,
            "SELECT COUNT(*) FROM cases WHERE admitted_at >= $F AND admitted_at < $T",
            f,
            t,
        )
        .await;
        assert_eq!(
            r.cell("total.helped").unwrap().count,
            helped,
            "{y}-{m} helped"
        );
        months_with_data += usize::from(helped > 0);
        let women = count(&mut raw, "SELECT COUNT(*) FROM cases c JOIN persons p ON p.id = c.person_id WHERE p.sex = 'female' AND c.admitted_at >= $F AND c.admitted_at < $T", f, t).await;
        assert_eq!(r.cell("sex.female").unwrap().count, women, "{y}-{m} women");
        for (cell, kind) in [
            ("exit.escorted_home", "escorted_home"),
            ("exit.collected", "collected_by_relatives"),
            ("exit.left_without_notice", "left_without_notice"),
            ("exit.terminated", "terminated"),
            ("exit.transferred", "transferred"),
            ("exit.died", "died"),
        ] {
            let n = count(&mut raw, &format!("SELECT COUNT(*) FROM cases WHERE exit_kind = '{kind}' AND admitted_at IS NOT NULL AND departed_at >= $F AND departed_at < $T"), f, t).await;
            assert_eq!(r.cell(cell).unwrap().count, n, "{y}-{m} {cell}");
        }
        let left_behind = count(
            &mut raw,
            "SELECT COUNT(*) FROM cases c JOIN persons p ON p.id = c.person_id WHERE p.special_groups LIKE '%left_behind_child%' AND c.admitted_at >= $F AND c.admitted_at < $T",
            f,
            t,
        )
        .await;
        assert_eq!(
            r.cell("special.left_behind_child").unwrap().count,
            left_behind,
            "{y}-{m} left-behind children"
        );
        let self_discharge = count(&mut raw, "SELECT COUNT(*) FROM cases WHERE exit_kind = 'self_discharge' AND departed_at >= $F AND departed_at < $T", f, t).await;
        assert_eq!(
            r.cell("exit.ticket").unwrap().count + r.cell("exit.went_home").unwrap().count,
            self_discharge,
            "{y}-{m} self-discharge"
        );
        let stranded = count(&mut raw, "SELECT COUNT(*) FROM cases WHERE admitted_at IS NOT NULL AND admitted_at < $T AND (departed_at IS NULL OR departed_at >= $T)", f, t).await;
        assert_eq!(
            r.cell("exit.still_stranded").unwrap().count,
            stranded,
            "{y}-{m} stranded"
        );
        // Every figure's cases are the figure: the drill-down cannot disagree.
        for s in &r.sections {
            for c in &s.cells {
                assert_eq!(c.count, c.case_ids.len());
            }
        }
    }
    assert!(
        months_with_data >= 10,
        "the demo year fills the months: {months_with_data}"
    );
}

/// An independent count: plain SQL, `$F`/`$T` the month's bounds in milliseconds.
async fn count(raw: &mut sqlx::AnyConnection, sql: &str, f: i64, t: i64) -> usize {
    let sql = sql
        .replace("$F", &f.to_string())
        .replace("$T", &t.to_string());
    sqlx::query_scalar::<_, i64>(&sql)
        .fetch_one(raw)
        .await
        .unwrap() as usize
}
