use super::Db;
use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The database URL to use: the one given, or a SQLite file in the data directory.
pub fn database_url_for(database_url: Option<&str>, data_dir: &Path) -> String {
    match database_url {
        Some(url) if !url.is_empty() => url.to_string(),
        _ => format!("sqlite://{}", data_dir.join("fangkong.sqlite").display()),
    }
}

/// Opens a pool for `url` (`postgres://…` or `sqlite://…`), creating a SQLite file if needed.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await.context("connecting to PostgreSQL")?;
        return Ok(Db::Postgres(pool));
    }
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit reaches the disk before it is acknowledged (NORMAL could lose the last
            // commits on power loss). Check-ins are group-committed, so the fsync is shared.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536");
        if let Some(dir) = options.get_filename().parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.context("opening SQLite")?;
        return Ok(Db::Sqlite(pool));
    }
    anyhow::bail!("unsupported database URL (use postgres://… or sqlite://…)")
}
