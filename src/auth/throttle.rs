//! Login throttling per account and per client address, kept in the database so that several
//! servers behind one load balancer count together.

use crate::db::{Db, now_micros};
use crate::on_db;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: i64,
    pub per_address: i64,
    /// Window in microseconds.
    pub window: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_account: 5, per_address: 30, window: 15 * 60_000_000 }
    }
}

/// Whether another attempt for this account from this address must be refused for now.
pub async fn is_blocked(db: &Db, limits: &Limits, username: &str, client_addr: &str) -> sqlx::Result<bool> {
    let since = now_micros() - limits.window;
    let (by_account, by_address): (i64, i64) = on_db!(db, pool => sqlx::query_as::<DB, (i64, i64)>(
        "select (select count(*) from login_failures where username = $1 and at > $3), \
                (select count(*) from login_failures where client_addr = $2 and at > $3)")
        .bind(username).bind(client_addr).bind(since).fetch_one(pool).await)?;
    Ok(by_account >= limits.per_account || by_address >= limits.per_address)
}

pub async fn record_failure(db: &Db, limits: &Limits, username: &str, client_addr: &str) -> sqlx::Result<()> {
    let now = now_micros();
    on_db!(db, pool => {
        sqlx::query::<DB>("delete from login_failures where at < $1").bind(now - limits.window).execute(pool).await?;
        sqlx::query::<DB>("insert into login_failures (username, client_addr, at) values ($1, $2, $3)")
            .bind(username).bind(client_addr).bind(now).execute(pool).await.map(|_| ())
    })?;
    Ok(())
}

/// A successful login forgives the account's earlier failures (not the address's).
pub async fn clear_account(db: &Db, username: &str) -> sqlx::Result<()> {
    on_db!(db, pool => sqlx::query::<DB>("delete from login_failures where username = $1").bind(username).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Counts a hit on `bucket` and says whether it is within `limit` hits per `window` microseconds.
/// Used for public endpoints such as self-report links.
pub async fn allow(db: &Db, bucket: &str, limit: i64, window: i64) -> sqlx::Result<bool> {
    let now = now_micros();
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("delete from rate_limit_hits where bucket = $1 and at < $2").bind(bucket).bind(now - window).execute(&mut *tx).await?;
        let hits = sqlx::query_scalar::<DB, i64>("select count(*) from rate_limit_hits where bucket = $1").bind(bucket).fetch_one(&mut *tx).await?;
        if hits >= limit {
            return Ok(false);
        }
        sqlx::query::<DB>("insert into rate_limit_hits (bucket, at) values ($1, $2)").bind(bucket).bind(now).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}
