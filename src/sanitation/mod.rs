//! Sanitation workers' protective equipment (环卫工人防护, issue 18): the rule's editions as dated
//! data (which items each kind of worker must wear, what a missing item costs, which districts are
//! in the scheme), and — as the module grows — the workforce, inspections on a phone, appeals and
//! each district's monthly score. The pure rule is `fangkong_rules::sanitation`.

pub mod api;
pub mod editions;
pub mod inspections;
pub mod pages;
pub mod training;
pub mod workforce;

pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}
