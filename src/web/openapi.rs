//! The OpenAPI document, generated from the handlers' annotations and served at `/api/openapi.json`.

use super::AppState;
use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Fangkong (防控) API", description = "Epidemic prevention-and-control command platform. Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Bearer TOKEN`. Records outside the caller's jurisdiction answer 404."),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// Every API route, with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(super::FEATURES.iter().fold(OpenApiRouter::new(), |all, feature| all.merge((feature.api)())))
}

pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| api_router().split_for_parts().1)
}

pub async fn serve() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}
