//! Every count recomputed from the facts: [`verify`] reports the drift, [`rebuild`] repairs it.
//! (County codes interpolated into SQL come from `org_units`, digits only by the code's rules.)
//! The facts are grouped once at their own unit; the much smaller grouped rows are then added up
//! to each unit above (codes of 15, 12, 9 and 6 digits; a county's city is its first four digits
//! and `00`).

use crate::db::Db;
use crate::on_db;
use std::collections::HashMap;

/// The facts counted, one grouped query each: `(org_code, metric, day, n)` at the fact's own unit.
/// `local_day` turns an epoch-µs column into its Beijing date as text in the backend's dialect.
/// The check-ins come separately ([`check_in_facts`]), split so that parts run side by side.
fn facts(local_day: fn(&str) -> String) -> Vec<String> {
    let registered = local_day("created_at");
    let moved = local_day("t.at");
    vec![
        "select org_code, 'case.' || status, '', count(*) from cases group by org_code, status".into(),
        format!("select c.org_code, 'case.new.' || t.to_status, {moved}, count(*) from case_transitions t join cases c on c.id = t.case_id group by c.org_code, t.to_status, 3"),
        "select org_code, 'contacts.observing', cast(last_exposure_date as text), count(*) from contacts where status = 'observing' group by org_code, last_exposure_date".into(),
        format!("select org_code, 'contacts.new', {registered}, count(*) from contacts group by org_code, 3"),
        format!("select org_code, 'kp.new', {registered}, count(*) from key_persons group by org_code, 3"),
        "select org_code, 'persons', '', count(*) from persons group by org_code".into(),
        "select org_code, 'households', '', count(*) from households group by org_code".into(),
        "select org_code, 'hh.nobody_home', '', count(*) from households where last_visit_result = 'nobody_home' group by org_code".into(),
        "select org_code, 'hh.visited', cast(first_visit_date as text), count(*) from households where first_visit_date is not null group by org_code, first_visit_date".into(),
        "select org_code, 'obs.started', cast(start_date as text), count(*) from observation_episodes group by org_code, start_date".into(),
        "select org_code, 'obs.ended', cast(end_date as text), count(*) from observation_episodes where end_date is not null group by org_code, end_date".into(),
        "select org_code, 'fever', cast(day as text), count(*) from alerts where kind = 'fever' group by org_code, day".into(),
        "select org_code, 'alerts.' || kind, '', count(*) from alerts where handled_at is null group by org_code, kind".into(),
        "select org_code, 'needs.open', '', count(*) from life_needs where status <> 'done' group by org_code".into(),
        "select c.org_code, 'inhosp.' || coalesce(c.severity, 'unassessed'), '', count(*) from transfers t join cases c on c.id = t.case_id \
         where t.status in ('accepted', 'admitted') group by c.org_code, c.severity"
            .into(),
        "select h.org_code, 'beds.' || t.bed_kind, '', count(*) from transfers t join hospitals h on h.id = t.hospital_id \
         where t.status in ('accepted', 'admitted') group by h.org_code, t.bed_kind"
            .into(),
        "select org_code, 'fu.due', cast(due_date as text), count(*) from follow_ups group by org_code, due_date".into(),
        "select org_code, 'fu.done', cast(due_date as text), count(*) from follow_ups where done_at is not null group by org_code, due_date".into(),
        "select org_code, 'san.inspections', cast(inspected_on as text), count(*) from sanitation_inspections group by org_code, inspected_on".into(),
        "select org_code, 'san.checked', cast(inspected_on as text), sum(items_checked) from sanitation_inspections group by org_code, inspected_on".into(),
        "select org_code, 'san.missing', cast(inspected_on as text), sum(items_missing) from sanitation_inspections group by org_code, inspected_on".into(),
        "select org_code, 'san.points', cast(inspected_on as text), sum(points) from sanitation_inspections group by org_code, inspected_on".into(),
        "select org_code, 'san.workers', cast(inspected_on as text), count(*) from sanitation_inspections s where worker_id is null \
         or not exists (select 1 from sanitation_inspections e where e.worker_id = s.worker_id and e.month = s.month and e.id < s.id) group by org_code, inspected_on"
            .into(),
        "select org_code, 'san.uncounted', cast(inspected_on as text), sum(points) from sanitation_inspections where not counted group by org_code, inspected_on".into(),
        "select org_code, 'san.restored', cast(inspected_on as text), sum(restored) from sanitation_inspections where restored > 0 group by org_code, inspected_on".into(),
        "select org_code, 'san.role_missing.' || worker_role, cast(inspected_on as text), sum(items_missing) from sanitation_inspections group by org_code, worker_role, inspected_on".into(),
        "select org_code, 'san.appeals_open', '', count(*) from sanitation_appeals where status = 'open' group by org_code".into(),
    ]
    .into_iter()
    .chain(fangkong_rules::sanitation::PpeItem::ALL.iter().map(|item| {
        let item = item.as_str();
        format!("select org_code, 'san.miss.{item}', cast(inspected_on as text), count(*) from sanitation_inspections where ',' || missing || ',' like '%,{item},%' group by org_code, inspected_on")
    }))
    .chain(crate::checkpoints::hours::unit_facts(local_day))
    .collect()
}

/// People reporting on a day, per unit: distinct episodes among the check-ins, read in order from
/// `check_ins_unit_day`, in parts by county (ranges between consecutive county codes, so every
/// code falls in one part) that run side by side and never share a unit.
async fn check_in_facts(db: &Db) -> sqlx::Result<Vec<String>> {
    let counties: Vec<String> = on_db!(db, pool => sqlx::query_scalar::<DB, String>("select code from org_units where level = 'county' order by code").fetch_all(pool).await)?;
    let mut bounds: Vec<String> = vec![String::new()];
    bounds.extend(counties.into_iter().skip(1));
    bounds.push("~".into());
    Ok(bounds
        .windows(2)
        .map(|w| {
            format!(
                "select org_code, 'checkin.reported', cast(day as text), count(distinct episode_id) from check_ins \
         where org_code >= '{}' and org_code < '{}' group by org_code, day",
                w[0], w[1]
            )
        })
        .collect())
}

fn sqlite_local_day(column: &str) -> String {
    format!("date({column} / 1000000 + 28800, 'unixepoch')")
}

fn postgres_local_day(column: &str) -> String {
    format!("to_char(to_timestamp({column} / 1000000 + 28800) at time zone 'UTC', 'YYYY-MM-DD')")
}

/// Every fact query, grouped at the facts' own units.
async fn fact_queries(db: &Db) -> sqlx::Result<Vec<String>> {
    let mut queries = match db {
        Db::Sqlite(_) => facts(sqlite_local_day),
        Db::Postgres(_) => facts(postgres_local_day),
    };
    queries.extend(check_in_facts(db).await?);
    Ok(queries)
}

/// `facts` added up at each fact's unit and every unit above it, with each dated metric's total.
fn rolled_up(facts: &str) -> String {
    format!(
        "with facts (org_code, metric, day, n) as materialized ({facts}), units as ( \
           select org_code as unit, metric, day, n from facts \
           union all select substr(org_code, 1, 12), metric, day, n from facts where length(org_code) > 12 \
           union all select substr(org_code, 1, 9), metric, day, n from facts where length(org_code) > 9 \
           union all select substr(org_code, 1, 6), metric, day, n from facts where length(org_code) > 6 \
           union all select substr(org_code, 1, 4) || '00', metric, day, n from facts where substr(org_code, 5, 2) <> '00' \
         ) select unit, metric, day, cast(sum(n) as bigint) from units group by unit, metric, day \
         union all select unit, metric, '*', cast(sum(n) as bigint) from units where day <> '' group by unit, metric"
    )
}

/// Counts keyed by `org_code metric day` in one string, so that a lookup allocates nothing.
type Flat = HashMap<String, i64>;

fn flat_key<'a>(buf: &'a mut String, unit: &str, metric: &str, day: &str) -> &'a str {
    buf.clear();
    for (i, part) in [unit, metric, day].into_iter().enumerate() {
        if i > 0 {
            buf.push(' ');
        }
        buf.push_str(part);
    }
    buf
}

fn add(counts: &mut Flat, key: &str, n: i64) {
    match counts.get_mut(key) {
        Some(count) => *count += n,
        None => {
            counts.insert(key.to_string(), n);
        }
    }
}

/// Every count as the facts say. The fact queries run side by side (each on its own connection),
/// their rows [packed](super::PACKED) one per unit, and each adds its rows up the tree as the
/// write path does ([`super::units_up`], with a dated metric's total) — so verify checks the
/// counts against the same arithmetic, not its own SQL.
async fn recomputed(db: &Db) -> sqlx::Result<Flat> {
    let mut running = tokio::task::JoinSet::new();
    for facts in fact_queries(db).await? {
        let db = db.clone();
        let sql = format!("with facts (org_code, metric, day, n) as ({facts}) select org_code, {} from facts group by org_code", super::PACKED);
        running.spawn(async move {
            let rows = on_db!(&db, pool => sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await)?;
            let (mut counts, mut key) = (Flat::new(), String::new());
            for (org_code, packed) in rows {
                let units = super::units_up(&org_code);
                for (metric, day, n) in super::unpack(&packed) {
                    for unit in &units {
                        if !day.is_empty() {
                            add(&mut counts, flat_key(&mut key, unit, metric, super::TOTAL), n);
                        }
                        add(&mut counts, flat_key(&mut key, unit, metric, day), n);
                    }
                }
            }
            Ok::<_, sqlx::Error>(counts)
        });
    }
    let mut counts = Flat::new();
    while let Some(part) = running.join_next().await {
        for (key, n) in part.map_err(|e| sqlx::Error::Protocol(format!("recomputation stopped: {e}")))?? {
            *counts.entry(key).or_default() += n;
        }
    }
    Ok(counts)
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

/// Every count that differs from its recomputation (a missing row counts as zero). The stored
/// counts are read [packed](super::PACKED) beside the recomputation.
pub async fn verify(db: &Db) -> sqlx::Result<Vec<Drift>> {
    let stored_sql = format!("select org_code, {} from unit_counts group by org_code", super::PACKED);
    let (mut expected, stored) = tokio::try_join!(recomputed(db), async { on_db!(db, pool => sqlx::query_as::<DB, (String, String)>(sqlx::AssertSqlSafe(&*stored_sql)).fetch_all(pool).await) },)?;
    // Each stored count takes its recomputation out of the map; what is left was never stored.
    let (mut drift, mut key) = (Vec::new(), String::new());
    for (org_code, packed) in stored {
        for (metric, day, stored) in super::unpack(&packed) {
            let expected = expected.remove(flat_key(&mut key, &org_code, metric, day)).unwrap_or(0);
            if stored != expected {
                drift.push(Drift { org_code: org_code.clone(), metric: metric.into(), day: day.into(), stored, expected });
            }
        }
    }
    drift.extend(expected.into_iter().filter(|(_, n)| *n != 0).map(|(key, expected)| {
        let mut parts = key.splitn(3, ' ').map(String::from);
        let mut part = || parts.next().unwrap_or_default();
        Drift { org_code: part(), metric: part(), day: part(), stored: 0, expected }
    }));
    // The screening points' hourly counts, checked the same way.
    drift.extend(crate::checkpoints::hours::verify(db).await?);
    drift.sort_by(|a, b| (&a.org_code, &a.metric, &a.day).cmp(&(&b.org_code, &b.metric, &b.day)));
    Ok(drift)
}

/// Replaces every count with its recomputation from the facts, in one transaction.
pub async fn rebuild(db: &Db) -> sqlx::Result<u64> {
    let queries: Vec<String> = fact_queries(db).await?.iter().map(|facts| rolled_up(facts)).collect();
    on_db!(db, pool => async {
        let mut tx = pool.begin().await?;
        sqlx::query::<DB>("delete from unit_counts").execute(&mut *tx).await?;
        for sql in &queries {
            // Parts of one metric (the check-ins) meet on the same counts: they add up.
            // (`where true` keeps SQLite from reading the upsert's `on` as a join's.)
            let insert = format!("insert into unit_counts (org_code, metric, day, n) select * from ({sql}) recomputed where true \
                                  on conflict (org_code, metric, day) do update set n = unit_counts.n + excluded.n");
            sqlx::query::<DB>(sqlx::AssertSqlSafe(insert)).execute(&mut *tx).await?;
        }
        crate::checkpoints::hours::rebuild(&mut *tx, db).await?;
        let rows = sqlx::query_scalar::<DB, i64>("select count(*) from unit_counts").fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(rows as u64)
    }.await)
}
