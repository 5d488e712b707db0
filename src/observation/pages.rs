//! Pages of screening and observation: a person's screening page (ledger entry, start observation),
//! the observation page (day N, self-report link and QR, check-ins, chart, end/restart), the ledger
//! list, today's worklist and alerts.

use super::checkins::CheckInInput;
use super::episodes::{self, Episode};
use super::needs::{self, Need, NeedKind, NeedStatus};
use super::today::{self, AlertLine, Today};
use super::{Kind, Status, api, rules, sites};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::screening::input::{KeyPersonInput, ResponsibleInput};
use crate::screening::store::{self as ledger, KeyPerson, LedgerLine, Responsible};
use crate::screening::{Category, ResponsibleRole, Transport, VisitResult};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::observation::Symptom;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/persons/{id}/screening", get(screening_page))
        .route("/persons/{id}/key-person", post(add_key_person))
        .route("/persons/{id}/observations", post(start_observation))
        .route("/observations/{id}", get(observation_page))
        .route("/observations/{id}/check-ins", post(check_in))
        .route("/observations/{id}/restart", post(restart))
        .route("/observations/{id}/end", post(end))
        .route("/ledger", get(ledger_page))
        .route("/today", get(today_page))
        .route("/alerts/{id}/handle", post(handle_alert))
        .route("/visits", post(record_visit))
        .route("/needs", get(needs_page))
        .route("/needs/{id}/advance", post(advance_need))
        .route("/observations/{id}/needs", post(add_need))
}

/// Form posts arrive as pairs so repeated fields (symptoms) and per-role fields can be read.
type Pairs = Vec<(String, String)>;

fn field(pairs: &Pairs, name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn some(pairs: &Pairs, name: &str) -> Option<String> {
    Some(field(pairs, name)).filter(|v| !v.trim().is_empty())
}

/// Errors of a form, shown beside their fields; `messages` lists those of fields the form lacks.
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        field_message(&self.0, field)
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Template)]
#[template(path = "observation/screening.html")]
struct ScreeningPage {
    chrome: Chrome,
    person: crate::people::PersonView,
    key_person: Option<KeyPerson>,
    responsibles: Vec<Responsible>,
    episodes: Vec<Episode>,
    today: time::Date,
    can_write: bool,
    categories: Vec<(&'static str, &'static str)>,
    transports: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    sites: Vec<sites::Site>,
    form: Pairs,
    errors: FormErrors,
    default_grid_worker: String,
}

impl ScreeningPage {
    fn value(&self, name: &str) -> String {
        field(&self.form, name)
    }
    fn category_label(&self) -> &'static str {
        self.key_person.as_ref().and_then(|k| Category::parse(&k.category)).map(Category::zh).unwrap_or("")
    }
    fn transport_label(&self) -> &'static str {
        self.key_person.as_ref().and_then(|k| k.transport.as_deref()).and_then(Transport::parse).map(Transport::zh).unwrap_or("")
    }
    fn role_label(&self, role: &str) -> &'static str {
        ResponsibleRole::parse(role).map(ResponsibleRole::zh).unwrap_or("")
    }
    fn has_active(&self) -> bool {
        self.episodes.iter().any(Episode::is_active)
    }
}

async fn screening_view(state: &AppState, caller: &Caller, lang: Lang, id: i64, form: Pairs, errors: Vec<FieldError>, status: StatusCode) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let row = crate::people::store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let key_person = ledger::by_person(&state.db, &caller.scope, id).await?;
    let responsibles = match &key_person {
        Some(k) => ledger::responsibles(&state.db, k.id).await?,
        None => Vec::new(),
    };
    let page = ScreeningPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("排查与观察", "Screening")).await?,
        person: row.masked(),
        key_person,
        responsibles,
        episodes: episodes::for_person(&state.db, &caller.scope, id).await?,
        today: clock::today(),
        can_write: caller.may(Permission::WriteLedger),
        categories: Category::options(),
        transports: Transport::options(),
        kinds: Kind::options(),
        roles: ResponsibleRole::options().into_iter().filter(|(r, _)| *r != "grid_worker").collect(),
        sites: sites::list(&state.db, &caller.scope).await?,
        form,
        errors: FormErrors(errors),
        default_grid_worker: if caller.role == crate::auth::Role::GridWorker { caller.display_name.clone() } else { String::new() },
    };
    Ok(render(status, &page))
}

async fn screening_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    screening_view(&state, &caller, lang, id, Vec::new(), Vec::new(), StatusCode::OK).await
}

/// Runs a write; on field errors or a conflict, shows the screening page again with the form kept.
async fn or_screening_page(state: &AppState, caller: &Caller, lang: Lang, id: i64, form: Pairs, result: AppResult<String>) -> AppResult<Response> {
    match result {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(AppError::Invalid(errors)) => screening_view(state, caller, lang, id, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(AppError::Conflict { message, .. }) => screening_view(state, caller, lang, id, form, vec![FieldError::new("form", "conflict", message)], StatusCode::CONFLICT).await,
        Err(e) => Err(e),
    }
}

async fn add_key_person(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let mut responsibles = vec![ResponsibleInput { role: "grid_worker".into(), name: field(&form, "resp_grid_worker_name"), phone: some(&form, "resp_grid_worker_phone") }];
    for role in ResponsibleRole::ALL.iter().filter(|r| **r != ResponsibleRole::GridWorker) {
        let name = field(&form, &format!("resp_{}_name", role.as_str()));
        responsibles.push(ResponsibleInput { role: role.as_str().into(), name, phone: some(&form, &format!("resp_{}_phone", role.as_str())) });
    }
    let input = KeyPersonInput {
        person_id: id,
        category: field(&form, "category"),
        origin_code: some(&form, "origin_code"),
        origin_place: some(&form, "origin_place"),
        departure_date: some(&form, "departure_date"),
        arrival_date: some(&form, "arrival_date"),
        transport: some(&form, "transport"),
        transport_no: some(&form, "transport_no"),
        companions: some(&form, "companions"),
        case_contact: some(&form, "case_contact"),
        symptoms: some(&form, "symptoms"),
        measures: some(&form, "measures"),
        note: some(&form, "note"),
        responsibles,
    };
    let result = async {
        let valid = input.validate(clock::today()).map_err(AppError::Invalid)?;
        ledger::create(&state.db, &caller.actor(), &caller.scope, &valid).await?;
        Ok(format!("/persons/{id}/screening"))
    }
    .await;
    or_screening_page(&state, &caller, lang, id, form, result).await
}

async fn start_observation(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let site_id = match field(&form, "site_id").trim() {
            "" => None,
            s => Some(s.parse().map_err(|_| AppError::invalid("site_id", "site_unknown", "请选择隔离点"))?),
        };
        let input = api::StartInput { person_id: id, kind: field(&form, "kind"), start_date: field(&form, "start_date"), site_id };
        let episode = episodes::start(&state.db, &caller.actor(), &caller.scope, &input.parse()?, clock::today()).await?;
        Ok(format!("/observations/{}", episode.id))
    }
    .await;
    or_screening_page(&state, &caller, lang, id, form, result).await
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
        chart: super::chart::temperature_svg(&detail.check_ins, rules.fever_threshold_tenths),
        qr_svg: report_url.as_deref().and_then(qr_svg),
        report_url,
        detail,
        person,
        symptoms: Symptom::ALL.iter().map(|s| (s.as_str(), s.zh())).collect(),
        outcomes: Status::options().into_iter().filter(|(s, _)| !matches!(Status::parse(s), Some(Status::Active | Status::Released))).collect(),
        can_write: caller.may(Permission::WriteLedger),
        errors: FormErrors(errors),
        threshold: rules.fever_threshold().to_string(),
        need_kinds: NeedKind::options(),
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

async fn check_in(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    let input = CheckInInput {
        slot: some(&form, "slot"),
        temperature: field(&form, "temperature"),
        symptoms: form.iter().filter(|(k, _)| k == "symptom").map(|(_, v)| v.clone()).collect(),
        note: some(&form, "note"),
        idempotency_key: some(&form, "idempotency_key"),
    };
    let result = api::worker_check_in(&state, &caller, id, &input).await.map(|_| ());
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

async fn restart(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let day = crate::web::when::happened_on("start_date", &field(&form, "start_date"))?;
        episodes::restart(&state.db, &caller.actor(), &caller.scope, id, day, clock::today()).await.map(|_| ())
    }
    .await;
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

async fn end(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let result = async {
        let outcome = Status::parse(&field(&form, "outcome")).ok_or_else(|| AppError::invalid("outcome", "outcome_invalid", "请选择结束方式"))?;
        episodes::end(&state.db, &caller.actor(), &caller.scope, id, outcome, some(&form, "note").as_deref(), clock::today()).await.map(|_| ())
    }
    .await;
    or_episode_page(&state, &caller, lang, &headers, id, result).await
}

#[derive(Template)]
#[template(path = "observation/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    items: Vec<LedgerLine>,
    next_before: Option<i64>,
    params: crate::screening::api::LedgerParams,
    categories: Vec<(&'static str, &'static str)>,
    today: time::Date,
}

impl LedgerPage {
    fn category_label(&self, code: &str) -> &'static str {
        Category::parse(code).map(Category::zh).unwrap_or("")
    }
    fn selected(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
    fn day(&self, line: &LedgerLine) -> Option<i64> {
        line.start_date.map(|s| fangkong_rules::observation::observation_day(s, self.today))
    }
    fn temperature(&self, line: &LedgerLine) -> String {
        line.last_temperature.map(|t| fangkong_rules::observation::Temperature::from_tenths(t as i32).to_string()).unwrap_or_default()
    }
    fn query(&self) -> String {
        let p = &self.params;
        let mut q = Vec::new();
        for (k, v) in [("org", &p.org), ("category", &p.category), ("status", &p.status)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={}", crate::web::pages::urlencode(v)));
            }
        }
        if p.overdue == Some(true) {
            q.push("overdue=true".into());
        }
        q.join("&")
    }
}

async fn ledger_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(params): Query<crate::screening::api::LedgerParams>) -> AppResult<Response> {
    let page = crate::screening::api::ledger_page(&state, &caller, params.org.as_deref(), &params.filter(), Some(50)).await?;
    let view = LedgerPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("重点人员台账", "Key-person ledger")).await?,
        items: page.items,
        next_before: page.next_before,
        params,
        categories: Category::options(),
        today: clock::today(),
    };
    Ok(render(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "observation/today.html")]
struct TodayPage {
    chrome: Chrome,
    today: Today,
    coverage: ledger::Coverage,
    can_write: bool,
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
        coverage: ledger::coverage(&state.db, &caller.scope, &caller.org_code).await?,
        today,
        can_write: caller.may(Permission::WriteLedger),
        visit_results: VisitResult::options(),
        escalated_only: caller.org_code.level() <= fangkong_rules::OrgLevel::Township,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn handle_alert(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let note = field(&form, "note");
    let note = if note.trim().is_empty() { "已处置".to_string() } else { note };
    today::handle_alert(&state.db, &caller.actor(), &caller.scope, id, &note).await?;
    Ok(Redirect::to("/today").into_response())
}

async fn record_visit(State(state): State<AppState>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let household_id = field(&form, "household_id").parse().map_err(|_| AppError::invalid("household_id", "household_unknown", "住户无效"))?;
    let input = crate::screening::api::VisitInput { household_id, result: field(&form, "result"), visit_date: None, note: some(&form, "note") };
    let (result, day) = input.parse()?;
    ledger::record_visit(&state.db, &caller.actor(), &caller.scope, household_id, day, result, input.note.as_deref()).await?;
    Ok(Redirect::to("/today").into_response())
}

async fn add_need(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    let input = api::NeedInput { kind: field(&form, "kind"), detail: some(&form, "detail"), idempotency_key: some(&form, "idempotency_key") };
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
        needs: needs::board(&state.db, &caller.scope, None, 200).await?,
        done: needs::board(&state.db, &caller.scope, Some(NeedStatus::Done), 20).await?,
        can_write: caller.may(Permission::WriteLedger),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn advance_need(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Pairs>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let to = NeedStatus::parse(&field(&form, "status")).filter(|s| *s != NeedStatus::Open).ok_or_else(|| AppError::invalid("status", "status_invalid", "状态无效"))?;
    needs::advance(&state.db, &caller.actor(), &caller.scope, id, to, &field(&form, "text")).await?;
    Ok(Redirect::to("/needs").into_response())
}
