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
