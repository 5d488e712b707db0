//! The checkpoint pages, phone first: `/checkpoints` (a worker's points, or the area's points with
//! today's figures and the form that opens one), `/checkpoints/{id}` (a point: its hours as bars,
//! who waits for a re-test, its staff and openings, the latest persons screened, masked) and
//! `/checkpoints/{id}/record` (one vehicle or one person, usable with one thumb: the last origin
//! is kept for the next vehicle, and `assets/screening.js` queues a submission in the browser
//! while the network is down and sends it, with its key, when it returns).

use super::hours::{self, Hour};
use super::points::{self, NewPoint, Point, PointEvent, Staff};
use super::screenings::{self, NewOccupant, NewScreening, ScreenedLine};
use super::{PointKind, VehicleKind, divisions};
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::org::picker::{Level, UnitPicker};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, Filled, field, field_message, optional};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::checkpoint::{ASKED, Outcome};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checkpoints", get(index).post(open_point))
        .route("/checkpoints/{id}", get(point_page))
        .route("/checkpoints/{id}/close", post(close_point))
        .route("/checkpoints/{id}/reopen", post(reopen_point))
        .route("/checkpoints/{id}/staff", post(assign_staff))
        .route("/checkpoints/{id}/staff/{user_id}/remove", post(unassign_staff))
        .route("/checkpoints/{id}/record", get(record_form))
        .route("/checkpoints/{id}/screenings", post(record))
        .route("/checkpoints/screened/{id}/retest", post(retest))
}

/// Points are kept by a county, a township or a community.
const LEVELS: [Level; 3] = [Level::County, Level::Township, Level::Village];

/// A result's words in `lang`.
fn result_label(code: &str, lang: Lang) -> &'static str {
    Outcome::parse(code).map_or("", |o| lang.pick(o.zh(), o.en()))
}

fn symptoms_label(codes: &str, lang: Lang) -> String {
    let words: Vec<&str> = codes.split(',').filter_map(fangkong_rules::observation::Symptom::parse).map(|s| lang.pick(s.zh(), s.en())).collect();
    if words.is_empty() { lang.pick("无", "none").to_string() } else { words.join(lang.pick("、", ", ")) }
}

#[derive(Template)]
#[template(path = "checkpoints/index.html")]
struct IndexPage {
    chrome: Chrome,
    /// The points listed with today's totals.
    points: Vec<(Point, Hour)>,
    /// The caller works these (checkpoint staff): the record buttons lead the page.
    assigned: Vec<Point>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
    units: UnitPicker,
    filled: Filled,
}

impl IndexPage {
    fn is_kind(&self, code: &str) -> bool {
        self.filled.value("kind") == code
    }
}

async fn index(State(state): State<AppState>, caller: Caller, lang: Lang) -> AppResult<Response> {
    show_index(&state, &caller, lang, Filled::new(Vec::new(), Vec::new())).await
}

async fn show_index(state: &AppState, caller: &Caller, lang: Lang, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReadPoints)?;
    let listed = points::list(&state.lists, &caller.scope, 500).await?;
    let ids: Vec<i64> = listed.iter().map(|p| p.id).collect();
    let mut totals = hours::day_totals(&state.db, &ids, crate::clock::today()).await?;
    let assigned = if caller.may(Permission::ScreenAtPoints) { points::assigned_to(&state.db, caller.user_id).await? } else { Vec::new() };
    let names = state.unit_names.get(&state.db).await?;
    let unit = match filled.value("org_code") {
        "" => caller.org_code.to_string(),
        typed => typed.to_string(),
    };
    let page = IndexPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("卡点与人员密集场所", "Checkpoints and crowded places")).await?,
        points: listed.into_iter().map(|p| (totals.remove(&p.id).unwrap_or_default(), p)).map(|(h, p)| (p, h)).collect(),
        assigned,
        can_manage: caller.may(Permission::ManagePoints),
        kinds: PointKind::options(lang),
        units: UnitPicker::new("org_code", &names, &caller.scope, &LEVELS, &unit),
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

async fn open_point(State(state): State<AppState>, lang: Lang, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManagePoints)?;
    let opened = async {
        let names = state.unit_names.get(&state.db).await?;
        let org_code = crate::org::picker::chosen(&names, &caller.scope, "org_code", field(&form, "org_code"))?;
        let kind = PointKind::parse(field(&form, "kind")).ok_or_else(|| AppError::invalid("kind", "kind_unknown", "请选择卡点类型"))?;
        let opened_on = crate::web::when::happened_on_opt("opened_on", Some(field(&form, "opened_on")))?.unwrap_or_else(crate::clock::today);
        let point = NewPoint { org_code, kind, name: field(&form, "name").to_string(), location: field(&form, "location").to_string(), opened_on };
        points::create(&state.db, &caller.actor(), &caller.scope, &point).await
    }
    .await;
    match opened {
        Ok(id) => Ok(Redirect::to(&format!("/checkpoints/{id}?done=opened")).into_response()),
        Err(AppError::Invalid(errors)) => show_index(&state, &caller, lang, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

/// A bar of the point's day: the hour, persons screened, and its place in the chart.
struct Bar {
    hour: u8,
    persons: i64,
    referrals: i64,
    x: u32,
    y: u32,
    height: u32,
}

/// The chart's height in its own units; bars are drawn 12 wide, 14 apart.
const CHART_HEIGHT: u32 = 100;

fn bars(hours: &[Hour]) -> Vec<Bar> {
    let most = hours.iter().map(|h| h.persons).max().unwrap_or(0).max(1);
    hours
        .iter()
        .map(|h| {
            let height = (h.persons * i64::from(CHART_HEIGHT) / most) as u32;
            Bar { hour: h.hour, persons: h.persons, referrals: h.referrals, x: u32::from(h.hour) * 14, y: CHART_HEIGHT - height, height }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "checkpoints/point.html")]
struct PointPage {
    chrome: Chrome,
    point: Point,
    bars: Vec<Bar>,
    today: Hour,
    waiting: Vec<ScreenedLine>,
    recent: Vec<ScreenedLine>,
    staff: Vec<Staff>,
    assignable: Vec<Staff>,
    events: Vec<PointEvent>,
    can_manage: bool,
    works_here: bool,
    done: Option<String>,
    filled: Filled,
}

impl PointPage {
    fn result(&self, code: &str) -> &'static str {
        result_label(code, self.chrome.lang)
    }
    fn symptoms(&self, codes: &str) -> String {
        symptoms_label(codes, self.chrome.lang)
    }
    fn time(&self, micros: &i64) -> String {
        crate::clock::format_micros(*micros)
    }
    fn place(&self, code: &str) -> String {
        divisions::full_name(code).unwrap_or_else(|| self.chrome.unit(code).to_string())
    }
    fn event(&self, code: &str) -> &'static str {
        match code {
            "opened" => self.chrome.t("设立", "Opened"),
            "closed" => self.chrome.t("关闭", "Closed"),
            _ => self.chrome.t("重新开启", "Reopened"),
        }
    }
    fn done_message(&self) -> &'static str {
        match self.done.as_deref() {
            Some("opened") => self.chrome.t("卡点已设立。下一步:安排卡点人员。", "The point is open. Next: assign its staff."),
            Some("closed") => self.chrome.t("卡点已关闭,不再登记。", "The point is closed and takes no more records."),
            Some("reopened") => self.chrome.t("卡点已重新开启。", "The point is open again."),
            Some("staff") => self.chrome.t("人员安排已更新。", "Staff updated."),
            Some("retest") => self.chrome.t("复测已记录。", "The re-test is recorded."),
            _ => "",
        }
    }
    fn chart_height(&self) -> u32 {
        CHART_HEIGHT
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn point_page(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>, Query(q): Query<DoneQuery>) -> AppResult<Response> {
    show_point(&state, &caller, lang, id, q.done, Filled::new(Vec::new(), Vec::new())).await
}

async fn show_point(state: &AppState, caller: &Caller, lang: Lang, id: i64, done: Option<String>, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReadPoints)?;
    let point = points::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let today_hours = hours::of_day(&state.db, id, crate::clock::today()).await?;
    let today = today_hours.iter().fold(Hour::default(), |t, h| Hour {
        hour: 0,
        persons: t.persons + h.persons,
        vehicles: t.vehicles + h.vehicles,
        fevers: t.fevers + h.fevers,
        referrals: t.referrals + h.referrals,
    });
    let can_manage = caller.may(Permission::ManagePoints);
    let page = PointPage {
        chrome: Chrome::for_caller(state, caller, lang, &point.name).await?,
        bars: bars(&today_hours),
        today,
        waiting: screenings::of_point(&state.lists, &caller.scope, id, true, None, 50).await?,
        recent: screenings::of_point(&state.lists, &caller.scope, id, false, None, 30).await?,
        staff: points::staff(&state.db, id).await?,
        assignable: if can_manage { points::assignable(&state.db, &point).await? } else { Vec::new() },
        events: points::events(&state.db, id).await?,
        works_here: caller.may(Permission::ScreenAtPoints) && points::is_staff(&state.db, id, caller.user_id).await?,
        can_manage,
        point,
        done,
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

async fn close_point(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManagePoints)?;
    match points::close(&state.db, &caller.actor(), &caller.scope, id, field(&form, "reason")).await {
        Ok(()) => Ok(Redirect::to(&format!("/checkpoints/{id}?done=closed")).into_response()),
        Err(AppError::Invalid(errors)) => show_point(&state, &caller, lang, id, None, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

async fn reopen_point(State(state): State<AppState>, Path(id): Path<i64>, CsrfForm { caller, form: _ }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManagePoints)?;
    points::reopen(&state.db, &caller.actor(), &caller.scope, id).await?;
    Ok(Redirect::to(&format!("/checkpoints/{id}?done=reopened")).into_response())
}

async fn assign_staff(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManagePoints)?;
    match points::assign(&state.db, &caller.actor(), &caller.scope, id, field(&form, "username")).await {
        Ok(()) => Ok(Redirect::to(&format!("/checkpoints/{id}?done=staff#staff")).into_response()),
        Err(AppError::Invalid(errors)) => show_point(&state, &caller, lang, id, None, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}

async fn unassign_staff(State(state): State<AppState>, Path((id, user_id)): Path<(i64, i64)>, CsrfForm { caller, form: _ }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ManagePoints)?;
    points::unassign(&state.db, &caller.actor(), &caller.scope, id, user_id).await?;
    Ok(Redirect::to(&format!("/checkpoints/{id}?done=staff#staff")).into_response())
}

async fn retest(State(state): State<AppState>, lang: Lang, Path(person): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ScreenAtPoints)?;
    let line = screenings::get(&state.db, &caller.scope, person).await?.ok_or(AppError::NotFound)?;
    match screenings::retest(&state.db, &caller.actor(), &caller.scope, person, field(&form, "temperature")).await {
        Ok(_) => Ok(Redirect::to(&format!("/checkpoints/{}?done=retest", line.point_id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| crate::error::FieldError { field: format!("retest_{person}"), ..e }).collect();
            show_point(&state, &caller, lang, line.point_id, None, Filled::new(form, errors)).await
        }
        Err(e) => Err(e),
    }
}

/// How many occupant rows the form shows (more are added by the page's script, or by `?occupants=`).
const ROWS_SHOWN: usize = 1;

#[derive(Template)]
#[template(path = "checkpoints/record.html")]
struct RecordPage {
    chrome: Chrome,
    point: Point,
    vehicles: Vec<(&'static str, &'static str)>,
    symptoms: Vec<(&'static str, &'static str)>,
    /// The occupant rows drawn (0-based).
    rows: Vec<usize>,
    origins: Vec<String>,
    destinations: Vec<String>,
    idempotency_key: String,
    /// Just recorded: the results of the last vehicle, in words.
    done: Vec<(i64, &'static str)>,
    filled: Filled,
}

impl RecordPage {
    fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.filled.errors, name, self.chrome.lang)
    }
    fn row_error(&self, row: &usize, name: &str) -> Option<&str> {
        self.error(&format!("occupants.{row}.{name}"))
    }
    fn row_value(&self, row: &usize, name: &str) -> &str {
        self.filled.value(&format!("occupants.{row}.{name}"))
    }
    fn has_symptom(&self, row: &usize, code: &str) -> bool {
        let name = format!("occupants.{row}.symptoms");
        self.filled.fields.iter().any(|(k, v)| *k == name && v == code)
    }
    fn is_vehicle(&self, code: &str) -> bool {
        self.filled.value("vehicle_kind") == code || (self.filled.value("vehicle_kind").is_empty() && code == "car")
    }
}

#[derive(Deserialize)]
struct RecordQuery {
    /// The last vehicle's origin, kept for the next one.
    origin: Option<String>,
    /// The screening just recorded.
    done: Option<i64>,
    occupants: Option<usize>,
}

async fn record_form(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>, Query(q): Query<RecordQuery>) -> AppResult<Response> {
    let mut fields: Fields = Vec::new();
    fields.extend(q.origin.filter(|o| !o.is_empty()).map(|o| ("origin".to_string(), divisions::shown(o.trim()))));
    let rows = q.occupants.unwrap_or(ROWS_SHOWN).clamp(1, screenings::MAX_OCCUPANTS);
    show_record(&state, &caller, lang, id, q.done, rows, Filled::new(fields, Vec::new())).await
}

#[allow(clippy::too_many_arguments)]
async fn show_record(state: &AppState, caller: &Caller, lang: Lang, id: i64, done: Option<i64>, rows: usize, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ScreenAtPoints)?;
    let point = points::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let names = state.unit_names.get(&state.db).await?;
    let city = fangkong_rules::Scope::of(&fangkong_rules::OrgCode::parse(crate::org::reference::CITY_CODE).expect("the city's code"));
    let mut destinations = UnitPicker::new("destination", &names, &city, &[Level::County, Level::Township, Level::Village], "").options;
    destinations.extend(divisions::all().iter().filter(|d| !d.code.starts_with("4304")).map(|d| divisions::shown(&d.code)));
    let done = match done {
        Some(screening) => {
            let lines = screenings::of_point(&state.db, &caller.scope, id, false, None, screenings::MAX_OCCUPANTS as i64).await?;
            lines.into_iter().filter(|l| l.screening_id == screening).map(|l| (l.seat, result_label(&l.result, lang))).rev().collect()
        }
        None => Vec::new(),
    };
    let key = Some(filled.value("idempotency_key")).filter(|k| !k.is_empty()).map_or_else(|| crate::auth::sessions::random_token()[..32].to_string(), str::to_string);
    let page = RecordPage {
        chrome: Chrome::for_caller(state, caller, lang, &point.name).await?,
        point,
        vehicles: VehicleKind::options(lang),
        symptoms: ASKED.iter().map(|s| (s.as_str(), lang.pick(s.zh(), s.en()))).collect(),
        rows: (0..rows).collect(),
        origins: divisions::options(),
        destinations,
        idempotency_key: key,
        done,
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

/// The occupants a form sent (`occupants.<i>.<field>`), in row order; rows left empty are skipped.
fn occupants_of(form: &Fields) -> (Vec<NewOccupant>, usize) {
    let mut rows: std::collections::BTreeMap<usize, NewOccupant> = std::collections::BTreeMap::new();
    for (key, value) in form {
        let Some(rest) = key.strip_prefix("occupants.") else { continue };
        let Some((row, name)) = rest.split_once('.') else { continue };
        let Ok(row) = row.parse::<usize>() else { continue };
        if row >= screenings::MAX_OCCUPANTS {
            continue;
        }
        let o = rows.entry(row).or_default();
        let value = value.trim().to_string();
        match name {
            "temperature" => o.temperature = value,
            "retest" => o.retest = Some(value),
            "symptoms" => o.symptoms.push(value),
            "name" => o.name = Some(value),
            "id_number" => o.id_number = Some(value),
            "phone" => o.phone = Some(value),
            _ => {}
        }
    }
    let drawn = rows.keys().next_back().map_or(1, |last| last + 1);
    let filled = rows.into_values().filter(|o| !o.temperature.is_empty() || o.name.as_deref().is_some_and(|n| !n.is_empty())).collect();
    (filled, drawn)
}

async fn record(State(state): State<AppState>, lang: Lang, Path(id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ScreenAtPoints)?;
    let (occupants, drawn) = occupants_of(&form);
    let recorded = async {
        let screened_at = crate::web::when::happened_at_opt("screened_at", optional(&form, "screened_at").map(|t| t.replace('T', " ")).as_deref())?.unwrap_or_else(crate::db::now_micros);
        let new = NewScreening {
            point_id: id,
            plate: optional(&form, "plate"),
            vehicle_kind: optional(&form, "vehicle_kind"),
            origin: field(&form, "origin").to_string(),
            destination: field(&form, "destination").to_string(),
            destination_address: optional(&form, "destination_address"),
            screened_at,
            occupants,
            idempotency_key: optional(&form, "idempotency_key"),
        };
        let names = state.unit_names.get(&state.db).await?;
        let recorded = screenings::submit(&state.db, &state.screenings, &caller.actor(), &caller.scope, &names, &new).await?;
        Ok::<_, AppError>((recorded, divisions::chosen("origin", &new.origin).map(|d| d.code.clone()).unwrap_or_default()))
    }
    .await;
    match recorded {
        Ok((recorded, origin)) => Ok(Redirect::to(&format!("/checkpoints/{id}/record?origin={origin}&done={}", recorded.id)).into_response()),
        Err(AppError::Invalid(errors)) => show_record(&state, &caller, lang, id, None, drawn, Filled::new(form, errors)).await,
        Err(e) => Err(e),
    }
}
