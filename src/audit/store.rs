use super::{Actor, AuditEvent, AuditRow};
use crate::db::{Conn, Db};
use crate::on_db;
use fangkong_rules::Scope;

pub const INSERT_SQL: &str = "insert into audit_log (at, actor_id, actor, action, record_type, record_id, org_code, client_addr, detail) \
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Records an event that is not part of a write (a view, a search, an export, a login).
pub async fn record(db: &Db, actor: &Actor, event: AuditEvent) -> sqlx::Result<()> {
    on_db!(db, pool => insert(&mut *pool.acquire().await?, actor, event).await)
}

/// Inserts an audit row on `conn`: inside a write's transaction (`&mut *tx`), so that the row
/// commits or rolls back with the write.
pub async fn insert<'a>(conn: impl Into<Conn<'a>>, actor: &Actor, event: AuditEvent) -> sqlx::Result<()> {
    crate::on_conn!(conn, c => sqlx::query::<DB>(INSERT_SQL)
        .bind(crate::db::now_micros())
        .bind(actor.user_id)
        .bind(&actor.username)
        .bind(event.action)
        .bind(event.record_type)
        .bind(event.record_id)
        .bind(event.org_code)
        .bind(actor.client_addr.as_deref())
        .bind(event.detail)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The newest audit rows about records in `scope`, older than `before` when paging.
pub async fn list(db: &Db, scope: &Scope, action: Option<&str>, before: Option<i64>, limit: i64) -> sqlx::Result<Vec<AuditRow>> {
    let (low, high) = scope.bounds();
    on_db!(db, pool => {
        sqlx::query_as::<DB, AuditRow>(
            "select id, at, actor_id, actor, action, record_type, record_id, org_code, client_addr, detail \
             from audit_log where org_code >= $1 and org_code < $2 \
             and ($3 is null or action = $3) and ($4 is null or id < $4) \
             order by id desc limit $5",
        )
        .bind(low).bind(high).bind(action).bind(before).bind(limit)
        .fetch_all(pool).await
    })
}
