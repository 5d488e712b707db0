//! The person registry (人员库): identity documents, validation, de-duplication, masking.

pub mod api;
pub mod input;
pub mod merge;
pub mod merge_web;
pub mod pages;
pub mod search;
pub mod store;
pub mod view;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router().merge(merge_web::api_router())
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router().merge(merge_web::page_router())
}

pub use input::{IdType, PersonInput, ValidPerson};
pub use view::PersonView;
