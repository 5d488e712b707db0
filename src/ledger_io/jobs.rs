//! Imports started from the web page run as background jobs: the upload answers at once with the
//! job's page, which follows the rows checked so far (kept in the memory of the server running the
//! import) and shows the report once it is done (kept in `import_jobs`). An import writes in one
//! transaction, so a job cut short by a restart changed nothing; its page says so once the job is
//! older than any import takes.

use super::import::{self, Mode, Report};
use crate::audit::Actor;
use crate::db::{Db, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::{OrgCode, Scope};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A job still running after this long was cut short (a million rows take about a minute).
const INTERRUPTED_AFTER_MICROS: i64 = 3_600_000_000;

#[derive(Default)]
struct Progress {
    total: AtomicUsize,
    checked: AtomicUsize,
}

/// The jobs this server is running, with their progress; cheap to clone.
#[derive(Clone, Default)]
pub struct ImportJobs {
    running: Arc<Mutex<HashMap<i64, Arc<Progress>>>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct JobRow {
    id: i64,
    org_code: String,
    file_name: String,
    status: String,
    rows_total: i64,
    report: Option<String>,
    error: Option<String>,
    created_at: i64,
}

/// Where a job stands, as its page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobStatus {
    pub id: i64,
    pub org_code: String,
    pub file_name: String,
    /// `running`, `done`, `failed` or `interrupted` (cut short by a restart: nothing was written).
    pub status: String,
    /// Data rows in the file, once read (0 while it is being read).
    pub rows_total: usize,
    /// Rows checked so far; the valid ones are written after the last is checked.
    pub rows_checked: usize,
    /// Why the file could not be imported, in Chinese.
    pub error: Option<String>,
    pub report: Option<Report>,
}

impl JobStatus {
    pub fn percent(&self) -> usize {
        (self.rows_checked * 100).checked_div(self.rows_total).unwrap_or(0)
    }
}

/// What a job reads and where it writes.
pub struct NewJob {
    pub actor: Actor,
    pub scope: Scope,
    pub org: OrgCode,
    pub mode: Mode,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl ImportJobs {
    /// Records the job and starts it on the current runtime; returns its id at once. A target unit
    /// out of scope is refused here, before anything runs.
    pub async fn start(&self, db: &Db, job: NewJob) -> AppResult<i64> {
        import::check_target(db, &job.scope, &job.org).await?;
        let mode = if job.mode == Mode::ValidRows { "valid_rows" } else { "all_or_nothing" };
        let id = on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
            "insert into import_jobs (org_code, user_id, file_name, mode, status, created_at) values ($1, $2, $3, $4, 'running', $5) returning id")
            .bind(job.org.as_str()).bind(job.actor.user_id).bind(&job.file_name).bind(mode).bind(now_micros()).fetch_one(pool).await)?;
        let progress = Arc::new(Progress::default());
        self.lock().insert(id, progress.clone());
        let (jobs, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            let outcome = run(&db, &job, &progress).await;
            if let Err(e) = finish(&db, id, progress.total.load(Ordering::Relaxed), outcome).await {
                tracing::error!(job = id, error = %e, "import job outcome not recorded");
            }
            jobs.lock().remove(&id);
        });
        Ok(id)
    }

    /// A job on a unit in scope.
    pub async fn status(&self, db: &Db, scope: &Scope, id: i64) -> AppResult<JobStatus> {
        let (low, high) = scope.bounds();
        let row = on_db!(db, pool => sqlx::query_as::<DB, JobRow>(
            "select id, org_code, file_name, status, rows_total, report, error, created_at from import_jobs where id = $1 and org_code >= $2 and org_code < $3")
            .bind(id).bind(low).bind(high).fetch_optional(pool).await)?
        .ok_or(AppError::NotFound)?;
        let report = row.report.as_deref().map(serde_json::from_str::<Report>).transpose().map_err(|e| AppError::Internal(e.into()))?;
        let live = self.lock().get(&id).map(|p| (p.total.load(Ordering::Relaxed), p.checked.load(Ordering::Relaxed)));
        let total = usize::try_from(row.rows_total).unwrap_or(0);
        let (status, rows_total, rows_checked) = match (row.status.as_str(), live) {
            ("running", Some((total, checked))) => ("running", total, checked),
            ("running", None) if now_micros() - row.created_at > INTERRUPTED_AFTER_MICROS => ("interrupted", total, 0),
            // Running on another server sharing the database: no progress to show here.
            ("running", None) => ("running", total, 0),
            ("done", _) => ("done", total, total),
            _ => ("failed", total, 0),
        };
        Ok(JobStatus { id: row.id, org_code: row.org_code, file_name: row.file_name, status: status.into(), rows_total, rows_checked, error: row.error, report })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Progress>>> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn run(db: &Db, job: &NewJob, progress: &Progress) -> AppResult<Report> {
    let rows = super::read::read(&job.bytes).map_err(|m| AppError::invalid("file", "file_unreadable", m))?;
    progress.total.store(rows.len().saturating_sub(1), Ordering::Relaxed);
    let count = |n: usize| progress.checked.store(n, Ordering::Relaxed);
    import::import(db, &job.actor, &job.scope, import::Sheet { org: &job.org, rows: &rows, mode: job.mode, today: crate::clock::today() }, &count).await
}

async fn finish(db: &Db, id: i64, total: usize, outcome: AppResult<Report>) -> anyhow::Result<()> {
    let (status, report, error) = match outcome {
        Ok(report) => ("done", Some(serde_json::to_string(&report)?), None),
        Err(AppError::Invalid(errors)) => ("failed", None, Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(";"))),
        Err(e) => {
            tracing::error!(job = id, error = ?e, "import job failed");
            ("failed", None, Some("导入时出现系统错误,数据库未作任何改动,请稍后重试".to_string()))
        }
    };
    on_db!(db, pool => sqlx::query::<DB>("update import_jobs set status = $1, rows_total = $2, report = $3, error = $4, finished_at = $5 where id = $6")
        .bind(status).bind(total as i64).bind(report).bind(error).bind(now_micros()).bind(id).execute(pool).await.map(|_| ()))?;
    Ok(())
}
