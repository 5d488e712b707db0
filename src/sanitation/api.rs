//! `/api/v1/sanitation/…`: the workforce register and the PPE inspections of the caller's area.

use super::appeals::{self, AppealLine, Decision, NewAppeal};
use super::editions;
use super::inspections::{self, Inspected, InspectionLine, NewInspection};
use super::months::{self, MonthScores};
use super::photos::Photo;
use super::workforce::{self, NewWorker, Worker};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::{ApiJson, Created};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fangkong_rules::sanitation::{PpeItem, WorkerRole, Worn};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    // An inspection or an appeal may carry a photo of up to 5 MB, sent as base64.
    let with_photo = OpenApiRouter::new()
        .routes(routes!(list_inspections, record_inspection))
        .routes(routes!(file_appeal))
        .routes(routes!(import_register))
        .layer(axum::extract::DefaultBodyLimit::max(super::photos::PHOTO_JSON_LIMIT));
    OpenApiRouter::new()
        .routes(routes!(list_workers, add_worker))
        .routes(routes!(end_worker))
        .routes(routes!(list_appeals))
        .routes(routes!(decide_appeal))
        .routes(routes!(month_scores))
        .routes(routes!(close_month))
        .routes(routes!(month_xlsx))
        .routes(routes!(photo))
        .merge(with_photo)
}

/// A photo sent as base64 in `field`, checked.
fn photo_of(field: &str, base64: Option<&str>) -> AppResult<Option<Photo>> {
    use base64::Engine;
    let Some(text) = base64.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let data = base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| AppError::invalid(field, "photo_not_base64", "照片内容不是有效的 base64 编码"))?;
    Photo::checked(field, data).map(Some)
}

fn role_of(field: &str, code: &str) -> AppResult<WorkerRole> {
    WorkerRole::parse(code.trim()).ok_or_else(|| AppError::invalid(field, "role_unknown", "岗位应为 cleaner(清扫保洁)、collection(垃圾收运和垃圾站管护)或 waste_mask_collector(废弃口罩收运)"))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Rows with ids below this one (paging).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/sanitation/workers", tag = "sanitation", params(ListParams), responses((status = 200, body = Vec<Worker>)))]
async fn list_workers(State(state): State<AppState>, caller: Caller, Query(p): Query<ListParams>) -> AppResult<Json<Vec<Worker>>> {
    caller.require(Permission::ReadSanitation)?;
    Ok(Json(workforce::list(&state.lists, &caller.scope, p.before, crate::web::params::clamp_page(p.limit)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerInput {
    /// The district, or a street of it.
    pub org_code: String,
    pub name: String,
    /// 工号.
    pub number: Option<String>,
    /// `cleaner`, `collection` or `waste_mask_collector`.
    pub role: String,
    pub team: Option<String>,
    /// The day they started (default today; not later than today).
    pub started_on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sanitation/workers", tag = "sanitation", request_body = WorkerInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_worker(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<WorkerInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::InspectSanitation)?;
    let org_code = crate::web::params::parse_code("org_code", &input.org_code)?;
    let role = role_of("role", &input.role)?;
    let started_on = match input.started_on.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => crate::web::when::happened_on("started_on", d)?,
        None => crate::clock::today(),
    };
    let all = editions::load(&state.db).await?;
    let edition = editions::on(&all, crate::clock::today()).ok_or(AppError::NotFound)?;
    let worker = NewWorker { org_code, name: input.name, number: input.number, role, team: input.team, person_id: None, started_on };
    let id = workforce::add(&state.db, &caller.actor(), &caller.scope, edition, &worker).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerEndInput {
    /// The day they left (not later than today).
    pub ended_on: String,
}

#[utoipa::path(post, path = "/api/v1/sanitation/workers/{id}/end", tag = "sanitation", params(("id" = i64, Path)), request_body = WorkerEndInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn end_worker(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<WorkerEndInput>) -> AppResult<StatusCode> {
    caller.require(Permission::InspectSanitation)?;
    let day = crate::web::when::happened_on("ended_on", &input.ended_on)?;
    workforce::end(&state.db, &caller.actor(), &caller.scope, id, day).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InspectionParams {
    /// Only this day's (YYYY-MM-DD).
    pub day: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/sanitation/inspections", tag = "sanitation", params(InspectionParams),
    responses((status = 200, body = Vec<InspectionLine>), (status = 422, body = ErrorBody)))]
async fn list_inspections(State(state): State<AppState>, caller: Caller, Query(p): Query<InspectionParams>) -> AppResult<Json<Vec<InspectionLine>>> {
    caller.require(Permission::ReadSanitation)?;
    let day = p.day.as_deref().filter(|d| !d.trim().is_empty()).map(|d| crate::web::when::date("day", d)).transpose()?;
    Ok(Json(inspections::list(&state.lists, &caller.scope, day, p.before, crate::web::params::clamp_page(p.limit)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    /// Where: the district or a street of it.
    pub org_code: String,
    pub place: String,
    /// A worker on the register; or, for one who is not, `role` (and `worker_name` if known).
    pub worker_id: Option<i64>,
    pub role: Option<String>,
    pub worker_name: Option<String>,
    /// What the worker wore: `mask`, `gloves`, `disinfectant`, `rubber_boots`, `protective_suit`, `raincoat`, `goggles`.
    pub worn: Vec<String>,
    /// When (YYYY-MM-DD HH:MM, Beijing time; default now; never later).
    pub inspected_at: Option<String>,
    pub note: Option<String>,
    /// A photo (JPEG, PNG, WebP or HEIC, at most 5 MB), base64.
    pub photo_base64: Option<String>,
    pub idempotency_key: Option<String>,
}

impl InspectionInput {
    pub fn parse(self) -> AppResult<NewInspection> {
        let org_code = crate::web::params::parse_code("org_code", &self.org_code)?;
        let worker = match (self.worker_id, self.role.as_deref().filter(|r| !r.trim().is_empty())) {
            (Some(id), _) => Inspected::Registered(id),
            (None, Some(role)) => Inspected::Unnamed { role: role_of("role", role)?, name: self.worker_name },
            (None, None) => return Err(AppError::invalid("worker_id", "worker_required", "请选择被检查的作业人员,或按“未登记人员”选择岗位")),
        };
        let worn = self.worn.iter().map(|w| Worn::parse(w.trim()).ok_or_else(|| AppError::invalid("worn", "item_unknown", format!("未知的防护用品:{w}")))).collect::<AppResult<Vec<_>>>()?;
        let inspected_at = match self.inspected_at.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => crate::web::when::happened_at("inspected_at", t)?,
            None => crate::db::now_micros(),
        };
        let photo = photo_of("photo_base64", self.photo_base64.as_deref())?;
        Ok(NewInspection { org_code, place: self.place, worker, worn, inspected_at, note: self.note, photo, idempotency_key: self.idempotency_key })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InspectionRecorded {
    pub id: i64,
    /// Points off for the items missing.
    pub points: u32,
    /// `PpeItem` codes of the required items missing.
    pub missing: Vec<&'static str>,
    /// The earlier inspection of the same worker that day, when this is a second one.
    pub repeat_of: Option<i64>,
    /// The same idempotency key was seen: nothing new was recorded.
    pub duplicate: bool,
}

#[utoipa::path(post, path = "/api/v1/sanitation/inspections", tag = "sanitation", request_body = InspectionInput,
    responses((status = 201, body = InspectionRecorded), (status = 200, body = InspectionRecorded, description = "a retry: already recorded"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_inspection(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<InspectionInput>) -> AppResult<(StatusCode, Json<InspectionRecorded>)> {
    caller.require(Permission::InspectSanitation)?;
    let new = input.parse()?;
    let all = editions::load(&state.db).await?;
    let done = inspections::submit(&state.db, &state.inspections, &caller.actor(), &caller.scope, &all, &new).await?;
    let status = if done.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    let missing = done.missing.iter().map(|m| m.as_str()).collect();
    Ok((status, Json(InspectionRecorded { id: done.id, points: done.points, missing, repeat_of: done.repeat_of, duplicate: done.duplicate })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    /// The items disputed (`PpeItem` codes among those found missing): `mask`, `gloves`, `disinfectant`, `rubber_boots`, `suit_or_raincoat`, `goggles`.
    pub items: Vec<String>,
    pub reason: String,
    /// Evidence (JPEG, PNG, WebP or HEIC, at most 5 MB), base64.
    pub photo_base64: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AppealFiled {
    pub id: i64,
    /// The same appeal was on file: nothing new was recorded.
    pub duplicate: bool,
}

/// The district appeals an inspection's deduction (within the edition's hours, once).
#[utoipa::path(post, path = "/api/v1/sanitation/inspections/{id}/appeal", tag = "sanitation", params(("id" = i64, Path)), request_body = AppealInput,
    responses((status = 201, body = AppealFiled), (status = 200, body = AppealFiled, description = "a retry: already on file"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_appeal(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<AppealInput>) -> AppResult<(StatusCode, Json<AppealFiled>)> {
    caller.require(Permission::AppealSanitation)?;
    let items = input.items.iter().map(|i| PpeItem::parse(i.trim()).ok_or_else(|| AppError::invalid("items", "item_unknown", format!("未知的扣分项:{i}")))).collect::<AppResult<Vec<_>>>()?;
    let photo = photo_of("photo_base64", input.photo_base64.as_deref())?;
    let all = editions::load(&state.db).await?;
    let (appeal, duplicate) = appeals::file(&state.db, &caller.actor(), &caller.scope, &all, &NewAppeal { inspection_id: id, items, reason: input.reason, photo }).await?;
    Ok((if duplicate { StatusCode::OK } else { StatusCode::CREATED }, Json(AppealFiled { id: appeal, duplicate })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AppealParams {
    /// Only those waiting for a decision (oldest first).
    pub open: Option<bool>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/sanitation/appeals", tag = "sanitation", params(AppealParams), responses((status = 200, body = Vec<AppealLine>)))]
async fn list_appeals(State(state): State<AppState>, caller: Caller, Query(p): Query<AppealParams>) -> AppResult<Json<Vec<AppealLine>>> {
    caller.require(Permission::ReadSanitation)?;
    let filter = if p.open.unwrap_or(false) { appeals::Filter::Open } else { appeals::Filter::All };
    let all = editions::load(&state.db).await?;
    Ok(Json(appeals::list(&state.lists, &caller.scope, &all, filter, crate::web::params::clamp_page(p.limit)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionInput {
    /// `accept` (the points are given back) or `reject`.
    pub decision: String,
    /// Why.
    pub note: String,
}

/// The centre decides an open appeal.
#[utoipa::path(post, path = "/api/v1/sanitation/appeals/{id}/decision", tag = "sanitation", params(("id" = i64, Path)), request_body = AppealDecisionInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide_appeal(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<AppealDecisionInput>) -> AppResult<StatusCode> {
    caller.require(Permission::ReviewSanitation)?;
    let decision = decision_of(&input.decision)?;
    let all = editions::load(&state.db).await?;
    appeals::decide(&state.db, &caller.actor(), &caller.scope, &all, id, decision, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `accept` or `reject`.
pub fn decision_of(text: &str) -> AppResult<Decision> {
    match text.trim() {
        "accept" => Ok(Decision::Accept),
        "reject" => Ok(Decision::Reject),
        _ => Err(AppError::invalid("decision", "decision_unknown", "裁定应为 accept(申诉成立)或 reject(驳回)")),
    }
}

/// The month's score of each district the caller may see, ranked among the scheme's districts.
#[utoipa::path(get, path = "/api/v1/sanitation/months/{month}", tag = "sanitation", params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthScores), (status = 422, body = ErrorBody)))]
async fn month_scores(State(state): State<AppState>, caller: Caller, Path(month): Path<String>) -> AppResult<Json<MonthScores>> {
    caller.require(Permission::ReadSanitation)?;
    let all = editions::load(&state.db).await?;
    Ok(Json(months::scores(&state.lists, &caller.scope, &all, &month, crate::clock::today()).await?))
}

/// The centre closes a month: its figures are frozen (refused while an appeal of it is undecided).
#[utoipa::path(post, path = "/api/v1/sanitation/months/{month}/close", tag = "sanitation", params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthScores), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_month(State(state): State<AppState>, caller: Caller, Path(month): Path<String>) -> AppResult<Json<MonthScores>> {
    caller.require(Permission::ReviewSanitation)?;
    let all = editions::load(&state.db).await?;
    Ok(Json(months::close(&state.db, &caller.actor(), &caller.scope, &all, &month, crate::clock::today()).await?))
}

/// The month's scores as `.xlsx`, Chinese headers.
#[utoipa::path(get, path = "/api/v1/sanitation/months/{month}/xlsx", tag = "sanitation", params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, description = "the workbook"), (status = 422, body = ErrorBody)))]
async fn month_xlsx(state: State<AppState>, caller: Caller, month: Path<String>) -> AppResult<axum::response::Response> {
    super::month_pages::month_xlsx(state, caller, month).await
}

/// A photo of an inspection (or of its appeal) in the caller's area.
#[utoipa::path(get, path = "/api/v1/sanitation/photos/{id}", tag = "sanitation", params(("id" = i64, Path)),
    responses((status = 200, description = "the image"), (status = 404, body = ErrorBody)))]
async fn photo(state: State<AppState>, caller: Caller, id: Path<i64>) -> AppResult<axum::response::Response> {
    super::appeal_pages::photo(state, caller, id).await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RegisterImportParams {
    /// The district (or a street of it) the workers belong to; a row's 街道 is found within it.
    pub org_code: String,
    /// `all_or_nothing` (default): nothing lands if any row is bad; `valid_rows`: the good rows land.
    pub mode: Option<String>,
}

/// Imports a district's register from its `.xlsx` or `.csv` (UTF-8 or GBK): 姓名, 工号, 岗位, 班组, 街道,
/// 上岗日期 as people write them; a report per row; the same file again adds nothing.
#[utoipa::path(post, path = "/api/v1/sanitation/workers/import", tag = "sanitation", params(RegisterImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The .xlsx or .csv file"),
    responses((status = 200, body = super::register_import::RegisterReport), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_register(State(state): State<AppState>, caller: Caller, Query(p): Query<RegisterImportParams>, body: axum::body::Bytes) -> AppResult<Json<super::register_import::RegisterReport>> {
    let org = crate::web::params::parse_code("org_code", &p.org_code)?;
    Ok(Json(super::pages::run_register_import(&state, &caller, &org, p.mode.as_deref(), &body).await?))
}
