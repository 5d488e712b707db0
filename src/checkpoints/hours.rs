//! What each point recorded per Beijing hour (`point_counts`): the same metrics as the unit
//! counts (`counts::CHECKPOINT_*`), kept in the record's transaction, so a point's page draws its
//! day from 24 rows at most. `report verify` recomputes them from the records ([`verify`]) and
//! `report rebuild` replaces them ([`rebuild`]).

use crate::counts::{CHECKPOINT_FEVERS, CHECKPOINT_PERSONS, CHECKPOINT_REFERRALS, CHECKPOINT_VEHICLES, Drift};
use crate::db::{Conn, Db};
use crate::on_db;
use std::collections::BTreeMap;
use time::Date;

/// The metrics a point keeps per hour, in the order its chart draws them.
pub const METRICS: [&str; 4] = [CHECKPOINT_PERSONS, CHECKPOINT_VEHICLES, CHECKPOINT_FEVERS, CHECKPOINT_REFERRALS];

/// The Beijing hour of an instant, `2020-02-04 14`.
pub fn hour_of(micros: i64) -> String {
    let mut hour = crate::clock::format_micros(micros);
    hour.truncate(13);
    hour
}

/// Changes to points' hourly counts gathered in a transaction.
#[derive(Debug, Default)]
pub struct PointTally(BTreeMap<(i64, String, &'static str), i64>);

impl PointTally {
    pub fn add(&mut self, point: i64, at: i64, metric: &'static str, delta: i64) {
        *self.0.entry((point, hour_of(at), metric)).or_default() += delta;
    }

    pub fn merge(&mut self, other: PointTally) {
        for (key, n) in other.0 {
            *self.0.entry(key).or_default() += n;
        }
    }
}

/// Writes a [`PointTally`] on `conn`, inside the records' transaction, one upsert per 500 counts.
pub async fn write<'a>(conn: impl Into<Conn<'a>>, tally: &PointTally) -> sqlx::Result<()> {
    let changes: Vec<(&(i64, String, &'static str), i64)> = tally.0.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (k, *n)).collect();
    crate::on_conn!(conn, c => {
        for chunk in changes.chunks(500) {
            let mut upsert = sqlx::QueryBuilder::<DB>::new("insert into point_counts (point_id, hour, metric, n) ");
            upsert.push_values(chunk, |mut row, ((point, hour, metric), n)| {
                row.push_bind(*point).push_bind(hour.clone()).push_bind(*metric).push_bind(*n);
            });
            upsert.push(" on conflict (point_id, hour, metric) do update set n = point_counts.n + excluded.n");
            upsert.build().execute(&mut *c).await?;
        }
        Ok(())
    })
}

/// One hour of a point's day: the hour (0–23) and its counts by metric.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Hour {
    pub hour: u8,
    pub persons: i64,
    pub vehicles: i64,
    pub fevers: i64,
    pub referrals: i64,
}

/// The 24 hours of a point's `day`.
pub async fn of_day(db: &Db, point: i64, day: Date) -> sqlx::Result<Vec<Hour>> {
    let (from, to) = (format!("{day} 00"), format!("{day} 99"));
    let rows: Vec<(String, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, i64)>(
        "select hour, metric, n from point_counts where point_id = $1 and hour >= $2 and hour < $3").bind(point).bind(&from).bind(&to).fetch_all(pool).await)?;
    let mut hours: Vec<Hour> = (0..24).map(|hour| Hour { hour, ..Hour::default() }).collect();
    for (hour, metric, n) in rows {
        let Some(h) = hour.get(11..13).and_then(|h| h.parse::<usize>().ok()).and_then(|h| hours.get_mut(h)) else { continue };
        match metric.as_str() {
            CHECKPOINT_PERSONS => h.persons += n,
            CHECKPOINT_VEHICLES => h.vehicles += n,
            CHECKPOINT_FEVERS => h.fevers += n,
            CHECKPOINT_REFERRALS => h.referrals += n,
            _ => {}
        }
    }
    Ok(hours)
}

fn sqlite_hour(column: &str) -> String {
    format!("strftime('%Y-%m-%d %H', {column} / 1000000 + 28800, 'unixepoch')")
}

fn postgres_hour(column: &str) -> String {
    format!("to_char(to_timestamp({column} / 1000000 + 28800) at time zone 'UTC', 'YYYY-MM-DD HH24')")
}

/// Every point count as the records say: `(point_id, hour, metric, n)`.
fn recomputation(db: &Db) -> String {
    let hour = match db {
        Db::Sqlite(_) => sqlite_hour("screened_at"),
        Db::Postgres(_) => postgres_hour("screened_at"),
    };
    format!(
        "select point_id, {hour} as hour, '{CHECKPOINT_PERSONS}' as metric, count(*) as n from screened_persons group by point_id, 2 \
         union all select point_id, {hour}, '{CHECKPOINT_FEVERS}', count(*) from screened_persons where fever group by point_id, 2 \
         union all select point_id, {hour}, '{CHECKPOINT_REFERRALS}', count(*) from screened_persons where result = 'referred' group by point_id, 2 \
         union all select point_id, {hour}, '{CHECKPOINT_VEHICLES}', count(*) from screenings where plate is not null group by point_id, 2"
    )
}

/// The unit counts' facts of the screenings, grouped at the points' units (for `counts::recompute`).
pub fn unit_facts(local_day: fn(&str) -> String) -> Vec<String> {
    let day = local_day("screened_at");
    vec![
        format!("select org_code, '{}', '', count(*) from screening_points where closed_on is null group by org_code", crate::counts::CHECKPOINTS_OPEN),
        format!("select org_code, '{CHECKPOINT_PERSONS}', {day}, count(*) from screened_persons group by org_code, 3"),
        format!("select org_code, '{CHECKPOINT_FEVERS}', {day}, count(*) from screened_persons where fever group by org_code, 3"),
        format!("select org_code, '{CHECKPOINT_REFERRALS}', {day}, count(*) from screened_persons where result = 'referred' group by org_code, 3"),
        format!("select org_code, '{CHECKPOINT_VEHICLES}', {day}, count(*) from screenings where plate is not null group by org_code, 3"),
    ]
}

/// Every point count that differs from its recomputation, as a drift of the unit `point <id>` on
/// the hour.
pub async fn verify(db: &Db) -> sqlx::Result<Vec<Drift>> {
    let sql = format!(
        "with expected as ({}), stored as (select point_id, hour, metric, n from point_counts) \
         select coalesce(e.point_id, s.point_id), coalesce(e.hour, s.hour), coalesce(e.metric, s.metric), coalesce(s.n, 0), coalesce(e.n, 0) \
         from expected e full outer join stored s on s.point_id = e.point_id and s.hour = e.hour and s.metric = e.metric \
         where coalesce(s.n, 0) <> coalesce(e.n, 0)",
        recomputation(db)
    );
    let rows: Vec<(i64, String, String, i64, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (i64, String, String, i64, i64)>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(point, hour, metric, stored, expected)| Drift { org_code: format!("point {point}"), metric, day: hour, stored, expected }).collect())
}

/// Replaces every point count with its recomputation, on `conn` inside the rebuild's transaction.
pub async fn rebuild<'a>(conn: impl Into<Conn<'a>>, db: &Db) -> sqlx::Result<()> {
    let insert = format!("insert into point_counts (point_id, hour, metric, n) select point_id, hour, metric, n from ({}) recomputed", recomputation(db));
    crate::on_conn!(conn, c => {
        sqlx::query::<DB>("delete from point_counts").execute(&mut *c).await?;
        sqlx::query::<DB>(sqlx::AssertSqlSafe(insert)).execute(&mut *c).await?;
        Ok(())
    })
}

/// Each point's totals of `day` (its hours summed), for a list of points.
pub async fn day_totals(db: &Db, points: &[i64], day: Date) -> sqlx::Result<std::collections::HashMap<i64, Hour>> {
    let mut totals: std::collections::HashMap<i64, Hour> = std::collections::HashMap::new();
    if points.is_empty() {
        return Ok(totals);
    }
    let places = (0..points.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!("select point_id, metric, cast(sum(n) as bigint) from point_counts where hour >= $1 and hour < $2 and point_id in ({places}) group by point_id, metric");
    let (from, to) = (format!("{day} 00"), format!("{day} 99"));
    let rows: Vec<(i64, String, i64)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (i64, String, i64)>(sqlx::AssertSqlSafe(&*sql)).bind(&from).bind(&to);
        for point in points {
            q = q.bind(*point);
        }
        q.fetch_all(pool).await
    })?;
    for (point, metric, n) in rows {
        let total = totals.entry(point).or_default();
        match metric.as_str() {
            CHECKPOINT_PERSONS => total.persons += n,
            CHECKPOINT_VEHICLES => total.vehicles += n,
            CHECKPOINT_FEVERS => total.fevers += n,
            CHECKPOINT_REFERRALS => total.referrals += n,
            _ => {}
        }
    }
    Ok(totals)
}
