//! JSON input that names the offending field: `{"error":{"fields":[{"field":"phone",…}]}}` for a wrong
//! type, an unknown field or a forbidden character, instead of serde's bare message.

use super::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::Serializer;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

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
/// then the shape of `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| AppError::BadRequest { message: format!("JSON 格式错误:{e}"), field: None })?;
    super::text::check_json(&document)?;
    serde_path_to_error::deserialize(document).map_err(|err| {
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

/// Serialises any `Display` value as a string (org codes in JSON).
pub fn as_str<T: std::fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Serialises an optional date as `YYYY-MM-DD` (time's own serde format is a tuple).
pub fn opt_date<S: Serializer>(value: &Option<time::Date>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}
