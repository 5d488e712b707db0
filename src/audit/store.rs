use super::{Actor, AuditEvent, AuditRow};
use crate::db::{Conn, Db};
use crate::on_db;
use fangkong_rules::Scope;

/// Records an event that is not part of a write (a view, a search, an export, a login).
pub async fn record(db: &Db, actor: &Actor, event: AuditEvent) -> sqlx::Result<()> {
    on_db!(db, pool => insert(&mut *pool.acquire().await?, actor, event).await)
}

/// Inserts an audit row on `conn`: inside a write's transaction (`&mut *tx`), so that the row
/// commits or rolls back with the write.
pub async fn insert<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, event: AuditEvent) -> sqlx::Result<()> {
    insert_many(conn, crate::db::now_micros(), &[(actor, event)]).await
}

/// Inserts the audit rows of many writes at `at` in one statement (the check-in writer's batch);
/// the one statement that writes audit rows.
pub async fn insert_many<'a>(conn: impl Into<Conn<'a>>, at: i64, events: &[(&Actor, AuditEvent)]) -> sqlx::Result<()> {
    let mut conn = conn.into();
    for chunk in events.chunks(crate::db::MAX_BINDS / 9) {
        crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new("insert into audit_log (at, actor_id, actor, action, record_type, record_id, org_code, client_addr, detail) ");
            insert.push_values(chunk, |mut row, (actor, event)| {
                row.push_bind(at).push_bind(actor.user_id).push_bind(&actor.username).push_bind(event.action).push_bind(event.record_type)
                    .push_bind(&event.record_id).push_bind(&event.org_code).push_bind(actor.client_addr.as_deref()).push_bind(&event.detail);
            });
            insert.build().execute(c).await?;
        });
    }
    Ok(())
}

/// Which audit rows to list: all of them, or those of one action, one account, written within a
/// span of time; older than `before` when paging.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    /// The account's username as the trail records it.
    pub actor: Option<String>,
    /// Epoch µs: written at or after.
    pub from: Option<i64>,
    /// Epoch µs: written before.
    pub until: Option<i64>,
    pub before: Option<i64>,
}

impl Filter {
    /// Every row of one action.
    pub fn of_action(action: &str) -> Filter {
        Filter { action: Some(action.to_string()), ..Filter::default() }
    }
}

/// How far two writers' times and ids may disagree: a row's time is taken before its insert, so a
/// writer held up by another can take an id after a row stamped later. Bounds found by time are
/// widened by this much and the time itself is then compared exactly.
const INTERLEAVING_MICROS: i64 = 60_000_000;

/// The newest audit rows about records in `scope` that match `filter`. A span of time is turned
/// into a span of ids first ([`first_id_from`]), so a search of last week walks last week's rows,
/// not everything written since; one account's rows are read by their own index.
pub async fn list(db: &Db, scope: &Scope, filter: &Filter, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    let (low, high) = scope.bounds();
    let from_id = match filter.from {
        Some(at) => Some(first_id_from(db, at - INTERLEAVING_MICROS).await?),
        None => None,
    };
    let until_id = match filter.until {
        Some(at) => Some(first_id_from(db, at + INTERLEAVING_MICROS).await?),
        None => None,
    };
    let before = [filter.before, until_id].into_iter().flatten().min();
    // A county's or the city's rows are a large share of the trail: on SQLite they are found by
    // walking it from the newest (`+org_code` keeps the unit index out, which would have every
    // row of the scope read and sorted: 0.7 s for the city's 12 million). A narrower scope is
    // read by unit. PostgreSQL's planner chooses by itself.
    let wide = scope.unit().is_none_or(|unit| unit.as_str().len() <= 6);
    let unit = if wide && matches!(db, Db::Sqlite(_)) { "+org_code" } else { "org_code" };
    on_db!(db, pool => {
        let mut query = sqlx::QueryBuilder::<DB>::new(format!(
            "select id, at, actor_id, actor, action, record_type, record_id, org_code, client_addr, detail from audit_log where {unit} >= "));
        query.push_bind(low).push(format!(" and {unit} < ")).push_bind(high);
        if let Some(action) = &filter.action {
            query.push(" and action = ").push_bind(action);
        }
        // Residents' own reports (no account) are left out of the index this reads.
        if let Some(actor) = &filter.actor {
            query.push(" and actor_id is not null and actor = ").push_bind(actor);
        }
        if let Some(id) = from_id {
            query.push(" and id >= ").push_bind(id);
        }
        if let Some(id) = before {
            query.push(" and id < ").push_bind(id);
        }
        if let Some(at) = filter.from {
            query.push(" and at >= ").push_bind(at);
        }
        if let Some(at) = filter.until {
            query.push(" and at < ").push_bind(at);
        }
        query.push(" order by id desc limit ").push_bind(limit);
        query.build_query_as::<AuditRow>().fetch_all(pool).await
    })
}

/// The lowest id such that every row below it was written before `at`, by bisecting the primary
/// key (ids rise with time): about 25 lookups for a city's trail, and no index on the time, which
/// every check-in's audit row would pay for.
async fn first_id_from(db: &Db, at: i64) -> sqlx::Result<i64> {
    on_db!(db, pool => {
        let mut conn = pool.acquire().await?;
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as::<DB, _>("select (select min(id) from audit_log), (select max(id) from audit_log)").fetch_one(&mut *conn).await?;
        let (Some(mut low), Some(last)) = (first, last) else { return Ok(0) };
        let mut high = last + 1;
        while low < high {
            let mid = low + (high - low) / 2;
            let next: Option<(i64, i64)> = sqlx::query_as::<DB, _>("select id, at from audit_log where id >= $1 order by id limit 1").bind(mid).fetch_optional(&mut *conn).await?;
            match next {
                Some((id, written)) if written < at => low = id + 1,
                _ => high = mid,
            }
        }
        Ok(low)
    })
}
