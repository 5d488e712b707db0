//! `/api/v1/checkpoints/…`: the screening points of the caller's area, their staff and openings,
//! the screenings their staff record, re-tests, and each point's hours.

use super::hours::{self, Hour};
use super::points::{self, NewPoint, Point, PointEvent, Staff};
use super::screenings::{self, NewOccupant, NewScreening, Recorded, ScreenedLine, ScreenedResult};
use super::{PointKind, divisions};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::{ApiJson, Created};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_points, open_point))
        .routes(routes!(point_detail))
        .routes(routes!(close_point))
        .routes(routes!(reopen_point))
        .routes(routes!(assign_staff))
        .routes(routes!(unassign_staff))
        .routes(routes!(list_screened, record_screening))
        .routes(routes!(screened_person))
        .routes(routes!(retest_person))
        .routes(routes!(list_divisions))
}

#[utoipa::path(get, path = "/api/v1/checkpoints", tag = "checkpoints", responses((status = 200, body = Vec<Point>), (status = 403, body = ErrorBody)))]
async fn list_points(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Point>>> {
    caller.require(Permission::ReadPoints)?;
    Ok(Json(points::list(&state.lists, &caller.scope, 500).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    /// The unit keeping the point: a county, a township or a community of the caller's.
    pub org_code: String,
    /// `road`, `station`, `airport`, `dock`, `construction_site`, `canteen`, `market` or `crowded_place`.
    pub kind: String,
    pub name: String,
    /// Where it is (an expressway exit, a road and its kilometre, a station hall).
    pub location: String,
    /// The day it opened (default today; not later than today).
    pub opened_on: Option<String>,
}

fn kind_of(code: &str) -> AppResult<PointKind> {
    PointKind::parse(code).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "卡点类型应为 road、station、airport、dock、construction_site、canteen、market 或 crowded_place"))
}

#[utoipa::path(post, path = "/api/v1/checkpoints", tag = "checkpoints", request_body = PointInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open_point(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<PointInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManagePoints)?;
    let org_code = crate::web::params::parse_code("org_code", &input.org_code)?;
    let opened_on = crate::web::when::happened_on_opt("opened_on", input.opened_on.as_deref())?.unwrap_or_else(crate::clock::today);
    let point = NewPoint { org_code, kind: kind_of(&input.kind)?, name: input.name, location: input.location, opened_on };
    let id = points::create(&state.db, &caller.actor(), &caller.scope, &point).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A point with its staff, openings and closings, and today's hours.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PointDetail {
    pub point: Point,
    pub staff: Vec<Staff>,
    pub events: Vec<PointEvent>,
    /// Today's 24 hours (Beijing time).
    pub today: Vec<Hour>,
}

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}", tag = "checkpoints", params(("id" = i64, Path)),
    responses((status = 200, body = PointDetail), (status = 404, body = ErrorBody)))]
async fn point_detail(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<PointDetail>> {
    caller.require(Permission::ReadPoints)?;
    let point = points::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let (staff, events, today) = tokio::try_join!(points::staff(&state.db, id), points::events(&state.db, id), hours::of_day(&state.db, id, crate::clock::today()))?;
    Ok(Json(PointDetail { point, staff, events, today }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// Why it closes (e.g. 省指挥部 2 月 18 日通知撤除非湖北方向卡点).
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/close", tag = "checkpoints", params(("id" = i64, Path)), request_body = CloseInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_point(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<CloseInput>) -> AppResult<StatusCode> {
    caller.require(Permission::ManagePoints)?;
    points::close(&state.db, &caller.actor(), &caller.scope, id, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/reopen", tag = "checkpoints", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reopen_point(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<StatusCode> {
    caller.require(Permission::ManagePoints)?;
    points::reopen(&state.db, &caller.actor(), &caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    /// A checkpoint staff account of the point's own unit.
    pub username: String,
}

#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/staff", tag = "checkpoints", params(("id" = i64, Path)), request_body = StaffInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign_staff(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<StaffInput>) -> AppResult<StatusCode> {
    caller.require(Permission::ManagePoints)?;
    points::assign(&state.db, &caller.actor(), &caller.scope, id, &input.username).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/checkpoints/{id}/staff/{user_id}", tag = "checkpoints", params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unassign_staff(State(state): State<AppState>, caller: Caller, Path((id, user_id)): Path<(i64, i64)>) -> AppResult<StatusCode> {
    caller.require(Permission::ManagePoints)?;
    points::unassign(&state.db, &caller.actor(), &caller.scope, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OccupantInput {
    /// ℃, 34.0–43.0.
    pub temperature: String,
    /// The second reading, when a fever was re-tested before saving.
    pub retest: Option<String>,
    /// `cough`, `shortness_of_breath`, `other`; empty or absent for none.
    #[serde(default)]
    pub symptoms: Vec<String>,
    pub name: Option<String>,
    /// A resident ID number (GB 11643).
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningInput {
    /// At a road point: the plate (GA 36; normalised to upper case) and the vehicle kind
    /// (`car`, `bus`, `truck`, `motorcycle`, `other`). Places record no vehicle.
    pub plate: Option<String>,
    pub vehicle_kind: Option<String>,
    /// A division code from `/api/v1/divisions` (or its name).
    pub origin: String,
    /// A unit of the city (its code) or a division outside it.
    pub destination: String,
    pub destination_address: Option<String>,
    /// Beijing time `YYYY-MM-DD HH:MM` (default now; never in the future).
    pub screened_at: Option<String>,
    /// Everyone in the vehicle, or the one person at a place.
    pub occupants: Vec<OccupantInput>,
    /// A client key: the same submission sent again records nothing new.
    pub idempotency_key: Option<String>,
}

impl ScreeningInput {
    fn into_new(self, point_id: i64) -> AppResult<NewScreening> {
        let screened_at = crate::web::when::happened_at_opt("screened_at", self.screened_at.as_deref())?.unwrap_or_else(crate::db::now_micros);
        let occupants =
            self.occupants.into_iter().map(|o| NewOccupant { temperature: o.temperature, retest: o.retest, symptoms: o.symptoms, name: o.name, id_number: o.id_number, phone: o.phone }).collect();
        Ok(NewScreening {
            point_id,
            plate: self.plate,
            vehicle_kind: self.vehicle_kind,
            origin: self.origin,
            destination: self.destination,
            destination_address: self.destination_address,
            screened_at,
            occupants,
            idempotency_key: self.idempotency_key,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/checkpoints/{id}/screenings", tag = "checkpoints", params(("id" = i64, Path)), request_body = ScreeningInput,
    responses((status = 201, body = Recorded), (status = 200, description = "a retry: what was recorded", body = Recorded), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_screening(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<ScreeningInput>) -> AppResult<(StatusCode, Json<Recorded>)> {
    caller.require(Permission::ScreenAtPoints)?;
    let new = input.into_new(id)?;
    let names = state.unit_names.get(&state.db).await?;
    let recorded = screenings::submit(&state.db, &state.screenings, &caller.actor(), &caller.scope, &names, &new).await?;
    Ok((if recorded.duplicate { StatusCode::OK } else { StatusCode::CREATED }, Json(recorded)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ScreenedParams {
    /// Only those waiting for their second reading.
    pub waiting: Option<bool>,
    /// Rows with ids below this one (paging).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/checkpoints/{id}/screenings", tag = "checkpoints", params(("id" = i64, Path), ScreenedParams),
    responses((status = 200, body = Vec<ScreenedLine>), (status = 404, body = ErrorBody)))]
async fn list_screened(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(p): Query<ScreenedParams>) -> AppResult<Json<Vec<ScreenedLine>>> {
    caller.require(Permission::ReadPoints)?;
    points::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let limit = crate::web::params::clamp_page(p.limit);
    Ok(Json(screenings::of_point(&state.lists, &caller.scope, id, p.waiting.unwrap_or(false), p.before, limit).await?))
}

#[utoipa::path(get, path = "/api/v1/screened-persons/{id}", tag = "checkpoints", params(("id" = i64, Path)),
    responses((status = 200, body = ScreenedLine), (status = 404, body = ErrorBody)))]
async fn screened_person(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ScreenedLine>> {
    caller.require(Permission::ReadPoints)?;
    Ok(Json(screenings::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetestInput {
    /// The second reading, ℃.
    pub temperature: String,
}

#[utoipa::path(post, path = "/api/v1/screened-persons/{id}/retest", tag = "checkpoints", params(("id" = i64, Path)), request_body = RetestInput,
    responses((status = 200, body = ScreenedResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn retest_person(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<RetestInput>) -> AppResult<Json<ScreenedResult>> {
    caller.require(Permission::ScreenAtPoints)?;
    Ok(Json(screenings::retest(&state.db, &caller.actor(), &caller.scope, id, &input.temperature).await?))
}

/// A division a traveller comes from or goes to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DivisionLine {
    pub code: String,
    /// With the names above it: 湖北省武汉市.
    pub name: String,
    /// `province`, `prefecture` or `county`.
    pub level: String,
}

#[utoipa::path(get, path = "/api/v1/divisions", tag = "checkpoints", responses((status = 200, body = Vec<DivisionLine>)))]
async fn list_divisions(caller: Caller) -> AppResult<Json<Vec<DivisionLine>>> {
    caller.require(Permission::ReadPoints)?;
    let lines = divisions::all().iter().map(|d| DivisionLine { code: d.code.clone(), name: divisions::full_name(&d.code).unwrap_or_default(), level: d.level.clone() }).collect();
    Ok(Json(lines))
}
