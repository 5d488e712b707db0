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

/// The database file holds residents' personal data: a new one (and a directory made for it) is
/// readable by this account only. SQLite gives its `-wal` and `-shm` files the main file's mode.
fn private_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if path.as_os_str().is_empty() || path.exists() || path.to_str() == Some(":memory:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(())
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
        private_file(options.get_filename())?;
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.context("opening SQLite")?;
        return Ok(Db::Sqlite(pool));
    }
    anyhow::bail!("unsupported database URL (use postgres://… or sqlite://…)")
}
