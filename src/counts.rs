//! Roll-up counts (汇总计数): per unit, metric and day, kept in the same transaction as the fact
//! they count, at the fact's unit and every unit above it up to the city — so a board reads a
//! handful of rows for its unit instead of counting a city's records. A gauge (cases by status
//! now) has the empty day; a dated metric (contacts by day of last exposure) is summed over days.
//!
//! [`verify`] recomputes every count from the facts and reports any drift; [`rebuild`] replaces
//! the counts with the recomputation.

use crate::db::Db;
use crate::on_db;
use fangkong_rules::{OrgCode, OrgLevel};
use std::collections::BTreeMap;

/// Cases by status now: `case.suspected`, `case.confirmed`, … (a gauge).
pub fn case_metric(status: &str) -> String {
    format!("case.{status}")
}

/// Close contacts still observed, by day of last exposure.
pub const CONTACTS_OBSERVING: &str = "contacts.observing";

/// The unit and every unit above it, up to the city.
pub fn units_up(code: &str) -> Vec<String> {
    let mut units = Vec::with_capacity(5);
    let mut at = OrgCode::parse(code).ok();
    while let Some(unit) = at {
        let level = unit.level();
        units.push(unit.to_string());
        at = if level <= OrgLevel::City { None } else { unit.parent() };
    }
    if units.is_empty() {
        units.push(code.to_string());
    }
    units
}

/// The upsert that adds to one count.
pub const ADD_SQL: &str = "insert into unit_counts (org_code, metric, day, n) values ($1, $2, $3, $4) \
     on conflict (org_code, metric, day) do update set n = unit_counts.n + excluded.n";

/// Inside an `on_db!` transaction: adds `$delta` to `$metric` on `$day` ("" for a gauge) at
/// `$org_code` and every unit above it.
#[macro_export]
macro_rules! count_add {
    ($tx:expr, $org_code:expr, $metric:expr, $day:expr, $delta:expr) => {
        async {
            for unit in $crate::counts::units_up($org_code) {
                sqlx::query::<DB>($crate::counts::ADD_SQL).bind(unit).bind($metric).bind($day).bind($delta as i64).execute(&mut *$tx).await?;
            }
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// The counts as the facts say they should be: every fact at its unit and each unit above it.
/// Codes are 15 (grid), 12, 9 and 6 digits; a county's city is its first four digits and `00`.
const RECOMPUTED_SQL: &str = "with facts as ( \
       select org_code, 'case.' || status as metric, '' as day from cases \
       union all select org_code, 'contacts.observing', cast(last_exposure_date as text) from contacts where status = 'observing' \
     ), units as ( \
       select org_code as unit, metric, day from facts \
       union all select substr(org_code, 1, 12), metric, day from facts where length(org_code) > 12 \
       union all select substr(org_code, 1, 9), metric, day from facts where length(org_code) > 9 \
       union all select substr(org_code, 1, 6), metric, day from facts where length(org_code) > 6 \
       union all select substr(org_code, 1, 4) || '00', metric, day from facts where substr(org_code, 5, 2) <> '00' \
     ) select unit, metric, day, count(*) from units group by unit, metric, day";

type Key = (String, String, String);

async fn recomputed(db: &Db) -> sqlx::Result<BTreeMap<Key, i64>> {
    let rows: Vec<(String, String, String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, String, String, i64)>(RECOMPUTED_SQL).fetch_all(pool).await)?;
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
    let sql = format!("insert into unit_counts (org_code, metric, day, n) {RECOMPUTED_SQL}");
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("delete from unit_counts").execute(&mut *tx).await?;
        let rows = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(rows)
    }.await)
}

/// The gauges of a unit (metrics with the empty day).
pub async fn gauges(db: &Db, org_code: &str) -> sqlx::Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, i64)>(
        "select metric, n from unit_counts where org_code = $1 and day = ''").bind(org_code).fetch_all(pool).await)?;
    Ok(rows.into_iter().collect())
}

/// The gauges of several units, by unit.
pub async fn gauges_of(db: &Db, org_codes: &[String]) -> sqlx::Result<BTreeMap<String, BTreeMap<String, i64>>> {
    let mut by_unit: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    if org_codes.is_empty() {
        return Ok(by_unit);
    }
    let places = crate::db::placeholders(org_codes.len());
    let sql = format!("select org_code, metric, n from unit_counts where day = '' and org_code in ({places})");
    let rows: Vec<(String, String, i64)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (String, String, i64)>(sqlx::AssertSqlSafe(&*sql));
        for code in org_codes {
            q = q.bind(code);
        }
        q.fetch_all(pool).await
    })?;
    for (unit, metric, n) in rows {
        by_unit.entry(unit).or_default().insert(metric, n);
    }
    Ok(by_unit)
}

/// A dated metric of a unit summed from `from_day` (`YYYY-MM-DD`) on.
pub async fn sum_since(db: &Db, org_code: &str, metric: &str, from_day: &str) -> sqlx::Result<i64> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "select cast(coalesce(sum(n), 0) as bigint) from unit_counts where org_code = $1 and metric = $2 and day >= $3 and day <> ''")
        .bind(org_code).bind(metric).bind(from_day).fetch_one(pool).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_counts_at_every_level_up_to_the_city() {
        assert_eq!(units_up("430481001001001"), ["430481001001001", "430481001001", "430481001", "430481", "430400"]);
        assert_eq!(units_up("430400"), ["430400"]);
    }
}
