//! Form posts from the web UI. Every form carries the session's CSRF token in `_csrf`; a post
//! without the right token is refused before the handler runs, and so is one whose text breaks the
//! rule of [`super::text`].

use super::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;

/// A form body of type `T` posted by `caller`, with its CSRF token checked.
pub struct CsrfForm<T> {
    pub caller: Caller,
    pub form: T,
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
        let pairs: Fields = typed(&bytes)?;
        check_csrf(&caller, field(&pairs, "_csrf"))?;
        super::text::check_pairs(&pairs)?;
        Ok(CsrfForm { caller, form: typed(&bytes)? })
    }
}

/// The session's CSRF token must come back with every form.
fn check_csrf(caller: &Caller, token: &str) -> Result<(), AppError> {
    let expected = caller.csrf.as_deref().ok_or(AppError::Forbidden)?;
    if tokens_match(token, expected) { Ok(()) } else { Err(AppError::BadRequest { message: "页面已过期,请刷新后重新提交".into(), field: None }) }
}

fn typed<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| AppError::BadRequest { message: format!("表单数据有误:{e}"), field: None })
}

/// A form posted without a session (sign-in, the resident's self-report page), its text checked
/// like every other form's.
pub struct PublicForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PublicForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| AppError::TooLarge)?;
        super::text::check_pairs(&typed::<Fields>(&bytes)?)?;
        Ok(PublicForm(typed(&bytes)?))
    }
}

/// A file from a multipart form.
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// Its name as sent, at most 200 characters.
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Reads a multipart form posted by `caller`: its text fields (checked like any form's, as are the
/// file names) and its files, the CSRF token checked. A file field left empty is dropped.
pub async fn read_multipart(caller: &Caller, multipart: axum::extract::Multipart) -> Result<(Fields, Vec<Upload>), AppError> {
    let (fields, files) = read_multipart_unchecked(caller, multipart).await?;
    super::text::check_pairs(&fields)?;
    Ok((fields, files))
}

/// Reads a multipart form as [`read_multipart`] does, but hands back the text the text rule refuses
/// as field errors, the values refused emptied, so that the page can show the form again with the
/// error beside its field (a field's name itself refused still fails the request).
pub async fn read_multipart_for_form(caller: &Caller, multipart: axum::extract::Multipart) -> Result<(Fields, Vec<Upload>, Vec<crate::error::FieldError>), AppError> {
    let (mut fields, files) = read_multipart_unchecked(caller, multipart).await?;
    let mut errors = Vec::new();
    for (name, value) in &mut fields {
        super::text::check(name, name).map_err(|e| AppError::Invalid(vec![e]))?;
        if let Err(e) = super::text::check(name, value) {
            errors.push(e);
            value.clear();
        }
    }
    Ok((fields, files, errors))
}

async fn read_multipart_unchecked(caller: &Caller, mut multipart: axum::extract::Multipart) -> Result<(Fields, Vec<Upload>), AppError> {
    let (mut fields, mut files) = (Fields::new(), Vec::new());
    while let Some(part) = multipart.next_field().await.map_err(multipart_error)? {
        let name = part.name().unwrap_or("").to_string();
        let filename = part.file_name().map(|f| f.chars().take(200).collect::<String>());
        // A file name that is not UTF-8 is not read as "no file name" (which would drop the file).
        let disposition = part.headers().get(axum::http::header::CONTENT_DISPOSITION).map(|v| v.as_bytes().windows(9).any(|w| w.eq_ignore_ascii_case(b"filename=")));
        if filename.is_none() && disposition == Some(true) {
            return Err(AppError::invalid(&name, "filename_invalid", "文件名无法识别(编码有误),请改名后重新上传"));
        }
        let content_type = part.content_type().unwrap_or("application/octet-stream").to_string();
        let data = part.bytes().await.map_err(multipart_error)?;
        match filename {
            Some(filename) => {
                super::text::check(&name, &filename).map_err(|e| AppError::Invalid(vec![e]))?;
                if !filename.is_empty() {
                    files.push(Upload { field: name, filename, content_type, data: data.to_vec() });
                }
            }
            None => fields.push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
    check_csrf(caller, field(&fields, "_csrf"))?;
    Ok((fields, files))
}

/// A multipart body that could not be read: too large (413), or malformed (400, with why).
fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    match e.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        _ => AppError::BadRequest { message: format!("上传的表单格式有误:{}", e.body_text()), field: None },
    }
}

/// A form posted as `(name, value)` pairs; check boxes repeat their name.
pub type Fields = Vec<(String, String)>;

/// A field's value, trimmed; empty when absent.
pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
}

/// A field's value, trimmed, or `None` when absent or blank.
pub fn optional(fields: &Fields, name: &str) -> Option<String> {
    Some(field(fields, name)).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A form as posted back to its page: what was typed, and what was wrong with it.
#[derive(Default)]
pub struct Filled {
    pub fields: Fields,
    pub errors: Vec<crate::error::FieldError>,
}

impl Filled {
    pub fn new(fields: Fields, errors: Vec<crate::error::FieldError>) -> Filled {
        Filled { fields, errors }
    }
    /// The message to show beside `name`, in the page's language.
    pub fn error(&self, name: &str, lang: impl std::borrow::Borrow<crate::web::i18n::Lang>) -> Option<&str> {
        field_message(&self.errors, name, *lang.borrow())
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

/// The message for `field` among a form's errors, shown beside that field in `lang`.
pub fn field_message<'a>(errors: &'a [crate::error::FieldError], field: &str, lang: crate::web::i18n::Lang) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| crate::web::i18n::field_message(e, lang))
}

/// Errors of a form, shown beside their fields.
pub struct FormErrors(pub Vec<crate::error::FieldError>);

impl FormErrors {
    pub fn get(&self, field: &str, lang: impl std::borrow::Borrow<crate::web::i18n::Lang>) -> Option<&str> {
        field_message(&self.0, field, *lang.borrow())
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}
