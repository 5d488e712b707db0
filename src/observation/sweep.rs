//! Alerts the clock raises rather than a reading: a half-day's report still missing at its cut-off,
//! a household whose "nobody home" visit was not followed by a revisit in time, a life-needs request
//! past its due time. Every server runs [`run`] once a minute ([`spawn`]). Each sweep is idempotent —
//! unique indexes, "not already alerted" conditions, and a once-a-day mark in `alert_sweeps` for the
//! large ones — so several servers, restarts and retries raise each alert once. These alerts escalate
//! like any other: unhandled past the rule set's limit, they show on the township's list.

use super::needs::NeedKind;
use super::{AlertKind, Slot, rules};
use crate::clock;
use crate::db::{Db, now_micros};
use crate::on_db;
use std::time::Duration;
use time::Date;

/// Alerts raised by one sweep.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub missed_reports: u64,
    pub overdue_visits: u64,
    pub overdue_needs: u64,
}

/// Episodes read at a time when looking for missing reports.
const EPISODE_SLICE: i64 = 50_000;

/// Missed-report alerts raised per transaction, so that the write lock is never held for long.
const ALERTS_PER_TRANSACTION: usize = 5_000;

/// Starts the once-a-minute sweep on the current runtime.
pub fn spawn(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match run(&db, clock::today(), clock::hour(), now_micros()).await {
                Ok(s) if s != Swept::default() => tracing::info!(missed_reports = s.missed_reports, overdue_visits = s.overdue_visits, overdue_needs = s.overdue_needs, "alerts raised by the clock"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "alert sweep failed; retried in a minute"),
            }
        }
    });
}

/// Raises every alert due at `hour` (Beijing time) on `today`; `now` is the time it is, in epoch µs.
pub async fn run(db: &Db, today: Date, hour: u8, now: i64) -> sqlx::Result<Swept> {
    let rules = rules::in_force(db, today).await?;
    let yesterday = today.previous_day().unwrap_or(today);
    let yesterdays = rules::in_force(db, yesterday).await?;
    let mut due = vec![(yesterday, Slot::Evening, yesterdays.evening_cutoff_hour)];
    if i64::from(hour) >= rules.morning_cutoff_hour {
        due.push((today, Slot::Morning, rules.morning_cutoff_hour));
    }
    if i64::from(hour) >= rules.evening_cutoff_hour {
        due.push((today, Slot::Evening, rules.evening_cutoff_hour));
    }
    let mut swept = Swept::default();
    for (day, slot, cutoff_hour) in due {
        swept.missed_reports += missed_reports(db, day, slot, cutoff_hour, now).await?;
    }
    swept.overdue_visits = overdue_visits(db, today, rules.revisit_days, now).await?;
    swept.overdue_needs = overdue_needs(db, today, now).await?;
    Ok(swept)
}

fn missed_kind(slot: Slot) -> AlertKind {
    match slot {
        Slot::Morning => AlertKind::MissedMorning,
        Slot::Evening => AlertKind::MissedEvening,
    }
}

async fn swept_already(db: &Db, job: &str, day: Date) -> sqlx::Result<bool> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from alert_sweeps where job = $1 and day = $2")
        .bind(job).bind(day).fetch_one(pool).await)
    .map(|n| n > 0)
}

/// Episodes active before the cut-off with no report for that half-day get one alert each.
async fn missed_reports(db: &Db, day: Date, slot: Slot, cutoff_hour: i64, now: i64) -> sqlx::Result<u64> {
    let kind = missed_kind(slot).as_str();
    if swept_already(db, kind, day).await? {
        return Ok(0);
    }
    let cutoff = clock::micros_at(day, cutoff_hour);
    let detail = format!("截至 {cutoff_hour} 时未报体温");
    let mut raised = 0;
    on_db!(db, pool => {
        let last: i64 = sqlx::query_scalar::<DB, i64>("select coalesce(max(id), 0) from observation_episodes").fetch_one(pool).await?;
        let mut after = 0;
        while after < last {
            // Who has not reported is read first, outside any transaction; the write lock is then
            // held only to raise those alerts (a report sent meanwhile is checked again there), so
            // requests writing beside the sweep wait milliseconds, not the length of a read.
            let missing: Vec<i64> = sqlx::query_scalar::<DB, i64>(
                "select e.id from observation_episodes e \
                 where e.id > $1 and e.id <= $2 and e.status = 'active' and e.start_date <= $3 and e.created_at < $4 \
                 and not exists (select 1 from check_ins c where c.day = $3 and c.episode_id = e.id and c.slot = $5)")
                .bind(after).bind(after + EPISODE_SLICE).bind(day).bind(cutoff).bind(slot.as_str()).fetch_all(pool).await?;
            after += EPISODE_SLICE;
            for ids in missing.chunks(ALERTS_PER_TRANSACTION) {
                let list = crate::db::id_list(ids);
                let insert = format!(
                    "insert into alerts (org_code, person_id, episode_id, kind, day, detail, raised_at) \
                     select e.org_code, e.person_id, e.id, $1, $2, $3, $4 from observation_episodes e \
                     where e.id in ({list}) and e.status = 'active' \
                     and not exists (select 1 from check_ins c where c.day = $2 and c.episode_id = e.id and c.slot = $5) \
                     on conflict do nothing returning org_code, kind");
                let mut tx = pool.begin().await?;
                let rows = sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(&*insert))
                    .bind(kind).bind(day).bind(&detail).bind(now).bind(slot.as_str()).fetch_all(&mut *tx).await?;
                raised += crate::counts::alerts_counted(rows, 1, &mut *tx).await?;
                tx.commit().await?;
            }
        }
        sqlx::query::<DB>("insert into alert_sweeps (job, day, done_at) values ($1, $2, $3) on conflict do nothing")
            .bind(kind).bind(day).bind(now).execute(pool).await?;
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(raised)
}

/// Once a day: households whose last visit found nobody home and were not revisited within the
/// rule set's days get an alert, unless one is still open for them.
async fn overdue_visits(db: &Db, today: Date, revisit_days: i64, now: i64) -> sqlx::Result<u64> {
    let job = AlertKind::VisitOverdue.as_str();
    let visited_before = today - time::Duration::days(revisit_days);
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let first = sqlx::query::<DB>("insert into alert_sweeps (job, day, done_at) values ($1, $2, $3) on conflict do nothing")
            .bind(job).bind(today).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
        if !first {
            return Ok(0);
        }
        let raised = crate::counts::alerts_counted(sqlx::query_as::<DB, (String, String)>(
            "insert into alerts (org_code, household_id, kind, day, detail, raised_at) \
             select h.org_code, h.id, $1, $2, '上次走访(' || h.last_visit_date || ')无人在家,未按期复访', $3 from households h \
             where h.last_visit_result = 'nobody_home' and h.last_visit_date < $4 \
             and not exists (select 1 from alerts a where a.household_id = h.id and a.kind = $1 and a.handled_at is null) \
             returning org_code, kind")
            .bind(job).bind(today).bind(now).bind(visited_before).fetch_all(&mut *tx).await?, 1, &mut *tx).await?;
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(raised)
    })
}

/// Requests not done by their due time get one alert each.
async fn overdue_needs(db: &Db, today: Date, now: i64) -> sqlx::Result<u64> {
    let labels: String = NeedKind::ALL.iter().map(|k| format!(" when '{}' then '{}超时未办'", k.as_str(), k.zh())).collect();
    let sql = format!(
        "insert into alerts (org_code, person_id, need_id, kind, day, detail, raised_at) \
         select n.org_code, n.person_id, n.id, $1, $2, case n.kind{labels} else '需求超时未办' end, $3 from life_needs n \
         where n.status <> 'done' and n.due_at < $3 and not exists (select 1 from alerts a where a.need_id = n.id) \
         on conflict do nothing returning org_code, kind"
    );
    on_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let raised = crate::counts::alerts_counted(sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(sql))
            .bind(AlertKind::NeedOverdue.as_str()).bind(today).bind(now).fetch_all(&mut *tx).await?, 1, &mut *tx).await?;
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(raised)
    })
}
