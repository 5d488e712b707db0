//! `/api/v1/audit`: the audit trail of the caller's jurisdiction.

use super::AuditRow;
use super::store::Filter;
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::web::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct AuditParams {
    /// Only this action, e.g. `person.view_full`.
    pub action: Option<String>,
    /// Only what this account did (its username).
    pub user: Option<String>,
    /// From this day on (YYYY-MM-DD, Beijing time).
    pub from: Option<String>,
    /// Up to and including this day.
    pub to: Option<String>,
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
    Ok(Json(super::store::list(&state.lists, &caller.scope, &p.filter()?, limit).await?))
}

impl AuditParams {
    /// The filter asked for; a day that is no date, or a span that ends before it starts, is the
    /// field's error. Blank values filter nothing.
    pub fn filter(&self) -> AppResult<Filter> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let from = given(&self.from).map(|d| crate::web::when::date("from", &d)).transpose()?;
        let to = given(&self.to).map(|d| crate::web::when::date("to", &d)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(AppError::invalid("to", "range_invalid", "结束日期不能早于开始日期"));
        }
        Ok(Filter { action: given(&self.action), actor: given(&self.user), from: from.map(|d| clock::micros_at(d, 0)), until: to.map(|d| clock::micros_at(d, 24)), before: self.before })
    }
}
