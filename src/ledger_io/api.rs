//! `/api/v1/imports`, `/api/v1/imports/template`, `/api/v1/exports/ledger`, and the import page.

use super::import::{self, Mode, Report};
use super::jobs::{JobStatus, NewJob};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::org::picker::{Level, UnitPicker};
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Ledger files up to this size are accepted (a million rows of CSV is about 150 MB; split larger ones).
pub const MAX_FILE: usize = 200 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_file)).routes(routes!(import_job)).routes(routes!(template)).routes(routes!(export_ledger)).layer(DefaultBodyLimit::max(MAX_FILE))
}

pub fn page_router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/imports", axum::routing::get(import_page).post(import_upload))
        .route("/imports/{id}", axum::routing::get(job_page))
        .route("/imports/{id}/problems.xlsx", axum::routing::get(job_problems))
        .layer(DefaultBodyLimit::max(MAX_FILE))
}

fn xlsx(bytes: Vec<u8>, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{}", crate::web::pages::urlencode(filename));
    ([(header::CONTENT_TYPE, super::xlsx::CONTENT_TYPE.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// The village/community or grid the people belong to.
    pub org: String,
    /// `all_or_nothing` (default): nothing lands if any row is bad; `valid_rows`: the good rows land.
    pub mode: Option<String>,
    /// `xlsx` answers with the per-row report as a spreadsheet instead of JSON.
    pub format: Option<String>,
}

pub async fn run_import(state: &AppState, caller: &Caller, org: &str, mode: Mode, bytes: &[u8]) -> AppResult<Report> {
    caller.require(Permission::WriteLedger)?;
    let org = crate::web::params::parse_code("org", org)?;
    let rows = super::read::read(bytes).map_err(|m| AppError::invalid("file", "file_unreadable", m))?;
    import::import(&state.db, &caller.actor(), &caller.scope, import::Sheet { org: &org, rows: &rows, mode, today: clock::today() }, &|_| {}).await
}

/// What to do with bad rows: all or nothing unless asked otherwise; an unknown word is refused
/// rather than read as the default.
fn mode_of(mode: Option<&str>) -> AppResult<Mode> {
    match mode.map(str::trim) {
        None | Some("" | "all_or_nothing") => Ok(Mode::AllOrNothing),
        Some("valid_rows") => Ok(Mode::ValidRows),
        Some(_) => Err(AppError::invalid("mode", "mode_unknown", "导入方式应为 all_or_nothing(有错误行时全部不导入)或 valid_rows(只导入正确的行)")),
    }
}

#[utoipa::path(post, path = "/api/v1/imports", tag = "ledger files", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The .xlsx or .csv file"),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn import_file(State(state): State<AppState>, caller: Caller, Query(p): Query<ImportParams>, body: Bytes) -> AppResult<Response> {
    let report = run_import(&state, &caller, &p.org, mode_of(p.mode.as_deref())?, &body).await?;
    if p.format.as_deref() == Some("xlsx") {
        let bytes = super::xlsx::report(&report).map_err(|e| AppError::Internal(e.into()))?;
        return Ok(xlsx(bytes, "导入报告.xlsx"));
    }
    Ok(Json(report).into_response())
}

#[utoipa::path(get, path = "/api/v1/imports/template", tag = "ledger files", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn template(_caller: Caller) -> AppResult<Response> {
    Ok(xlsx(super::xlsx::template().map_err(|e| AppError::Internal(e.into()))?, "重点人员台账模板.xlsx"))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// Default: the caller's home unit.
    pub org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/exports/ledger", tag = "ledger files", params(ExportParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn export_ledger(State(state): State<AppState>, caller: Caller, Query(p): Query<ExportParams>) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let unit = match p.org.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => crate::web::params::parse_code("org", o)?,
        None => caller.org_code.clone(),
    };
    let (bytes, _) = super::export::ledger(&state.long_work, &caller.actor(), &caller.scope, &unit).await?.ok_or(AppError::NotFound)?;
    Ok(xlsx(bytes, &format!("重点人员台账-{unit}.xlsx")))
}

#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "ledger files", params(("id" = i64, Path)),
    description = "An import started from the web page: its progress while it runs, its report when done.",
    responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
async fn import_job(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<JobStatus>> {
    caller.require(Permission::WriteLedger)?;
    Ok(Json(state.imports.status(&state.db, &caller.scope, id).await?))
}

#[derive(Template)]
#[template(path = "observation/import.html")]
struct ImportPage {
    chrome: Chrome,
    units: UnitPicker,
    error: Option<String>,
    /// The outbreak areas listed today, with the category a row from one is filed under.
    areas: Vec<(String, &'static str)>,
}

/// Rows are imported into a village or community, or a grid.
const IMPORT_LEVELS: [Level; 2] = [Level::Village, Level::Grid];

impl ImportPage {
    /// The form, its unit field holding `org`: by default the caller's own unit when rows can be
    /// imported into it, otherwise empty for the caller to choose one of theirs.
    async fn new(state: &AppState, caller: &Caller, lang: Lang, org: Option<String>, error: Option<String>) -> AppResult<ImportPage> {
        let own = caller.org_code.as_str();
        let org = org.unwrap_or_else(|| if IMPORT_LEVELS.iter().any(|l| own.len() == *l as usize) { own.to_string() } else { String::new() });
        let names = state.unit_names.get(&state.db).await?;
        let units = UnitPicker::new("org", &names, &caller.scope, &IMPORT_LEVELS, &org);
        let listed = crate::screening::outbreak_areas::OutbreakAreas::load(&state.db).await?;
        let areas = listed.listed_on(crate::clock::today()).map(|a| (lang.pick(&a.name, &a.name_en).to_string(), a.ledger_category().label(lang))).collect();
        Ok(ImportPage { chrome: Chrome::for_caller(state, caller, lang, lang.pick("导入台账", "Import a ledger")).await?, units, error, areas })
    }
}

async fn import_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    Ok(render(StatusCode::OK, &ImportPage::new(&state, &caller, lang, None, None).await?))
}

/// The upload form: a multipart post with `_csrf`, `org`, `mode` and `file`. The import runs in the
/// background; the answer is its page.
async fn import_upload(State(state): State<AppState>, caller: Caller, lang: Lang, multipart: Multipart) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let (fields, uploads) = crate::web::forms::read_multipart(&caller, multipart).await?;
    let org = crate::web::forms::field(&fields, "org").to_string();
    let mode = crate::web::forms::field(&fields, "mode").to_string();
    let (file_name, file) = uploads.into_iter().find(|u| u.field == "file").map(|u| (u.filename, u.data)).unwrap_or_default();
    let names = state.unit_names.get(&state.db).await?;
    let started = match crate::org::picker::chosen(&names, &caller.scope, "org", &org) {
        Ok(_) if file.is_empty() && file_name.is_empty() => Err(AppError::invalid("file", "file_missing", "请选择要导入的 .xlsx 或 .csv 文件")),
        Ok(_) if file.is_empty() => Err(AppError::invalid("file", "file_empty", format!("所选文件“{file_name}”是空的,请检查后重新选择"))),
        Ok(code) => match mode_of(Some(mode.as_str())) {
            Ok(mode) => state.imports.start(&state.long_work, NewJob { actor: caller.actor(), scope: caller.scope.clone(), org: code, mode, file_name, bytes: file }).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let error = match started {
        Ok(id) => return Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => errors.iter().map(|e| crate::web::i18n::field_message(e, lang)).collect::<Vec<_>>().join(lang.pick(";", "; ")),
        Err(AppError::BadRequest { message, .. }) => message,
        Err(e) => return Err(e),
    };
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage::new(&state, &caller, lang, Some(org), Some(error)).await?))
}

#[derive(Template)]
#[template(path = "observation/import_job.html")]
struct JobPage {
    chrome: Chrome,
    job: JobStatus,
    report_href: Option<String>,
}

impl JobPage {
    /// A column of the report as the page's language names it.
    fn column<'a>(&self, header: &'a str) -> &'a str {
        super::headers::canonical_in(header, self.chrome.lang)
    }

    /// What is wrong with a row, in the page's language.
    fn problem<'a>(&self, e: &'a super::import::RowError) -> &'a str {
        crate::web::i18n::message_in(&e.code, &e.message, self.chrome.lang)
    }
}

async fn job_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let job = state.imports.status(&state.db, &caller.scope, id).await?;
    let report_href = job.report.as_ref().filter(|r| !r.errors.is_empty()).map(|_| format!("/imports/{id}/problems.xlsx"));
    let chrome = Chrome::for_caller(&state, &caller, lang, lang.pick("导入台账", "Import a ledger")).await?;
    Ok(render(StatusCode::OK, &JobPage { chrome, job, report_href }))
}

/// A finished job's report as a spreadsheet: every bad row with its reason.
async fn job_problems(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let report = state.imports.status(&state.db, &caller.scope, id).await?.report.ok_or(AppError::NotFound)?;
    Ok(xlsx(super::xlsx::report(&report).map_err(|e| AppError::Internal(e.into()))?, "导入报告.xlsx"))
}
