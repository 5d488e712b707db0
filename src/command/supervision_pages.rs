//! `/supervisions`: visits in the jurisdiction with their open and overdue fixes, the form to
//! record one (a leader's), and each visit's page where the unit reports its fixes done.

use super::supervision::{self, CheckItem, NewFix, NewSupervision, Supervision, SupervisionView};
use super::supervision_fixes;
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult};
use crate::org::names::Names;
use crate::org::picker::{self, Level, UnitPicker};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, Filled, field};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use crate::web::when;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Fix lines on the form.
const FIX_LINES: [usize; 3] = [1, 2, 3];

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/supervisions", get(index).post(record))
        .route("/supervisions/{id}", get(detail))
        .route("/supervision-fixes/{id}/done", post(fix_done))
        .route("/supervision-fixes/{id}/review", post(fix_review))
}

#[derive(Template)]
#[template(path = "command/supervisions.html")]
struct IndexPage {
    chrome: Chrome,
    visits: Vec<Supervision>,
    can_record: bool,
    items: &'static [CheckItem],
    lines: [usize; 3],
    filled: Filled,
    units: UnitPicker,
}

/// A supervisor visits a county, a township, or a village or community.
const VISITED_LEVELS: [Level; 3] = [Level::County, Level::Township, Level::Village];

impl IndexPage {
    fn line(&self, name: &str, n: &usize) -> &str {
        self.filled.value(&format!("{name}_{n}"))
    }
    fn ticked(&self, item: &CheckItem) -> bool {
        self.filled.fields.iter().any(|(k, v)| k == "checked" && v == item.as_str())
    }
}

async fn show_index(state: &AppState, caller: &Caller, lang: Lang, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let names = state.unit_names.get(&state.db).await?;
    let page = IndexPage {
        units: UnitPicker::new("org_code", &names, &caller.scope, &VISITED_LEVELS, filled.value("org_code")),
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("督导", "Supervision")).await?,
        visits: supervision::list(&state.lists, &caller.scope, clock::today(), 100).await?,
        can_record: caller.may(Permission::IssueDirectives),
        items: CheckItem::ALL,
        lines: FIX_LINES,
        filled,
    };
    Ok(render(page.filled.status(), &page))
}

async fn index(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    let today = clock::today().to_string();
    show_index(&state, &caller, lang, Filled::new(vec![("visited_on".into(), today)], Vec::new())).await
}

/// The visit as typed, its unit chosen by name among `names` within `scope`.
fn typed(form: &Fields, names: &Names, scope: &fangkong_rules::Scope) -> AppResult<NewSupervision> {
    let org_code = picker::chosen(names, scope, "org_code", field(form, "org_code"))?;
    let mut fixes = Vec::new();
    for n in FIX_LINES {
        let description = field(form, &format!("fix_{n}"));
        if description.is_empty() && !field(form, &format!("due_{n}")).is_empty() {
            return Err(AppError::invalid("fixes", "fix_missing", format!("第 {n} 条填了整改期限,请写明整改要求(或清空该期限)")));
        }
        if !description.is_empty() {
            let due = field(form, &format!("due_{n}"));
            if due.trim().is_empty() {
                return Err(AppError::invalid("fixes", "fix_due_missing", format!("请为第 {n} 条整改要求“{description}”选择整改期限")));
            }
            fixes.push(NewFix { description: description.into(), due_date: when::date("fixes", due)? });
        }
    }
    Ok(NewSupervision {
        org_code,
        visited_on: when::happened_on("visited_on", field(form, "visited_on"))?,
        inspectors: field(form, "inspectors").into(),
        checked: form.iter().filter(|(k, _)| k == "checked").filter_map(|(_, v)| CheckItem::parse(v)).collect(),
        findings: field(form, "findings").into(),
        fixes,
    })
}

async fn record(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::IssueDirectives)?;
    let names = state.unit_names.get(&state.db).await?;
    let recorded = async { supervision::record(&state.db, &caller.actor(), &caller.scope, &typed(&form, &names, &caller.scope)?, clock::today()).await }.await;
    match recorded {
        Ok(id) => Ok(Redirect::to(&format!("/supervisions/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "command/supervision.html")]
struct DetailPage {
    chrome: Chrome,
    view: SupervisionView,
    filled: Filled,
    /// The viewer reports the fixes (the visited unit) or reviews them (a unit above).
    role: Option<supervision_fixes::Role>,
}

impl DetailPage {
    fn time(&self, micros: &i64) -> String {
        clock::format_micros(*micros)
    }
    fn reports(&self) -> bool {
        self.role == Some(supervision_fixes::Role::Visited)
    }
    fn reviews(&self) -> bool {
        self.role == Some(supervision_fixes::Role::Supervising)
    }
}

async fn show_detail(state: &AppState, caller: &Caller, lang: Lang, id: i64, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let view = supervision::view(&state.db, &caller.scope, id, clock::today()).await?.ok_or(AppError::NotFound)?;
    let title = format!("{} {}", view.supervision.org_name, lang.pick("督导", "supervision"));
    let role = supervision_fixes::Role::of(&caller.scope, &view.supervision.org_code);
    let page = DetailPage { chrome: Chrome::for_caller(state, caller, lang, &title).await?, view, filled, role };
    Ok(render(page.filled.status(), &page))
}

async fn detail(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    show_detail(&state, &caller, lang, id, Filled::default()).await
}

async fn fix_done(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let supervision_id: Option<i64> = field(&form, "supervision_id").parse().ok();
    let outcome = supervision_fixes::report_done(&state.db, &caller.actor(), &caller.scope, id, field(&form, "done_note")).await;
    after_fix(&state, &caller, lang, supervision_id, form, outcome).await
}

/// The supervising unit confirms a fix reported done (`decision=confirm`) or sends it back with a
/// reason (`decision=reopen`).
async fn fix_review(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReceiveDirectives)?;
    let supervision_id: Option<i64> = field(&form, "supervision_id").parse().ok();
    let confirm = field(&form, "decision") == "confirm";
    let outcome = supervision_fixes::review(&state.db, &caller.actor(), &caller.scope, id, confirm, field(&form, "done_note")).await;
    after_fix(&state, &caller, lang, supervision_id, form, outcome).await
}

/// After a step of a fix: back to the visit, or its page again saying what went wrong.
async fn after_fix(state: &AppState, caller: &Caller, lang: Lang, supervision_id: Option<i64>, form: Fields, outcome: AppResult<i64>) -> AppResult<Response> {
    match outcome {
        Ok(visit) => Ok(Redirect::to(&format!("/supervisions/{visit}")).into_response()),
        Err(AppError::Invalid(errors)) => show_detail(state, caller, lang, supervision_id.ok_or(AppError::NotFound)?, Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => {
            show_detail(state, caller, lang, supervision_id.ok_or(AppError::NotFound)?, Filled::new(form, vec![crate::error::FieldError::new("done_note", "conflict", message)])).await
        }
        Err(e) => Err(e),
    }
}
