//! Every count recomputed from the facts: [`verify`] reports the drift, [`rebuild`] repairs it.
//! The facts are grouped once at their own unit; the much smaller grouped rows are then added up
//! to each unit above (codes of 15, 12, 9 and 6 digits; a county's city is its first four digits
//! and `00`).

use super::Key;
use crate::db::Db;
use crate::on_db;
use std::collections::BTreeMap;

/// The facts counted, grouped at their own unit: `(org_code, metric, day, n)`. `local_day` turns
/// an epoch-µs column into its Beijing date as text in the backend's dialect.
fn facts_sql(local_day: fn(&str) -> String) -> String {
    let registered = local_day("created_at");
    let moved = local_day("t.at");
    format!("\
        select org_code, 'case.' || status, '', count(*) from cases group by org_code, status \
        union all select c.org_code, 'case.new.' || t.to_status, {moved}, count(*) from case_transitions t join cases c on c.id = t.case_id group by c.org_code, t.to_status, 3 \
        union all select org_code, 'contacts.observing', cast(last_exposure_date as text), count(*) from contacts where status = 'observing' group by org_code, last_exposure_date \
        union all select org_code, 'contacts.new', {registered}, count(*) from contacts group by org_code, 3 \
        union all select org_code, 'kp.new', {registered}, count(*) from key_persons group by org_code, 3 \
        union all select org_code, 'households', '', count(*) from households group by org_code \
        union all select org_code, 'hh.visited', cast(first_visit as text), count(*) from \
            (select org_code, min(visit_date) as first_visit from household_visits group by household_id, org_code) v group by org_code, first_visit \
        union all select org_code, 'obs.started', cast(start_date as text), count(*) from observation_episodes group by org_code, start_date \
        union all select org_code, 'obs.ended', cast(end_date as text), count(*) from observation_episodes where end_date is not null group by org_code, end_date \
        union all select org_code, 'checkin.reported', cast(day as text), count(distinct episode_id) from check_ins group by org_code, day \
        union all select org_code, 'fever', cast(day as text), count(*) from alerts where kind = 'fever' group by org_code, day \
        union all select org_code, 'needs.open', '', count(*) from life_needs where status <> 'done' group by org_code \
        union all select org_code, 'fu.due', cast(due_date as text), count(*) from follow_ups group by org_code, due_date \
        union all select org_code, 'fu.done', cast(due_date as text), count(*) from follow_ups where done_at is not null group by org_code, due_date")
}

fn sqlite_local_day(column: &str) -> String {
    format!("date({column} / 1000000 + 28800, 'unixepoch')")
}

fn postgres_local_day(column: &str) -> String {
    format!("to_char(to_timestamp({column} / 1000000 + 28800) at time zone 'UTC', 'YYYY-MM-DD')")
}

fn recomputed_sql(db: &Db) -> String {
    let facts = match db {
        Db::Sqlite(_) => facts_sql(sqlite_local_day),
        Db::Postgres(_) => facts_sql(postgres_local_day),
    };
    format!("with facts (org_code, metric, day, n) as materialized ({facts}), units as ( \
           select org_code as unit, metric, day, n from facts \
           union all select substr(org_code, 1, 12), metric, day, n from facts where length(org_code) > 12 \
           union all select substr(org_code, 1, 9), metric, day, n from facts where length(org_code) > 9 \
           union all select substr(org_code, 1, 6), metric, day, n from facts where length(org_code) > 6 \
           union all select substr(org_code, 1, 4) || '00', metric, day, n from facts where substr(org_code, 5, 2) <> '00' \
         ) select unit, metric, day, cast(sum(n) as bigint) from units group by unit, metric, day")
}

async fn recomputed(db: &Db) -> sqlx::Result<BTreeMap<Key, i64>> {
    let sql = recomputed_sql(db);
    let rows: Vec<(String, String, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, String, i64)>(sqlx::AssertSqlSafe(&*sql)).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(u, m, d, n)| ((u, m, d), n)).collect())
}

/// A count that differs from what the facts say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub org_code: String,
    pub metric: String,
    pub day: String,
    pub stored: i64,
    pub expected: i64,
}

/// Every count that differs from its recomputation (a missing row counts as zero).
pub async fn verify(db: &Db) -> sqlx::Result<Vec<Drift>> {
    let expected = recomputed(db).await?;
    let stored: Vec<(String, String, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, String, i64)>(
        "select org_code, metric, day, n from unit_counts").fetch_all(pool).await)?;
    let stored: BTreeMap<Key, i64> = stored.into_iter().map(|(u, m, d, n)| ((u, m, d), n)).collect();
    let mut keys: Vec<&Key> = expected.keys().chain(stored.keys()).collect();
    keys.sort();
    keys.dedup();
    Ok(keys.into_iter().filter_map(|key| {
        let (s, e) = (stored.get(key).copied().unwrap_or(0), expected.get(key).copied().unwrap_or(0));
        (s != e).then(|| Drift { org_code: key.0.clone(), metric: key.1.clone(), day: key.2.clone(), stored: s, expected: e })
    }).collect())
}

/// Replaces every count with its recomputation from the facts, in one transaction.
pub async fn rebuild(db: &Db) -> sqlx::Result<u64> {
    let sql = format!("insert into unit_counts (org_code, metric, day, n) {}", recomputed_sql(db));
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("delete from unit_counts").execute(&mut *tx).await?;
        let rows = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(rows)
    }.await)
}
