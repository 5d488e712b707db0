//! The audit trail page for admins and command centres.

use super::AuditRow;
use super::api::AuditParams;
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult};
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render, urlencode};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

/// Every action the trail records, with its words in Chinese and English: the page shows the
/// words, never the code, and filters by any of them.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("person.view_full", "查看完整信息", "Viewed full details"),
    ("person.call", "从预警拨打电话", "Called from an alert"),
    ("person.search", "查找人员", "Searched persons"),
    ("person.create", "登记人员", "Registered a person"),
    ("person.update", "修改人员", "Edited a person"),
    ("person.merge", "合并重复登记", "Merged a duplicate"),
    ("person.unmerge", "撤销合并", "Undid a merge"),
    ("person.registered_elsewhere", "查询他处登记", "Looked up a registration elsewhere"),
    ("auth.login", "登录", "Signed in"),
    ("auth.logout", "退出登录", "Signed out"),
    ("user.create", "新建账号", "Created an account"),
    ("user.disable", "停用账号", "Disabled an account"),
    ("user.enable", "启用账号", "Enabled an account"),
    ("user.password_reset", "重置密码", "Reset a password"),
    ("org.create", "新建单位", "Created a unit"),
    ("household.create", "新建住户", "Created a household"),
    ("visit.create", "入户走访", "Recorded a visit"),
    ("ledger.create", "列入台账", "Put on the ledger"),
    ("ledger.import", "导入台账", "Imported a ledger"),
    ("ledger.export", "导出台账", "Exported the ledger"),
    ("observation.start", "开始医学观察", "Started observation"),
    ("observation.restart", "重新起算观察", "Restarted observation"),
    ("observation.end", "结束医学观察", "Ended observation"),
    ("observation.resume", "恢复医学观察", "Resumed observation"),
    ("checkin.create", "登记体温", "Recorded a temperature"),
    ("alert.handle", "处置预警", "Handled an alert"),
    ("need.create", "提出生活需求", "Asked for help"),
    ("need.assign", "指派生活需求", "Assigned a request"),
    ("need.done", "办结生活需求", "Completed a request"),
    ("site.create", "新建隔离点", "Created a site"),
    ("county.post_discharge_site", "设置出院观察地点", "Set the post-discharge site"),
    ("case.suspected", "登记疑似病例", "Opened a suspected case"),
    ("case.asymptomatic", "登记无症状感染者", "Registered an asymptomatic infection"),
    ("case.confirmed", "确诊", "Confirmed a case"),
    ("case.excluded", "排除疑似", "Excluded a suspected case"),
    ("case.corrected", "订正为确诊", "Corrected to confirmed"),
    ("case.reported", "网络直报", "Reported online"),
    ("case.investigated", "完成流调", "Investigated"),
    ("case.sample", "登记标本", "Recorded a sample"),
    ("case.result", "登记检测结果", "Recorded a result"),
    ("case.severity", "临床分型", "Classified"),
    ("case.discharged", "出院", "Discharged"),
    ("case.deceased", "登记死亡", "Recorded a death"),
    ("contact.register", "登记密切接触者", "Registered a close contact"),
    ("contact.release", "解除密接观察", "Released contacts"),
    ("follow_up.done", "完成随访", "Followed up"),
    ("hospital.create", "新建定点医院", "Created a hospital"),
    ("hospital.beds", "调整床位", "Changed beds"),
    ("transfer.request", "申请转运", "Requested a transfer"),
    ("transfer.accept", "接收转运", "Accepted a transfer"),
    ("transfer.admit", "入院", "Admitted"),
    ("transfer.cancel", "取消转运", "Cancelled a transfer"),
    ("directive.issue", "下发指令", "Issued a directive"),
    ("directive.remind", "催办", "Reminded units to acknowledge"),
    ("directive.acknowledge", "签收指令", "Acknowledged a directive"),
    ("directive.forward", "转发指令", "Passed a directive down"),
    ("directive.complete", "反馈办结", "Reported a directive done"),
    ("supervision.record", "记录督导", "Recorded a supervision"),
    ("supervision.fix_done", "报告已整改", "Reported a fix done"),
    ("supervision.fix_confirmed", "确认整改到位", "Confirmed a fix"),
    ("supervision.fix_reopened", "退回重新整改", "Sent a fix back"),
    ("sanitation.worker_add", "登记环卫作业人员", "Registered a sanitation worker"),
    ("sanitation.worker_end", "环卫作业人员离岗", "Ended a sanitation worker"),
    ("sanitation.inspect", "防护检查", "Inspected protective equipment"),
    ("sanitation.training", "记录防护培训", "Recorded a training session"),
    ("sanitation.photo_view", "查看检查照片", "Viewed an inspection photo"),
    ("sanitation.appeal", "申诉扣分", "Appealed a deduction"),
    ("sanitation.appeal_decide", "裁定申诉", "Decided an appeal"),
    ("sanitation.close_month", "月度考核结账", "Closed a month's scores"),
];

/// An action's words in `lang`, or its code when it is not listed.
fn action_label(code: &str, lang: Lang) -> &str {
    ACTIONS.iter().find(|(c, _, _)| *c == code).map_or(code, |(_, zh, en)| lang.pick(zh, en))
}

pub struct AuditLine {
    pub row: AuditRow,
    pub time: String,
    /// The action in words.
    pub action: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    /// The filter as typed, kept in the form and in the link to older rows.
    asked: Asked,
    /// `(code, words)` for the filter.
    actions: Vec<(&'static str, &'static str)>,
    /// `(username, name)` of the accounts in the caller's area, offered as the account is typed.
    users: Vec<(String, String)>,
    /// Why the filter could not be applied, by field.
    errors: Vec<crate::error::FieldError>,
    next_before: Option<i64>,
}

#[derive(Default)]
struct Asked {
    action: String,
    user: String,
    from: String,
    to: String,
}

impl AuditPage {
    /// The query string of the filter, for the link to older rows.
    fn query(&self) -> String {
        let a = &self.asked;
        let pairs = [("action", &a.action), ("user", &a.user), ("from", &a.from), ("to", &a.to)];
        pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&")
    }

    fn error(&self, field: &str) -> Option<&str> {
        crate::web::forms::field_message(&self.errors, field, self.chrome.lang)
    }
}

const PAGE: i64 = 50;

async fn audit_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<AuditParams>) -> AppResult<Response> {
    caller.require(Permission::ReadAudit)?;
    let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
    // A day as the date field shows it (2026-01-03, not 2026-1-3), or as typed when it is none.
    let day = |v: &Option<String>| {
        let typed = text(v);
        clock::parse_date(&typed).map_or(typed, |d| d.to_string())
    };
    let asked = Asked { action: text(&p.action), user: text(&p.user), from: day(&p.from), to: day(&p.to) };
    let (mut rows, errors, status) = match p.filter() {
        Ok(filter) => (super::store::list(&state.lists, &caller.scope, &filter, PAGE + 1).await?, Vec::new(), StatusCode::OK),
        Err(AppError::Invalid(errors)) => (Vec::new(), errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e),
    };
    let next_before = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let users = crate::auth::store::list(&state.lists, &caller.scope).await?.into_iter().map(|u| (u.username, u.display_name)).collect();
    let page = AuditPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("审计日志", "Audit trail")).await?,
        rows: rows.into_iter().map(|row| AuditLine { time: clock::format_micros(row.at), action: action_label(&row.action, lang).to_string(), row }).collect(),
        asked,
        actions: ACTIONS.iter().map(|(code, zh, en)| (*code, lang.pick(zh, en))).collect(),
        users,
        errors,
        next_before,
    };
    Ok(render(status, &page))
}
