//! Pages of the key-person ledger (台账): a person's screening page (their ledger entry with the
//! "六包一" responsibles, their observations, the forms to put them on the ledger and under
//! observation) and the ledger list with its filters.

use super::input::{KeyPersonInput, ResponsibleInput};
use super::ledger_list::LedgerLine;
use super::store::{self as ledger, KeyPerson, Responsible};
use super::{Category, ResponsibleRole, Transport};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::observation::episodes::{self, Episode};
use crate::observation::{Kind, sites};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, FormErrors, field, optional};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new().route("/persons/{id}/screening", get(screening_page)).route("/persons/{id}/key-person", post(add_key_person)).route("/ledger", get(ledger_page))
}

#[derive(Template)]
#[template(path = "screening/screening.html")]
struct ScreeningPage {
    chrome: Chrome,
    person: crate::people::PersonView,
    key_person: Option<KeyPerson>,
    responsibles: Vec<Responsible>,
    episodes: Vec<Episode>,
    today: time::Date,
    can_write: bool,
    categories: Vec<(&'static str, &'static str)>,
    transports: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    sites: Vec<sites::Site>,
    form: Fields,
    errors: FormErrors,
    default_grid_worker: String,
}

impl ScreeningPage {
    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }
    /// The observation's start as typed, else the arrival date on the ledger (the usual start).
    fn start_date(&self) -> String {
        match self.value("start_date") {
            "" => self.key_person.as_ref().and_then(|k| k.arrival_date).map(|d| d.to_string()).unwrap_or_default(),
            typed => typed.to_string(),
        }
    }
    fn category_label(&self) -> &'static str {
        self.key_person.as_ref().and_then(|k| Category::parse(&k.category)).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
    fn transport_label(&self) -> &'static str {
        self.key_person.as_ref().and_then(|k| k.transport.as_deref()).and_then(Transport::parse).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
    fn role_label(&self, role: &str) -> &'static str {
        ResponsibleRole::parse(role).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
    fn has_active(&self) -> bool {
        self.episodes.iter().any(Episode::is_active)
    }
}

pub(crate) async fn screening_view(state: &AppState, caller: &Caller, lang: Lang, id: i64, form: Fields, errors: Vec<FieldError>, status: StatusCode) -> AppResult<Response> {
    caller.require(Permission::ReadPersons)?;
    let row = crate::people::store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let key_person = ledger::by_person(&state.db, &caller.scope, id).await?;
    let responsibles = match &key_person {
        Some(k) => ledger::responsibles(&state.db, k.id).await?,
        None => Vec::new(),
    };
    let page = ScreeningPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("排查与观察", "Screening")).await?,
        person: row.masked(),
        key_person,
        responsibles,
        episodes: episodes::for_person(&state.db, &caller.scope, id).await?,
        today: clock::today(),
        can_write: caller.may(Permission::WriteLedger),
        categories: Category::options(lang),
        transports: Transport::options(lang),
        kinds: Kind::options(lang),
        roles: ResponsibleRole::options(lang).into_iter().filter(|(r, _)| *r != "grid_worker").collect(),
        sites: sites::list(&state.db, &caller.scope).await?,
        form,
        errors: FormErrors(errors),
        default_grid_worker: if caller.role == crate::auth::Role::GridWorker { caller.display_name.clone() } else { String::new() },
    };
    Ok(render(status, &page))
}

async fn screening_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    screening_view(&state, &caller, lang, id, Vec::new(), Vec::new(), StatusCode::OK).await
}

/// Runs a write; on field errors or a conflict, shows the screening page again with the form kept.
pub(crate) async fn or_screening_page(state: &AppState, caller: &Caller, lang: Lang, id: i64, form: Fields, result: AppResult<String>) -> AppResult<Response> {
    match result {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(AppError::Invalid(errors)) => screening_view(state, caller, lang, id, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(AppError::Conflict { message, .. }) => screening_view(state, caller, lang, id, form, vec![FieldError::new("form", "conflict", message)], StatusCode::CONFLICT).await,
        Err(e) => Err(e),
    }
}

async fn add_key_person(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::WriteLedger)?;
    let mut responsibles = vec![ResponsibleInput { role: "grid_worker".into(), name: field(&form, "resp_grid_worker_name").to_string(), phone: optional(&form, "resp_grid_worker_phone") }];
    for role in ResponsibleRole::ALL.iter().filter(|r| **r != ResponsibleRole::GridWorker) {
        let name = field(&form, &format!("resp_{}_name", role.as_str())).to_string();
        responsibles.push(ResponsibleInput { role: role.as_str().into(), name, phone: optional(&form, &format!("resp_{}_phone", role.as_str())) });
    }
    let input = KeyPersonInput {
        person_id: id,
        category: field(&form, "category").to_string(),
        origin_code: optional(&form, "origin_code"),
        origin_place: optional(&form, "origin_place"),
        departure_date: optional(&form, "departure_date"),
        arrival_date: optional(&form, "arrival_date"),
        transport: optional(&form, "transport"),
        transport_no: optional(&form, "transport_no"),
        companions: optional(&form, "companions"),
        case_contact: optional(&form, "case_contact"),
        symptoms: optional(&form, "symptoms"),
        measures: optional(&form, "measures"),
        note: optional(&form, "note"),
        responsibles,
    };
    let result = async {
        let valid = input.validate(clock::today()).map_err(AppError::Invalid)?;
        ledger::create(&state.db, &caller.actor(), &caller.scope, &valid).await?;
        Ok(format!("/persons/{id}/screening"))
    }
    .await;
    or_screening_page(&state, &caller, lang, id, form, result).await
}

#[derive(Template)]
#[template(path = "screening/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    items: Vec<LedgerLine>,
    next_before: Option<i64>,
    params: super::api::LedgerParams,
    categories: Vec<(&'static str, &'static str)>,
    today: time::Date,
    /// Importing is offered only to roles that may write the ledger.
    can_import: bool,
    count: crate::web::pages::ListCount,
}

impl LedgerPage {
    fn category_label(&self, code: &str) -> &'static str {
        Category::parse(code).map(|v| v.label(self.chrome.lang)).unwrap_or("")
    }
    fn selected(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
    fn day(&self, line: &LedgerLine) -> Option<i64> {
        line.start_date.map(|s| fangkong_rules::observation::observation_day(s, self.today))
    }
    fn temperature(&self, line: &LedgerLine) -> String {
        line.last_temperature.map(|t| fangkong_rules::observation::Temperature::from_tenths(t as i32).to_string()).unwrap_or_default()
    }
    fn query(&self) -> String {
        let p = &self.params;
        let mut q = Vec::new();
        for (k, v) in [("org", &p.org), ("category", &p.category), ("status", &p.status)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={}", crate::web::pages::urlencode(v)));
            }
        }
        if p.overdue == Some(true) {
            q.push("overdue=true".into());
        }
        q.join("&")
    }
}

async fn ledger_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(params): Query<super::api::LedgerParams>) -> AppResult<Response> {
    let page = super::api::ledger_page(&state, &caller, params.org.as_deref(), &params.filter(), Some(50)).await?;
    let count = crate::web::pages::ListCount { shown: page.items.len(), total: None, later_page: params.before.is_some(), more: page.next_before.is_some() };
    let view = LedgerPage {
        count,
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("重点人员台账", "Key-person ledger")).await?,
        items: page.items,
        next_before: page.next_before,
        params,
        categories: Category::options(lang),
        today: clock::today(),
        can_import: caller.may(crate::auth::Permission::WriteLedger),
    };
    Ok(render(StatusCode::OK, &view))
}
