//! What handlers read from a request's parameters the same way everywhere: page sizes, unit codes.

use crate::error::{AppError, AppResult};
use fangkong_rules::OrgCode;

/// Page sizes are clamped to this range.
pub const MAX_PAGE: i64 = 100;

/// A list's page size: 20 when not given, clamped to 1–[`MAX_PAGE`].
pub fn clamp_page(limit: Option<i64>) -> i64 {
    limit.unwrap_or(20).clamp(1, MAX_PAGE)
}

/// A unit code given in the parameter `field`; a malformed one is a 400 naming the field.
pub fn parse_code(field: &str, code: &str) -> AppResult<OrgCode> {
    OrgCode::parse(code).map_err(|m| AppError::BadRequest { message: m.to_string(), field: Some(field.to_string()) })
}
