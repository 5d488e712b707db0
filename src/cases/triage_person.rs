//! Who is triaged, chosen on the triage form by name, the last four digits of the ID or a phone
//! number rather than by an internal number: whoever is found — one person or several — is listed
//! to choose from, with unit, sex, age and the ID's last four digits to tell them apart, so that a
//! case is never opened for someone the triage nurse has not seen named (four digits typed wrong
//! can find one other person).

use crate::auth::Caller;
use crate::error::{AppResult, FieldError};
use crate::people::search::{self, Query};
use crate::people::view::PersonView;
use crate::web::AppState;
use crate::web::forms::{Fields, field};

/// At most this many persons are listed to choose from.
const LISTED: i64 = 10;

/// The person the form names: its `person_id` — passed from a person's page, or chosen from the
/// list that the `person` search typed beside it finds.
/// Otherwise the field's error and the persons its `person` search finds in scope to choose from —
/// one found is offered already chosen, to be confirmed.
pub async fn chosen(state: &AppState, caller: &Caller, form: &Fields) -> AppResult<Result<i64, (FieldError, Vec<PersonView>)>> {
    let typed = field(form, "person").trim();
    let chosen = field(form, "person_id").parse::<i64>().ok();
    if let (Some(id), "") = (chosen, typed) {
        return Ok(Ok(id));
    }
    if typed.is_empty() {
        return Ok(Err((FieldError::new("person", "person_required", "请输入姓名、身份证号后 4 位或手机号查找人员"), Vec::new())));
    }
    let query = Query::parse(typed, crate::clock::today());
    let found = search::search(&state.lists, &caller.scope, &query, None, LISTED + 1).await?;
    // One chosen from the list stands while the search still finds them; a search typed anew after
    // choosing is answered afresh, so the case is never opened for someone the text no longer names.
    if let Some(id) = chosen.filter(|id| found.iter().take(LISTED as usize).any(|p| p.id == *id)) {
        return Ok(Ok(id));
    }
    Ok(match found.as_slice() {
        [one] => Err((FieldError::new("person", "person_confirm", "找到 1 人,请核对是否为此人,确认后再提交"), vec![one.clone().masked()])),
        [] => Err((FieldError::new("person", "person_unknown", format!("辖区内找不到“{typed}”,请换姓名、身份证号后 4 位或手机号再查;未登记的人请先登记")), Vec::new())),
        many => {
            let more = if many.len() as i64 > LISTED {
                format!("超过 {LISTED} 人,以下为最近登记的 {LISTED} 人;可输入更多信息缩小范围")
            } else {
                format!("找到 {} 人,请选择一人", many.len())
            };
            Err((FieldError::new("person", "person_choose", more), found.into_iter().take(LISTED as usize).map(|p| p.masked()).collect()))
        }
    })
}

/// The person a form already names, as the form shows them (masked).
pub async fn shown(state: &AppState, caller: &Caller, form: &Fields) -> AppResult<Option<PersonView>> {
    let Ok(id) = field(form, "person_id").parse::<i64>() else { return Ok(None) };
    Ok(crate::people::store::get(&state.db, &caller.scope, id).await?.map(|p| p.masked()))
}
