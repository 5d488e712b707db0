//! The centralized observation sites page (`/sites`): every site serving the caller's area with its
//! places taken and free, and a form to add one.

use super::sites::{self, Site};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, FieldError};
use crate::org::picker::{Level, UnitPicker};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/sites", get(sites_page).post(add_site)).route("/sites/post-discharge", post(set_post_discharge))
}

#[derive(Deserialize, Default)]
struct SiteForm {
    #[serde(default)]
    org_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    capacity: String,
}

#[derive(Template)]
#[template(path = "observation/sites.html")]
struct SitesPage {
    chrome: Chrome,
    sites: Vec<Site>,
    can_write: bool,
    /// For a county's command: where its discharged patients are observed (`None`: at home).
    post_discharge: Option<Option<i64>>,
    form: SiteForm,
    /// The unit field: the caller's county, townships and villages, chosen by name.
    units: UnitPicker,
    errors: Vec<FieldError>,
}

/// A site belongs to a county (its centralized hotels), a township or a village.
const SITE_LEVELS: [Level; 3] = [Level::County, Level::Township, Level::Village];

impl SitesPage {
    fn error(&self, field: &str) -> Option<&str> {
        field_message(&self.errors, field, self.chrome.lang)
    }
    fn is_post_discharge(&self, site: &i64) -> bool {
        self.post_discharge == Some(Some(*site))
    }
}

async fn show(state: &AppState, caller: &Caller, lang: Lang, form: SiteForm, errors: Vec<FieldError>, status: StatusCode) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let names = state.unit_names.get(&state.db).await?;
    let units = UnitPicker::new("org_code", &names, &caller.scope, &SITE_LEVELS, &form.org_code);
    let page = SitesPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("集中隔离点", "Observation sites")).await?,
        sites: sites::list(&state.db, &caller.scope).await?,
        can_write: caller.may(Permission::WriteLedger),
        post_discharge: if caller.org_code.level() == fangkong_rules::OrgLevel::County && caller.may(Permission::WriteLedger) {
            Some(sites::post_discharge_site(&state.db, caller.org_code.as_str()).await?)
        } else {
            None
        },
        form,
        units,
        errors,
    };
    Ok(render(status, &page))
}

async fn sites_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    let form = SiteForm { org_code: caller.org_code.to_string(), ..Default::default() };
    show(&state, &caller, lang, form, Vec::new(), StatusCode::OK).await
}

async fn add_site(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<SiteForm>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let names = state.unit_names.get(&state.db).await?;
        let org = crate::org::picker::chosen(&names, &caller.scope, "org_code", &form.org_code)?;
        let capacity = form.capacity.trim().parse::<i64>().map_err(|_| AppError::invalid("capacity", "capacity_range", "床位数应为 1–10000"))?;
        let address = Some(form.address.trim()).filter(|a| !a.is_empty());
        sites::create(&state.db, &caller.actor(), &caller.scope, &org, &form.name, address, capacity).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/sites").into_response()),
        Err(AppError::Invalid(errors)) => show(&state, &caller, lang, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct PostDischargeForm {
    /// A site id, or empty for home observation.
    #[serde(default)]
    site_id: String,
}

async fn set_post_discharge(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<PostDischargeForm>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let site = match form.site_id.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| AppError::invalid("site_id", "site_unknown", "请选择隔离点"))?),
        };
        sites::set_post_discharge_site(&state.db, &caller.actor(), &caller.scope, &caller.org_code, site).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/sites").into_response()),
        Err(AppError::Invalid(errors)) => show(&state, &caller, lang, SiteForm::default(), errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e),
    }
}
