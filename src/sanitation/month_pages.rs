//! The monthly score page (`/sanitation/months?month=YYYY-MM`): each district's figures in rank
//! order with a bar of its score, the appeals of the month still waiting, the centre's button to
//! close the month, and its `.xlsx` (`/sanitation/months/{month}.xlsx`).

use super::appeals::{self, AppealLine};
use super::editions;
use super::export;
use super::months::{self, DistrictMonth, MonthScores};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, Filled, field};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::sanitation::{PpeItem, WorkerRole};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/sanitation/months", get(index)).route("/sanitation/months/close", post(close)).route("/sanitation/months/{month}", get(month_xlsx))
}

#[derive(Template)]
#[template(path = "sanitation/month.html")]
struct MonthPage {
    chrome: Chrome,
    month: String,
    scores: Option<MonthScores>,
    /// The month's appeals still waiting (they keep it from closing).
    open: Vec<AppealLine>,
    can_close: bool,
    filled: Filled,
}

impl MonthPage {
    fn rate(&self, d: &DistrictMonth) -> String {
        export::rate(d.compliance_permille)
    }
    fn trend(&self, d: &DistrictMonth) -> String {
        export::trend(d.trend)
    }
    fn item(&self, d: &DistrictMonth) -> &'static str {
        d.most_missed_item.as_deref().and_then(PpeItem::parse).map_or("—", |i| self.chrome.lang.pick(i.zh(), i.en()))
    }
    fn role(&self, d: &DistrictMonth) -> &'static str {
        d.most_missed_role.as_deref().and_then(WorkerRole::parse).map_or("—", |r| self.chrome.lang.pick(r.zh(), r.en()))
    }
    fn time(&self, micros: &i64) -> String {
        crate::clock::format_micros(*micros)
    }
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

async fn index(State(state): State<AppState>, caller: Caller, lang: Lang, Query(q): Query<MonthQuery>) -> AppResult<Response> {
    let month = q.month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| months::of_day(crate::clock::today()));
    show(&state, &caller, lang, month, Filled::default()).await
}

async fn show(state: &AppState, caller: &Caller, lang: Lang, month: String, mut filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReadSanitation)?;
    let all = editions::load(&state.db).await?;
    let today = crate::clock::today();
    let scores = match months::scores(&state.lists, &caller.scope, &all, &month, today).await {
        Ok(scores) => Some(scores),
        Err(AppError::Invalid(errors)) => {
            filled.errors.extend(errors);
            None
        }
        Err(e) => return Err(e),
    };
    let open = match &scores {
        Some(s) if s.closed.is_none() => appeals::list(&state.lists, &caller.scope, &all, appeals::Filter::Open, 100).await?.into_iter().filter(|a| a.month == s.month).collect(),
        _ => Vec::new(),
    };
    let can_close = caller.may(Permission::ReviewSanitation)
        && scores.as_ref().is_some_and(|s| s.closed.is_none())
        && months::parse(&all, &month, today).is_ok_and(|(_, _, _, edition)| months::is_centre(&caller.scope, edition));
    let page = MonthPage { chrome: Chrome::for_caller(state, caller, lang, lang.pick("月度环卫考核", "Monthly sanitation scores")).await?, month, scores, open, can_close, filled };
    let status = page.filled.status();
    Ok(render(status, &page))
}

async fn close(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReviewSanitation)?;
    let month = field(&form, "month").to_string();
    let all = editions::load(&state.db).await?;
    match months::close(&state.db, &caller.actor(), &caller.scope, &all, &month, crate::clock::today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/sanitation/months?month={}", crate::web::pages::urlencode(&month))).into_response()),
        Err(AppError::Invalid(errors)) => show(&state, &caller, lang, month, Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => show(&state, &caller, lang, month, Filled::new(form, vec![crate::error::FieldError::new("month", "conflict", message)])).await,
        Err(e) => Err(e),
    }
}

/// The month's scores as `.xlsx` (`{month}` is `YYYY-MM.xlsx` on the page, `YYYY-MM` through the API).
pub(super) async fn month_xlsx(State(state): State<AppState>, caller: Caller, Path(month): Path<String>) -> AppResult<Response> {
    caller.require(Permission::ReadSanitation)?;
    let month = month.strip_suffix(".xlsx").unwrap_or(&month);
    let all = editions::load(&state.db).await?;
    let scores = months::scores(&state.lists, &caller.scope, &all, month, crate::clock::today()).await?;
    let names = state.unit_names.get(&state.db).await?;
    let book = export::month(&scores, |code| names.get(code).cloned().unwrap_or_else(|| code.to_string())).map_err(|e| AppError::Internal(e.into()))?;
    let filename = format!("月度环卫考核-{}.xlsx", scores.month);
    let disposition = format!("attachment; filename=\"sanitation-{}.xlsx\"; filename*=UTF-8''{}", scores.month, crate::web::pages::urlencode(&filename));
    Ok(([(header::CONTENT_TYPE, crate::ledger_io::xlsx::CONTENT_TYPE.to_string()), (header::CONTENT_DISPOSITION, disposition)], book).into_response())
}
