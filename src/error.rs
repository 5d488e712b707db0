//! The one error story. Storage functions and handlers return `AppError` on failure (storage reaches
//! it without the web layer); its response is JSON `{"error":{"code","message","fields"?}}` with the
//! right status. Page routes turn the same errors into HTML (`web::pages::html_errors`). Internal
//! causes are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A problem with one input field, shown beside the field in the UI.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError { field: field.to_string(), code: code.to_string(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Existed once and no longer works (an ended episode's self-report link); the message says why.
    #[error("gone: {0}")]
    Gone(String),
    #[error("forbidden")]
    Forbidden,
    #[error("unauthorized")]
    Unauthorized,
    #[error("bad request: {message}")]
    BadRequest { message: String, field: Option<String> },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("conflict: {message}")]
    Conflict { message: String, existing_id: Option<i64> },
    #[error("payload too large")]
    TooLarge,
    #[error("rate limited")]
    RateLimited,
    /// A read ran past the interactive statement timeout: the request is answered at once instead
    /// of holding the page (`db::STATEMENT_TIMEOUT`).
    #[error("timed out")]
    TimedOut,
    /// No connection came free in time, or the database stayed locked by another writer: nothing
    /// was written, and the same request can be sent again.
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        match crate::db::overload(&e) {
            Some(crate::db::Overload::TimedOut) => return AppError::TimedOut,
            Some(crate::db::Overload::Busy) => return AppError::Busy,
            None => {}
        }
        AppError::Internal(e.into())
    }
}

impl AppError {
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::TimedOut | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Gone(_) => "gone",
            AppError::Forbidden => "forbidden",
            AppError::Unauthorized => "unauthorized",
            AppError::BadRequest { .. } => "bad_request",
            AppError::Invalid(_) => "invalid",
            AppError::Conflict { .. } => "conflict",
            AppError::TooLarge => "too_large",
            AppError::RateLimited => "rate_limited",
            AppError::TimedOut => "timed_out",
            AppError::Busy => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message shown to users (Chinese first; the platform's working language).
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound => "未找到该记录(不存在或不在您的管辖范围内)".into(),
            AppError::Gone(message) => message.clone(),
            AppError::Forbidden => "您的角色无权执行此操作。如需办理,请联系有此权限的同事或本单位管理员".into(),
            AppError::Unauthorized => "请先登录".into(),
            AppError::BadRequest { message, .. } => message.clone(),
            AppError::Invalid(_) => "输入有误,请按提示修改".into(),
            AppError::Conflict { message, .. } => message.clone(),
            AppError::TooLarge => "提交的内容过大".into(),
            AppError::RateLimited => "尝试次数过多,请稍后再试".into(),
            AppError::TimedOut => "查询超时,请缩小范围".into(),
            AppError::Busy => "系统繁忙,请稍后重试".into(),
            AppError::Internal(_) => "服务器内部错误,请稍后再试".into(),
        }
    }

    /// The message in English for pages read in English; `None` where the message is the record's
    /// own (a conflict, a request's particular fault), which stays as written.
    pub fn message_en(&self) -> Option<&'static str> {
        Some(match self {
            AppError::NotFound => "Not found (it does not exist or is outside your jurisdiction)",
            AppError::Forbidden => "Your role may not do this. Ask a colleague whose role may, or your unit's administrator",
            AppError::Unauthorized => "Please sign in first",
            AppError::Invalid(_) => "Some input is wrong; please correct it as shown",
            AppError::TooLarge => "What was sent is too large",
            AppError::RateLimited => "Too many attempts; please try again later",
            AppError::TimedOut => "The query took too long; please narrow it",
            AppError::Busy => "The system is busy; please try again shortly",
            AppError::Internal(_) => "Internal server error; please try again later",
            AppError::Gone(_) | AppError::BadRequest { .. } | AppError::Conflict { .. } => return None,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
    /// For a conflict with a record the caller may see: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<i64>,
}

/// Carried on error responses so that page routes can render them as HTML.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
    /// The same in English, when there is a fixed English wording.
    pub message_en: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
        }
        let fields = match &self {
            AppError::Invalid(f) => Some(f.clone()),
            AppError::BadRequest { field: Some(f), message } => Some(vec![FieldError::new(f, "bad_request", message.clone())]),
            _ => None,
        };
        let existing_id = match &self {
            AppError::Conflict { existing_id, .. } => *existing_id,
            _ => None,
        };
        let status = self.status();
        let message = self.message();
        // A page shows what was wrong with each field, where the API lists them in `fields`.
        let (page_message, message_en) = match &fields {
            Some(f) if matches!(self, AppError::Invalid(_)) => {
                let each: Vec<String> = f.iter().map(|e| format!("{}:{}", e.field, e.message)).collect();
                let each_en: Vec<String> = f.iter().map(|e| format!("{}: {}", e.field, crate::web::i18n::field_message(e, crate::web::i18n::Lang::En))).collect();
                (format!("{message}({})", each.join(";")), self.message_en().map(|en| format!("{en} ({})", each_en.join("; "))))
            }
            _ => (message.clone(), self.message_en().map(str::to_string)),
        };
        let body = ErrorBody { error: ErrorDetail { code: self.code().into(), message, fields, existing_id } };
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorInfo { status, message: page_message, message_en });
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert("www-authenticate", "Bearer".parse().expect("static header"));
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
