//! `/alerts/{id}/call`: the resident an alert is about, with a button that dials their phone. The
//! number is personal data: showing it is audited like a full view (`person.call`), and it is
//! offered only to roles that handle alerts and see persons in full.

use crate::auth::{Caller, Permission};
use crate::error::{AppError, AppResult};
use crate::on_db;
use crate::web::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{Chrome, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "observation/call.html")]
struct CallPage {
    chrome: Chrome,
    name: String,
    phone: Option<String>,
    episode_id: Option<i64>,
}

impl CallPage {
    /// "138 0000 1234", easier to read aloud and check than eleven digits in a row.
    fn spaced(&self, phone: &str) -> String {
        match phone.len() {
            11 if phone.chars().all(|c| c.is_ascii_digit()) => format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]),
            _ => phone.to_string(),
        }
    }
}

/// Roles that may call from an alert: those who handle alerts and see persons in full.
pub fn may_call(caller: &Caller) -> bool {
    caller.may(Permission::WriteLedger) && caller.may(Permission::ViewFullPerson)
}

pub async fn call_page(State(state): State<AppState>, caller: Caller, lang: Lang, method: Method, Path(id): Path<i64>) -> AppResult<Response> {
    if !may_call(&caller) {
        return Err(AppError::Forbidden);
    }
    let (low, high) = caller.scope.bounds();
    let alert: Option<(Option<i64>, Option<i64>)> = on_db!(&state.db, pool => sqlx::query_as::<DB, (Option<i64>, Option<i64>)>(
        "select person_id, episode_id from alerts where id = $1 and org_code >= $2 and org_code < $3")
        .bind(id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let (Some(person_id), episode_id) = alert.ok_or(AppError::NotFound)? else { return Err(AppError::NotFound) };
    let person = crate::people::store::get(&state.db, &caller.scope, person_id).await?.ok_or(AppError::NotFound)?;
    // A HEAD request (a link checker, a prefetch) shows nobody the number: nothing to audit.
    if method == Method::HEAD {
        return Ok(StatusCode::OK.into_response());
    }
    let event =
        crate::audit::AuditEvent { action: "person.call", record_type: "person", record_id: Some(person_id.to_string()), org_code: person.org_code.clone(), detail: Some(format!("alert={id}")) };
    crate::audit::store::record(&state.db, &caller.actor(), event).await?;
    let page = CallPage {
        chrome: Chrome::for_caller(&state, &caller, lang, lang.pick("联系居民", "Call the resident")).await?,
        name: fangkong_rules::mask::mask_name(&person.name),
        phone: person.phone.clone(),
        episode_id,
    };
    Ok(render(StatusCode::OK, &page))
}
