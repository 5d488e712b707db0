//! `/api/v1/key-persons`, `/api/v1/household-visits`, `/api/v1/coverage`.

use super::VisitResult;
use super::input::KeyPersonInput;
use super::ledger_list::{self, LedgerFilter, LedgerLine};
use super::store::{self, Coverage, KeyPerson, Responsible};
use crate::auth::{Caller, Permission};
use crate::clock;
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
    OpenApiRouter::new().routes(routes!(list_ledger, create_key_person)).routes(routes!(get_key_person)).routes(routes!(create_visit)).routes(routes!(get_coverage))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    pub items: Vec<LedgerLine>,
    pub next_before: Option<i64>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct LedgerParams {
    /// A unit inside the caller's jurisdiction; default: all of it.
    pub org: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// `observing` (an active observation) or `not_observing`.
    pub status: Option<String>,
    /// `true`: only people under observation with no check-in today.
    pub overdue: Option<bool>,
    /// Ledger entries with ids below this one (paging).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

impl LedgerParams {
    pub fn filter(&self) -> LedgerFilter {
        LedgerFilter { category: self.category.clone(), status: self.status.clone(), overdue: self.overdue, before: self.before }
    }
}

/// One page of the ledger for the caller (or a unit below their home), masked.
pub async fn ledger_page(state: &AppState, caller: &Caller, org: Option<&str>, filter: &LedgerFilter, limit: Option<i64>) -> AppResult<LedgerPage> {
    caller.require(Permission::ReadPersons)?;
    let scope = crate::org::api::narrowed_scope(caller, org)?;
    let limit = crate::web::params::clamp_page(limit);
    let mut items = ledger_list::ledger(&state.lists, &scope, filter, clock::today(), limit + 1).await?;
    let next_before = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|l| l.key_person_id)
    } else {
        None
    };
    Ok(LedgerPage { items, next_before })
}

#[utoipa::path(get, path = "/api/v1/key-persons", tag = "screening", params(LedgerParams), responses((status = 200, body = LedgerPage)))]
async fn list_ledger(State(state): State<AppState>, caller: Caller, Query(p): Query<LedgerParams>) -> AppResult<Json<LedgerPage>> {
    Ok(Json(ledger_page(&state, &caller, p.org.as_deref(), &p.filter(), p.limit).await?))
}

#[utoipa::path(post, path = "/api/v1/key-persons", tag = "screening", request_body = KeyPersonInput,
    responses((status = 201, body = KeyPerson), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_key_person(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<KeyPersonInput>) -> AppResult<(StatusCode, Json<KeyPerson>)> {
    caller.require(Permission::WriteLedger)?;
    let valid = input.validate(clock::today()).map_err(AppError::Invalid)?;
    Ok((StatusCode::CREATED, Json(store::create(&state.db, &caller.actor(), &caller.scope, &valid).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyPersonDetail {
    #[serde(flatten)]
    pub key_person: KeyPerson,
    pub responsibles: Vec<Responsible>,
}

#[utoipa::path(get, path = "/api/v1/key-persons/{id}", tag = "screening", params(("id" = i64, Path)),
    responses((status = 200, body = KeyPersonDetail), (status = 404, body = ErrorBody)))]
async fn get_key_person(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<KeyPersonDetail>> {
    caller.require(Permission::ReadPersons)?;
    let key_person = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let responsibles = store::responsibles(&state.db, id).await?;
    Ok(Json(KeyPersonDetail { key_person, responsibles }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub household_id: i64,
    /// `all_well`, `key_person_found`, `nobody_home`.
    pub result: String,
    /// `YYYY-MM-DD`, default today.
    pub visit_date: Option<String>,
    pub note: Option<String>,
}

impl VisitInput {
    pub fn parse(&self) -> AppResult<(VisitResult, time::Date)> {
        let result = VisitResult::parse(&self.result).ok_or_else(|| AppError::invalid("result", "result_unknown", "请选择走访结果"))?;
        let day = crate::web::when::happened_on_opt("visit_date", self.visit_date.as_deref())?.unwrap_or_else(clock::today);
        Ok((result, day))
    }
}

#[utoipa::path(post, path = "/api/v1/household-visits", tag = "screening", request_body = VisitInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn create_visit(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<VisitInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::WriteLedger)?;
    let (result, day) = input.parse()?;
    let id = store::record_visit(&state.db, &caller.actor(), &caller.scope, input.household_id, day, result, input.note.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CoverageParams {
    /// Default: the caller's home unit.
    pub org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/coverage", tag = "screening", params(CoverageParams), responses((status = 200, body = Coverage)))]
async fn get_coverage(State(state): State<AppState>, caller: Caller, Query(p): Query<CoverageParams>) -> AppResult<Json<Coverage>> {
    caller.require(Permission::ReadPersons)?;
    let unit = match p.org.as_deref() {
        Some(code) => crate::web::params::parse_code("org", code)?,
        None => caller.org_code.clone(),
    };
    if !caller.scope.allows(unit.as_str()) {
        return Err(AppError::NotFound);
    }
    Ok(Json(store::coverage(&state.db, &caller.scope, &unit).await?))
}
