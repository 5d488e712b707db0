//! `/api/v1/persons`: register, search, show, edit.

use super::search::{self, Query};
use super::store;
use super::{PersonInput, PersonView};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_persons, create_person)).routes(routes!(get_person, update_person)).routes(routes!(duplicate_candidates))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// A name's beginning, a resident ID number, the last four characters of an ID or a mobile
    /// number, a full mobile number, or another document's number.
    pub q: Option<String>,
    /// Return persons with ids below this one (the `next_before` of the previous page).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    /// Masked persons, newest first.
    pub items: Vec<PersonView>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_before: Option<i64>,
    /// How the search text was read: `all` (no text), `name` (a name's beginning, or another
    /// document's number), `id_number`, `phone`, `last_four` (of an ID number or a mobile).
    pub searched_as: &'static str,
}

/// Runs a scoped, audited search and returns one page of masked persons.
pub async fn search_page(state: &AppState, caller: &Caller, params: &SearchParams) -> AppResult<PersonPage> {
    caller.require(Permission::ReadPersons)?;
    let query = Query::parse(params.q.as_deref().unwrap_or(""), clock::today());
    let limit = crate::web::params::clamp_page(params.limit);
    let mut rows = search::search(&state.lists, &caller.scope, &query, params.before, limit + 1).await?;
    let next_before = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    if query != Query::All {
        let detail = format!("kind={} results={}", query.kind(), rows.len());
        crate::audit::store::record(&state.db, &caller.actor(), caller.event("person.search", "person", detail)).await?;
    }
    Ok(PersonPage { items: rows.into_iter().map(|r| r.masked()).collect(), next_before, searched_as: query.kind() })
}

#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(SearchParams),
    responses((status = 200, body = PersonPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_persons(State(state): State<AppState>, caller: Caller, QueryParams(params): QueryParams<SearchParams>) -> AppResult<Json<PersonPage>> {
    Ok(Json(search_page(&state, &caller, &params).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedPerson {
    #[serde(flatten)]
    pub person: PersonView,
    /// Accepted, but worth a second look (legacy 15-digit ID, unknown area code).
    pub warnings: Vec<String>,
    /// Persons in scope with the same name and birth date, or the same phone (masked).
    pub possible_duplicates: Vec<PersonView>,
}

#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = PersonInput,
    responses((status = 201, body = CreatedPerson), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<PersonInput>) -> AppResult<(StatusCode, Json<CreatedPerson>)> {
    caller.require(Permission::RegisterPersons)?;
    let valid = input.validate(clock::today()).map_err(AppError::Invalid)?;
    let candidates = store::duplicate_candidates(&state.db, &caller.scope, &valid.name, valid.birth_date, valid.phone.as_deref(), None).await?;
    let row = store::create(&state.db, &caller.actor(), &caller.scope, &valid).await?;
    let person = if caller.may(Permission::ViewFullPerson) { row.full() } else { row.masked() };
    let possible_duplicates = candidates.into_iter().map(|r| r.masked()).collect();
    Ok((StatusCode::CREATED, Json(CreatedPerson { person, warnings: valid.warnings, possible_duplicates })))
}

/// One person: in full (and audited) for roles that need it, masked for others.
pub async fn show(state: &AppState, caller: &Caller, id: i64) -> AppResult<PersonView> {
    caller.require(Permission::ReadPersons)?;
    let row = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    if !caller.may(Permission::ViewFullPerson) {
        return Ok(row.masked());
    }
    let event = crate::audit::AuditEvent { action: "person.view_full", record_type: "person", record_id: Some(id.to_string()), org_code: row.org_code.clone(), detail: None };
    crate::audit::store::record(&state.db, &caller.actor(), event).await?;
    Ok(row.full())
}

#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = i64, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
async fn get_person(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<PersonView>> {
    Ok(Json(show(&state, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = i64, Path)), request_body = PersonInput,
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_person(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<PersonInput>) -> AppResult<Json<PersonView>> {
    caller.require(Permission::EditPersons)?;
    let valid = input.validate(clock::today()).map_err(AppError::Invalid)?;
    Ok(Json(store::update(&state.db, &caller.actor(), &caller.scope, id, &valid).await?.full()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CandidateParams {
    pub name: String,
    /// `YYYY-MM-DD`
    pub birth_date: Option<String>,
    pub phone: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/persons/duplicates", tag = "persons", params(CandidateParams),
    responses((status = 200, body = Vec<PersonView>)))]
async fn duplicate_candidates(State(state): State<AppState>, caller: Caller, QueryParams(p): QueryParams<CandidateParams>) -> AppResult<Json<Vec<PersonView>>> {
    caller.require(Permission::ReadPersons)?;
    let birth = p.birth_date.as_deref().and_then(crate::clock::parse_date);
    let phone = p.phone.as_deref().and_then(|ph| fangkong_rules::Phone::parse(ph).ok());
    let rows = store::duplicate_candidates(&state.db, &caller.scope, p.name.trim(), birth, phone.as_ref().map(|p| p.as_str()), None).await?;
    Ok(Json(rows.into_iter().map(|r| r.masked()).collect()))
}
