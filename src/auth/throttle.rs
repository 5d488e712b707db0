//! Rate limits kept in the database, so that several servers behind one load balancer count
//! together: sign-in attempts per account and per client address, and the public endpoints'
//! buckets (self-report look-ups, requests per link).
//!
//! A hit is counted and its window's total returned by one upsert ([`hit`]): the decision cannot be
//! raced by a burst, on SQLite (one writer) or PostgreSQL (the row is locked by the upsert). A
//! sign-in attempt is counted *before* its password is checked, so a hundred guesses sent at once
//! get at most the allowance checked; a successful sign-in then forgives the account's attempts.

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
    /// An address's allowance is wide: every attempt counts until it is checked, so an office's
    /// sign-ins at the start of a shift, all at once behind one address, count together for a moment.
    fn default() -> Self {
        Limits { per_account: 5, per_address: 100, window: 15 * 60_000_000 }
    }
}

/// An account's bucket names it by a hash: what was typed as a user name (a password, at times)
/// is not kept.
fn account(username: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(username.as_bytes());
    format!("login-account:{}", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn address(client_addr: &str) -> String {
    format!("login-address:{client_addr}")
}

/// Counts a hit on `bucket` and returns the hits of its current window (`window` µs from its first
/// hit), in one statement.
async fn hit(db: &Db, bucket: &str, window: i64) -> sqlx::Result<i64> {
    let now = now_micros();
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "insert into rate_counters (bucket, window_ends, hits) values ($1, $2, 1) on conflict (bucket) do update set \
         hits = case when rate_counters.window_ends <= $3 then 1 else rate_counters.hits + 1 end, \
         window_ends = case when rate_counters.window_ends <= $3 then excluded.window_ends else rate_counters.window_ends end \
         returning hits")
        .bind(bucket).bind(now + window).bind(now).fetch_one(pool).await)
}

/// Counts a hit on `bucket` and says whether it is within `limit` hits per `window` microseconds.
pub async fn allow(db: &Db, bucket: &str, limit: i64, window: i64) -> sqlx::Result<bool> {
    Ok(hit(db, bucket, window).await? <= limit)
}

/// Counts a sign-in attempt for this account from this address and says whether its password may
/// be checked: within the account's and the address's allowance. Expired windows are cleared here.
pub async fn admit_login(db: &Db, limits: &Limits, username: &str, client_addr: &str) -> sqlx::Result<bool> {
    on_db!(db, pool => sqlx::query::<DB>("delete from rate_counters where window_ends <= $1").bind(now_micros()).execute(pool).await.map(|_| ()))?;
    let by_account = hit(db, &account(username), limits.window).await?;
    let by_address = hit(db, &address(client_addr), limits.window).await?;
    Ok(by_account <= limits.per_account && by_address <= limits.per_address)
}

/// A successful sign-in forgives the account's earlier attempts, and its own attempt is taken off
/// the address's count (only failures count against an address shared by an office).
pub async fn login_succeeded(db: &Db, username: &str, client_addr: &str) -> sqlx::Result<()> {
    on_db!(db, pool => async {
        sqlx::query::<DB>("delete from rate_counters where bucket = $1").bind(account(username)).execute(pool).await?;
        sqlx::query::<DB>("update rate_counters set hits = hits - 1 where bucket = $1 and hits > 0").bind(address(client_addr)).execute(pool).await.map(|_| ())
    }.await)
}
