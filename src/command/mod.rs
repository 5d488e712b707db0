//! Command (指挥): directives cascaded down the tree with acknowledgement and feedback rolled up
//! ("一切行动听指挥", "层层压实责任"), and supervision visits with their fixes tracked to done.

pub mod directive_api;
pub mod directive_pages;
pub mod directives;
pub mod supervision;
pub mod supervision_fixes;
pub mod supervision_pages;

/// The feature's JSON API.
pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    directive_api::router()
}

/// The feature's pages.
pub fn pages() -> axum::Router<crate::web::AppState> {
    directive_pages::router().merge(supervision_pages::router())
}
