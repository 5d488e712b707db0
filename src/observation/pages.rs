//! Pages of screening and observation: a person's screening page (ledger entry, start observation),
//! the observation page (day N, self-report link and QR, check-ins, chart, end/restart), the ledger
//! list, today's worklist and alerts.

use super::checkins::CheckInInput;
use super::episodes;
use super::needs::{self, Need, NeedKind, NeedStatus};
use super::today::{self, AlertLine, Today};
use super::{Status, api, rules};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::screening::VisitResult;
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, FormErrors, field, optional};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::observation::Symptom;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons/{id}/observations", post(start_observation))
        .route("/observations/{id}", get(observation_page))
        .route("/observations/{id}/check-ins", post(check_in))
        .route("/observations/{id}/restart", post(restart))
        .route("/observations/{id}/end", post(end))
        .route("/today", get(today_page))
        .route("/alerts/{id}/handle", post(handle_alert))
        .route("/alerts/{id}/call", get(super::call::call_page))
        .route("/visits", post(record_visit))
        .route("/needs", get(needs_page))
        .route("/needs/{id}/advance", post(advance_need))
        .route("/observations/{id}/needs", post(add_need))
}

async fn start_observation(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let site_id = match field(&form, "site_id").trim() {
            "" => None,
            s => Some(s.parse().map_err(|_| AppError::invalid("site_id", "site_unknown", "请选择隔离点"))?),
        };
        let input = api::StartInput { person_id: id, kind: field(&form, "kind").to_string(), start_date: field(&form, "start_date").to_string(), site_id };
        let episode = episodes::start(&state.db, &caller.actor(), &caller.scope, &input.parse()?, clock::today()).await?;
        Ok(format!("/observations/{}", episode.id))
    }
    .await;
    crate::screening::pages::or_screening_page(&state, &caller, lang, id, form, result).await
}

#[derive(Template)]
#[template(path = "observation/episode.html")]
struct EpisodePage {
    chrome: Chrome,
    detail: api::EpisodeDetail,
    person: crate::people::PersonView,
    chart: String,
    report_url: Option<String>,
    qr_svg: Option<String>,
    symptoms: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    can_write: bool,
    errors: FormErrors,
    threshold: String,
    need_kinds: Vec<(&'static str, &'static str)>,
    /// The idempotency key of this page's check-in and needs forms: a form sent twice (a double
    /// tap, a retry on a bad network) records once.
    form_key: String,
}

/// The absolute URL of a path as the client reached us (behind a proxy, its scheme and host).
fn absolute_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get("x-forwarded-host").or_else(|| headers.get("host")).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let scheme = if crate::web::pages::is_https(headers) { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(180, 180).quiet_zone(true).build())
}

async fn episode_view(state: &AppState, caller: &Caller, lang: Lang, headers: &HeaderMap, id: i64, errors: Vec<FieldError>, status: StatusCode) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let episode = episodes::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let person = crate::people::store::get(&state.db, &caller.scope, episode.person_id).await?.ok_or(AppError::NotFound)?.masked();
    let rules = rules::by_id(&state.db, episode.rule_set_id).await?;
    let detail = api::detail(state, caller, episode).await?;
    let report_url = detail.report_path.as_deref().map(|p| absolute_url(headers, p));
    let page = EpisodePage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("医学观察", "Observation")).await?,
        chart: super::chart::temperature_svg(&detail.check_ins, rules.fever_threshold_tenths, lang.pick("体温曲线", "Temperature chart")),
        qr_svg: report_url.as_deref().and_then(qr_svg),
        report_url,
        detail,
        person,
        symptoms: Symptom::ALL.iter().map(|s| (s.as_str(), lang.pick(s.zh(), s.en()))).collect(),
        outcomes: Status::options(lang).into_iter().filter(|(s, _)| !matches!(Status::parse(s), Some(Status::Active | Status::Released | Status::BecameCase))).collect(),
        can_write: caller.may(Permission::WriteLedger),
        errors: FormErrors(errors),
        threshold: rules.fever_threshold().to_string(),
        need_kinds: NeedKind::options(lang),
        form_key: crate::auth::sessions::random_token()[..32].to_string(),
    };
    Ok(render(status, &page))
}

async fn observation_page(State(state): State<AppState>, caller: Caller, lang: Lang, headers: HeaderMap, Path(id): Path<i64>) -> AppResult<Response> {
    episode_view(&state, &caller, lang, &headers, id, Vec::new(), StatusCode::OK).await
}

async fn or_episode_page(state: &AppState, caller: &Caller, lang: Lang, headers: &HeaderMap, id: i64, result: AppResult<()>) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/observations/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => episode_view(state, caller, lang, headers, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(AppError::Conflict { message, .. }) => episode_view(state, caller, lang, headers, id, vec![FieldError::new("form", "conflict", message)], StatusCode::CONFLICT).await,
        Err(e) => Err(e),
    }
}

async fn check_in(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    let input = CheckInInput {
        slot: optional(&form, "slot"),
        temperature: field(&form, "temperature").to_string(),
        symptoms: form.iter().filter(|(k, _)| k == "symptom").map(|(_, v)| v.clone()).collect(),
        note: optional(&form, "note"),
        idempotency_key: optional(&form, "idempotency_key"),
    };
    let result = api::worker_check_in(&state, &caller, id, &input).await.map(|_| ());
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

async fn restart(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let day = crate::web::when::happened_on("start_date", field(&form, "start_date"))?;
        episodes::restart(&state.db, &caller.actor(), &caller.scope, id, day, clock::today()).await.map(|_| ())
    }
    .await;
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

async fn end(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let outcome = Status::parse(field(&form, "outcome")).ok_or_else(|| AppError::invalid("outcome", "outcome_invalid", "请选择结束方式"))?;
        episodes::end(&state.db, &caller.actor(), &caller.scope, id, outcome, optional(&form, "note").as_deref(), clock::today()).await.map(|_| ())
    }
    .await;
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

#[derive(Template)]
#[template(path = "observation/today.html")]
struct TodayPage {
    chrome: Chrome,
    today: Today,
    coverage: crate::screening::store::Coverage,
    can_write: bool,
    /// An alert about a person offers a call to their phone (audited) and, to roles that triage, triage.
    can_call: bool,
    can_triage: bool,
    visit_results: Vec<(&'static str, &'static str)>,
    escalated_only: bool,
}

impl TodayPage {
    fn day(&self, start: &time::Date) -> i64 {
        fangkong_rules::observation::observation_day(*start, self.today.date)
    }
    fn alert_class(&self, alert: &AlertLine) -> &'static str {
        if alert.escalated { "escalated" } else { "" }
    }
}

async fn today_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    let today = api::today_for(&state, &caller).await?;
    let page = TodayPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("今日工作", "Today")).await?,
        coverage: crate::screening::store::coverage(&state.db, &caller.scope, &caller.org_code).await?,
        today,
        can_write: caller.may(Permission::WriteLedger),
        can_call: super::call::may_call(&caller),
        can_triage: caller.may(Permission::ManageCases),
        visit_results: VisitResult::options(lang),
        escalated_only: caller.org_code.level() <= fangkong_rules::OrgLevel::Township,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn handle_alert(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let note = Some(field(&form, "note")).filter(|n| !n.is_empty()).unwrap_or("已处置");
    today::handle_alert(&state.db, &caller.actor(), &caller.scope, id, note).await?;
    Ok(Redirect::to("/today").into_response())
}

async fn record_visit(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let household_id = field(&form, "household_id").parse().map_err(|_| AppError::invalid("household_id", "household_unknown", "住户无效"))?;
    let input = crate::screening::api::VisitInput { household_id, result: field(&form, "result").to_string(), visit_date: None, note: optional(&form, "note") };
    let (result, day) = input.parse()?;
    crate::screening::store::record_visit(&state.db, &caller.actor(), &caller.scope, household_id, day, result, input.note.as_deref()).await?;
    Ok(Redirect::to("/today").into_response())
}

async fn add_need(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    let input = api::NeedInput { kind: field(&form, "kind").to_string(), detail: optional(&form, "detail"), idempotency_key: optional(&form, "idempotency_key") };
    let result = api::worker_need(&state, &caller, id, &input).await.map(|_| ());
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

#[derive(Template)]
#[template(path = "observation/needs.html")]
struct NeedsPage {
    chrome: Chrome,
    needs: Vec<Need>,
    done: Vec<Need>,
    can_write: bool,
}

async fn needs_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let page = NeedsPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("生活需求", "Life needs")).await?,
        needs: needs::board(&state.lists, &caller.scope, None, 200).await?,
        done: needs::board(&state.lists, &caller.scope, Some(NeedStatus::Done), 20).await?,
        can_write: caller.may(Permission::WriteLedger),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn advance_need(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let to = NeedStatus::parse(field(&form, "status")).filter(|s| *s != NeedStatus::Open).ok_or_else(|| AppError::invalid("status", "status_invalid", "状态无效"))?;
    needs::advance(&state.db, &caller.actor(), &caller.scope, id, to, field(&form, "text")).await?;
    Ok(Redirect::to("/needs").into_response())
}
