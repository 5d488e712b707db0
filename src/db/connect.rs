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

/// How long one request's database work may take on the server's interactive pool (see
/// [`Db::interactive`]): a page that would take longer answers 503 "查询超时,请缩小范围" at once,
/// instead of holding a connection the dashboards and the today lists are waiting for.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections of the server's interactive pool.
pub const INTERACTIVE_CONNECTIONS: u32 = 8;

/// Connections of the server's pool for lists and searches: however many users page through the
/// registry at once, at most these run, and the interactive pool stays free for the dashboards,
/// the today lists and every write (docs/architecture.md, "No request starves the others").
pub const LIST_CONNECTIONS: u32 = 2;

/// Connections of the server's pool for long work (exports, imports, the clock's sweeps): however
/// many of those run, they hold at most these, never the interactive pool's.
pub const LONG_WORK_CONNECTIONS: u32 = 2;

/// Each SQLite connection's page cache, in KiB (`cache_size`); with the pools above, the server
/// caches at most (8 + 2 + 2) × 16 MiB of pages (docs/architecture.md, "Memory budget").
const SQLITE_CACHE_KIB: u32 = 16_384;

/// Opens a pool for `url` (`postgres://…` or `sqlite://…`), creating a SQLite file if needed: the
/// command line's pool, without a statement timeout; the server derives its own two pools from it.
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
            .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"));
        private_file(options.get_filename())?;
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await.context("opening SQLite")?;
        return Ok(Db::Sqlite(pool));
    }
    anyhow::bail!("unsupported database URL (use postgres://… or sqlite://…)")
}

impl Db {
    /// The server's pool for requests, on the same database: [`INTERACTIVE_CONNECTIONS`], and each
    /// checkout's work limited to `timeout` — on PostgreSQL each statement (`statement_timeout`), on
    /// SQLite everything run from the moment the connection is taken (a progress handler that
    /// interrupts it). Either ends in [`Overload::TimedOut`], which answers 503.
    pub fn interactive(&self, timeout: Duration) -> Db {
        self.timed(INTERACTIVE_CONNECTIONS, timeout)
    }

    /// The server's pool for lists and searches: [`LIST_CONNECTIONS`], the same timeout as the
    /// interactive pool's. A list waiting past the acquire timeout for one answers 503 `busy`.
    pub fn for_lists(&self, timeout: Duration) -> Db {
        self.timed(LIST_CONNECTIONS, timeout)
    }

    /// A pool of `connections` (twice as many on PostgreSQL, whose server does the work in its own
    /// processes) whose each checkout's work is limited to `timeout`.
    fn timed(&self, connections: u32, timeout: Duration) -> Db {
        let acquire = Duration::from_secs(5);
        match self {
            Db::Postgres(pool) => {
                let options = (*pool.connect_options()).clone().options([("statement_timeout", timeout.as_millis().to_string())]);
                Db::Postgres(PgPoolOptions::new().max_connections(connections * 2).acquire_timeout(acquire).connect_lazy_with(options))
            }
            Db::Sqlite(pool) => {
                let options = (*pool.connect_options()).clone();
                let pool = SqlitePoolOptions::new()
                    .max_connections(connections)
                    .acquire_timeout(acquire)
                    .after_connect(move |conn, _| Box::pin(async move { interrupt_after(conn, timeout).await }))
                    .before_acquire(move |conn, _| Box::pin(async move { interrupt_after(conn, timeout).await.map(|()| true) }))
                    .connect_lazy_with(options);
                Db::Sqlite(pool)
            }
        }
    }

    /// The server's pool for long work, on the same database: [`LONG_WORK_CONNECTIONS`], no timeout.
    pub fn for_long_work(&self) -> Db {
        match self {
            Db::Postgres(pool) => Db::Postgres(PgPoolOptions::new().max_connections(LONG_WORK_CONNECTIONS).connect_lazy_with((*pool.connect_options()).clone())),
            Db::Sqlite(pool) => Db::Sqlite(SqlitePoolOptions::new().max_connections(LONG_WORK_CONNECTIONS).connect_lazy_with((*pool.connect_options()).clone())),
        }
    }
}

/// Interrupts whatever `conn` runs once `timeout` has passed from now (SQLite has no statement
/// timeout of its own). The handler is called every thousand virtual-machine steps, so it costs a
/// clock read per few microseconds of work; taking the connection again restarts the clock.
async fn interrupt_after(conn: &mut sqlx::SqliteConnection, timeout: Duration) -> Result<(), sqlx::Error> {
    let started = std::time::Instant::now();
    conn.lock_handle().await?.set_progress_handler(1000, move || started.elapsed() < timeout);
    Ok(())
}

/// Why the database could not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// The statement ran past the timeout and was stopped.
    TimedOut,
    /// No connection came free in time, or another writer held the lock past the busy timeout.
    Busy,
}

/// Whether a database error says it could not answer in time, and why; `None` for any other error.
pub fn overload(err: &sqlx::Error) -> Option<Overload> {
    match err {
        sqlx::Error::PoolTimedOut => Some(Overload::Busy),
        sqlx::Error::Database(e) => match e.code().as_deref() {
            // SQLITE_INTERRUPT; PostgreSQL's query_canceled.
            Some("9" | "57014") => Some(Overload::TimedOut),
            // SQLITE_BUSY and its extended codes (recovery, snapshot, timeout).
            Some("5" | "261" | "517" | "773") => Some(Overload::Busy),
            _ => None,
        },
        _ => None,
    }
}
