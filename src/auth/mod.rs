//! Accounts, roles, sessions, API tokens and the caller's jurisdiction scope.

pub mod api;
pub mod caller;
pub mod pages;
pub mod password;
pub mod role;
pub mod sessions;
pub mod store;
pub mod throttle;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}

pub use caller::Caller;
pub use role::{Permission, Role};
