//! `/api/v1/orgs` and `/api/v1/households`.

use super::store::{self, ChildKind, NewHousehold};
use super::{Household, OrgUnit};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fangkong_rules::OrgCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_orgs, create_org)).routes(routes!(get_org)).routes(routes!(list_households, create_household))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OrgParams {
    /// The parent unit; defaults to the caller's home unit.
    pub parent: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(OrgParams), responses((status = 200, body = Vec<OrgUnit>)))]
async fn list_orgs(State(state): State<AppState>, caller: Caller, Query(p): Query<OrgParams>) -> AppResult<Json<Vec<OrgUnit>>> {
    let parent = match p.parent.as_deref() {
        Some(code) => crate::web::params::parse_code("parent", code)?,
        None => caller.org_code.clone(),
    };
    Ok(Json(store::children(&state.db, &caller.scope, &parent).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{code}", tag = "orgs", params(("code" = String, Path)),
    responses((status = 200, body = OrgUnit), (status = 404, body = ErrorBody)))]
async fn get_org(State(state): State<AppState>, caller: Caller, Path(code): Path<String>) -> AppResult<Json<OrgUnit>> {
    let code = OrgCode::parse(&code).map_err(|_| AppError::NotFound)?;
    Ok(Json(store::get(&state.db, &caller.scope, &code).await?.ok_or(AppError::NotFound)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    /// A township (for a community or village) or a village/community (for a grid).
    pub parent: String,
    pub kind: ChildKind,
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = NewOrgInput,
    responses((status = 201, body = OrgUnit), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_org(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<NewOrgInput>) -> AppResult<(StatusCode, Json<OrgUnit>)> {
    caller.require(Permission::ManageOrgs)?;
    let parent = crate::web::params::parse_code("parent", &input.parent)?;
    let unit = store::create_child(&state.db, &caller.actor(), &caller.scope, &parent, input.kind, &input.name).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HouseholdParams {
    /// A village/community or grid code.
    pub org: String,
    /// Households with ids above this one (paging).
    pub after: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

/// The households of a unit in scope, for roles that read the registry (addresses are personal
/// data): in full for those who see persons in full, masked for the others.
pub async fn households_seen(state: &AppState, caller: &Caller, org: &OrgCode, after: i64, limit: i64) -> AppResult<Vec<Household>> {
    caller.require(Permission::ReadPersons)?;
    let households = store::households(&state.lists, &caller.scope, org, after, limit).await?;
    Ok(if caller.may(Permission::ViewFullPerson) { households } else { households.into_iter().map(Household::masked).collect() })
}

#[utoipa::path(get, path = "/api/v1/households", tag = "orgs", params(HouseholdParams), responses((status = 200, body = Vec<Household>), (status = 403, body = ErrorBody)))]
async fn list_households(State(state): State<AppState>, caller: Caller, Query(p): Query<HouseholdParams>) -> AppResult<Json<Vec<Household>>> {
    let org = crate::web::params::parse_code("org", &p.org)?;
    Ok(Json(households_seen(&state, &caller, &org, p.after.unwrap_or(0), crate::web::params::clamp_page(p.limit)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    pub org_code: String,
    pub address: String,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
}

impl HouseholdInput {
    pub fn into_new(self) -> AppResult<NewHousehold> {
        let org_code = OrgCode::parse(&self.org_code).map_err(|m| AppError::invalid("org_code", "org_invalid", m))?;
        Ok(NewHousehold { org_code, address: self.address, building: self.building, unit: self.unit, room: self.room })
    }
}

#[utoipa::path(post, path = "/api/v1/households", tag = "orgs", request_body = HouseholdInput,
    responses((status = 201, body = Household), (status = 422, body = ErrorBody)))]
async fn create_household(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<HouseholdInput>) -> AppResult<(StatusCode, Json<Household>)> {
    caller.require(Permission::ManageHouseholds)?;
    let household = store::create_household(&state.db, &caller.actor(), &caller.scope, input.into_new()?).await?;
    Ok((StatusCode::CREATED, Json(household)))
}

/// The caller's scope, or the scope of a unit below their home when `org` names one in scope.
pub fn narrowed_scope(caller: &Caller, org: Option<&str>) -> AppResult<fangkong_rules::Scope> {
    match org.filter(|o| !o.is_empty()) {
        None => Ok(caller.scope.clone()),
        Some(code) => {
            let code = crate::web::params::parse_code("org", code)?;
            if !caller.scope.allows(code.as_str()) {
                return Err(AppError::NotFound);
            }
            Ok(fangkong_rules::Scope::of(&code))
        }
    }
}
