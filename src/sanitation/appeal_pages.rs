//! One inspection's page (`/sanitation/inspections/{id}`): what was found, its photos, and its
//! appeal — the district's form to file one (the items found missing to tick, a reason, a photo)
//! while the window is open, the centre's form to accept or reject it, and the outcome kept with
//! who and why. Photos are served from `/sanitation/photos/{id}` to those who may see them.

use super::appeals::{self, AppealLine, Decision, NewAppeal};
use super::editions;
use super::inspections::{self, InspectionLine};
use super::months;
use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult, FieldError};
use crate::web::AppState;
use crate::web::forms::{CsrfForm, Fields, Filled, field, field_message};
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fangkong_rules::sanitation::PpeItem;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sanitation/inspections/{id}", get(show))
        .route("/sanitation/inspections/{id}/appeal", post(file).layer(DefaultBodyLimit::max(super::photos::PHOTO_FORM_LIMIT)))
        .route("/sanitation/appeals/{id}/decision", post(decide))
        .route("/sanitation/photos/{id}", get(photo))
}

#[derive(Template)]
#[template(path = "sanitation/inspection.html")]
struct InspectionPage {
    chrome: Chrome,
    inspection: InspectionLine,
    /// `(code, words)` of the items found missing: what an appeal may dispute.
    missing: Vec<(&'static str, &'static str)>,
    photos: Vec<i64>,
    appeal: Option<AppealLine>,
    /// The district may still appeal (within the window, counted, points off, month open).
    can_appeal: bool,
    /// The caller is the centre and the appeal waits.
    can_decide: bool,
    appeal_hours: i64,
    filled: Filled,
}

impl InspectionPage {
    fn role(&self) -> &'static str {
        fangkong_rules::sanitation::WorkerRole::parse(&self.inspection.worker_role).map_or("", |r| self.chrome.lang.pick(r.zh(), r.en()))
    }
    fn items(&self, codes: &str) -> String {
        let words: Vec<&str> = codes.split(',').filter_map(PpeItem::parse).map(|i| self.chrome.lang.pick(i.zh(), i.en())).collect();
        words.join(self.chrome.lang.pick("、", ", "))
    }
    fn time(&self, micros: &i64) -> String {
        crate::clock::format_micros(*micros)
    }
    fn error(&self, name: &str) -> Option<&str> {
        field_message(&self.filled.errors, name, self.chrome.lang)
    }
    fn status(&self, code: &str) -> &'static str {
        match code {
            "open" => self.chrome.t("待裁定", "waiting for the centre"),
            "accepted" => self.chrome.t("申诉成立,已恢复分数", "accepted: the points were given back"),
            _ => self.chrome.t("已驳回", "rejected"),
        }
    }
}

async fn show(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>) -> AppResult<Response> {
    show_page(&state, &caller, lang, id, Filled::default()).await
}

async fn show_page(state: &AppState, caller: &Caller, lang: Lang, id: i64, filled: Filled) -> AppResult<Response> {
    caller.require(Permission::ReadSanitation)?;
    let inspection = inspections::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let all = editions::load(&state.db).await?;
    let appeal = appeals::list(&state.db, &caller.scope, &all, appeals::Filter::Inspection(id), 1).await?.into_iter().next();
    let edition = editions::on(&all, inspection.inspected_on).ok_or(AppError::NotFound)?;
    let closed = months::is_closed(&state.db, &months::of_day(inspection.inspected_on)).await?;
    let within = appeals::within_window(inspection.created_at, edition);
    let can_appeal = caller.may(Permission::AppealSanitation) && appeal.is_none() && within && inspection.counted && inspection.points > 0 && !closed;
    let can_decide = caller.may(Permission::ReviewSanitation) && months::is_centre(&caller.scope, edition) && appeal.as_ref().is_some_and(|a| a.status == "open") && !closed;
    let missing = inspection.missing.split(',').filter_map(PpeItem::parse).map(|i| (i.as_str(), lang.pick(i.zh(), i.en()))).collect();
    let photos = super::photos::of_inspections(&state.db, &[id]).await?.into_iter().map(|(_, photo)| photo).collect();
    let page = InspectionPage {
        chrome: Chrome::for_caller(state, caller, lang, lang.pick("检查记录", "Inspection")).await?,
        inspection,
        missing,
        photos,
        appeal,
        can_appeal,
        can_decide,
        appeal_hours: edition.appeal_hours,
        filled,
    };
    let status = page.filled.status();
    Ok(render(status, &page))
}

/// The page again with `e` shown beside its field (a conflict beside the appeal's reason).
async fn refused(state: &AppState, caller: &Caller, lang: Lang, id: i64, form: Fields, e: AppError) -> AppResult<Response> {
    let errors = match e {
        AppError::Invalid(errors) => errors,
        AppError::Conflict { message, .. } => vec![FieldError::new("reason", "conflict", message)],
        e => return Err(e),
    };
    show_page(state, caller, lang, id, Filled::new(form, errors)).await
}

async fn file(State(state): State<AppState>, caller: Caller, lang: Lang, Path(id): Path<i64>, multipart: Multipart) -> AppResult<Response> {
    caller.require(Permission::AppealSanitation)?;
    let (form, uploads, text_errors) = crate::web::forms::read_multipart_for_form(&caller, multipart).await?;
    if !text_errors.is_empty() {
        return show_page(&state, &caller, lang, id, Filled::new(form, text_errors)).await;
    }
    let filed = async {
        let items =
            form.iter().filter(|(k, _)| k == "items").map(|(_, v)| PpeItem::parse(v).ok_or_else(|| AppError::invalid("items", "item_unknown", "未知的扣分项"))).collect::<AppResult<Vec<_>>>()?;
        let photo = super::pages::photo_in(uploads, "photo")?;
        let all = editions::load(&state.db).await?;
        appeals::file(&state.db, &caller.actor(), &caller.scope, &all, &NewAppeal { inspection_id: id, items, reason: field(&form, "reason").to_string(), photo }).await
    }
    .await;
    match filed {
        Ok(_) => Ok(Redirect::to(&format!("/sanitation/inspections/{id}#appeal")).into_response()),
        Err(e) => refused(&state, &caller, lang, id, form, e).await,
    }
}

async fn decide(State(state): State<AppState>, lang: Lang, Path(appeal_id): Path<i64>, CsrfForm { caller, form }: CsrfForm<Fields>) -> AppResult<Response> {
    caller.require(Permission::ReviewSanitation)?;
    let inspection_id = field(&form, "inspection_id").parse::<i64>().map_err(|_| AppError::NotFound)?;
    let decided = async {
        let decision = match field(&form, "decision") {
            "accept" => Decision::Accept,
            "reject" => Decision::Reject,
            _ => return Err(AppError::invalid("decision", "decision_unknown", "请选择申诉成立或驳回")),
        };
        let all = editions::load(&state.db).await?;
        appeals::decide(&state.db, &caller.actor(), &caller.scope, &all, appeal_id, decision, field(&form, "note")).await
    }
    .await;
    match decided {
        Ok(()) => Ok(Redirect::to(&format!("/sanitation/inspections/{inspection_id}#appeal")).into_response()),
        Err(AppError::Invalid(errors)) => show_page(&state, &caller, lang, inspection_id, Filled::new(form, errors)).await,
        Err(AppError::Conflict { message, .. }) => show_page(&state, &caller, lang, inspection_id, Filled::new(form, vec![FieldError::new("note", "conflict", message)])).await,
        Err(e) => Err(e),
    }
}

/// A photo's image, for those who may see its inspection; the view is audited (a photo shows a
/// person).
pub(super) async fn photo(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Response> {
    caller.require(Permission::ReadSanitation)?;
    let (content_type, data) = super::photos::get(&state.db, &caller.scope, id).await?.ok_or(AppError::NotFound)?;
    let event = crate::audit::AuditEvent { action: "sanitation.photo_view", record_type: "sanitation_photo", record_id: Some(id.to_string()), org_code: caller.org_code.to_string(), detail: None };
    crate::audit::store::record(&state.db, &caller.actor(), event).await?;
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, max-age=3600".into()), (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into())], data).into_response())
}
