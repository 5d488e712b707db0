//! Waste-mask handling training (`sanitation_trainings` and who attended): the notice asks urban
//! sanitation departments to train front-line staff in collecting and disposing of waste masks.
//! Workers of the roles the edition names, with no session on record, are flagged and counted.

use super::editions::StoredEdition;
use super::workforce::{self, Worker};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult, FieldError};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use time::Date;

/// A session held, with the workers who attended.
#[derive(Debug, Clone)]
pub struct NewTraining {
    pub org_code: OrgCode,
    pub held_on: Date,
    pub trainer: String,
    pub topic: String,
    pub attendees: Vec<i64>,
}

/// Records a session in a district of the scheme within `scope`; every attendee must be on the
/// district's register on the day.
pub async fn record(db: &Db, actor: &Actor, scope: &Scope, edition: &StoredEdition, training: &NewTraining, today: Date) -> AppResult<i64> {
    if !scope.allows(training.org_code.as_str()) {
        return Err(AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"));
    }
    let district = workforce::district_in_scheme(edition, &training.org_code, "org_code")?;
    let mut errors = Vec::new();
    if training.held_on > today {
        errors.push(FieldError::new("held_on", "date_future", "培训日期不能晚于今天"));
    }
    let (trainer, topic) = (training.trainer.trim(), training.topic.trim());
    if trainer.is_empty() || trainer.chars().count() > 100 {
        errors.push(FieldError::new("trainer", "required", "请填写授课人(不超过 100 字)"));
    }
    if topic.is_empty() || topic.chars().count() > 200 {
        errors.push(FieldError::new("topic", "required", "请填写培训内容(不超过 200 字)"));
    }
    let mut attendees = training.attendees.clone();
    attendees.sort_unstable();
    attendees.dedup();
    if attendees.is_empty() {
        errors.push(FieldError::new("attendees", "attendees_required", "请勾选参加培训的作业人员"));
    }
    for id in &attendees {
        let worker = workforce::get(db, scope, *id).await?.filter(|w| w.district_code == district);
        match worker {
            Some(w) if w.working_on(training.held_on) => {}
            Some(w) => errors.push(FieldError::new("attendees", "worker_not_working", format!("{}培训当天不在岗", w.name))),
            None => errors.push(FieldError::new("attendees", "worker_unknown", "参训人员不在本区作业人员名册中")),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into sanitation_trainings (district_code, org_code, held_on, trainer, topic, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id")
            .bind(&district).bind(training.org_code.as_str()).bind(training.held_on).bind(trainer).bind(topic).bind(&actor.username).bind(now_micros())
            .fetch_one(&mut *tx).await?;
        let mut insert = sqlx::QueryBuilder::<DB>::new("insert into sanitation_training_attendance (training_id, worker_id) ");
        insert.push_values(&attendees, |mut row, worker| {
            row.push_bind(id).push_bind(*worker);
        });
        insert.build().execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "sanitation.training", record_type: "sanitation_training", record_id: Some(id.to_string()), org_code: training.org_code.to_string(),
            detail: Some(format!("attendees={}", attendees.len())),
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// The workers in `scope` still on the register, of the roles `edition` says must be trained, with
/// no training on record.
pub async fn untrained(db: &Db, scope: &Scope, edition: &StoredEdition) -> sqlx::Result<Vec<Worker>> {
    let (low, high) = scope.bounds();
    let roles: Vec<&str> = edition.training_required.iter().map(|r| r.as_str()).collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::<DB>::new(
            "select id, org_code, district_code, name, number, role, team, person_id, started_on, ended_on from sanitation_workers w where org_code >= ");
        query.push_bind(low).push(" and org_code < ").push_bind(high).push(" and ended_on is null and role in (");
        let mut separated = query.separated(", ");
        for role in &roles {
            separated.push_bind(*role);
        }
        query.push(") and not exists (select 1 from sanitation_training_attendance a where a.worker_id = w.id) order by id");
        query.build_query_as::<Worker>().fetch_all(pool).await
    })
}
