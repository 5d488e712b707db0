//! The resident's self-report link (`/r/TOKEN`): no account, a mobile page in Chinese that says which
//! day of observation it is and takes today's report. It shows nothing beyond the masked name, stops
//! working when the episode ends, and is rate-limited.

use super::checkins::{self, CheckInInput, Recorded, Source, Submission, Target};
use super::episodes::{self, Episode};
use super::needs::{self, NeedKind, Requester};
use crate::auth::throttle;
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody, FieldError};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use crate::web::forms::{Fields, PublicForm, field};
use crate::web::json::ApiJson;
use crate::web::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use fangkong_rules::observation::Symptom;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Reports (and, separately, needs requests) per link per hour; failed look-ups per address per ten minutes.
const REPORTS_PER_HOUR: i64 = 20;
const MISSES_PER_TEN_MINUTES: i64 = 30;

pub fn page_router() -> Router<AppState> {
    Router::new().route("/r/{token}", get(report_page).post(submit_page)).route("/r/{token}/needs", axum::routing::post(submit_need_page))
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(link_status, submit_api)).routes(routes!(submit_need_api))
}

/// A link that matched nothing: misses are counted per address so that links cannot be guessed.
async fn miss(state: &AppState, addr: &str) -> AppError {
    match throttle::allow(&state.db, &format!("report-miss:{addr}"), MISSES_PER_TEN_MINUTES, 600_000_000).await {
        Ok(true) => AppError::NotFound,
        Ok(false) => AppError::RateLimited,
        Err(e) => e.into(),
    }
}

/// The active episode behind a link. The link of an ended episode answers 410 with a plain
/// explanation and nothing about the person.
async fn episode_for(state: &AppState, token: &str, addr: &str) -> AppResult<Episode> {
    match episodes::by_report_token(&state.db, token).await? {
        Some(e) if e.is_active() => Ok(e),
        Some(_) => Err(checkins::link_expired()),
        None => Err(miss(state, addr).await),
    }
}

/// Validates and records a resident's report through the link; the writer looks the link up with
/// the rest of its batch and counts it against the link's hourly allowance. A report refused here
/// (it did not parse, or broke a rule) is counted all the same, so that a client sending bad
/// reports is limited like one sending good ones; past the allowance it answers 429.
async fn submit(state: &AppState, token: &str, input: AppResult<CheckInInput>) -> AppResult<Recorded> {
    let today = clock::today();
    let valid = match input.and_then(|i| i.validate(clock::hour()).map_err(AppError::Invalid)) {
        Ok(valid) => valid,
        Err(refusal) => {
            return Err(match state.checkins.record(Submission::refused(token, REPORTS_PER_HOUR, today)).await {
                Err(AppError::Invalid(_)) | Ok(_) => refusal,
                Err(link_refused) => link_refused,
            });
        }
    };
    let target = Target::Link { token: token.to_string(), per_hour: REPORTS_PER_HOUR };
    state.checkins.record(Submission { target, input: Some(valid), source: Source::Resident, today }).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkStatus {
    /// Masked.
    pub name: String,
    pub day: i64,
    pub period_days: i64,
    /// Half-days already reported today (`am`, `pm`).
    pub reported_today: Vec<String>,
}

impl LinkStatus {
    pub fn reported(&self, slot: &str) -> bool {
        self.reported_today.iter().any(|s| s == slot)
    }
}

async fn status(state: &AppState, episode: &Episode) -> AppResult<LinkStatus> {
    let person = crate::people::store::get(&state.db, &fangkong_rules::Scope::everything(), episode.person_id).await?.ok_or(AppError::NotFound)?;
    let today = clock::today();
    let reported_today = checkins::history(&state.db, episode.id).await?.into_iter().filter(|c| c.day == today).map(|c| c.slot).collect();
    Ok(LinkStatus { name: fangkong_rules::mask::mask_name(&person.name), day: episode.day(today), period_days: episode.period_days, reported_today })
}

#[utoipa::path(get, path = "/api/v1/self-report/{token}", tag = "self-report", params(("token" = String, Path)), security(()),
    responses((status = 200, body = LinkStatus), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn link_status(State(state): State<AppState>, Extension(addr): Extension<ClientAddr>, Path(token): Path<String>) -> AppResult<Json<LinkStatus>> {
    let episode = episode_for(&state, &token, &addr.0).await?;
    Ok(Json(status(&state, &episode).await?))
}

#[utoipa::path(post, path = "/api/v1/self-report/{token}", tag = "self-report", params(("token" = String, Path)), request_body = CheckInInput, security(()),
    responses((status = 201, body = Recorded), (status = 200, body = Recorded, description = "already recorded under this idempotency key"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn submit_api(
    State(state): State<AppState>,
    Extension(addr): Extension<ClientAddr>,
    Path(token): Path<String>,
    body: AppResult<ApiJson<CheckInInput>>,
) -> AppResult<(StatusCode, Json<Recorded>)> {
    let recorded = match submit(&state, &token, body.map(|ApiJson(input)| input)).await {
        Err(AppError::NotFound) => return Err(miss(&state, &addr.0).await),
        other => other?,
    };
    Ok((if recorded.duplicate { StatusCode::OK } else { StatusCode::CREATED }, Json(recorded)))
}

#[derive(Template)]
#[template(path = "observation/report.html")]
struct ReportPage {
    /// The link's own token, for the forms' actions (the resident already holds it).
    token: String,
    status: LinkStatus,
    idempotency_key: String,
    /// The needs form's own key, so a resent request is recorded once.
    need_key: String,
    symptoms: Vec<(&'static str, &'static str)>,
    temperature: String,
    errors: Vec<FieldError>,
    /// After a report: what was received, and whether it raised an alert.
    done: Option<(String, bool)>,
    need_kinds: Vec<(&'static str, &'static str)>,
    need_received: bool,
}

impl ReportPage {
    fn error(&self, field: &str) -> Option<&str> {
        crate::web::forms::field_message(&self.errors, field, crate::web::i18n::Lang::Zh)
    }

    /// A fresh page for the link: an empty form with a new idempotency key.
    async fn fresh(state: &AppState, token: &str, episode: &Episode) -> AppResult<ReportPage> {
        Ok(ReportPage {
            token: token.to_string(),
            status: status(state, episode).await?,
            idempotency_key: crate::auth::sessions::random_token()[..32].to_string(),
            need_key: crate::auth::sessions::random_token()[..32].to_string(),
            symptoms: symptom_options(),
            temperature: String::new(),
            errors: Vec::new(),
            done: None,
            need_kinds: NeedKind::options(crate::web::i18n::Lang::Zh),
            need_received: false,
        })
    }
}

fn symptom_options() -> Vec<(&'static str, &'static str)> {
    Symptom::ALL.iter().filter(|s| **s != Symptom::Fever).map(|s| (s.as_str(), s.zh())).collect()
}

async fn report_page(State(state): State<AppState>, Extension(addr): Extension<ClientAddr>, Path(token): Path<String>) -> AppResult<Response> {
    let episode = episode_for(&state, &token, &addr.0).await?;
    Ok(render(StatusCode::OK, &ReportPage::fresh(&state, &token, &episode).await?))
}

/// The page form: symptoms arrive as repeated `symptom` fields.
async fn submit_page(State(state): State<AppState>, Extension(addr): Extension<ClientAddr>, Path(token): Path<String>, form: AppResult<PublicForm<Fields>>) -> AppResult<Response> {
    let episode = episode_for(&state, &token, &addr.0).await?;
    let fields = form.as_ref().map(|PublicForm(f)| f.clone()).unwrap_or_default();
    let input = form.map(|_| CheckInInput {
        slot: None,
        temperature: field(&fields, "temperature").to_string(),
        symptoms: fields.iter().filter(|(k, _)| k == "symptom").map(|(_, v)| v.clone()).collect(),
        note: Some(field(&fields, "note").to_string()),
        idempotency_key: Some(field(&fields, "idempotency_key").to_string()),
    });
    let (status_code, errors, done) = match submit(&state, &token, input).await {
        Ok(r) => (StatusCode::OK, Vec::new(), Some((field(&fields, "temperature").to_string(), !r.alerts.is_empty()))),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Err(e) => return Err(e),
    };
    let mut page = ReportPage::fresh(&state, &token, &episode).await?;
    if done.is_none() && !fields.is_empty() {
        // Keep what was typed, and the key, so a corrected resubmission is still one report.
        page.idempotency_key = field(&fields, "idempotency_key").to_string();
        page.temperature = field(&fields, "temperature").to_string();
    }
    page.errors = errors;
    page.done = done;
    Ok(render(status_code, &page))
}

/// Counted against the link's hourly allowance for requests before anything else, so refused
/// requests count too.
async fn submit_need(state: &AppState, episode: &Episode, input: AppResult<super::api::NeedInput>) -> AppResult<needs::Requested> {
    if !throttle::allow(&state.db, &format!("needs:{}", episode.id), REPORTS_PER_HOUR, 3_600_000_000).await? {
        return Err(AppError::RateLimited);
    }
    let input = input?;
    needs::request(&state.db, episode, input.asked()?, Requester::Resident).await
}

#[utoipa::path(post, path = "/api/v1/self-report/{token}/needs", tag = "self-report", params(("token" = String, Path)), request_body = super::api::NeedInput, security(()),
    responses((status = 201, body = crate::web::json::Created), (status = 200, body = crate::web::json::Created, description = "already recorded under this idempotency key"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn submit_need_api(
    State(state): State<AppState>,
    Extension(addr): Extension<ClientAddr>,
    Path(token): Path<String>,
    body: AppResult<ApiJson<super::api::NeedInput>>,
) -> AppResult<(StatusCode, Json<crate::web::json::Created>)> {
    let episode = episode_for(&state, &token, &addr.0).await?;
    Ok(super::api::need_created(submit_need(&state, &episode, body.map(|ApiJson(input)| input)).await?))
}

async fn submit_need_page(State(state): State<AppState>, Extension(addr): Extension<ClientAddr>, Path(token): Path<String>, form: AppResult<PublicForm<Fields>>) -> AppResult<Response> {
    let episode = episode_for(&state, &token, &addr.0).await?;
    let input = form.map(|PublicForm(fields)| super::api::NeedInput {
        kind: field(&fields, "kind").to_string(),
        detail: Some(field(&fields, "detail").to_string()),
        idempotency_key: Some(field(&fields, "idempotency_key").to_string()),
    });
    let (status_code, errors) = match submit_need(&state, &episode, input).await {
        Ok(_) => (StatusCode::OK, Vec::new()),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(e) => return Err(e),
    };
    let mut page = ReportPage::fresh(&state, &token, &episode).await?;
    page.need_received = errors.is_empty();
    page.errors = errors;
    Ok(render(status_code, &page))
}
