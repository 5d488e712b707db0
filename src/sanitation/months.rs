//! Each district's monthly sanitation score (月度环卫考核): the month's inspections, workers
//! inspected, items checked and missing, the compliance rate, the deductions (the points of the
//! inspections that count, less what accepted appeals gave back), the score (the edition's base
//! less the deductions, not below 0), the district's rank among the scheme's districts, the change
//! since last month, and the item and role most often found missing.
//!
//! An open month is read from the roll-up counts kept with each inspection and appeal (a few
//! hundred count rows, whatever the number of inspections); the centre closes a month, after which
//! its figures are the rows written then (`sanitation_month_scores`) and nothing changes them: an
//! inspection dated in it, or an appeal on one, is refused.

use super::editions::{self, StoredEdition};
use crate::audit::{Actor, AuditEvent};
use crate::db::{Db, is_unique_violation, now_micros};
use crate::error::{AppError, AppResult};
use crate::on_db;
use fangkong_rules::Scope;
use fangkong_rules::sanitation::{PpeItem, WorkerRole};
use std::collections::BTreeMap;
use time::{Date, Month};

/// A month as `YYYY-MM`.
pub fn of_day(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), u8::from(day.month()))
}

/// The first and last day of a `YYYY-MM` month, if it is one.
pub fn days_of(month: &str) -> Option<(Date, Date)> {
    let (year, number) = month.split_once('-')?;
    if year.len() != 4 || number.len() != 2 {
        return None;
    }
    let month = Month::try_from(number.parse::<u8>().ok()?).ok()?;
    let first = Date::from_calendar_date(year.parse().ok()?, month, 1).ok()?;
    let last = Date::from_calendar_date(first.year(), month, month.length(first.year())).ok()?;
    Some((first, last))
}

/// The month before `YYYY-MM`.
fn previous(first: Date) -> String {
    of_day(first.previous_day().unwrap_or(first))
}

/// The month `text` names, not later than this month and not before the rule's first edition,
/// with the edition its score is made under (the one in force on its last day, or today).
pub fn parse<'a>(all: &'a [StoredEdition], text: &str, today: Date) -> AppResult<(String, Date, Date, &'a StoredEdition)> {
    let text = text.trim();
    let (first, last) = days_of(text).ok_or_else(|| AppError::invalid("month", "month_invalid", "月份格式应为 YYYY-MM,如 2020-02"))?;
    if first > today {
        return Err(AppError::invalid("month", "month_future", "该月份尚未开始"));
    }
    let edition = editions::on(all, last.min(today)).ok_or_else(|| AppError::invalid("month", "before_edition", "该月份早于环卫作业人员防护规定施行之日"))?;
    Ok((text.to_string(), first, last, edition))
}

/// One district's month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DistrictMonth {
    pub district_code: String,
    pub inspections: i64,
    pub workers: i64,
    pub items_checked: i64,
    pub items_missing: i64,
    /// Required items found worn, per thousand checked; `None` when nothing was checked.
    pub compliance_permille: Option<i64>,
    /// Points of every inspection, before appeals.
    pub points: i64,
    /// Given back by accepted appeals.
    pub restored: i64,
    /// Of inspections that do not count in the score (repeats, when the edition says so).
    pub uncounted: i64,
    /// `points − uncounted − restored`.
    pub deductions: i64,
    pub base_score: i64,
    /// `max(0, base_score − deductions)`.
    pub score: i64,
    /// 1 for the best score among the scheme's districts; equal scores share a rank.
    pub rank: i64,
    /// This month's score less last month's; `None` when last month was before the rule.
    pub trend: Option<i64>,
    /// A `PpeItem` code; `None` when nothing was missing.
    pub most_missed_item: Option<String>,
    /// A `WorkerRole` code; `None` when nothing was missing.
    pub most_missed_role: Option<String>,
}

/// Who closed a month, and when (epoch µs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MonthClosed {
    pub by: String,
    pub at: i64,
}

/// A month's scores for the districts the viewer may see, in rank order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MonthScores {
    pub month: String,
    pub edition_id: i64,
    /// `None` while the month is open.
    pub closed: Option<MonthClosed>,
    /// The scheme's districts among which ranks are given.
    pub scheme: Vec<String>,
    pub districts: Vec<DistrictMonth>,
}

/// The month's scores, frozen if it was closed, as `scope` may see them: a district its own,
/// the centre and the city every district (ranks are always among all of them).
pub async fn scores(db: &Db, scope: &Scope, all: &[StoredEdition], month: &str, today: Date) -> AppResult<MonthScores> {
    let (month, first, last, edition) = parse(all, month, today)?;
    let mut scores = match frozen(db, &month).await? {
        Some(frozen) => frozen,
        None => {
            let mut open = on_db!(db, pool => { let mut c = pool.acquire().await?; live(&mut *c, edition, &month, first, last).await })?;
            with_trend(&mut open, previous_scores(db, all, first, today).await?.as_ref());
            open
        }
    };
    scores.districts.retain(|d| scope.allows(&d.district_code));
    Ok(scores)
}

/// The scores of the month before `first` (frozen or open); none when that month was before the rule.
async fn previous_scores(db: &Db, all: &[StoredEdition], first: Date, today: Date) -> AppResult<Option<MonthScores>> {
    let Ok((prev, prev_first, prev_last, prev_edition)) = parse(all, &previous(first), today) else { return Ok(None) };
    Ok(Some(match frozen(db, &prev).await? {
        Some(frozen) => frozen,
        None => on_db!(db, pool => { let mut c = pool.acquire().await?; live(&mut *c, prev_edition, &prev, prev_first, prev_last).await })?,
    }))
}

/// Sets each district's change since `before` (a district absent from it started at its base).
fn with_trend(scores: &mut MonthScores, before: Option<&MonthScores>) {
    let Some(before) = before else { return };
    for district in &mut scores.districts {
        district.trend = Some(district.score - before.districts.iter().find(|d| d.district_code == district.district_code).map_or(base_of(before), |d| d.score));
    }
}

/// The base score of a month (a district absent from it started there).
fn base_of(month: &MonthScores) -> i64 {
    month.districts.first().map_or(0, |d| d.base_score)
}

/// The sanitation counts of the scheme's districts over the month's days, by district.
async fn month_counts<'a>(conn: impl Into<crate::db::Conn<'a>>, districts: &[String], first: Date, last: Date) -> sqlx::Result<BTreeMap<String, BTreeMap<String, i64>>> {
    let places = crate::db::placeholders_from(3, districts.len());
    let sql = format!(
        "select org_code, metric, cast(sum(n) as bigint) from unit_counts where org_code in ({places}) and metric >= 'san.' and metric < 'san/' \
         and day >= $1 and day <= $2 group by org_code, metric"
    );
    let rows: Vec<(String, String, i64)> = crate::on_conn!(conn, c => {
        let mut q = sqlx::query_as::<DB, (String, String, i64)>(sqlx::AssertSqlSafe(&*sql)).bind(first.to_string()).bind(last.to_string());
        for district in districts {
            q = q.bind(district);
        }
        q.fetch_all(&mut *c).await
    })?;
    let mut by_district: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (district, metric, n) in rows {
        by_district.entry(district).or_default().insert(metric, n);
    }
    Ok(by_district)
}

/// An open month's figures, from the counts.
async fn live<'a>(conn: impl Into<crate::db::Conn<'a>>, edition: &StoredEdition, month: &str, first: Date, last: Date) -> sqlx::Result<MonthScores> {
    use crate::counts::{SANITATION_CHECKED, SANITATION_INSPECTIONS, SANITATION_MISSING, SANITATION_POINTS, SANITATION_RESTORED, SANITATION_UNCOUNTED, SANITATION_WORKERS};
    let counts = month_counts(conn, &edition.districts, first, last).await?;
    let base = i64::from(edition.rule.base_score);
    let empty = BTreeMap::new();
    let districts = edition
        .districts
        .iter()
        .map(|code| {
            let c = counts.get(code).unwrap_or(&empty);
            let n = |metric: &str| c.get(metric).copied().unwrap_or(0);
            let most = |metrics: Vec<(String, &'static str)>| {
                metrics.into_iter().map(|(metric, code)| (n(&metric), code)).filter(|(n, _)| *n > 0).fold(None, |best: Option<(i64, &str)>, (n, code)| match best {
                    Some((m, _)) if m >= n => best,
                    _ => Some((n, code)),
                })
            };
            let item = most(PpeItem::ALL.iter().map(|i| (crate::counts::sanitation_missed_metric(i.as_str()), i.as_str())).collect());
            let role = most(WorkerRole::ALL.iter().map(|r| (crate::counts::sanitation_role_missing_metric(r.as_str()), r.as_str())).collect());
            figures(
                code,
                Tallied {
                    inspections: n(SANITATION_INSPECTIONS),
                    workers: n(SANITATION_WORKERS),
                    items_checked: n(SANITATION_CHECKED),
                    items_missing: n(SANITATION_MISSING),
                    points: n(SANITATION_POINTS),
                    restored: n(SANITATION_RESTORED),
                    uncounted: n(SANITATION_UNCOUNTED),
                },
                base,
                item.map(|(_, c)| c.to_string()),
                role.map(|(_, c)| c.to_string()),
            )
        })
        .collect();
    Ok(MonthScores { month: month.to_string(), edition_id: edition.id, closed: None, scheme: edition.districts.clone(), districts: ranked(districts) })
}

/// What is added up for a district's month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tallied {
    pub inspections: i64,
    pub workers: i64,
    pub items_checked: i64,
    pub items_missing: i64,
    pub points: i64,
    pub restored: i64,
    pub uncounted: i64,
}

/// A district's month from what was added up: the rate, deductions and score (rank comes after).
pub fn figures(district: &str, t: Tallied, base_score: i64, most_missed_item: Option<String>, most_missed_role: Option<String>) -> DistrictMonth {
    let deductions = t.points - t.uncounted - t.restored;
    DistrictMonth {
        district_code: district.to_string(),
        inspections: t.inspections,
        workers: t.workers,
        items_checked: t.items_checked,
        items_missing: t.items_missing,
        compliance_permille: (t.items_checked > 0).then(|| (t.items_checked - t.items_missing) * 1000 / t.items_checked),
        points: t.points,
        restored: t.restored,
        uncounted: t.uncounted,
        deductions,
        base_score,
        score: (base_score - deductions).max(0),
        rank: 0,
        trend: None,
        most_missed_item,
        most_missed_role,
    }
}

/// The districts in rank order (best score first, then by code), equal scores sharing a rank.
pub fn ranked(mut districts: Vec<DistrictMonth>) -> Vec<DistrictMonth> {
    districts.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.district_code.cmp(&b.district_code)));
    let scores: Vec<i64> = districts.iter().map(|d| d.score).collect();
    for d in &mut districts {
        d.rank = 1 + scores.iter().filter(|s| **s > d.score).count() as i64;
    }
    districts
}

#[derive(sqlx::FromRow)]
struct FrozenRow {
    district_code: String,
    inspections: i64,
    workers: i64,
    items_checked: i64,
    items_missing: i64,
    points: i64,
    restored: i64,
    uncounted: i64,
    base_score: i64,
    rank: i64,
    trend: Option<i64>,
    most_missed_item: Option<String>,
    most_missed_role: Option<String>,
    closed_by: String,
    closed_at: i64,
    edition_id: i64,
}

/// A closed month's figures as they were written when it was closed.
async fn frozen(db: &Db, month: &str) -> sqlx::Result<Option<MonthScores>> {
    let rows: Vec<FrozenRow> = on_db!(db, pool => sqlx::query_as::<DB, FrozenRow>(
        "select district_code, inspections, workers, items_checked, items_missing, points, restored, uncounted, base_score, rank, trend, most_missed_item, most_missed_role, \
         closed_by, closed_at, edition_id from sanitation_month_scores where month = $1 order by rank, district_code")
        .bind(month).fetch_all(pool).await)?;
    let Some(first) = rows.first() else { return Ok(None) };
    let closed = MonthClosed { by: first.closed_by.clone(), at: first.closed_at };
    let edition_id = first.edition_id;
    let scheme = rows.iter().map(|r| r.district_code.clone()).collect();
    let districts = rows
        .into_iter()
        .map(|r| {
            let t = Tallied {
                inspections: r.inspections,
                workers: r.workers,
                items_checked: r.items_checked,
                items_missing: r.items_missing,
                points: r.points,
                restored: r.restored,
                uncounted: r.uncounted,
            };
            DistrictMonth { rank: r.rank, trend: r.trend, ..figures(&r.district_code, t, r.base_score, r.most_missed_item, r.most_missed_role) }
        })
        .collect();
    Ok(Some(MonthScores { month: month.to_string(), edition_id, closed: Some(closed), scheme, districts }))
}

/// Whether `month` is frozen: it, or a month after it, was closed (nothing is dated back into a
/// period already closed).
pub async fn is_closed(db: &Db, month: &str) -> sqlx::Result<bool> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar::<DB, i64>("select count(*) from sanitation_month_scores where month >= $1").bind(month).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The refusal, at `field`, of a write into a frozen month.
pub fn closed_error(month: &str, field: &str) -> AppError {
    AppError::invalid(field, "month_closed", format!("{month} 月度考核已结账,不能再变更"))
}

/// Refuses, at `field`, a write into a frozen month (a check before the write; [`hold`] decides).
pub async fn refuse_closed(db: &Db, month: &str, field: &str) -> AppResult<()> {
    if is_closed(db, month).await? {
        return Err(closed_error(month, field));
    }
    Ok(())
}

/// Takes `month`'s turn on `conn`, inside a write's transaction, and says whether the month is
/// frozen: every write into a month's figures and the closing update its row first, so that on
/// PostgreSQL they wait for each other (SQLite's writers are one at a time already).
pub async fn hold<'a>(conn: impl Into<crate::db::Conn<'a>>, month: &str) -> sqlx::Result<bool> {
    crate::on_conn!(conn, c => {
        sqlx::query::<DB>("insert into sanitation_month_locks (month, writes) values ($1, 1) on conflict (month) do update set writes = sanitation_month_locks.writes + 1")
            .bind(month).execute(&mut *c).await?;
        let n = sqlx::query_scalar::<DB, i64>("select count(*) from sanitation_month_scores where month >= $1").bind(month).fetch_one(&mut *c).await?;
        Ok(n > 0)
    })
}

/// Whether `scope` is the centre's (or the city's): it covers every district of the scheme.
pub fn is_centre(scope: &Scope, edition: &StoredEdition) -> bool {
    edition.districts.iter().all(|d| scope.allows(d))
}

/// An appeal that keeps a month from closing: its id, and the worker's name or role.
type Waiting = (i64, Option<String>, String);

/// Closes `month` for every district of the scheme once it has ended: refused while an appeal of
/// it is undecided (they are named), and when it was closed already. The figures written are
/// read inside the closing transaction, after the month's turn is taken.
pub async fn close(db: &Db, actor: &Actor, scope: &Scope, all: &[StoredEdition], month: &str, today: Date) -> AppResult<MonthScores> {
    let (month, first, last, edition) = parse(all, month, today)?;
    if !is_centre(scope, edition) {
        return Err(AppError::Forbidden);
    }
    if last >= today {
        return Err(AppError::invalid("month", "month_not_over", format!("{month} 尚未结束,月末之后才能结账")));
    }
    // The month before, which nothing can change once this one is closed.
    let before = previous_scores(db, all, first, today).await?;
    let now = now_micros();
    let begin = if matches!(db, Db::Sqlite(_)) { "begin immediate" } else { "begin" };
    let written: sqlx::Result<Result<MonthScores, Vec<Waiting>>> = on_db!(db, pool => async {
        let mut tx = pool.begin_with(begin).await?;
        hold(&mut *tx, &month).await?;
        let open = sqlx::query_as::<DB, Waiting>(
            "select a.id, i.worker_name, i.worker_role from sanitation_appeals a join sanitation_inspections i on i.id = a.inspection_id \
             where a.month = $1 and a.status = 'open' order by a.id limit 20")
            .bind(&month).fetch_all(&mut *tx).await?;
        if !open.is_empty() {
            return Ok(Err(open));
        }
        let mut figures = live(&mut *tx, edition, &month, first, last).await?;
        with_trend(&mut figures, before.as_ref());
        for d in &figures.districts {
            sqlx::query::<DB>(
                "insert into sanitation_month_scores (month, district_code, inspections, workers, items_checked, items_missing, points, restored, uncounted, deductions, \
                 base_score, score, rank, trend, most_missed_item, most_missed_role, closed_by_id, closed_by, closed_at, edition_id) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)")
                .bind(&month).bind(&d.district_code).bind(d.inspections).bind(d.workers).bind(d.items_checked).bind(d.items_missing).bind(d.points).bind(d.restored)
                .bind(d.uncounted).bind(d.deductions).bind(d.base_score).bind(d.score).bind(d.rank).bind(d.trend).bind(&d.most_missed_item).bind(&d.most_missed_role)
                .bind(actor.user_id).bind(&actor.username).bind(now).bind(edition.id)
                .execute(&mut *tx).await?;
        }
        crate::audit::store::insert(&mut *tx, actor, AuditEvent {
            action: "sanitation.close_month", record_type: "sanitation_month", record_id: Some(month.clone()), org_code: scope.unit().map_or_else(String::new, |u| u.to_string()),
            detail: Some(format!("districts={}", figures.districts.len())),
        }).await?;
        tx.commit().await?;
        Ok(Ok(figures))
    }.await);
    match written {
        Ok(Ok(_)) => scores(db, scope, all, &month, today).await,
        Ok(Err(open)) => {
            let named: Vec<String> =
                open.iter().map(|(id, name, role)| format!("#{id}({})", name.clone().unwrap_or_else(|| WorkerRole::parse(role).map_or(role.clone(), |r| r.zh().to_string())))).collect();
            Err(AppError::invalid("month", "appeals_open", format!("还有 {} 条申诉未裁定:{},请先裁定再结账", open.len(), named.join("、"))))
        }
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict { message: format!("{month} 已经结账"), existing_id: None }),
        Err(e) => Err(e.into()),
    }
}
