//! `/api/v1/auth/token`, `/api/v1/me` and `/api/v1/users`.

use super::sessions::{self, SessionKind};
use super::store::{self, NewUser, User};
use super::{Caller, Permission, Role};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use crate::web::json::ApiJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use fangkong_rules::OrgCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(issue_token)).routes(routes!(me)).routes(routes!(list_users, create_user)).routes(routes!(update_user))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = Credentials,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn issue_token(State(state): State<AppState>, Extension(addr): Extension<ClientAddr>, ApiJson(c): ApiJson<Credentials>) -> AppResult<Json<TokenResponse>> {
    let user = super::caller::authenticate(&state, &c.username, &c.password, &addr.0).await?;
    let session = sessions::create(&state.db, user.id, SessionKind::Api, &state.settings.lifetimes).await?;
    let expires = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(session.expires_at) * 1000).map_err(|e| AppError::Internal(e.into()))?;
    let expires_at = expires.format(&time::format_description::well_known::Rfc3339).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(TokenResponse { token: session.token, expires_at }))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, caller: Caller) -> AppResult<Json<User>> {
    Ok(Json(store::get(&state.db, &caller.scope, caller.user_id).await?.ok_or(AppError::Unauthorized)?))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<User>>> {
    caller.require(Permission::ManageUsers)?;
    Ok(Json(store::list(&state.lists, &caller.scope).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub org_code: String,
    pub password: String,
}

/// Validates a new account's fields and hashes its password.
pub async fn new_user(username: &str, display_name: &str, role: Role, org_code: &str, password: &str) -> AppResult<NewUser> {
    let mut errors = Vec::new();
    let username = username.trim().to_string();
    if !(2..=32).contains(&username.len()) || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-') {
        errors.push(crate::error::FieldError::new("username", "username_invalid", "用户名为 2–32 位字母、数字、下划线、点或连字符"));
    }
    let org = OrgCode::parse(org_code).map_err(|m| errors.push(crate::error::FieldError::new("org_code", "org_invalid", m))).ok();
    // The command line reaches this without passing a form or a JSON body.
    errors.extend(crate::web::text::check("display_name", display_name).err());
    if let Err(m) = super::password::check_policy(password) {
        errors.push(crate::error::FieldError::new("password", "password_weak", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let password = password.to_string();
    let password_hash = tokio::task::spawn_blocking(move || super::password::hash(&password)).await.map_err(|e| AppError::Internal(e.into()))??;
    let display_name = if display_name.trim().is_empty() { username.clone() } else { display_name.trim().to_string() };
    Ok(NewUser { username, display_name, role, org_code: org.expect("checked"), password_hash })
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(State(state): State<AppState>, caller: Caller, ApiJson(input): ApiJson<UserInput>) -> AppResult<(StatusCode, Json<User>)> {
    caller.require(Permission::ManageUsers)?;
    let new = new_user(&input.username, input.display_name.as_deref().unwrap_or(""), input.role, &input.org_code, &input.password).await?;
    let id = store::create(&state.db, &caller.actor(), &caller.scope, new).await?;
    let user = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub active: Option<bool>,
    pub password: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserUpdate,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(input): ApiJson<UserUpdate>) -> AppResult<Json<User>> {
    caller.require(Permission::ManageUsers)?;
    apply_update(&state, &caller, id, input).await?;
    Ok(Json(store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?))
}

/// Enables/disables an account or resets its password; shared by the API and the admin page.
pub async fn apply_update(state: &AppState, caller: &Caller, id: i64, input: UserUpdate) -> AppResult<()> {
    if id == caller.user_id && input.active == Some(false) {
        return Err(AppError::invalid("active", "self_disable", "不能停用自己的账号"));
    }
    if let Some(password) = input.password {
        super::password::check_policy(&password).map_err(|m| AppError::invalid("password", "password_weak", m))?;
        let hash = tokio::task::spawn_blocking(move || super::password::hash(&password)).await.map_err(|e| AppError::Internal(e.into()))??;
        store::set_password(&state.db, &caller.actor(), &caller.scope, id, &hash).await?;
    }
    if let Some(active) = input.active {
        store::set_active(&state.db, &caller.actor(), &caller.scope, id, active).await?;
    }
    Ok(())
}
