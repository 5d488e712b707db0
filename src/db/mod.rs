//! Storage: one body of SQL on SQLite (the embedded default) and PostgreSQL (production).
//!
//! Both drivers take `$1…$n` placeholders, so a query is written once and expanded per backend by
//! [`on_db!`]. Timestamps are integer epoch microseconds (SQLite would sort RFC 3339 text wrongly);
//! dates are `date` on PostgreSQL and ISO text on SQLite, both decoded as `time::Date`.

mod connect;
pub mod group_commit;
pub mod statement;

pub use connect::{INTERACTIVE_CONNECTIONS, LIST_CONNECTIONS, LONG_WORK_CONNECTIONS, Overload, STATEMENT_TIMEOUT, connect, database_url_for, overload};

use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` once per backend with `$pool` bound to that backend's pool and the type alias `DB`
/// naming its `sqlx::Database`, so `sqlx::query_as::<DB, Row>(SQL)` is written once. (A macro for
/// the reason given at [`on_conn!`].)
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                #[allow(dead_code)]
                type DB = sqlx::Sqlite;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                #[allow(dead_code)]
                type DB = sqlx::Postgres;
                $body
            }
        }
    };
}

/// A connection of either database — inside a transaction, `&mut *tx` converts into one — as the
/// shared write helpers take it (`audit::insert`, `counts::write`, …), so that they are ordinary
/// functions, type-checked where they are called, with their SQL written once ([`on_conn!`]).
pub enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

impl<'a> From<&'a mut sqlx::SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut sqlx::SqliteConnection) -> Conn<'a> {
        Conn::Sqlite(c)
    }
}

impl<'a> From<&'a mut sqlx::PgConnection> for Conn<'a> {
    fn from(c: &'a mut sqlx::PgConnection) -> Conn<'a> {
        Conn::Postgres(c)
    }
}

impl<'a> Conn<'a> {
    /// Whatever converts into a connection (`&mut *tx`, or a `Conn` itself), as [`on_conn!`] takes it.
    pub fn of(conn: impl Into<Conn<'a>>) -> Conn<'a> {
        conn.into()
    }

    /// The same connection borrowed again, for a helper that runs several statements on it.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// Bind parameters per multi-row statement at most: under SQLite's 32,766 and PostgreSQL's 65,535.
pub const MAX_BINDS: usize = 30_000;

/// Runs `$body` with `$conn` bound to the connection of a [`Conn`] and `DB` naming its database,
/// as [`on_db!`] does for a pool. A macro because sqlx types every query by its database: a body
/// written once must be compiled once per database, and a generic function would have to restate
/// sqlx's per-type bounds (`i64: Encode<DB>`, …) at every use, since Rust does not carry them
/// through a trait.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $crate::db::Conn::of($conn) {
            $crate::db::Conn::Sqlite($c) => {
                #[allow(dead_code)]
                type DB = sqlx::Sqlite;
                $body
            }
            $crate::db::Conn::Postgres($c) => {
                #[allow(dead_code)]
                type DB = sqlx::Postgres;
                $body
            }
        }
    };
}

impl Db {
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock while migrating, so two
    /// servers starting together against one database do not race.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        // A migration that adds counted metrics asks for the counts to be filled from the
        // records; one server claims the request.
        let claimed = on_db!(self, pool => sqlx::query::<DB>("delete from app_flags where name = 'counts_rebuild'").execute(pool).await.map(|r| r.rows_affected()))?;
        if claimed > 0
            && let Err(e) = crate::counts::rebuild(self).await
        {
            on_db!(self, pool => sqlx::query::<DB>("insert into app_flags (name, value, set_at) values ('counts_rebuild', 'pending', 0) on conflict (name) do nothing").execute(pool).await.map(|_| ()))?;
            return Err(e.into());
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// Whether a database error is a unique-key violation (mapped to a 409 or a field error by callers).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// `$1, $2, … $count`: the placeholders of an `in (…)` list bound one value each.
pub fn placeholders(count: usize) -> String {
    placeholders_from(1, count)
}

/// `$first, … $(first + count - 1)`: an `in (…)` list after `first - 1` other parameters.
pub fn placeholders_from(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Ids written into an `in (…)` list (integers only, so nothing a caller typed reaches the SQL).
pub fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// Microseconds since the Unix epoch, the one timestamp representation in storage.
pub fn now_micros() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1000) as i64
}
