//! A supervision visit's fixes, step by step. The visited unit (or a unit below it) reports a fix
//! done; the supervising unit — any unit above the visited one — confirms it or sends it back with
//! a reason, which opens it again. Nobody reports their own supervision's fix done on the visited
//! unit's behalf, and nobody confirms a fix they reported. Each step names who, from which unit,
//! and when.

use super::supervision::Fix;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::labels::labelled_enum;
use crate::on_db;
use fangkong_rules::Scope;
use serde::Serialize;

labelled_enum! {
    /// A step of a fix.
    StepKind {
        Done = "done", "报告已整改", "Reported fixed";
        Confirmed = "confirmed", "确认整改到位", "Fix confirmed";
        Reopened = "reopened", "退回重新整改", "Sent back to fix again";
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Step {
    pub fix_id: i64,
    /// `done`, `confirmed` or `reopened`.
    pub step: String,
    pub at: i64,
    /// The account that took the step, and its unit.
    pub actor: String,
    pub actor_org: String,
    pub note: Option<String>,
}

impl Step {
    pub fn label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        StepKind::parse(&self.step).map(|v| v.label(lang)).unwrap_or("")
    }
}

/// How the viewer stands to a fix of a unit: the visited unit (or below) reports; a unit above
/// it reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Visited,
    Supervising,
}

impl Role {
    /// The viewer's role for fixes of `org_code`, when their scope reaches it.
    pub fn of(scope: &Scope, org_code: &str) -> Option<Role> {
        if scope.prefix().starts_with(org_code) {
            Some(Role::Visited)
        } else if scope.allows(org_code) {
            Some(Role::Supervising)
        } else {
            None
        }
    }
}

/// The fixes with their steps.
pub async fn with_steps(db: &Db, supervision_id: i64, mut fixes: Vec<Fix>) -> sqlx::Result<Vec<Fix>> {
    let steps: Vec<Step> = on_db!(db, pool => sqlx::query_as::<DB, Step>(
        "select s.fix_id, s.step, s.at, s.actor, s.actor_org, s.note from supervision_fix_steps s join supervision_fixes f on f.id = s.fix_id \
         where f.supervision_id = $1 order by s.id")
        .bind(supervision_id).fetch_all(pool).await)?;
    for fix in &mut fixes {
        fix.steps = steps.iter().filter(|s| s.fix_id == fix.id).cloned().collect();
    }
    Ok(fixes)
}

fn note_of(note: &str, message: &'static str) -> AppResult<String> {
    let note = note.trim();
    if !(1..=500).contains(&note.chars().count()) {
        return Err(AppError::invalid("done_note", "note_required", message));
    }
    Ok(note.to_string())
}

/// The fix's supervision and unit, when the scope reaches it, and the viewer's role.
async fn fix_in_scope(db: &Db, scope: &Scope, fix_id: i64) -> AppResult<(i64, String, Role)> {
    let (low, high) = scope.bounds();
    let found: Option<(i64, String)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String)>(
        "select supervision_id, org_code from supervision_fixes where id = $1 and org_code >= $2 and org_code < $3")
        .bind(fix_id).bind(&low).bind(&high).fetch_optional(pool).await)?;
    let (supervision_id, org_code) = found.ok_or(AppError::NotFound)?;
    let role = Role::of(scope, &org_code).ok_or(AppError::NotFound)?;
    Ok((supervision_id, org_code, role))
}

/// Takes a step if the fix's state allows it (each update is guarded by that state, so two people
/// at once cannot both take it), with its row in the steps and an audit record. Says whether it was
/// taken.
async fn step(db: &Db, actor: &Actor, fix_id: i64, org_code: String, kind: StepKind, note: Option<&str>) -> AppResult<bool> {
    let now = now_micros();
    let taken = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let change = match kind {
            StepKind::Done => sqlx::query::<DB>("update supervision_fixes set done_at = $1, done_by = $2, done_note = $3 where id = $4 and done_at is null")
                .bind(now).bind(&actor.username).bind(note).bind(fix_id),
            StepKind::Confirmed => sqlx::query::<DB>("update supervision_fixes set confirmed_at = $1, confirmed_by = $2 where id = $3 and done_at is not null and confirmed_at is null")
                .bind(now).bind(&actor.username).bind(fix_id),
            StepKind::Reopened => sqlx::query::<DB>(
                "update supervision_fixes set done_at = null, done_by = null, done_note = null, confirmed_at = null, confirmed_by = null where id = $1 and done_at is not null")
                .bind(fix_id),
        };
        let changed = change.execute(&mut *tx).await?.rows_affected() == 1;
        if changed {
            sqlx::query::<DB>("insert into supervision_fix_steps (fix_id, step, at, actor, actor_org, note) values ($1, $2, $3, $4, $5, $6)")
                .bind(fix_id).bind(kind.as_str()).bind(now).bind(&actor.username).bind(&actor.org_code).bind(note).execute(&mut *tx).await?;
            let action = match kind { StepKind::Done => "supervision.fix_done", StepKind::Confirmed => "supervision.fix_confirmed", StepKind::Reopened => "supervision.fix_reopened" };
            crate::audit::store::insert(&mut *tx, actor, AuditEvent { action, record_type: "supervision_fix", record_id: Some(fix_id.to_string()), org_code, detail: None }).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(changed)
    }.await)?;
    Ok(taken)
}

/// The visited unit (or one below it) reports a fix done; reporting twice changes nothing.
/// Returns the fix's supervision.
pub async fn report_done(db: &Db, actor: &Actor, scope: &Scope, fix_id: i64, note: &str) -> AppResult<i64> {
    let (supervision_id, org_code, role) = fix_in_scope(db, scope, fix_id).await?;
    if role != Role::Visited {
        return Err(AppError::invalid("done_note", "not_visited_unit", "整改完成情况由被督导单位报告;督导单位在其报告后确认或退回"));
    }
    let note = note_of(note, "请填写整改情况(不超过 500 字)")?;
    step(db, actor, fix_id, org_code, StepKind::Done, Some(&note)).await?;
    Ok(supervision_id)
}

/// The supervising unit confirms a fix reported done, or reopens it with a reason (`note`).
/// Returns the fix's supervision.
pub async fn review(db: &Db, actor: &Actor, scope: &Scope, fix_id: i64, confirm: bool, note: &str) -> AppResult<i64> {
    let (supervision_id, org_code, role) = fix_in_scope(db, scope, fix_id).await?;
    if role != Role::Supervising {
        return Err(AppError::invalid("done_note", "not_supervising_unit", "确认或退回整改由督导单位(被督导单位的上级)进行"));
    }
    let changed = if confirm {
        step(db, actor, fix_id, org_code, StepKind::Confirmed, None).await?
    } else {
        let reason = note_of(note, "请填写退回原因(不超过 500 字)")?;
        step(db, actor, fix_id, org_code, StepKind::Reopened, Some(&reason)).await?
    };
    if !changed {
        return Err(AppError::Conflict { message: "该整改尚未报告完成,或已确认".into(), existing_id: None });
    }
    Ok(supervision_id)
}
