//! The command centre's reports: the daily report at every level (page, JSON, `.xlsx`, command line).

pub mod api;
pub mod daily;
pub mod dashboard;
pub mod pages;
pub mod xlsx;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}
