//! Sign-in and sign-out pages, and user administration for admins.

use super::sessions::{self, SessionKind};
use super::{Caller, Permission, Role, store};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use crate::web::forms::{CsrfForm, PublicForm, tokens_match};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, is_https, render, safe_local_path};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

/// The sign-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "fk_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/users", get(users_page).post(create_user))
        .route("/users/{id}/active", post(set_active))
        .route("/users/{id}/password", post(reset_password))
}

fn cookie_attrs(state: &AppState, headers: &HeaderMap) -> &'static str {
    if state.settings.always_secure_cookies || is_https(headers) { "; HttpOnly; SameSite=Strict; Path=/; Secure" } else { "; HttpOnly; SameSite=Strict; Path=/" }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// The sign-in form carries a random token that must match a cookie set with the form (double
/// submit), so another site cannot sign a victim into an attacker's account.
fn login_form(state: &AppState, headers: &HeaderMap, lang: Lang, status: StatusCode, next: &str, username: &str, error: Option<String>) -> Response {
    let csrf = sessions::random_token();
    let page = LoginPage { chrome: Chrome::anonymous(lang, lang.pick("登录", "Sign in")), csrf: csrf.clone(), next: next.to_string(), username: username.to_string(), error };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}{}", cookie_attrs(state, headers));
    ([(header::SET_COOKIE, cookie)], render(status, &page)).into_response()
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, lang: Lang, Query(p): Query<NextParam>) -> Response {
    login_form(&state, &headers, lang, StatusCode::OK, safe_local_path(p.next.as_deref()), "", None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(State(state): State<AppState>, headers: HeaderMap, lang: Lang, Extension(addr): Extension<ClientAddr>, PublicForm(form): PublicForm<LoginForm>) -> AppResult<Response> {
    let next = safe_local_path(form.next.as_deref()).to_string();
    let expected = crate::auth::caller::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !tokens_match(expected, &form.csrf) {
        let msg = lang.pick("页面已过期,请重新登录", "The page expired; please sign in again");
        return Ok(login_form(&state, &headers, lang, StatusCode::BAD_REQUEST, &next, &form.username, Some(msg.into())));
    }
    let user = match super::caller::authenticate(&state, form.username.trim(), &form.password, &addr.0).await {
        Ok(user) => user,
        Err(AppError::Unauthorized) => {
            let msg = lang.pick("用户名或密码错误", "Wrong username or password");
            return Ok(login_form(&state, &headers, lang, StatusCode::UNAUTHORIZED, &next, &form.username, Some(msg.into())));
        }
        Err(AppError::RateLimited) => {
            let msg = lang.pick("登录失败次数过多,请 15 分钟后再试", "Too many failed attempts; try again in 15 minutes");
            return Ok(login_form(&state, &headers, lang, StatusCode::TOO_MANY_REQUESTS, &next, &form.username, Some(msg.into())));
        }
        Err(e) => return Err(e),
    };
    let session = sessions::create(&state.db, user.id, SessionKind::Web, &state.settings.lifetimes).await?;
    let attrs = cookie_attrs(&state, &headers);
    let cookies = AppendHeaders([(header::SET_COOKIE, format!("{}={}{attrs}", super::caller::SESSION_COOKIE, session.token)), (header::SET_COOKIE, format!("{LOGIN_CSRF_COOKIE}=; Max-Age=0{attrs}"))]);
    Ok((cookies, Redirect::to(&next)).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(State(state): State<AppState>, headers: HeaderMap, form: CsrfForm<Empty>) -> AppResult<Response> {
    if let Some(token) = crate::auth::caller::cookie(&headers, super::caller::SESSION_COOKIE) {
        sessions::delete(&state.db, token).await?;
    }
    let actor = form.caller.actor();
    let event = crate::audit::AuditEvent { action: "auth.logout", record_type: "user", record_id: Some(form.caller.user_id.to_string()), org_code: form.caller.org_code.to_string(), detail: None };
    crate::audit::store::record(&state.db, &actor, event).await?;
    let cookie = format!("{}=; Max-Age=0{}", super::caller::SESSION_COOKIE, cookie_attrs(&state, &headers));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

#[derive(Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub org_code: String,
    #[serde(default)]
    pub password: String,
    #[serde(skip)]
    pub errors: Vec<FieldError>,
}

impl UserForm {
    pub fn error(&self, field: &str, lang: impl std::borrow::Borrow<Lang>) -> Option<&str> {
        crate::web::forms::field_message(&self.errors, field, *lang.borrow())
    }
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<store::User>,
    roles: [Role; 9],
    form: UserForm,
    notice: Option<String>,
}

async fn users_view(state: &AppState, caller: &Caller, lang: Lang, form: UserForm, notice: Option<String>, status: StatusCode) -> AppResult<Response> {
    caller.require(Permission::ManageUsers)?;
    let chrome = Chrome::for_caller(state, caller, lang, lang.pick("用户管理", "Users")).await?;
    let users = store::list(&state.lists, &caller.scope).await?;
    let form = UserForm { org_code: if form.org_code.is_empty() { caller.org_code.to_string() } else { form.org_code.clone() }, ..form };
    Ok(render(status, &UsersPage { chrome, users, roles: Role::ALL, form, notice }))
}

async fn users_page(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    users_view(&state, &caller, lang, UserForm::default(), None, StatusCode::OK).await
}

async fn create_user(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<UserForm>) -> AppResult<Response> {
    caller.require(Permission::ManageUsers)?;
    let created = async {
        let role = Role::parse(&form.role).ok_or_else(|| AppError::invalid("role", "role_unknown", "请选择角色"))?;
        let new = super::api::new_user(&form.username, &form.display_name, role, &form.org_code, &form.password).await?;
        store::create(&state.db, &caller.actor(), &caller.scope, new).await
    }
    .await;
    match created {
        Ok(_) => {
            let notice = format!("{} {}", lang.pick("已创建账号", "Created account"), form.username.trim());
            users_view(&state, &caller, lang, UserForm::default(), Some(notice), StatusCode::OK).await
        }
        Err(AppError::Invalid(errors)) => {
            let form = UserForm { password: String::new(), errors, ..form };
            users_view(&state, &caller, lang, form, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: bool,
}

async fn set_active(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<ActiveForm>) -> AppResult<Response> {
    caller.require(Permission::ManageUsers)?;
    super::api::apply_update(&state, &caller, id, super::api::UserUpdate { active: Some(form.active), password: None }).await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn reset_password(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<PasswordForm>) -> AppResult<Response> {
    caller.require(Permission::ManageUsers)?;
    let update = super::api::UserUpdate { active: None, password: Some(form.password) };
    match super::api::apply_update(&state, &caller, id, update).await {
        Ok(()) => users_view(&state, &caller, lang, UserForm::default(), Some(lang.pick("密码已重置", "Password reset").into()), StatusCode::OK).await,
        Err(AppError::Invalid(errors)) => {
            let notice = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";");
            users_view(&state, &caller, lang, UserForm::default(), Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
