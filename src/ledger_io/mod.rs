//! Ledger files (台账表格): import people's own `.xlsx` / `.csv` sheets (any column order, the usual
//! Chinese headers, UTF-8 or GBK), with a per-row report; export an area's ledger to `.xlsx`, masked
//! and formula-neutralised; a template to start from. Imports from the web page run as background
//! jobs ([`jobs`]).

pub mod api;
pub mod export;
pub mod headers;
pub mod import;
pub mod jobs;
pub mod placement;
pub mod read;
pub mod xlsx;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    api::page_router()
}
