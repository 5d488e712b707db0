//! `/api/v1/triage/assess`, `/api/v1/cases`, samples, results and decisions.

use super::clocks::{self, Clock};
use super::rules;
use super::store::{self, Case, CaseLine, Milestone, NewSample, SampleLine, SeverityLine, Transition, Triage};
use super::{CaseStatus, LabOutcome, LabTest, SampleKind, Severity};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody, FieldError};
use crate::web::AppState;
use crate::web::json::ApiJson;
use crate::web::json::Created;
use crate::web::when;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assess))
        .routes(routes!(list_cases, open_case))
        .routes(routes!(case_board))
        .routes(routes!(super::chain_page::chains_api))
        .routes(routes!(get_case))
        .routes(routes!(add_sample))
        .routes(routes!(add_result))
        .routes(routes!(decide))
        .routes(routes!(reported))
        .routes(routes!(investigated))
        .routes(routes!(assess_severity))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// Epidemiological history: `affected_area_travel`, `infected_contact`, `febrile_contact_from_area`, `cluster`.
    #[serde(default)]
    pub history: Vec<String>,
    /// Clinical items: `fever_or_respiratory`, `imaging_features`, `low_cell_counts`.
    #[serde(default)]
    pub clinical: Vec<String>,
}

/// The items named by their codes; an unknown code is a field error.
fn parse_items(history: &[String], clinical: &[String]) -> AppResult<(Vec<EpiItem>, Vec<ClinicalItem>)> {
    let mut errors = Vec::new();
    let history = history
        .iter()
        .filter_map(|c| {
            EpiItem::parse(c).or_else(|| {
                errors.push(FieldError::new("history", "item_unknown", format!("未知的流行病学史条目:{c}")));
                None
            })
        })
        .collect();
    let clinical = clinical
        .iter()
        .filter_map(|c| {
            ClinicalItem::parse(c).or_else(|| {
                errors.push(FieldError::new("clinical", "item_unknown", format!("未知的临床表现条目:{c}")));
                None
            })
        })
        .collect();
    if errors.is_empty() { Ok((history, clinical)) } else { Err(AppError::Invalid(errors)) }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub suspected: bool,
    /// `[code, label]` of each history item found.
    #[schema(value_type = Vec<Vec<String>>)]
    pub history: Vec<(String, String)>,
    /// `[code, label]` of each clinical item found.
    #[schema(value_type = Vec<Vec<String>>)]
    pub clinical: Vec<(String, String)>,
    pub reason: String,
    /// The protocol edition in force today, by which this was assessed.
    pub edition: String,
}

#[utoipa::path(post, path = "/api/v1/triage/assess", tag = "cases", request_body = Findings,
    description = "Evaluates the suspected-case definition of the edition in force, item by item; records nothing.",
    responses((status = 200, body = AssessmentView), (status = 422, body = ErrorBody)))]
async fn assess(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<Findings>) -> AppResult<Json<AssessmentView>> {
    caller.require(Permission::ManageCases)?;
    let (history, clinical) = parse_items(&input.history, &input.clinical)?;
    let rules = rules::in_force(&state.db, clock::today()).await?;
    let a = rules.suspected().assess(&history, &clinical);
    Ok(Json(AssessmentView {
        suspected: a.suspected,
        history: a.history.iter().map(|i| (i.as_str().into(), i.zh().into())).collect(),
        clinical: a.clinical.iter().map(|i| (i.as_str().into(), i.zh().into())).collect(),
        reason: a.reason,
        edition: rules.name,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInput {
    pub person_id: i64,
    /// `YYYY-MM-DD`.
    pub onset_date: Option<String>,
    /// As in [`Findings`].
    #[serde(default)]
    pub history: Vec<String>,
    #[serde(default)]
    pub clinical: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub transitions: Vec<Transition>,
    pub samples: Vec<SampleLine>,
    /// Report, investigation and lab clocks, due and done, under the case's edition.
    pub clocks: Vec<Clock>,
    /// Clinical classifications of a confirmed case, oldest first.
    pub severities: Vec<SeverityLine>,
    /// Transfers to designated hospitals, oldest first.
    pub transfers: Vec<super::hospitals::Transfer>,
    /// Close contacts, names masked.
    pub contacts: Vec<super::contacts::ContactLine>,
    /// Follow-ups after discharge.
    pub follow_ups: Vec<super::follow_ups::FollowUp>,
}

/// A case with everything recorded about it, as a viewer with `scope` may see it.
pub(super) async fn detail(state: &AppState, scope: &fangkong_rules::Scope, case: Case) -> AppResult<CaseDetail> {
    let transitions = store::transitions(&state.db, case.id).await?;
    let samples = store::samples(&state.db, case.id).await?;
    let rules = rules::by_id(&state.db, case.rule_set_id).await?;
    let clocks = clocks::of_case(&case, &rules, &samples, crate::db::now_micros());
    let severities = store::severities(&state.db, case.id).await?;
    let transfers = super::hospitals::for_case(&state.db, case.id).await?;
    let contacts = super::contacts::of_case(&state.db, scope, case.id).await?;
    let follow_ups = super::follow_ups::for_case(&state.db, case.id, clock::today()).await?;
    Ok(CaseDetail { case, transitions, samples, clocks, severities, transfers, contacts, follow_ups })
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = OpenInput,
    description = "Opens a suspected case when the triage findings meet the definition of the edition in force; otherwise 422 says why.",
    responses((status = 201, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn open_case(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<OpenInput>) -> AppResult<(StatusCode, Json<CaseDetail>)> {
    caller.require(Permission::ManageCases)?;
    let (history, clinical) = parse_items(&input.history, &input.clinical)?;
    let onset_date = when::happened_on_opt("onset_date", input.onset_date.as_deref())?;
    let triage = Triage { person_id: input.person_id, onset_date, history, clinical };
    let case = store::open_suspected(&state.db, &caller.actor(), &caller.scope, &triage, clock::today()).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &caller.scope, case).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `suspected`, `confirmed`, `asymptomatic` or `excluded`; all when absent.
    pub status: Option<String>,
    /// Cases with ids below this one (paging).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseItem {
    #[serde(flatten)]
    pub line: CaseLine,
    pub clocks: Vec<Clock>,
    /// Some clock is overdue.
    pub overdue: bool,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListParams),
    description = "Cases in scope, newest first, each with its clocks.",
    responses((status = 200, body = Vec<CaseItem>), (status = 422, body = ErrorBody)))]
async fn list_cases(State(state): State<AppState>, caller: Caller, Query(p): Query<ListParams>) -> AppResult<Json<Vec<CaseItem>>> {
    caller.require(Permission::ManageCases)?;
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(CaseStatus::parse(s).ok_or_else(|| AppError::invalid("status", "status_unknown", "未知的病例状态"))?),
    };
    let lines = store::list(&state.lists, &caller.scope, status, p.before, crate::web::params::clamp_page(p.limit)).await?;
    let editions = rules::all(&state.db).await?;
    let now = crate::db::now_micros();
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let rules = editions.iter().find(|r| r.id == line.case.rule_set_id).ok_or_else(|| AppError::Internal(anyhow::anyhow!("edition {} missing", line.case.rule_set_id)))?;
        let clocks = clocks::of_line(&line, rules, now);
        items.push(CaseItem { overdue: clocks.iter().any(|c| c.overdue), clocks, line });
    }
    Ok(Json(items))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
async fn get_case(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let case = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(detail(&state, &caller.scope, case).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleInput {
    /// `throat_swab`, `nasal_swab`, `sputum`, `blood` or `other`.
    pub kind: String,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub taken_at: String,
    /// When the laboratory received it (starts the lab clock).
    pub received_at: Option<String>,
    pub lab: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/samples", tag = "cases", params(("id" = i64, Path)), request_body = SampleInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_sample(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<SampleInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManageCases)?;
    let kind = SampleKind::parse(&input.kind).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择标本类型"))?;
    let received_at = when::happened_at_opt("received_at", input.received_at.as_deref())?;
    let lab = input.lab.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let sample = NewSample { case_id: id, kind, taken_at: when::happened_at("taken_at", &input.taken_at)?, received_at, lab };
    let id = store::add_sample(&state.db, &caller.actor(), &caller.scope, &sample).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// `nucleic_acid`, `igm` or `igg`.
    pub test: String,
    /// `positive`, `negative` or `inconclusive`.
    pub result: String,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub resulted_at: String,
}

#[utoipa::path(post, path = "/api/v1/samples/{id}/results", tag = "cases", params(("id" = i64, Path)), request_body = ResultInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_result(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<ResultInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::ManageCases)?;
    let test = LabTest::parse(&input.test).ok_or_else(|| AppError::invalid("test", "test_unknown", "请选择检测项目"))?;
    let outcome = LabOutcome::parse(&input.result).ok_or_else(|| AppError::invalid("result", "result_unknown", "检测结果应为阳性、阴性或不确定"))?;
    let id = store::add_result(&state.db, &caller.actor(), &caller.scope, id, test, outcome, when::happened_at("resulted_at", &input.resulted_at)?).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `confirmed` or `excluded`.
    pub to: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/decision", tag = "cases", params(("id" = i64, Path)), request_body = DecisionInput,
    description = "Confirms or excludes a suspected case when its results allow it under the edition in force; otherwise 422 says why and nothing changes.",
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<DecisionInput>) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let to = match CaseStatus::parse(&input.to) {
        Some(to @ (CaseStatus::Confirmed | CaseStatus::Excluded)) => to,
        _ => return Err(AppError::invalid("to", "decision_unknown", "疑似病例只能确诊或排除")),
    };
    let case = store::decide_suspected(&state.db, &caller.actor(), &caller.scope, id, to, clock::today()).await?;
    Ok(Json(detail(&state, &caller.scope, case).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhenInput {
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub at: String,
}

async fn milestone(state: &AppState, caller: &Caller, id: i64, milestone: Milestone, input: &WhenInput) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let case = store::record_milestone(&state.db, &caller.actor(), &caller.scope, id, milestone, when::happened_at("at", &input.at)?).await?;
    Ok(Json(detail(state, &caller.scope, case).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/report", tag = "cases", params(("id" = i64, Path)), request_body = WhenInput,
    description = "Records when the online direct report (网络直报) was made; stops the report clock.",
    responses((status = 200, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reported(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<WhenInput>) -> AppResult<Json<CaseDetail>> {
    milestone(&state, &caller, id, Milestone::Reported, &input).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/investigation", tag = "cases", params(("id" = i64, Path)), request_body = WhenInput,
    description = "Records when the epidemiological investigation was completed; stops its clock.",
    responses((status = 200, body = CaseDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn investigated(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<WhenInput>) -> AppResult<Json<CaseDetail>> {
    milestone(&state, &caller, id, Milestone::Investigated, &input).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityInput {
    /// `mild`, `common`, `severe` or `critical`.
    pub severity: String,
    /// Beijing time, `YYYY-MM-DD HH:MM`.
    pub at: String,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/severity", tag = "cases", params(("id" = i64, Path)), request_body = SeverityInput,
    description = "Records a clinical classification of a confirmed case; the history is kept.",
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assess_severity(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<SeverityInput>) -> AppResult<Json<CaseDetail>> {
    caller.require(Permission::ManageCases)?;
    let severity = Severity::parse(&input.severity).ok_or_else(|| AppError::invalid("severity", "severity_unknown", "临床分型应为轻型、普通型、重型或危重型"))?;
    store::assess_severity(&state.db, &caller.actor(), &caller.scope, id, severity, when::happened_at("at", &input.at)?).await?;
    let case = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(detail(&state, &caller.scope, case).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BoardParams {
    /// A unit in the caller's jurisdiction; the caller's own unit when absent.
    pub org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cases/board", tag = "cases", params(BoardParams),
    description = "The case board of a unit: cases by status, patients in hospital by classification, contacts in their period, follow-ups due, free beds, overdue clocks (oldest listed) and the breakdown by child unit.",
    responses((status = 200, body = super::board::Board), (status = 404, body = ErrorBody)))]
async fn case_board(State(state): State<AppState>, caller: Caller, Query(p): Query<BoardParams>) -> AppResult<Json<super::board::Board>> {
    caller.require(Permission::ManageCases)?;
    let unit = caller.unit_asked(p.org.as_deref())?;
    let board = super::board::board(&state.db, &caller.scope, &unit, clock::today(), crate::db::now_micros()).await?;
    Ok(Json(board.ok_or(AppError::NotFound)?))
}
