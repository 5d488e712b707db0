//! Pages after triage: the case page's transfer, discharge, death, correction and contact forms,
//! the asymptomatic-infection form, the contacts list (`/contacts`), the follow-up list
//! (`/follow-ups`) and the case board (`/cases/board`).

use super::asymptomatic::{self, PositiveTest};
use super::care_api::require_follow_up;
use super::contacts::{self, ContactLine, NewContact, Who};
use super::discharge::{self, Checklist, Discharge};
use super::follow_ups::{self, FollowUp};
use super::hospitals::{self, HospitalBeds, Transfer};
use super::pages::{Fields, after, fact_time, field, joined};
use super::store::Case;
use super::{BedKind, Exposure, SampleKind};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::people::PersonInput;
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use crate::web::when;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use time::Date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/transfers", post(request_transfer))
        .route("/cases/{id}/discharge", post(discharge_case))
        .route("/cases/{id}/death", post(record_death))
        .route("/cases/{id}/correction", post(correct_case))
        .route("/cases/{id}/contacts", post(register_contact))
        .route("/cases/{id}/contacts/release", post(release_contacts))
        .route("/cases/asymptomatic", get(asymptomatic_page).post(register_asymptomatic))
        .route("/contacts", get(contacts_page))
        .route("/cases/board", get(board_page))
        .route("/cases/chains", get(super::chain_page::chains_page))
        .route("/follow-ups", get(follow_ups_page))
        .route("/follow-ups/{id}/done", post(complete_follow_up))
}

/// The case page's treatment and contact sections.
pub(super) struct Care {
    pub transfers: Vec<Transfer>,
    pub hospitals: Vec<HospitalBeds>,
    pub contacts: Vec<ContactLine>,
    pub follow_ups: Vec<FollowUp>,
    pub bed_kinds: Vec<(&'static str, &'static str)>,
    pub exposures: Vec<(&'static str, &'static str)>,
    pub today: Date,
    lang: crate::web::i18n::Lang,
}

impl Care {
    pub async fn load(state: &AppState, scope: &fangkong_rules::Scope, case: &Case, lang: crate::web::i18n::Lang) -> AppResult<Care> {
        Ok(Care {
            transfers: hospitals::for_case(&state.db, case.id).await?,
            hospitals: hospitals::board(&state.db).await?,
            contacts: contacts::of_case(&state.db, scope, case.id).await?,
            follow_ups: follow_ups::for_case(&state.db, case.id, clock::today()).await?,
            bed_kinds: BedKind::options(lang),
            exposures: Exposure::options(lang),
            today: clock::today(),
            lang,
        })
    }
    pub fn has_open_transfer(&self) -> bool {
        self.transfers.iter().any(Transfer::is_open)
    }
    pub fn has_observing_contacts(&self) -> bool {
        self.contacts.iter().any(|c| c.status == super::ContactStatus::Observing.as_str())
    }
    /// "Free: general 3 · isolation 0 · ICU 1" for a hospital option.
    pub fn free_beds(&self, h: &HospitalBeds) -> String {
        BedKind::ALL.iter().map(|k| format!("{} {}", k.label(self.lang), h.free(*k))).collect::<Vec<_>>().join(" · ")
    }
}

fn checked(fields: &Fields, name: &str) -> bool {
    fields.iter().any(|(k, v)| k == name && !v.is_empty())
}

async fn request_transfer(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let hospital = field(&form, "hospital_id").parse::<i64>().map_err(|_| AppError::invalid("hospital_id", "hospital_unknown", "请选择定点医院"))?;
        let kind = BedKind::parse(field(&form, "bed_kind")).ok_or_else(|| AppError::invalid("bed_kind", "bed_kind_unknown", "请选择床位类型"))?;
        hospitals::request(&state.db, &caller.actor(), &caller.scope, id, hospital, kind, Some(field(&form, "note"))).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn discharge_case(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let today = clock::today();
        let date = when::happened_on_opt("date", Some(field(&form, "date")))?.unwrap_or(today);
        let checklist = Checklist { afebrile: checked(&form, "afebrile"), respiratory_improved: checked(&form, "respiratory_improved"), imaging_improved: checked(&form, "imaging_improved") };
        let asked = Discharge { case_id: id, checklist, counselling: checked(&form, "counselling"), day: date };
        discharge::discharge(&state.db, &caller.actor(), &caller.scope, asked, today).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn record_death(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let at = fact_time(&form, "at")?.ok_or_else(|| AppError::invalid("at", "required", "请填写死亡时间"))?;
        discharge::record_death(&state.db, &caller.actor(), &caller.scope, id, at, field(&form, "cause"), clock::today()).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn correct_case(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let onset = when::happened_on("onset_date", field(&form, "onset_date"))?;
        asymptomatic::correct_to_confirmed(&state.db, &caller.actor(), &caller.scope, id, onset, field(&form, "findings"), clock::today()).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn register_contact(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = async {
        let today = clock::today();
        let who = match field(&form, "person_id") {
            "" => {
                let typed = |name: &str| Some(field(&form, name).to_string()).filter(|v| !v.is_empty());
                let input = PersonInput {
                    name: field(&form, "name").into(),
                    id_number: field(&form, "id_number").into(),
                    phone: typed("phone"),
                    org_code: field(&form, "org_code").into(),
                    current_address: typed("current_address"),
                    ..Default::default()
                };
                Who::New(Box::new(input.validate(today).map_err(AppError::Invalid)?))
            }
            s => Who::Existing(s.parse().map_err(|_| AppError::invalid("person_id", "person_unknown", "人员编号应为数字"))?),
        };
        let exposure = Exposure::parse(field(&form, "exposure")).ok_or_else(|| AppError::invalid("exposure", "exposure_unknown", "请选择接触方式"))?;
        let last_exposure = when::happened_on("last_exposure_date", field(&form, "last_exposure_date"))?;
        contacts::register(&state.db, &caller.actor(), &caller.scope, NewContact { case_id: id, who, exposure, last_exposure }, today).await.map(|_| ())
    }
    .await;
    after(&state, &caller, lang, id, outcome).await
}

async fn release_contacts(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, .. }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let outcome = contacts::release(&state.db, &caller.actor(), &caller.scope, id, clock::today()).await.map(|_| ());
    after(&state, &caller, lang, id, outcome).await
}

#[derive(Template)]
#[template(path = "cases/asymptomatic.html")]
struct AsymptomaticPage {
    chrome: Chrome,
    form: Fields,
    sample_kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

impl AsymptomaticPage {
    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.errors, name, self.chrome.lang)
    }
}

async fn show_asymptomatic(state: &AppState, caller: &Caller, lang: Lang, form: Fields, errors: Vec<FieldError>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        AsymptomaticPage {
            chrome: Chrome::for_caller(state, caller, lang, lang.pick("登记无症状感染者", "Asymptomatic infection")).await?, form, sample_kinds: SampleKind::options(lang), errors
        };
    Ok(render(status, &page))
}

async fn asymptomatic_page(State(state): State<AppState>, caller: Caller, lang: Lang, axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>) -> AppResult<Response> {
    show_asymptomatic(&state, &caller, lang, q.into_iter().filter(|(k, _)| k == "person_id").collect(), Vec::new()).await
}

async fn register_asymptomatic(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let registered = async {
        let test = PositiveTest {
            person_id: field(&form, "person_id").parse().map_err(|_| AppError::invalid("person_id", "person_unknown", "请填写人员编号"))?,
            kind: SampleKind::parse(field(&form, "kind")).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择标本类型"))?,
            taken_at: fact_time(&form, "taken_at")?.ok_or_else(|| AppError::invalid("taken_at", "required", "请填写采样时间"))?,
            received_at: fact_time(&form, "received_at")?,
            lab: Some(field(&form, "lab")).filter(|l| !l.is_empty()),
            resulted_at: fact_time(&form, "resulted_at")?.ok_or_else(|| AppError::invalid("resulted_at", "required", "请填写出结果时间"))?,
        };
        asymptomatic::register(&state.db, &caller.actor(), &caller.scope, &test, clock::today()).await
    }
    .await;
    match registered {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}", case.id)).into_response()),
        Err(AppError::Invalid(errors)) => show_asymptomatic(&state, &caller, lang, form, errors).await,
        Err(AppError::Conflict { message, .. }) => show_asymptomatic(&state, &caller, lang, form, vec![FieldError::new("person_id", "case_open", message)]).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    contacts: Vec<ContactLine>,
}

async fn contacts_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let page = ContactsPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("密切接触者", "Close contacts")).await?,
        contacts: contacts::in_scope(&state.lists, &caller.scope, None, None, crate::web::params::MAX_PAGE).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "cases/follow_ups.html")]
struct FollowUpsPage {
    chrome: Chrome,
    follow_ups: Vec<FollowUp>,
    back: &'static str,
    error: Option<String>,
}

async fn show_follow_ups(state: &AppState, caller: &Caller, lang: Lang, error: Option<String>) -> AppResult<Response> {
    require_follow_up(caller)?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FollowUpsPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("出院随访", "Follow-ups")).await?,
        follow_ups: follow_ups::open(&state.lists, &caller.scope, clock::today(), crate::web::params::MAX_PAGE).await?,
        back: "/follow-ups",
        error,
    };
    Ok(render(status, &page))
}

async fn follow_ups_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    show_follow_ups(&state, &caller, lang, None).await
}

async fn complete_follow_up(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    require_follow_up(&caller)?;
    match follow_ups::complete(&state.db, &caller.actor(), &caller.scope, id, field(&form, "note")).await {
        // Back to the list it was done from: the today list or this one.
        Ok(()) => Ok(Redirect::to(if field(&form, "back") == "/today" { "/today" } else { "/follow-ups" }).into_response()),
        Err(AppError::Invalid(errors)) => show_follow_ups(&state, &caller, lang, Some(joined(errors))).await,
        Err(AppError::Conflict { message, .. }) => show_follow_ups(&state, &caller, lang, Some(message)).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/board.html")]
struct BoardPage {
    chrome: Chrome,
    unit: crate::org::OrgUnit,
    parent: Option<String>,
    board: super::board::Board,
}

impl BoardPage {
    fn time(&self, micros: &i64) -> String {
        clock::format_micros(*micros)
    }
}

#[derive(serde::Deserialize)]
struct BoardQuery {
    org: Option<String>,
}

async fn board_page(State(state): State<AppState>, caller: Caller, lang: Lang, axum::extract::Query(q): axum::extract::Query<BoardQuery>) -> AppResult<Response> {
    caller.require(Permission::ManageCases)?;
    let code = caller.unit_asked(q.org.as_deref())?;
    let unit = crate::org::store::get(&state.db, &caller.scope, &code).await?.ok_or(AppError::NotFound)?;
    let parent = code.parent().filter(|p| caller.scope.allows(p.as_str()) && *p != code).map(|p| p.to_string());
    let page = BoardPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("病例看板", "Case board")).await?,
        board: super::board::board(&state.db, &caller.scope, &code, clock::today(), crate::db::now_micros()).await?.ok_or(AppError::NotFound)?,
        unit,
        parent,
    };
    Ok(render(StatusCode::OK, &page))
}
