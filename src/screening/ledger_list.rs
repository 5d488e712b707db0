//! The ledger list (台账): a unit's key persons newest first, with their observation at a glance,
//! filtered by category, observation and overdue reports, paged by key person id.

use crate::db::Db;
use crate::db::statement::IdQuery;
use crate::on_db;
use fangkong_rules::Scope;
use serde::Serialize;
use time::Date;

/// One line of the ledger list: the key person, masked, with their observation at a glance.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LedgerLine {
    pub key_person_id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub org_code: String,
    pub category: String,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub arrival_date: Option<Date>,
    pub episode_id: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "crate::format::opt_date")]
    pub start_date: Option<Date>,
    pub period_days: Option<i64>,
    /// The latest temperature, tenths of °C.
    pub last_temperature: Option<i64>,
    /// Check-ins recorded today.
    pub checked_today: i64,
}

/// Which ledger lines to list (see `LedgerParams` for the meaning of each field).
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub category: Option<String>,
    pub status: Option<String>,
    pub overdue: Option<bool>,
    pub before: Option<i64>,
}

/// The ledger of a unit in scope, newest first, masked: a page of key person ids first, read from
/// an index where it can be (`page_ids`, `overdue_ids`), then those lines.
pub async fn ledger(db: &Db, scope: &Scope, filter: &LedgerFilter, today: Date, limit: i64) -> sqlx::Result<Vec<LedgerLine>> {
    let ids = if filter.overdue == Some(true) { overdue_ids(db, scope, filter, today, limit).await? } else { page_ids(db, scope, filter, limit).await? };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (low, high) = scope.bounds();
    let list = crate::db::id_list(&ids);
    let sql = format!(
        "select k.id as key_person_id, k.person_id, p.name, p.id_number, k.org_code, k.category, k.arrival_date, \
         e.id as episode_id, e.start_date, e.period_days, \
         (select c.temperature_tenths from check_ins c where c.episode_id = e.id order by c.day desc, c.slot desc limit 1) as last_temperature, \
         (select count(*) from check_ins c where c.episode_id = e.id and c.day = $3) as checked_today \
         from key_persons k join persons p on p.id = k.person_id \
         left join observation_episodes e on e.person_id = k.person_id and e.status = 'active' \
         where k.id in ({list}) and k.org_code >= $1 and k.org_code < $2 order by k.id desc"
    );
    let rows: Vec<LedgerLine> = on_db!(db, pool => sqlx::query_as::<DB, LedgerLine>(sqlx::AssertSqlSafe(&*sql))
        .bind(low).bind(high).bind(today).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|mut l| {
            l.name = fangkong_rules::mask::mask_name(&l.name);
            l.id_number = fangkong_rules::mask::mask_id_number(&l.id_number);
            l
        })
        .collect())
}

/// The ids of a page of the ledger, newest first: a wide scope walks from the newest key person,
/// a narrow one reads its unit's ids from `key_persons_org` alone (no row is read for a key person
/// not on the page unless a filter needs it).
async fn page_ids(db: &Db, scope: &Scope, filter: &LedgerFilter, limit: i64) -> sqlx::Result<Vec<i64>> {
    page_statement(db, scope, filter, limit).await?.ids(db).await
}

async fn page_statement(db: &Db, scope: &Scope, filter: &LedgerFilter, limit: i64) -> sqlx::Result<IdQuery> {
    let (low, high) = scope.bounds();
    let (hint, in_unit) = unit_access(db, scope, limit).await?;
    let observing = "exists (select 1 from observation_episodes e where e.person_id = k.person_id and e.status = 'active')";
    let status = match filter.status.as_deref() {
        Some("observing") => format!(" and {observing}"),
        Some("not_observing") => format!(" and not {observing}"),
        _ => String::new(),
    };
    let sql = format!("select k.id from key_persons k {hint} where {in_unit} and k.id < $3 and ($5 is null or k.category = $5){status} order by k.id desc limit $4");
    Ok(IdQuery::new(sql).bind(low).bind(high).bind(filter.before.unwrap_or(i64::MAX)).bind(limit).bind(category(filter)))
}

fn category(filter: &LedgerFilter) -> Option<&str> {
    filter.category.as_deref().filter(|c| !c.is_empty())
}

/// How a page of a scope's key persons is read, newest first: a wide scope walks from the newest
/// (`+org_code`: no index serves it), a narrow one reads the unit's ids from `key_persons_org`. On
/// SQLite the index is named: with the bounds bound as parameters its planner cannot tell a unit's
/// range from the whole table and walks the primary key instead.
async fn unit_access(db: &Db, scope: &Scope, limit: i64) -> sqlx::Result<(&'static str, &'static str)> {
    let walk = crate::counts::newest_first_walk(db, scope, crate::counts::KEY_PERSONS_NEW, crate::counts::TOTAL, limit).await?;
    Ok(match (db, walk) {
        (_, true) => ("", "+k.org_code >= $1 and +k.org_code < $2"),
        (Db::Sqlite(_), false) => ("indexed by key_persons_org", "k.org_code >= $1 and k.org_code < $2"),
        (Db::Postgres(_), false) => ("", "k.org_code >= $1 and k.org_code < $2"),
    })
}

/// Key persons read from their newest before the page is given up on as sparse in overdue ones.
const OVERDUE_WALK: i64 = 2_000;

/// The ids of a page of key persons under observation with no report today, newest first. Those
/// are usually many, and a walk from the newest key person finds a page among the first few
/// hundred; when the walk reads `OVERDUE_WALK` without a page (late in the day, or when the
/// unreported are all older), they are few, and are read instead from the observations not
/// reported through today (`observation_episodes_unreported`), which holds just them. A scope of
/// fewer key persons than the walk (by its counts) is walked whole.
async fn overdue_ids(db: &Db, scope: &Scope, filter: &LedgerFilter, today: Date, limit: i64) -> sqlx::Result<Vec<i64>> {
    let found = overdue_walk(db, scope, filter, today, limit).await?.ids(db).await?;
    if found.len() as i64 == limit || walked_whole(db, scope).await? {
        return Ok(found);
    }
    overdue_unreported(db, scope, filter, today, limit).ids(db).await
}

async fn walked_whole(db: &Db, scope: &Scope) -> sqlx::Result<bool> {
    let Some(unit) = scope.unit() else { return Ok(false) };
    let (in_unit, _) = crate::counts::in_unit_and_city(db, &unit, crate::counts::KEY_PERSONS_NEW, crate::counts::TOTAL).await?;
    Ok(in_unit <= OVERDUE_WALK)
}

/// The overdue among the scope's newest `OVERDUE_WALK` key persons.
async fn overdue_walk(db: &Db, scope: &Scope, filter: &LedgerFilter, today: Date, limit: i64) -> sqlx::Result<IdQuery> {
    let (low, high) = scope.bounds();
    let (hint, in_unit) = unit_access(db, scope, limit).await?;
    // SQLite: the walked key persons first (`cross join` keeps the order), each one's observation
    // probed; left to choose, it reads every active observation and indexes the walk instead.
    let join = if matches!(db, Db::Sqlite(_)) { "cross join" } else { "join" };
    let sql = format!(
        "select w.id from (select k.id, k.person_id from key_persons k {hint} where {in_unit} and k.id < $3 and ($5 is null or k.category = $5) order by k.id desc limit $6) as w \
         {join} observation_episodes e on e.person_id = w.person_id and e.status = 'active' where e.reported_through < $4 order by w.id desc limit $7"
    );
    Ok(IdQuery::new(sql).bind(low).bind(high).bind(filter.before.unwrap_or(i64::MAX)).bind(today).bind(category(filter)).bind(OVERDUE_WALK).bind(limit))
}

/// The overdue read from the observations not reported through today.
fn overdue_unreported(db: &Db, scope: &Scope, filter: &LedgerFilter, today: Date, limit: i64) -> IdQuery {
    let (low, high) = scope.bounds();
    // SQLite: the observations first (`cross join` keeps the order), from their own index, then
    // each one's key person from the index that holds its unit and category.
    let (first, join, then) = match db {
        Db::Sqlite(_) => ("indexed by observation_episodes_unreported", "cross join", "indexed by key_persons_person"),
        Db::Postgres(_) => ("", "join", ""),
    };
    let sql = format!(
        "select k.id from observation_episodes e {first} {join} key_persons k {then} on k.person_id = e.person_id \
         where e.status = 'active' and e.reported_through < $4 and e.org_code >= $1 and e.org_code < $2 \
         and k.org_code >= $1 and k.org_code < $2 and k.id < $3 and ($5 is null or k.category = $5) order by k.id desc limit $6"
    );
    IdQuery::new(sql).bind(low).bind(high).bind(filter.before.unwrap_or(i64::MAX)).bind(today).bind(category(filter)).bind(limit)
}

/// The plans of the statements `ledger` may run for `filter` (the benchmark prints them).
pub async fn plans(db: &Db, scope: &Scope, filter: &LedgerFilter, today: Date, limit: i64) -> sqlx::Result<Vec<String>> {
    let statements = if filter.overdue == Some(true) {
        vec![overdue_walk(db, scope, filter, today, limit).await?, overdue_unreported(db, scope, filter, today, limit)]
    } else {
        vec![page_statement(db, scope, filter, limit).await?]
    };
    let mut plans = Vec::new();
    for statement in statements {
        plans.push(statement.plan(db).await?);
    }
    Ok(plans)
}
