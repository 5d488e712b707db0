//! Follow-up visits after discharge (出院后随访), due in weeks 2 and 4, kept by the home grid: they
//! show on the grid worker's today list and the county's follow-up list until done.

use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::mask::mask_name;
use serde::Serialize;
use time::Date;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FollowUp {
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    pub org_code: String,
    /// 2 or 4: the week after discharge.
    pub week: i64,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub due_date: Date,
    pub done_at: Option<i64>,
    pub note: Option<String>,
    /// Masked.
    pub name: String,
    /// The post-discharge observation episode, for the link to the person's record.
    pub episode_id: Option<i64>,
    /// Not done and past its due date.
    #[sqlx(default)]
    pub overdue: bool,
}

const SELECT: &str = "select f.id, f.case_id, f.person_id, f.org_code, f.week, f.due_date, f.done_at, f.note, p.name, d.episode_id \
    from follow_ups f join persons p on p.id = f.person_id left join discharges d on d.case_id = f.case_id";

/// Names masked, overdue marked as of `today`.
fn finished(rows: Vec<FollowUp>, today: Date) -> Vec<FollowUp> {
    rows.into_iter()
        .map(|mut f| {
            f.name = mask_name(&f.name);
            f.overdue = f.done_at.is_none() && f.due_date < today;
            f
        })
        .collect()
}

/// Follow-ups not yet done in scope, earliest due first.
pub async fn open(db: &Db, scope: &Scope, today: Date, limit: i64) -> sqlx::Result<Vec<FollowUp>> {
    let (low, high) = scope.bounds();
    let sql = format!("{SELECT} where f.id in (select id from follow_ups where org_code >= $1 and org_code < $2 and done_at is null order by due_date, id limit $3) order by f.due_date, f.id");
    Ok(finished(on_db!(db, pool => sqlx::query_as::<DB, FollowUp>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(limit).fetch_all(pool).await)?, today))
}

/// A case's follow-ups, whoever keeps them: the case page shows them to those who see the case.
pub async fn for_case(db: &Db, case_id: i64, today: Date) -> sqlx::Result<Vec<FollowUp>> {
    let sql = format!("{SELECT} where f.case_id = $1 order by f.due_date");
    Ok(finished(on_db!(db, pool => sqlx::query_as::<DB, FollowUp>(sqlx::AssertSqlSafe(&*sql)).bind(case_id).fetch_all(pool).await)?, today))
}

/// Records a follow-up in scope as done, with what was found.
pub async fn complete(db: &Db, actor: &Actor, scope: &Scope, id: i64, note: &str) -> AppResult<()> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::invalid("note", "note_required", "请填写随访情况(不超过 500 字)"));
    }
    let (low, high) = scope.bounds();
    let found: Option<(String, Date)> = on_db!(db, pool => sqlx::query_as::<DB, (String, Date)>("select org_code, due_date from follow_ups where id = $1 and org_code >= $2 and org_code < $3")
        .bind(id).bind(low).bind(high).fetch_optional(pool).await)?;
    let (org, due_date) = found.ok_or(AppError::NotFound)?;
    let done = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let done = sqlx::query::<DB>("update follow_ups set done_at = $1, done_by = $2, note = $3 where id = $4 and done_at is null")
            .bind(now_micros()).bind(actor.user_id).bind(note).bind(id).execute(&mut *tx).await?.rows_affected() == 1;
        if done {
            crate::counts::add(&mut *tx, &org, crate::counts::FOLLOW_UPS_DONE, &due_date.to_string(), 1).await?;
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "follow_up.done", record_type: "follow_up", record_id: Some(id.to_string()), org_code: org.clone(), detail: None,
            }).await?;
            tx.commit().await?;
        }
        Ok::<bool, sqlx::Error>(done)
    }.await)?;
    if !done {
        return Err(AppError::Conflict { message: "该随访已登记完成".into(), existing_id: None });
    }
    Ok(())
}
