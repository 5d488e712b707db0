//! The sanitation workforce (`sanitation_workers`): who works in each district of the scheme, by
//! role and team. A worker who leaves is ended, never deleted, so the inspections that name them
//! keep meaning what they meant.

use super::editions::StoredEdition;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult, FieldError};
use crate::on_db;
use fangkong_rules::sanitation::WorkerRole;
use fangkong_rules::{OrgCode, Scope};
use time::Date;

/// A worker to put on the register.
#[derive(Debug, Clone)]
pub struct NewWorker {
    /// The district or a street of it.
    pub org_code: OrgCode,
    pub name: String,
    /// 工号, when the district numbers its workers.
    pub number: Option<String>,
    pub role: WorkerRole,
    pub team: Option<String>,
    pub person_id: Option<i64>,
    pub started_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Worker {
    pub id: i64,
    pub org_code: String,
    pub district_code: String,
    pub name: String,
    pub number: Option<String>,
    /// `cleaner`, `collection` or `waste_mask_collector`.
    pub role: String,
    pub team: Option<String>,
    pub person_id: Option<i64>,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub started_on: Date,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub ended_on: Option<Date>,
}

impl Worker {
    pub fn role(&self) -> Option<WorkerRole> {
        WorkerRole::parse(&self.role)
    }

    /// Whether the worker was on the register on `day`.
    pub fn working_on(&self, day: Date) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| day < end)
    }
}

const COLUMNS: &str = "id, org_code, district_code, name, number, role, team, person_id, started_on, ended_on";

/// The district (six digits) of a unit, when it is one of the scheme's under `edition`; otherwise
/// the error for `field`.
pub fn district_in_scheme(edition: &StoredEdition, org: &OrgCode, field: &str) -> AppResult<String> {
    let district = org.as_str().get(..6).unwrap_or_default();
    if edition.districts.iter().any(|d| d == district) {
        Ok(district.to_string())
    } else {
        Err(AppError::invalid(field, "district_outside_scheme", "该单位不在环卫作业人员防护考核的城区范围内"))
    }
}

/// A worker checked for the register: in scope, of a district of the scheme, name and texts
/// within their lengths.
#[derive(Debug, Clone)]
pub struct ValidWorker {
    pub org_code: String,
    pub district: String,
    pub name: String,
    pub number: Option<String>,
    pub role: WorkerRole,
    pub team: Option<String>,
    pub person_id: Option<i64>,
    pub started_on: Date,
}

/// Refuses, at `field`, a line break or tab in a one-line value (a name, a number, a place).
pub fn one_line(field: &str, value: &str) -> AppResult<()> {
    if value.contains(['\n', '\r', '\t']) {
        return Err(AppError::invalid(field, "single_line", "只能填写一行,不能换行"));
    }
    Ok(())
}

/// Checks a worker for the register of a district of the scheme of `edition` within `scope`.
pub fn checked(scope: &Scope, edition: &StoredEdition, worker: &NewWorker) -> AppResult<ValidWorker> {
    if !scope.allows(worker.org_code.as_str()) {
        return Err(AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"));
    }
    let district = district_in_scheme(edition, &worker.org_code, "org_code")?;
    let name = worker.name.trim();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 50 {
        errors.push(FieldError::new("name", "name_length", "请填写姓名(不超过 50 个字)"));
    }
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let (number, team) = (text(&worker.number), text(&worker.team));
    if number.as_deref().is_some_and(|n| n.chars().count() > 30) || team.as_deref().is_some_and(|t| t.chars().count() > 50) {
        errors.push(FieldError::new("number", "too_long", "工号不超过 30 字,班组不超过 50 字"));
    }
    for (field, value) in [("name", Some(name)), ("number", number.as_deref()), ("team", team.as_deref())] {
        if let Err(AppError::Invalid(mut e)) = one_line(field, value.unwrap_or("")) {
            errors.append(&mut e);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(ValidWorker { org_code: worker.org_code.to_string(), district, name: name.to_string(), number, role: worker.role, team, person_id: worker.person_id, started_on: worker.started_on })
}

/// Writes workers on `conn` with an audit row each, inside the caller's transaction: the one
/// statement that writes `sanitation_workers` (a form's worker and an imported register's).
pub async fn insert_many<'a>(conn: impl Into<crate::db::Conn<'a>>, actor: &Actor, workers: &[ValidWorker]) -> sqlx::Result<Vec<i64>> {
    let now = now_micros();
    let ids: Vec<i64> = crate::on_conn!(conn, c => {
        let mut ids = Vec::with_capacity(workers.len());
        for chunk in workers.chunks(crate::db::MAX_BINDS / 9) {
            let mut q = sqlx::QueryBuilder::<DB>::new("insert into sanitation_workers (org_code, district_code, name, number, role, team, person_id, started_on, created_at) ");
            q.push_values(chunk, |mut row, w| {
                row.push_bind(&w.org_code).push_bind(&w.district).push_bind(&w.name).push_bind(&w.number).push_bind(w.role.as_str()).push_bind(&w.team)
                    .push_bind(w.person_id).push_bind(w.started_on).push_bind(now);
            });
            q.push(" returning id");
            ids.extend(q.build_query_scalar::<i64>().fetch_all(&mut *c).await?);
        }
        let events: Vec<AuditEvent> = ids.iter().zip(workers).map(|(id, w)| AuditEvent {
            action: "sanitation.worker_add", record_type: "sanitation_worker", record_id: Some(id.to_string()), org_code: w.org_code.clone(),
            detail: Some(format!("role={}", w.role.as_str())),
        }).collect();
        let rows: Vec<(&Actor, AuditEvent)> = events.into_iter().map(|e| (actor, e)).collect();
        crate::audit::store::insert_many(&mut *c, now, &rows).await?;
        Ok::<_, sqlx::Error>(ids)
    })?;
    Ok(ids)
}

/// Puts a worker on the register, in a district of the scheme of `edition` within `scope`. A
/// number another worker of the district has is a conflict.
pub async fn add(db: &Db, actor: &Actor, scope: &Scope, edition: &StoredEdition, worker: &NewWorker) -> AppResult<i64> {
    let valid = checked(scope, edition, worker)?;
    let written: sqlx::Result<i64> = on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        let ids = insert_many(&mut *tx, actor, std::slice::from_ref(&valid)).await?;
        tx.commit().await?;
        Ok(ids[0])
    }.await);
    match written {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: "本区已有该工号的作业人员,请核对工号".into(), existing_id: None }),
        Err(e) => Err(e.into()),
    }
}

/// Ends a worker's time on the register from `day` on (the day they left).
pub async fn end(db: &Db, actor: &Actor, scope: &Scope, id: i64, day: Date) -> AppResult<()> {
    let worker = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    if worker.ended_on.is_some() {
        return Err(AppError::Conflict { message: "该作业人员已离岗".into(), existing_id: None });
    }
    if day < worker.started_on {
        return Err(AppError::invalid("ended_on", "date_before_start", "离岗日期不能早于上岗日期"));
    }
    let last: Option<Date> = on_db!(db, pool => sqlx::query_scalar::<DB, Option<Date>>("select max(inspected_on) from sanitation_inspections where worker_id = $1").bind(id).fetch_one(pool).await)?;
    if let Some(last) = last.filter(|last| day <= *last) {
        return Err(AppError::invalid("ended_on", "date_before_inspection", format!("该人员 {last} 还有检查记录,离岗日期应晚于这一天")));
    }
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("update sanitation_workers set ended_on = $1 where id = $2").bind(day).bind(id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "sanitation.worker_end", record_type: "sanitation_worker", record_id: Some(id.to_string()), org_code: worker.org_code.clone(), detail: None,
        }).await?;
        tx.commit().await?;
    });
    Ok(())
}

/// A worker in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Worker>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from sanitation_workers where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, Worker>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The workers in `scope`, newest first (older than `before` when paging), those who left included.
pub async fn list(db: &Db, scope: &Scope, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<Worker>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from sanitation_workers where org_code >= $1 and org_code < $2 and ($3 is null or id < $3) order by id desc limit $4");
    on_db!(db, pool => sqlx::query_as::<DB, Worker>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(before).bind(limit).fetch_all(pool).await)
}

/// The workers in `scope` whose name starts with `q` or whose 工号 is `q`, newest first (a
/// district's register is a few thousand rows: read within the scope, compared as text).
pub async fn search(db: &Db, scope: &Scope, q: &str, limit: i64) -> sqlx::Result<Vec<Worker>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from sanitation_workers where org_code >= $1 and org_code < $2 and (substr(name, 1, length($3)) = $3 or number = $3) order by id desc limit $4");
    on_db!(db, pool => sqlx::query_as::<DB, Worker>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(q.trim()).bind(limit).fetch_all(pool).await)
}
