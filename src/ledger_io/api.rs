//! `/api/v1/imports`, `/api/v1/imports/template`, `/api/v1/exports/ledger`, and the import page.

use super::import::{self, Mode, Report};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::web::AppState;
use crate::web::error::{AppError, AppResult, ErrorBody};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Ledger files up to this size are accepted (a million rows of CSV is about 150 MB; split larger ones).
pub const MAX_FILE: usize = 200 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_file))
        .routes(routes!(template))
        .routes(routes!(export_ledger))
        .layer(DefaultBodyLimit::max(MAX_FILE))
}

pub fn page_router() -> axum::Router<AppState> {
    axum::Router::new().route("/imports", axum::routing::get(import_page).post(import_upload)).layer(DefaultBodyLimit::max(MAX_FILE))
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
    let org = crate::org::api::parse_code("org", org)?;
    let rows = super::read::read(bytes).map_err(|m| AppError::invalid("file", "file_unreadable", m))?;
    import::import(&state.db, &caller.actor(), &caller.scope, &org, &rows, mode, clock::today(), &|_| {}).await
}

fn mode_of(mode: Option<&str>) -> Mode {
    if mode == Some("valid_rows") { Mode::ValidRows } else { Mode::AllOrNothing }
}

#[utoipa::path(post, path = "/api/v1/imports", tag = "ledger files", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The .xlsx or .csv file"),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn import_file(State(state): State<AppState>, caller: Caller, Query(p): Query<ImportParams>, body: Bytes) -> AppResult<Response> {
    let report = run_import(&state, &caller, &p.org, mode_of(p.mode.as_deref()), &body).await?;
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
        Some(o) => crate::org::api::parse_code("org", o)?,
        None => caller.org_code.clone(),
    };
    let (bytes, _) = super::export::ledger(&state.db, &caller.actor(), &caller.scope, &unit).await?.ok_or(AppError::NotFound)?;
    Ok(xlsx(bytes, &format!("重点人员台账-{unit}.xlsx")))
}

#[derive(Template)]
#[template(path = "observation/import.html")]
struct ImportPage {
    chrome: Chrome,
    org: String,
    report: Option<Report>,
    report_xlsx: Option<String>,
    error: Option<String>,
}

async fn import_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let chrome = Chrome::for_caller(&state, &caller, lang, lang.pick("导入台账", "Import a ledger")).await?;
    Ok(render(StatusCode::OK, &ImportPage { chrome, org: caller.org_code.to_string(), report: None, report_xlsx: None, error: None }))
}

/// The upload form: a multipart post with `_csrf`, `org`, `mode` and `file`.
async fn import_upload(State(state): State<AppState>, caller: Caller, lang: Lang, mut multipart: Multipart) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let (mut csrf, mut org, mut mode, mut file) = (String::new(), String::new(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| AppError::TooLarge)? {
        let name = field.name().unwrap_or("").to_string();
        let data = field.bytes().await.map_err(|_| AppError::TooLarge)?;
        match name.as_str() {
            "_csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "org" => org = String::from_utf8_lossy(&data).trim().to_string(),
            "mode" => mode = String::from_utf8_lossy(&data).into_owned(),
            "file" => file = data.to_vec(),
            _ => {}
        }
    }
    if !crate::web::forms::tokens_match(&csrf, caller.csrf.as_deref().unwrap_or("")) {
        return Err(AppError::BadRequest { message: "页面已过期,请刷新后重新提交".into(), field: None });
    }
    let chrome = Chrome::for_caller(&state, &caller, lang, lang.pick("导入台账", "Import a ledger")).await?;
    let (status, report, error) = match run_import(&state, &caller, &org, mode_of(Some(mode.as_str())), &file).await {
        Ok(r) => (StatusCode::OK, Some(r), None),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";"))),
        Err(AppError::NotFound) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some("单位不在您的辖区内".to_string())),
        Err(AppError::BadRequest { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)),
        Err(e) => return Err(e),
    };
    let report_xlsx = match &report {
        Some(r) if !r.errors.is_empty() => {
            let bytes = super::xlsx::report(r).map_err(|e| AppError::Internal(e.into()))?;
            Some(format!("data:{};base64,{}", super::xlsx::CONTENT_TYPE, base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)))
        }
        _ => None,
    };
    Ok(render(status, &ImportPage { chrome, org, report, report_xlsx, error }))
}
