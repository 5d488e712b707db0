//! `/directives`: the unit's directives — received (acknowledge, report back, pass down), issued
//! with their progress, overdue below — the form to issue one with attachments, and each
//! directive's page with the roll-up of every unit it reached.

use super::directive_api::{Lists, lists};
use super::directives::{self, DirectiveView, MAX_ATTACHMENT, MAX_ATTACHMENTS, NewAttachment, NewDirective};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, Filled, field};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use crate::web::when;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/directives", get(index).post(issue))
        .route("/directives/{id}", get(detail))
        .route("/directives/{id}/attachments/{attachment}", get(download))
        .route("/directives/{id}/remind", post(remind))
        .route("/directive-targets/{id}/acknowledge", post(acknowledge))
        .route("/directive-targets/{id}/complete", post(complete))
        .route("/directive-targets/{id}/forward", post(forward))
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENTS * MAX_ATTACHMENT + 1024 * 1024))
}

fn time(micros: &i64) -> String {
    clock::format_micros(*micros)
}

#[derive(Template)]
#[template(path = "command/directives.html")]
struct IndexPage {
    chrome: Chrome,
    lists: Lists,
    can_issue: bool,
    filled: Filled,
}

impl IndexPage {
    fn time(&self, micros: &i64) -> String {
        time(micros)
    }
}

async fn show_index(state: &AppState, caller: &Caller, lang: Lang, filled: Filled) -> AppResult<Response> {
    let page = IndexPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("指令", "Directives")).await?,
        lists: lists(state, caller).await?,
        can_issue: caller.may(Permission::IssueDirectives),
        filled,
    };
    Ok(render(page.filled.status(), &page))
}

async fn index(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    show_index(&state, &caller, lang, Filled::default()).await
}

fn typed(form: &Fields, attachments: Vec<NewAttachment>) -> AppResult<NewDirective> {
    Ok(NewDirective {
        title: field(form, "title").into(),
        body: field(form, "body").into(),
        ack_due_at: when::deadline("ack_due_at", field(form, "ack_due_at"))?,
        feedback_due_at: when::deadline("feedback_due_at", field(form, "feedback_due_at"))?,
        attachments,
    })
}

async fn issue(State(state): State<AppState>, caller: Caller, lang: Lang, multipart: Multipart) -> AppResult<Response> {
    caller.require(Permission::IssueDirectives)?;
    // Text fields and the files sent as `attachments` (at most MAX_ATTACHMENTS, checked by `issue`).
    let (form, uploads) = crate::web::forms::read_multipart(&caller, multipart).await?;
    let files = uploads.into_iter().filter(|u| u.field == "attachments").map(|u| NewAttachment { filename: u.filename, content_type: u.content_type, data: u.data }).collect();
    let issued = async {
        let new = typed(&form, files)?;
        directives::issue(&state.db, &caller.actor(), &caller.scope, &caller.org_code, new, crate::db::now_micros()).await
    }
    .await;
    match issued {
        Ok(id) => Ok(Redirect::to(&format!("/directives/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "command/directive.html")]
struct DetailPage {
    chrome: Chrome,
    view: DirectiveView,
    can_forward: bool,
    /// The issuing unit, while some unit has not acknowledged.
    can_remind: bool,
    filled: Filled,
}

impl DetailPage {
    fn time(&self, micros: &i64) -> String {
        time(micros)
    }
}

async fn show_detail(state: &AppState, caller: &Caller, lang: Lang, id: i64, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let view = directives::view(&state.db, &caller.scope, &caller.org_code, id, crate::db::now_micros()).await?.ok_or(AppError::NotFound)?;
    let can_forward = caller.may(Permission::IssueDirectives) && !crate::org::store::children(&state.db, &caller.scope, &caller.org_code).await?.is_empty();
    let can_remind = view.directive.org_code == caller.org_code.as_str() && view.targets.iter().any(|t| t.acknowledged_at.is_none());
    let page = DetailPage { chrome: Chrome::for_caller(state, caller, lang, &view.directive.title).await?, view, can_forward, can_remind, filled };
    Ok(render(page.filled.status(), &page))
}

async fn detail(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    show_detail(&state, &caller, lang, id, Filled::default()).await
}

/// After an action on a target: back to its directive, or the page again with the error.
async fn after(state: &AppState, caller: &Caller, lang: Lang, target: i64, form: Fields, done: AppResult<()>) -> AppResult<Response> {
    let directive = directives::received_target(&state.db, &caller.org_code, target).await?.ok_or(AppError::NotFound)?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/directives/{directive}")).into_response()),
        Err(AppError::Invalid(errors)) => show_detail(state, caller, lang, directive, Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => show_detail(state, caller, lang, directive, Filled::new(form, vec![FieldError::new("action", "conflict", message)])).await,
        Err(e) => Err(e),
    }
}

/// 催办: the issuing unit reminds the units that have not acknowledged.
async fn remind(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::IssueDirectives)?;
    match directives::remind(&state.db, &caller.actor(), &caller.org_code, id, crate::db::now_micros()).await {
        Ok(_) => Ok(Redirect::to(&format!("/directives/{id}")).into_response()),
        Err(AppError::Conflict { message, .. }) => show_detail(&state, &caller, lang, id, Filled::new(form, vec![FieldError::new("action", "conflict", message)])).await,
        Err(e) => Err(e),
    }
}

async fn acknowledge(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let done = directives::acknowledge(&state.db, &caller.actor(), &caller.org_code, id, crate::db::now_micros()).await;
    after(&state, &caller, lang, id, form, done).await
}

async fn complete(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let done = directives::complete(&state.db, &caller.actor(), &caller.org_code, id, field(&form, "feedback"), crate::db::now_micros()).await;
    after(&state, &caller, lang, id, form, done).await
}

async fn forward(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::IssueDirectives)?;
    let forwarded = async {
        let new = typed(&form, Vec::new())?;
        directives::forward(&state.db, &caller.actor(), &caller.org_code, id, new, crate::db::now_micros()).await
    }
    .await;
    match forwarded {
        Ok(new) => Ok(Redirect::to(&format!("/directives/{new}")).into_response()),
        Err(e) => after(&state, &caller, lang, id, form, Err(e)).await,
    }
}

/// Files kinds shown in the browser; anything else is downloaded as bytes, so an uploaded page
/// can never run as this site.
const SHOWN_TYPES: [&str; 4] = ["application/pdf", "image/png", "image/jpeg", "image/gif"];

/// An attachment's file, as a download; the API serves the same.
pub(super) async fn download(State(state): State<AppState>, caller: Caller, Path((id, attachment)): Path<(i64, i64)>) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let (filename, content_type, data) = directives::attachment(&state.db, &caller.scope, &caller.org_code, id, attachment, crate::db::now_micros()).await?.ok_or(AppError::NotFound)?;
    let content_type = if SHOWN_TYPES.contains(&content_type.as_str()) { content_type } else { "application/octet-stream".into() };
    let disposition = format!("attachment; filename=\"attachment\"; filename*=UTF-8''{}", crate::web::pages::urlencode(&filename));
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition), (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into())], data).into_response())
}
