//! Group commit for check-ins. Twice a day every person under observation reports within the same
//! hour: writer tasks — one on SQLite, four on PostgreSQL (whose row locks let writers run side by
//! side) — each take every report waiting (up to [`MAX_BATCH`]), write them in one transaction
//! with [`checkins::write_batch`], and only then answer each request (`crate::db::group_commit`).

use super::checkins::{self, Recorded, Submission};
use crate::db::Db;
use crate::db::group_commit::GroupCommit;
use crate::error::AppError;

/// Reports written per transaction at most.
pub const MAX_BATCH: usize = 256;

/// A handle to the check-in writer tasks; cheap to clone.
#[derive(Clone)]
pub struct CheckInWriter(GroupCommit<Submission, Recorded>);

impl CheckInWriter {
    /// Starts the writer tasks on the current Tokio runtime.
    pub fn spawn(db: Db) -> CheckInWriter {
        let writers = match db {
            Db::Sqlite(_) => 1,
            Db::Postgres(_) => 4,
        };
        CheckInWriter(GroupCommit::spawn(db, writers, MAX_BATCH, |db: Db, batch| async move { checkins::write_batch(&db, batch).await }))
    }

    /// Records a check-in as [`checkins::record`] does, in a transaction shared with whatever other
    /// reports are waiting.
    pub async fn record(&self, submission: Submission) -> Result<Recorded, AppError> {
        self.0.submit(submission).await
    }
}
