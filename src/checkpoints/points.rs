//! Screening points (`screening_points`), their openings and closings (`screening_point_events`)
//! and the staff who work them (`screening_point_staff`). A point belongs to the unit that keeps
//! it; it is read within the caller's scope like every record, and only its assigned checkpoint
//! staff — accounts of that same unit — record at it.

use super::PointKind;
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult, FieldError};
use crate::on_db;
use fangkong_rules::{OrgCode, OrgLevel, Scope};
use time::Date;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Point {
    pub id: i64,
    pub org_code: String,
    /// A `PointKind` code: `road`, `station`, `airport`, `dock`, `construction_site`, `canteen`, `market`, `crowded_place`.
    pub kind: String,
    pub name: String,
    pub location: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub opened_on: Date,
    /// The day it closed; absent while open.
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub closed_on: Option<Date>,
    pub close_reason: Option<String>,
}

impl Point {
    pub fn kind(&self) -> PointKind {
        PointKind::parse(&self.kind).unwrap_or(PointKind::CrowdedPlace)
    }

    pub fn is_open(&self) -> bool {
        self.closed_on.is_none()
    }

    pub fn kind_label(&self, lang: &crate::web::i18n::Lang) -> &'static str {
        self.kind().label(lang)
    }
}

const COLUMNS: &str = "id, org_code, kind, name, location, opened_on, closed_on, close_reason";

/// A point to open.
#[derive(Debug, Clone)]
pub struct NewPoint {
    pub org_code: OrgCode,
    pub kind: PointKind,
    pub name: String,
    pub location: String,
    pub opened_on: Date,
}

/// A one-line text of at most `most` characters, required or not, as the field's error.
fn line(errors: &mut Vec<FieldError>, field: &str, value: &str, most: usize, required: bool) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::new(field, "required", "请填写此项"));
    } else if value.chars().count() > most {
        errors.push(FieldError::new(field, "too_long", format!("不能超过 {most} 个字")));
    } else if value.contains(['\n', '\r', '\t']) {
        errors.push(FieldError::new(field, "single_line", "只能填写一行,不能换行"));
    }
    value.to_string()
}

/// Opens a point kept by a unit in `scope` (a county, a township or a community; the city's
/// command reads them all but keeps none of its own).
pub async fn create(db: &Db, actor: &Actor, scope: &Scope, point: &NewPoint) -> AppResult<i64> {
    if !scope.allows(point.org_code.as_str()) || point.org_code.is_city_department() {
        return Err(AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"));
    }
    if point.org_code.level() < OrgLevel::County || point.org_code.level() > OrgLevel::Village {
        return Err(AppError::invalid("org_code", "org_level", "卡点由区县、乡镇(街道)或村(社区)设置"));
    }
    let mut errors = Vec::new();
    let name = line(&mut errors, "name", &point.name, 50, true);
    let location = line(&mut errors, "location", &point.location, 100, true);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = now_micros();
    let id = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>(
            "insert into screening_points (org_code, kind, name, location, opened_on, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning id")
            .bind(point.org_code.as_str()).bind(point.kind.as_str()).bind(&name).bind(&location).bind(point.opened_on).bind(&actor.username).bind(now)
            .fetch_one(&mut *tx).await?;
        event(&mut *tx, id, "opened", point.opened_on, None, actor, now).await?;
        crate::counts::add(&mut *tx, point.org_code.as_str(), crate::counts::CHECKPOINTS_OPEN, "", 1).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "checkpoint.open", record_type: "screening_point", record_id: Some(id.to_string()), org_code: point.org_code.to_string(),
            detail: Some(format!("kind={}", point.kind.as_str())),
        }).await?;
        tx.commit().await?;
        id
    });
    Ok(id)
}

async fn event<'a>(conn: impl Into<crate::db::Conn<'a>>, point: i64, what: &str, day: Date, reason: Option<&str>, actor: &Actor, now: i64) -> sqlx::Result<()> {
    crate::on_conn!(conn, c => {
        sqlx::query::<DB>("insert into screening_point_events (point_id, event, on_day, reason, actor, at) values ($1, $2, $3, $4, $5, $6)")
            .bind(point).bind(what).bind(day).bind(reason).bind(&actor.username).bind(now).execute(&mut *c).await?;
        Ok(())
    })
}

/// A point in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> sqlx::Result<Option<Point>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from screening_points where id = $1 and org_code >= $2 and org_code < $3");
    on_db!(db, pool => sqlx::query_as::<DB, Point>(sqlx::AssertSqlSafe(&*sql)).bind(id).bind(low).bind(high).fetch_optional(pool).await)
}

/// The points in `scope`, open ones first, newest first within each (a county keeps tens, the
/// city at most a few thousand: read by unit).
pub async fn list(db: &Db, scope: &Scope, limit: i64) -> sqlx::Result<Vec<Point>> {
    let (low, high) = scope.bounds();
    let sql = format!("select {COLUMNS} from screening_points where org_code >= $1 and org_code < $2 order by closed_on is not null, id desc limit $3");
    on_db!(db, pool => sqlx::query_as::<DB, Point>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(limit).fetch_all(pool).await)
}

/// The points an account is assigned to, open ones first.
pub async fn assigned_to(db: &Db, user_id: i64) -> sqlx::Result<Vec<Point>> {
    let sql = format!(
        "select {} from screening_points p join screening_point_staff s on s.point_id = p.id where s.user_id = $1 order by p.closed_on is not null, p.id desc",
        COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
    );
    on_db!(db, pool => sqlx::query_as::<DB, Point>(sqlx::AssertSqlSafe(&*sql)).bind(user_id).fetch_all(pool).await)
}

/// Whether an account works a point.
pub async fn is_staff(db: &Db, point: i64, user_id: i64) -> sqlx::Result<bool> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from screening_point_staff where point_id = $1 and user_id = $2")
        .bind(point).bind(user_id).fetch_one(pool).await.map(|n| n > 0))
}

/// Closes a point from today, with the reason: it takes no records until reopened.
pub async fn close(db: &Db, actor: &Actor, scope: &Scope, id: i64, reason: &str) -> AppResult<()> {
    let point = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let reason = line(&mut errors, "reason", reason, 200, true);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let today = crate::clock::today();
    let now = now_micros();
    let changed = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query::<DB>("update screening_points set closed_on = $1, close_reason = $2 where id = $3 and closed_on is null")
            .bind(today).bind(&reason).bind(id).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            event(&mut *tx, id, "closed", today, Some(&reason), actor, now).await?;
            crate::counts::add(&mut *tx, &point.org_code, crate::counts::CHECKPOINTS_OPEN, "", -1).await?;
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "checkpoint.close", record_type: "screening_point", record_id: Some(id.to_string()), org_code: point.org_code.clone(), detail: None,
            }).await?;
        }
        tx.commit().await?;
        changed
    });
    if changed == 0 {
        return Err(AppError::Conflict { message: "该卡点已关闭".into(), existing_id: None });
    }
    Ok(())
}

/// Reopens a closed point from today.
pub async fn reopen(db: &Db, actor: &Actor, scope: &Scope, id: i64) -> AppResult<()> {
    let point = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let today = crate::clock::today();
    let now = now_micros();
    let changed = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let changed = sqlx::query::<DB>("update screening_points set closed_on = null, close_reason = null where id = $1 and closed_on is not null")
            .bind(id).execute(&mut *tx).await?.rows_affected();
        if changed == 1 {
            event(&mut *tx, id, "reopened", today, None, actor, now).await?;
            crate::counts::add(&mut *tx, &point.org_code, crate::counts::CHECKPOINTS_OPEN, "", 1).await?;
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "checkpoint.reopen", record_type: "screening_point", record_id: Some(id.to_string()), org_code: point.org_code.clone(), detail: None,
            }).await?;
        }
        tx.commit().await?;
        changed
    });
    if changed == 0 {
        return Err(AppError::Conflict { message: "该卡点正在运行,无需重新开启".into(), existing_id: None });
    }
    Ok(())
}

/// An account working a point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Staff {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

pub async fn staff(db: &Db, point: i64) -> sqlx::Result<Vec<Staff>> {
    on_db!(db, pool => sqlx::query_as::<DB, Staff>(
        "select u.id as user_id, u.username, u.display_name from screening_point_staff s join users u on u.id = s.user_id where s.point_id = $1 order by u.username")
        .bind(point).fetch_all(pool).await)
}

/// The checkpoint staff accounts of a point's unit who could be assigned to it.
pub async fn assignable(db: &Db, point: &Point) -> sqlx::Result<Vec<Staff>> {
    on_db!(db, pool => sqlx::query_as::<DB, Staff>(
        "select id as user_id, username, display_name from users where org_code = $1 and role = 'checkpoint_staff' and active order by username")
        .bind(&point.org_code).fetch_all(pool).await)
}

/// Assigns a checkpoint staff account of the point's own unit to it (assigning one already there
/// changes nothing).
pub async fn assign(db: &Db, actor: &Actor, scope: &Scope, id: i64, username: &str) -> AppResult<()> {
    let point = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let user: Option<(i64, String, String, bool)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String, String, bool)>(
        "select id, role, org_code, active from users where username = $1").bind(username.trim()).fetch_optional(pool).await)?;
    let Some((user_id, _, _, _)) = user.filter(|(_, role, org, active)| role == "checkpoint_staff" && *org == point.org_code && *active) else {
        return Err(AppError::invalid("username", "staff_unknown", "只能安排本单位的卡点人员账号,请从列表中选择"));
    };
    let now = now_micros();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let added = sqlx::query::<DB>("insert into screening_point_staff (point_id, user_id, assigned_by, assigned_at) values ($1, $2, $3, $4) on conflict do nothing")
            .bind(id).bind(user_id).bind(&actor.username).bind(now).execute(&mut *tx).await?.rows_affected();
        if added == 1 {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "checkpoint.assign", record_type: "screening_point", record_id: Some(id.to_string()), org_code: point.org_code.clone(),
                detail: Some(format!("user={user_id}")),
            }).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Takes an account off a point.
pub async fn unassign(db: &Db, actor: &Actor, scope: &Scope, id: i64, user_id: i64) -> AppResult<()> {
    let point = get(db, scope, id).await?.ok_or(AppError::NotFound)?;
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let removed = sqlx::query::<DB>("delete from screening_point_staff where point_id = $1 and user_id = $2")
            .bind(id).bind(user_id).execute(&mut *tx).await?.rows_affected();
        if removed == 1 {
            crate::audit::store::insert(&mut *tx, actor, AuditEvent {
                action: "checkpoint.unassign", record_type: "screening_point", record_id: Some(id.to_string()), org_code: point.org_code.clone(),
                detail: Some(format!("user={user_id}")),
            }).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// An opening or closing of a point.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PointEvent {
    /// `opened`, `closed` or `reopened`.
    pub event: String,
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "crate::format::as_str")]
    pub on_day: Date,
    pub reason: Option<String>,
    pub actor: String,
    pub at: i64,
}

pub async fn events(db: &Db, point: i64) -> sqlx::Result<Vec<PointEvent>> {
    on_db!(db, pool => sqlx::query_as::<DB, PointEvent>("select event, on_day, reason, actor, at from screening_point_events where point_id = $1 order by id")
        .bind(point).fetch_all(pool).await)
}
