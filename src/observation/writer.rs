//! Group commit for check-ins. Twice a day every person under observation reports within the same
//! hour; on SQLite, one transaction per report would make them queue for the single write lock. Here
//! writer tasks — one on SQLite, four on PostgreSQL — each take every report waiting (up to
//! [`MAX_BATCH`]), write them in one transaction with [`checkins::write_batch`], and only then answer
//! each request: a 201 is sent after the commit, never before.

use super::checkins::{self, Recorded, Submission};
use crate::db::Db;
use crate::error::AppError;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Reports written per transaction at most.
pub const MAX_BATCH: usize = 256;

struct Job {
    submission: Submission,
    reply: oneshot::Sender<Result<Recorded, AppError>>,
}

/// A handle to the writer tasks; cheap to clone.
#[derive(Clone)]
pub struct CheckInWriter {
    jobs: mpsc::Sender<Job>,
}

impl CheckInWriter {
    /// Starts the writer tasks on the current Tokio runtime: one on SQLite (one writer at a time is
    /// all SQLite allows), four on PostgreSQL (whose row locks let writers run side by side).
    pub fn spawn(db: Db) -> CheckInWriter {
        let (jobs, queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let writers = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => 4,
        };
        let queue = Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..writers {
            tokio::spawn(run(db.clone(), queue.clone()));
        }
        CheckInWriter { jobs }
    }

    /// Records a check-in as [`checkins::record`] does, in a transaction shared with whatever other
    /// reports are waiting.
    pub async fn record(&self, submission: Submission) -> Result<Recorded, AppError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::Internal(anyhow::anyhow!("check-in writer stopped"));
        self.jobs.send(Job { submission, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(db: Db, queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = queue.lock().await.recv_many(&mut jobs, MAX_BATCH).await;
        if received == 0 {
            return; // every handle dropped: the server is shutting down
        }
        let (batch, replies): (Vec<_>, Vec<_>) = jobs.drain(..).map(|job| (job.submission, job.reply)).unzip();
        for (reply, result) in replies.into_iter().zip(checkins::write_batch(&db, batch).await) {
            // The client may have gone; its report is committed all the same.
            let _ = reply.send(result);
        }
    }
}
