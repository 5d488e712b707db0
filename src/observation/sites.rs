//! Centralized observation sites (集中隔离点) with their capacity.

use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Site {
    pub id: i64,
    pub org_code: String,
    pub name: String,
    pub address: Option<String>,
    pub capacity: i64,
    /// People under active observation there now.
    pub occupied: i64,
}

const SELECT: &str = "select s.id, s.org_code, s.name, s.address, s.capacity, \
     (select count(*) from observation_episodes e where e.site_id = s.id and e.status = 'active') as occupied from observation_sites s";

pub async fn create(db: &Db, actor: &Actor, scope: &Scope, org: &OrgCode, name: &str, address: Option<&str>, capacity: i64) -> AppResult<i64> {
    crate::org::store::get(db, scope, org).await?.ok_or_else(|| AppError::invalid("org_code", "org_unknown", "单位不存在或不在您的管辖范围内"))?;
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "name_required", "请填写隔离点名称"));
    }
    if !(1..=10_000).contains(&capacity) {
        return Err(AppError::invalid("capacity", "capacity_range", "床位数应为 1–10000"));
    }
    let id = on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar::<DB, i64>("insert into observation_sites (org_code, name, address, capacity, created_at) values ($1, $2, $3, $4, $5) returning id")
            .bind(org.as_str()).bind(name.trim()).bind(address).bind(capacity).bind(now_micros()).fetch_one(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "site.create", record_type: "observation_site", record_id: Some(id.to_string()), org_code: org.to_string(), detail: None,
        }).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// Sites serving a scope: those below it, and those of the units above it (a county's site serves
/// its townships and grids). Sites hold no personal data.
pub async fn list(db: &Db, scope: &Scope) -> sqlx::Result<Vec<Site>> {
    let (low, high) = scope.bounds();
    let sql = format!("{SELECT} where (s.org_code >= $1 and s.org_code < $2) or substr($3, 1, length(s.org_code)) = s.org_code order by s.name");
    on_db!(db, pool => sqlx::query_as::<DB, Site>(sqlx::AssertSqlSafe(&*sql)).bind(low).bind(high).bind(scope.prefix()).fetch_all(pool).await)
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<Site>> {
    let sql = format!("{SELECT} where s.id = $1");
    on_db!(db, pool => sqlx::query_as::<DB, Site>(sqlx::AssertSqlSafe(&*sql)).bind(id).fetch_optional(pool).await)
}

/// A site is usable by a caller when it serves their scope (see [`list`]) and has a free place.
pub async fn check_room(db: &Db, scope: &Scope, id: i64) -> AppResult<()> {
    let site = get(db, id)
        .await?
        .filter(|s| scope.allows(&s.org_code) || scope.prefix().starts_with(&s.org_code))
        .ok_or_else(|| AppError::invalid("site_id", "site_unknown", "隔离点不存在或不在您的管辖范围内"))?;
    if site.occupied >= site.capacity {
        return Err(AppError::invalid("site_id", "site_full", format!("{} 已满({}/{}),请选择其他隔离点", site.name, site.occupied, site.capacity)));
    }
    Ok(())
}

/// The site where a county observes its discharged patients; none means at home.
pub async fn post_discharge_site(db: &Db, county: &str) -> sqlx::Result<Option<i64>> {
    let site: Option<Option<i64>> = on_db!(db, pool => sqlx::query_scalar::<DB, Option<i64>>(
        "select post_discharge_site_id from county_settings where org_code = $1").bind(county).fetch_optional(pool).await)?;
    Ok(site.flatten())
}

/// Sets where the county `county` (the caller's own, at county level) observes its discharged
/// patients: a site serving it, or `None` for home observation.
pub async fn set_post_discharge_site(db: &Db, actor: &Actor, scope: &Scope, county: &OrgCode, site: Option<i64>) -> AppResult<()> {
    if county.level() != fangkong_rules::OrgLevel::County || !scope.allows(county.as_str()) {
        return Err(AppError::invalid("site_id", "not_a_county", "出院患者康复观察方式由县(市、区)指挥部设置"));
    }
    if let Some(id) = site {
        get(db, id)
            .await?
            .filter(|s| county.as_str().starts_with(&s.org_code) || s.org_code.starts_with(county.as_str()))
            .ok_or_else(|| AppError::invalid("site_id", "site_unknown", "隔离点不存在或不服务本县"))?;
    }
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("insert into county_settings (org_code, post_discharge_site_id, updated_at, updated_by) values ($1, $2, $3, $4) \
                           on conflict (org_code) do update set post_discharge_site_id = excluded.post_discharge_site_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
            .bind(county.as_str()).bind(site).bind(now_micros()).bind(actor.user_id).execute(&mut *tx).await?;
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "county.post_discharge_site", record_type: "org_unit", record_id: Some(county.to_string()), org_code: county.to_string(),
            detail: Some(format!("site={}", site.map_or("home".to_string(), |s| s.to_string()))),
        }).await?;
        tx.commit().await
    }.await)?;
    Ok(())
}
