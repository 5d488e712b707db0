//! Roll-up counts (汇总计数): per unit, metric and day, kept in the same transaction as the fact
//! they count, at the fact's unit and every unit above it up to the city — so a board or a daily
//! report reads a handful of rows for its unit instead of counting a city's records.
//!
//! Two kinds of metric. A *gauge* (cases by status now, households, open life-needs requests) has
//! the empty day. A *dated* metric counts events by the day they happened (Beijing time): a figure
//! "on day D" is that day's row, a cumulative or "now" figure is the sum of the rows up to D (under
//! observation = started − ended). A dated metric also keeps its total over all days under the day
//! [`TOTAL`], so "up to today" is one row rather than the whole outbreak's: up to D = total − the
//! days after D. Only facts are counted, so [`verify`](recompute::verify)
//! recomputes every count from them and [`rebuild`](recompute::rebuild) repairs any drift.

pub mod recompute;

pub use recompute::{Drift, rebuild, verify};

use crate::db::{Conn, Db};
use crate::on_db;
use fangkong_rules::{OrgCode, OrgLevel};
use std::collections::{BTreeMap, HashMap};

/// Cases by status now: `case.suspected`, `case.confirmed`, … (a gauge).
pub fn case_metric(status: &str) -> String {
    format!("case.{status}")
}

/// Cases entering `status` on a day (new suspected, confirmed, excluded, discharged…), dated.
pub fn case_new_metric(status: &str) -> String {
    format!("case.new.{status}")
}

/// Patients holding a bed now (a transfer accepted or admitted), by current classification
/// (`unassessed` when none was recorded): a gauge.
pub fn in_hospital_metric(severity: Option<&str>) -> String {
    format!("inhosp.{}", severity.unwrap_or("unassessed"))
}

/// Beds of a kind (`general`, `isolation`, `icu`) taken — by transfers accepted or admitted —
/// under the hospital's unit (a gauge).
pub fn beds_taken_metric(kind: &str) -> String {
    format!("beds.{kind}")
}

/// Alerts of a kind (`fever`, `missed_am`, …) raised and not yet handled (a gauge).
pub fn open_alerts_metric(kind: &str) -> String {
    format!("alerts.{kind}")
}

/// Close contacts still observed, by day of last exposure.
pub const CONTACTS_OBSERVING: &str = "contacts.observing";
/// Close contacts registered, by day of registration.
pub const CONTACTS_NEW: &str = "contacts.new";
/// Key persons registered, by day of registration.
pub const KEY_PERSONS_NEW: &str = "kp.new";
/// Persons registered under the unit, merged duplicates included (a gauge).
pub const PERSONS: &str = "persons";
/// Households known (a gauge).
pub const HOUSEHOLDS: &str = "households";
/// Households whose latest visit found nobody home: to visit again (a gauge).
pub const HOUSEHOLDS_NOBODY_HOME: &str = "hh.nobody_home";
/// Households visited for the first time, by the day of their first visit.
pub const HOUSEHOLDS_VISITED: &str = "hh.visited";
/// Observation episodes by start day, and by end day.
pub const OBSERVATION_STARTED: &str = "obs.started";
pub const OBSERVATION_ENDED: &str = "obs.ended";
/// People under observation who reported at least once, by day.
pub const CHECKIN_REPORTED: &str = "checkin.reported";
/// People with a fever alert, by day.
pub const FEVERS: &str = "fever";
/// Life-needs requests not yet done (a gauge).
pub const NEEDS_OPEN: &str = "needs.open";
/// Post-discharge follow-ups by due day, and those of them done.
pub const FOLLOW_UPS_DUE: &str = "fu.due";
pub const FOLLOW_UPS_DONE: &str = "fu.done";
/// Sanitation PPE inspections by day at the unit inspected, the required items they found
/// missing, and the points those cost (before appeals).
pub const SANITATION_INSPECTIONS: &str = "san.inspections";
pub const SANITATION_CHECKED: &str = "san.checked";
pub const SANITATION_MISSING: &str = "san.missing";
pub const SANITATION_POINTS: &str = "san.points";
/// Workers inspected: the first inspection of a registered worker in a month, and every one of a
/// worker not on the register (counted on its day).
pub const SANITATION_WORKERS: &str = "san.workers";
/// Points of the inspections that do not count in the month's score (repeats, when the edition
/// says so), on the inspection's day.
pub const SANITATION_UNCOUNTED: &str = "san.uncounted";
/// Points given back by accepted appeals, on the day of the inspection appealed.
pub const SANITATION_RESTORED: &str = "san.restored";
/// Appeals waiting for the centre's decision (a gauge).
pub const SANITATION_APPEALS_OPEN: &str = "san.appeals_open";

/// Screening points (issue 19), by the Beijing day of the screening at the point's unit: persons
/// screened, vehicles stopped, persons whose first reading was a fever, persons referred to a
/// fever clinic (at the screening or by its re-test). Each point keeps the same per hour
/// (`checkpoints::hours`).
pub const CHECKPOINT_PERSONS: &str = "cp.persons";
pub const CHECKPOINT_VEHICLES: &str = "cp.vehicles";
pub const CHECKPOINT_FEVERS: &str = "cp.fevers";
pub const CHECKPOINT_REFERRALS: &str = "cp.referrals";
/// Screening points open now (a gauge), at the unit keeping them.
pub const CHECKPOINTS_OPEN: &str = "cp.open";

/// Times a required item (a `PpeItem` code) was found missing, by the inspection's day.
pub fn sanitation_missed_metric(item: &str) -> String {
    format!("san.miss.{item}")
}

/// Items found missing on workers of a role (a `WorkerRole` code), by the inspection's day.
pub fn sanitation_role_missing_metric(role: &str) -> String {
    format!("san.role_missing.{role}")
}

/// The day under which a dated metric keeps its total over all days (sorts before every date).
pub const TOTAL: &str = "*";

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

type Key = (String, String, String);

/// Count rows packed one string per unit (`metric day n;…`, with the columns `metric`, `day`, `n`),
/// for reads of many counts grouped by unit: on SQLite the driver's cost per row returned
/// (≈ 3 µs on the benchmark machine) outweighs the query itself, so a county's report (≈ 1,500
/// count rows) and `report verify` (a million) read one row per unit instead.
pub const PACKED: &str = "string_agg(metric || ' ' || day || ' ' || n, ';')";

/// The `(metric, day, n)` entries of a [`PACKED`] string.
pub fn unpack(packed: &str) -> impl Iterator<Item = (&str, &str, i64)> {
    packed.split(';').filter_map(|entry| {
        let mut parts = entry.split(' ');
        match (parts.next(), parts.next(), parts.next().map(str::parse::<i64>)) {
            (Some(metric), Some(day), Some(Ok(n))) => Some((metric, day, n)),
            _ => None,
        }
    })
}

/// Count changes gathered in a transaction, written as one upsert per count touched (in key
/// order, so two writers on PostgreSQL take their row locks in the same order).
#[derive(Debug, Default)]
pub struct Tally(BTreeMap<Key, i64>);

impl Tally {
    /// Adds `delta` to `metric` on `day` ("" for a gauge) at `org_code` and every unit above it,
    /// and to the dated metric's total.
    pub fn add(&mut self, org_code: &str, metric: &str, day: &str, delta: i64) {
        for unit in units_up(org_code) {
            if !day.is_empty() {
                *self.0.entry((unit.clone(), metric.to_string(), TOTAL.to_string())).or_default() += delta;
            }
            *self.0.entry((unit, metric.to_string(), day.to_string())).or_default() += delta;
        }
    }

    /// Adds what `other` gathered (a batch's writes, each counted apart until it is known to stand).
    pub fn merge(&mut self, other: Tally) {
        for (key, n) in other.0 {
            *self.0.entry(key).or_default() += n;
        }
    }

    /// The changes to write (those that did not cancel out).
    pub fn changes(&self) -> Vec<(&Key, i64)> {
        self.0.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (k, *n)).collect()
    }
}

/// Writes a [`Tally`] on `conn` (inside the fact's transaction: `&mut *tx`).
pub async fn write<'a>(conn: impl Into<Conn<'a>>, tally: &Tally) -> sqlx::Result<()> {
    crate::on_conn!(conn, c => {
        for chunk in tally.changes().chunks(500) {
            let mut upsert = sqlx::QueryBuilder::<DB>::new("insert into unit_counts (org_code, metric, day, n) ");
            upsert.push_values(chunk, |mut row, (key, n)| {
                row.push_bind(key.0.clone()).push_bind(key.1.clone()).push_bind(key.2.clone()).push_bind(*n);
            });
            upsert.push(" on conflict (org_code, metric, day) do update set n = unit_counts.n + excluded.n");
            upsert.build().execute(&mut *c).await?;
        }
        Ok(())
    })
}

/// Adds `delta` to `metric` on `day` ("" for a gauge) at `org_code` and every unit above it, on
/// `conn` (inside the fact's transaction).
pub async fn add<'a>(conn: impl Into<Conn<'a>>, org_code: &str, metric: &str, day: &str, delta: i64) -> sqlx::Result<()> {
    let mut tally = Tally::default();
    tally.add(org_code, metric, day, delta);
    write(conn, &tally).await
}

/// `rows` (the `(org_code, kind)` of the alerts a statement
/// raised or handled, read before `conn` is lent here): each row adds `delta` to its unit's open alerts of its kind.
/// Returns the number of rows. (A sweep returns up to 50,000 rows per slice: they are
/// grouped by unit before they are added up the tree.)
pub async fn alerts_counted<'a>(rows: Vec<(String, String)>, delta: i64, conn: impl Into<Conn<'a>>) -> sqlx::Result<u64> {
    let n = rows.len() as u64;
    let mut by_unit: HashMap<(String, String), i64> = HashMap::new();
    for row in rows {
        *by_unit.entry(row).or_default() += 1;
    }
    let mut tally = Tally::default();
    for ((org_code, kind), alerts) in &by_unit {
        tally.add(org_code, &open_alerts_metric(kind), "", delta * alerts);
    }
    write(conn, &tally).await?;
    Ok(n)
}

/// The gauges of a unit (metrics with the empty day).
/// How many of a metric's facts are under `unit` (its count; a dated metric's total over all days)
/// and in its whole city (the city's count): what a list reads to choose how to walk its table
/// ([`walk_newest`]).
pub async fn in_unit_and_city(db: &Db, unit: &OrgCode, metric: &str, day: &str) -> sqlx::Result<(i64, i64)> {
    let city = format!("{}00", &unit.as_str()[..4]);
    let rows: Vec<(String, i64)> = on_db!(db, pool => sqlx::query_as::<DB, (String, i64)>("select org_code, n from unit_counts where org_code in ($1, $2) and day = $3 and metric = $4")
        .bind(unit.as_str()).bind(&city).bind(day).bind(metric).fetch_all(pool).await)?;
    let count = |code: &str| rows.iter().find(|(c, _)| c == code).map_or(0, |(_, n)| *n);
    Ok((count(unit.as_str()), count(&city)))
}

/// Whether a newest-first page on SQLite should walk the table from its newest row instead of
/// reading the scope by unit ([`walk_newest`]); the caller then writes the unit test
/// as `+org_code`, which SQLite cannot serve from an index. PostgreSQL's planner chooses by itself.
pub async fn newest_first_walk(db: &Db, scope: &fangkong_rules::Scope, metric: &str, day: &str, limit: i64) -> sqlx::Result<bool> {
    if !matches!(db, Db::Sqlite(_)) {
        return Ok(false);
    }
    // Everything (the command line's scope) is the whole table: walked.
    let Some(unit) = scope.unit() else { return Ok(true) };
    let (in_scope, all) = in_unit_and_city(db, &unit, metric, day).await?;
    Ok(walk_newest(in_scope, all, limit))
}

/// Whether a newest-first page of `limit` rows within a scope holding `in_scope` of `all` rows is
/// read fastest by walking the whole table from the newest row (about `limit × all / in_scope`
/// rows read) rather than reading the scope's rows by unit and sorting them (`in_scope` rows): a
/// county's list takes the first, a grid's the second. SQLite has no statistics to choose by
/// itself; PostgreSQL's planner does (the SQL then stays the same).
pub fn walk_newest(in_scope: i64, all: i64, limit: i64) -> bool {
    in_scope.saturating_mul(in_scope) > limit.max(1).saturating_mul(all)
}

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

/// Dated metrics of a unit summed over the days up to `day`: each one's total less the days after
/// it (so a few rows are read, not the whole outbreak's). Metrics with no count are absent.
pub async fn sums_up_to(db: &Db, org_code: &str, metrics: &[&str], day: &str) -> sqlx::Result<BTreeMap<String, i64>> {
    let places = (0..metrics.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "select metric, cast(sum(case when day = '{TOTAL}' then n else -n end) as bigint) from unit_counts \
         where org_code = $1 and (day = '{TOTAL}' or day > $2) and metric in ({places}) group by metric"
    );
    let rows: Vec<(String, i64)> = on_db!(db, pool => {
        let mut q = sqlx::query_as::<DB, (String, i64)>(sqlx::AssertSqlSafe(&*sql)).bind(org_code).bind(day);
        for metric in metrics {
            q = q.bind(*metric);
        }
        q.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().collect())
}

/// A dated metric of a unit summed from `from_day` (`YYYY-MM-DD`) on.
pub async fn sum_since(db: &Db, org_code: &str, metric: &str, from_day: &str) -> sqlx::Result<i64> {
    on_db!(db, pool => sqlx::query_scalar::<DB, i64>(
        "select cast(coalesce(sum(n), 0) as bigint) from unit_counts where org_code = $1 and metric = $2 and day >= $3 and day > '*'")
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

    #[test]
    fn packed_counts_unpack_to_their_entries() {
        let entries: Vec<_> = unpack("households  12;fever 2020-02-04 3;fever * -1").collect();
        assert_eq!(entries, [("households", "", 12), ("fever", "2020-02-04", 3), ("fever", "*", -1)]);
    }

    #[test]
    fn a_tally_sums_per_count_and_drops_what_cancels_out() {
        let mut tally = Tally::default();
        tally.add("430481001001", "fever", "2020-02-04", 1);
        tally.add("430481002001", "fever", "2020-02-04", 1);
        tally.add("430481002001", "fever", "2020-02-04", -1);
        let changes: Vec<(&str, &str, i64)> = tally.changes().into_iter().map(|(k, n)| (k.0.as_str(), k.2.as_str(), n)).collect();
        assert_eq!(changes[..4], [("430400", TOTAL, 1), ("430400", "2020-02-04", 1), ("430481", TOTAL, 1), ("430481", "2020-02-04", 1)]);
        assert_eq!(changes.len(), 8, "and the township and community of the first, with totals");
    }
}
