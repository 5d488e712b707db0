//! JSON input that names the offending field: `{"error":{"fields":[{"field":"phone",…}]}}` for a wrong
//! type, an unknown field or a forbidden character, instead of serde's bare message; and the same
//! JSON error shape for error responses that did not come from `AppError`.

use crate::error::{AppError, ErrorBody, ErrorDetail, ErrorInfo};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

/// The answer to a creation: the new record's id.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest { message: "请求体应为 JSON(Content-Type: application/json)".into(), field: None });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| AppError::TooLarge)?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body: its syntax first, then every string through [`super::text::check_json`],
/// then the shape of `T` — read from the bytes again, so that a key given twice is refused as
/// serde refuses it (a document keeps only its last value, which would hide the first from the
/// text check).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| AppError::BadRequest { message: format!("JSON 格式错误:{e}"), field: None })?;
    super::text::check_json(&document)?;
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let field = if let Some(rest) = message.strip_prefix("unknown field `") {
            rest.split('`').next().map(str::to_string)
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            rest.split('`').next().map(str::to_string)
        } else if path != "." && !path.is_empty() {
            Some(path)
        } else {
            None
        };
        let message = match &field {
            Some(f) => format!("字段 {f} 有误:{message}"),
            None => format!("JSON 格式错误:{message}"),
        };
        AppError::BadRequest { message, field }
    })
}

/// What an error response that did not come from [`AppError`] (an extractor's rejection, a method
/// not allowed) means, in the platform's words: its code and message.
pub async fn described(status: StatusCode, body: axum::body::Body) -> (&'static str, String) {
    let said = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
    match status {
        StatusCode::NOT_FOUND => ("not_found", AppError::NotFound.message()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "此地址不接受该请求方法".to_string()),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", AppError::TooLarge.message()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", format!("请求体的格式不受支持:{said}")),
        s if s.is_client_error() => ("bad_request", format!("请求有误:{said}")),
        _ => ("internal", "服务器内部错误,请稍后再试".to_string()),
    }
}

/// Gives an error response that did not come from [`AppError`] — a path or query the extractors
/// could not parse, a method the route does not take, a body over its limit — the API's JSON
/// shape, so that every answer under `/api` is `{"error":{"code","message"}}`.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || response.extensions().get::<ErrorInfo>().is_some() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let (code, message) = described(status, body).await;
    let body = ErrorBody { error: ErrorDetail { code: code.into(), message, fields: None, existing_id: None } };
    let mut response = (status, axum::Json(body)).into_response();
    // The rest of what was said (`Allow` on a 405, say) stays.
    for (name, value) in parts.headers.iter().filter(|(n, _)| !matches!(*n, &header::CONTENT_TYPE | &header::CONTENT_LENGTH)) {
        response.headers_mut().append(name, value.clone());
    }
    response
}
