//! The authenticated caller of a request: from a bearer token (API) or the session cookie (web UI).

use super::sessions::{self, SessionKind};
use super::{Permission, Role, store};
use crate::audit::{Actor, AuditEvent};
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use fangkong_rules::{OrgCode, Scope};

pub const SESSION_COOKIE: &str = "fk_session";

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_code: OrgCode,
    pub scope: Scope,
    pub client_addr: String,
    /// The session's CSRF token (web sessions only); forms must echo it.
    pub csrf: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user_id), username: self.username.clone(), org_code: self.org_code.to_string(), client_addr: Some(self.client_addr.clone()) }
    }

    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if self.role.may(permission) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }

    /// The unit a board or report is asked for: the caller's own when none is named. Whether it
    /// is in the caller's jurisdiction is the storage function's to say.
    pub fn unit_asked(&self, org: Option<&str>) -> AppResult<OrgCode> {
        match org.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(self.org_code.clone()),
            Some(code) => OrgCode::parse(code).map_err(|_| AppError::NotFound),
        }
    }

    /// An audit event about the caller's own unit (searches, lists, exports).
    pub fn event(&self, action: &'static str, record_type: &'static str, detail: String) -> AuditEvent {
        AuditEvent { action, record_type, record_id: None, org_code: self.org_code.to_string(), detail: Some(detail) }
    }
}

/// Reads one cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let (token, kind) = match bearer(parts) {
            Some(t) => (t.to_string(), SessionKind::Api),
            None => (cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::Unauthorized)?.to_string(), SessionKind::Web),
        };
        let session = sessions::lookup(&state.db, &token, kind, &state.settings.lifetimes).await?.ok_or(AppError::Unauthorized)?;
        let user = store::by_id_unscoped(&state.db, session.user_id).await?.filter(|u| u.active).ok_or(AppError::Unauthorized)?;
        let client_addr = parts.extensions.get::<ClientAddr>().map(|c| c.0.clone()).unwrap_or_else(|| "unknown".into());
        let caller = Caller {
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            scope: Scope::of(&user.org_code),
            org_code: user.org_code,
            client_addr,
            csrf: (kind == SessionKind::Web).then_some(session.csrf_token),
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// Checks a password with throttling, and audits the outcome. Used by the login page and the token API.
pub async fn authenticate(state: &AppState, username: &str, password: &str, client_addr: &str) -> AppResult<store::User> {
    let db = &state.db;
    let limits = &state.settings.login_limits;
    if !super::throttle::admit_login(db, limits, username, client_addr).await? {
        return Err(AppError::RateLimited);
    }
    let found = store::find_for_login(db, username).await?;
    let password = password.to_string();
    // Verify even for unknown accounts, so response time does not reveal which names exist.
    let stored = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| state.settings.dummy_hash.clone());
    let ok = tokio::task::spawn_blocking(move || super::password::verify(&password, &stored)).await.map_err(|e| AppError::Internal(e.into()))?;
    match found {
        Some((user, _)) if ok && user.active => {
            super::throttle::login_succeeded(db, username, client_addr).await?;
            let actor = Actor { user_id: Some(user.id), username: user.username.clone(), org_code: user.org_code.to_string(), client_addr: Some(client_addr.into()) };
            let event = AuditEvent { action: "auth.login", record_type: "user", record_id: Some(user.id.to_string()), org_code: user.org_code.to_string(), detail: None };
            crate::audit::store::record(db, &actor, event).await?;
            Ok(user)
        }
        _ => Err(AppError::Unauthorized),
    }
}
