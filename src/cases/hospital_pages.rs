//! The hospital bed board (`/hospitals`), a hospital's incoming and admitted patients
//! (`/hospitals/{id}`) with its accept and admit buttons, and transfer steps posted from either
//! that page or the case page.

use super::care_api::parse_step;
use super::hospitals::{self, HospitalBeds, NewHospital, Patient};
use super::pages::{Fields, after, fact_time, field, joined};
use super::{BedKind, CaseStatus};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::OrgCode;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hospitals", get(hospitals_page).post(create_hospital))
        .route("/hospitals/{id}", get(hospital_page))
        .route("/hospitals/{id}/beds", post(set_beds))
        .route("/transfers/{id}/{step}", post(transfer_step))
}

/// A hospital's or county's step on a transfer; back to the page it came from.
async fn transfer_step(State(state): State<AppState>, lang: Lang, Path((id, step)): Path<(i64, String)>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let step = parse_step(&step)?;
    let outcome = async {
        let at = fact_time(&form, "at")?.unwrap_or_else(crate::db::now_micros);
        hospitals::advance(&state.db, &caller.actor(), &caller.scope, id, step, at).await
    }
    .await;
    match (field(&form, "hospital_id").parse::<i64>(), outcome) {
        (Ok(hospital), Ok(_)) => Ok(Redirect::to(&format!("/hospitals/{hospital}")).into_response()),
        (Ok(hospital), Err(AppError::Invalid(e))) => show_hospital(&state, &caller, lang, hospital, Some(joined(e))).await,
        (Ok(hospital), Err(AppError::Conflict { message, .. })) => show_hospital(&state, &caller, lang, hospital, Some(message)).await,
        (_, Ok(transfer)) => Ok(Redirect::to(&format!("/cases/{}", transfer.case_id)).into_response()),
        (_, Err(e)) => {
            let case_id = field(&form, "case_id").parse::<i64>().map_err(|_| AppError::NotFound)?;
            after(&state, &caller, lang, case_id, Err(e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "cases/hospitals.html")]
struct HospitalsPage {
    chrome: Chrome,
    hospitals: Vec<HospitalBeds>,
    kinds: &'static [BedKind],
    can_manage: bool,
    form: Fields,
    errors: Vec<FieldError>,
}

impl HospitalsPage {
    fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.errors, name, self.chrome.lang)
    }
    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }
}

async fn show_hospitals(state: &AppState, caller: &Caller, lang: Lang, form: Fields, errors: Vec<FieldError>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = HospitalsPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("定点医院床位", "Designated hospital beds")).await?,
        hospitals: hospitals::board(&state.db).await?,
        kinds: BedKind::ALL,
        can_manage: caller.may(Permission::ManageHospitals),
        form,
        errors,
    };
    Ok(render(status, &page))
}

async fn hospitals_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    show_hospitals(&state, &caller, lang, vec![("org_code".into(), caller.org_code.to_string())], Vec::new()).await
}

fn beds(form: &Fields, name: &str) -> AppResult<i64> {
    field(form, name).parse().map_err(|_| AppError::invalid(name, "beds_invalid", "床位数应为 0 至 100000 的整数"))
}

async fn create_hospital(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageHospitals)?;
    let created = async {
        let org_code = OrgCode::parse(field(&form, "org_code")).map_err(|_| AppError::invalid("org_code", "org_invalid", "请填写所属单位代码"))?;
        let new =
            NewHospital { org_code, name: field(&form, "name").into(), general_beds: beds(&form, "general_beds")?, isolation_beds: beds(&form, "isolation_beds")?, icu_beds: beds(&form, "icu_beds")? };
        hospitals::create(&state.db, &caller.actor(), &caller.scope, &new).await
    }
    .await;
    match created {
        Ok(_) => Ok(Redirect::to("/hospitals").into_response()),
        Err(AppError::Invalid(errors)) => show_hospitals(&state, &caller, lang, form, errors).await,
        Err(AppError::Conflict { message, .. }) => show_hospitals(&state, &caller, lang, form, vec![FieldError::new("name", "duplicate", message)]).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/hospital.html")]
struct HospitalPage {
    chrome: Chrome,
    hospital: HospitalBeds,
    kinds: &'static [BedKind],
    patients: Vec<Patient>,
    can_manage: bool,
    error: Option<String>,
}

impl HospitalPage {
    fn time(&self, micros: &i64) -> String {
        clock::format_micros(*micros)
    }
    fn label(&self, code: &str) -> &'static str {
        CaseStatus::parse(code).map(|v| v.label(self.chrome.lang)).or_else(|| super::Severity::parse(code).map(|v| v.label(self.chrome.lang))).unwrap_or("")
    }
}

async fn show_hospital(state: &AppState, caller: &Caller, lang: Lang, id: i64, error: Option<String>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let hospital = hospitals::beds_of(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = HospitalPage {
        chrome: Chrome::for_caller(state, caller, lang, &hospital.name).await?,
        patients: hospitals::patients(&state.lists, &caller.scope, id).await?,
        hospital,
        kinds: BedKind::ALL,
        can_manage: caller.may(Permission::ManageHospitals),
        error,
    };
    Ok(render(status, &page))
}

async fn hospital_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    show_hospital(&state, &caller, lang, id, None).await
}

async fn set_beds(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageHospitals)?;
    let outcome = async { hospitals::set_beds(&state.db, &caller.actor(), &caller.scope, id, beds(&form, "general_beds")?, beds(&form, "isolation_beds")?, beds(&form, "icu_beds")?).await }.await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/hospitals/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => show_hospital(&state, &caller, lang, id, Some(joined(errors))).await,
        Err(e) => Err(e),
    }
}
