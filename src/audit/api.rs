//! `/api/v1/audit`: the audit trail of the caller's jurisdiction.

use super::AuditRow;
use crate::auth::{Caller, Permission};
use crate::error::{AppResult, ErrorBody};
use crate::web::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Only this action, e.g. `person.view_full`.
    pub action: Option<String>,
    /// Rows with ids below this one (paging).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20); a larger or smaller value is read as the nearest bound.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditRow>), (status = 403, body = ErrorBody)))]
async fn list_audit(State(state): State<AppState>, caller: Caller, Query(p): Query<AuditParams>) -> AppResult<Json<Vec<AuditRow>>> {
    caller.require(Permission::ReadAudit)?;
    let limit = crate::web::params::clamp_page(p.limit);
    Ok(Json(super::store::list(&state.lists, &caller.scope, p.action.as_deref(), p.before, limit).await?))
}
