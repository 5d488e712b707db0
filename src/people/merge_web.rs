//! Merging duplicates from the person page (`POST /persons/{id}/merge`, `/persons/{id}/unmerge`)
//! and the API (`POST /api/v1/persons/{id}/merge`, `/api/v1/persons/{id}/unmerge`).

use super::merge::{self, Merge};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::forms::CsrfForm;
use crate::web::i18n::Lang;
use crate::web::json::ApiJson;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(merge_api)).routes(routes!(unmerge_api))
}

pub fn page_router() -> Router<AppState> {
    Router::new().route("/persons/{id}/merge", post(merge_page)).route("/persons/{id}/unmerge", post(unmerge_page))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The duplicate record, merged into the one in the path.
    pub duplicate_id: i64,
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/merge", tag = "persons", params(("id" = i64, Path, description = "The record kept")), request_body = MergeInput,
    description = "Moves everything recorded against the duplicate to this person (observations and check-ins, alerts, requests, cases, contacts, follow-ups); the duplicate leaves searches. Reversible.",
    responses((status = 200, body = Merge), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge_api(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<MergeInput>) -> AppResult<Json<Merge>> {
    caller.require(Permission::MergePersons)?;
    Ok(Json(merge::merge(&state.db, &caller.actor(), &caller.scope, id, input.duplicate_id).await?))
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/unmerge", tag = "persons", params(("id" = i64, Path, description = "The merged duplicate")),
    description = "Undoes the merge of this duplicate: exactly the rows it moved go back.",
    responses((status = 204), (status = 409, body = ErrorBody)))]
async fn unmerge_api(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<StatusCode> {
    caller.require(Permission::MergePersons)?;
    merge::undo(&state.db, &caller.actor(), &caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Back to the person's page; when refused, the page again with why.
async fn back(state: &AppState, caller: &Caller, lang: Lang, id: i64, outcome: AppResult<()>) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => super::pages::detail(state, caller, lang, id, Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";")), None).await,
        Err(AppError::Conflict { message, .. }) => super::pages::detail(state, caller, lang, id, Some(message), None).await,
        Err(e) => Err(e),
    }
}

async fn merge_page(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Vec<(String, String)>>) -> AppResult<Response> {
    caller.require(Permission::MergePersons)?;
    let duplicate = form.iter().find(|(k, _)| k == "duplicate_id").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let outcome = match duplicate.parse::<i64>() {
        Ok(duplicate) => merge::merge(&state.db, &caller.actor(), &caller.scope, id, duplicate).await.map(|_| ()),
        Err(_) => Err(AppError::invalid("duplicate_id", "person_unknown", "请填写重复记录的人员编号")),
    };
    back(&state, &caller, lang, id, outcome).await
}

async fn unmerge_page(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, .. }: CsrfForm<Vec<(String, String)>>) -> AppResult<Response> {
    caller.require(Permission::MergePersons)?;
    let outcome = merge::undo(&state.db, &caller.actor(), &caller.scope, id).await;
    back(&state, &caller, lang, id, outcome).await
}
