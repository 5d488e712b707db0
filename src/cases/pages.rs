//! Case pages: the list with clocks (`/cases`), the triage form (`/cases/new`), and the case page
//! (`/cases/{id}`) with its timeline, clocks, samples and results, and the confirm / exclude decision.

use super::clocks::{self, Clock};
use super::rules;
use super::store::{self, Case, NewSample, SampleLine, SeverityLine, Transition, Triage};
use super::{CaseStatus, LabOutcome, LabTest, SampleKind, Severity};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::people::view::PersonView;
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, ListCount, render};
use crate::web::when;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::case_definition::{ClinicalItem, EpiItem};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page).post(open_case))
        .route("/cases/new", get(triage_page))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/samples", post(add_sample))
        .route("/cases/{id}/results", post(add_result))
        .route("/cases/{id}/decision", post(decide))
        .route("/cases/{id}/milestone", post(record_milestone))
        .route("/cases/{id}/severity", post(assess_severity))
}

pub(super) use crate::web::forms::{Fields, field};

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<(store::CaseLine, Vec<Clock>)>,
    count: ListCount,
    next_before: Option<i64>,
}

/// Cases on a page of the list, newest first.
const CASES_PER_PAGE: usize = 50;

#[derive(Deserialize)]
struct ListQuery {
    before: Option<i64>,
}

impl ListPage {
    fn status_label(&self, status: &str) -> &'static str {
        CaseStatus::parse(status).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
}

async fn list_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(q): Query<ListQuery>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let editions = rules::all(&state.db).await?;
    let now = crate::db::now_micros();
    let mut lines = store::list(&state.lists, &caller.scope, None, q.before, CASES_PER_PAGE as i64 + 1).await?;
    let more = lines.len() > CASES_PER_PAGE;
    lines.truncate(CASES_PER_PAGE);
    let next_before = lines.last().map(|l| l.case.id).filter(|_| more);
    // Every case in the caller's area, by status, is a roll-up count of their unit.
    let here = crate::counts::gauges(&state.db, caller.org_code.as_str()).await?;
    let total = CaseStatus::ALL.iter().map(|s| here.get(&crate::counts::case_metric(s.as_str())).copied().unwrap_or(0)).sum();
    let count = ListCount { shown: lines.len(), total: Some(total), later_page: q.before.is_some(), more };
    let items = lines
        .into_iter()
        .map(|line| {
            let clocks = editions.iter().find(|r| r.id == line.case.rule_set_id).map(|r| clocks::of_line(&line, r, now)).unwrap_or_default();
            (line, clocks)
        })
        .collect();
    let chrome = Chrome::for_caller(&state, &caller, lang, lang.pick("病例", "Cases")).await?;
    Ok(render(StatusCode::OK, &ListPage { chrome, items, count, next_before }))
}

#[derive(Template)]
#[template(path = "cases/triage.html")]
struct TriagePage {
    chrome: Chrome,
    /// The person triaged, when the form names one (from their page, or chosen).
    person: Option<PersonView>,
    /// What was typed to find the person, and the persons it found to choose from.
    person_query: String,
    candidates: Vec<PersonView>,
    onset_date: String,
    history: Vec<(&'static str, &'static str, bool)>,
    clinical: Vec<(&'static str, &'static str, bool)>,
    errors: Vec<FieldError>,
}

impl TriagePage {
    fn error(&self, field: &str) -> Option<&str> {
        field_message(&self.errors, field, self.chrome.lang)
    }

    /// The messages the form shows at no field, for the alert above it: those at a field are
    /// shown there only, not twice.
    fn unplaced(&self) -> Vec<&str> {
        let placed = |field: &str| match field {
            "person" => self.person.is_none(),
            "person_id" => self.person.is_some(),
            "onset_date" => true,
            _ => false,
        };
        self.errors.iter().filter(|e| !placed(&e.field)).map(|e| crate::web::i18n::field_message(e, self.chrome.lang)).collect()
    }

    async fn show(state: &AppState, caller: &Caller, lang: Lang, fields: &Fields, errors: Vec<FieldError>, candidates: Vec<PersonView>) -> AppResult<Response> {
        let checked = |name: &str, code: &str| fields.iter().any(|(k, v)| k == name && v == code);
        let page = TriagePage {
            chrome: Chrome::for_caller(state, caller, lang, lang.pick("预检分诊", "Triage")).await?,
            person: super::triage_person::shown(state, caller, fields).await?,
            person_query: field(fields, "person").to_string(),
            candidates,
            onset_date: field(fields, "onset_date").to_string(),
            history: EpiItem::ALL.iter().map(|i| (i.as_str(), lang.pick(i.zh(), i.en()), checked("history", i.as_str()))).collect(),
            clinical: ClinicalItem::ALL.iter().map(|i| (i.as_str(), lang.pick(i.zh(), i.en()), checked("clinical", i.as_str()))).collect(),
            errors: errors.clone(),
        };
        Ok(render(if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }, &page))
    }
}

#[derive(Deserialize)]
struct TriageQuery {
    person_id: Option<i64>,
}

async fn triage_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(q): Query<TriageQuery>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let fields = q.person_id.map(|id| vec![("person_id".to_string(), id.to_string())]).unwrap_or_default();
    TriagePage::show(&state, &caller, lang, &fields, Vec::new(), Vec::new()).await
}

async fn open_case(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let person_id = match super::triage_person::chosen(&state, &caller, &form).await? {
        Ok(id) => id,
        Err((error, candidates)) => {
            // The rest of the form is checked too, so that a wrong date is not found only after the person is.
            let onset = when::happened_on_opt("onset_date", Some(field(&form, "onset_date"))).err();
            let errors = std::iter::once(error).chain(onset.into_iter().flat_map(|e| if let AppError::Invalid(f) = e { f } else { Vec::new() })).collect();
            // A choice the search no longer stands by is dropped, so the form offers the persons found.
            let searched: Fields = form.iter().filter(|(k, _)| k != "person_id").cloned().collect();
            return TriagePage::show(&state, &caller, lang, &searched, errors, candidates).await;
        }
    };
    let opened = async {
        let onset_date = when::happened_on_opt("onset_date", Some(field(&form, "onset_date")))?;
        let picked = |name: &str| form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        let history = picked("history").into_iter().filter_map(EpiItem::parse).collect();
        let clinical = picked("clinical").into_iter().filter_map(ClinicalItem::parse).collect();
        store::open_suspected(&state.db, &caller.actor(), &caller.scope, &Triage { person_id, onset_date, history, clinical }, clock::today()).await
    }
    .await;
    match opened {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response()),
        Err(AppError::Invalid(errors)) => TriagePage::show(&state, &caller, lang, &form, errors, Vec::new()).await,
        Err(AppError::Conflict { message, .. }) => TriagePage::show(&state, &caller, lang, &form, vec![FieldError::new("person_id", "case_open", message)], Vec::new()).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    chrome: Chrome,
    case: Case,
    name: String,
    edition: String,
    transitions: Vec<Transition>,
    clocks: Vec<Clock>,
    samples: Vec<SampleLine>,
    sample_kinds: Vec<(&'static str, &'static str)>,
    tests: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    severities: Vec<SeverityLine>,
    severity_options: Vec<(&'static str, &'static str)>,
    care: super::care_pages::Care,
    error: Option<String>,
}

impl CasePage {
    fn status_label(&self, status: &str) -> &'static str {
        CaseStatus::parse(status).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
    fn time(&self, micros: &i64) -> String {
        clock::format_micros(*micros)
    }
    /// Now, as the milestone forms pre-fill it.
    fn now(&self) -> String {
        clock::format_micros(crate::db::now_micros())
    }
    fn label(&self, code: &str) -> &'static str {
        let lang = self.chrome.lang;
        SampleKind::parse(code)
            .map(|k| k.label(lang))
            .or_else(|| LabTest::parse(code).map(|t| t.label(lang)))
            .or_else(|| LabOutcome::parse(code).map(|o| o.label(lang)))
            .or_else(|| Severity::parse(code).map(|s| s.label(lang)))
            .unwrap_or("")
    }
    fn is_suspected(&self) -> bool {
        self.case.status == CaseStatus::Suspected.as_str()
    }
    fn is_confirmed(&self) -> bool {
        self.case.status == CaseStatus::Confirmed.as_str()
    }
    fn is_asymptomatic(&self) -> bool {
        self.case.status == CaseStatus::Asymptomatic.as_str()
    }
    fn is_excluded(&self) -> bool {
        self.case.status == CaseStatus::Excluded.as_str()
    }
    /// Open: contacts may be registered and the patient moved.
    fn is_open(&self) -> bool {
        self.is_suspected() || self.is_confirmed() || self.is_asymptomatic()
    }
}

async fn show_case(state: &AppState, caller: &Caller, lang: Lang, id: i64, error: Option<String>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let case = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let person = crate::people::store::get(&state.db, &caller.scope, case.person_id).await?.ok_or(AppError::NotFound)?;
    let rules = rules::by_id(&state.db, case.rule_set_id).await?;
    let samples = store::samples(&state.db, case.id).await?;
    let case_id = case.id;
    let care = super::care_pages::Care::load(state, &caller.scope, &case, lang).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = CasePage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("病例", "Case")).await?,
        name: fangkong_rules::mask::mask_name(&person.name),
        edition: rules.name.clone(),
        transitions: store::transitions(&state.db, case.id).await?,
        clocks: clocks::of_case(&case, &rules, &samples, crate::db::now_micros()),
        samples,
        case,
        sample_kinds: SampleKind::options(lang),
        tests: LabTest::options(lang),
        outcomes: LabOutcome::options(lang),
        severities: store::severities(&state.db, case_id).await?,
        severity_options: Severity::options(lang),
        care,
        error,
    };
    Ok(render(status, &page))
}

async fn case_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    show_case(&state, &caller, lang, id, None).await
}

/// Field errors as one line for a page's error banner.
pub(super) fn joined(errors: Vec<FieldError>) -> String {
    errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";")
}

/// After a form on the case page: back to it, or the page again with what went wrong.
pub(super) async fn after(state: &AppState, caller: &Caller, lang: Lang, id: i64, outcome: AppResult<()>) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => show_case(state, caller, lang, id, Some(joined(errors))).await,
        Err(AppError::Conflict { message, .. }) => show_case(state, caller, lang, id, Some(message)).await,
        Err(e) => Err(e),
    }
}

/// The time something happened, typed into the form's field `name`; `None` when left blank.
pub(super) fn fact_time(fields: &Fields, name: &str) -> AppResult<Option<i64>> {
    when::happened_at_opt(name, Some(field(fields, name)))
}

async fn add_sample(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let kind = SampleKind::parse(field(&form, "kind")).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择标本类型"))?;
        let taken_at = fact_time(&form, "taken_at")?.ok_or_else(|| AppError::invalid("taken_at", "required", "请填写采样时间"))?;
        let lab = Some(field(&form, "lab")).filter(|l| !l.is_empty());
        let sample = NewSample { case_id: id, kind, taken_at, received_at: fact_time(&form, "received_at")?, lab };
        store::add_sample(&state.db, &caller.actor(), &caller.scope, &sample).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn add_result(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let sample_id = field(&form, "sample_id").parse::<i64>().map_err(|_| AppError::invalid("sample_id", "sample_unknown", "请选择标本"))?;
        let test = LabTest::parse(field(&form, "test")).ok_or_else(|| AppError::invalid("test", "test_unknown", "请选择检测项目"))?;
        let result = LabOutcome::parse(field(&form, "result")).ok_or_else(|| AppError::invalid("result", "result_unknown", "请选择检测结果"))?;
        let at = fact_time(&form, "resulted_at")?.ok_or_else(|| AppError::invalid("resulted_at", "required", "请填写出结果时间"))?;
        store::add_result(&state.db, &caller.actor(), &caller.scope, sample_id, test, result, at).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn decide(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    // Confirming or excluding cannot be undone from the page: the form asks for a tick first.
    let outcome = match CaseStatus::parse(field(&form, "to")) {
        Some(CaseStatus::Confirmed | CaseStatus::Excluded) if field(&form, "checked") != "1" => {
            Err(AppError::invalid("checked", "confirm_required", lang.pick("请先勾选“已核对检测结果”再确诊或排除", "Tick “results checked” before confirming or excluding")))
        }
        Some(to @ (CaseStatus::Confirmed | CaseStatus::Excluded)) => store::decide_suspected(&state.db, &caller.actor(), &caller.scope, id, to, clock::today()).await.map(|_| ()),
        _ => Err(AppError::invalid("to", "decision_unknown", "疑似病例只能确诊或排除")),
    };
    after(&state, &caller, lang, id, outcome).await
}

/// Stops the report or investigation clock: "已直报" / "已流调" at the time typed (now when left
/// blank, never later than now), from the case page or the case list (`back=list`).
async fn record_milestone(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let milestone = match field(&form, "milestone") {
            "reported" => store::Milestone::Reported,
            "investigated" => store::Milestone::Investigated,
            _ => return Err(AppError::invalid("milestone", "milestone_unknown", "请选择已直报或已流调")),
        };
        let at = fact_time(&form, "at")?.unwrap_or_else(crate::db::now_micros);
        store::record_milestone(&state.db, &caller.actor(), &caller.scope, id, milestone, at).await.map(|_| ())
    }
    .await;
    match outcome {
        Ok(()) if field(&form, "back") == "list" => Ok(Redirect::to(&format!("/cases#case-{id}")).into_response()),
        other => after(&state, &caller, lang, id, other).await,
    }
}

async fn assess_severity(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let severity = Severity::parse(field(&form, "severity")).ok_or_else(|| AppError::invalid("severity", "severity_unknown", "请选择临床分型"))?;
        let at = fact_time(&form, "at")?.unwrap_or_else(crate::db::now_micros);
        store::assess_severity(&state.db, &caller.actor(), &caller.scope, id, severity, at).await
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}
