//! 救助管理月报: the monthly rescue report on screen, as an Excel file, and down to the
//! cases behind every figure.

use super::ListQuery;
use crate::error::{AppError, AppResult};
use crate::guard::Ctx;
use crate::views::{layout, render, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{Datelike, Utc};
use jiuzhu_domain::authz::{Action, Resource};
use jiuzhu_domain::report::{month_bounds, monthly, MonthlyReport};
use jiuzhu_storage::station::CaseView;

/// The province whose 本省/外省 split the report uses: the caller's own.
fn home_province(ctx: &Ctx) -> String {
    ctx.user
        .as_ref()
        .map(|u| u.region_code[..2].to_string())
        .unwrap_or_else(|| "33".into())
}

/// `2026-10` → (2026, 10); blank or malformed means last month.
fn month_param(q: &ListQuery) -> AppResult<(i32, u32)> {
    match q.get("month") {
        None => {
            let today =
                jiuzhu_domain::time::local_date(Utc::now().timestamp_millis()).expect("now");
            let last = today - chrono::Months::new(1);
            Ok((last.year(), last.month()))
        }
        Some(m) => {
            let (y, mo) = m
                .split_once('-')
                .ok_or(AppError::invalid("month_invalid", "month"))?;
            let y: i32 = y
                .parse()
                .map_err(|_| AppError::invalid("month_invalid", "month"))?;
            let mo: u32 = mo
                .parse()
                .map_err(|_| AppError::invalid("month_invalid", "month"))?;
            if !(2000..=2100).contains(&y) || !(1..=12).contains(&mo) {
                return Err(AppError::invalid("month_invalid", "month"));
            }
            Ok((y, mo))
        }
    }
}

/// The report for the month in `?month=` (default: last month) over the caller's scopes.
pub async fn build(st: &AppState, ctx: &Ctx, q: &ListQuery) -> AppResult<MonthlyReport> {
    let (y, m) = month_param(q)?;
    let (from, to) = month_bounds(y, m).ok_or(AppError::invalid("month_invalid", "month"))?;
    let scopes = ctx.scopes(Action::View, Resource::Case);
    let stays = st.db.report_stays(&scopes, from, to).await?;
    monthly(&stays, y, m, &home_province(ctx)).ok_or(AppError::invalid("month_invalid", "month"))
}

#[derive(Template)]
#[template(path = "report/monthly.html")]
struct MonthlyPage {
    l: Layout,
    r: MonthlyReport,
    month: String,
    average_days: String,
    can_export: bool,
}

pub async fn page(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let r = build(&st, &ctx, &q).await?;
    Ok(render(&MonthlyPage {
        l: layout(
            &ctx,
            &st,
            "report.title",
            &[("report.title", "/reports/monthly")],
        )
        .await,
        month: format!("{}-{:02}", r.year, r.month),
        average_days: format!("{:.1}", r.average_days_tenths as f64 / 10.0),
        can_export: ctx.can(Action::Export, Resource::Case),
        r,
    }))
}

/// The same report as an .xlsx file, one sheet, labels in the caller's language.
pub async fn xlsx(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let r = build(&st, &ctx, &q).await?;
    let tr = ctx.tr;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let fail = |_| AppError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal");
    sheet.set_column_width(0, 36).map_err(fail)?;
    sheet
        .write_string_with_format(
            0,
            0,
            format!("{} {}-{:02}", tr.t("report.title"), r.year, r.month),
            &bold,
        )
        .map_err(fail)?;
    sheet
        .write_string(1, 0, tr.t("report.average_days"))
        .map_err(fail)?;
    sheet
        .write_number(1, 1, r.average_days_tenths as f64 / 10.0)
        .map_err(fail)?;
    let mut row = 3;
    for s in &r.sections {
        sheet
            .write_string_with_format(row, 0, tr.t(&format!("report.section.{}", s.key)), &bold)
            .map_err(fail)?;
        row += 1;
        for c in &s.cells {
            sheet
                .write_string(row, 0, tr.t(&format!("report.cell.{}", c.key)))
                .map_err(fail)?;
            sheet.write_number(row, 1, c.count as f64).map_err(fail)?;
            row += 1;
        }
        row += 1;
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    let name = format!("rescue-report-{}-{:02}.xlsx", r.year, r.month);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "report/cases.html")]
struct CellPage {
    l: Layout,
    label: String,
    month: String,
    cases: Vec<CaseView>,
}

/// The cases behind one figure.
pub async fn cell(
    State(st): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let r = build(&st, &ctx, &q).await?;
    let key = q.get("cell").ok_or_else(AppError::not_found)?;
    let cell = r.cell(key).ok_or_else(AppError::not_found)?;
    let mut cases = Vec::new();
    for id in cell.case_ids.iter().take(500) {
        cases.push(st.db.case(*id).await?);
    }
    Ok(render(&CellPage {
        l: layout(
            &ctx,
            &st,
            "report.cases",
            &[("report.title", "/reports/monthly"), ("report.cases", "")],
        )
        .await,
        label: ctx.tr.t(&format!("report.cell.{}", cell.key)),
        month: format!("{}-{:02}", r.year, r.month),
        cases,
    }))
}
