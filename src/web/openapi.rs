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
    DOCUMENT.get_or_init(|| {
        let mut document = api_router().split_for_parts().1;
        declare_errors(&mut document);
        document
    })
}

/// The error answers every operation shares, each declared once under `components/responses`
/// with the body [`crate::error::ErrorBody`]: `(status, name, when it is given)`.
const SHARED_ERRORS: [(&str, &str, &str); 7] = [
    ("400", "BadRequest", "The request could not be read: malformed JSON or parameters, a key given twice, a control or bidi character, a body of the wrong type."),
    ("401", "Unauthorized", "No valid bearer token (or session)."),
    ("403", "Forbidden", "The caller's role may not do this, or a cookie session's request came from another origin."),
    ("404", "NotFound", "No such record in the caller's jurisdiction: a record outside it answers the same as one that does not exist."),
    ("413", "TooLarge", "The body is larger than this operation accepts."),
    ("422", "Invalid", "The request was read but a value breaks a rule; `error.fields` names each field with its message."),
    ("503", "TimedOut", "The request's database work ran past the statement timeout, or no connection came free in time: narrow the request (a smaller unit, a longer search text) or try again."),
];

/// Attaches the shared error answers to every operation that can give them, where its own
/// annotation does not already: any request can be malformed (400); one needing a caller can
/// lack one (401) or the permission (403); a record named in the path can be out of reach (404);
/// a value given in the parameters or body can break a rule (422); a body can be too large (413).
fn declare_errors(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let components = document.components.get_or_insert_with(Default::default);
    for (_, name, description) in SHARED_ERRORS {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        components.responses.insert(name.to_string(), RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build()));
    }
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let public = serde_json::to_value(&operation.security).is_ok_and(|s| s == serde_json::json!([{}]));
            let takes_values = operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) || operation.request_body.is_some();
            for (status, name, _) in SHARED_ERRORS {
                let applies = match status {
                    "401" | "403" => !public,
                    "404" => path.contains('{'),
                    "413" => operation.request_body.is_some(),
                    "422" => takes_values,
                    _ => true,
                };
                if applies {
                    operation.responses.responses.entry(status.to_string()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

pub async fn serve() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}
