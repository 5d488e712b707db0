//! `/api/v1/hospitals`, transfers, discharge, death, asymptomatic infections, close contacts and
//! follow-ups: the case pipeline after triage.

use super::api::{CaseDetail, detail};
use super::asymptomatic::{self, PositiveTest};
use super::contacts::{self, ContactLine, NewContact, Who};
use super::discharge::{self, Checklist, Discharge, Handover};
use super::follow_ups::{self, FollowUp};
use super::hospitals::{self, HospitalBeds, NewHospital, Patient, Step, Transfer};
use super::{BedKind, ContactStatus, Exposure, SampleKind};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::people::PersonInput;
use crate::web::AppState;
use crate::web::json::ApiJson;
use crate::web::json::Created;
use crate::web::when;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fangkong_rules::OrgCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_hospitals, create_hospital))
        .routes(routes!(set_beds))
        .routes(routes!(hospital_patients))
        .routes(routes!(request_transfer))
        .routes(routes!(transfer_step))
        .routes(routes!(discharge_case))
        .routes(routes!(record_death))
        .routes(routes!(register_asymptomatic))
        .routes(routes!(correct_case))
        .routes(routes!(register_contact))
        .routes(routes!(release_contacts))
        .routes(routes!(list_contacts))
        .routes(routes!(list_follow_ups))
        .routes(routes!(complete_follow_up))
}

#[utoipa::path(get, path = "/api/v1/hospitals", tag = "hospitals",
    description = "Every designated hospital with its beds by kind: total, taken (reserved or occupied), and requests waiting.",
    responses((status = 200, body = Vec<HospitalBeds>)))]
async fn list_hospitals(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<HospitalBeds>>> {
    caller.require(Permission::ManageCases)?;
    Ok(Json(hospitals::board(&state.db).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HospitalInput {
    /// The unit the hospital belongs to (the city, for city designated hospitals).
    pub org_code: String,
    pub name: String,
    pub general_beds: i64,
    pub isolation_beds: i64,
    pub icu_beds: i64,
}

#[utoipa::path(post, path = "/api/v1/hospitals", tag = "hospitals", request_body = HospitalInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_hospital(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<HospitalInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManageHospitals)?;
    let org_code = OrgCode::parse(&input.org_code).map_err(|_| AppError::invalid("org_code", "org_invalid", "请选择所属单位"))?;
    let new = NewHospital { org_code, name: input.name, general_beds: input.general_beds, isolation_beds: input.isolation_beds, icu_beds: input.icu_beds };
    let id = hospitals::create(&state.db, &caller.actor(), &caller.scope, &new).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BedsInput {
    pub general_beds: i64,
    pub isolation_beds: i64,
    pub icu_beds: i64,
}

#[utoipa::path(put, path = "/api/v1/hospitals/{id}/beds", tag = "hospitals", params(("id" = i64, Path)), request_body = BedsInput,
    description = "Sets a hospital's beds; never below the beds taken.",
    responses((status = 200, body = HospitalBeds), (status = 422, body = ErrorBody)))]
async fn set_beds(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<BedsInput>) -> AppResult<Json<HospitalBeds>> {
    caller.require(Permission::ManageHospitals)?;
    hospitals::set_beds(&state.db, &caller.actor(), &caller.scope, id, input.general_beds, input.isolation_beds, input.icu_beds).await?;
    Ok(Json(hospitals::beds_of(&state.db, id).await?.ok_or(AppError::NotFound)?))
}

#[utoipa::path(get, path = "/api/v1/hospitals/{id}/patients", tag = "hospitals", params(("id" = i64, Path)),
    description = "Requested, reserved and admitted patients of the hospital whose cases are in the caller's scope; names masked.",
    responses((status = 200, body = Vec<Patient>)))]
async fn hospital_patients(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<Vec<Patient>>> {
    caller.require(Permission::ManageCases)?;
    Ok(Json(hospitals::patients(&state.lists, &caller.scope, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub hospital_id: i64,
    /// `general`, `isolation` or `icu`.
    pub bed_kind: String,
    pub note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/transfers", tag = "hospitals", params(("id" = i64, Path)), request_body = TransferInput,
    description = "Requests a bed at a designated hospital; refused with the hospital's figures when no bed of that kind is free.",
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_transfer(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<TransferInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManageCases)?;
    let kind = BedKind::parse(&input.bed_kind).ok_or_else(|| AppError::invalid("bed_kind", "bed_kind_unknown", "请选择床位类型"))?;
    let id = hospitals::request(&state.db, &caller.actor(), &caller.scope, id, input.hospital_id, kind, input.note.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Beijing time, `YYYY-MM-DD HH:MM`; now when absent.
    pub at: Option<String>,
}

/// `accept`, `admit` or `cancel`.
pub(super) fn parse_step(step: &str) -> AppResult<Step> {
    match step {
        "accept" => Ok(Step::Accept),
        "admit" => Ok(Step::Admit),
        "cancel" => Ok(Step::Cancel),
        _ => Err(AppError::NotFound),
    }
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/{step}", tag = "hospitals",
    params(("id" = i64, Path), ("step" = String, Path, description = "`accept` (takes the bed if still free), `admit` or `cancel`")), request_body = StepInput,
    responses((status = 200, body = Transfer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn transfer_step(State(state): State<AppState>, caller: Caller, Path((id, step)): Path<(i64, String)>, ApiJson(input): ApiJson<StepInput>) -> AppResult<Json<Transfer>> {
    caller.require(Permission::ManageCases)?;
    let at = when::happened_at_opt("at", input.at.as_deref())?.unwrap_or_else(crate::db::now_micros);
    Ok(Json(hospitals::advance(&state.db, &caller.actor(), &caller.scope, id, parse_step(&step)?, at).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DischargeInput {
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    /// Temperature normal for more than the edition's days (3).
    #[serde(default)]
    pub afebrile: bool,
    #[serde(default)]
    pub respiratory_improved: bool,
    #[serde(default)]
    pub imaging_improved: bool,
    /// Ask the home community for psychological counselling.
    #[serde(default)]
    pub counselling: bool,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/discharge", tag = "cases", params(("id" = i64, Path)), request_body = DischargeInput,
    description = "Discharges a confirmed case (or releases an asymptomatic infection) if the criteria are met; hands the person to the home grid: post-discharge observation and follow-ups in weeks 2 and 4.",
    responses((status = 200, body = Handover), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn discharge_case(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<DischargeInput>) -> AppResult<Json<Handover>> {
    caller.require(Permission::ManageCases)?;
    let today = clock::today();
    let date = when::happened_on_opt("date", input.date.as_deref())?.unwrap_or(today);
    let checklist = Checklist { afebrile: input.afebrile, respiratory_improved: input.respiratory_improved, imaging_improved: input.imaging_improved };
    let asked = Discharge { case_id: id, checklist, counselling: input.counselling, day: date };
    Ok(Json(discharge::discharge(&state.db, &caller.actor(), &caller.scope, asked, today).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeathInput {
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub at: String,
    pub cause: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/death", tag = "cases", params(("id" = i64, Path)), request_body = DeathInput,
    responses((status = 200, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_death(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<DeathInput>) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let case = discharge::record_death(&state.db, &caller.actor(), &caller.scope, id, when::happened_at("at", &input.at)?, &input.cause, clock::today()).await?;
    Ok(Json(detail(&state, &caller.scope, case).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AsymptomaticInput {
    pub person_id: i64,
    /// The positive sample: `throat_swab`, `nasal_swab`, `sputum`, `blood` or `other`.
    pub kind: String,
    /// Beijing times, `YYYY-MM-DD HH:MM`.
    pub taken_at: String,
    pub received_at: Option<String>,
    pub lab: Option<String>,
    pub resulted_at: String,
}

#[utoipa::path(post, path = "/api/v1/asymptomatic", tag = "cases", request_body = AsymptomaticInput,
    description = "Registers an asymptomatic infection with its positive nucleic-acid result.",
    responses((status = 201, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_asymptomatic(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<AsymptomaticInput>) -> AppResult<(StatusCode, Json<CaseDetail>)> {
    caller.require(Permission::ManageCases)?;
    let test = PositiveTest {
        person_id: input.person_id,
        kind: SampleKind::parse(&input.kind).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择标本类型"))?,
        taken_at: when::happened_at("taken_at", &input.taken_at)?,
        received_at: when::happened_at_opt("received_at", input.received_at.as_deref())?,
        lab: input.lab.as_deref().map(str::trim).filter(|l| !l.is_empty()),
        resulted_at: when::happened_at("resulted_at", &input.resulted_at)?,
    };
    let case = asymptomatic::register(&state.db, &caller.actor(), &caller.scope, &test, clock::today()).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller.scope, case).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// `YYYY-MM-DD`: when symptoms appeared.
    pub onset_date: String,
    /// The symptoms or signs found.
    pub findings: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/correction", tag = "cases", params(("id" = i64, Path)), request_body = CorrectionInput,
    description = "Corrects (订正) an asymptomatic infection to a confirmed case when symptoms appear.",
    responses((status = 200, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct_case(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<CorrectionInput>) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let onset = when::happened_on("onset_date", &input.onset_date)?;
    let case = asymptomatic::correct_to_confirmed(&state.db, &caller.actor(), &caller.scope, id, onset, &input.findings, clock::today()).await?;
    Ok(Json(detail(&state, &caller.scope, case).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// A person in the caller's scope; or else `person`.
    pub person_id: Option<i64>,
    /// A person as typed, placed in their own unit (anywhere in the city); linked to the existing
    /// record when the document is already registered.
    pub person: Option<PersonInput>,
    /// `household`, `work`, `medical`, `transport`, `social` or `other`.
    pub exposure: String,
    /// `YYYY-MM-DD`: observation is counted from it.
    pub last_exposure_date: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/contacts", tag = "contacts", params(("id" = i64, Path)), request_body = ContactInput,
    description = "Registers a close contact and starts their observation in their own grid from the last exposure.",
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_contact(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<ContactInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManageCases)?;
    let today = clock::today();
    let who = match (input.person_id, input.person) {
        (Some(person_id), None) => Who::Existing(person_id),
        (None, Some(person)) => Who::New(Box::new(person.validate(today).map_err(AppError::Invalid)?)),
        _ => return Err(AppError::invalid("person_id", "person_required", "请填写人员编号,或新登记人员的信息(二选一)")),
    };
    let exposure = Exposure::parse(&input.exposure).ok_or_else(|| AppError::invalid("exposure", "exposure_unknown", "请选择接触方式"))?;
    let new = NewContact { case_id: id, who, exposure, last_exposure: when::happened_on("last_exposure_date", &input.last_exposure_date)? };
    let id = contacts::register(&state.db, &caller.actor(), &caller.scope, new, today).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Released {
    pub released: u64,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/contacts/release", tag = "contacts", params(("id" = i64, Path)),
    description = "Releases the close contacts of an excluded suspected case and ends the observation their registration started.",
    responses((status = 200, body = Released), (status = 409, body = ErrorBody)))]
async fn release_contacts(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<Released>> {
    caller.require(Permission::ManageCases)?;
    let released = contacts::release(&state.db, &caller.actor(), &caller.scope, id, clock::today()).await?;
    Ok(Json(Released { released }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ContactParams {
    /// `observing` or `released`; all when absent.
    pub status: Option<String>,
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactParams),
    description = "Close contacts living in the caller's scope, whatever county their case is in; the case is named by number and unit only.",
    responses((status = 200, body = Vec<ContactLine>)))]
async fn list_contacts(State(state): State<AppState>, caller: Caller, Query(p): Query<ContactParams>) -> AppResult<Json<Vec<ContactLine>>> {
    caller.require(Permission::ManageCases)?;
    let status = p.status.as_deref().filter(|s| !s.is_empty()).map(|s| ContactStatus::parse(s).ok_or_else(|| AppError::invalid("status", "status_unknown", "未知的状态"))).transpose()?;
    Ok(Json(contacts::in_scope(&state.lists, &caller.scope, status, p.before, crate::web::params::clamp_page(p.limit)).await?))
}

/// Follow-ups are kept by grid workers and county staff alike.
pub(super) fn require_follow_up(caller: &Caller) -> AppResult<()> {
    if caller.may(Permission::ManageCases) { Ok(()) } else { caller.require(Permission::WriteLedger) }
}

#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "contacts",
    description = "Post-discharge follow-ups not yet done in the caller's scope, earliest due first.",
    responses((status = 200, body = Vec<FollowUp>)))]
async fn list_follow_ups(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<FollowUp>>> {
    require_follow_up(&caller)?;
    Ok(Json(follow_ups::open(&state.lists, &caller.scope, clock::today(), crate::web::params::MAX_PAGE).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// What the visit found.
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/done", tag = "contacts", params(("id" = i64, Path)), request_body = FollowUpInput,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete_follow_up(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<FollowUpInput>) -> AppResult<StatusCode> {
    require_follow_up(&caller)?;
    follow_ups::complete(&state.db, &caller.actor(), &caller.scope, id, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}
