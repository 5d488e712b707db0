//! The audit trail page for admins and command centres.

use super::AuditRow;
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

/// The actions users filter by, with their labels.
const ACTIONS: [(&str, &str); 9] = [
    ("person.view_full", "查看完整信息"),
    ("person.search", "查找人员"),
    ("person.create", "登记人员"),
    ("person.update", "修改人员"),
    ("user.create", "新建账号"),
    ("auth.login", "登录"),
    ("org.create", "新建单位"),
    ("household.create", "新建住户"),
    ("user.disable", "停用账号"),
];

pub struct AuditLine {
    pub row: AuditRow,
    pub time: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    action: String,
    actions: [(&'static str, &'static str); 9],
    next_before: Option<i64>,
}

#[derive(Deserialize)]
struct Params {
    action: Option<String>,
    before: Option<i64>,
}

const PAGE: i64 = 50;

async fn audit_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<Params>) -> AppResult<Response> {
    caller.require(Permission::ReadAudit)?;
    let action = p.action.filter(|a| !a.is_empty());
    let mut rows = super::store::list(&state.lists, &caller.scope, action.as_deref(), p.before, PAGE + 1).await?;
    let next_before = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let page = AuditPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("审计日志", "Audit trail")).await?,
        rows: rows.into_iter().map(|row| AuditLine { time: clock::format_micros(row.at), row }).collect(),
        action: action.unwrap_or_default(),
        actions: ACTIONS,
        next_before,
    };
    Ok(render(StatusCode::OK, &page))
}
