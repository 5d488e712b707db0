//! Audit trail (审计): who did or viewed what, when and from where — never the personal values.
//! Every write records its audit row in the same transaction as the write; views of unmasked
//! persons, searches and exports record one too.

pub mod api;
pub mod pages;
pub mod store;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}

use serde::Serialize;

/// Who is acting: a signed-in user, or the operator at the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub org_code: String,
    pub client_addr: Option<String>,
}

impl Actor {
    /// The machine's operator running a `fangkong` subcommand.
    pub fn cli(what: &str) -> Actor {
        Actor { user_id: None, username: format!("cli:{what}"), org_code: String::new(), client_addr: None }
    }
}

/// One audit row to write. `org_code` is the owning unit of the record (or the actor's unit for
/// actions without a record, such as a search), which scopes who may read the row.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub record_type: &'static str,
    pub record_id: Option<String>,
    pub org_code: String,
    /// Non-personal detail, e.g. `kind=id_number results=1`. Never a name, ID or phone value.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    /// Epoch microseconds.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub record_type: String,
    pub record_id: Option<String>,
    pub org_code: String,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
}
