//! The sanitation pages, phone first: `/sanitation` (the rule in force, today's inspections of the
//! caller's area, the workforce register) and `/sanitation/inspect` (one inspection: the worker is
//! chosen first, then only that role's items are offered as large check boxes, the deduction shown
//! as they are ticked; saving is one tap, and a retried post records nothing new).

use super::editions::{self, StoredEdition};
use super::inspections::{self, Inspected, InspectionLine, NewInspection};
use super::workforce::{self, NewWorker, Worker};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, FieldError};
use crate::org::picker::{Level, UnitPicker};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, field, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::sanitation::{PpeItem, WorkerRole, Worn};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sanitation", get(index))
        .route("/sanitation/inspect", get(inspect_form))
        .route("/sanitation/inspections", post(record).layer(axum::extract::DefaultBodyLimit::max(super::photos::PHOTO_FORM_LIMIT)))
        .route("/sanitation/workers", post(add_worker))
        .route("/sanitation/workers/import", post(import_upload).layer(axum::extract::DefaultBodyLimit::max(super::photos::PHOTO_FORM_LIMIT)))
        .route("/sanitation/trainings", post(add_training))
        .merge(super::appeal_pages::router())
        .merge(super::month_pages::router())
}

/// The photo a multipart form sent in `field`, checked; none when the field was left empty.
pub(super) fn photo_in(uploads: Vec<crate::web::forms::Upload>, field: &str) -> AppResult<Option<super::photos::Photo>> {
    uploads.into_iter().find(|u| u.field == field).map(|u| super::photos::Photo::checked(field, u.data)).transpose()
}

/// Inspections happen in a district or one of its streets.
const LEVELS: [Level; 2] = [Level::County, Level::Township];

/// A role's words in `lang`.
fn role_label(role: &str, lang: Lang) -> &'static str {
    WorkerRole::parse(role).map_or("", |r| lang.pick(r.zh(), r.en()))
}

/// Comma-separated item codes in words.
fn items_label(codes: &str, lang: Lang) -> String {
    let words: Vec<&str> = codes.split(',').filter_map(PpeItem::parse).map(|i| lang.pick(i.zh(), i.en())).collect();
    words.join(lang.pick("、", ", "))
}

#[derive(Template)]
#[template(path = "sanitation/index.html")]
struct IndexPage {
    chrome: Chrome,
    edition: Option<StoredEdition>,
    /// `(role, its items)` in words, as the edition requires them.
    required: Vec<(&'static str, String)>,
    today: Vec<InspectionLine>,
    workers: Vec<Worker>,
    /// The most workers listed: a register that long is to be searched.
    register_shown: usize,
    /// Workers of the roles that must be trained, with no training on record.
    untrained: Vec<i64>,
    can_inspect: bool,
    /// Appeals in the caller's area waiting for the centre, oldest first.
    appeals: Vec<super::appeals::AppealLine>,
    can_appeal: bool,
    /// Just recorded: the inspection, its points and the items missing, to say what happened.
    recorded: Option<(i64, i64, String)>,
    units: UnitPicker,
    filled: crate::web::forms::Filled,
}

impl IndexPage {
    fn role(&self, code: &str) -> &'static str {
        role_label(code, self.chrome.lang)
    }
    fn items(&self, codes: &str) -> String {
        items_label(codes, self.chrome.lang)
    }
    fn time(&self, micros: &i64) -> String {
        crate::clock::format_micros(*micros)
    }
    /// Whether the worker form came back with `code` as its role.
    fn is_role(&self, code: &str) -> bool {
        self.filled.value("role") == code
    }
    fn untrained(&self, worker: &i64) -> bool {
        self.untrained.contains(worker)
    }
    fn roles(&self) -> Vec<(&'static str, &'static str)> {
        WorkerRole::ALL.iter().map(|r| (r.as_str(), self.chrome.lang.pick(r.zh(), r.en()))).collect()
    }
}

#[derive(Deserialize)]
struct IndexQuery {
    recorded: Option<i64>,
    /// A worker's name (its start) or 工号, to find them on a long register.
    q: Option<String>,
}

async fn index(State(state): State<AppState>, caller: Caller, lang: Lang, Query(q): Query<IndexQuery>) -> AppResult<Response> {
    let fields: Fields = q.q.into_iter().map(|q| ("q".to_string(), q)).collect();
    show_index(&state, &caller, lang, q.recorded, crate::web::forms::Filled::new(fields, Vec::new())).await
}

/// Workers the register lists at most; a longer one is searched by name or 工号.
const REGISTER_SHOWN: i64 = 200;

async fn show_index(state: &AppState, caller: &Caller, lang: Lang, recorded: Option<i64>, filled: crate::web::forms::Filled) -> AppResult<Response> {
    caller.require(Permission::ReadSanitation)?;
    let today = crate::clock::today();
    let all = editions::load(&state.db).await?;
    let edition = editions::on(&all, today).cloned();
    let untrained = match &edition {
        Some(e) => super::training::untrained(&state.lists, &caller.scope, e).await?.into_iter().map(|w| w.id).collect(),
        None => Vec::new(),
    };
    let required = edition
        .iter()
        .flat_map(|e| e.rule.required.iter())
        .map(|(role, items)| (lang.pick(role.zh(), role.en()), items.iter().map(|i| lang.pick(i.zh(), i.en())).collect::<Vec<_>>().join(lang.pick("、", ", "))));
    let lines = inspections::recorded_since(&state.lists, &caller.scope, crate::clock::micros_at(today, 0), 100).await?;
    let recorded = match recorded {
        Some(id) => inspections::get(&state.db, &caller.scope, id).await?.map(|l| (l.id, l.points, items_label(&l.missing, lang))),
        None => None,
    };
    let names = state.unit_names.get(&state.db).await?;
    let unit = match filled.value("org_code") {
        "" if caller.org_code.is_city_department() => String::new(),
        "" => caller.org_code.to_string(),
        typed => typed.to_string(),
    };
    let page = IndexPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("环卫作业人员防护", "Sanitation workers' protection")).await?,
        required: required.collect(),
        edition,
        today: lines,
        workers: match filled.value("q") {
            "" => workforce::list(&state.lists, &caller.scope, None, REGISTER_SHOWN).await?,
            q => workforce::search(&state.lists, &caller.scope, q, REGISTER_SHOWN).await?,
        },
        register_shown: REGISTER_SHOWN as usize,
        untrained,
        can_inspect: caller.may(Permission::InspectSanitation),
        appeals: super::appeals::list(&state.lists, &caller.scope, &all, super::appeals::Filter::Open, 50).await?,
        can_appeal: caller.may(Permission::AppealSanitation),
        recorded,
        units: UnitPicker::new("org_code", &names, &caller.scope, &LEVELS, &unit),
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "sanitation/inspect.html")]
struct InspectPage {
    chrome: Chrome,
    /// The worker on the register, or `None` for one who is not.
    worker: Option<Worker>,
    role: WorkerRole,
    /// `(worn code, words, the item it meets)` for the role's items, "suit or raincoat" as two.
    choices: Vec<(&'static str, &'static str, &'static str)>,
    points_per_item: u32,
    items: usize,
    units: UnitPicker,
    idempotency_key: String,
    filled: crate::web::forms::Filled,
}

impl InspectPage {
    fn ticked(&self, worn: &str) -> bool {
        self.filled.fields.iter().any(|(k, v)| k == "worn" && v == worn)
    }
    fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.filled.errors, name, self.chrome.lang)
    }
}

#[derive(Deserialize)]
struct InspectQuery {
    worker_id: Option<String>,
    role: Option<String>,
}

async fn inspect_form(State(state): State<AppState>, caller: Caller, lang: Lang, Query(q): Query<InspectQuery>) -> AppResult<Response> {
    caller.require(Permission::InspectSanitation)?;
    let mut fields: Fields = Vec::new();
    fields.extend(q.worker_id.filter(|w| !w.is_empty()).map(|w| ("worker_id".to_string(), w)));
    fields.extend(q.role.filter(|r| !r.is_empty()).map(|r| ("role".to_string(), r)));
    show_inspect(&state, &caller, lang, crate::web::forms::Filled::new(fields, Vec::new())).await
}

async fn show_inspect(state: &AppState, caller: &Caller, lang: Lang, filled: crate::web::forms::Filled) -> AppResult<Response> {
    let worker = match filled.value("worker_id").parse::<i64>() {
        Ok(id) => Some(workforce::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?),
        Err(_) => None,
    };
    let role = match &worker {
        Some(w) => w.role(),
        None => WorkerRole::parse(filled.value("role")),
    };
    let Some(role) = role else {
        let chosen = crate::web::forms::Filled::new(Vec::new(), vec![FieldError::new("worker_id", "worker_required", "请选择被检查的作业人员,或按“未登记人员”选择岗位")]);
        return show_index(state, caller, lang, None, chosen).await;
    };
    let all = editions::load(&state.db).await?;
    let edition = editions::on(&all, crate::clock::today()).ok_or(AppError::NotFound)?;
    let items = edition.rule.items_for(role);
    let choices = Worn::ALL.iter().filter(|w| items.contains(&w.meets())).map(|w| (w.as_str(), lang.pick(w.zh(), w.en()), w.meets().as_str())).collect();
    let names = state.unit_names.get(&state.db).await?;
    let unit = match (filled.value("org_code"), &worker) {
        ("", Some(w)) => w.org_code.clone(),
        ("", None) if caller.org_code.is_city_department() => String::new(),
        ("", None) => caller.org_code.to_string(),
        (typed, _) => typed.to_string(),
    };
    let key = Some(filled.value("idempotency_key")).filter(|k| !k.is_empty()).map_or_else(|| crate::auth::sessions::random_token()[..32].to_string(), str::to_string);
    let page = InspectPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("防护检查", "Inspection")).await?,
        worker,
        role,
        choices,
        points_per_item: edition.rule.points_per_item,
        items: items.len(),
        units: UnitPicker::new("org_code", &names, &caller.scope, &LEVELS, &unit),
        idempotency_key: key,
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

async fn record(State(state): State<AppState>, caller: Caller, lang: Lang, multipart: axum::extract::Multipart) -> AppResult<Response> {
    caller.require(Permission::InspectSanitation)?;
    let (form, uploads, refused) = crate::web::forms::read_multipart_for_form(&caller, multipart).await?;
    if !refused.is_empty() {
        return show_inspect(&state, &caller, lang, crate::web::forms::Filled::new(form, refused)).await;
    }
    let recorded = async {
        let names = state.unit_names.get(&state.db).await?;
        let org_code = crate::org::picker::chosen(&names, &caller.scope, "org_code", field(&form, "org_code"))?;
        let worker = match field(&form, "worker_id").parse::<i64>() {
            Ok(id) => Inspected::Registered(id),
            Err(_) => Inspected::Unnamed {
                role: WorkerRole::parse(field(&form, "role")).ok_or_else(|| AppError::invalid("worker_id", "worker_required", "请选择被检查的作业人员"))?,
                name: crate::web::forms::optional(&form, "worker_name"),
            },
        };
        let worn = form.iter().filter(|(k, _)| k == "worn").map(|(_, v)| Worn::parse(v).ok_or_else(|| AppError::invalid("worn", "item_unknown", "未知的防护用品"))).collect::<AppResult<Vec<_>>>()?;
        let inspected_at = match crate::web::forms::optional(&form, "inspected_at") {
            Some(t) => crate::web::when::happened_at("inspected_at", &t.replace('T', " "))?,
            None => crate::db::now_micros(),
        };
        let new = NewInspection {
            org_code,
            place: field(&form, "place").to_string(),
            worker,
            worn,
            inspected_at,
            note: crate::web::forms::optional(&form, "note"),
            photo: photo_in(uploads, "photo")?,
            idempotency_key: crate::web::forms::optional(&form, "idempotency_key"),
        };
        inspections::submit(&state.db, &state.inspections, &caller.actor(), &caller.scope, &editions::load(&state.db).await?, &new).await
    }
    .await;
    match recorded {
        Ok(done) => Ok(Redirect::to(&format!("/sanitation?recorded={}", done.id)).into_response()),
        Err(AppError::Invalid(errors)) => show_inspect(&state, &caller, lang, crate::web::forms::Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

async fn add_worker(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::InspectSanitation)?;
    let added = async {
        let names = state.unit_names.get(&state.db).await?;
        let org_code = crate::org::picker::chosen(&names, &caller.scope, "org_code", field(&form, "org_code"))?;
        let role = WorkerRole::parse(field(&form, "role")).ok_or_else(|| AppError::invalid("role", "role_unknown", "请选择岗位"))?;
        let started_on = match crate::web::forms::optional(&form, "started_on") {
            Some(d) => crate::web::when::happened_on("started_on", &d)?,
            None => crate::clock::today(),
        };
        let all = editions::load(&state.db).await?;
        let edition = editions::on(&all, crate::clock::today()).ok_or(AppError::NotFound)?;
        let worker = NewWorker {
            org_code,
            name: field(&form, "name").to_string(),
            number: crate::web::forms::optional(&form, "number"),
            role,
            team: crate::web::forms::optional(&form, "team"),
            person_id: None,
            started_on,
        };
        workforce::add(&state.db, &caller.actor(), &caller.scope, edition, &worker).await
    }
    .await;
    match added {
        Ok(_) => Ok(Redirect::to("/sanitation#workers").into_response()),
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, vec![FieldError::new("number", "number_taken", message)])).await,
        Err(e) => Err(e),
    }
}

async fn add_training(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::InspectSanitation)?;
    let today = crate::clock::today();
    let recorded = async {
        let names = state.unit_names.get(&state.db).await?;
        let org_code = crate::org::picker::chosen(&names, &caller.scope, "org_code", field(&form, "org_code"))?;
        let attendees = form
            .iter()
            .filter(|(k, _)| k == "attendees")
            .map(|(_, v)| v.parse::<i64>().map_err(|_| AppError::invalid("attendees", "worker_unknown", "参训人员无效")))
            .collect::<AppResult<Vec<_>>>()?;
        let training = super::training::NewTraining {
            org_code,
            held_on: crate::web::when::happened_on("held_on", field(&form, "held_on"))?,
            trainer: field(&form, "trainer").to_string(),
            topic: field(&form, "topic").to_string(),
            attendees,
        };
        let all = editions::load(&state.db).await?;
        let edition = editions::on(&all, today).ok_or(AppError::NotFound)?;
        super::training::record(&state.db, &caller.actor(), &caller.scope, edition, &training, today).await
    }
    .await;
    match recorded {
        Ok(_) => Ok(Redirect::to("/sanitation#workers").into_response()),
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

/// Imports a register file into `org` for `caller` (the page's upload and the API's body).
pub(super) async fn run_register_import(state: &AppState, caller: &Caller, org: &fangkong_rules::OrgCode, mode: Option<&str>, bytes: &[u8]) -> AppResult<super::register_import::RegisterReport> {
    caller.require(Permission::InspectSanitation)?;
    let mode = match mode.map(str::trim) {
        None | Some("" | "all_or_nothing") => crate::ledger_io::import::Mode::AllOrNothing,
        Some("valid_rows") => crate::ledger_io::import::Mode::ValidRows,
        Some(_) => return Err(AppError::invalid("mode", "mode_unknown", "导入方式应为 all_or_nothing(有错误行时全部不导入)或 valid_rows(只导入正确的行)")),
    };
    let rows = crate::ledger_io::read::read(bytes).map_err(|m| AppError::invalid("file", "file_unreadable", m))?;
    let all = editions::load(&state.db).await?;
    let edition = editions::on(&all, crate::clock::today()).ok_or(AppError::NotFound)?;
    let names = state.unit_names.get(&state.db).await?;
    let sheet = super::register_import::RegisterSheet { district: org, rows: &rows, mode, today: crate::clock::today() };
    super::register_import::import(&state.db, &caller.actor(), &caller.scope, edition, &names, sheet).await
}

#[derive(Template)]
#[template(path = "sanitation/register_import.html")]
struct RegisterImportPage {
    chrome: Chrome,
    report: super::register_import::RegisterReport,
}

async fn import_upload(State(state): State<AppState>, caller: Caller, lang: Lang, multipart: axum::extract::Multipart) -> AppResult<Response> {
    caller.require(Permission::InspectSanitation)?;
    let (form, uploads, refused) = crate::web::forms::read_multipart_for_form(&caller, multipart).await?;
    if !refused.is_empty() {
        return show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, refused)).await;
    }
    let imported = async {
        let file = uploads.into_iter().find(|u| u.field == "file").ok_or_else(|| AppError::invalid("file", "file_missing", "请选择要导入的 .xlsx 或 .csv 文件"))?;
        let names = state.unit_names.get(&state.db).await?;
        let org = crate::org::picker::chosen(&names, &caller.scope, "district", field(&form, "district"))?;
        run_register_import(&state, &caller, &org, Some(field(&form, "mode")), &file.data).await
    }
    .await
    // The import form names its unit `district` (the worker form beside it has an `org_code`).
    .map_err(|e| match e {
        AppError::Invalid(errors) => AppError::Invalid(errors.into_iter().map(|e| if e.field == "org_code" { FieldError { field: "district".into(), ..e } } else { e }).collect()),
        e => e,
    });
    match imported {
        Ok(report) => {
            let page = RegisterImportPage { chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("名册导入结果", "Register import")).await?, report };
            Ok(render(axum::http::StatusCode::OK, &page))
        }
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => show_index(&state, &caller, lang, None, crate::web::forms::Filled::new(form, vec![FieldError::new("file", "conflict", message)])).await,
        Err(e) => Err(e),
    }
}
