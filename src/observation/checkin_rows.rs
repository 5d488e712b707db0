//! The one statement that writes check-ins: the writer's batches (see [`super::checkins`]) and the
//! benchmark city both come here.

use crate::db::Conn;
use time::Date;

/// A check-in as stored: the report of one half-day (`slot`) of an episode.
pub struct CheckInRow<'a> {
    pub day: Date,
    pub episode_id: i64,
    pub org_code: &'a str,
    pub slot: &'a str,
    pub temperature_tenths: i64,
    /// Symptom codes, comma-separated.
    pub symptoms: String,
    pub note: Option<&'a str>,
    /// `resident` or `worker`.
    pub source: &'a str,
    pub reported_at: i64,
    pub created_by: Option<i64>,
    /// The idempotency key, with who sent it and the fingerprint of what it carried.
    pub key: Option<(&'a str, String, &'a str)>,
}

/// Writes check-ins, many rows per statement, on `conn` (inside the caller's transaction). A later
/// report for a half-day already written corrects it (the row keeps its id). Returns `(id,
/// episode id, slot)` of every row written. Counting, alerts and audit are the caller's: what they
/// count depends on the rows there before (see `checkins::write_together`).
pub async fn insert_many<'a>(conn: impl Into<Conn<'a>>, rows: &[CheckInRow<'_>]) -> sqlx::Result<Vec<(i64, i64, String)>> {
    let mut conn = conn.into();
    let mut written = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(crate::db::MAX_BINDS / 13) {
        let ids: Vec<(i64, i64, String)> = crate::on_conn!(conn.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::<DB>::new(
                "insert into check_ins (day, episode_id, org_code, slot, temperature_tenths, symptoms, note, source, reported_at, created_by, \
                 idempotency_key, key_submitter, key_fingerprint) ");
            insert.push_values(chunk, |mut row, r| {
                let (key, submitter, fingerprint) = match &r.key {
                    Some((key, submitter, fingerprint)) => (Some(*key), Some(submitter.as_str()), Some(*fingerprint)),
                    None => (None, None, None),
                };
                row.push_bind(r.day).push_bind(r.episode_id).push_bind(r.org_code).push_bind(r.slot).push_bind(r.temperature_tenths).push_bind(r.symptoms.as_str())
                    .push_bind(r.note).push_bind(r.source).push_bind(r.reported_at).push_bind(r.created_by).push_bind(key).push_bind(submitter).push_bind(fingerprint);
            });
            insert.push(
                " on conflict (day, episode_id, slot) do update set temperature_tenths = excluded.temperature_tenths, symptoms = excluded.symptoms, \
                note = excluded.note, source = excluded.source, reported_at = excluded.reported_at, created_by = excluded.created_by, \
                idempotency_key = excluded.idempotency_key, key_submitter = excluded.key_submitter, key_fingerprint = excluded.key_fingerprint \
                returning id, episode_id, slot",
            );
            insert.build_query_as::<(i64, i64, String)>().fetch_all(c).await?
        });
        written.extend(ids);
    }
    reported_through(conn, rows).await?;
    Ok(written)
}

/// Moves each observation's last reported day up to the latest day written for it, one statement
/// per day in the rows (a batch holds today's reports, and now and then a late one).
async fn reported_through(mut conn: Conn<'_>, rows: &[CheckInRow<'_>]) -> sqlx::Result<()> {
    let mut by_day: std::collections::BTreeMap<Date, Vec<i64>> = std::collections::BTreeMap::new();
    for r in rows {
        by_day.entry(r.day).or_default().push(r.episode_id);
    }
    for (day, mut episodes) in by_day {
        episodes.sort_unstable();
        episodes.dedup();
        for chunk in episodes.chunks(crate::db::MAX_BINDS - 1) {
            let sql = format!("update observation_episodes set reported_through = $1 where reported_through < $1 and id in ({})", crate::db::placeholders_from(2, chunk.len()));
            crate::on_conn!(conn.reborrow(), c => {
                let mut update = sqlx::query::<DB>(sqlx::AssertSqlSafe(&*sql)).bind(day);
                for id in chunk {
                    update = update.bind(id);
                }
                update.execute(c).await.map(|_| ())?
            });
        }
    }
    Ok(())
}
