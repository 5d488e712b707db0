//! Cross-site request forgery, in depth. The first defence is the session's CSRF token, which every
//! form posts ([`super::forms`]). Two more layers stand before any handler:
//!
//! - [`same_origin`]: a state-changing request that carries one of our cookies must come from our
//!   own pages: `Sec-Fetch-Site` says `same-origin` (or `none`, typed by the user), or else
//!   `Origin` names this host. A request with neither header (curl, an old client) goes on to the
//!   token check. Bearer-token calls carry no cookie and are not affected.
//! - [`token_header`]: a JSON call under `/api` authenticated only by the session cookie must send
//!   the session's CSRF token in `X-CSRF-Token`, as a form sends it in `_csrf`.

use super::AppState;
use super::forms::tokens_match;
use crate::auth::Caller;
use crate::auth::caller::{SESSION_COOKIE, cookie};
use crate::error::AppError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

/// The header a page's script sends the session's CSRF token in.
pub const TOKEN_HEADER: &str = "x-csrf-token";

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Signed in by cookie (or signing in through the form), not by a bearer token.
fn cookie_borne(headers: &HeaderMap) -> bool {
    headers.get(axum::http::header::AUTHORIZATION).is_none() && (cookie(headers, SESSION_COOKIE).is_some() || cookie(headers, crate::auth::pages::LOGIN_CSRF_COOKIE).is_some())
}

/// Whether the browser says the request comes from another site.
fn from_elsewhere(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header("origin") else { return false };
    let host = header("x-forwarded-host").or_else(|| header("host")).unwrap_or("");
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    host.is_empty() || !authority.eq_ignore_ascii_case(host)
}

/// Refuses a cookie-borne state-changing request sent from another site.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if changes_state(request.method()) && cookie_borne(request.headers()) && from_elsewhere(request.headers()) {
        return super::refuse_unread(AppError::BadRequest { message: "请求不是从本站页面发出的,已拒绝。请在本站页面上重新操作".into(), field: None });
    }
    next.run(request).await
}

/// Refuses a cookie-authenticated state-changing API call without the session's token in
/// [`TOKEN_HEADER`]. A request whose session is not valid goes on, to be answered 401.
pub async fn token_header(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) || !cookie_borne(request.headers()) || cookie(request.headers(), SESSION_COOKIE).is_none() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    if let Ok(caller) = Caller::from_request_parts(&mut parts, &state).await {
        let sent = parts.headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !tokens_match(sent, caller.csrf.as_deref().unwrap_or("")) {
            return super::refuse_unread(AppError::BadRequest { message: format!("用会话 Cookie 调用接口须在 {TOKEN_HEADER} 头中附上页面的 CSRF 令牌"), field: None });
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_browser_says_where_a_request_comes_from() {
        assert!(from_elsewhere(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")])));
        assert!(!from_elsewhere(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(from_elsewhere(&headers(&[("origin", "http://evil.example"), ("host", "127.0.0.1:8080")])));
        assert!(from_elsewhere(&headers(&[("origin", "null"), ("host", "127.0.0.1:8080")])));
        assert!(!from_elsewhere(&headers(&[("origin", "https://fangkong.example"), ("host", "FangKong.example")])));
        assert!(!from_elsewhere(&headers(&[("origin", "https://fk.example"), ("x-forwarded-host", "fk.example"), ("host", "10.1.1.1:8080")])));
        assert!(!from_elsewhere(&headers(&[("host", "127.0.0.1:8080")])), "no header: the token decides");
    }
}
