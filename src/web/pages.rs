//! Page plumbing shared by every feature's pages: the chrome around each page, rendering, HTML error
//! pages, the language switch and the home page.

use super::AppState;
use super::i18n::{LANG_COOKIE, Lang};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, ErrorInfo};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{code}", get(switch_language))
        .merge(super::FEATURES.iter().fold(Router::new(), |all, feature| all.merge((feature.pages)())))
        .layer(axum::middleware::from_fn(super::csrf::same_origin))
        .layer(axum::middleware::from_fn(super::text::guard_uri))
        .layer(axum::middleware::from_fn(html_errors))
}

/// What surrounds every page: language, the signed-in user, navigation, the CSRF token for forms.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: Option<UserBadge>,
    pub csrf: String,
    pub nav: Vec<(&'static str, &'static str)>,
    /// Unit names by code, for [`Chrome::unit`]; empty on pages without a caller.
    pub units: crate::org::names::Names,
}

pub struct UserBadge {
    pub display_name: String,
    pub role: String,
    pub unit: String,
}

impl Chrome {
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    /// A unit's name as pages show it (its code when the unit is unknown).
    pub fn unit<'a>(&'a self, code: &'a str) -> &'a str {
        self.units.get(code).map_or(code, String::as_str)
    }

    /// The chrome of a page seen by a signed-in caller.
    pub async fn for_caller(state: &AppState, caller: &Caller, lang: Lang, title: &str) -> AppResult<Chrome> {
        let unit = crate::org::store::path(&state.db, &caller.org_code).await?.into_iter().map(|u| u.name).collect::<Vec<_>>().join(" · ");
        let mut nav = vec![("/", lang.pick("首页", "Home"))];
        if caller.may(Permission::ReadPersons) {
            nav.push(("/today", lang.pick("今日", "Today")));
            nav.push(("/ledger", lang.pick("台账", "Ledger")));
            nav.push(("/persons", lang.pick("人员", "Persons")));
        }
        if caller.may(Permission::ManageCases) {
            nav.push(("/cases", lang.pick("病例", "Cases")));
            nav.push(("/contacts", lang.pick("密接", "Contacts")));
            nav.push(("/hospitals", lang.pick("床位", "Beds")));
        }
        if caller.may(Permission::ReadReports) {
            nav.push(("/dashboard", lang.pick("大屏", "Dashboard")));
            nav.push(("/reports/daily", lang.pick("日报", "Daily report")));
        }
        if caller.may(Permission::ReceiveDirectives) {
            nav.push(("/directives", lang.pick("指令", "Directives")));
            nav.push(("/supervisions", lang.pick("督导", "Supervision")));
        }
        if caller.may(Permission::ReadSanitation) {
            nav.push(("/sanitation", lang.pick("环卫", "Sanitation")));
        }
        if caller.may(Permission::ReadPoints) {
            nav.push(("/checkpoints", lang.pick("卡点", "Checkpoints")));
        }
        nav.push(("/orgs", lang.pick("辖区", "Area")));
        if caller.may(Permission::ManageUsers) {
            nav.push(("/users", lang.pick("用户", "Users")));
        }
        if caller.may(Permission::ReadAudit) {
            nav.push(("/audit", lang.pick("审计", "Audit")));
        }
        Ok(Chrome {
            lang,
            title: title.to_string(),
            user: Some(UserBadge { display_name: caller.display_name.clone(), role: lang.pick(caller.role.zh(), caller.role.en()).to_string(), unit }),
            csrf: caller.csrf.clone().unwrap_or_default(),
            nav,
            units: state.unit_names.get(&state.db).await?,
        })
    }

    pub fn anonymous(lang: Lang, title: &str) -> Chrome {
        Chrome { lang, title: title.to_string(), user: None, csrf: String::new(), nav: Vec::new(), units: Default::default() }
    }
}

/// How much of a list a page shows: "显示前 50 条,共 98 条", so a list cut short says so.
pub struct ListCount {
    pub shown: usize,
    /// Everything the list holds, when it is known without counting rows (from the roll-up counts).
    pub total: Option<i64>,
    /// A later page (reached by 下一页).
    pub later_page: bool,
    /// More follow on the next page.
    pub more: bool,
}

impl ListCount {
    pub fn said(&self, lang: &Lang) -> String {
        let (shown, zh) = (self.shown, *lang == Lang::Zh);
        match (self.total, self.later_page, self.more) {
            (Some(total), false, true) => {
                if zh {
                    format!("显示前 {shown} 条,共 {total} 条")
                } else {
                    format!("Showing the first {shown} of {total}")
                }
            }
            (Some(total), true, _) => {
                if zh {
                    format!("本页 {shown} 条,共 {total} 条")
                } else {
                    format!("{shown} on this page, {total} in all")
                }
            }
            (Some(total), false, false) => {
                if zh {
                    format!("共 {total} 条")
                } else {
                    format!("{total} in all")
                }
            }
            (None, _, true) => {
                if zh {
                    format!("显示 {shown} 条,下一页还有")
                } else {
                    format!("Showing {shown}; more on the next page")
                }
            }
            (None, _, false) => {
                if zh {
                    format!("共 {shown} 条")
                } else {
                    format!("{shown} in all")
                }
            }
        }
    }
}

/// Renders a template as an HTML response with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::Internal(e.into()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

impl ErrorPage {
    /// Whether what was sent can be corrected and sent again (bad input), rather than not reached.
    fn correctable(&self) -> bool {
        matches!(self.status, 400 | 409 | 413 | 422)
    }
}

/// Turns error responses of page routes into HTML: a sign-in redirect for 401, an error page
/// otherwise — for an extractor's rejection too (a path like `/persons/abc`).
async fn html_errors(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let path = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let response = next.run(request).await;
    let info = match response.extensions().get::<ErrorInfo>().cloned() {
        Some(info) => info,
        // A page's own answer with an error status (a form with its errors, the sign-in page after a
        // wrong password) is HTML already; a rejection is plain text, or empty.
        None if (response.status().is_client_error() || response.status().is_server_error()) && !is_html(&response) => {
            let status = response.status();
            ErrorInfo { status, message: super::json::described(status, response.into_body()).await.1, message_en: None }
        }
        None => return response,
    };
    if info.status == StatusCode::UNAUTHORIZED {
        let target = format!("/login?next={}", urlencode(&path));
        return Redirect::to(&target).into_response();
    }
    let title = lang.pick("出错了", "Error");
    let message = info.message_en.filter(|_| lang == Lang::En).unwrap_or(info.message);
    render(info.status, &ErrorPage { chrome: Chrome::anonymous(lang, title), status: info.status.as_u16(), message })
}

/// An address no route serves: the API's JSON error under `/api`, the error page elsewhere.
pub async fn not_found(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return AppError::NotFound.into_response();
    }
    let lang = Lang::from_headers(request.headers());
    let message = lang.pick("页面不存在,请检查地址或返回首页", "There is no such page; check the address or go back home").to_string();
    render(StatusCode::NOT_FOUND, &ErrorPage { chrome: Chrome::anonymous(lang, lang.pick("出错了", "Error")), status: 404, message })
}

fn is_html(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Only a path on this site is followed after a redirect; anything else goes to `/`. Browsers strip
/// tabs and line breaks from a URL and read a backslash as a slash, so `/\t/evil.example` or
/// `/\\evil.example` would leave the site: a safe path is printable ASCII without a backslash, starts
/// with one `/` and not two. (It is then always a valid `Location` header too.)
pub fn safe_local_path(path: Option<&str>) -> &str {
    match path {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') => p,
        _ => "/",
    }
}

async fn switch_language(Path(code): Path<String>, Query(back): Query<Back>, headers: HeaderMap) -> Response {
    let value = if code == "en" { "en" } else { "zh" };
    let secure = if is_https(&headers) { "; Secure" } else { "" };
    let cookie = format!("{LANG_COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax{secure}");
    ([(header::SET_COOKIE, cookie)], Redirect::to(safe_local_path(back.back.as_deref()))).into_response()
}

/// Whether the request reached us over TLS (terminated by a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    unit_code: String,
    can_read_persons: bool,
    can_register_persons: bool,
    can_manage_users: bool,
    can_read_audit: bool,
    children: Vec<crate::org::pages::UnitRow>,
    households: Vec<crate::org::Household>,
}

async fn home(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    let chrome = Chrome::for_caller(&state, &caller, lang, lang.pick("首页", "Home")).await?;
    let children = crate::org::pages::unit_rows(&state, &caller, &caller.org_code).await?;
    let shows_households = caller.org_code.level() >= fangkong_rules::OrgLevel::Village && caller.may(Permission::ReadPersons);
    let households = if shows_households { crate::org::api::households_seen(&state, &caller, &caller.org_code, 0, 20).await? } else { Vec::new() };
    let page = HomePage {
        chrome,
        unit_code: caller.org_code.to_string(),
        can_read_persons: caller.may(Permission::ReadPersons),
        can_register_persons: caller.may(Permission::RegisterPersons),
        can_manage_users: caller.may(Permission::ManageUsers),
        can_read_audit: caller.may(Permission::ReadAudit),
        children,
        households,
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for kept in ["/", "/persons/12", "/persons?q=%E5%BC%A0&before=9", "/%5Cx"] {
            assert_eq!(safe_local_path(Some(kept)), kept);
        }
        for refused in ["//x", "/\\x", "/\t/x", "\\/x", "/\\evil.example", "https:x", "http://evil.example", "/\n/x", "/\r/x", " /x", "/a b", "x", ""] {
            assert_eq!(safe_local_path(Some(refused)), "/", "{refused:?}");
        }
        assert_eq!(safe_local_path(None), "/");
    }
}
