//! Group commit: writer tasks that each take every submission waiting (up to a batch's size),
//! write them in one transaction, and only then answer each request — an acknowledgement is sent
//! after the commit, never before. On SQLite, one transaction per request would make requests
//! queue for the single write lock (its busy handler sleeping between tries, which is where a
//! loaded server's slowest answers came from) and pay one flush each; here one writer does the
//! writing and the flush is shared. The check-ins and the sanitation inspections are written so.

use super::Db;
use crate::error::AppError;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

type Job<S, R> = (S, oneshot::Sender<Result<R, AppError>>);

/// A handle to the writer tasks of one kind of submission; cheap to clone.
pub struct GroupCommit<S, R> {
    jobs: mpsc::Sender<Job<S, R>>,
}

impl<S, R> Clone for GroupCommit<S, R> {
    fn clone(&self) -> Self {
        GroupCommit { jobs: self.jobs.clone() }
    }
}

impl<S: Send + 'static, R: Send + 'static> GroupCommit<S, R> {
    /// Starts `writers` tasks on the current Tokio runtime, each writing up to `max_batch`
    /// submissions at a time with `write`, which answers one result per submission, in order.
    pub fn spawn<F, Fut>(db: Db, writers: usize, max_batch: usize, write: F) -> Self
    where
        F: Fn(Db, Vec<S>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<R, AppError>>> + Send + 'static,
    {
        let (jobs, queue) = mpsc::channel::<Job<S, R>>(4 * max_batch);
        let queue = Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..writers {
            tokio::spawn(run(db.clone(), queue.clone(), max_batch, write.clone()));
        }
        GroupCommit { jobs }
    }

    /// Writes `submission` in a transaction shared with whatever else is waiting, and answers
    /// once that transaction is committed (or refused).
    pub async fn submit(&self, submission: S) -> Result<R, AppError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::Internal(anyhow::anyhow!("group-commit writer stopped"));
        self.jobs.send((submission, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run<S, R, F, Fut>(db: Db, queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Job<S, R>>>>, max_batch: usize, write: F)
where
    F: Fn(Db, Vec<S>) -> Fut,
    Fut: Future<Output = Vec<Result<R, AppError>>>,
{
    let mut jobs = Vec::with_capacity(max_batch);
    loop {
        let received = queue.lock().await.recv_many(&mut jobs, max_batch).await;
        if received == 0 {
            return; // every handle dropped: the server is shutting down
        }
        let (batch, replies): (Vec<S>, Vec<_>) = jobs.drain(..).unzip();
        for (reply, result) in replies.into_iter().zip(write(db.clone(), batch).await) {
            // The client may have gone; what it sent is committed all the same.
            let _ = reply.send(result);
        }
    }
}
