//! `/api/v1/directives`: issue, list (received, issued, overdue below), read with progress, and the
//! addressed unit's acknowledgement, passing down and feedback (`/api/v1/directive-targets/{id}/…`).

use super::directives::{self, DirectiveView, Issued, MAX_ATTACHMENT, MAX_ATTACHMENTS, NewAttachment, NewDirective, Overdue, Received};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::json::ApiJson;
use crate::web::json::Created;
use crate::web::when;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Lines per list.
const LISTED: i64 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, issue))
        .routes(routes!(get_directive))
        .routes(routes!(acknowledge))
        .routes(routes!(forward))
        .routes(routes!(complete))
        .routes(routes!(download))
        // Up to five files of 10 MB, a third larger in base64.
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENTS * MAX_ATTACHMENT / 3 * 4 + 1024 * 1024))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectiveInput {
    pub title: String,
    pub body: String,
    /// `YYYY-MM-DD HH:MM`, Beijing time.
    pub ack_due_at: String,
    /// `YYYY-MM-DD HH:MM`, Beijing time.
    pub feedback_due_at: String,
    /// At most five files of at most 10 MB each.
    #[serde(default)]
    pub attachments: Vec<AttachmentInput>,
}

/// A file sent with a directive.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    pub filename: String,
    /// Its media type; `application/octet-stream` when not given.
    pub content_type: Option<String>,
    /// Its bytes in standard base64 (RFC 4648, padded).
    pub data_base64: String,
}

impl DirectiveInput {
    /// The directive as typed, its files decoded.
    pub fn parse(self) -> AppResult<NewDirective> {
        use base64::Engine;
        let attachments = self
            .attachments
            .into_iter()
            .map(|a| {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(a.data_base64.trim())
                    .map_err(|_| AppError::invalid("attachments", "attachment_not_base64", format!("附件「{}」的内容不是有效的 base64 编码", a.filename)))?;
                Ok(NewAttachment { filename: a.filename, content_type: a.content_type.unwrap_or_else(|| "application/octet-stream".into()), data })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(NewDirective {
            ack_due_at: when::deadline("ack_due_at", &self.ack_due_at)?,
            feedback_due_at: when::deadline("feedback_due_at", &self.feedback_due_at)?,
            title: self.title,
            body: self.body,
            attachments,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Lists {
    /// Addressed to the caller's unit.
    pub received: Vec<Received>,
    /// Issued or passed down by the caller's unit.
    pub issued: Vec<Issued>,
    /// Acknowledgements and feedback overdue anywhere below.
    pub overdue_below: Vec<Overdue>,
}

pub async fn lists(state: &AppState, caller: &Caller) -> AppResult<Lists> {
    caller.require(Permission::ReceiveDirectives)?;
    let now = crate::db::now_micros();
    Ok(Lists {
        received: directives::received(&state.lists, &caller.org_code, now, LISTED).await?,
        issued: directives::issued(&state.lists, &caller.org_code, now, LISTED).await?,
        overdue_below: directives::overdue_below(&state.lists, &caller.scope, now, LISTED).await?,
    })
}

/// The directives of the caller's unit.
#[utoipa::path(get, path = "/api/v1/directives", tag = "command", responses((status = 200, body = Lists)))]
async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Lists>> {
    Ok(Json(lists(&state, &caller).await?))
}

/// Issues a directive to each child unit of the caller's unit.
#[utoipa::path(post, path = "/api/v1/directives", tag = "command", request_body = DirectiveInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody)))]
async fn issue(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<DirectiveInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::IssueDirectives)?;
    let id = directives::issue(&state.db, &caller.actor(), &caller.scope, &caller.org_code, input.parse()?, crate::db::now_micros()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A directive with its chain, attachments and the progress of every unit it reached.
#[utoipa::path(get, path = "/api/v1/directives/{id}", tag = "command", responses((status = 200, body = DirectiveView), (status = 404, body = ErrorBody)))]
async fn get_directive(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<DirectiveView>> {
    caller.require(Permission::ReceiveDirectives)?;
    Ok(Json(directives::view(&state.db, &caller.scope, &caller.org_code, id, crate::db::now_micros()).await?.ok_or(AppError::NotFound)?))
}

/// Acknowledges (签收) a directive addressed to the caller's unit.
#[utoipa::path(post, path = "/api/v1/directive-targets/{id}/acknowledge", tag = "command", responses((status = 204), (status = 404, body = ErrorBody)))]
async fn acknowledge(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<StatusCode> {
    caller.require(Permission::ReceiveDirectives)?;
    directives::acknowledge(&state.db, &caller.actor(), &caller.org_code, id, crate::db::now_micros()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Passes a received directive down to the caller's child units with the unit's own instructions.
#[utoipa::path(post, path = "/api/v1/directive-targets/{id}/forward", tag = "command", request_body = DirectiveInput,
    responses((status = 201, body = Created), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn forward(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<DirectiveInput>) -> AppResult<(StatusCode, Json<Created>)> {
    caller.require(Permission::IssueDirectives)?;
    let id = directives::forward(&state.db, &caller.actor(), &caller.org_code, id, input.parse()?, crate::db::now_micros()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub feedback: String,
}

/// Reports back (反馈) on a directive addressed to the caller's unit: it is done.
#[utoipa::path(post, path = "/api/v1/directive-targets/{id}/complete", tag = "command", request_body = FeedbackInput,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<FeedbackInput>) -> AppResult<StatusCode> {
    caller.require(Permission::ReceiveDirectives)?;
    directives::complete(&state.db, &caller.actor(), &caller.org_code, id, &input.feedback, crate::db::now_micros()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The file of one of a directive's attachments, for a unit the directive reached or one above it.
#[utoipa::path(get, path = "/api/v1/directives/{id}/attachments/{attachment}", tag = "command",
    responses((status = 200, description = "the file"), (status = 404, body = ErrorBody)))]
async fn download(state: State<AppState>, caller: Caller, path: Path<(i64, i64)>) -> AppResult<axum::response::Response> {
    super::directive_pages::download(state, caller, path).await
}
