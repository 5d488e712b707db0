//! Form posts from the web UI. Every form carries the session's CSRF token in `_csrf`; a post
//! without the right token is refused before the handler runs.

use super::AppState;
use super::error::AppError;
use crate::auth::Caller;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A form body of type `T` posted by `caller`, with its CSRF token checked.
pub struct CsrfForm<T> {
    pub caller: Caller,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|_| AppError::TooLarge)?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::Forbidden)?;
        let expected = caller.csrf.as_deref().ok_or(AppError::Forbidden)?;
        if !tokens_match(&token.csrf, expected) {
            return Err(AppError::BadRequest { message: "页面已过期,请刷新后重新提交".into(), field: None });
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::BadRequest { message: format!("表单数据有误:{e}"), field: None })?;
        Ok(CsrfForm { caller, form })
    }
}

/// A form posted as `(name, value)` pairs; check boxes repeat their name.
pub type Fields = Vec<(String, String)>;

/// A field's value, trimmed; empty when absent.
pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
}

/// A form as posted back to its page: what was typed, and what was wrong with it.
#[derive(Default)]
pub struct Filled {
    pub fields: Fields,
    pub errors: Vec<super::error::FieldError>,
}

impl Filled {
    pub fn new(fields: Fields, errors: Vec<super::error::FieldError>) -> Filled {
        Filled { fields, errors }
    }
    /// The message to show beside `name`.
    pub fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.errors, name)
    }
    /// What was typed in `name`.
    pub fn value(&self, name: &str) -> &str {
        field(&self.fields, name)
    }
    /// 422 when the page shows errors.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY }
    }
}

/// The message for `field` among a form's errors, shown beside that field.
pub fn field_message<'a>(errors: &'a [super::error::FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}
