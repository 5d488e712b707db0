//! `/api/v1/reports/daily` (JSON) and `/api/v1/reports/daily.xlsx`.

use super::daily::{self, DailyReport};
use super::dashboard::{self, Dashboard};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::i18n::Lang;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fangkong_rules::OrgCode;
use serde::Deserialize;
use time::Date;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(daily_json)).routes(routes!(daily_xlsx)).routes(routes!(dashboard_json))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DailyParams {
    /// A unit in the caller's jurisdiction; the caller's own unit when absent.
    pub org: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
}

/// The unit and date asked for: the date must be a real one, not after today.
pub fn unit_and_date(caller: &Caller, org: Option<&str>, date: Option<&str>) -> AppResult<(OrgCode, Date)> {
    caller.require(Permission::ReadReports)?;
    let unit = caller.unit_asked(org)?;
    let today = crate::clock::today();
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => crate::web::when::date("date", d)?,
    };
    if date > today {
        return Err(AppError::invalid("date", "date_future", "不能查询今天以后的日报"));
    }
    Ok((unit, date))
}

/// The report of a unit in the caller's jurisdiction.
pub async fn load(state: &AppState, caller: &Caller, org: Option<&str>, date: Option<&str>) -> AppResult<DailyReport> {
    let (unit, date) = unit_and_date(caller, org, date)?;
    daily::report(&state.db, &caller.scope, &unit, date).await?.ok_or(AppError::NotFound)
}

/// The daily report (日报) of a unit: every indicator with its breakdown by child unit.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", params(DailyParams),
    responses((status = 200, body = DailyReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn daily_json(State(state): State<AppState>, caller: Caller, Query(p): Query<DailyParams>) -> AppResult<Json<DailyReport>> {
    Ok(Json(load(&state, &caller, p.org.as_deref(), p.date.as_deref()).await?))
}

/// The daily report as an `.xlsx` workbook with Chinese headers.
#[utoipa::path(get, path = "/api/v1/reports/daily.xlsx", tag = "reports", params(DailyParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
async fn daily_xlsx(State(state): State<AppState>, caller: Caller, Query(p): Query<DailyParams>) -> AppResult<Response> {
    let report = load(&state, &caller, p.org.as_deref(), p.date.as_deref()).await?;
    xlsx_response(&report)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DashboardParams {
    /// A unit in the caller's jurisdiction; the caller's own unit when absent.
    pub org: Option<String>,
}

/// The dashboard of a unit in the caller's jurisdiction, today.
pub async fn load_dashboard(state: &AppState, caller: &Caller, org: Option<&str>, lang: Lang) -> AppResult<Dashboard> {
    let (unit, today) = unit_and_date(caller, org, None)?;
    dashboard::dashboard(&state.db, &caller.scope, &unit, today, crate::db::now_micros(), lang).await?.ok_or(AppError::NotFound)
}

/// The command-centre dashboard: today's key figures, trends, the breakdown by child unit, beds.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "reports", params(DashboardParams),
    responses((status = 200, body = Dashboard), (status = 404, body = ErrorBody)))]
/// Labelled in the language of the caller's `fk_lang` cookie (the page's refresh), Chinese otherwise.
async fn dashboard_json(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<DashboardParams>) -> AppResult<Json<Dashboard>> {
    Ok(Json(load_dashboard(&state, &caller, p.org.as_deref(), lang).await?))
}

/// A report's workbook as a download named after the unit and date.
pub fn xlsx_response(report: &DailyReport) -> AppResult<Response> {
    let bytes = super::xlsx::daily(report).map_err(|e| AppError::Internal(e.into()))?;
    let name = format!("{}-日报-{}.xlsx", report.org_name, report.date);
    let disposition = format!("attachment; filename=\"daily-report.xlsx\"; filename*=UTF-8''{}", crate::web::pages::urlencode(&name));
    Ok(([(header::CONTENT_TYPE, crate::ledger_io::xlsx::CONTENT_TYPE.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
