//! Person pages: search list, register, detail, edit. Field errors are shown beside each field with
//! what was typed kept; possible duplicates are offered before a new person is saved.

use super::api::{SearchParams, search_page, show};
use super::view::PersonRow;
use super::{IdType, PersonInput, PersonView, store};
use crate::auth::{Caller, Permission};
use crate::clock;
use crate::error::{AppError, AppResult, FieldError};
use crate::org::picker::{self, Level, UnitPicker};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, ListCount, render, urlencode};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use fangkong_rules::{OrgCode, Scope};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/persons", get(list_page).post(create)).route("/persons/new", get(new_page)).route("/persons/{id}", get(detail_page).post(update)).route("/persons/{id}/edit", get(edit_page))
}

#[derive(Template)]
#[template(path = "persons/list.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    q_encoded: String,
    org: Option<String>,
    items: Vec<PersonView>,
    next_before: Option<i64>,
    count: ListCount,
    can_register: bool,
    searched_as: &'static str,
}

#[derive(Deserialize)]
struct ListParams {
    q: Option<String>,
    before: Option<i64>,
    /// Narrow the list to one unit (and below) inside the caller's scope.
    org: Option<String>,
}

async fn list_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<ListParams>) -> AppResult<Response> {
    let org = p.org.as_deref().and_then(|o| OrgCode::parse(o).ok()).filter(|o| caller.scope.allows(o.as_str()));
    // Narrowing to a unit below the caller's home is still a scope: a subset of theirs.
    let narrowed = match &org {
        Some(o) => Caller { scope: Scope::of(o), ..caller.clone() },
        None => caller.clone(),
    };
    let params = SearchParams { q: p.q.clone(), before: p.before, limit: Some(20) };
    let page = search_page(&state, &narrowed, &params).await?;
    let q = p.q.unwrap_or_default();
    // Unsearched, the list is everyone in the unit: its roll-up count says how many.
    let unit = org.as_ref().unwrap_or(&caller.org_code).to_string();
    let total = if q.trim().is_empty() { crate::counts::gauges(&state.db, &unit).await?.get(crate::counts::PERSONS).copied() } else { None };
    let count = ListCount { shown: page.items.len(), total, later_page: p.before.is_some(), more: page.next_before.is_some() };
    let list = ListPage {
        count,
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("人员", "Persons")).await?,
        q_encoded: urlencode(&q),
        q,
        org: org.map(|o| o.to_string()),
        items: page.items,
        next_before: page.next_before,
        can_register: caller.may(Permission::RegisterPersons),
        searched_as: page.searched_as,
    };
    Ok(render(StatusCode::OK, &list))
}

/// The person form as typed: every field a string, so a rejected submission is shown back unchanged.
#[derive(Debug, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_type: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub org_code: String,
    #[serde(default)]
    pub household_id: String,
    #[serde(default)]
    pub current_address: String,
    #[serde(default)]
    pub hukou_code: String,
    #[serde(default)]
    pub work_unit: String,
    #[serde(default)]
    pub confirm_new: Option<String>,
    #[serde(skip)]
    pub errors: Vec<FieldError>,
}

impl PersonForm {
    pub fn error(&self, field: &str, lang: impl std::borrow::Borrow<Lang>) -> Option<&str> {
        field_message(&self.errors, field, *lang.borrow())
    }

    pub fn id_type_is(&self, value: &str) -> bool {
        self.id_type == value || (self.id_type.is_empty() && value == IdType::ResidentId.as_str())
    }

    /// The input the form holds, its unit given as `org_code` (the code the unit field resolved to).
    fn to_input(&self, org_code: String) -> Result<PersonInput, FieldError> {
        let some = |s: &String| Some(s.clone()).filter(|v| !v.trim().is_empty());
        // A household chosen from the list reads "测试路1号 1栋 1单元 101室 #12"; a bare number works too.
        let household = self.household_id.rsplit('#').next().unwrap_or_default().trim();
        let household_id = match household {
            "" => None,
            h => Some(h.parse().map_err(|_| FieldError::new("household_id", "household_invalid", "请从列表中选择住户(或填写住户编号)"))?),
        };
        Ok(PersonInput {
            name: self.name.clone(),
            id_type: some(&self.id_type),
            id_number: self.id_number.clone(),
            sex: some(&self.sex),
            birth_date: some(&self.birth_date),
            phone: some(&self.phone),
            ethnicity: some(&self.ethnicity),
            org_code,
            household_id,
            current_address: some(&self.current_address),
            hukou_code: some(&self.hukou_code),
            work_unit: some(&self.work_unit),
        })
    }

    fn from_row(row: &PersonRow) -> PersonForm {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        PersonForm {
            name: row.name.clone(),
            id_type: row.id_type.clone(),
            id_number: row.id_number.clone(),
            sex: s(&row.sex),
            birth_date: row.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            phone: s(&row.phone),
            ethnicity: s(&row.ethnicity),
            org_code: row.org_code.clone(),
            household_id: row.household_id.map(|h| h.to_string()).unwrap_or_default(),
            current_address: s(&row.current_address),
            hukou_code: s(&row.hukou_code),
            work_unit: s(&row.work_unit),
            confirm_new: None,
            errors: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "persons/form.html")]
struct FormPage {
    chrome: Chrome,
    person_id: Option<i64>,
    form: PersonForm,
    id_types: Vec<(&'static str, &'static str)>,
    ethnicities: &'static [&'static str],
    candidates: Vec<PersonView>,
    /// A document conflict: the message and the existing record's id when the caller may see it.
    conflict: Option<(String, Option<i64>)>,
    units: UnitPicker,
    /// The households of the chosen unit, as the household field's list offers them.
    households: Vec<String>,
}

impl FormPage {
    /// The household field: a stored household number shown as its list entry (by address).
    fn household_shown(&self) -> String {
        let typed = self.form.household_id.trim();
        let entry = (!typed.is_empty() && typed.chars().all(|c| c.is_ascii_digit())).then(|| self.households.iter().find(|h| h.ends_with(&format!(" #{typed}")))).flatten();
        entry.map_or_else(|| typed.to_string(), String::clone)
    }
}

/// How a person form comes back: its status, the possible duplicates to confirm against, a
/// document conflict (the message, and the existing record's id when the caller may see it).
struct Answer {
    status: StatusCode,
    candidates: Vec<PersonView>,
    conflict: Option<(String, Option<i64>)>,
}

impl Answer {
    fn fresh() -> Answer {
        Answer { status: StatusCode::OK, candidates: Vec::new(), conflict: None }
    }
    fn invalid() -> Answer {
        Answer { status: StatusCode::UNPROCESSABLE_ENTITY, ..Answer::fresh() }
    }
    fn candidates(candidates: Vec<PersonView>) -> Answer {
        Answer { candidates, ..Answer::fresh() }
    }
    fn conflict(message: String, existing_id: Option<i64>) -> Answer {
        Answer { status: StatusCode::CONFLICT, conflict: Some((message, existing_id)), ..Answer::fresh() }
    }
}

async fn form_view(state: &AppState, caller: &Caller, lang: Lang, person_id: Option<i64>, form: PersonForm, answer: Answer) -> AppResult<Response> {
    let title = if person_id.is_some() { lang.pick("修改人员信息", "Edit person") } else { lang.pick("登记人员", "Register a person") };
    let names = state.unit_names.get(&state.db).await?;
    let page = FormPage {
        chrome: Chrome::for_caller(state, caller, lang, title).await?,
        person_id,
        id_types: IdType::ALL.into_iter().map(|t| (t.as_str(), lang.pick(t.zh(), t.en()))).collect(),
        ethnicities: &fangkong_rules::ethnicity::ETHNICITIES,
        candidates: answer.candidates,
        conflict: answer.conflict,
        households: household_options(state, caller, lang, &names, &form.org_code).await?,
        units: UnitPicker::new("org_code", &names, &caller.scope, &[Level::Village, Level::Grid], &form.org_code),
        form,
    };
    Ok(render(answer.status, &page))
}

/// Most households a unit's list offers (a grid has a few hundred).
const HOUSEHOLDS_OFFERED: i64 = 1_000;

/// "测试路1号 1栋 1单元 101室 #12" for each household of the unit the form's unit field names.
async fn household_options(state: &AppState, caller: &Caller, lang: Lang, names: &crate::org::names::Names, unit: &str) -> AppResult<Vec<String>> {
    let Some(code) = picker::resolve(names, &caller.scope, unit).ok().and_then(|c| OrgCode::parse(&c).ok()) else { return Ok(Vec::new()) };
    if !caller.scope.allows(code.as_str()) || code.as_str().len() < Level::Village as usize {
        return Ok(Vec::new());
    }
    let households = crate::org::store::households(&state.db, &caller.scope, &code, 0, HOUSEHOLDS_OFFERED).await?;
    Ok(households.iter().map(|h| format!("{} #{}", h.label(&lang), h.id)).collect())
}

#[derive(Deserialize)]
struct NewParams {
    org: Option<String>,
    household: Option<i64>,
}

async fn new_page(State(state): State<AppState>, caller: Caller, lang: Lang, Query(p): Query<NewParams>) -> AppResult<Response> {
    caller.require(Permission::RegisterPersons)?;
    let form = PersonForm { org_code: p.org.unwrap_or_else(|| caller.org_code.to_string()), household_id: p.household.map(|h| h.to_string()).unwrap_or_default(), ..PersonForm::default() };
    form_view(&state, &caller, lang, None, form, Answer::fresh()).await
}

/// Validates a submitted form, its unit chosen by name within the caller's area and its household
/// by the list's entry, its number, or its address typed as the list shows it; on failure, the
/// form comes back with its errors.
async fn validate(state: &AppState, caller: &Caller, form: &mut PersonForm, names: &crate::org::names::Names) -> AppResult<Option<super::ValidPerson>> {
    let org_code = match picker::resolve(names, &caller.scope, &form.org_code) {
        Ok(code) => code,
        Err(message) => {
            form.errors = vec![FieldError::new("org_code", "org_unknown", message)];
            return Ok(None);
        }
    };
    let typed = form.household_id.trim();
    if !typed.contains('#') && !typed.chars().all(|c| c.is_ascii_digit()) {
        let typed = crate::org::folded_address(typed);
        let options = household_options(state, caller, Lang::Zh, names, &org_code).await?;
        let mut same = options.iter().filter(|o| o.rsplit_once(" #").is_some_and(|(label, _)| crate::org::folded_address(label) == typed));
        if let (Some(one), None) = (same.next(), same.next()) {
            form.household_id = one.clone();
        }
    }
    let input = match form.to_input(org_code) {
        Ok(input) => input,
        Err(e) => {
            form.errors = vec![e];
            return Ok(None);
        }
    };
    Ok(match input.validate(clock::today()) {
        Ok(valid) => Some(valid),
        Err(errors) => {
            form.errors = errors;
            None
        }
    })
}

/// Maps a failed save to the form: field errors beside fields, a document conflict at the top.
async fn save_failed(state: &AppState, caller: &Caller, lang: Lang, person_id: Option<i64>, mut form: PersonForm, err: AppError) -> AppResult<Response> {
    match err {
        AppError::Invalid(errors) => {
            form.errors = errors;
            form_view(state, caller, lang, person_id, form, Answer::invalid()).await
        }
        AppError::Conflict { message, existing_id } => {
            form.errors = vec![FieldError::new("id_number", "duplicate", message.clone())];
            form_view(state, caller, lang, person_id, form, Answer::conflict(message, existing_id)).await
        }
        other => Err(other),
    }
}

async fn create(State(state): State<AppState>, lang: Lang, CsrfForm { caller, mut form }: CsrfForm<PersonForm>) -> AppResult<Response> {
    caller.require(Permission::RegisterPersons)?;
    let names = state.unit_names.get(&state.db).await?;
    let Some(valid) = validate(&state, &caller, &mut form, &names).await? else {
        return form_view(&state, &caller, lang, None, form, Answer::invalid()).await;
    };
    if let Err(e) = store::check_document_free(&state.db, &caller.actor(), &caller.scope, &valid, None).await {
        return save_failed(&state, &caller, lang, None, form, e).await;
    }
    if form.confirm_new.is_none() {
        let candidates = store::duplicate_candidates(&state.db, &caller.scope, &valid.name, valid.birth_date, valid.phone.as_deref(), None).await?;
        if !candidates.is_empty() {
            let candidates = candidates.into_iter().map(PersonRow::masked).collect();
            return form_view(&state, &caller, lang, None, form, Answer::candidates(candidates)).await;
        }
    }
    match store::create(&state.db, &caller.actor(), &caller.scope, &valid).await {
        Ok(row) => Ok(Redirect::to(&format!("/persons/{}?done=registered", row.id)).into_response()),
        Err(e) => save_failed(&state, &caller, lang, None, form, e).await,
    }
}

#[derive(Template)]
#[template(path = "persons/detail.html")]
struct DetailPage {
    chrome: Chrome,
    p: PersonView,
    warnings: Vec<String>,
    unit_path: String,
    household: Option<String>,
    created_at: String,
    can_edit: bool,
    can_merge: bool,
    /// Fever clinics and command centres may triage the person from here.
    can_triage: bool,
    /// Why a merge or its undoing was refused.
    merge_error: Option<String>,
    status: StatusCode,
    /// Where the person stands: ledger, observation, case.
    standing: Standing,
    /// Just registered or saved (said at the top, with the next step).
    done: Option<Saved>,
}

/// The person's current ledger entry, latest observation and latest case, shown at the top of
/// their page so nobody has to open three pages to know what to do next.
struct Standing {
    category: Option<crate::screening::Category>,
    observation: Option<crate::observation::episodes::Episode>,
    observation_day: i64,
    case: Option<crate::cases::store::Case>,
}

impl Standing {
    async fn of(state: &AppState, caller: &Caller, person_id: i64) -> AppResult<Standing> {
        let entry = crate::screening::store::by_person(&state.db, &caller.scope, person_id).await?;
        let observation = crate::observation::episodes::for_person(&state.db, &caller.scope, person_id).await?.into_iter().next();
        let today = clock::today();
        Ok(Standing {
            category: entry.and_then(|k| crate::screening::Category::parse(&k.category)),
            observation_day: observation.as_ref().map_or(0, |e| e.day(today)),
            observation,
            case: crate::cases::store::latest_of_person(&state.db, &caller.scope, person_id).await?,
        })
    }
    fn case_label(&self, lang: &Lang) -> &'static str {
        self.case.as_ref().and_then(|c| crate::cases::CaseStatus::parse(&c.status)).map_or("", |v| v.label(lang))
    }
}

/// What the form before the page did (`?done=`), said at the top with the next step.
#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn detail_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>, Query(done): Query<Done>) -> AppResult<Response> {
    let done = match done.done.as_deref() {
        Some("registered") => Some(Saved::Registered),
        Some("saved") => Some(Saved::Saved),
        _ => None,
    };
    detail(&state, &caller, lang, id, None, done).await
}

/// A save that brought the user to the person's page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Saved {
    /// Registered: the next step is usually the key-person ledger.
    Registered,
    Saved,
}

/// The person's page, with why a merge was refused when it was.
pub(super) async fn detail(state: &AppState, caller: &Caller, lang: Lang, id: i64, merge_error: Option<String>, done: Option<Saved>) -> AppResult<Response> {
    let p = show(state, caller, id).await?;
    // Re-validating the stored record brings back its warnings (legacy ID, unknown area code).
    let warnings = if p.masked {
        Vec::new()
    } else {
        let row = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
        PersonForm::from_row(&row).to_input(row.org_code.clone()).ok().and_then(|i| i.validate(clock::today()).ok()).map(|v| v.warnings).unwrap_or_default()
    };
    let code = OrgCode::parse(&p.org_code).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let unit_path = crate::org::store::path(&state.db, &code).await?.into_iter().map(|u| u.name).collect::<Vec<_>>().join(" · ");
    let household = match p.household_id {
        Some(h) if !p.masked => crate::org::store::get_household(&state.db, &caller.scope, h).await?.map(|h| h.label(&lang)),
        _ => None,
    };
    let page = DetailPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("人员详情", "Person")).await?,
        created_at: clock::format_micros(p.created_at),
        can_edit: caller.may(Permission::EditPersons),
        can_merge: caller.may(Permission::MergePersons),
        can_triage: caller.may(Permission::ManageCases),
        p,
        warnings,
        unit_path,
        household,
        status: if merge_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        merge_error,
        standing: Standing::of(state, caller, id).await?,
        done,
    };
    Ok(render(page.status, &page))
}

async fn edit_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    caller.require(Permission::EditPersons)?;
    let row = store::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    form_view(&state, &caller, lang, Some(id), PersonForm::from_row(&row), Answer::fresh()).await
}

async fn update(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, mut form }: CsrfForm<PersonForm>) -> AppResult<Response> {
    caller.require(Permission::EditPersons)?;
    let names = state.unit_names.get(&state.db).await?;
    let Some(valid) = validate(&state, &caller, &mut form, &names).await? else {
        return form_view(&state, &caller, lang, Some(id), form, Answer::invalid()).await;
    };
    match store::update(&state.db, &caller.actor(), &caller.scope, id, &valid).await {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}?done=saved")).into_response()),
        Err(e) => save_failed(&state, &caller, lang, Some(id), form, e).await,
    }
}
