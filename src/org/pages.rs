//! Area pages: a unit with its units below, person counts and households.

use super::store::{self, ChildKind, NewHousehold};
use super::{Household, OrgUnit};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::forms::CsrfForm;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::{OrgCode, OrgLevel};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/orgs", get(my_unit)).route("/orgs/{code}", get(unit_page)).route("/orgs/{code}/children", post(add_child)).route("/orgs/{code}/households", post(add_household))
}

pub struct UnitRow {
    pub unit: OrgUnit,
    pub persons: i64,
    /// Households known and visited below the unit ("不漏一户"): shown, never typed in.
    pub coverage: crate::screening::store::Coverage,
}

/// The units directly below `code` in the caller's scope, with their registered persons and household
/// visit coverage (counted only for roles that may see persons).
pub async fn unit_rows(state: &AppState, caller: &Caller, code: &OrgCode) -> AppResult<Vec<UnitRow>> {
    let children = store::children(&state.db, &caller.scope, code).await?;
    let mut rows = Vec::with_capacity(children.len());
    for unit in children {
        let (persons, coverage) = if caller.may(Permission::ReadPersons) {
            let code = unit.code();
            (crate::people::store::count_under(&state.db, &caller.scope, &code).await?, crate::screening::store::coverage(&state.db, &caller.scope, &code).await?)
        } else {
            (0, Default::default())
        };
        rows.push(UnitRow { unit, persons, coverage });
    }
    Ok(rows)
}

async fn my_unit(caller: Caller) -> Redirect {
    Redirect::to(&format!("/orgs/{}", caller.org_code))
}

#[derive(Template)]
#[template(path = "orgs/unit.html")]
struct UnitPage {
    chrome: Chrome,
    /// The units above this one, and whether the viewer may open each (those above their own unit
    /// are named, not linked).
    path: Vec<(OrgUnit, bool)>,
    unit: OrgUnit,
    persons: i64,
    children: Vec<UnitRow>,
    can_read_persons: bool,
    can_register_persons: bool,
    can_add_child: bool,
    can_add_household: bool,
    shows_households: bool,
    households: Vec<Household>,
    next_after: Option<i64>,
    child_error: Option<String>,
    household_error: Option<String>,
}

#[derive(Deserialize, Default)]
struct PageParams {
    after: Option<i64>,
}

const HOUSEHOLD_PAGE: i64 = 50;

async fn unit_view(state: &AppState, caller: &Caller, lang: Lang, code: &str, after: i64, errors: (Option<String>, Option<String>)) -> AppResult<Response> {
    let code = OrgCode::parse(code).map_err(|_| AppError::NotFound)?;
    let unit = store::get(&state.db, &caller.scope, &code).await?.ok_or(AppError::NotFound)?;
    let level = code.level();
    let shows_households = level >= OrgLevel::Village && caller.may(Permission::ReadPersons);
    let mut households = if shows_households { super::api::households_seen(state, caller, &code, after, HOUSEHOLD_PAGE + 1).await? } else { Vec::new() };
    let next_after = if households.len() as i64 > HOUSEHOLD_PAGE {
        households.truncate(HOUSEHOLD_PAGE as usize);
        households.last().map(|h| h.id)
    } else {
        None
    };
    let can_read_persons = caller.may(Permission::ReadPersons);
    let page = UnitPage {
        chrome: Chrome::for_caller(state, caller, lang, &unit.name).await?,
        path: store::path(&state.db, &code)
            .await?
            .into_iter()
            .map(|u| {
                let open = caller.scope.allows(&u.code);
                (u, open)
            })
            .collect(),
        persons: if can_read_persons { crate::people::store::count_under(&state.db, &caller.scope, &code).await? } else { 0 },
        children: unit_rows(state, caller, &code).await?,
        can_read_persons,
        can_register_persons: caller.may(Permission::RegisterPersons),
        can_add_child: caller.may(Permission::ManageOrgs) && matches!(level, OrgLevel::Township | OrgLevel::Village),
        can_add_household: caller.may(Permission::ManageHouseholds),
        shows_households,
        households,
        next_after,
        child_error: errors.0,
        household_error: errors.1,
        unit,
    };
    let status = if page.child_error.is_some() || page.household_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &page))
}

async fn unit_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(code): Path<String>, Query(p): Query<PageParams>) -> AppResult<Response> {
    unit_view(&state, &caller, lang, &code, p.after.unwrap_or(0), (None, None)).await
}

fn messages(err: AppError) -> Result<String, AppError> {
    match err {
        AppError::Invalid(errors) => Ok(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";")),
        AppError::Conflict { message, .. } => Ok(message),
        other => Err(other),
    }
}

#[derive(Deserialize)]
struct ChildForm {
    kind: String,
    name: String,
}

async fn add_child(State(state): State<AppState>, lang: Lang, Path(code): Path<String>, CsrfForm { caller, form }: CsrfForm<ChildForm>) -> AppResult<Response> {
    caller.require(Permission::ManageOrgs)?;
    let parent = OrgCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let kind = ChildKind::parse(&form.kind).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择单位类型"))?;
    match store::create_child(&state.db, &caller.actor(), &caller.scope, &parent, kind, &form.name).await {
        Ok(unit) => Ok(Redirect::to(&format!("/orgs/{}", unit.code)).into_response()),
        Err(e) => unit_view(&state, &caller, lang, &code, 0, (Some(messages(e)?), None)).await,
    }
}

#[derive(Deserialize)]
struct HouseholdForm {
    address: String,
    #[serde(default)]
    building: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    room: String,
}

async fn add_household(State(state): State<AppState>, lang: Lang, Path(code): Path<String>, CsrfForm { caller, form }: CsrfForm<HouseholdForm>) -> AppResult<Response> {
    caller.require(Permission::ManageHouseholds)?;
    let org_code = OrgCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let new = NewHousehold { org_code, address: form.address, building: Some(form.building), unit: Some(form.unit), room: Some(form.room) };
    match store::create_household(&state.db, &caller.actor(), &caller.scope, new).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{code}")).into_response()),
        Err(e) => unit_view(&state, &caller, lang, &code, 0, (None, Some(messages(e)?))).await,
    }
}
