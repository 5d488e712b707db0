//! Merging two records of the same person (合并重复人员): everything recorded against the
//! duplicate — screening entry, observations with their check-ins, alerts, care requests, cases,
//! contacts, follow-ups — moves to the kept record in one transaction; the duplicate stays, marked
//! as merged, out of searches. The merge lists the rows it moved, so undoing it moves exactly those
//! back. Both are audited.

use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use serde::Serialize;
use std::collections::BTreeMap;

/// The tables whose rows belong to a person through `person_id`.
const TABLES: [&str; 7] = ["key_persons", "observation_episodes", "alerts", "life_needs", "cases", "contacts", "follow_ups"];

/// What would break a unique rule if both records' rows were under one person: a count, the count
/// from which it would, and what to tell the user.
const CONFLICTS: [(&str, i64, &str); 5] = [
    ("select count(*) from key_persons where person_id in ($1, $2)", 2, "两人都已登记为重点人员,请先删除其中一条登记"),
    ("select count(*) from observation_episodes where person_id in ($1, $2) and status = 'active'", 2, "两人都在医学观察中,请先结束其中一个观察"),
    ("select count(*) from cases where person_id in ($1, $2) and status in ('suspected', 'confirmed', 'asymptomatic')", 2, "两人都有未结案的病例,请先处理其中一个"),
    (
        "select (select count(*) from observation_episodes where person_id in ($1, $2) and status = 'active') \
                * (select count(*) from cases where person_id in ($1, $2) and status in ('suspected', 'confirmed', 'asymptomatic'))",
        1,
        "一人为病例、另一人在医学观察中:请先结束其观察(病例不再进行医学观察)",
    ),
    ("select count(*) from (select case_id from contacts where person_id in ($1, $2) group by case_id having count(*) > 1) both_contacts", 1, "两人登记为同一病例的密切接触者,请先核实"),
];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Merge {
    pub id: i64,
    pub kept_id: i64,
    pub merged_id: i64,
    /// Rows moved, by table.
    pub moved: String,
    pub merged_at: i64,
    pub undone_at: Option<i64>,
}

/// SQLite: take the write lock at once, so that two merges at once queue instead of failing.
fn begin(db: &Db) -> &'static str {
    if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" }
}

/// Why a merge cannot go on now that another merge came first.
fn merged_meanwhile() -> AppError {
    AppError::Conflict { message: "其中一人刚被合并到别的记录,请刷新后核对".into(), existing_id: None }
}

/// Merges the duplicate `merged_id` into `kept_id`, both in scope and neither merged already.
/// Inside its transaction both persons are locked in id order and checked again, so two merges
/// at once (A into B, B into A) cannot both go through and leave a cycle.
pub async fn merge(db: &Db, actor: &Actor, scope: &Scope, kept_id: i64, merged_id: i64) -> AppResult<Merge> {
    if kept_id == merged_id {
        return Err(AppError::invalid("merged_id", "same_person", "不能与自己合并"));
    }
    let mut org_code = String::new();
    for id in [merged_id, kept_id] {
        let person = super::store::get(db, scope, id).await?.ok_or_else(|| AppError::invalid("merged_id", "person_unknown", format!("人员 {id} 不存在或不在您的管辖范围内")))?;
        if let Some(into) = person.merged_into {
            return Err(AppError::invalid("merged_id", "already_merged", format!("人员 {id} 已合并至 {into}")));
        }
        org_code = person.org_code;
    }
    let now = now_micros();
    let id = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin(db)).await?;
        for id in [kept_id.min(merged_id), kept_id.max(merged_id)] {
            let locked = sqlx::query::<DB>("update persons set updated_at = $1 where id = $2 and merged_into is null").bind(now).bind(id).execute(&mut *tx).await?.rows_affected();
            if locked == 0 {
                return Ok(Err(merged_meanwhile()));
            }
        }
        for (sql, at_least, message) in CONFLICTS {
            if sqlx::query_scalar::<DB, i64>(sql).bind(kept_id).bind(merged_id).fetch_one(&mut *tx).await? >= at_least {
                return Ok(Err(AppError::Conflict { message: message.into(), existing_id: None }));
            }
        }
        let mut moved: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for table in TABLES {
            let ids = sqlx::query_scalar::<DB, i64>(sqlx::AssertSqlSafe(format!("select id from {table} where person_id = $1 order by id")))
                .bind(merged_id).fetch_all(&mut *tx).await?;
            sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("update {table} set person_id = $1 where person_id = $2")))
                .bind(kept_id).bind(merged_id).execute(&mut *tx).await?;
            moved.insert(table, ids);
        }
        sqlx::query::<DB>("update persons set merged_into = $1, updated_at = $2 where id = $3").bind(kept_id).bind(now).bind(merged_id).execute(&mut *tx).await?;
        let moved = serde_json::to_string(&moved).unwrap_or_default();
        let id = sqlx::query_scalar::<DB, i64>("insert into person_merges (kept_id, merged_id, moved, merged_at, merged_by) values ($1, $2, $3, $4, $5) returning id")
            .bind(kept_id).bind(merged_id).bind(&moved).bind(now).bind(actor.user_id).fetch_one(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "person.merge", record_type: "person", record_id: Some(kept_id.to_string()), org_code: org_code.clone(),
            detail: Some(format!("merged={merged_id} merge={id}")),
        }).await?;
        tx.commit().await?;
        Ok::<AppResult<i64>, sqlx::Error>(Ok(id))
    }.await)??;
    get(db, id).await?.ok_or(AppError::NotFound)
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<Merge>> {
    on_db!(db, pool => sqlx::query_as::<DB, Merge>("select id, kept_id, merged_id, moved, merged_at, undone_at from person_merges where id = $1")
        .bind(id).fetch_optional(pool).await)
}

/// The merge still in force that made `merged_id` a duplicate, if any.
pub async fn active_for(db: &Db, merged_id: i64) -> sqlx::Result<Option<Merge>> {
    on_db!(db, pool => sqlx::query_as::<DB, Merge>(
        "select id, kept_id, merged_id, moved, merged_at, undone_at from person_merges where merged_id = $1 and undone_at is null")
        .bind(merged_id).fetch_optional(pool).await)
}

/// Undoes the merge that made `merged_id` a duplicate: the rows it moved go back, the record is
/// searchable again. Both records must be in scope.
pub async fn undo(db: &Db, actor: &Actor, scope: &Scope, merged_id: i64) -> AppResult<()> {
    let merge = active_for(db, merged_id).await?.ok_or_else(|| AppError::Conflict { message: "该人员没有可撤销的合并".into(), existing_id: None })?;
    let mut org_code = String::new();
    for id in [merge.merged_id, merge.kept_id] {
        org_code = super::store::get(db, scope, id).await?.ok_or(AppError::NotFound)?.org_code;
    }
    let moved: BTreeMap<String, Vec<i64>> = serde_json::from_str(&merge.moved).map_err(|e| AppError::Internal(e.into()))?;
    let now = now_micros();
    on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin(db)).await?;
        // The merge is marked undone first: of two undos at once, the second finds it done.
        let undone = sqlx::query::<DB>("update person_merges set undone_at = $1, undone_by = $2 where id = $3 and undone_at is null")
            .bind(now).bind(actor.user_id).bind(merge.id).execute(&mut *tx).await?.rows_affected();
        if undone == 0 {
            return Ok(Err(AppError::Conflict { message: "该合并已撤销".into(), existing_id: None }));
        }
        for (table, ids) in &moved {
            // Only known tables are named in a merge; anything else would be a corrupted record.
            let Some(table) = TABLES.iter().find(|t| *t == table) else { continue };
            for id in ids {
                sqlx::query::<DB>(sqlx::AssertSqlSafe(format!("update {table} set person_id = $1 where id = $2 and person_id = $3")))
                    .bind(merge.merged_id).bind(id).bind(merge.kept_id).execute(&mut *tx).await?;
            }
        }
        sqlx::query::<DB>("update persons set merged_into = null, updated_at = $1 where id = $2").bind(now).bind(merge.merged_id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "person.unmerge", record_type: "person", record_id: Some(merge.kept_id.to_string()), org_code,
            detail: Some(format!("merged={} merge={}", merge.merged_id, merge.id)),
        }).await?;
        tx.commit().await?;
        Ok::<AppResult<()>, sqlx::Error>(Ok(()))
    }.await)?
}
