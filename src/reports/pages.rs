//! `/reports/daily`: the daily report page (print-friendly), with a date picker, drill-down into
//! child units and the `.xlsx` download.

use super::daily::DailyReport;
use super::dashboard::Dashboard;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/reports/daily", get(daily_page)).route("/reports/daily.xlsx", get(daily_download)).route("/dashboard", get(dashboard_page))
}

#[derive(Template)]
#[template(path = "reports/daily.html")]
struct DailyPage {
    chrome: Chrome,
    report: DailyReport,
    /// The unit above, when it is in the caller's jurisdiction.
    parent: Option<String>,
    /// What was wrong with the date asked for (today's report is shown instead).
    date_error: Option<String>,
    /// When the page was made, Beijing time: the printed sheet says when it was printed.
    printed_at: String,
}

async fn daily_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<super::api::DailyParams>) -> AppResult<Response> {
    let (report, date_error) = match super::api::load(&state, &caller, p.org.as_deref(), p.date.as_deref()).await {
        Err(AppError::Invalid(fields)) => {
            let message = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(";");
            (super::api::load(&state, &caller, p.org.as_deref(), None).await?, Some(message))
        }
        other => (other?, None),
    };
    let parent = parent_in_scope(&caller, &report.org_code);
    let title = format!("{} {}", report.org_name, lang.pick("日报", "daily report"));
    let status = if date_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = DailyPage {
        chrome: Chrome::for_caller(&state, &caller, lang, &title).await?,
        report: report.in_language(lang),
        parent,
        date_error,
        printed_at: crate::clock::format_micros(crate::db::now_micros()),
    };
    Ok(render(status, &page))
}

async fn daily_download(State(state): State<AppState>, caller: Caller, Query(p): Query<super::api::DailyParams>) -> AppResult<Response> {
    let report = super::api::load(&state, &caller, p.org.as_deref(), p.date.as_deref()).await?;
    super::api::xlsx_response(&report)
}

#[derive(Template)]
#[template(path = "reports/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    board: Dashboard,
    parent: Option<String>,
    /// The dashboard as JSON for the charts, safe inside a `<script>` element.
    data: String,
}

async fn dashboard_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<super::api::DashboardParams>) -> AppResult<Response> {
    let board = super::api::load_dashboard(&state, &caller, p.org.as_deref(), lang).await?;
    let data = serde_json::to_string(&board).map_err(|e| AppError::Internal(e.into()))?.replace('<', "\\u003c");
    let title = format!("{} {}", board.org_name, lang.pick("指挥大屏", "dashboard"));
    let page = DashboardPage { chrome: Chrome::for_caller(&state, &caller, lang, &title).await?, parent: parent_in_scope(&caller, &board.org_code), board, data };
    Ok(render(StatusCode::OK, &page))
}

/// The unit above `code`, when it is in the caller's jurisdiction (for the "up" link).
fn parent_in_scope(caller: &Caller, code: &str) -> Option<String> {
    fangkong_rules::OrgCode::parse(code).ok().and_then(|c| c.parent()).filter(|p| caller.scope.allows(p.as_str())).map(|p| p.to_string())
}
