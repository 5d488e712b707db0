//! Sanitation workers' protective equipment (环卫工人防护, issue 18): the rule's editions as dated
//! data (which items each kind of worker must wear, what a missing item costs, which districts are
//! in the scheme), the workforce and its training, inspections on a phone with a photo, the
//! districts' appeals and the centre's decisions, and each district's monthly score, closed and
//! frozen by the centre. The pure rule is `fangkong_rules::sanitation`.

pub mod api;
mod appeal_pages;
pub mod appeals;
pub mod editions;
pub mod export;
pub mod inspections;
mod month_pages;
pub mod months;
pub mod pages;
pub mod photos;
pub mod register_import;
pub mod training;
pub mod workforce;

pub fn api() -> utoipa_axum::router::OpenApiRouter<crate::web::AppState> {
    api::router()
}

pub fn pages() -> axum::Router<crate::web::AppState> {
    pages::router()
}
