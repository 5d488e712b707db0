//! `/api/v1/observations`, check-ins, sites, alerts and the today list.

use super::checkins::{self, CheckIn, CheckInInput, Recorded, Source, Submission, Target};
use super::episodes::{self, Episode, NewEpisode};
use super::needs::{self, Need, NeedKind, NeedStatus, Requester};
use super::sites::{self, Site};
use super::today::{self, AlertLine, Today};
use super::{Kind, Status};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::ApiJson;
use crate::web::when;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_observation))
        .routes(routes!(get_observation))
        .routes(routes!(restart_observation))
        .routes(routes!(end_observation))
        .routes(routes!(create_check_in))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(list_alerts))
        .routes(routes!(handle_alert))
        .routes(routes!(get_today))
        .routes(routes!(list_needs))
        .routes(routes!(create_need))
        .routes(routes!(advance_need))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    pub person_id: i64,
    /// `home` or `centralized`.
    pub kind: String,
    /// The last exposure or arrival day, `YYYY-MM-DD`.
    pub start_date: String,
    /// The centralized site (required for `centralized`).
    pub site_id: Option<i64>,
}

impl StartInput {
    pub fn parse(&self) -> AppResult<NewEpisode> {
        let kind = Kind::parse(&self.kind).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择居家或集中医学观察"))?;
        let start_date = when::happened_on("start_date", &self.start_date)?;
        Ok(NewEpisode { person_id: self.person_id, kind, site_id: self.site_id, start_date, closing_case: None })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EpisodeDetail {
    #[serde(flatten)]
    pub episode: Episode,
    /// Day N of the observation today (day 1 is the start day).
    pub day: i64,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub last_day: time::Date,
    pub check_ins: Vec<CheckIn>,
    /// The resident's self-report path (`/r/TOKEN`), for staff who keep the ledger, while active.
    pub report_path: Option<String>,
}

pub async fn detail(state: &AppState, caller: &Caller, episode: Episode) -> AppResult<EpisodeDetail> {
    let check_ins = checkins::history(&state.db, episode.id).await?;
    let report_path = (caller.may(Permission::WriteLedger) && episode.is_active()).then(|| format!("/r/{}", episode.report_token));
    Ok(EpisodeDetail { day: episode.day(clock::today()), last_day: episode.last_day(), check_ins, report_path, episode })
}

#[utoipa::path(post, path = "/api/v1/observations", tag = "observation", request_body = StartInput,
    responses((status = 201, body = EpisodeDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn start_observation(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<StartInput>) -> AppResult<(StatusCode, Json<EpisodeDetail>)> {
    caller.require(Permission::WriteLedger)?;
    let episode = episodes::start(&state.db, &caller.actor(), &caller.scope, &input.parse()?, clock::today()).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller, episode).await?)))
}

async fn in_scope(state: &AppState, caller: &Caller, id: i64) -> AppResult<Episode> {
    caller.require(Permission::ReadPersons)?;
    episodes::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/observations/{id}", tag = "observation", params(("id" = i64, Path)),
    responses((status = 200, body = EpisodeDetail), (status = 404, body = ErrorBody)))]
async fn get_observation(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<EpisodeDetail>> {
    let episode = in_scope(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, episode).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartInput {
    /// The new last exposure, `YYYY-MM-DD`.
    pub start_date: String,
}

#[utoipa::path(post, path = "/api/v1/observations/{id}/restart", tag = "observation", params(("id" = i64, Path)), request_body = RestartInput,
    responses((status = 200, body = EpisodeDetail), (status = 422, body = ErrorBody)))]
async fn restart_observation(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<RestartInput>) -> AppResult<Json<EpisodeDetail>> {
    caller.require(Permission::WriteLedger)?;
    let day = when::happened_on("start_date", &input.start_date)?;
    let episode = episodes::restart(&state.db, &caller.actor(), &caller.scope, id, day, clock::today()).await?;
    Ok(Json(detail(&state, &caller, episode).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    /// `ended_healthy`, `transferred` or `lost`.
    pub outcome: String,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/observations/{id}/end", tag = "observation", params(("id" = i64, Path)), request_body = EndInput,
    responses((status = 200, body = EpisodeDetail), (status = 422, body = ErrorBody)))]
async fn end_observation(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<EndInput>) -> AppResult<Json<EpisodeDetail>> {
    caller.require(Permission::WriteLedger)?;
    let outcome = Status::parse(&input.outcome).ok_or_else(|| AppError::invalid("outcome", "outcome_invalid", "请选择结束方式"))?;
    let episode = episodes::end(&state.db, &caller.actor(), &caller.scope, id, outcome, input.note.as_deref(), clock::today()).await?;
    Ok(Json(detail(&state, &caller, episode).await?))
}

/// Records a worker's check-in for an active episode in scope.
pub async fn worker_check_in(state: &AppState, caller: &Caller, id: i64, input: &CheckInInput) -> AppResult<Recorded> {
    caller.require(Permission::WriteLedger)?;
    let episode = in_scope(state, caller, id).await?;
    if !episode.is_active() {
        return Err(AppError::Conflict { message: "该医学观察已结束".into(), existing_id: None });
    }
    let valid = input.validate(clock::hour()).map_err(AppError::Invalid)?;
    state.checkins.record(Submission { target: Target::Episode(Box::new(episode)), input: Some(valid), source: Source::Worker(caller.actor()), today: clock::today() }).await
}

#[utoipa::path(post, path = "/api/v1/observations/{id}/check-ins", tag = "observation", params(("id" = i64, Path)), request_body = CheckInInput,
    responses((status = 201, body = Recorded), (status = 200, body = Recorded, description = "already recorded under this idempotency key"), (status = 422, body = ErrorBody)))]
async fn create_check_in(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<CheckInInput>) -> AppResult<(StatusCode, Json<Recorded>)> {
    let recorded = worker_check_in(&state, &caller, id, &input).await?;
    Ok((if recorded.duplicate { StatusCode::OK } else { StatusCode::CREATED }, Json(recorded)))
}

#[utoipa::path(get, path = "/api/v1/observation-sites", tag = "observation", responses((status = 200, body = Vec<Site>)))]
async fn list_sites(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Site>>> {
    Ok(Json(sites::list(&state.db, &caller.scope).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    pub org_code: String,
    pub name: String,
    pub address: Option<String>,
    pub capacity: i64,
}

#[utoipa::path(post, path = "/api/v1/observation-sites", tag = "observation", request_body = SiteInput,
    responses((status = 201, body = crate::web::json::Created), (status = 422, body = ErrorBody)))]
async fn create_site(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<SiteInput>) -> AppResult<(StatusCode, Json<crate::web::json::Created>)> {
    caller.require(Permission::WriteLedger)?;
    let org = crate::web::params::parse_code("org_code", &input.org_code)?;
    let id = sites::create(&state.db, &caller.actor(), &caller.scope, &org, &input.name, input.address.as_deref(), input.capacity).await?;
    Ok((StatusCode::CREATED, Json(crate::web::json::Created { id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AlertParams {
    /// Only alerts unhandled past the escalation limit.
    pub escalated: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "observation", params(AlertParams), responses((status = 200, body = Vec<AlertLine>)))]
async fn list_alerts(State(state): State<AppState>, caller: Caller, Query(p): Query<AlertParams>) -> AppResult<Json<Vec<AlertLine>>> {
    caller.require(Permission::ReadPersons)?;
    let alerts = today::open_alerts(&state.lists, &caller.scope, p.escalated.unwrap_or(false), clock::today(), 200).await?;
    Ok(Json(if caller.may(Permission::ViewFullPerson) { alerts } else { alerts.into_iter().map(today::AlertLine::masked).collect() }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleInput {
    /// What was done, e.g. "已送县人民医院发热门诊".
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/handle", tag = "observation", params(("id" = i64, Path)), request_body = HandleInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn handle_alert(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<HandleInput>) -> AppResult<StatusCode> {
    caller.require(Permission::WriteLedger)?;
    today::handle_alert(&state.db, &caller.actor(), &caller.scope, id, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn today_for(state: &AppState, caller: &Caller) -> AppResult<Today> {
    caller.require(Permission::ReadPersons)?;
    let worklist = today::today(&state.db, &caller.scope, caller.org_code.level(), clock::today(), clock::hour()).await?;
    Ok(if caller.may(Permission::ViewFullPerson) { worklist } else { worklist.masked() })
}

#[utoipa::path(get, path = "/api/v1/today", tag = "observation", responses((status = 200, body = Today)))]
async fn get_today(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Today>> {
    Ok(Json(today_for(&state, &caller).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct NeedParams {
    /// `open`, `assigned` or `done`; default: everything not done, overdue first.
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/needs", tag = "observation", params(NeedParams), responses((status = 200, body = Vec<Need>)))]
async fn list_needs(State(state): State<AppState>, caller: Caller, Query(p): Query<NeedParams>) -> AppResult<Json<Vec<Need>>> {
    caller.require(Permission::ReadPersons)?;
    let status =
        p.status.as_deref().filter(|s| !s.is_empty()).map(|s| NeedStatus::parse(s).ok_or_else(|| AppError::BadRequest { message: "status 无效".into(), field: Some("status".into()) })).transpose()?;
    Ok(Json(needs::board(&state.lists, &caller.scope, status, 200).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    /// `food`, `medicine`, `medical_visit`, `counselling`, `rubbish`, `other`.
    pub kind: String,
    pub detail: Option<String>,
    /// A client-generated UUID: asking again with the same key records nothing new.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl NeedInput {
    /// The request as asked, its kind known.
    pub fn asked(&self) -> AppResult<needs::Asked<'_>> {
        let kind = NeedKind::parse(&self.kind).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择需求类别"))?;
        Ok(needs::Asked { kind, detail: self.detail.as_deref(), idempotency_key: self.idempotency_key.as_deref() })
    }
}

/// 201 for a request recorded now, 200 for one already recorded under its key.
pub fn need_created(requested: needs::Requested) -> (StatusCode, Json<crate::web::json::Created>) {
    (if requested.duplicate { StatusCode::OK } else { StatusCode::CREATED }, Json(crate::web::json::Created { id: requested.id }))
}

/// Records a worker's request for a person under an active observation in scope.
pub async fn worker_need(state: &AppState, caller: &Caller, episode_id: i64, input: &NeedInput) -> AppResult<needs::Requested> {
    caller.require(Permission::WriteLedger)?;
    let episode = in_scope(state, caller, episode_id).await?;
    if !episode.is_active() {
        return Err(AppError::Conflict { message: "该医学观察已结束".into(), existing_id: None });
    }
    needs::request(&state.db, &episode, input.asked()?, Requester::Worker(&caller.actor())).await
}

#[utoipa::path(post, path = "/api/v1/observations/{id}/needs", tag = "observation", params(("id" = i64, Path)), request_body = NeedInput,
    responses((status = 201, body = crate::web::json::Created), (status = 200, body = crate::web::json::Created, description = "already recorded under this idempotency key"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_need(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<NeedInput>) -> AppResult<(StatusCode, Json<crate::web::json::Created>)> {
    Ok(need_created(worker_need(&state, &caller, id, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceInput {
    /// `assigned` (with `text` naming who) or `done` (with `text` saying what was done).
    pub status: String,
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/needs/{id}/advance", tag = "observation", params(("id" = i64, Path)), request_body = AdvanceInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn advance_need(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<AdvanceInput>) -> AppResult<StatusCode> {
    caller.require(Permission::WriteLedger)?;
    let to = NeedStatus::parse(&input.status).filter(|s| *s != NeedStatus::Open).ok_or_else(|| AppError::invalid("status", "status_invalid", "状态应为已指派或已完成"))?;
    needs::advance(&state.db, &caller.actor(), &caller.scope, id, to, &input.text).await?;
    Ok(StatusCode::NO_CONTENT)
}
